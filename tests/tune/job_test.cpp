// Tuning jobs: parsing and its errors, command substitution and quoting, and running trials of
// an external command (metric scraping, timeouts, failures, pruning).
#include "mloop/tune/job.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "mloop/core/error.h"
#include "mloop/tune/objective.h"
#include "test_util.h"

namespace mloop::tune {
namespace {

using testing::TempDir;

const char* kBranin = R"(name: branin
objective: {metric: loss, goal: minimize}
strategy: bayesian
max_trials: 50
seed: 7
parameters:
  x1: {type: continuous, min: -5, max: 10}
  x2: {type: continuous, min: 0, max: 15}
command: ./branin {x1} {x2}
metric_regex: 'loss=([-+0-9.eE]+)'
)";

TuningJob Parse(const std::string& yaml, const std::filesystem::path& dir = "/tmp") {
  return ParseTuningJob(yaml, "job.yaml", dir);
}

std::string ErrorOf(const std::string& yaml) {
  try {
    Parse(yaml);
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(TuneJob, NamesOfDigitsOnlyAreRefused) {
  std::string yaml = kBranin;
  yaml.replace(yaml.find("name: branin"), 12, "name: \"2024\"");
  EXPECT_NE(ErrorOf(yaml).find("the job name '2024' is digits only"), std::string::npos)
      << ErrorOf(yaml);
  // A name from the file name follows the rule of an explicit name.
  yaml = kBranin;
  yaml.erase(yaml.find("name: branin"), 13);
  EXPECT_EQ(ParseTuningJob(yaml, "branin2.yaml", "/tmp").name, "branin2");
  try {
    ParseTuningJob(yaml, "my job.yaml", "/tmp");
    ADD_FAILURE() << "parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the job is named after its file, 'my job'"),
              std::string::npos)
        << e.what();
  }
  // patience 0 would turn the rule off silently: at least 1.
  EXPECT_NE(ErrorOf(std::string(kBranin) + "patience: 0\n").find("'patience' must be >= 1"),
            std::string::npos);
}

TEST(TuneJob, ParsesTheBraninExample) {
  TuningJob job = Parse(kBranin);
  EXPECT_EQ(job.name, "branin");
  EXPECT_EQ(job.metric, "loss");
  EXPECT_EQ(job.direction, Direction::kMinimize);
  EXPECT_EQ(job.strategy, "bayesian");
  EXPECT_EQ(job.stop.max_trials, 50);
  EXPECT_EQ(job.seed, 7u);
  EXPECT_EQ(job.parallel, 1);
  ASSERT_EQ(job.space.params().size(), 2u);
  EXPECT_EQ(job.space.params()[0].name, "x1");
  EXPECT_DOUBLE_EQ(job.space.params()[0].low, -5);
  EXPECT_DOUBLE_EQ(job.space.params()[1].high, 15);
  EXPECT_EQ(job.command, "./branin {x1} {x2}");
  EXPECT_EQ(job.metric_regex, "loss=([-+0-9.eE]+)");
  EXPECT_EQ(job.working_dir, std::filesystem::path("/tmp"));
}

// The list form keeps its order (the map form is taken in name order).
TEST(TuneJob, ParametersAsAListOfNamedMaps) {
  for (const char* list : {"parameters:\n"
                           "  - {name: x2, type: continuous, min: 0, max: 15}\n"
                           "  - {name: x1, type: continuous, min: -5, max: 10}\n",
                           "parameters:\n"
                           "  - name: x2\n"
                           "    min: 0\n"
                           "    max: 15\n"
                           "  - name: x1\n"
                           "    min: -5\n"
                           "    max: 10\n"}) {
    std::string yaml = kBranin;
    const size_t from = yaml.find("parameters:");
    const size_t to = yaml.find("command:");
    yaml.replace(from, to - from, list);
    TuningJob job = Parse(yaml);
    ASSERT_EQ(job.space.params().size(), 2u) << list;
    EXPECT_EQ(job.space.params()[0].name, "x2");
    EXPECT_DOUBLE_EQ(job.space.params()[1].low, -5);
  }
  std::string yaml = kBranin;
  const size_t from = yaml.find("parameters:");
  yaml.replace(from, yaml.find("command:") - from, "parameters: []\n");
  EXPECT_NE(ErrorOf(yaml).find("or a list of {name: NAME"), std::string::npos) << ErrorOf(yaml);
}

TEST(TuneJob, DefaultsAndEveryKey) {
  TuningJob d = Parse(
      "objective: {goal: maximize}\nparameters: {a: {type: integer, min: 1, max: 5}}\n"
      "command: echo {a}\nmetric_json: score\n");
  EXPECT_EQ(d.name, "job");  // the file's stem
  EXPECT_EQ(d.direction, Direction::kMaximize);
  EXPECT_EQ(d.strategy, "bayesian");
  EXPECT_EQ(d.stop.max_trials, 50);
  EXPECT_EQ(d.parallel, 1);
  EXPECT_EQ(d.pruner, "none");
  TuningJob j = Parse(R"(name: all
objective: {metric: auc, goal: maximize}
strategy: tpe
strategy_options: {n_startup_trials: 5}
pruner: {name: median, options: {n_warmup_steps: 2}}
max_trials: 10
max_seconds: 60
target: 0.99
patience: 4
seed: 3
parallel: 2
parameters:
  kernel: {type: categorical, values: [linear, rbf]}
command: "python3 train.py --kernel {kernel}"
metric_json: auc
timeout_seconds: 2.5
)");
  EXPECT_EQ(j.strategy, "tpe");
  EXPECT_EQ(j.strategy_options["n_startup_trials"], 5);
  EXPECT_EQ(j.pruner, "median");
  EXPECT_EQ(j.pruner_options["n_warmup_steps"], 2);
  EXPECT_DOUBLE_EQ(j.stop.max_seconds, 60);
  EXPECT_DOUBLE_EQ(*j.stop.target, 0.99);
  EXPECT_EQ(j.stop.patience, 4);
  EXPECT_EQ(j.parallel, 2);
  EXPECT_DOUBLE_EQ(j.timeout_seconds, 2.5);
  EXPECT_EQ(j.metric_json, "auc");
  EXPECT_EQ(Parse("objective: {goal: minimize}\npruner: asha\nparameters: {a: {type: continuous, "
                  "min: 0, max: 1}}\ncommand: echo {a}\nmetric_json: v\n")
                .pruner,
            "asha");
}

// A key given twice anywhere (a parameter, a bound, a fixed training parameter) is an error:
// yaml-cpp keeps both, and one of the two values would be silently ignored.
TEST(TuneJob, DuplicateKeysAnywhereAreErrors) {
  std::string e = ErrorOf(
      "objective: {goal: minimize}\nparameters:\n  x: {min: 0, max: 1}\n  x: {min: 0, max: 2}\n"
      "command: ./f {x}\nmetric_regex: 'v=(.*)'\n");
  EXPECT_NE(e.find("job.yaml:4:3: invalid YAML: duplicate key 'x'"), std::string::npos) << e;
  e = ErrorOf(
      "objective: {goal: minimize}\nparameters:\n  x: {type: integer, min: 2, max: 3, max: 8}\n"
      "command: ./f {x}\nmetric_regex: 'v=(.*)'\n");
  EXPECT_NE(e.find("duplicate key 'max'"), std::string::npos) << e;
  e = ErrorOf(
      "objective: {metric: roc_auc}\ntrain: {data: bc, target: y, params: {num_boost_round: 5, "
      "num_boost_round: 50}}\nparameters: {max_depth: {values: ['3']}}\n");
  EXPECT_NE(e.find("duplicate key 'num_boost_round'"), std::string::npos) << e;
}

TEST(TuneJob, ErrorsNameTheKeyAndTheNearest) {
  std::string e = ErrorOf(std::string(kBranin) + "max_trial: 3\n");
  EXPECT_NE(e.find("job.yaml:11:1"), std::string::npos) << e;
  EXPECT_NE(e.find("unknown key 'max_trial'"), std::string::npos) << e;
  EXPECT_NE(e.find("did you mean 'max_trials'"), std::string::npos) << e;
  e = ErrorOf("objective: {metric: loss, goal: minimise}\n");
  EXPECT_NE(e.find("did you mean 'minimize'"), std::string::npos) << e;
  e = ErrorOf("objective: {metrc: loss, goal: minimize}\n");
  EXPECT_NE(e.find("did you mean 'metric'"), std::string::npos) << e;
  e = ErrorOf(
      "objective: {goal: minimize}\nparameters: {x: {type: continuous, min: 0, max: 1}}\n"
      "command: ./f {x} {y}\nmetric_regex: 'v=(.*)'\n");
  EXPECT_NE(e.find("placeholder {y} names no parameter"), std::string::npos) << e;
  EXPECT_NE(e.find("job.yaml:3:10"), std::string::npos) << e;
  e = ErrorOf(
      "objective: {goal: minimize}\nparameters: {x: {type: continuous, min: 0, max: 1}}\n"
      "command: ./f {x}\n");
  EXPECT_NE(e.find("exactly one of 'metric_regex'"), std::string::npos) << e;
  e = ErrorOf(
      "objective: {goal: minimize}\nparameters: {x: {type: continuous, min: 0, max: 1}}\n"
      "command: ./f {x}\nmetric_regex: 'v=([0-9'\n");
  EXPECT_NE(e.find("not a valid regular expression"), std::string::npos) << e;
  e = ErrorOf(
      "objective: {goal: minimize}\nparameters: {x: {type: continuous, min: 0, max: 1}}\n"
      "metric_regex: 'v=(.*)'\n");
  EXPECT_NE(e.find("needs 'train' (one of mloop's algorithms on a dataset) or 'command'"),
            std::string::npos)
      << e;
  std::string branin = kBranin;
  e = ErrorOf(branin.replace(branin.find("strategy: bayesian"), 18, "strategy: bayes"));
  EXPECT_NE(e.find("job.yaml:3:11: unknown strategy 'bayes' (did you mean 'bayesian'?)"),
            std::string::npos)
      << e;
  e = ErrorOf("");
  EXPECT_NE(e.find("it needs 'objective', 'parameters', and 'train' or 'command'"),
            std::string::npos)
      << e;
  e = ErrorOf(std::string(kBranin) + "parallel: 0\n");
  EXPECT_NE(e.find("'parallel' must be >= 1"), std::string::npos) << e;
  e = ErrorOf(std::string(kBranin) + "parallel: 2000\n");  // refused, as --parallel 2000
  EXPECT_NE(e.find("'parallel' must be <= 1024, got 2000"), std::string::npos) << e;
  e = ErrorOf(std::string(kBranin) + "timeout_seconds: soon\n");
  EXPECT_NE(e.find("'timeout_seconds' must be a finite number"), std::string::npos) << e;
  e = ErrorOf("name: [a\n");
  EXPECT_NE(e.find("invalid YAML"), std::string::npos) << e;
  e = ErrorOf(
      "objective: {goal: minimize}\nparameters: {x: {type: continuos, min: 0, max: 1}}\n"
      "command: ./f {x}\nmetric_regex: 'v=(.*)'\n");
  // The position is the parameter's key that is wrong (its value), not the whole map's.
  EXPECT_NE(e.find("job.yaml:2:24: in 'parameters': parameter 'x': 'type'"), std::string::npos)
      << e;
  e = ErrorOf(
      "objective: {goal: minimize}\nparameters:\n  a: {min: 0, max: 1}\n  b: {min: 5, max: 2}\n"
      "command: ./f {a} {b}\nmetric_regex: 'v=(.*)'\n");
  EXPECT_NE(e.find("job.yaml:4:12: in 'parameters': parameter 'b': 'min' (5) is above 'max'"),
            std::string::npos)
      << e;
  e = ErrorOf(
      "objective: {goal: minimize}\nparameters:\n  - {name: a, min: 0, max: 1}\n"
      "  - {name: b, min: 0, max: 1, bogus: 1}\n"
      "command: ./f {a} {b}\nmetric_regex: 'v=(.*)'\n");
  EXPECT_NE(e.find("job.yaml:4:5: in 'parameters': parameter 'b': unknown key 'bogus'"),
            std::string::npos)
      << e;
  // Numbers are written without quotes; a quoted one is text, here as in the space's bounds.
  e = ErrorOf(std::string(kBranin) + "parallel: '3'\n");
  EXPECT_NE(e.find("'parallel' must be an integer, not the quoted text \"3\""), std::string::npos)
      << e;
  e = ErrorOf(std::string(kBranin) + "target: \"0.5\"\n");
  EXPECT_NE(e.find("'target' must be a number, not the quoted text \"0.5\""), std::string::npos)
      << e;
}

TEST(TuneJob, TrainingJobs) {
  const std::string yaml = R"(name: churn
objective: {metric: log_loss}
train:
  data: churn@2
  target: churned
  algo: xgboost
  params: {num_boost_round: 200, nthread: 2}
  split: time:signup:0.2
  recipe: recipe.yaml
parameters:
  max_depth: {type: integer, min: 2, max: 8}
experiment: churn-tuning
warm_start: [churn, 4]
register: {name: churn_model}
)";
  TuningJob job = ParseTuningJob(yaml, "job.yaml", "/jobs");
  ASSERT_TRUE(job.train);
  EXPECT_EQ(job.direction, Direction::kMinimize);  // log_loss is minimized
  EXPECT_EQ(job.train->data, "churn@2");
  EXPECT_EQ(job.train->target, "churned");
  EXPECT_EQ(job.train->params.at("num_boost_round"), "200");
  EXPECT_EQ(job.train->split, "time:signup:0.2");
  EXPECT_EQ(job.train->recipe, "recipe.yaml");
  EXPECT_EQ(JobExperiment(job), "churn-tuning");
  EXPECT_EQ(job.warm_start, (std::vector<std::string>{"churn", "4"}));
  EXPECT_EQ(job.register_name, "churn_model");
  // The JSON form parses back to the same job (how `tune resume` reads a recorded job).
  nlohmann::json j = TuningJobToJson(job);
  j.erase("working_dir");
  TuningJob again = ParseTuningJob(j.dump(), "recorded", "/jobs");
  EXPECT_EQ(TuningJobToJson(again).dump(), TuningJobToJson(job).dump());

