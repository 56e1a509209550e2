#include "mloop/tune/job.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <regex>
#include <set>
#include <sstream>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/yaml_util.h"
#include "mloop/eval/metrics.h"
#include "mloop/track/registry.h"

namespace mloop::tune {

namespace {

using namespace mloop::yaml;  // Where, LoadYaml, CheckKeys, String, Number, Integer, ToJson

const std::vector<std::string> kKeys = {
    "name",     "objective",    "strategy",    "strategy_options",
    "pruner",   "max_trials",   "max_seconds", "target",
    "patience", "seed",         "parallel",    "parameters",
    "command",  "metric_regex", "metric_json", "timeout_seconds",
    "train",    "experiment",   "warm_start",  "register"};
const std::vector<std::string> kTrainKeys = {"data",  "target", "algo", "params", "task",
                                             "split", "valid",  "cv",   "recipe"};
const std::vector<std::string> kRegisterKeys = {"name"};
const std::vector<std::string> kObjectiveKeys = {"metric", "goal"};
const std::vector<std::string> kPrunerKeys = {"name", "options"};
const std::vector<std::string> kGoals = {"minimize", "maximize"};

nlohmann::json Options(const std::string& origin, const YAML::Node& node, const std::string& key) {
  if (node.IsNull()) return nlohmann::json::object();
  if (!node.IsMap()) {
    throw InvalidArgument(Where(origin, node) + ": '" + key + "' must be a mapping of options");
  }
  return ToJson(node);
}

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
}

// Calls on_text for literal text and on_param for each placeholder.
template <typename Text, typename Param>
void ScanCommand(std::string_view command, Text on_text, Param on_param) {
  size_t i = 0;
  while (i < command.size()) {
    const char c = command[i];
    if (c == '{' && i + 1 < command.size() && command[i + 1] == '{') {
      on_text("{");
      i += 2;
      continue;
    }
    if (c == '}' && i + 1 < command.size() && command[i + 1] == '}') {
      on_text("}");
      i += 2;
      continue;
    }
    if (c == '{' && !(i > 0 && command[i - 1] == '$')) {
      size_t j = i + 1;
      while (j < command.size() && NameChar(command[j])) ++j;
      if (j > i + 1 && j < command.size() && command[j] == '}') {
        on_param(command.substr(i + 1, j - i - 1));
        i = j + 1;
        continue;
      }
    }
    on_text(command.substr(i, 1));
    ++i;
  }
}

// The `train:` mapping of a job.
TrainObjective ParseTrain(const std::string& origin, const YAML::Node& node) {
  if (!node.IsMap()) {
    throw InvalidArgument(Where(origin, node) +
                          ": 'train' is a mapping: {data, target, algo, params, ...}");
  }
  CheckKeys(origin, node, kTrainKeys, "in 'train'");
  TrainObjective t;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "data") {
      t.data = String(origin, v, key);
    } else if (key == "target") {
      t.target = String(origin, v, key);
    } else if (key == "algo") {
      t.algorithm = String(origin, v, key);
    } else if (key == "task") {
      t.task = String(origin, v, key);
    } else if (key == "split") {
      t.split = String(origin, v, key);
    } else if (key == "valid") {
      t.valid = String(origin, v, key);
    } else if (key == "recipe") {
      t.recipe = String(origin, v, key);
    } else if (key == "cv") {
      t.cv_folds = static_cast<int>(Integer(origin, v, key, 2, 1000));
    } else if (key == "params") {
      if (!v.IsMap()) {
        throw InvalidArgument(Where(origin, v) +
                              ": 'params' is a mapping of the algorithm's fixed parameters");
      }
      for (const auto& p : v) {
        if (!p.second.IsScalar()) {
          throw InvalidArgument(Where(origin, p.second) + ": parameter '" + p.first.Scalar() +
                                "' must be a single value");
        }
        t.params[p.first.Scalar()] = p.second.Scalar();
      }
    }
  }
  if (t.data.empty()) {
    throw InvalidArgument(Where(origin, node) + ": 'train' needs 'data' (a dataset or a file)");
  }
  if (t.target.empty()) {
    throw InvalidArgument(Where(origin, node) + ": 'train' needs 'target' (the column to predict)");
  }
  if (!t.split.empty() && !t.valid.empty()) {
    throw InvalidArgument(Where(origin, node) + ": 'train' takes 'split' or 'valid', not both");
  }
  return t;
}

