// A tuning job: what to optimise (the objective), over what (the search space), how (strategy,
// pruner, stopping rules, parallel trials), and what one trial is: either training one of
// mloop's algorithms on a dataset (`train:`), or an external program (a shell command with
// {param} placeholders whose output holds the objective, read by a regular expression or a
// JSON key). Parsed from YAML; the format is in docs/formats.md ("Tuning job").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/tune/tune.h"

namespace mloop::tune {

// A trial that trains a built-in algorithm: the tuned parameters are added to `params`.
struct TrainObjective {
  std::string data;  // a dataset reference (NAME, NAME@V) or a data file (relative to the job)
  std::string target;
  std::string algorithm = "xgboost";
  std::map<std::string, std::string> params;  // fixed parameters, under the algorithm's names
  std::string task;                           // binary, multiclass, regression; "" = inferred
  std::string split;                          // a split (random:0.2, ...); "" = the default
  std::string valid;                          // a validation dataset or file
  int cv_folds = 0;                           // > 1: the objective is the folds' mean
  std::string recipe;                         // a recipe file (relative to the job)
};

struct TuningJob {
  std::string origin;  // the file it came from (for messages)
  std::string name;    // defaults to the file's stem
  std::string metric = "value";
  Direction direction = Direction::kMinimize;
  std::string strategy = "bayesian";
  nlohmann::json strategy_options = nlohmann::json::object();
  std::string pruner = "none";
  nlohmann::json pruner_options = nlohmann::json::object();
  StopRules stop;  // max_trials (50), max_seconds, target, patience
  uint64_t seed = 0;
  int parallel = 1;
  nlohmann::json parameters = nlohmann::json::object();  // the `parameters:` map as JSON
  SearchSpace space;

  // Where trials are recorded as runs; "" = "tune-" + name.
  std::string experiment;
  // Earlier jobs (names: their newest run; or ids) whose trials seed the sampler.
  std::vector<std::string> warm_start;
  // When set, the best trial's model is registered under this name (training jobs only).
  std::string register_name;

  // Training one of mloop's algorithms; or else an external program.
  std::optional<TrainObjective> train;

  // An external program.
  std::string command;                // with {param} placeholders; run by /bin/sh -c
  std::string metric_regex;           // first capture group (the whole match without one)
  std::string metric_json;            // a key of the JSON object lines of the output
  double timeout_seconds = 0;         // 0: no limit
  std::filesystem::path working_dir;  // the job file's directory
};

// Every key a job may have, for messages and docs.
const std::vector<std::string>& TuningJobKeys();

// The experiment its trials are recorded in.
std::string JobExperiment(const TuningJob& job);

// Parses a job from YAML text. `origin` names it in messages ("branin.yaml"); `working_dir` is
// where commands run. Errors (InvalidArgument) give file:line:column and, for an unknown key,
// the nearest valid one.
TuningJob ParseTuningJob(const std::string& yaml_text, const std::string& origin,
                         const std::filesystem::path& working_dir);
// Reads `path`; the working directory is the file's directory (absolute).
TuningJob LoadTuningJob(const std::filesystem::path& path);

// The same job as JSON (the space as SearchSpace::ToJson), for the saved result.
nlohmann::json TuningJobToJson(const TuningJob& job);

// A YAML document converted to JSON: mappings to objects, sequences to arrays, plain scalars
// that read as numbers, booleans or null to those, everything else (and quoted scalars) to strings.
nlohmann::json YamlTextToJson(const std::string& yaml_text);

// 'text' quoted for /bin/sh: single quotes, with each ' written as '\''.
std::string ShellQuote(std::string_view text);

// The names of the {name} placeholders of a command, in order (repeats included). A placeholder
// is `{` NAME `}` with NAME made of letters, digits, '_', '-' and '.'; `{{` and `}}` are literal
// braces, `${...}` is left to the shell, and braces around anything else are kept as they are.
std::vector<std::string> CommandPlaceholders(std::string_view command);

// The command with each placeholder replaced by its parameter's value, shell-quoted (an
// inactive conditional parameter gives ''). A placeholder naming no parameter of `space` is
// InvalidArgument.
std::string SubstituteCommand(std::string_view command, const SearchSpace& space,
                              const ParamValues& values);

}  // namespace mloop::tune
