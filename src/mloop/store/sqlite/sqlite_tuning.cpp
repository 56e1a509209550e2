// The tuning-job part of SqliteMetadataStore.
#include "mloop/core/error.h"
#include "mloop/store/sqlite/sqlite_metadata_store.h"

namespace mloop {

namespace {

constexpr const char* kJobSelect =
    "SELECT id, name, status, spec_json, trials_json, summary_json, stop_reason, host, pid, "
    "started_at_us, ended_at_us, error FROM tuning_jobs ";

TuningJobRecord JobFromRow(sqlite::Statement& s) {
  TuningJobRecord j;
  j.id = s.Int(0);
  j.name = s.Text(1);
  if (!RunStatusFromName(s.Text(2), &j.status)) {
    throw Corruption("tuning job " + std::to_string(j.id) + " has an unknown status '" + s.Text(2) +
                     "'");
  }
  j.spec_json = s.Text(3);
  j.trials_json = s.Text(4);
  j.summary_json = s.Text(5);
  j.stop_reason = s.Text(6);
  j.host = s.Text(7);
  j.pid = s.Int(8);
  j.started_at_us = s.Int(9);
  j.ended_at_us = s.Int(10);
  j.error = s.Text(11);
  return j;
}

}  // namespace

RunStatus SqliteMetadataStore::TuningJobStatus(int64_t id) {
  auto s = db_->Prepare("SELECT status FROM tuning_jobs WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) throw NotFound("no tuning job " + std::to_string(id));
  RunStatus status;
  if (!RunStatusFromName(s.Text(0), &status)) {
    throw Corruption("tuning job " + std::to_string(id) + " has an unknown status");
  }
  return status;
}

int64_t SqliteMetadataStore::CreateTuningJob(const TuningJobRecord& job) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  db_->Prepare(
         "INSERT INTO tuning_jobs (name, status, spec_json, trials_json, summary_json, "
         "stop_reason, host, pid, started_at_us, ended_at_us, error) "
         "VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, 0, '')")
      .Bind(1, job.name)
      .Bind(2, RunStatusName(RunStatus::kRunning))
      .Bind(3, job.spec_json)
      .Bind(4, job.trials_json)
      .Bind(5, job.summary_json)
      .Bind(6, job.host)
      .Bind(7, job.pid)
      .Bind(8, job.started_at_us)
      .Step();
  const int64_t id = sqlite3_last_insert_rowid(db_->handle());
  tx.Commit();
  return id;
}

void SqliteMetadataStore::UpdateTuningJob(int64_t id, const std::string& trials_json,
                                          const std::string& summary_json) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  if (TuningJobStatus(id) != RunStatus::kRunning) {
    throw FailedPrecondition("tuning job " + std::to_string(id) + " has ended");
  }
  db_->Prepare("UPDATE tuning_jobs SET trials_json = ?, summary_json = ? WHERE id = ?")
      .Bind(1, trials_json)
      .Bind(2, summary_json)
      .Bind(3, id)
      .Step();
  tx.Commit();
}

void SqliteMetadataStore::EndTuningJob(int64_t id, RunStatus to, const std::string& trials_json,
                                       const std::string& summary_json,
                                       const std::string& stop_reason, int64_t ended_at_us,
                                       const std::string& error) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  const RunStatus from = TuningJobStatus(id);
  if (!RunTransitionAllowed(from, to)) {
    throw FailedPrecondition("tuning job " + std::to_string(id) + " cannot go from " +
                             std::string(RunStatusName(from)) + " to " +
                             std::string(RunStatusName(to)));
  }
  db_->Prepare(
         "UPDATE tuning_jobs SET status = ?, trials_json = ?, summary_json = ?, stop_reason = ?, "
         "ended_at_us = ?, error = ? WHERE id = ?")
      .Bind(1, RunStatusName(to))
      .Bind(2, trials_json)
      .Bind(3, summary_json)
      .Bind(4, stop_reason)
      .Bind(5, ended_at_us)
      .Bind(6, error)
      .Bind(7, id)
      .Step();
  tx.Commit();
}

std::optional<TuningJobRecord> SqliteMetadataStore::GetTuningJob(int64_t id) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(std::string(kJobSelect) + "WHERE id = ?");
  s.Bind(1, id);
  if (!s.Step()) return std::nullopt;
  return JobFromRow(s);
}

std::vector<TuningJobRecord> SqliteMetadataStore::ListTuningJobs(const std::string& name) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(std::string(kJobSelect) + (name.empty() ? "" : "WHERE name = ? ") +
                        "ORDER BY id DESC");
  if (!name.empty()) s.Bind(1, name);
  std::vector<TuningJobRecord> out;
  while (s.Step()) out.push_back(JobFromRow(s));
  return out;
}

}  // namespace mloop
