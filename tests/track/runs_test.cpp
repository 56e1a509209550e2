#include "mloop/track/runs.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "mloop/core/error.h"
#include "mloop/data/datasets.h"
#include "mloop/model/bundle.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

// A run whose process died (killed midway) is marked failed on the next start, never left
// running forever; a run of a live process is left alone.
TEST(RunsTest, RunsOfDeadProcessesAreMarkedFailed) {
  TempDir dir;
  auto ws = Workspace::Init(dir / "ws");
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);  // now a pid with no process

  RunRecord dead;
  dead.experiment = "e";
  dead.algorithm = "xgboost";
  dead.task = "binary";
  dead.host = HostName();
  dead.pid = child;
  RunRecord alive = dead;
  alive.pid = getpid();
  RunRecord elsewhere = dead;
  elsewhere.host = "another-host";
  int64_t dead_id = ws->metadata().CreateRun(dead);
  int64_t alive_id = ws->metadata().CreateRun(alive);
  int64_t elsewhere_id = ws->metadata().CreateRun(elsewhere);

  EXPECT_EQ(RecoverStaleRuns(*ws), 1);
  auto d = ws->metadata().GetRun(dead_id);
  EXPECT_EQ(d->status, RunStatus::kFailed);
  EXPECT_NE(d->error.find("ended without finishing"), std::string::npos);
  EXPECT_EQ(ws->metadata().GetRun(alive_id)->status, RunStatus::kRunning);
  EXPECT_EQ(ws->metadata().GetRun(elsewhere_id)->status, RunStatus::kRunning);
  EXPECT_EQ(RecoverStaleRuns(*ws), 0);
}

// Another connection that holds the metadata store's write lock until Release().
class StoreHolder {
 public:
  explicit StoreHolder(const std::filesystem::path& db) {
    EXPECT_EQ(
        sqlite3_open_v2(db.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, nullptr),
        SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  }
  ~StoreHolder() {
    Release();
    sqlite3_close(db_);
  }
  void Release() {
    if (held_) sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr);
    held_ = false;
  }

 private:
  sqlite3* db_ = nullptr;
  bool held_ = true;
};

class RecordWhileBusyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Workspace::Init(dir_ / "ws");
    // A short lock timeout, as a user may set it (the variable of stores.lock_timeout_seconds).
    ws_ =
        Workspace::Open(dir_ / "ws", dir_.path(), {{"MLOOP_STORES_LOCK_TIMEOUT_SECONDS", "0.05"}});
    std::string csv = "x,y\n";
    for (int i = 0; i < 60; ++i) csv += std::to_string(i) + "," + std::to_string(i % 2) + "\n";
    ImportRequest r;
    r.name = "d";
    r.file = WriteFile(dir_ / "d.csv", csv);
    ImportDataset(*ws_, r);
    cmd_.data = ParseDatasetRef("d");
    cmd_.request.target = "y";
    cmd_.request.params = {{"num_boost_round", "3"}};
    cmd_.request.threads = 1;
    cmd_.on_notice = [this](const std::string& text) { notices_.push_back(text); };
  }
  std::filesystem::path Db() const { return dir_ / "ws" / ".mloop" / "metadata.db"; }

  TempDir dir_;
  std::unique_ptr<Workspace> ws_;
  TrainCommand cmd_;
  std::vector<std::string> notices_;
};

// A store held by another process when training ends delays the record; the run is not lost.
TEST_F(RecordWhileBusyTest, RunIsRecordedOnceTheStoreIsFree) {
  std::unique_ptr<StoreHolder> holder;
  std::thread release;
  cmd_.on_start = [&](int64_t) {
    holder = std::make_unique<StoreHolder>(Db());
    release = std::thread([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(600));
      holder->Release();
    });
  };
  TrainOutcome out = TrainAndRecord(*ws_, cmd_);
  release.join();
  ASSERT_EQ(notices_.size(), 1u);
  EXPECT_NE(notices_[0].find("busy"), std::string::npos) << notices_[0];
  auto run = ws_->metadata().GetRun(out.run_id);
  EXPECT_EQ(run->status, RunStatus::kFinished);
  EXPECT_EQ(run->model_hash, out.model_hash);
  EXPECT_FALSE(run->metrics.empty());
}

// Beyond the patience, the error names the model, which is saved and loads.
TEST_F(RecordWhileBusyTest, ErrorNamesTheSavedModelWhenTheStoreStaysBusy) {
  std::unique_ptr<StoreHolder> holder;
  cmd_.record_patience_seconds = 0.3;
  cmd_.on_start = [&](int64_t) { holder = std::make_unique<StoreHolder>(Db()); };
  try {
    TrainAndRecord(*ws_, cmd_);
    FAIL() << "recorded while the store was held";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kUnavailable);
    const std::string what = e.what();
    const size_t at = what.find("sha256:");
    ASSERT_NE(at, std::string::npos) << what;
    const std::string hash = what.substr(at + 7, 64);
    EXPECT_NE(e.hint().find("mloop models register " + hash), std::string::npos) << e.hint();
    EXPECT_NO_THROW(LoadBundle(ws_->artifacts(), hash));
  }
}

}  // namespace
}  // namespace mloop