  EXPECT_EQ(JobExperiment(ParseTuningJob(kBranin, "b.yaml", "/")), "tune-branin");
  // XGBoost's names of metrics, as quality gates take them.
  std::string auc = yaml;
  auc.replace(auc.find("{metric: log_loss}"), 18, "{metric: auc}");
  job = ParseTuningJob(auc, "job.yaml", "/jobs");
  EXPECT_EQ(job.metric, "roc_auc");
  EXPECT_EQ(job.direction, Direction::kMaximize);
  auto error_of = [&](const std::string& from, const std::string& to) {
    std::string text = yaml;
    text.replace(text.find(from), from.size(), to);
    return ErrorOf(text);
  };
  EXPECT_CONTAINS(error_of("  target: churned\n", ""), "'train' needs 'target'");
  EXPECT_CONTAINS(error_of("  algo: xgboost", "  alog: xgboost"), "did you mean 'algo'");
  EXPECT_CONTAINS(error_of("  split: time:signup:0.2", "  split: x\n  valid: v"),
                  "'split' or 'valid', not both");
  EXPECT_CONTAINS(error_of("{metric: log_loss}", "{metric: log_loss, goal: maximize}"),
                  "log_loss is minimized");
  EXPECT_CONTAINS(error_of("register: {name: churn_model}", "register: {nam: x}"),
                  "did you mean 'name'");
  EXPECT_CONTAINS(error_of("experiment: churn-tuning", "command: ./f\nmetric_regex: x"),
                  "'train' or 'command'");
  std::string cv = yaml;
  cv.replace(cv.find("  split: time:signup:0.2"), 24, "  cv: 5");
  EXPECT_CONTAINS(ErrorOf(cv + "pruner: median\n"), "pruning reads each boosting round");
  // A command job cannot register a model.
  EXPECT_CONTAINS(ErrorOf(std::string(kBranin) + "register: {name: m}\n"),
                  "'register' needs a training job");
}

