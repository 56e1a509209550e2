// mloop tune FILE [--json] [--parallel N] [--max-trials N] [--seed S]: runs a tuning job (an
// external command for now) with a Study, shows progress on a terminal, prints the trials and
// the best one, and saves the result under .mloop/tune/ when a workspace exists.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/io/atomic_file.h"
#include "mloop/tune/job.h"
#include "mloop/tune/objective.h"
#include "mloop/tune/tune.h"

namespace mloop::cli {

namespace {

struct TuneArgs {
  std::string file;
  bool json = false;
  int parallel = 0;
  int max_trials = 0;
  int64_t seed = -1;
};

std::atomic<bool> g_interrupted{false};

void OnInterrupt(int) {
  g_interrupted.store(true);
  // A second Ctrl-C ends mloop at once.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigaction(SIGINT, &dfl, nullptr);
  sigaction(SIGTERM, &dfl, nullptr);
}

std::string Num(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string Seconds(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", v);
  return buf;
}

std::string FirstLine(const std::string& s) {
  const size_t nl = s.find('\n');
  return nl == std::string::npos ? s : s.substr(0, nl);
}

// "20250102T030405Z"
std::string CompactUtcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::unique_ptr<Workspace> OptionalWorkspace(const GlobalOptions& global) {
  try {
    return OpenWorkspace(global);
  } catch (const Error& e) {
    // Tuning an external command needs no workspace; a named one must exist.
    if (e.code() != ErrorCode::kNotFound || !global.workspace.empty() ||
        std::getenv("MLOOP_WORKSPACE")) {
      throw;
    }
    return nullptr;
  }
}

nlohmann::json ResultJson(const tune::TuningJob& job, const tune::Study& study,
                          const tune::TuneOutcome& outcome) {
  nlohmann::json j;
  j["name"] = job.name;
  j["objective"] = {
      {"metric", job.metric},
      {"goal", job.direction == tune::Direction::kMinimize ? "minimize" : "maximize"}};
  if (const tune::Trial* best = study.Best()) {
    j["best"] = {{"number", best->number},
                 {"value", *best->value},
                 {"params", tune::ParamValuesToJson(best->params)}};
  } else {
    j["best"] = nullptr;
  }
  nlohmann::json trials = nlohmann::json::array();
  for (const auto& t : study.trials()) trials.push_back(tune::TrialToJson(t));
  j["trials"] = std::move(trials);
  j["stop_reason"] = outcome.stop_reason;
  j["strategy"] = job.strategy;
  j["seconds"] = outcome.seconds;
  return j;
}

void PrintHuman(const tune::TuningJob& job, const tune::Study& study,
                const tune::TuneOutcome& outcome) {
  const auto& trials = study.trials();
  int complete = 0, pruned = 0, failed = 0;
  for (const auto& t : trials) {
    complete += t.state == tune::TrialState::kComplete;
    pruned += t.state == tune::TrialState::kPruned;
    failed += t.state == tune::TrialState::kFailed;
  }
  std::vector<std::string> header = {"trial", "state", job.metric, "seconds"};
  for (const auto& p : study.space().params()) header.push_back(p.name);
  std::vector<std::vector<std::string>> rows;
  for (const auto& t : trials) {
    std::vector<std::string> row = {std::to_string(t.number),
                                    std::string(tune::TrialStateName(t.state)),
                                    t.value ? Num(*t.value) : "-", Seconds(t.seconds)};
    for (const auto& p : study.space().params()) {
      auto it = t.params.find(p.name);
      if (it == t.params.end()) {
        row.push_back("-");  // an inactive conditional parameter
      } else if (const double* d = std::get_if<double>(&it->second)) {
        row.push_back(Num(*d));  // short in the table; full precision under Best and in JSON
      } else {
        row.push_back(tune::ParamValueText(it->second));
      }
    }
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows);
  std::cout << "\n"
            << "Tuning job " << job.name << ": " << trials.size() << " trials (" << complete
            << " complete, " << pruned << " pruned, " << failed << " failed) in "
            << HumanSeconds(outcome.seconds) << ", strategy " << job.strategy
            << "; stopped: " << outcome.stop_reason << "\n";
  int shown = 0;
  for (const auto& t : trials) {
    if (t.state != tune::TrialState::kFailed || shown == 3) continue;
    if (shown++ == 0) std::cout << "Failed trials:\n";
    std::cout << "  trial " << t.number << ": " << t.error << "\n";
  }
  if (const tune::Trial* best = study.Best()) {
    std::cout << "Best: trial " << best->number << ", " << job.metric << " = " << Num(*best->value)
              << "\n";
    for (const auto& [name, value] : best->params) {
      std::cout << "  " << name << " = " << tune::ParamValueText(value) << "\n";
    }
  }
}

int RunTune(const GlobalOptions& global, const TuneArgs& a) {
  tune::TuningJob job = tune::LoadTuningJob(a.file);
  if (a.parallel > 0) job.parallel = a.parallel;
  if (a.max_trials > 0) job.stop.max_trials = a.max_trials;
  if (a.seed >= 0) job.seed = static_cast<uint64_t>(a.seed);
  std::unique_ptr<Workspace> ws = OptionalWorkspace(global);
  std::unique_ptr<tune::Study> study = tune::MakeStudy(job);

  const bool tty = isatty(2) == 1;
  bool drawn = false;
  auto on_progress = [&](const tune::TuneProgress& p) {
    if (!tty) return;
    std::string line = "tune " + job.name + ": " + std::to_string(p.done) + "/" +
                       std::to_string(p.max_trials) + " trials";
    if (p.best) line += ", best " + Num(*p.best);
    line += ", " + HumanSeconds(p.elapsed);
    if (p.remaining) line += ", ~" + HumanSeconds(*p.remaining) + " left";
    std::fprintf(stderr, "\r\033[K%s", line.c_str());
    std::fflush(stderr);
    drawn = true;
  };

  g_interrupted.store(false);
  struct sigaction on_int {
  }, old_int{}, old_term{};
  on_int.sa_handler = OnInterrupt;
  sigemptyset(&on_int.sa_mask);
  sigaction(SIGINT, &on_int, &old_int);
  sigaction(SIGTERM, &on_int, &old_term);
  tune::TuneOutcome outcome;
  try {
    outcome = tune::RunTuningJob(job, *study, job.parallel, on_progress, &g_interrupted);
  } catch (...) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    if (drawn) std::fprintf(stderr, "\r\033[K");
    throw;
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (drawn) std::fprintf(stderr, "\r\033[K");

  nlohmann::json result = ResultJson(job, *study, outcome);
  std::filesystem::path saved;
  if (ws) {
    const std::filesystem::path dir = ws->root() / ".mloop" / "tune";
    std::filesystem::create_directories(dir);
    const std::string stem = job.name + "-" + CompactUtcNow();
    saved = dir / (stem + ".json");
    for (int i = 2; std::filesystem::exists(saved); ++i) {
      saved = dir / (stem + "-" + std::to_string(i) + ".json");
    }
    nlohmann::json doc = result;
    doc["job"] = tune::TuningJobToJson(job);
    WriteFileAtomically(saved, [&](std::ostream& out) { out << doc.dump(2) << "\n"; });
  }
  if (a.json) {
    if (!saved.empty()) result["saved"] = saved.string();
    PrintJson(result);
  } else {
    PrintHuman(job, *study, outcome);
    if (!saved.empty()) std::cout << "Saved " << saved.string() << "\n";
  }
  if (!study->Best()) {
    std::string first_error;
    for (const auto& t : study->trials()) {
      if (t.state == tune::TrialState::kFailed) {
        first_error = "trial " + std::to_string(t.number) + ": " + FirstLine(t.error);
        break;
      }
    }
    throw FailedPrecondition("no trial of tuning job '" + job.name + "' completed" +
                                 (first_error.empty() ? "" : "; " + first_error),
                             "run the command by hand in " + job.working_dir.string() +
                                 " and check that its output matches the metric pattern");
  }
  return 0;
}

}  // namespace

void RegisterTune(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<TuneArgs>();
  auto* tune = app.add_subcommand(
      "tune", "Tune hyperparameters: run a tuning job (YAML; see docs/formats.md)");
  tune->add_option("FILE", a->file, "The tuning job (YAML)")->required();
  tune->add_flag("--json", a->json, "Print the result as one JSON document");
  tune->add_option("--parallel", a->parallel, "Trials run at once (default: the job's, or 1)")
      ->check(CLI::Range(1, 1024));
  tune->add_option("--max-trials", a->max_trials, "Override the job's max_trials")
      ->check(CLI::Range(1, 1 << 30));
  tune->add_option("--seed", a->seed, "Override the job's seed")->check(CLI::NonNegativeNumber);
  tune->footer(
      "The job runs its command once per trial with the parameters substituted and reads the "
      "objective from the output. Results are saved to .mloop/tune/NAME-TIME.json when a "
      "workspace exists.");
  tune->callback([&global, a] { RunTune(global, *a); });
}

}  // namespace mloop::cli
