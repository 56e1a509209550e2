#include "mloop/track/run_query.h"

#include <gtest/gtest.h>

#include "mloop/core/error.h"

namespace mloop {
namespace {

RunRecord MakeRun(int64_t id, double auc, const std::string& depth, RunStatus status) {
  RunRecord r;
  r.id = id;
  r.algorithm = "xgboost";
  r.status = status;
  r.params_json = "{\"max_depth\": \"" + depth + "\"}";
  r.metrics["roc_auc"] = auc;
  return r;
}

TEST(RunQueryTest, WhereAndSort) {
  std::vector<RunRecord> runs = {
      MakeRun(1, 0.81, "4", RunStatus::kFinished), MakeRun(2, 0.92, "6", RunStatus::kFinished),
      MakeRun(3, 0.88, "6", RunStatus::kFailed), MakeRun(4, 0.7, "6", RunStatus::kFinished)};
  RunFilter f = RunFilter::Parse("metrics.roc_auc > 0.8 and params.max_depth = 6");
  EXPECT_FALSE(f.Matches(runs[0]));
  EXPECT_TRUE(f.Matches(runs[1]));
  EXPECT_TRUE(f.Matches(runs[2]));
  EXPECT_FALSE(f.Matches(runs[3]));
  EXPECT_TRUE(RunFilter::Parse("status = finished AND metrics.roc_auc >= 0.92").Matches(runs[1]));
  EXPECT_FALSE(RunFilter::Parse("metrics.log_loss < 1").Matches(runs[1]));  // no such metric

  SortRuns(runs, "metrics.roc_auc");
  EXPECT_EQ(runs[0].id, 2);
  EXPECT_EQ(runs[3].id, 4);
  SortRuns(runs, "metrics.roc_auc:asc");
  EXPECT_EQ(runs[0].id, 4);

  EXPECT_THROW(RunFilter::Parse("metrics.roc_auc"), Error);
  try {
    RunFilter::Parse("metric.auc > 1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown run field"), std::string::npos);
  }
  EXPECT_THROW(SortRuns(runs, "metrics.roc_auc:up"), Error);
  // Quoted values may hold " and " and operators; there is no "or".
  RunRecord tagged = MakeRun(5, 0.9, "6", RunStatus::kFinished);
  tagged.params_json = R"({"note": "a and b <= c"})";
  EXPECT_TRUE(RunFilter::Parse("params.note = 'a and b <= c' and id = 5").Matches(tagged));
  EXPECT_FALSE(RunFilter::Parse("params.note = \"a and b\"").Matches(tagged));
  try {
    RunFilter::Parse("metrics.roc_auc > 0.99 or id = 1");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no 'or'"), std::string::npos);
  }
  EXPECT_THROW(RunFilter::Parse("params.note = 'open"), Error);
  // A mistyped operator is an error, not a comparison with the text "< 0.5"; == is =.
  for (const char* bad : {"metrics.roc_auc =< 0.5", "metrics.roc_auc >> 0.5", "id => 1"}) {
    try {
      RunFilter::Parse(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("cannot read the operator"), std::string::npos) << bad;
    }
  }
  EXPECT_TRUE(RunFilter::Parse("params.max_depth == 6").Matches(runs[0]));
}

}  // namespace
}  // namespace mloop