TEST(TuneJob, ConvertsYamlToJson) {
  nlohmann::json j =
      YamlTextToJson("a: 1\nb: 1e-4\nc: '7'\nd: [x, 2.5, true, null]\ne: nan\nf: -3\ng: .inf\n");
  EXPECT_TRUE(j["a"].is_number_integer());
  EXPECT_DOUBLE_EQ(j["b"].get<double>(), 1e-4);
  EXPECT_EQ(j["c"], "7");
  EXPECT_EQ(j["d"], nlohmann::json::parse(R"(["x", 2.5, true, null])"));
  EXPECT_EQ(j["e"], "nan");
  EXPECT_EQ(j["f"], -3);
  EXPECT_TRUE(std::isinf(j["g"].get<double>()));
}

TEST(TuneJob, SubstitutesPlaceholdersShellQuoted) {
  EXPECT_EQ(ShellQuote("a b"), "'a b'");
  EXPECT_EQ(ShellQuote("it's"), "'it'\\''s'");
  EXPECT_EQ(CommandPlaceholders("./f {x} --y={y} {x} ${HOME} {{z}} awk '{print $1}'"),
            (std::vector<std::string>{"x", "y", "x"}));
  SearchSpace space = SearchSpace::FromJson(nlohmann::json::parse(
      R"({"x": {"type": "continuous", "min": 0, "max": 1},
          "kernel": {"type": "categorical", "values": ["it's", "rbf"]},
          "gamma": {"type": "continuous", "min": 1, "max": 2, "when": {"kernel": "rbf"}}})"));
  ParamValues values = {{"x", 0.5}, {"kernel", std::string("it's")}};
  EXPECT_EQ(SubstituteCommand("./f {x} {kernel} {gamma} ${HOME} {{x}}", space, values),
            "./f '0.5' 'it'\\''s' '' ${HOME} {x}");
  EXPECT_THROW(SubstituteCommand("./f {nope}", space, values), Error);
}