// A training job's objective is one of mloop's metrics (its goal follows from the metric when
// not given), its parameters are the algorithm's, and it runs no command.
void CheckTrainJob(const std::string& origin, TuningJob& job, const YAML::Node& objective_node,
                   const YAML::Node& train_node, const YAML::Node& register_node, bool has_goal) {
  if (!job.command.empty() || !job.metric_regex.empty() || !job.metric_json.empty()) {
    throw InvalidArgument(Where(origin, train_node) +
                          ": a job has 'train' or 'command' (with metric_regex or "
                          "metric_json), not both");
  }
  job.metric = CanonicalMetricName(job.metric);  // auc, logloss: the names quality gates take
  const std::vector<std::string> metrics = AllMetricNames();
  if (std::find(metrics.begin(), metrics.end(), job.metric) == metrics.end()) {
    throw InvalidArgument(Where(origin, objective_node) + ": the objective's metric '" +
                              Printable(job.metric) + "' is not one of mloop's metrics" +
                              DidYouMean(job.metric, metrics),
                          "metrics: " + Join(metrics, ", "));
  }
  const Direction natural =
      GreaterIsBetter(job.metric) ? Direction::kMaximize : Direction::kMinimize;
  if (!has_goal) {
    job.direction = natural;
  } else if (job.direction != natural) {
    throw InvalidArgument(Where(origin, objective_node) + ": " + job.metric + " is " +
                          (natural == Direction::kMaximize ? "maximized" : "minimized") +
                          "; 'goal' says the opposite");
  }
  for (const auto& p : job.space.params()) {
    if (job.train->params.count(p.name)) {
      throw InvalidArgument(Where(origin, train_node) + ": parameter '" + p.name +
                            "' is both fixed (train.params) and tuned (parameters)");
    }
  }
  if (!job.register_name.empty()) {
    try {
      ValidateModelName(job.register_name);
    } catch (const Error& e) {
      throw InvalidArgument(Where(origin, register_node) + ": " + e.what(), e.hint());
    }
  }
  if (job.pruner != "none" && job.train->algorithm != "xgboost") {
    throw InvalidArgument(origin +
                              ": pruning reads each boosting round's validation value, "
                              "which only xgboost reports (not " +
                              job.train->algorithm + ")",
                          "drop the pruner");
  }
  if (job.timeout_seconds > 0 && job.train->algorithm != "xgboost") {
    throw InvalidArgument(origin +
                              ": 'timeout_seconds' stops a training trial between boosting "
                              "rounds, which only xgboost has",
                          "limit the whole job with max_seconds");
  }
  if (job.pruner != "none" && job.train->cv_folds > 1) {
    throw InvalidArgument(origin +
                              ": pruning reads each boosting round's validation value, "
                              "which cross-validation ('cv') does not give",
                          "use a validation split ('split') with a pruner, or drop the pruner");
  }
}

