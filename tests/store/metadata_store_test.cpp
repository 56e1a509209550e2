#include "mloop/store/metadata_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "mloop/core/error.h"
#include "mloop/store/sqlite/migrations.h"
#include "mloop/store/sqlite/sqlite_metadata_store.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;

DatasetVersion Version(const std::string& name, const std::string& hash) {
  DatasetVersion v;
  v.name = name;
  v.content_hash = hash;
  v.num_rows = 10;
  v.num_columns = 2;
  v.schema_json = "[]";
  v.source_uri = "/data/x.csv";
  v.source_format = "csv";
  v.options_json = "{}";
  v.created_at_us = 1700000000000000;
  return v;
}

// The shared contract every MetadataStore backend must meet. (PostgreSQL joins in a later issue.)
class MetadataStoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenMetadataStore("sqlite://" + (dir_ / "m.db").string(), true);
  }
  TempDir dir_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(MetadataStoreContract, VersionsCountUpAndIdenticalContentIsReused) {
  bool created = false;
  auto v1 = store_->AddDatasetVersion(Version("a", "h1"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(v1.version, 1);
  auto v2 = store_->AddDatasetVersion(Version("a", "h2"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(store_->FindDatasetVersion("a", 0)->version, 2);
  auto again = store_->AddDatasetVersion(Version("a", "h1"), &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.version, 1);
  // The latest is the version last imported: `a` means the content imported again.
  EXPECT_EQ(store_->FindDatasetVersion("a", 0)->version, 1);
  EXPECT_EQ(store_->ListDatasets()[0].latest.version, 1);
  EXPECT_EQ(store_->ListDatasetVersions("a").size(), 2u);
  // A new content still gets the next number, and is the latest.
  EXPECT_EQ(store_->AddDatasetVersion(Version("a", "h3"), &created).version, 3);
  EXPECT_EQ(store_->FindDatasetVersion("a", 0)->version, 3);
  store_->AddDatasetVersion(Version("a", "h3"), &created);  // already the latest
  EXPECT_EQ(store_->FindDatasetVersion("a", 0)->version, 3);
  // The same content under another name is another dataset.
  auto b = store_->AddDatasetVersion(Version("b", "h1"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(b.version, 1);
}

TEST_F(MetadataStoreContract, FindListAndLatest) {
  bool created;
  store_->AddDatasetVersion(Version("a", "h1"), &created);
  store_->AddDatasetVersion(Version("a", "h2"), &created);
  store_->AddDatasetVersion(Version("b", "h3"), &created);
  EXPECT_EQ(store_->FindDatasetVersion("a", 0)->content_hash, "h2");
  EXPECT_EQ(store_->FindDatasetVersion("a", 1)->content_hash, "h1");
  EXPECT_FALSE(store_->FindDatasetVersion("a", 3));
  EXPECT_FALSE(store_->FindDatasetVersion("zzz", 0));
  EXPECT_EQ(store_->ListDatasetVersions("a").size(), 2u);
  auto all = store_->ListDatasets();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a");
  EXPECT_EQ(all[0].versions, 2);
  EXPECT_EQ(all[0].latest.version, 2);
  auto found = *store_->FindDatasetVersion("a", 1);
  EXPECT_EQ(found.source_uri, "/data/x.csv");
  EXPECT_EQ(found.created_at_us, 1700000000000000);
}

TEST_F(MetadataStoreContract, RunsFollowTheTransitionTable) {
  RunRecord run;
  run.experiment = "exp";
  run.algorithm = "xgboost";
  run.task = "binary";
  run.host = "h";
  run.pid = 1;
  run.started_at_us = 10;
  int64_t id = store_->CreateRun(run);
  store_->LogMetrics(id, 0, {{"train-logloss", 0.5}});
  store_->LogMetrics(id, 1, {{"train-logloss", 0.4}});
  store_->LogMetrics(id, -1, {{"roc_auc", 0.9}});
  store_->LogMetrics(id, -1, {{"roc_auc", 0.91}});  // the last value wins
  auto got = store_->GetRun(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, RunStatus::kRunning);
  EXPECT_EQ(got->metrics.at("roc_auc"), 0.91);
  EXPECT_EQ(store_->MetricHistory(id, "train-logloss").size(), 2u);
  store_->LogMetricSeries(id, "loss", {{0, 3.0}, {5, 2.0}, {7, 1.5}});
  store_->LogMetricSeries(id, "loss", {{7, 1.25}});  // the last value wins
  EXPECT_EQ(store_->MetricHistory(id, "loss"),
            (std::vector<std::pair<int64_t, double>>{{0, 3.0}, {5, 2.0}, {7, 1.25}}));
  store_->EndRun(id, RunStatus::kFinished, 20, "abc", "");
  EXPECT_EQ(store_->GetRun(id)->status, RunStatus::kFinished);
  // Once ended, a run never changes status again.
  for (RunStatus to : {RunStatus::kRunning, RunStatus::kFailed, RunStatus::kKilled}) {
    EXPECT_THROW(store_->EndRun(id, to, 30, "", ""), Error);
  }
  store_->SetRunTask(id, "binary");
  EXPECT_EQ(store_->GetRun(id)->task, "binary");
  EXPECT_EQ(store_->ListRuns("exp").size(), 1u);
  EXPECT_TRUE(store_->ListRuns("other").empty());
}

TEST_F(MetadataStoreContract, RegistryAliasesStatusAndHistory) {
  auto v1 = store_->RegisterModelVersion("churn", "h1", 1, "first", {}, "ann", 100);
  auto v2 = store_->RegisterModelVersion("churn", "h2", 2, "", {}, "ann", 200);
  EXPECT_EQ(v1.version, 1);
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.status, "PendingManualApproval");
  EXPECT_TRUE(store_->SetModelAlias("churn", "production", 1, "bob", 300));
  EXPECT_TRUE(store_->SetModelAlias("churn", "production", 2, "bob", 400));  // one per alias
  EXPECT_EQ(store_->FindModelAlias("churn", "production")->version, 2);
  EXPECT_TRUE(store_->FindModelVersion("churn", 1)->aliases.empty());
  EXPECT_THROW(store_->SetModelAlias("churn", "x", 9, "bob", 1), Error);
  EXPECT_TRUE(store_->SetModelStatus("churn", 2, "Approved", "cid", 500));
  EXPECT_EQ(store_->FindModelVersion("churn", 2)->status, "Approved");
  // Setting what is already so changes nothing and records nothing.
  EXPECT_FALSE(store_->SetModelStatus("churn", 2, "Approved", "cid", 510));
  EXPECT_FALSE(store_->SetModelAlias("churn", "production", 2, "bob", 520));
  // A version with an alias cannot be deleted; without, it can.
  EXPECT_THROW(store_->DeleteModelVersion("churn", 2, "x", 600), Error);
  store_->DeleteModelVersion("churn", 1, "x", 600);
  EXPECT_FALSE(store_->FindModelVersion("churn", 1));
  EXPECT_EQ(store_->ListModelVersions("churn").size(), 1u);
  auto history = store_->ModelHistory("churn");
  ASSERT_EQ(history.size(), 6u);
  EXPECT_EQ(history[3].kind, "alias");
  EXPECT_EQ(history[3].from, "1");
  EXPECT_EQ(history[3].to, "2");
  EXPECT_EQ(history[3].actor, "bob");
  EXPECT_EQ(history[4].from, "PendingManualApproval");
  EXPECT_EQ(history[5].kind, "deleted");
  // Removing the alias frees the version for deletion, and is recorded.
  EXPECT_THROW(store_->RemoveModelAlias("churn", "staging", "x", 650), Error);
  store_->RemoveModelAlias("churn", "production", "x", 650);
  EXPECT_FALSE(store_->FindModelAlias("churn", "production"));
  store_->DeleteModelVersion("churn", 2, "x", 660);
  EXPECT_EQ(store_->ModelHistory("churn")[6].to, "");
  // Version numbers are never reused.
  EXPECT_EQ(store_->RegisterModelVersion("churn", "h3", 0, "", {}, "x", 700).version, 3);
  // A writer that read the clock before waiting for the lock (690, after an event at 700) is
  // stamped no earlier than the event it follows: the history never goes back in time.
  EXPECT_TRUE(store_->SetModelAlias("churn", "staging", 3, "late", 690));
  history = store_->ModelHistory("churn");
  EXPECT_EQ(history.back().actor, "late");
  EXPECT_EQ(history.back().at_us, 700);
  for (size_t i = 1; i < history.size(); ++i) EXPECT_GE(history[i].at_us, history[i - 1].at_us);
}

TEST_F(MetadataStoreContract, VersionDescriptionsAndTagsChangeOnRecord) {
  auto v = store_->RegisterModelVersion("churn", "h1", 1, "first", {{"team", "ml"}}, "ann", 100);
  EXPECT_EQ(v.tags, (std::map<std::string, std::string>{{"team", "ml"}}));
  EXPECT_EQ(store_->FindModelVersion("churn", 1)->tags, v.tags);
  ModelVersionChange change;
  change.description = "retrained";
  change.set_tags = {{"team", "risk"}, {"ticket", "ML-7"}};
  EXPECT_EQ(store_->UpdateModelVersion("churn", 1, change, "bob", 200), 3);
  auto now = store_->FindModelVersion("churn", 1);
  EXPECT_EQ(now->description, "retrained");
  EXPECT_EQ(now->tags, (std::map<std::string, std::string>{{"team", "risk"}, {"ticket", "ML-7"}}));
  // The same change again records nothing.
  EXPECT_EQ(store_->UpdateModelVersion("churn", 1, change, "bob", 250), 0);
  // Removing a tag the version does not have applies nothing, not even the rest of the change.
  ModelVersionChange bad;
  bad.description = "never";
  bad.remove_tags = {"nope"};
  EXPECT_THROW(store_->UpdateModelVersion("churn", 1, bad, "bob", 260), Error);
  EXPECT_EQ(store_->FindModelVersion("churn", 1)->description, "retrained");
  EXPECT_THROW(store_->UpdateModelVersion("churn", 9, change, "bob", 260), Error);
  ModelVersionChange untag;
  untag.remove_tags = {"ticket"};
  EXPECT_EQ(store_->UpdateModelVersion("churn", 1, untag, "cid", 300), 1);
  EXPECT_EQ(store_->FindModelVersion("churn", 1)->tags.count("ticket"), 0u);
  // Tags belong to one version: a new version starts with its own.
  EXPECT_TRUE(store_->RegisterModelVersion("churn", "h2", 2, "", {}, "ann", 400).tags.empty());
  EXPECT_TRUE(store_->FindModelVersion("churn", 2)->tags.empty());
  const auto history = store_->ModelHistory("churn");
  ASSERT_EQ(history.size(), 7u);  // registered, tag; description, tag, tag; tag; registered
  EXPECT_EQ(history[1].kind, "tag");
  EXPECT_EQ(history[1].detail, "team");
  EXPECT_EQ(history[1].to, "ml");
  EXPECT_EQ(history[2].kind, "description");
  EXPECT_EQ(history[2].from, "first");
  EXPECT_EQ(history[2].to, "retrained");
  EXPECT_EQ(history[3].from, "ml");  // team: ml -> risk
  EXPECT_EQ(history[3].to, "risk");
  EXPECT_EQ(history[5].detail, "ticket");
  EXPECT_EQ(history[5].from, "ML-7");
  EXPECT_EQ(history[5].to, "");
  EXPECT_EQ(history[5].actor, "cid");
}

TEST_F(MetadataStoreContract, ProfilesBelongToDatasetVersionsAndTheNewestWins) {
  bool created;
  store_->AddDatasetVersion(Version("a", "h1"), &created);
  store_->AddDatasetVersion(Version("a", "h2"), &created);
  EXPECT_FALSE(store_->FindProfile("a", 1, ""));
  ProfileRecord p{"a", 1, "", "p1", 100};
  store_->AddProfile(p);
  store_->AddProfile({"a", 1, "label", "p2", 200});
  store_->AddProfile({"a", 2, "", "p3", 300});
  auto found = store_->FindProfile("a", 1, "");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->dataset, "a");
  EXPECT_EQ(found->version, 1);
  EXPECT_EQ(found->target, "");
  EXPECT_EQ(found->profile_hash, "p1");
  EXPECT_EQ(found->created_at_us, 100);
  EXPECT_EQ(store_->FindProfile("a", 1, "label")->profile_hash, "p2");
  EXPECT_EQ(store_->FindProfile("a", 2, "")->profile_hash, "p3");
  EXPECT_FALSE(store_->FindProfile("a", 2, "label"));
  // Profiling again: the newest profile wins, even with the same time.
  store_->AddProfile({"a", 1, "", "p4", 100});
  EXPECT_EQ(store_->FindProfile("a", 1, "")->profile_hash, "p4");
  // A profile needs its dataset version.
  try {
    store_->AddProfile({"a", 3, "", "p5", 1});
    FAIL() << "profiled a missing version";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  EXPECT_THROW(store_->AddProfile({"zzz", 1, "", "p5", 1}), Error);
  EXPECT_FALSE(store_->FindProfile("zzz", 1, ""));
}

TEST(SqliteMetadataStoreTest, ProfilesMigrationUpgradesAnOlderStore) {
  TempDir dir;
  auto path = (dir / "m.db").string();
  // A store at schema 3, as mloop left it before profiles.
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                         "description TEXT NOT NULL, applied_at_us BIGINT NOT NULL)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  for (const auto& m : sqlite::kMigrations) {
    if (m.version > 3) break;
    ASSERT_EQ(sqlite3_exec(db, m.sql, nullptr, nullptr, nullptr), SQLITE_OK);
    std::string row =
        "INSERT INTO schema_migrations VALUES (" + std::to_string(m.version) + ", 'old', 0)";
    ASSERT_EQ(sqlite3_exec(db, row.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  }
  sqlite3_close(db);
  SqliteMetadataStore store(path, false);
  EXPECT_EQ(store.SchemaVersion(), SqliteMetadataStore::LatestSchemaVersion());
  bool created;
  store.AddDatasetVersion(Version("a", "h1"), &created);
  store.AddProfile({"a", 1, "", "p1", 1});
  EXPECT_TRUE(store.FindProfile("a", 1, ""));
}

TEST_F(MetadataStoreContract, TuningJobsKeepTheirTrialsAndEndOnce) {
  TuningJobRecord job;
  job.name = "branin";
  job.spec_json = R"({"strategy":"bayesian"})";
  job.host = "h";
  job.pid = 42;
  job.started_at_us = 1000;
  const int64_t id = store_->CreateTuningJob(job);
  const int64_t other = store_->CreateTuningJob(job);
  TuningJobRecord third = job;
  third.name = "other";
  store_->CreateTuningJob(third);
  EXPECT_NE(id, other);

  store_->UpdateTuningJob(id, R"([{"number":0}])", R"({"best":0})");
  auto got = store_->GetTuningJob(id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "branin");
  EXPECT_EQ(got->status, RunStatus::kRunning);
  EXPECT_EQ(got->spec_json, job.spec_json);
  EXPECT_EQ(got->trials_json, R"([{"number":0}])");
  EXPECT_EQ(got->summary_json, R"({"best":0})");
  EXPECT_EQ(got->host, "h");
  EXPECT_EQ(got->pid, 42);
  EXPECT_EQ(got->started_at_us, 1000);
  EXPECT_EQ(got->ended_at_us, 0);

  store_->EndTuningJob(id, RunStatus::kFinished, "[1]", "{}", "max_trials", 2000, "");
  got = store_->GetTuningJob(id);
  EXPECT_EQ(got->status, RunStatus::kFinished);
  EXPECT_EQ(got->trials_json, "[1]");
  EXPECT_EQ(got->stop_reason, "max_trials");
  EXPECT_EQ(got->ended_at_us, 2000);
  // An ended job neither ends again nor changes.
  for (auto attempt : {0, 1}) {
    try {
      if (attempt == 0) store_->EndTuningJob(id, RunStatus::kKilled, "[]", "{}", "", 3000, "");
      if (attempt == 1) store_->UpdateTuningJob(id, "[]", "{}");
      ADD_FAILURE() << "changed an ended job";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    }
  }
  EXPECT_FALSE(store_->GetTuningJob(999));
  try {
    store_->UpdateTuningJob(999, "[]", "{}");
    ADD_FAILURE() << "updated a missing job";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  auto named = store_->ListTuningJobs("branin");
  ASSERT_EQ(named.size(), 2u);
  EXPECT_EQ(named[0].id, other);  // newest first
  EXPECT_EQ(named[1].id, id);
  EXPECT_EQ(store_->ListTuningJobs("").size(), 3u);
  EXPECT_TRUE(store_->ListTuningJobs("none").empty());
}

TEST_F(MetadataStoreContract, ThreadsShareOneStore) {
  // Parallel tuning trials record runs from several threads of one process.
  constexpr int kThreads = 4, kRuns = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRuns; ++i) {
        RunRecord r;
        r.experiment = "e" + std::to_string(t % 2);
        r.algorithm = "xgboost";
        r.task = "binary";
        const int64_t id = store_->CreateRun(r);
        store_->LogMetrics(id, -1, {{"auc", 0.5 + i * 0.01}});
        store_->EndRun(id, RunStatus::kFinished, 1, "", "");
      }
    });
  }
  for (auto& t : threads) t.join();
  auto runs = store_->ListRuns("");
  ASSERT_EQ(runs.size(), static_cast<size_t>(kThreads * kRuns));
  EXPECT_EQ(store_->ListExperiments(), (std::vector<std::string>{"e0", "e1"}));
  for (const auto& r : runs) {
    EXPECT_EQ(r.status, RunStatus::kFinished);
    EXPECT_EQ(r.metrics.count("auc"), 1u);
  }
}

TEST(SqliteMetadataStoreTest, MigratesAndRecordsSchemaVersion) {
  TempDir dir;
  auto path = (dir / "m.db").string();
  {
    SqliteMetadataStore store(path, true);
    EXPECT_EQ(store.SchemaVersion(), SqliteMetadataStore::LatestSchemaVersion());
  }
  // Reopening applies nothing new and keeps the data.
  SqliteMetadataStore again(path, false);
  EXPECT_EQ(again.SchemaVersion(), SqliteMetadataStore::LatestSchemaVersion());
}

TEST(SqliteMetadataStoreTest, RefusesANewerSchema) {
  TempDir dir;
  auto path = (dir / "m.db").string();
  { SqliteMetadataStore store(path, true); }
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 'from the future', 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  try {
    SqliteMetadataStore store(path, false);
    FAIL() << "opened a newer schema";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("schema version 999"), std::string::npos) << e.what();
  }
}

TEST(SqliteMetadataStoreTest, MissingStoreIsNotCreatedUnlessAsked) {
  TempDir dir;
  EXPECT_THROW(SqliteMetadataStore((dir / "none.db").string(), false), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "none.db"));
}

TEST(SqliteMetadataStoreTest, UsesWalAndForeignKeys) {
  TempDir dir;
  auto path = (dir / "m.db").string();
  SqliteMetadataStore store(path, true);
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(StoreFactoryTest, UnknownSchemesListTheKnownOnes) {
  try {
    OpenMetadataStore("mysql://x", true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.hint()).find("sqlite://"), std::string::npos);
  }
}

}  // namespace
}  // namespace mloop
