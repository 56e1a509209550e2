// MetadataStore on an SQLite file: WAL journal, foreign keys on, a busy timeout, numbered
// migrations recorded in schema_migrations.
#pragma once

#include <memory>
#include <string>

#include "mloop/store/metadata_store.h"
#include "mloop/store/sqlite/sqlite_db.h"

namespace mloop {

class SqliteMetadataStore : public MetadataStore {
 public:
  // Opens the database, applying pending migrations. Throws kFailedPrecondition when the file
  // was written by a newer mloop (a schema version this build does not know). A statement
  // waits up to `lock_timeout_ms` for another connection's write lock (kUnavailable after).
  SqliteMetadataStore(const std::string& path, bool create, int lock_timeout_ms = 10000);

  DatasetVersion AddDatasetVersion(const DatasetVersion& v, bool* created) override;
  std::optional<DatasetVersion> FindDatasetVersion(const std::string& name,
                                                   int64_t version) override;
  std::vector<DatasetVersion> ListDatasetVersions(const std::string& name) override;
  std::vector<DatasetSummary> ListDatasets() override;
  int64_t CreateRun(const RunRecord& run) override;
  void LogMetrics(int64_t run, int64_t step, const std::map<std::string, double>& values) override;
  void LogMetricSeries(int64_t run, const std::string& key,
                       const std::vector<std::pair<int64_t, double>>& points) override;
  void EndRun(int64_t run, RunStatus to, int64_t ended_at_us, const std::string& model_hash,
              const std::string& error) override;
  void SetRunTask(int64_t run, const std::string& task) override;
  void SetRunLineage(int64_t run, const std::string& lineage_json) override;
  std::optional<RunRecord> GetRun(int64_t id) override;
  std::vector<RunRecord> ListRuns(const std::string& experiment) override;
  std::vector<std::string> ListExperiments() override;
  std::vector<std::pair<int64_t, double>> MetricHistory(int64_t run,
                                                        const std::string& key) override;
  ModelVersionRecord RegisterModelVersion(const std::string& name, const std::string& model_hash,
                                          int64_t run_id, const std::string& description,
                                          const std::map<std::string, std::string>& tags,
                                          const std::string& actor, int64_t at_us) override;
  int UpdateModelVersion(const std::string& name, int64_t version, const ModelVersionChange& change,
                         const std::string& actor, int64_t at_us) override;
  std::optional<ModelVersionRecord> FindModelVersion(const std::string& name,
                                                     int64_t version) override;
  std::optional<ModelVersionRecord> FindModelAlias(const std::string& name,
                                                   const std::string& alias) override;
  std::vector<ModelVersionRecord> ListModelVersions(const std::string& name) override;
  bool SetModelAlias(const std::string& name, const std::string& alias, int64_t version,
                     const std::string& actor, int64_t at_us) override;
  void RemoveModelAlias(const std::string& name, const std::string& alias, const std::string& actor,
                        int64_t at_us) override;
  bool SetModelStatus(const std::string& name, int64_t version, const std::string& status,
                      const std::string& actor, int64_t at_us) override;
  void DeleteModelVersion(const std::string& name, int64_t version, const std::string& actor,
                          int64_t at_us) override;
  std::vector<ModelEvent> ModelHistory(const std::string& name) override;
  void AddProfile(const ProfileRecord& p) override;
  std::optional<ProfileRecord> FindProfile(const std::string& dataset, int64_t version,
                                           const std::string& target) override;
  int64_t CreateTuningJob(const TuningJobRecord& job) override;
  void UpdateTuningJob(int64_t id, const std::string& trials_json,
                       const std::string& summary_json) override;
  void EndTuningJob(int64_t id, RunStatus to, const std::string& trials_json,
                    const std::string& summary_json, const std::string& stop_reason,
                    int64_t ended_at_us, const std::string& error) override;
  std::optional<TuningJobRecord> GetTuningJob(int64_t id) override;
  std::vector<TuningJobRecord> ListTuningJobs(const std::string& name) override;
  int SchemaVersion() override;

  // The newest schema version this build knows.
  static int LatestSchemaVersion();

 private:
  void Migrate();
  RunRecord RunFromRow(sqlite::Statement& s);
  ModelVersionRecord ModelVersionFromRow(sqlite::Statement& s);
  RunStatus TuningJobStatus(int64_t id);     // kNotFound when there is no such job
  int64_t ModelId(const std::string& name);  // 0 when absent
  // Sets a version's tag; an empty value removes it.
  void SetTag(int64_t model_id, int64_t version, const std::string& key, const std::string& value);
  void AddEvent(int64_t model_id, int64_t version, const std::string& kind,
                const std::string& detail, const std::string& from, const std::string& to,
                const std::string& actor, int64_t at_us);
  std::unique_ptr<sqlite::Db> db_;
};

}  // namespace mloop
