#include "mloop/store/sqlite/sqlite_metadata_store.h"

#include <filesystem>

#include "mloop/core/error.h"
#include "mloop/store/sqlite/migrations.h"

namespace mloop {

namespace {

constexpr int kVersionColumnCount = 15;  // the columns VersionFromRow reads
constexpr const char* kVersionColumns =
    "d.name, v.version, v.content_hash, v.snapshot_bytes, v.num_rows, v.num_columns, "
    "v.schema_json, v.source_uri, v.source_format, v.source_size, v.source_mtime_us, "
    "v.rejected_rows, v.options_json, v.created_at_us, v.import_key";

DatasetVersion VersionFromRow(sqlite::Statement& s) {
  DatasetVersion v;
  v.name = s.Text(0);
  v.version = s.Int(1);
  v.content_hash = s.Text(2);
  v.snapshot_bytes = s.Int(3);
  v.num_rows = s.Int(4);
  v.num_columns = s.Int(5);
  v.schema_json = s.Text(6);
  v.source_uri = s.Text(7);
  v.source_format = s.Text(8);
  v.source_size = s.Int(9);
  v.source_mtime_us = s.Int(10);
  v.rejected_rows = s.Int(11);
  v.options_json = s.Text(12);
  v.created_at_us = s.Int(13);
  v.import_key = s.Text(14);
  return v;
}

}  // namespace

int SqliteMetadataStore::LatestSchemaVersion() {
  return std::end(sqlite::kMigrations)[-1].version;
}

SqliteMetadataStore::SqliteMetadataStore(const std::string& path, bool create,
                                         int lock_timeout_ms) {
  if (!create && !std::filesystem::exists(path)) {
    throw NotFound("metadata store '" + path + "' does not exist");
  }
  db_ = std::make_unique<sqlite::Db>(path, create);
  sqlite3_busy_timeout(db_->handle(), lock_timeout_ms);
  if (!create) {
    // Another program's SQLite database is not taken over (WAL mode, mloop's tables).
    auto s = db_->Prepare(
        "SELECT count(*), coalesce(sum(name = 'schema_migrations'), 0) FROM sqlite_master "
        "WHERE type = 'table'");
    s.Step();
    if (s.Int(0) > 0 && s.Int(1) == 0) {
      throw FailedPrecondition(
          "'" + path + "' is a SQLite database but not an mloop metadata store",
          "point stores.metadata in mloop.yaml at mloop's database");
    }
  }
  db_->Exec("PRAGMA foreign_keys = ON");
  db_->Exec("PRAGMA journal_mode = WAL");
  db_->Exec("PRAGMA synchronous = NORMAL");
  Migrate();
}

void SqliteMetadataStore::Migrate() {
  db_->Exec(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
      "description TEXT NOT NULL, applied_at_us BIGINT NOT NULL)");
  // One write transaction for the check and every step: two processes opening a fresh store
  // at once apply each migration exactly once (the second waits, then finds nothing to do).
  sqlite::Transaction tx(*db_);
  const int current = SchemaVersion();
  const int latest = LatestSchemaVersion();
  if (current > latest) {
    throw FailedPrecondition("metadata store '" + db_->path() + "' has schema version " +
                                 std::to_string(current) + ", newer than this mloop knows (" +
                                 std::to_string(latest) + ")",
                             "upgrade mloop to open this workspace");
  }
  for (const auto& m : sqlite::kMigrations) {
    if (m.version <= current) continue;
    db_->Exec(m.sql);
    db_->Prepare(
           "INSERT INTO schema_migrations (version, description, applied_at_us) VALUES (?, ?, "
           "CAST(strftime('%s','now') AS INTEGER) * 1000000)")
        .Bind(1, int64_t{m.version})
        .Bind(2, m.description)
        .Step();
  }
  tx.Commit();
}

namespace {
constexpr const char* kRunColumns =
    "r.id, e.name, r.status, r.algorithm, r.task, r.params_json, r.tags_json, r.lineage_json, "
    "r.model_hash, r.host, r.pid, r.started_at_us, r.ended_at_us, r.error";
}  // namespace

RunRecord SqliteMetadataStore::RunFromRow(sqlite::Statement& s) {
  RunRecord r;
  r.id = s.Int(0);
  r.experiment = s.Text(1);
  if (!RunStatusFromName(s.Text(2), &r.status)) throw Corruption("run with an unknown status");
  r.algorithm = s.Text(3);
  r.task = s.Text(4);
  r.params_json = s.Text(5);
  r.tags_json = s.Text(6);
  r.lineage_json = s.Text(7);
  r.model_hash = s.Text(8);
  r.host = s.Text(9);
  r.pid = s.Int(10);
  r.started_at_us = s.Int(11);
  r.ended_at_us = s.Int(12);
  r.error = s.Text(13);
  auto m = db_->Prepare("SELECT key, value FROM run_metrics WHERE run_id = ? AND step = -1");
  m.Bind(1, r.id);
  while (m.Step()) r.metrics[m.Text(0)] = sqlite3_column_double(m.handle(), 1);
  return r;
}

int64_t SqliteMetadataStore::CreateRun(const RunRecord& run) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  int64_t experiment_id = 0;
  {
    auto s = db_->Prepare("SELECT id FROM experiments WHERE name = ?");
    s.Bind(1, run.experiment);
    if (s.Step()) experiment_id = s.Int(0);
  }
  if (experiment_id == 0) {
    db_->Prepare("INSERT INTO experiments (name, created_at_us) VALUES (?, ?)")
        .Bind(1, run.experiment)
        .Bind(2, run.started_at_us)
        .Step();
    experiment_id = sqlite3_last_insert_rowid(db_->handle());
  }
  db_->Prepare(
         "INSERT INTO runs (experiment_id, status, algorithm, task, params_json, tags_json, "
         "lineage_json, model_hash, host, pid, started_at_us, ended_at_us, error) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, 0, '')")
      .Bind(1, experiment_id)
      .Bind(2, RunStatusName(RunStatus::kRunning))
      .Bind(3, run.algorithm)
      .Bind(4, run.task)
      .Bind(5, run.params_json)
      .Bind(6, run.tags_json)
      .Bind(7, run.lineage_json)
      .Bind(8, run.host)
      .Bind(9, run.pid)
      .Bind(10, run.started_at_us)
      .Step();
  int64_t id = sqlite3_last_insert_rowid(db_->handle());
  tx.Commit();
  return id;
}