// Where the search space's error `message` ("parameter 'c': 'min' (5) is above ...") points:
// the named parameter's key in `parameters` (a map, or a list of {name: ...}), or its value of
// the key the message names next; the whole `parameters` otherwise.
YAML::Mark ParameterMark(const YAML::Node& parameters, const std::string& message) {
  static const std::string kPrefix = "parameter '";
  const size_t at = message.find(kPrefix);
  const size_t end = at == std::string::npos ? at : message.find('\'', at + kPrefix.size());
  if (end == std::string::npos) return parameters.Mark();
  const std::string name = message.substr(at + kPrefix.size(), end - at - kPrefix.size());
  YAML::Mark mark = parameters.Mark();
  YAML::Node spec;
  if (parameters.IsMap()) {
    for (const auto& kv : parameters) {
      if (kv.first.IsScalar() && kv.first.Scalar() == name) {
        mark = kv.first.Mark();
        spec = kv.second;
      }
    }
  } else if (parameters.IsSequence()) {
    for (const YAML::Node item : parameters) {
      const YAML::Node item_name = item.IsMap() ? item["name"] : YAML::Node();
      if (item_name && item_name.IsScalar() && item_name.Scalar() == name) {
        mark = item.Mark();
        spec = item;
      }
    }
  }
  // "parameter 'c': 'min' ...": the value of that key.
  const std::string rest = message.substr(end + 1);
  if (spec.IsMap() && rest.rfind(": '", 0) == 0) {
    const size_t close = rest.find('\'', 3);
    const std::string key = close == std::string::npos ? "" : rest.substr(3, close - 3);
    for (const auto& kv : spec) {
      if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second.Mark();
    }
  }
  return mark;
}

}  // namespace

std::string JobExperiment(const TuningJob& job) {
  return job.experiment.empty() ? "tune-" + job.name : job.experiment;
}

const std::vector<std::string>& TuningJobKeys() {
  return kKeys;
}

nlohmann::json YamlTextToJson(const std::string& yaml_text) {
  return ToJson(LoadYaml(yaml_text, "<yaml>"));
}

std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::vector<std::string> CommandPlaceholders(std::string_view command) {
  std::vector<std::string> names;
  ScanCommand(
      command, [](std::string_view) {}, [&](std::string_view n) { names.emplace_back(n); });
  return names;
}

std::string SubstituteCommand(std::string_view command, const SearchSpace& space,
                              const ParamValues& values) {
  std::string out;
  ScanCommand(
      command, [&](std::string_view t) { out += t; },
      [&](std::string_view n) {
        if (!space.Find(n)) {
          std::vector<std::string> names;
          for (const auto& p : space.params()) names.push_back(p.name);
          throw InvalidArgument("the command's placeholder {" + std::string(n) +
                                    "} names no parameter" + DidYouMean(n, names),
                                "parameters: " + Join(names, ", "));
        }
        auto it = values.find(std::string(n));
        out += ShellQuote(it == values.end() ? std::string() : ParamValueText(it->second));
      });
  return out;
}

