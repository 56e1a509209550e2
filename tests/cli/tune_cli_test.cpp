// `mloop tune` end to end: the real binary on the Branin example (examples/tune/branin.yaml)
// with the example program built beside the tests.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace mloop {
namespace {

using testing::RunMloop;
using testing::TempDir;

// The example job in a fresh directory beside a copy of the branin program, with the strategy
// switched to random (fast and independent of the model-based samplers).
void SetUpBranin(const TempDir& dir) {
  namespace fs = std::filesystem;
  fs::copy_file(MLOOP_BRANIN, dir / "branin");
  std::string yaml =
      testing::ReadFile(fs::path(MLOOP_SOURCE_DIR) / "examples" / "tune" / "branin.yaml");
  const size_t at = yaml.find("strategy: bayesian");
  ASSERT_NE(at, std::string::npos);
  yaml.replace(at, std::string("strategy: bayesian").size(), "strategy: random");
  testing::WriteFile(dir / "branin.yaml", yaml);
}

nlohmann::json LastJson(const std::string& out) {
  // --json ends stdout with one JSON document.
  return nlohmann::json::parse(out);
}

TEST(TuneCli, TunesBraninAndEndsWithJson) {
  TempDir dir;
  SetUpBranin(dir);
  auto r = RunMloop(dir.path(), "tune branin.yaml --json --max-trials 15");
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  nlohmann::json j = LastJson(r.out);
  EXPECT_EQ(j["name"], "branin");
  EXPECT_EQ(j["strategy"], "random");
  EXPECT_EQ(j["stop_reason"], "max_trials");
  EXPECT_TRUE(j["seconds"].is_number());
  ASSERT_EQ(j["trials"].size(), 15u);
  for (const auto& t : j["trials"]) EXPECT_EQ(t["state"], "complete") << t.dump();
  const double best = j["best"]["value"].get<double>();
  EXPECT_TRUE(std::isfinite(best));
  EXPECT_GE(best, 0.397887 - 1e-6);
  EXPECT_TRUE(j["best"]["params"].contains("x1"));
  EXPECT_TRUE(j["best"]["params"].contains("x2"));
  const int number = j["best"]["number"].get<int>();
  EXPECT_DOUBLE_EQ(j["trials"][number]["value"].get<double>(), best);
  for (const auto& t : j["trials"]) EXPECT_GE(t["value"].get<double>(), best);
  EXPECT_FALSE(std::filesystem::exists(dir / ".mloop"));  // no workspace: nothing saved
}

TEST(TuneCli, ParallelTrialsAndHumanOutputAndSavedResult) {
  TempDir dir;
  ASSERT_EQ(RunMloop(dir.path(), "init .").code, 0);
  SetUpBranin(dir);
  auto r = RunMloop(dir.path(), "tune branin.yaml --parallel 3 --max-trials 9 --seed 11");
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_CONTAINS(r.out, "Tuning job branin: 9 trials (9 complete, 0 pruned, 0 failed)");
  EXPECT_CONTAINS(r.out, "stopped: max_trials");
  EXPECT_CONTAINS(r.out, "Best: trial ");
  EXPECT_CONTAINS(r.out, "  x1 = ");
  EXPECT_CONTAINS(r.out, "Saved ");
  int saved = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir / ".mloop" / "tune")) {
    ++saved;
    EXPECT_EQ(e.path().filename().string().rfind("branin-", 0), 0u);
    nlohmann::json j = nlohmann::json::parse(testing::ReadFile(e.path()));
    EXPECT_EQ(j["trials"].size(), 9u);
    EXPECT_EQ(j["job"]["seed"], 11);
  }
  EXPECT_EQ(saved, 1);
}

TEST(TuneCli, ErrorsAreClear) {
  TempDir dir;
  SetUpBranin(dir);
  testing::WriteFile(dir / "typo.yaml", testing::ReadFile(dir / "branin.yaml") + "max_trail: 3\n");
  auto r = RunMloop(dir.path(), "tune typo.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "unknown key 'max_trail'");
  EXPECT_CONTAINS(r.err, "did you mean 'max_trials'");
  r = RunMloop(dir.path(), "tune missing.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "does not exist");
  // Every trial failing is an error after the table.
  std::filesystem::remove(dir / "branin");
  r = RunMloop(dir.path(), "tune branin.yaml --max-trials 2");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.out, "failed");
  EXPECT_CONTAINS(r.err, "no trial of tuning job 'branin' completed");
}

}  // namespace
}  // namespace mloop
