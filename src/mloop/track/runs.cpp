#include "mloop/track/runs.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/core/strings.h"
#include "mloop/git_version.h"
#include "mloop/train/target.h"
#include "mloop/version.h"

namespace mloop {

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

bool ProcessAlive(int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

namespace {
constexpr std::string_view kDiedPrefix = "the process (pid ";
constexpr std::string_view kDiedMiddle = ") ended without finishing the ";
}  // namespace

std::string ProcessDiedError(int64_t pid, const std::string& what) {
  return std::string(kDiedPrefix) + std::to_string(pid) + std::string(kDiedMiddle) + what;
}

bool IsProcessDiedError(const std::string& error) {
  return error.starts_with(kDiedPrefix) && error.find(kDiedMiddle) != std::string::npos;
}

void CheckExperimentName(Workspace& ws, const std::string& name) {
  const std::vector<std::string> experiments = ws.metadata().ListExperiments();
  if (std::find(experiments.begin(), experiments.end(), name) != experiments.end()) return;
  if (!IsPlainName(name)) {
    throw UsageError("invalid experiment name '" + Printable(name, 80) + "'", kPlainNameRule);
  }
  for (const std::string& e : experiments) {
    if (AsciiLower(e) == AsciiLower(name)) {
      throw UsageError(
          "experiment '" + name + "' differs from the existing '" + e + "' only in case",
          "use '" + e + "', or a distinct name");
    }
  }
}

int RecoverStaleRuns(Workspace& ws) {
  int marked = 0;
  const std::string host = HostName();
  for (const RunRecord& r : ws.metadata().ListRuns("")) {
    if (r.status != RunStatus::kRunning || r.host != host) continue;
    if (ProcessAlive(r.pid)) continue;
    try {
      ws.metadata().EndRun(r.id, RunStatus::kFailed, ws.clock().NowMicros(), "",
                           ProcessDiedError(r.pid, "run"));
      ++marked;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kFailedPrecondition) throw;
      // Another process recovering at the same moment marked it first.
    }
  }
  return marked;
}

namespace {

// Runs `record` until it succeeds, retrying while the metadata store is busy (another process
// holds its write lock) for up to the command's patience: a run that trained for an hour is
// not lost to a lock held at the moment it is recorded. When the store stays busy, the error
// names the model, which is already saved.
template <class Record>
void RecordPatiently(const TrainCommand& cmd, const TrainOutcome& out, const Record& record) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(cmd.record_patience_seconds);
  for (bool told = false;; told = true) {
    try {
      record();
      return;
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kUnavailable) throw;
      if (std::chrono::steady_clock::now() >= deadline) {
        throw Error(ErrorCode::kUnavailable,
                    "run " + std::to_string(out.run_id) +
                        " trained and its model is saved (sha256:" + out.model_hash +
                        "), but the run could not be recorded: " + e.what(),
                    "the model is kept: register it with `mloop models register " + out.model_hash +
                        " --name NAME` once the store is free, or raise "
                        "stores.lock_timeout_seconds");
      }
      if (!told && cmd.on_notice) {
        cmd.on_notice("the metadata store is busy (another process holds it); waiting up to " +
                      std::to_string(static_cast<int64_t>(cmd.record_patience_seconds)) +
                      " s to record run " + std::to_string(out.run_id));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
}

}  // namespace

TrainOutcome TrainAndRecord(Workspace& ws, const TrainCommand& cmd) {
  RecoverStaleRuns(ws);
  TrainOutcome out;
  out.dataset = ResolveDataset(ws, cmd.data);
  std::optional<DatasetVersion> valid_version;
  if (cmd.valid) valid_version = ResolveDataset(ws, *cmd.valid);

  RunRecord run;
  run.experiment = cmd.experiment;
  run.algorithm = cmd.request.algorithm;
  run.task = cmd.request.task ? std::string(TaskName(*cmd.request.task)) : "auto";
  run.params_json = nlohmann::json(cmd.request.params).dump();
  run.tags_json = nlohmann::json(cmd.tags).dump();
  nlohmann::json lineage = {
      {"dataset",
       {{"name", out.dataset.name},
        {"version", out.dataset.version},
        {"hash", out.dataset.content_hash}}},
      {"target", cmd.request.target},
      // The validation dataset's resolved version (valid:NAME@V), not the reference as typed:
      // `--valid NAME` and `--valid FILE` of one version read alike in `runs compare`.
      // Clustering (no target) fits every row: no split.
      {"split", valid_version
                    ? "valid:" + valid_version->name + "@" + std::to_string(valid_version->version)
                : cmd.request.target.empty() ? "none"
                                             : cmd.request.split.ToString()},
      {"cv_folds", cmd.request.cv_folds},
      {"seed", cmd.request.seed},
      {"mloop_version", kVersion},
      {"git_commit", kGitCommit},
      {"host", HostName()}};
  if (cmd.request.recipe) {
    lineage["recipe"] = {{"steps", cmd.request.recipe->size()}};
    if (!cmd.recipe_file.empty()) {
      lineage["recipe"]["file"] =
          std::filesystem::absolute(cmd.recipe_file).lexically_normal().string();
      lineage["recipe"]["sha256"] = Sha256File(cmd.recipe_file);
    }
  }
  if (valid_version) {
    lineage["valid_dataset"] = {{"name", valid_version->name},
                                {"version", valid_version->version},
                                {"hash", valid_version->content_hash}};
  }
  run.lineage_json = lineage.dump();
  run.host = HostName();
  run.pid = ::getpid();
  run.started_at_us = ws.clock().NowMicros();
  out.run_id = ws.metadata().CreateRun(run);
  if (cmd.on_start) cmd.on_start(out.run_id);

  try {
    Table data, valid;
    if (!cmd.data_table) data = LoadDataset(ws, out.dataset);
    TrainRequest req = cmd.request;
    if (valid_version) {
      if (!cmd.valid_table) valid = LoadDataset(ws, *valid_version);
      req.valid = cmd.valid_table ? cmd.valid_table : &valid;
    }
    // The task the target implies, recorded now: a run that fails in training says what it was
    // (`--where 'task = binary'` finds it) rather than "auto". Training records the final one.
    if (!req.task && !req.target.empty()) {
      try {
        const Target target = InferTarget(cmd.data_table ? *cmd.data_table : data, req.target, {});
        ws.metadata().SetRunTask(out.run_id, std::string(TaskName(target.task)));
      } catch (const Error&) {
        // A target that cannot be one: Train says why.
      }
    }
    out.result = Train(cmd.data_table ? *cmd.data_table : data, req);
    if (cmd.check_result) {
      if (const std::string why = cmd.check_result(out.result); !why.empty()) {
        throw DataError(why);
      }
    }
    if (!cmd.valid) lineage["split"] = out.result.split.ToString();
    out.result.bundle.manifest["lineage"] = lineage;
    out.result.bundle.manifest["lineage"]["run_id"] = out.run_id;
    out.result.bundle.manifest["missing_values"] = MissingTokensOf(ws, out.dataset);
    out.model_hash = SaveBundle(out.result.bundle, ws.artifacts());
    std::map<std::string, double> final_metrics = out.result.metrics;
    for (const auto& [k, s] : out.result.cv) {
      final_metrics["cv_" + k + "_mean"] = s.mean;
      final_metrics["cv_" + k + "_std"] = s.std;
    }
    // Every write below may be repeated: metrics are upserted, and the run ends last.
    RecordPatiently(cmd, out, [&] {
      ws.metadata().SetRunTask(out.run_id, std::string(TaskName(out.result.task)));
      // The split as made: a regression's default "stratified" is random.
      ws.metadata().SetRunLineage(out.run_id, lineage.dump());
      // Per-iteration metrics, then the final ones (step -1) and the cross-validation summary.
      for (const IterationLog& log : out.result.history) {
        ws.metadata().LogMetrics(out.run_id, log.iteration, log.metrics);
      }
      ws.metadata().LogMetrics(out.run_id, -1, final_metrics);
      ws.metadata().EndRun(out.run_id, RunStatus::kFinished, ws.clock().NowMicros(), out.model_hash,
                           "");
    });
  } catch (const std::exception& e) {
    const bool stopped = dynamic_cast<const TrainingStopped*>(&e) != nullptr;
    try {
      ws.metadata().EndRun(out.run_id, stopped ? RunStatus::kKilled : RunStatus::kFailed,
                           ws.clock().NowMicros(), "", e.what());
    } catch (...) {
      // The original error matters more than a failure to record it.
    }
    throw;
  }
  return out;
}

}  // namespace mloop
