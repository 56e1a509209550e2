// MetadataStore: the typed catalogue of everything mloop records (datasets and their versions
// now; runs, models and monitors in later stages). Implementations: SQLite (embedded). The SQL
// stays inside src/mloop/store/; callers see only these types.
//
// Contract for every backend:
// - each method is one transaction: it happens entirely or not at all;
// - safe to call from several threads of one process, and from several processes at once on
//   the same store (the writer waits for a lock
//   up to a timeout, then fails with kUnavailable);
// - opening checks the schema version: an older schema is migrated in numbered steps, a newer
//   one is refused with kFailedPrecondition.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mloop {

// A stored, immutable dataset version.
struct DatasetVersion {
  std::string name;
  int64_t version = 0;       // 1, 2, ...
  std::string content_hash;  // SHA-256 of the snapshot, also its artifact address
  int64_t snapshot_bytes = 0;
  int64_t num_rows = 0;
  int64_t num_columns = 0;
  std::string schema_json;  // [{"name":..,"type":..,"role":..}, ...]
  // Lineage: where the data came from.
  std::string source_uri;     // file path, or "sqlite:<db>?<query>"
  std::string source_format;  // csv, jsonl, sql
  int64_t source_size = 0;    // bytes
  int64_t source_mtime_us = 0;
  int64_t rejected_rows = 0;  // rows left out under --on-bad-rows skip
  std::string options_json;   // the read options used (types, delimiter, missing tokens, ...)
  int64_t created_at_us = 0;
  // A file import's key: a hash of the file's bytes and of the read options (data/datasets.cpp).
  // Importing the same bytes with the same options again gives this version without reading
  // the file. Empty for other sources.
  std::string import_key;
};

struct DatasetSummary {
  std::string name;
  int64_t versions = 0;
  DatasetVersion latest;
};

// A training run's life: running -> finished | failed | killed. No other move is allowed; the
// store refuses it (kFailedPrecondition).
enum class RunStatus { kRunning, kFinished, kFailed, kKilled };
std::string_view RunStatusName(RunStatus status);
bool RunStatusFromName(std::string_view name, RunStatus* out);
bool RunTransitionAllowed(RunStatus from, RunStatus to);

struct RunRecord {
  int64_t id = 0;
  std::string experiment;
  RunStatus status = RunStatus::kRunning;
  std::string algorithm;
  std::string task;
  std::string params_json = "{}";  // the parameters as given
  std::string tags_json = "{}";
  std::string lineage_json = "{}";  // dataset name/version/hash, mloop version, git, seed, host
  std::string model_hash;           // the model bundle's manifest, when finished
  std::string host;
  int64_t pid = 0;
  int64_t started_at_us = 0;
  int64_t ended_at_us = 0;                // 0 while running
  std::string error;                      // why a run failed
  std::map<std::string, double> metrics;  // final metrics
};

// Model registry. Approval status of a model version: PendingManualApproval (new), Approved,
// Rejected (as SageMaker's model registry).
struct ModelVersionRecord {
  std::string name;
  int64_t version = 0;
  std::string model_hash;  // the bundle's manifest address
  int64_t run_id = 0;      // 0 when the model came from outside (import)
  std::string status = "PendingManualApproval";
  std::string description;
  int64_t created_at_us = 0;
  std::vector<std::string> aliases;         // aliases pointing at this version
  std::map<std::string, std::string> tags;  // KEY=VALUE labels (team, ticket, dataset, ...)
};

// A change to a registered version's description and tags (`mloop models update`): each part
// only when given.
struct ModelVersionChange {
  std::optional<std::string> description;
  std::map<std::string, std::string> set_tags;
  std::vector<std::string> remove_tags;
};

// One entry of a registered model's append-only history.
struct ModelEvent {
  std::string name;
  int64_t version = 0;
  std::string kind;    // registered, alias, status, description, tag, deleted
  std::string detail;  // the alias name for alias events, the key for tag events
  std::string from;    // previous value ("" when none)
  std::string to;      // new value ("" when removed)
  std::string actor;
  int64_t at_us = 0;
};