TuningJob CommandJob(const TempDir& dir, const std::string& command, const std::string& extra) {
  return ParseTuningJob(
      "objective: {metric: loss, goal: minimize}\n"
      "parameters: {x: {type: continuous, min: -10, max: 10}}\n"
      "command: " +
          nlohmann::json(command).dump() + "\n" + extra,
      "job.yaml", dir.path());
}

TEST(Objective, ScrapesTheLastRegexMatchAndIntermediateSteps) {
  TempDir dir;
  TuningJob job = CommandJob(
      dir, "echo 'step loss=5'; echo 'loss=4 noise' >&2; echo \"loss=$(echo {x})\"; echo bye",
      "metric_regex: 'loss=([-+0-9.eE]+)'\n");
  std::vector<std::pair<int64_t, double>> reported;
  TrialResult r = RunCommandTrial(job, {{"x", 1.25}}, [&](int64_t step, double v) {
    reported.emplace_back(step, v);
    return false;
  });
  EXPECT_EQ(r.state, TrialState::kComplete) << r.error;
  EXPECT_DOUBLE_EQ(*r.value, 1.25);
  EXPECT_EQ(r.intermediate, (std::map<int64_t, double>{{0, 5}, {1, 4}}));
  EXPECT_EQ(reported, (std::vector<std::pair<int64_t, double>>{{0, 5}, {1, 4}}));
  EXPECT_EQ(r.command,
            "echo 'step loss=5'; echo 'loss=4 noise' >&2; echo \"loss=$(echo '1.25')\"; echo bye");
}

