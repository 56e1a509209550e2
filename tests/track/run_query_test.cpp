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

// An "and" at either end is an empty condition, not part of the value ("100 and" compared as
// text matched other runs).
TEST(RunQueryTest, TrailingOrLeadingAndIsAnError) {
  for (const char* bad : {"metrics.rmse < 100 and", "and metrics.rmse < 100", "id = 1 and",
                          "id = 1 and  and id = 2"}) {
    try {
      RunFilter::Parse(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("empty condition"), std::string::npos) << bad;
    }
  }
  EXPECT_NO_THROW(RunFilter::Parse("tags.word = 'and'"));
}

// Metrics and ids compare with numbers only: text would compare as text and match nothing meant.
TEST(RunQueryTest, MetricsAndIdsTakeNumbers) {
  for (const char* bad :
       {"metrics.roc_auc > abc", "metrics.auc > 0,8", "id = one", "metrics.roc_auc > nan"}) {
    try {
      RunFilter::Parse(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is a number;"), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(RunFilter::Parse("metrics.rmse < 1e3 and id >= 2"));
  EXPECT_NO_THROW(RunFilter::Parse("params.max_depth = six"));  // params are text as given
}

// Statuses, tasks and algorithms match in any case; `started` is the ISO 8601 start time.
TEST(RunQueryTest, CaseOfNamesAndTheStartTime) {
  RunRecord a = MakeRun(1, 0.8, "4", RunStatus::kFinished);
  a.started_at_us = int64_t{1764374400} * 1000000;  // 2025-11-29T00:00:00Z
  RunRecord b = MakeRun(2, 0.9, "4", RunStatus::kFailed);
  b.started_at_us = int64_t{1764460800} * 1000000;  // 2025-11-30T00:00:00Z
  EXPECT_TRUE(RunFilter::Parse("status = FINISHED and algorithm = XGBoost").Matches(a));
  EXPECT_FALSE(RunFilter::Parse("status = FINISHED").Matches(b));
  EXPECT_FALSE(RunFilter::Parse("started > 2025-11-29T12:00").Matches(a));
  EXPECT_TRUE(RunFilter::Parse("started > 2025-11-29T12:00").Matches(b));
  std::vector<RunRecord> runs = {a, b};
  SortRuns(runs, "started:asc");
  EXPECT_EQ(runs[0].id, 1);
  SortRuns(runs, "started");
  EXPECT_EQ(runs[0].id, 2);
}

// A field holding numbers and text sorts in one consistent order: numbers by value first, then
// text, in either direction; runs without the field last.
TEST(RunQueryTest, SortsMixedNumbersAndText) {
  std::vector<RunRecord> runs;
  const std::vector<std::string> values = {"6", "46a", "45", "3", "28a", "27", "", "100", "b"};
  for (size_t i = 0; i < values.size(); ++i) {
    RunRecord r;
    r.id = static_cast<int64_t>(i);
    r.tags_json = values[i].empty() ? "{}" : R"({"v": ")" + values[i] + "\"}";
    runs.push_back(r);
  }
  auto order = [&](const std::string& spec) {
    std::vector<RunRecord> sorted = runs;
    SortRuns(sorted, spec);
    std::vector<std::string> out;
    for (const RunRecord& r : sorted) out.push_back(values[static_cast<size_t>(r.id)]);
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(order("tags.v"), (V{"100", "45", "27", "6", "3", "b", "46a", "28a", ""}));
  EXPECT_EQ(order("tags.v:asc"), (V{"3", "6", "27", "45", "100", "28a", "46a", "b", ""}));
}

}  // namespace
}  // namespace mloop