// A data profile stored with a dataset version: the profile's JSON is an artifact.
struct ProfileRecord {
  std::string dataset;       // dataset name
  int64_t version = 0;       // dataset version
  std::string target;        // the target column it was computed against; "" for none
  std::string profile_hash;  // SHA-256 of the profile JSON, its artifact address
  int64_t created_at_us = 0;
};

// A hyperparameter tuning job (mloop tune): its specification, its trials as they finish, and
// why it stopped. The job's life is a run's: running -> finished | failed | killed (interrupted).
// Each trial is also a run, tagged with the job's id.
struct TuningJobRecord {
  int64_t id = 0;
  std::string name;
  RunStatus status = RunStatus::kRunning;
  std::string spec_json = "{}";    // the job as parsed (objective, space, strategy, limits)
  std::string trials_json = "[]";  // [{number, state, value, params, run_id, ...}]
  // {resumed_from, warm_start: [job ids], registered: {name, version}}, each when it applies
  std::string summary_json = "{}";
  std::string stop_reason;  // max_trials, max_seconds, target, patience, interrupted
  std::string host;
  int64_t pid = 0;
  int64_t started_at_us = 0;
  int64_t ended_at_us = 0;  // 0 while running
  std::string error;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Records a new version of `v.name` (v.version is ignored and assigned: one more than the
  // highest). When this dataset already has a version with the same content hash, no version is
  // written and that one is returned with *created = false. Either way the version becomes the
  // dataset's latest: the latest is the version last imported, so that importing the content
  // of an older version again (a file reverted) makes NAME mean that content.
  virtual DatasetVersion AddDatasetVersion(const DatasetVersion& v, bool* created) = 0;

  // The version `version` of dataset `name`, or its latest (last imported, see
  // AddDatasetVersion) when `version` is 0; nullopt when there is no such dataset or version.
  virtual std::optional<DatasetVersion> FindDatasetVersion(const std::string& name,
                                                           int64_t version) = 0;
  // Every version of `name`, oldest first (empty when the dataset does not exist).
  virtual std::vector<DatasetVersion> ListDatasetVersions(const std::string& name) = 0;
  // Every dataset with its latest version, by name.
  virtual std::vector<DatasetSummary> ListDatasets() = 0;

  // Starts a run (status running) in `run.experiment`, created if needed; returns its id.
  virtual int64_t CreateRun(const RunRecord& run) = 0;
  // Records metric values at `step` (an iteration); step -1 holds the final values.
  virtual void LogMetrics(int64_t run, int64_t step,
                          const std::map<std::string, double>& values) = 0;
  // Records one metric's values at many steps in one transaction (a tuning trial's curve of
  // 20,000 intermediate values: one LogMetrics call per step costs a commit each).
  virtual void LogMetricSeries(int64_t run, const std::string& key,
                               const std::vector<std::pair<int64_t, double>>& points) = 0;
  // Ends a run: `to` must be allowed from its status (kFailedPrecondition otherwise).
  virtual void EndRun(int64_t run, RunStatus to, int64_t ended_at_us, const std::string& model_hash,
                      const std::string& error) = 0;
  // Records the task once it is known (a run starts with the task as asked, possibly "auto").
  virtual void SetRunTask(int64_t run, const std::string& task) = 0;
  // Replaces the lineage once training settled what it recorded (the split it really made).
  virtual void SetRunLineage(int64_t run, const std::string& lineage_json) = 0;
  virtual std::optional<RunRecord> GetRun(int64_t id) = 0;
  // Runs newest first; all experiments when `experiment` is empty.
  virtual std::vector<RunRecord> ListRuns(const std::string& experiment) = 0;
  // The experiments' names (each made by its first run), in name order.
  virtual std::vector<std::string> ListExperiments() = 0;
  // One metric's values per step (step >= 0), in step order.
  virtual std::vector<std::pair<int64_t, double>> MetricHistory(int64_t run,
                                                                const std::string& key) = 0;

  // Registers `model_hash` as the next version of model `name` (created if needed), status
  // PendingManualApproval, and records a `registered` event and one `tag` event per tag.
  virtual ModelVersionRecord RegisterModelVersion(const std::string& name,
                                                  const std::string& model_hash, int64_t run_id,
                                                  const std::string& description,
                                                  const std::map<std::string, std::string>& tags,
                                                  const std::string& actor, int64_t at_us) = 0;
  // Applies `change` to version `version` of `name` in one transaction, recording a
  // `description` event and one `tag` event per tag whose value changes (from "" when new, to ""
  // when removed). Returns how many events it recorded (0: nothing was different). kNotFound,
  // with nothing applied, for a missing version or a removed tag the version does not have.
  virtual int UpdateModelVersion(const std::string& name, int64_t version,
                                 const ModelVersionChange& change, const std::string& actor,
                                 int64_t at_us) = 0;
  // Version `version` (> 0) of `name`; nullopt when absent or deleted.
  virtual std::optional<ModelVersionRecord> FindModelVersion(const std::string& name,
                                                             int64_t version) = 0;
  // The version `alias` points at; nullopt when the alias is not set.
  virtual std::optional<ModelVersionRecord> FindModelAlias(const std::string& name,
                                                           const std::string& alias) = 0;
  // Versions of `name` (every model when empty), by name then version; deleted ones left out.
  virtual std::vector<ModelVersionRecord> ListModelVersions(const std::string& name) = 0;
  // Points `alias` at `version` (one version per alias), recording the move. False, and nothing
  // recorded, when the alias already points there.
  virtual bool SetModelAlias(const std::string& name, const std::string& alias, int64_t version,
                             const std::string& actor, int64_t at_us) = 0;
  // Removes `alias` (kNotFound when it is not set), recording the removal.
  virtual void RemoveModelAlias(const std::string& name, const std::string& alias,
                                const std::string& actor, int64_t at_us) = 0;
  // Sets the approval status, recording the change. False, and nothing recorded, when the version
  // already has that status.
  virtual bool SetModelStatus(const std::string& name, int64_t version, const std::string& status,
                              const std::string& actor, int64_t at_us) = 0;
  // Deletes a version; kFailedPrecondition while an alias points at it.
  virtual void DeleteModelVersion(const std::string& name, int64_t version,
                                  const std::string& actor, int64_t at_us) = 0;
  // Every event of `name`, oldest first.
  virtual std::vector<ModelEvent> ModelHistory(const std::string& name) = 0;

  // Records a profile of dataset version (p.dataset, p.version), which must exist (kNotFound
  // otherwise). A version may have several profiles, also for the same target; the newest wins.
  virtual void AddProfile(const ProfileRecord& p) = 0;
  // The newest profile of dataset version (`dataset`, `version`) against `target` ("" = the
  // profile without a target); nullopt when there is none.
  virtual std::optional<ProfileRecord> FindProfile(const std::string& dataset, int64_t version,
                                                   const std::string& target) = 0;

  // Records a new tuning job (status running); returns its id.
  virtual int64_t CreateTuningJob(const TuningJobRecord& job) = 0;
  // Replaces a running job's trials and summary (kFailedPrecondition once it has ended).
  virtual void UpdateTuningJob(int64_t id, const std::string& trials_json,
                               const std::string& summary_json) = 0;
  // Ends a job: `to` must be allowed from its status, as for runs.
  virtual void EndTuningJob(int64_t id, RunStatus to, const std::string& trials_json,
                            const std::string& summary_json, const std::string& stop_reason,
                            int64_t ended_at_us, const std::string& error) = 0;
  virtual std::optional<TuningJobRecord> GetTuningJob(int64_t id) = 0;
  // Jobs named `name` (every job when empty), newest first.
  virtual std::vector<TuningJobRecord> ListTuningJobs(const std::string& name) = 0;

  // The schema version this store is at.
  virtual int SchemaVersion() = 0;
};

// Opens the store at `uri`: "sqlite:///abs/path.db" or a plain file path (SQLite). The database
// is created when `create` is true and it does not exist; otherwise a missing one is kNotFound.
// A write waits up to `lock_timeout_seconds` while another process holds the store, then fails
// with kUnavailable.
std::unique_ptr<MetadataStore> OpenMetadataStore(const std::string& uri, bool create,
                                                 double lock_timeout_seconds = 10);

}  // namespace mloop