namespace {

// Upserts the metric values `each` yields (it calls its argument with key, step, value) in one
// transaction.
template <class Each>
void UpsertMetrics(sqlite::Db& db, int64_t run, const Each& each) {
  auto lock = db.Lock();
  sqlite::Transaction tx(db);
  auto s = db.Prepare(
      "INSERT INTO run_metrics (run_id, key, step, value) VALUES (?, ?, ?, ?) "
      "ON CONFLICT (run_id, key, step) DO UPDATE SET value = excluded.value");
  each([&](const std::string& key, int64_t step, double value) {
    s.Reset();
    s.Bind(1, run).Bind(2, key).Bind(3, step).BindDouble(4, value).Step();
  });
  tx.Commit();
}

}  // namespace

void SqliteMetadataStore::LogMetrics(int64_t run, int64_t step,
                                     const std::map<std::string, double>& values) {
  UpsertMetrics(*db_, run, [&](const auto& put) {
    for (const auto& [key, value] : values) put(key, step, value);
  });
}

void SqliteMetadataStore::LogMetricSeries(int64_t run, const std::string& key,
                                          const std::vector<std::pair<int64_t, double>>& points) {
  UpsertMetrics(*db_, run, [&](const auto& put) {
    for (const auto& [step, value] : points) put(key, step, value);
  });
}

void SqliteMetadataStore::EndRun(int64_t run, RunStatus to, int64_t ended_at_us,
                                 const std::string& model_hash, const std::string& error) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  RunStatus from;
  {
    auto s = db_->Prepare("SELECT status FROM runs WHERE id = ?");
    s.Bind(1, run);
    if (!s.Step()) throw NotFound("no run " + std::to_string(run));
    if (!RunStatusFromName(s.Text(0), &from)) throw Corruption("run with an unknown status");
  }
  if (!RunTransitionAllowed(from, to)) {
    throw FailedPrecondition("run " + std::to_string(run) + " cannot go from " +
                             std::string(RunStatusName(from)) + " to " +
                             std::string(RunStatusName(to)));
  }
  db_->Prepare(
         "UPDATE runs SET status = ?, ended_at_us = ?, model_hash = ?, error = ? "
         "WHERE id = ?")
      .Bind(1, RunStatusName(to))
      .Bind(2, ended_at_us)
      .Bind(3, model_hash)
      .Bind(4, error)
      .Bind(5, run)
      .Step();
  tx.Commit();
}

void SqliteMetadataStore::SetRunTask(int64_t run, const std::string& task) {
  auto lock = db_->Lock();
  db_->Prepare("UPDATE runs SET task = ? WHERE id = ?").Bind(1, task).Bind(2, run).Step();
}