TEST(Objective, RunsInTheJobDirectory) {
  TempDir dir;
  testing::WriteFile(dir / "value.txt", "loss=0.75\n");
  TuningJob job = CommandJob(dir, "cat value.txt # {x}", "metric_regex: 'loss=(.*)'\n");
  TrialResult r = RunCommandTrial(job, {{"x", 0.0}});
  EXPECT_EQ(r.state, TrialState::kComplete) << r.error;
  EXPECT_DOUBLE_EQ(*r.value, 0.75);
}

TEST(Objective, ScrapesTheLastJsonLine) {
  TempDir dir;
  TuningJob job = CommandJob(dir,
                             "echo '{\"loss\": 3, \"epoch\": 1}'; echo 'not json {'; "
                             "echo '{\"other\": 1}'; echo '{\"metrics\": {\"loss\": 9}, "
                             "\"loss\": {x}}'",
                             "metric_json: loss\n");
  TrialResult r = RunCommandTrial(job, {{"x", -2.5}});
  EXPECT_EQ(r.state, TrialState::kComplete) << r.error;
  EXPECT_DOUBLE_EQ(*r.value, -2.5);
  EXPECT_EQ(r.intermediate, (std::map<int64_t, double>{{0, 3}}));
  // Python's json.dumps writes NaN: the failure says why no value was found.
  MetricScraper nan("", "loss");
  EXPECT_TRUE(nan.Scrape(R"({"loss": NaN})").empty());
  EXPECT_NE(nan.bad().find("is not valid JSON (NaN"), std::string::npos) << nan.bad();
  // A dotted key finds a nested value.
  MetricScraper nested("", "metrics.val_loss");
  EXPECT_EQ(nested.Scrape(R"({"metrics": {"val_loss": 0.5}})"), std::vector<double>{0.5});
  EXPECT_TRUE(nested.Scrape("loss=1").empty());
  // Values read as a float64 field: no hex, no magnitude beyond a double; spaces and a \r
  // around are fine.
  MetricScraper regex("value=(\\S+)", "");
  EXPECT_EQ(regex.Scrape("value=2.5e-3\r"), std::vector<double>{2.5e-3});
  EXPECT_TRUE(regex.Scrape("value=0x1A").empty());
  EXPECT_NE(regex.bad().find("'0x1A' is not a number"), std::string::npos) << regex.bad();
  EXPECT_TRUE(regex.Scrape("value=1e400").empty());
}

