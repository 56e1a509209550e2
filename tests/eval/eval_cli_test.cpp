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

// A label written `nan` (pandas' na_rep, Python's str(float('nan'))) is a missing label, as an
// empty cell: the row is left out, wherever it is (scikit-learn on the other 4 rows: accuracy
// 0.5, ROC AUC 0.75), never the class 0 nor a class of its own.
TEST(EvalCliTest, NanLabelsAreMissing) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  for (const std::string body : {"0.0,0.1\n1.0,0.9\nnan,0.5\n1.0,0.4\n0.0,0.6\nnan,0.3\n",
                                 "nan,0.5\n0.0,0.1\n1.0,0.9\n1.0,0.4\n0.0,0.6\n"}) {
    WriteFile(dir / "p.csv", "label,score\n" + body);
    const auto r = testing::RunMloop(
        dir.path(), "eval --predictions p.csv --label label --score score --task binary --json");
    ASSERT_EQ(r.code, 0) << r.err;
    const auto out = nlohmann::json::parse(r.out);
    EXPECT_EQ(out["rows"], 4);
    EXPECT_DOUBLE_EQ(out["metrics"]["accuracy"].get<double>(), 0.5);
    EXPECT_DOUBLE_EQ(out["metrics"]["roc_auc"].get<double>(), 0.75);
  }
}

// Predictions in JSON Lines (as predict -o p.jsonl writes them) evaluate as the CSV does; a file
// of a header only says it has no rows.
TEST(EvalCliTest, JsonLinesPredictionsAndEmptyFiles) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  WriteFile(dir / "p.jsonl",
            "{\"label\": 0, \"score\": 0.1}\n{\"label\": 1, \"score\": 0.9}\n"
            "{\"label\": 1, \"score\": 0.4}\n{\"label\": 0, \"score\": 0.6}\n");
  auto r = testing::RunMloop(dir.path(),
                             "eval --predictions p.jsonl --label label --score score --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["metrics"]["roc_auc"].get<double>(), 0.75);
  // A metric of the task that the data leaves undefined is named, not just left out.
  WriteFile(dir / "o.csv", "label,score\n0,-1\n1,2\n1,0.4\n0,0.6\n");
  r = testing::RunMloop(dir.path(), "eval --predictions o.csv --label label --score score");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "(not defined on this data: brier)");
  WriteFile(dir / "h.csv", "label,score\n");
  r = testing::RunMloop(dir.path(), "eval --predictions h.csv --label label --score score");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "h.csv has no rows of predictions to evaluate");
}

// Rows whose label is not a class of the model are refused with the labels and the classes,
// as `train --valid` refuses them: left out, they made the metrics describe other data.
TEST(EvalCliTest, LabelsTheModelDoesNotKnowAreRefused) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  std::string train = "x,y\n";
  for (int i = 0; i < 40; ++i) train += std::to_string(i) + "," + (i % 2 ? "b" : "a") + "\n";
  WriteFile(dir / "t.csv", train);
  auto r = testing::RunMloop(dir.path(), "train t.csv -t y -a logistic --split none -q");
  ASSERT_EQ(r.code, 0) << r.err;
  // The model's own training data (the dataset t@1) gets a warning; a data file is not compared.
  r = testing::RunMloop(dir.path(), "eval 1 -d t --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "warning: t@1 is the data the model was trained on: every row trained it");
  EXPECT_EQ(nlohmann::json::parse(r.out)["warnings"].size(), 1u);
  r = testing::RunMloop(dir.path(), "eval 1 -d t.csv --json");
  EXPECT_EQ(r.err.find("warning"), std::string::npos);
  WriteFile(dir / "e.csv", "x,y\n1,a\n2,c\n3,b\n4,\n5,d\n6,c\n");
  r = testing::RunMloop(dir.path(), "eval 1 -d e.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "the data has 3 rows whose 'y' is not a class of the training data "
                  "('c', 'd'); the classes are a, b");
}

}  // namespace
}  // namespace mloop