void SqliteMetadataStore::SetRunLineage(int64_t run, const std::string& lineage_json) {
  auto lock = db_->Lock();
  db_->Prepare("UPDATE runs SET lineage_json = ? WHERE id = ?")
      .Bind(1, lineage_json)
      .Bind(2, run)
      .Step();
}

std::optional<RunRecord> SqliteMetadataStore::GetRun(int64_t id) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(std::string("SELECT ") + kRunColumns +
                        " FROM runs r JOIN experiments e ON e.id = r.experiment_id WHERE r.id = ?");
  s.Bind(1, id);
  if (!s.Step()) return std::nullopt;
  return RunFromRow(s);
}

std::vector<std::string> SqliteMetadataStore::ListExperiments() {
  auto lock = db_->Lock();
  std::vector<std::string> out;
  auto s = db_->Prepare("SELECT name FROM experiments ORDER BY name");
  while (s.Step()) out.push_back(s.Text(0));
  return out;
}

std::vector<RunRecord> SqliteMetadataStore::ListRuns(const std::string& experiment) {
  auto lock = db_->Lock();
  std::string sql = std::string("SELECT ") + kRunColumns +
                    " FROM runs r JOIN experiments e ON e.id = r.experiment_id";
  if (!experiment.empty()) sql += " WHERE e.name = ?";
  sql += " ORDER BY r.id DESC";
  auto s = db_->Prepare(sql);
  if (!experiment.empty()) s.Bind(1, experiment);
  std::vector<RunRecord> out;
  while (s.Step()) out.push_back(RunFromRow(s));
  return out;
}

std::vector<std::pair<int64_t, double>> SqliteMetadataStore::MetricHistory(int64_t run,
                                                                           const std::string& key) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(
      "SELECT step, value FROM run_metrics WHERE run_id = ? AND key = ? AND "
      "step >= 0 ORDER BY step");
  s.Bind(1, run).Bind(2, key);
  std::vector<std::pair<int64_t, double>> out;
  while (s.Step()) out.emplace_back(s.Int(0), sqlite3_column_double(s.handle(), 1));
  return out;
}

int SqliteMetadataStore::SchemaVersion() {
  auto lock = db_->Lock();
  auto s = db_->Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations");
  s.Step();
  return static_cast<int>(s.Int(0));
}

DatasetVersion SqliteMetadataStore::AddDatasetVersion(const DatasetVersion& v, bool* created) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  int64_t dataset_id = 0;
  {
    auto s = db_->Prepare("SELECT id FROM datasets WHERE name = ?");
    s.Bind(1, v.name);
    if (s.Step()) dataset_id = s.Int(0);
  }
  if (dataset_id == 0) {
    db_->Prepare("INSERT INTO datasets (name, created_at_us) VALUES (?, ?)")
        .Bind(1, v.name)
        .Bind(2, v.created_at_us)
        .Step();
    dataset_id = sqlite3_last_insert_rowid(db_->handle());
  } else {
    auto s = db_->Prepare(std::string("SELECT ") + kVersionColumns +
                          " FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id "
                          "WHERE v.dataset_id = ? AND v.content_hash = ?");
    s.Bind(1, dataset_id).Bind(2, v.content_hash);
    if (s.Step()) {
      *created = false;
      DatasetVersion found = VersionFromRow(s);
      // Imported again: the latest, unless it already is.
      db_->Prepare(
             "UPDATE dataset_versions SET latest_seq = (SELECT MAX(latest_seq) + 1 FROM "
             "dataset_versions WHERE dataset_id = ?1) WHERE dataset_id = ?1 AND version = ?2 AND "
             "latest_seq < (SELECT MAX(latest_seq) FROM dataset_versions WHERE dataset_id = ?1)")
          .Bind(1, dataset_id)
          .Bind(2, found.version)
          .Step();
      tx.Commit();
      return found;
    }
  }
  int64_t next = 1;
  {
    auto s = db_->Prepare(
        "SELECT COALESCE(MAX(version), 0) + 1 FROM dataset_versions "
        "WHERE dataset_id = ?");
    s.Bind(1, dataset_id);
    s.Step();
    next = s.Int(0);
  }
  db_->Prepare(
         "INSERT INTO dataset_versions (dataset_id, version, content_hash, snapshot_bytes, "
         "num_rows, num_columns, schema_json, source_uri, source_format, source_size, "
         "source_mtime_us, rejected_rows, options_json, created_at_us, import_key, latest_seq) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
         "(SELECT COALESCE(MAX(latest_seq), 0) + 1 FROM dataset_versions WHERE dataset_id = ?1))")
      .Bind(1, dataset_id)
      .Bind(2, next)
      .Bind(3, v.content_hash)
      .Bind(4, v.snapshot_bytes)
      .Bind(5, v.num_rows)
      .Bind(6, v.num_columns)
      .Bind(7, v.schema_json)
      .Bind(8, v.source_uri)
      .Bind(9, v.source_format)
      .Bind(10, v.source_size)
      .Bind(11, v.source_mtime_us)
      .Bind(12, v.rejected_rows)
      .Bind(13, v.options_json)
      .Bind(14, v.created_at_us)
      .Bind(15, v.import_key)
      .Step();
  tx.Commit();
  *created = true;
  DatasetVersion out = v;
  out.version = next;
  return out;
}