TEST(Objective, FailsWithoutAValue) {
  TempDir dir;
  TuningJob job = CommandJob(dir, "echo nothing here {x}", "metric_regex: 'loss=(.*)'\n");
  TrialResult r = RunCommandTrial(job, {{"x", 0.0}});
  EXPECT_EQ(r.state, TrialState::kFailed);
  EXPECT_NE(r.error.find("no value of 'loss'"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("nothing here"), std::string::npos) << r.error;
  job = CommandJob(dir, "echo loss=abc {x}", "metric_regex: 'loss=(.*)'\n");
  r = RunCommandTrial(job, {{"x", 0.0}});
  EXPECT_EQ(r.state, TrialState::kFailed);
  EXPECT_NE(r.error.find("is not a number"), std::string::npos) << r.error;
}

TEST(Objective, AFailingCommandIsAFailedTrialWithItsLastLines) {
  TempDir dir;
  TuningJob job = CommandJob(dir, "echo loss=1; echo 'Traceback: boom' >&2; exit 3 # {x}",
                             "metric_regex: 'loss=(.*)'\n");
  TrialResult r = RunCommandTrial(job, {{"x", 0.0}});
  EXPECT_EQ(r.state, TrialState::kFailed);
  EXPECT_FALSE(r.value);
  EXPECT_NE(r.error.find("exit code 3"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("Traceback: boom"), std::string::npos) << r.error;
  job = CommandJob(dir, "./does-not-exist {x}", "metric_regex: 'loss=(.*)'\n");
  r = RunCommandTrial(job, {{"x", 0.0}});
  EXPECT_EQ(r.state, TrialState::kFailed);
  EXPECT_NE(r.error.find("exit code 127"), std::string::npos) << r.error;
}

TEST(Objective, ATimeoutKillsTheProcessGroup) {
  TempDir dir;
  // The background sleep holds the pipe too: the whole group must go.
  TuningJob job = CommandJob(dir, "echo loss=1; sleep 30 & sleep 30 # {x}",
                             "metric_regex: 'loss=(.*)'\ntimeout_seconds: 0.5\n");
  const auto start = std::chrono::steady_clock::now();
  TrialResult r = RunCommandTrial(job, {{"x", 0.0}});
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.state, TrialState::kFailed);
  EXPECT_NE(r.error.find("timed out after 0.5 s"), std::string::npos) << r.error;
  EXPECT_LT(seconds, 25);  // killed, not left to its 30 s sleep
}

TEST(Objective, APrunedTrialIsKilled) {
  TempDir dir;
  TuningJob job =
      CommandJob(dir, "for i in 1 2 3 4 5 6 7 8; do echo loss=$i; sleep 0.1; done; sleep 30 # {x}",
                 "metric_regex: 'loss=(.*)'\n");
  const auto start = std::chrono::steady_clock::now();
  TrialResult r =
      RunCommandTrial(job, {{"x", 0.0}}, [](int64_t step, double) { return step == 2; });
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(r.state, TrialState::kPruned);
  EXPECT_DOUBLE_EQ(*r.value, 3);
  EXPECT_EQ(r.intermediate.size(), 3u);
  EXPECT_LT(seconds, 25);  // killed, not left to its 30 s sleep
}

TEST(Objective, RunsAStudyInParallel) {
  TempDir dir;
  TuningJob job = CommandJob(dir, "awk 'BEGIN { print \"loss=\" ARGV[1] * ARGV[1] }' {x}",
                             "metric_regex: 'loss=([-+0-9.eE]+)'\nstrategy: random\n"
                             "max_trials: 8\nseed: 1\n");
  auto study = MakeStudy(job);
  int calls = 0;
  TuneOutcome outcome =
      RunTuningJob(*study, 3, CommandEvaluator(job), [&](const TuneProgress& p) { ++calls; });
  EXPECT_EQ(outcome.stop_reason, "max_trials");
  EXPECT_EQ(calls, 8);
  ASSERT_EQ(study->trials().size(), 8u);
  for (const auto& t : study->trials()) {
    ASSERT_EQ(t.state, TrialState::kComplete) << t.error;
    const double x = std::get<double>(t.params.at("x"));
    EXPECT_NEAR(*t.value, x * x, 1e-4 * (1 + x * x));
  }
  ASSERT_NE(study->Best(), nullptr);
}

TEST(Objective, CancellingStopsTheJob) {
  TempDir dir;
  TuningJob job =
      CommandJob(dir, "sleep 30; echo loss={x}", "metric_regex: 'loss=(.*)'\nstrategy: random\n");
  auto study = MakeStudy(job);
  std::atomic<bool> cancel{false};
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    cancel = true;
  });
  TuneOutcome outcome = RunTuningJob(*study, 2, CommandEvaluator(job), {}, &cancel);
  t.join();
  EXPECT_EQ(outcome.stop_reason, "interrupted");
  EXPECT_LT(outcome.seconds, 10);
  for (const auto& tr : study->trials()) EXPECT_EQ(tr.error, "interrupted");
}

}  // namespace
}  // namespace mloop::tune
