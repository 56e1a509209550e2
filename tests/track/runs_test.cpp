#include "mloop/track/runs.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;

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

}  // namespace
}  // namespace mloop
