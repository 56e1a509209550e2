// Tracked training: every `mloop train` is a run in the metadata store, with its parameters,
// per-iteration and final metrics, status, times, the model it produced and its lineage
// (dataset name/version/hash, mloop version and git commit, seed, host).
#pragma once

#include <map>
#include <optional>
#include <string>

#include "mloop/data/datasets.h"
#include "mloop/model/trainer.h"
#include "mloop/store/workspace.h"

namespace mloop {

struct TrainCommand {
  DatasetRef data;
  std::optional<DatasetRef> valid;
  TrainRequest request;
  std::string experiment = "default";
  std::map<std::string, std::string> tags;
  // The tables of `data` and `valid` when the caller has them already (just imported); otherwise
  // their snapshots are read.
  const Table* data_table = nullptr;
  const Table* valid_table = nullptr;
  // Where request.recipe came from (recorded in the lineage with its SHA-256).
  std::string recipe_file;
  // Called once the run exists (its id), before training starts.
  std::function<void(int64_t)> on_start;
  // Called with the trained result before the model is saved: a non-empty answer fails the run
  // with it as the error (a tuning trial whose objective has no value).
  std::function<std::string(const TrainResult&)> check_result;
  // Once training is done, how long recording the run keeps retrying while another process
  // holds the metadata store (each attempt waits the store's lock timeout), and who is told
  // that it waits.
  double record_patience_seconds = 120;
  std::function<void(const std::string&)> on_notice;
};

struct TrainOutcome {
  int64_t run_id = 0;
  std::string model_hash;
  DatasetVersion dataset;
  TrainResult result;
};

// Trains and records the run. A failure marks the run failed (with the error) and rethrows; a
// TrainingStopped thrown by on_iteration marks it killed (and is rethrown too). The model is
// saved before the run's results are recorded: when the store stays busy beyond the patience,
// the error names the saved model so that the training is not lost.
TrainOutcome TrainAndRecord(Workspace& ws, const TrainCommand& command);

// Refuses (UsageError) a name for a new experiment that breaks the rule of model and dataset
// names, or that differs from an existing experiment's in case only (two would read as one).
// An existing experiment's name is accepted as it is (made before the rule).
void CheckExperimentName(Workspace& ws, const std::string& name);

// Marks as failed every `running` run whose process, on this host, no longer exists (a run
// killed midway). Returns how many were marked. Called before runs are started or listed.
int RecoverStaleRuns(Workspace& ws);

// The error recorded for a run or tuning job (`what`) whose process ended without finishing it,
// found by a later command; and whether `error` is one. Such a record's end time is when the
// death was noticed, not when it happened: a bound, not a duration.
std::string ProcessDiedError(int64_t pid, const std::string& what);
bool IsProcessDiedError(const std::string& error);

// This machine's host name.
std::string HostName();

// Whether process `pid` of this host still exists (one we may not signal counts as existing).
bool ProcessAlive(int64_t pid);

}  // namespace mloop