std::optional<DatasetVersion> SqliteMetadataStore::FindDatasetVersion(const std::string& name,
                                                                      int64_t version) {
  auto lock = db_->Lock();
  std::string sql = std::string("SELECT ") + kVersionColumns +
                    " FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id "
                    "WHERE d.name = ? ";
  sql += version > 0 ? "AND v.version = ?" : "ORDER BY v.latest_seq DESC LIMIT 1";
  auto s = db_->Prepare(sql);
  s.Bind(1, name);
  if (version > 0) s.Bind(2, version);
  if (!s.Step()) return std::nullopt;
  return VersionFromRow(s);
}

std::vector<DatasetVersion> SqliteMetadataStore::ListDatasetVersions(const std::string& name) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(std::string("SELECT ") + kVersionColumns +
                        " FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id "
                        "WHERE d.name = ? ORDER BY v.version");
  s.Bind(1, name);
  std::vector<DatasetVersion> out;
  while (s.Step()) out.push_back(VersionFromRow(s));
  return out;
}

std::vector<DatasetSummary> SqliteMetadataStore::ListDatasets() {
  auto lock = db_->Lock();
  auto s = db_->Prepare(std::string("SELECT ") + kVersionColumns +
                        ", (SELECT COUNT(*) FROM dataset_versions c WHERE c.dataset_id = d.id) "
                        "FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id "
                        "WHERE v.latest_seq = (SELECT MAX(latest_seq) FROM dataset_versions m "
                        "WHERE m.dataset_id = d.id) ORDER BY d.name");
  std::vector<DatasetSummary> out;
  while (s.Step()) {
    DatasetSummary d;
    d.latest = VersionFromRow(s);
    d.name = d.latest.name;
    d.versions = s.Int(kVersionColumnCount);
    out.push_back(std::move(d));
  }
  return out;
}

// ---- Profiles ----------------------------------------------------------------------------------

void SqliteMetadataStore::AddProfile(const ProfileRecord& p) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  int64_t version_id = 0;
  {
    auto s = db_->Prepare(
        "SELECT v.id FROM dataset_versions v JOIN datasets d ON d.id = v.dataset_id "
        "WHERE d.name = ? AND v.version = ?");
    s.Bind(1, p.dataset).Bind(2, p.version);
    if (s.Step()) version_id = s.Int(0);
  }
  if (version_id == 0) {
    throw NotFound("no dataset version " + p.dataset + "@" + std::to_string(p.version) +
                   " to attach a profile to");
  }
  db_->Prepare(
         "INSERT INTO dataset_profiles (dataset_version_id, target, profile_hash, created_at_us) "
         "VALUES (?, ?, ?, ?)")
      .Bind(1, version_id)
      .Bind(2, p.target)
      .Bind(3, p.profile_hash)
      .Bind(4, p.created_at_us)
      .Step();
  tx.Commit();
}

std::optional<ProfileRecord> SqliteMetadataStore::FindProfile(const std::string& dataset,
                                                              int64_t version,
                                                              const std::string& target) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(
      "SELECT d.name, v.version, p.target, p.profile_hash, p.created_at_us "
      "FROM dataset_profiles p JOIN dataset_versions v ON v.id = p.dataset_version_id "
      "JOIN datasets d ON d.id = v.dataset_id "
      "WHERE d.name = ? AND v.version = ? AND p.target = ? ORDER BY p.id DESC LIMIT 1");
  s.Bind(1, dataset).Bind(2, version).Bind(3, target);
  if (!s.Step()) return std::nullopt;
  ProfileRecord r;
  r.dataset = s.Text(0);
  r.version = s.Int(1);
  r.target = s.Text(2);
  r.profile_hash = s.Text(3);
  r.created_at_us = s.Int(4);
  return r;
}

}  // namespace mloop
