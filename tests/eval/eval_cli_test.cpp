// `mloop eval --weight COL` against scikit-learn's sample_weight: the weighted cases of
// tests/data/eval/fixtures.json (make_fixtures.py) written as prediction files and evaluated by
// the real binary.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "eval/eval_fixtures.h"
#include "mloop/core/column.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::EvalFixtures;
using testing::Near;
using testing::TempDir;
using testing::WriteFile;

// Every metric the fixture has for a weighted binary or regression case equals the command's.
// In the binary cases chosen, the predicted class is score > 0.5, the rule of `mloop eval`.
TEST(EvalCliTest, WeightedPredictionsEqualScikitLearn) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  int checked = 0;
  for (const auto& c : EvalFixtures()["cases"]) {
    const std::string name = c["name"].get<std::string>();
    const bool binary = name.rfind("binary_random_n", 0) == 0 ||
                        name.rfind("binary_ties_grid_n", 0) == 0 ||
                        name == "binary_integer_scores_weighted";
    const bool regression = name.rfind("reg_random_n", 0) == 0;
    if (!c.contains("weight") || !(binary || regression)) continue;
    const auto& score = binary ? c["score"] : c["y_pred"];
    std::string csv = "y,s,w\n";
    for (size_t i = 0; i < c["y_true"].size(); ++i) {
      csv += FormatDouble(c["y_true"][i].get<double>()) + "," +
             FormatDouble(score[i].get<double>()) + "," +
             FormatDouble(c["weight"][i].get<double>()) + "\n";
    }
    WriteFile(dir / "p.csv", csv);
    const auto r = testing::RunMloop(
        dir.path(), std::string("eval --predictions p.csv --label y --score s --weight w --task ") +
                        (binary ? "binary" : "regression") + " --json");
    ASSERT_EQ(r.code, 0) << name << ": " << r.err;
    const auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["weight"], "w");
    for (const auto& [metric, expected] : c["metrics"].items()) {
      if (!expected.is_number()) {  // NaN, or an error scikit-learn raised: left out
        EXPECT_FALSE(out["metrics"].contains(metric)) << name << " " << metric;
        continue;
      }
      ASSERT_TRUE(out["metrics"].contains(metric)) << name << " " << metric;
      EXPECT_TRUE(Near(out["metrics"][metric].get<double>(), expected.get<double>()))
          << name << " " << metric;
      ++checked;
    }
  }
  EXPECT_GT(checked, 300);
}

TEST(EvalCliTest, BadWeightsAreRefusedWithTheRow) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  WriteFile(dir / "p.csv", "y,s,w,t\n0,0.2,1,a\n1,0.7,-2,b\n1,0.9,,c\n0,0.1,1,d\n");
  auto r = testing::RunMloop(dir.path(), "eval --predictions p.csv --label y --score s --weight w");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "weight column 'w' in row 2 is -2.0: a sample weight must be");
  WriteFile(dir / "q.csv", "y,s,w,t\n0,0.2,1,a\n1,0.7,,b\n");
  r = testing::RunMloop(dir.path(), "eval --predictions q.csv --label y --score s --weight w");
  EXPECT_CONTAINS(r.err, "weight column 'w' in row 2 is missing");
  r = testing::RunMloop(dir.path(), "eval --predictions q.csv --label y --score s --weight t");
  EXPECT_CONTAINS(r.err, "weight column 't' must be numeric, not string");
  r = testing::RunMloop(dir.path(), "eval --predictions q.csv --label y --score s --weight ww");
  EXPECT_CONTAINS(r.err, "the data has no weight column 'ww' (did you mean 'w'?)");
  // A row that is not evaluated (no label) needs no weight.
  WriteFile(dir / "u.csv", "y,s,w\n0,0.2,1\n,0.7,\n1,0.9,3\n");
  r = testing::RunMloop(dir.path(),
                        "eval --predictions u.csv --label y --score s --weight w --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"accuracy\": 1.0");
}

}  // namespace
}  // namespace mloop
