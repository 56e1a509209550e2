// mloop tune FILE | tune resume JOB | tune show JOB | tune list: runs a tuning job (mloop's own
// training or an external command) with a Study, shows progress on a terminal, prints the
// trials and the best one. In a workspace the job and each trial (a run) are recorded.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/io/atomic_file.h"
#include "mloop/track/runs.h"
#include "mloop/tune/job.h"
#include "mloop/tune/objective.h"
#include "mloop/tune/recorded.h"
#include "mloop/tune/tune.h"
#include "mloop/tune/tune_report.h"

namespace mloop::cli {

namespace {

struct TuneArgs {
  std::string file;
  bool json = false;
  int parallel = 0;
  int max_trials = 0;
  std::optional<int> patience;
  std::optional<uint64_t> seed;
  std::vector<std::string> warm_start;
  std::string html;
  std::string job;  // show / resume
};

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

// The document of a job tuned without a workspace (nothing recorded): TuningJobDocument's
// shape, without ids and runs.
nlohmann::json UnrecordedDocument(const tune::TuningJob& job, const tune::Study& study,
                                  const tune::TuneOutcome& outcome) {
  nlohmann::json j;
  j["name"] = job.name;
  j["status"] = outcome.stop_reason == "interrupted" ? "killed" : "finished";
  j["objective"] = {
      {"metric", job.metric},
      {"goal", job.direction == tune::Direction::kMinimize ? "minimize" : "maximize"}};
  j["strategy"] = job.strategy;
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
  j["seconds"] = outcome.seconds;
  j["job"] = tune::TuningJobToJson(job);
  return j;
}

std::string ValueText(const nlohmann::json& v) {
  if (v.is_number_float()) return Num(v.get<double>());
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

// The trials table, the summary line and the best trial, from a job's document.
void PrintDocument(const nlohmann::json& doc) {
  const nlohmann::json& trials = doc["trials"];
  const std::string metric = tune::ObjectiveLabel(doc);
  std::vector<std::string> names;  // parameters: the space's order, else the trials'
  if (doc.contains("job") && doc["job"].contains("parameters")) {
    // A mapping of name -> spec, or a list of specs with their "name".
    const nlohmann::json& space = doc["job"]["parameters"];
    for (const auto& [key, spec] : space.items()) {
      if (space.is_object()) {
        names.push_back(key);
      } else if (spec.is_object() && spec.contains("name") && spec["name"].is_string()) {
        names.push_back(spec["name"].get<std::string>());
      }
    }
  }
  for (const auto& t : trials) {
    const nlohmann::json params = t.value("params", nlohmann::json::object());
    for (const auto& [name, v] : params.items()) {
      if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
    }
  }
  bool runs = false;
  for (const auto& t : trials) runs = runs || t.contains("run_id");
  std::vector<std::string> header = {"trial", "state", metric, "seconds"};
  if (runs) header.push_back("run");
  header.insert(header.end(), names.begin(), names.end());
  std::vector<std::vector<std::string>> rows;
  int complete = 0, pruned = 0, failed = 0, warm = 0;
  for (const auto& t : trials) {
    if (t.value("warm_start", false)) {
      ++warm;
      continue;  // counted apart, not listed: they belong to the earlier jobs
    }
    const std::string state = t.value("state", "");
    complete += state == "complete";
    pruned += state == "pruned";
    failed += state == "failed";
    std::vector<std::string> row = {
        std::to_string(t.value("number", 0)), state,
        t.contains("value") && t["value"].is_number() ? Num(t["value"].get<double>()) : "-",
        state == "running" ? "-" : Seconds(t.value("seconds", 0.0))};  // not known until it ends
    if (runs) row.push_back(t.contains("run_id") ? std::to_string(t["run_id"].get<int64_t>()) : "");
    const nlohmann::json params = t.value("params", nlohmann::json::object());
    for (const auto& n : names) {
      row.push_back(params.contains(n) ? ValueText(params[n]) : "-");  // "-": inactive
    }
    rows.push_back(std::move(row));
  }
  PrintTable(header, rows);
  std::cout << "\nTuning job " << doc.value("name", "");
  if (doc.contains("id")) std::cout << " (job " << doc["id"].get<int64_t>() << ")";
  std::cout << ": " << rows.size() << " trials (" << complete << " complete, " << pruned
            << " pruned, " << failed << " failed";
  if (warm > 0) std::cout << "; " << warm << " earlier trials as a warm start";
  if (doc.contains("noticed_dead")) {  // its process died unseen: no duration is known
    std::cout << "), its process ended before " << doc["noticed_dead"].get<std::string>();
  } else if (doc.value("status", "") == "running") {
    std::cout << "), running for " << HumanSeconds(doc.value("seconds", 0.0));
  } else {
    std::cout << ") in " << HumanSeconds(doc.value("seconds", 0.0));
  }
  std::cout << ", strategy " << doc.value("strategy", "");
  if (doc.value("status", "") != "running") {
    std::cout << "; stopped: " << doc.value("stop_reason", "");
  }
  std::cout << "\n";
  if (doc.contains("resumed_from")) {
    std::cout << "Resumed job " << doc["resumed_from"].get<int64_t>() << "\n";
  }
  if (doc.contains("error")) std::cout << "Error: " << doc["error"].get<std::string>() << "\n";
  int shown = 0;
  for (const auto& t : trials) {
    if (t.value("state", "") != "failed" || t.value("warm_start", false) || shown == 3) continue;
    if (shown++ == 0) std::cout << "Failed trials:\n";
    std::cout << "  trial " << t.value("number", 0) << ": " << t.value("error", "") << "\n";
  }
  const nlohmann::json& best = doc["best"];
  if (!best.is_null()) {
    std::cout << "Best: trial " << best["number"].get<int>() << ", " << metric << " = "
              << Num(best["value"].get<double>());
    if (best.contains("run_id")) std::cout << " (run " << best["run_id"].get<int64_t>() << ")";
    std::cout << "\n";
    for (const auto& [name, value] : best["params"].items()) {
      std::cout << "  " << name << " = " << ValueText(value) << "\n";
    }
  }
  if (doc.contains("registered")) {
    // A resumed job whose best is still a model registered before registers nothing new.
    std::cout << (doc["registered"].value("earlier", false) ? "The best model is registered as "
                                                            : "Registered ")
              << doc["registered"]["name"].get<std::string>() << "/"
              << doc["registered"]["version"].get<int64_t>()
              << (doc["registered"].value("earlier", false) ? " already" : "") << "\n";
  }
}

void WriteHtml(const std::string& path, const nlohmann::json& doc, bool announce) {
  const std::string html = tune::TuneReportHtml(doc);
  WriteFileAtomically(path, [&](std::ostream& out) { out << html; });
  if (announce) std::cerr << "wrote " << path << "\n";
}

// --html is none of the job's own files: the job file, its data, validation data or recipe.
void RefuseOverwritingJobFiles(const std::string& html, const tune::TuningJob& job) {
  if (html.empty()) return;
  RefuseOverwritingInput(html, job.origin, "--html");
  if (!job.train) return;
  for (const std::string* file : {&job.train->data, &job.train->valid, &job.train->recipe}) {
    if (!file->empty()) RefuseOverwritingInput(html, job.working_dir / *file, "--html");
  }
}

// Runs `job` (new, or resuming job `resume`), recorded when a workspace exists.
void RunJob(const GlobalOptions& global, const TuneArgs& a, tune::TuningJob job,
            std::optional<int64_t> resume) {
  IgnoreBrokenPipe();
  if (!a.html.empty()) CheckOutputPath(a.html, "--html");  // before hours of trials
  RefuseOverwritingJobFiles(a.html, job);
  if (a.parallel > 0) job.parallel = a.parallel;
  if (a.max_trials > 0) job.stop.max_trials = a.max_trials;
  if (a.patience) job.stop.patience = *a.patience;
  if (a.seed) job.seed = *a.seed;
  for (const auto& w : a.warm_start) job.warm_start.push_back(w);
  std::unique_ptr<Workspace> ws = job.train || resume || !job.warm_start.empty()
                                      ? OpenWorkspace(global)
                                      : OptionalWorkspace(global);
  // Again, now that the workspace's own files are known: --html into .mloop/ is refused now,
  // not after the trials.
  if (!a.html.empty()) CheckOutputPath(a.html, "--html");
  if (ws && !resume) {
    // The default experiment is named after the job: a name that fits alone may not fit there.
    if (job.experiment.empty() && tune::JobExperiment(job).size() > 128) {
      throw UsageError("the job name is " + std::to_string(job.name.size()) +
                           " characters long; its trials' experiment, tune-NAME, may be at "
                           "most 128",
                       "shorten 'name:', or set 'experiment:' in the job");
    }
    try {
      CheckExperimentName(*ws, tune::JobExperiment(job));
    } catch (const Error& e) {  // a mistake in the job file: named with it, exit 1
      throw InvalidArgument(job.origin + ": " + e.what(), e.hint());
    }
  }
  std::unique_ptr<tune::Study> study = tune::MakeStudy(job);
  const bool quiet = a.json;

  tune::RecordedTuneOptions options;
  options.parallel = job.parallel;
  options.resume = resume;
  tune::TrainData train_data;
  if (ws) {
    for (const auto& w : job.warm_start) {
      options.warm_start.push_back(tune::FindTuningJob(*ws, w).id);
    }
    if (job.train) {
      train_data = tune::LoadTrainData(
          *ws, job,
          [&](const std::string& file, const ImportRequest& request) {
            return ImportDataFile(*ws, file, request, !quiet);
          },
          resume);
      options.train_data = &train_data;
    }
  }

  const bool tty = isatty(2) == 1;
  bool drawn = false;
  options.on_progress = [&](const tune::TuneProgress& p) {
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
  InterruptGuard interrupt_guard;
  options.cancel = interrupt_guard.flag();
  auto restore = [&] {
    if (drawn) std::fprintf(stderr, "\r\033[K");
  };
  nlohmann::json doc;
  try {
    if (ws) {
      tune::RecordedTuneResult r = tune::RunRecordedTuningJob(*ws, job, *study, options);
      doc = tune::TuningJobDocument(*ws->metadata().GetTuningJob(r.job_id));
      if (r.skipped_warm_start > 0 && !quiet) {
        std::cerr << "warm start: left out " << r.skipped_warm_start
                  << " earlier trials that do not fit this search space\n";
      }
    } else {
      tune::TuneOutcome outcome =
          tune::RunTuningJob(*study, job.parallel, tune::CommandEvaluator(job), options.on_progress,
                             interrupt_guard.flag());
      doc = UnrecordedDocument(job, *study, outcome);
    }
  } catch (...) {
    restore();
    throw;
  }
  restore();

  if (a.json) {
    PrintJson(doc);
  } else {
    PrintDocument(doc);
    if (!ws) std::cout << "Not recorded: no workspace here (mloop init makes one)\n";
  }
  if (!a.html.empty()) WriteHtml(a.html, doc, !a.json);
  if (doc.value("stop_reason", "") == "interrupted") {
    throw FailedPrecondition("tuning job '" + job.name + "' was interrupted",
                             doc.contains("id") ? "go on with it: mloop tune resume " +
                                                      std::to_string(doc["id"].get<int64_t>())
                                                : "");
  }
  if (doc["best"].is_null()) {
    std::string first_error;
    for (const auto& t : doc["trials"]) {
      if (t.value("state", "") == "failed" && !t.value("warm_start", false)) {
        // Whole: a failed command's reason ends with its last lines of output.
        first_error = "trial " + std::to_string(t.value("number", 0)) + ": " + t.value("error", "");
        break;
      }
    }
    throw FailedPrecondition(
        "no trial of tuning job '" + job.name + "' completed" +
            (first_error.empty() ? "" : "; " + first_error),
        job.train ? "train once by hand (mloop train) with the same data and parameters"
        : first_error.find(": no value of ") == first_error.find(": ")
            ? "run the command by hand in " + job.working_dir.string() +
                  " and check that its output matches the metric pattern"
            : "run the command by hand in " + job.working_dir.string() + " and see why it failed");
  }
}

void RunTune(const GlobalOptions& global, const TuneArgs& a) {
  if (a.file.empty()) {
    throw UsageError("mloop tune needs a job file (or: tune show JOB, tune resume JOB, tune list)");
  }
  RunJob(global, a, tune::LoadTuningJob(a.file), std::nullopt);
}

// The job as it was recorded, to run more of it: its specification is a tuning job in JSON,
// which is also YAML.
void RunResume(const GlobalOptions& global, const TuneArgs& a) {
  auto ws = OpenWorkspace(global);
  tune::RecoverStaleTuningJobs(*ws);
  const TuningJobRecord record = tune::FindTuningJob(*ws, a.job);
  nlohmann::json spec = nlohmann::json::parse(record.spec_json);
  const std::filesystem::path dir = spec.value("working_dir", ".");
  spec.erase("working_dir");
  tune::TuningJob job = tune::ParseTuningJob(
      spec.dump(), "tuning job " + std::to_string(record.id) + " (" + record.name + ")", dir);
  job.name = record.name;
  // The values of the trials to come must compare with the recorded ones: same split, folds
  // and search.
  if (a.seed || !a.warm_start.empty()) {
    throw UsageError(std::string(a.seed ? "--seed" : "--warm-start") +
                         " changes a job; a resumed job keeps its own",
                     "to search with another seed or warm start, run the job file anew");
  }
  job.warm_start.clear();  // the earlier trials already include the seeds
  RunJob(global, a, std::move(job), record.id);
}

void RunShow(const GlobalOptions& global, const TuneArgs& a) {
  if (!a.html.empty()) CheckOutputPath(a.html, "--html");  // before the job is printed
  auto ws = OpenWorkspace(global);
  tune::RecoverStaleTuningJobs(*ws);
  const nlohmann::json doc = tune::TuningJobDocument(tune::FindTuningJob(*ws, a.job));
  if (a.json) {
    PrintJson(doc);
  } else {
    PrintDocument(doc);
  }
  if (!a.html.empty()) WriteHtml(a.html, doc, !a.json);
}

void RunList(const GlobalOptions& global, bool json) {
  auto ws = OpenWorkspace(global);
  tune::RecoverStaleTuningJobs(*ws);
  nlohmann::json out = nlohmann::json::array();
  std::vector<std::vector<std::string>> rows;
  for (const TuningJobRecord& r : ws->metadata().ListTuningJobs("")) {
    const nlohmann::json doc = tune::TuningJobDocument(r);
    const nlohmann::json& best = doc["best"];
    int count = 0;
    for (const auto& t : doc["trials"]) count += !t.value("warm_start", false);
    out.push_back({{"id", r.id},
                   {"name", r.name},
                   {"status", doc["status"]},
                   {"trials", count},
                   {"best", best.is_null() ? nlohmann::json(nullptr) : best["value"]},
                   {"metric", doc["objective"].value("metric", "")},
                   {"stop_reason", r.stop_reason},
                   {"started", doc["started"]}});
    rows.push_back({std::to_string(r.id), r.name, doc["status"].get<std::string>(),
                    std::to_string(count),
                    tune::ObjectiveLabel(doc) + " " +
                        (best.is_null() ? "-" : Num(best["value"].get<double>())),
                    r.stop_reason, doc["started"].get<std::string>()});
  }
  if (json) {
    PrintJson(out);
    return;
  }
  if (rows.empty()) {
    std::cout << "No tuning jobs. Run one: mloop tune JOB.yaml\n";
    return;
  }
  PrintTable({"id", "name", "status", "trials", "best", "stopped", "started"}, rows);
}

}  // namespace

void RegisterTune(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<TuneArgs>();
  auto* tune = app.add_subcommand(
      "tune", "Tune hyperparameters: run a tuning job (YAML; see docs/formats.md)");
  tune->add_option("FILE", a->file, "The tuning job (YAML)");
  tune->add_flag("--json", a->json, "Print the result as one JSON document");
  tune->add_option("--parallel", a->parallel, "Trials run at once (default: the job's, or 1)")
      ->check(CLI::Range(1, 1024));
  tune->add_option("--max-trials", a->max_trials, "Override the job's max_trials")
      ->check(CLI::Range(1, 1 << 30));
  tune->add_option("--seed", a->seed, "Override the job's seed")->check(SeedValidator());
  tune->add_option("--warm-start", a->warm_start,
                   "An earlier job (name or id) whose trials seed the search (repeatable)")
      ->allow_extra_args(false);
  tune->add_option("--html", a->html, "Also write the HTML report to this file");
  tune->footer(
      "Each trial trains one of mloop's algorithms (the job's train:) or runs the job's "
      "command with the parameters substituted and reads the objective from its output. In a "
      "workspace the job and each trial (a run, tagged tune.job) are recorded.\n"
      "  mloop tune show JOB      trials, best parameters, why it stopped\n"
      "  mloop tune resume JOB    go on with an interrupted (or finished) job\n"
      "  mloop tune list          the recorded jobs");
  tune->callback([&global, a, tune] {
    if (tune->get_subcommands().empty()) RunTune(global, *a);
  });

  auto* show = tune->add_subcommand("show", "Show a tuning job: trials, best trial, stop reason");
  show->add_option("JOB", a->job, "A job id, or a name (its newest job)")->required();
  show->add_flag("--json", a->json, "Print the job as one JSON document");
  show->add_option("--html", a->html, "Write the HTML report to this file");
  show->callback([&global, a] { RunShow(global, *a); });

  auto* resume = tune->add_subcommand(
      "resume", "Go on with a recorded tuning job (interrupted, or finished: with --max-trials)");
  resume->add_option("JOB", a->job, "A job id, or a name (its newest job)")->required();
  resume->add_flag("--json", a->json, "Print the result as one JSON document");
  resume->add_option("--parallel", a->parallel, "Trials run at once")->check(CLI::Range(1, 1024));
  resume
      ->add_option("--max-trials", a->max_trials,
                   "The job's new trial limit, earlier trials "
                   "included")
      ->check(CLI::Range(1, 1 << 30));
  resume
      ->add_option("--patience", a->patience,
                   "The job's new patience: trials without improvement before it stops (0: "
                   "no such rule)")
      ->check(CLI::Range(0, 1 << 30));
  resume->add_option("--html", a->html, "Also write the HTML report to this file");
  resume->callback([&global, a] { RunResume(global, *a); });

  auto* list = tune->add_subcommand("list", "List the recorded tuning jobs, newest first");
  list->add_flag("--json", a->json, "Print the list as JSON");
  list->callback([&global, a] { RunList(global, a->json); });
}

}  // namespace mloop::cli