TuningJob ParseTuningJob(const std::string& yaml_text, const std::string& origin,
                         const std::filesystem::path& working_dir) {
  YAML::Node root = LoadYaml(yaml_text, origin);
  if (!root.IsDefined() || root.IsNull()) {
    throw InvalidArgument(origin +
                          ": the tuning job is empty; it needs 'objective', "
                          "'parameters', and 'train' or 'command'");
  }
  if (!root.IsMap()) {
    throw InvalidArgument(Where(origin, root) +
                          ": a tuning job is a mapping (objective, "
                          "parameters, command, ...)");
  }
  CheckKeys(origin, root, kKeys, "of a tuning job");
  TuningJob job;
  job.origin = origin;
  job.working_dir = working_dir;
  job.name = std::filesystem::path(origin).stem().string();
  bool has_objective = false, has_parameters = false, has_goal = false;
  YAML::Node parameters_node, command_node, objective_node, train_node, register_node;
  for (const auto& kv : root) {
    const std::string key = kv.first.Scalar();
    const YAML::Node& v = kv.second;
    if (key == "name") {
      job.name = String(origin, v, key);
      for (char c : job.name) {
        if (!NameChar(c)) {
          throw InvalidArgument(Where(origin, v) +
                                ": 'name' may hold letters, digits, '_', "
                                "'-' and '.' only, got '" +
                                Printable(job.name) + "'");
        }
      }
    } else if (key == "objective") {
      if (!v.IsMap()) {
        throw InvalidArgument(
            Where(origin, v) +
            ": 'objective' is a mapping: {metric: NAME, goal: minimize|maximize}");
      }
      CheckKeys(origin, v, kObjectiveKeys, "in 'objective'");
      if (v["goal"]) {
        const std::string goal = String(origin, v["goal"], "goal");
        if (goal == "minimize") {
          job.direction = Direction::kMinimize;
        } else if (goal == "maximize") {
          job.direction = Direction::kMaximize;
        } else {
          throw InvalidArgument(Where(origin, v["goal"]) +
                                ": 'goal' must be minimize or maximize, "
                                "got '" +
                                Printable(goal) + "'" + DidYouMean(goal, kGoals));
        }
        has_goal = true;
      }
      if (v["metric"]) job.metric = String(origin, v["metric"], "metric");
      objective_node = v;
      has_objective = true;
    } else if (key == "strategy") {
      job.strategy = String(origin, v, key);
      const std::vector<std::string> names = SamplerNames();
      if (std::find(names.begin(), names.end(), job.strategy) == names.end()) {
        // "bayes" is too far from "bayesian" for an edit distance; a prefix is a clear intent.
        std::string suggestion = DidYouMean(job.strategy, names);
        for (const std::string& name : names) {
          if (suggestion.empty() && !job.strategy.empty() && name.rfind(job.strategy, 0) == 0) {
            suggestion = " (did you mean '" + name + "'?)";
          }
        }
        throw InvalidArgument(
            Where(origin, v) + ": unknown strategy '" + Printable(job.strategy) + "'" + suggestion,
            "strategies: " + Join(names, ", "));
      }
    } else if (key == "strategy_options") {
      job.strategy_options = Options(origin, v, key);
    } else if (key == "pruner") {
      if (v.IsScalar()) {
        job.pruner = String(origin, v, key);
      } else if (v.IsMap()) {
        CheckKeys(origin, v, kPrunerKeys, "in 'pruner'");
        if (!v["name"]) {
          throw InvalidArgument(Where(origin, v) + ": 'pruner' needs 'name' (none, median, asha)");
        }
        job.pruner = String(origin, v["name"], "name");
        if (v["options"]) job.pruner_options = Options(origin, v["options"], "options");
      } else {
        throw InvalidArgument(Where(origin, v) + ": 'pruner' is a name or {name, options}");
      }
    } else if (key == "max_trials") {
      job.stop.max_trials =
          static_cast<int>(std::min<int64_t>(Integer(origin, v, key, 1), 1 << 30));
    } else if (key == "max_seconds") {
      job.stop.max_seconds = Number(origin, v, key);
      if (job.stop.max_seconds <= 0) {
        throw InvalidArgument(Where(origin, v) + ": 'max_seconds' must be > 0");
      }
    } else if (key == "target") {
      job.stop.target = Number(origin, v, key);
    } else if (key == "patience") {
      job.stop.patience = static_cast<int>(std::min<int64_t>(Integer(origin, v, key, 1), 1 << 30));
    } else if (key == "seed") {
      job.seed = static_cast<uint64_t>(Integer(origin, v, key, 0));
    } else if (key == "parallel") {
      job.parallel = static_cast<int>(Integer(origin, v, key, 1, 1024));  // as --parallel
    } else if (key == "parameters") {
      if (!(v.IsMap() || v.IsSequence()) || v.size() == 0) {
        throw InvalidArgument(Where(origin, v) +
                              ": 'parameters' is a non-empty mapping of "
                              "NAME: {type: ..., ...} (or a list of {name: NAME, type: ..., ...})");
      }
      parameters_node = v;
      has_parameters = true;
    } else if (key == "command") {
      job.command = String(origin, v, key);
      command_node = v;
    } else if (key == "metric_regex") {
      job.metric_regex = String(origin, v, key);
      try {
        std::regex re(job.metric_regex);
        (void)re;
      } catch (const std::regex_error& e) {
        throw InvalidArgument(Where(origin, v) +
                              ": 'metric_regex' is not a valid regular "
                              "expression: " +
                              e.what());
      }
    } else if (key == "metric_json") {
      job.metric_json = String(origin, v, key);
    } else if (key == "train") {
      job.train = ParseTrain(origin, v);
      train_node = v;
    } else if (key == "experiment") {
      job.experiment = String(origin, v, key);
    } else if (key == "warm_start") {
      if (v.IsScalar()) {
        job.warm_start.push_back(String(origin, v, key));
      } else if (v.IsSequence()) {
        for (const auto& item : v) job.warm_start.push_back(String(origin, item, key));
      } else {
        throw InvalidArgument(Where(origin, v) +
                              ": 'warm_start' is a job name or id, or a list of them");
      }
    } else if (key == "register") {
      if (v.IsScalar()) {
        job.register_name = String(origin, v, key);
      } else if (v.IsMap()) {
        CheckKeys(origin, v, kRegisterKeys, "in 'register'");
        if (!v["name"]) throw InvalidArgument(Where(origin, v) + ": 'register' needs 'name'");
        job.register_name = String(origin, v["name"], "name");
      } else {
        throw InvalidArgument(Where(origin, v) + ": 'register' is {name: MODEL_NAME}");
      }
      register_node = v;
    } else if (key == "timeout_seconds") {
      job.timeout_seconds = Number(origin, v, key);
      if (job.timeout_seconds <= 0) {
        throw InvalidArgument(Where(origin, v) + ": 'timeout_seconds' must be > 0");
      }
    }
  }
  if (!has_objective) {
    throw InvalidArgument(origin +
                          ": the tuning job needs 'objective: {metric: NAME, goal: "
                          "minimize|maximize}'");
  }
  if (!has_parameters) {
    throw InvalidArgument(origin + ": the tuning job needs 'parameters' (the search space)");
  }
  // A name taken from the file name obeys the rule of an explicit one.
  if (!root["name"] &&
      !std::all_of(job.name.begin(), job.name.end(), [](char c) { return NameChar(c); })) {
    throw InvalidArgument(origin + ": the job is named after its file, '" + Printable(job.name) +
                              "', and a name may hold letters, digits, '_', '-' and '.' only",
                          "give the job a 'name:', or rename the file");
  }
  // `tune show 2` means job id 2: a name of digits only could never be reached by name.
  if (!job.name.empty() &&
      std::all_of(job.name.begin(), job.name.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    throw InvalidArgument(origin + ": the job name '" + job.name +
                              "' is digits only, which `tune show` and `tune resume` read as "
                              "a job id",
                          "start the name with a letter (name: job-" + job.name + ")");
  }
  job.parameters = ToJson(parameters_node);
  try {
    job.space = SearchSpace::FromJson(job.parameters);
  } catch (const Error& e) {
    throw Error(
        e.code(),
        Where(origin, ParameterMark(parameters_node, e.what())) + ": in 'parameters': " + e.what(),
        e.hint());
  }
  if (job.train) {
    CheckTrainJob(origin, job, objective_node, train_node, register_node, has_goal);
    return job;
  }
  if (!has_goal) {
    throw InvalidArgument(Where(origin, objective_node) +
                          ": 'objective' needs 'goal' (minimize or maximize)");
  }
  if (!job.register_name.empty()) {
    throw InvalidArgument(Where(origin, register_node) +
                          ": 'register' needs a training job ('train:'); an external "
                          "command's trials make no mloop model");
  }
  if (job.command.empty()) {
    throw InvalidArgument(origin +
                          ": the tuning job needs 'train' (one of mloop's algorithms on a "
                          "dataset) or 'command' (a program run per trial, with {param} "
                          "placeholders)");
  }
  if (job.metric_regex.empty() == job.metric_json.empty()) {
    throw InvalidArgument(origin +
                          ": give exactly one of 'metric_regex' (a regular expression "
                          "whose first group is the value) and 'metric_json' (a key "
                          "of a JSON line of the output)");
  }
  std::vector<std::string> names;
  for (const auto& p : job.space.params()) names.push_back(p.name);
  for (const auto& n : CommandPlaceholders(job.command)) {
    if (!job.space.Find(n)) {
      throw InvalidArgument(Where(origin, command_node) + ": the command's placeholder {" + n +
                                "} names no parameter" + DidYouMean(n, names),
                            "parameters: " + Join(names, ", "));
    }
  }
  return job;
}

TuningJob LoadTuningJob(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InvalidArgument("'" + path.string() + "' is a directory, not a tuning job file",
                          "give the job's YAML file (docs/formats.md, \"Tuning jobs\")");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path, ec)) {
      // Often the name of a recorded job, given where its file belongs; a path or a name
      // ending in .yaml is a missing file.
      const std::string text = AsciiLower(path.string());
      const bool job_name = text.find('/') == std::string::npos && !text.ends_with(".yaml") &&
                            !text.ends_with(".yml");
      throw NotFound("no tuning job file '" + path.string() + "'",
                     job_name ? "`mloop tune FILE` runs a job's YAML file; a recorded job is "
                                "shown with `mloop tune show " +
                                    path.string() + "` and continued with `mloop tune resume " +
                                    path.string() + "`"
                              : "check the path (`mloop tune list` lists the recorded jobs)");
    }
    throw IoErrorFromErrno("cannot read", path.string());
  }
  std::stringstream ss;
  ss << in.rdbuf();
  std::filesystem::path dir = std::filesystem::absolute(path).parent_path();
  return ParseTuningJob(ss.str(), path.string(), dir);
}

