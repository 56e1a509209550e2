// Tuning jobs recorded in a workspace: the job is a TuningJobRecord in the metadata store
// (its trials saved as each one finishes, so an interrupted job can be resumed), and every trial
// is a run in experiment tracking, tagged tune.job and tune.trial. A trial trains one of mloop's
// algorithms (the job's `train:`) or runs the job's external command. The best trial's model
// can be registered.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "mloop/core/table.h"
#include "mloop/data/dataset_ref.h"
#include "mloop/data/datasets.h"
#include "mloop/store/workspace.h"
#include "mloop/tune/job.h"
#include "mloop/tune/objective.h"
#include "mloop/tune/tune.h"

namespace mloop::tune {

// The data of a training job, read once for all its trials.
struct TrainData {
  DatasetRef data;
  Table table;
  std::optional<DatasetRef> valid;
  Table valid_table;
  bool imported = false;  // `data` was a file, imported as a dataset now
};

// Reads the job's `train.data` (and `train.valid`): a data file (relative to the job's
// directory) is imported as a dataset named after the file; otherwise it is a dataset reference.
// `import` imports a file (`text` as the job gives it) under FileImportRequest's request, and may
// report it (the CLI's announcement and warnings); ImportFileRequest when empty. Resuming job
// `resume`, a dataset named without a version is the version its trials ran on, not the latest
// (which another import may have moved since).
using ImportFile =
    std::function<ImportResult(const std::string& text, const ImportRequest& request)>;
TrainData LoadTrainData(Workspace& ws, const TuningJob& job, const ImportFile& import = {},
                        std::optional<int64_t> resume = std::nullopt);

struct RecordedTuneOptions {
  int parallel = 1;
  // A job to resume (its trials count towards max_trials; trials it left unfinished are run
  // again) and jobs whose trials seed the sampler.
  std::optional<int64_t> resume;
  std::vector<int64_t> warm_start;
  const TrainData* train_data = nullptr;  // training jobs
  std::function<void(const TuneProgress&)> on_progress;
  const std::atomic<bool>* cancel = nullptr;
};

struct RecordedTuneResult {
  int64_t job_id = 0;
  TuneOutcome outcome;
  int warm_start_trials = 0;   // earlier trials given to the sampler
  int skipped_warm_start = 0;  // earlier trials left out: they do not fit this search space
  std::optional<ModelVersionRecord> registered;
};

// Runs `job` (built by MakeStudy) in `ws`, recording it. Errors that make every trial fail
// (a missing dataset, a bad recipe) are thrown before the job is recorded.
RecordedTuneResult RunRecordedTuningJob(Workspace& ws, const TuningJob& job, Study& study,
                                        const RecordedTuneOptions& options);

// A job by id ("12") or by name (its newest job). NotFound lists the names there are.
TuningJobRecord FindTuningJob(Workspace& ws, const std::string& ref);

// Marks as killed every running job of this host whose process no longer exists. Returns how
// many.
int RecoverStaleTuningJobs(Workspace& ws);

// The document `mloop tune show --json` prints and the HTML report reads: id, name, status,
// objective, strategy, best, trials (each with its run_id), stop_reason, seconds, started,
// ended, job (the specification), and the summary's keys.
nlohmann::json TuningJobDocument(const TuningJobRecord& record);

// How a job document's objective is named on screen and in reports: its metric, followed by
// " (mean of K CV folds)" when each trial's value is the mean of a K-fold cross-validation.
std::string ObjectiveLabel(const nlohmann::json& document);

// A trial of a saved document (TrialToJson's form; run_id ignored).
Trial TrialFromJson(const nlohmann::json& trial);

// Whether `params` are a valid point of `space`: exactly its active parameters, each of the
// right type and inside its range. Values are converted to the space's types on the way (a
// category saved as the number 3 becomes "3", an integer of a continuous parameter a double).
bool FitToSpace(const SearchSpace& space, ParamValues* params);

}  // namespace mloop::tune
