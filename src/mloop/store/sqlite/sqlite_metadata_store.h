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
  // was written by a newer mloop (a schema version this build does not know).
  SqliteMetadataStore(const std::string& path, bool create);

  DatasetVersion AddDatasetVersion(const DatasetVersion& v, bool* created) override;
  std::optional<DatasetVersion> FindDatasetVersion(const std::string& name,
                                                   int64_t version) override;
  std::vector<DatasetVersion> ListDatasetVersions(const std::string& name) override;
  std::vector<DatasetSummary> ListDatasets() override;
  int64_t CreateRun(const RunRecord& run) override;
  void LogMetrics(int64_t run, int64_t step, const std::map<std::string, double>& values) override;
  void EndRun(int64_t run, RunStatus to, int64_t ended_at_us, const std::string& model_hash,
              const std::string& error) override;
  std::optional<RunRecord> GetRun(int64_t id) override;
  std::vector<RunRecord> ListRuns(const std::string& experiment) override;
  std::vector<std::pair<int64_t, double>> MetricHistory(int64_t run,
                                                        const std::string& key) override;
  int SchemaVersion() override;

  // The newest schema version this build knows.
  static int LatestSchemaVersion();

 private:
  void Migrate();
  RunRecord RunFromRow(sqlite::Statement& s);
  std::unique_ptr<sqlite::Db> db_;
};

}  // namespace mloop