nlohmann::json TuningJobToJson(const TuningJob& job) {
  nlohmann::json j;
  j["name"] = job.name;
  j["objective"] = {{"metric", job.metric},
                    {"goal", job.direction == Direction::kMinimize ? "minimize" : "maximize"}};
  j["strategy"] = job.strategy;
  j["strategy_options"] = job.strategy_options;
  j["pruner"] = {{"name", job.pruner}, {"options", job.pruner_options}};
  j["max_trials"] = job.stop.max_trials;
  if (job.stop.max_seconds > 0) j["max_seconds"] = job.stop.max_seconds;
  if (job.stop.target) j["target"] = *job.stop.target;
  if (job.stop.patience > 0) j["patience"] = job.stop.patience;
  j["seed"] = job.seed;
  j["parallel"] = job.parallel;
  j["parameters"] = job.parameters;
  if (job.train) {
    const TrainObjective& t = *job.train;
    nlohmann::json train = {
        {"data", t.data}, {"target", t.target}, {"algo", t.algorithm}, {"params", t.params}};
    if (!t.task.empty()) train["task"] = t.task;
    if (!t.split.empty()) train["split"] = t.split;
    if (!t.valid.empty()) train["valid"] = t.valid;
    if (t.cv_folds > 1) train["cv"] = t.cv_folds;
    if (!t.recipe.empty()) train["recipe"] = t.recipe;
    j["train"] = train;
  } else {
    j["command"] = job.command;
  }
  j["experiment"] = JobExperiment(job);
  if (!job.warm_start.empty()) j["warm_start"] = job.warm_start;
  if (!job.register_name.empty()) j["register"] = {{"name", job.register_name}};
  if (!job.metric_regex.empty()) j["metric_regex"] = job.metric_regex;
  if (!job.metric_json.empty()) j["metric_json"] = job.metric_json;
  if (job.timeout_seconds > 0) j["timeout_seconds"] = job.timeout_seconds;
  j["working_dir"] = job.working_dir.string();
  return j;
}

}  // namespace mloop::tune
