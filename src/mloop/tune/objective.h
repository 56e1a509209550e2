// Running trials of a tuning job's external program: one trial is the job's command with the
// trial's parameters substituted, run by /bin/sh -c in the job's directory, its output (stdout
// and stderr, one pipe) scraped for the objective. And the loop that drives a Study with such
// trials on N threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <vector>

#include "mloop/tune/job.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {

// How a shell command ended.
struct CommandRun {
  int exit_code = -1;  // when it exited
  int signal = 0;      // when a signal ended it
  bool timed_out = false;
  bool stopped = false;    // the line callback asked to stop it
  bool cancelled = false;  // *cancel became true
  double seconds = 0;
  std::vector<std::string> tail;  // the last lines of output (at most `tail_lines`)
};

// Runs `command` with /bin/sh -c in `cwd`, in its own process group, stdin from /dev/null,
// stdout and stderr into one pipe. `on_line` sees each line of output as it comes (without
// the newline); returning false kills the process group. After `timeout_seconds` (0: none) the
// process group is killed too, and when `cancel` (checked every 0.2 s) becomes true. Safe to
// call from several threads at once.
CommandRun RunShellCommand(const std::string& command, const std::filesystem::path& cwd,
                           double timeout_seconds,
                           const std::function<bool(const std::string&)>& on_line,
                           size_t tail_lines = 20, const std::atomic<bool>* cancel = nullptr);

// Reads metric values from output lines: with a regex, every match in a line (its first
// capture group, or the whole match without one); with a JSON key, every line that is a JSON
// object holding the key as a number (a dotted key "a.b" also finds a nested value).
class MetricScraper {
 public:
  MetricScraper(const std::string& regex, const std::string& json_key);
  // The values found in `line` (usually none or one). Text that matches but is not a number
  // is recorded as bad (see bad()).
  std::vector<double> Scrape(const std::string& line);
  const std::string& bad() const { return bad_; }

 private:
  std::optional<std::regex> regex_;
  std::string json_key_;
  std::string bad_;
};

// The result of one trial.
struct TrialResult {
  TrialState state = TrialState::kFailed;
  std::optional<double> value;  // complete: the last value; pruned: the last one reported
  std::map<int64_t, double> intermediate;
  double seconds = 0;
  std::string error;
  std::string command;  // as run (parameters substituted)
  int64_t run_id = 0;   // the tracked run of the trial, when it is recorded
};

// Evaluates one trial: `number` and `params` from Study::Ask; intermediate values go to
// `report` (true back: prune now); `cancel` becoming true asks it to stop ("interrupted").
// Called from several threads at once when trials run in parallel.
using TrialEvaluator =
    std::function<TrialResult(int number, const ParamValues& params,
                              const std::function<bool(int64_t step, double value)>& report,
                              const std::atomic<bool>* cancel)>;

// Runs one trial of `job` with `params`. Values before the last one found in the output are
// intermediate steps 0, 1, 2, ...; each is passed to `report` as soon as the next is seen, and
// when `report` returns true the trial is pruned: its process group is killed. A non-zero exit
// code, a signal, a timeout, or no value in the output make a failed trial whose error holds
// the reason and the last lines of output. `cancel` kills the trial (failed, "interrupted").
TrialResult RunCommandTrial(const TuningJob& job, const ParamValues& params,
                            const std::function<bool(int64_t step, double value)>& report = {},
                            const std::atomic<bool>* cancel = nullptr);

// A snapshot for progress lines, taken after each finished trial.
struct TuneProgress {
  int done = 0;  // finished trials (complete, pruned or failed), a resumed job's earlier ones too
  int max_trials = 0;
  int running = 0;
  std::optional<double> best;
  double elapsed = 0;
  std::optional<double> remaining;  // an estimate, seconds
};

struct TuneOutcome {
  std::string stop_reason;  // max_trials, max_seconds, target, patience
  double seconds = 0;
};

// Asks, evaluates and tells trials on `parallel` threads until a stop rule of `study` holds (or
// `cancel` becomes true: running trials are asked to stop, stop_reason "interrupted"). `study`
// is only touched under a lock held by this function; `on_change` is called under it after each
// Ask and each Tell (to save the trials), `on_progress` after each Tell.
TuneOutcome RunTuningJob(Study& study, int parallel, const TrialEvaluator& evaluate,
                         const std::function<void(const TuneProgress&)>& on_progress = {},
                         const std::atomic<bool>* cancel = nullptr,
                         const std::function<void()>& on_change = {});

// The evaluator of an external-command job: RunCommandTrial.
TrialEvaluator CommandEvaluator(const TuningJob& job);

// Makes a Study for `job`: its space, direction, sampler (strategy, seed, options), pruner and
// stop rules.
std::unique_ptr<Study> MakeStudy(const TuningJob& job);

// A trial as JSON: number, state, value, params, seconds, intermediate, error.
nlohmann::json TrialToJson(const Trial& t);

}  // namespace mloop::tune
