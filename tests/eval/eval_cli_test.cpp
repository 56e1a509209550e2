// `mloop eval --weight COL` against scikit-learn's sample_weight: the weighted cases of
// tests/data/eval/fixtures.json (make_fixtures.py) written as prediction files and evaluated by
// the real binary.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "eval/eval_fixtures.h"
#include "mloop/core/column.h"
#include "mloop/eval/metrics.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::EvalFixtures;
using testing::Near;
using testing::TempDir;
using testing::WriteFile;

// Every metric of fixture case `c` for which `compared(name)` holds equals the command's JSON
// output `out`; a metric scikit-learn left undefined (NaN, or an error it raised), or one that
// `absent(name)` says must be missing, is missing. Returns how many values were compared.
int ExpectFixtureMetrics(const nlohmann::json& c, const nlohmann::json& out,
                         const std::function<bool(const std::string&)>& compared,
                         const std::function<bool(const std::string&)>& absent) {
  const std::string name = c["name"].get<std::string>();
  int checked = 0;
  for (const auto& [metric, expected] : c["metrics"].items()) {
    if (!compared(metric)) continue;
    if (!expected.is_number() || absent(metric)) {
      EXPECT_FALSE(out["metrics"].contains(metric)) << name << " " << metric;
      continue;
    }
    if (!out["metrics"].contains(metric)) {
      ADD_FAILURE() << name << " " << metric << " is missing";
      continue;
    }
    EXPECT_TRUE(Near(out["metrics"][metric].get<double>(), expected.get<double>()))
        << name << " " << metric;
    ++checked;
  }
  return checked;
}

bool Always(const std::string&) {
  return true;
}
bool Never(const std::string&) {
  return false;
}

// Every metric the fixture has for a weighted binary or regression case equals the command's.
// The binary cases also give the best threshold of each metric.
// In the binary cases chosen, the predicted class is score > 0.5, the rule of `mloop eval`.
TEST(EvalCliTest, WeightedPredictionsEqualScikitLearn) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  int checked = 0, thresholds = 0;
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
    checked += ExpectFixtureMetrics(c, out, Always, Never);
    // The best thresholds: scikit-learn's maximum, at one of the thresholds reaching it.
    if (!binary || !c.contains("curves") || c["curves"]["best_threshold"].contains("error")) {
      continue;
    }
    for (const auto& [metric, best] : c["curves"]["best_threshold"].items()) {
      ASSERT_TRUE(out["best_thresholds"].contains(metric)) << name << " " << metric;
      const auto& ours = out["best_thresholds"][metric];
      EXPECT_TRUE(Near(ours["value"].get<double>(), best["value"].get<double>()))
          << name << " " << metric;
      bool among = false;
      for (const auto& t : best["thresholds"]) {
        among = among || Near(ours["threshold"].get<double>(), t.get<double>());
      }
      EXPECT_TRUE(among) << name << " " << metric << " at " << ours["threshold"];
      ++thresholds;
    }
  }
  EXPECT_GT(checked, 300);
  EXPECT_GT(thresholds, 20);
}

// Scores written as JSON strings ("0.4") are text: the message says so and where.
TEST(EvalCliTest, ScoresAsJsonStringsAreNamed) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  WriteFile(dir / "p.jsonl",
            "{\"y\": 1, \"s\": \"0.4\"}\n{\"y\": 0, \"s\": \"0.2\"}\n{\"y\": 1, \"s\": \"0.9\"}\n");
  auto r = testing::RunMloop(dir.path(), "eval --predictions p.jsonl --label y --score s");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "score column 's' must be numeric, not string (row 1 holds '0.4', read as "
                  "text: a JSON string, or an integer beyond 64 bits; scores are JSON numbers, "
                  "without quotes)");
  // Hex is no number to the readers, nor here.
  WriteFile(dir / "h.csv", "y,s\n1,0x1p-1\n0,0.2\n");
  r = testing::RunMloop(dir.path(), "eval --predictions h.csv --label y --score s");
  EXPECT_CONTAINS(r.err, "row 1 holds '0x1p-1'");
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
    // --positive 1 names the label written 1.0 (as scikit-learn's pos_label=1 does).
    const auto named = testing::RunMloop(
        dir.path(), "eval --predictions p.csv --label label --score score --positive 1 --json");
    ASSERT_EQ(named.code, 0) << named.err;
    EXPECT_EQ(nlohmann::json::parse(named.out)["metrics"], out["metrics"]);
  }
}

// Predictions made anywhere are evaluated without a workspace (nothing is recorded); a model
// needs one.
TEST(EvalCliTest, PredictionsNeedNoWorkspace) {
  TempDir dir;
  WriteFile(dir / "p.csv", "label,score\n0,0.1\n1,0.9\n1,0.4\n0,0.6\n");
  auto r =
      testing::RunMloop(dir.path(), "eval --predictions p.csv --label label --score score --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["metrics"]["roc_auc"].get<double>(), 0.75);
  EXPECT_FALSE(std::filesystem::exists(dir / ".mloop"));
  r = testing::RunMloop(dir.path(), "eval 1 --data p.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no mloop workspace");
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
  // Data of another problem: its missing inputs are the error, before its labels.
  WriteFile(dir / "other.csv", "z,y\n1,a\n2,c\n");
  r = testing::RunMloop(dir.path(), "eval 1 -d other.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "the data has no column 'x', which the model takes as input");
}

// The multiclass cases of the fixtures, as a tool writes them: a label column of class names, a
// probability column per class (`p_c0`, `p_c1`, ...) and a column of predicted classes.
// `--score 'p_*'` gives every metric scikit-learn gave; `--score pred` the metrics of the
// predicted classes, and none that needs probabilities.
TEST(EvalCliTest, MulticlassPredictionsEqualScikitLearn) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  int from_probabilities = 0, from_classes = 0;
  for (const auto& c : EvalFixtures()["cases"]) {
    if (c["kind"] != "multiclass") continue;
    const std::string name = c["name"].get<std::string>();
    const int k = c["k"].get<int>();
    const auto& proba = c["proba"];
    // The probabilities say which class is predicted when the fixture's y_pred is their
    // arg-max (the first column of a tie, as np.argmax).
    bool argmax = true;
    std::string csv = "y,pred";
    for (int j = 0; j < k; ++j) csv += ",p_c" + std::to_string(j);
    if (c.contains("weight")) csv += ",w";
    csv += "\n";
    for (size_t i = 0; i < c["y_true"].size(); ++i) {
      csv += "c" + std::to_string(c["y_true"][i].get<int>()) + ",c" +
             std::to_string(c["y_pred"][i].get<int>());
      int best = 0;
      for (int j = 0; j < k; ++j) {
        const double v = proba[i * k + j].get<double>();
        csv += "," + FormatDouble(v);
        if (v > proba[i * k + best].get<double>()) best = j;
      }
      argmax = argmax && best == c["y_pred"][i].get<int>();
      if (c.contains("weight")) csv += "," + FormatDouble(c["weight"][i].get<double>());
      csv += "\n";
    }
    WriteFile(dir / "p.csv", csv);
    const std::string weight = c.contains("weight") ? " --weight w" : "";
    if (argmax) {
      const auto r = testing::RunMloop(
          dir.path(),
          "eval --predictions p.csv --label y --score 'p_*' --task multiclass --json" + weight);
      ASSERT_EQ(r.code, 0) << name << ": " << r.err;
      const auto out = nlohmann::json::parse(r.out);
      EXPECT_EQ(out["task"], "multiclass") << name;
      EXPECT_FALSE(out["predicted_classes"].get<bool>());
      // (scikit-learn's average="binary" of the two-class case is not a multiclass metric)
      const std::vector<std::string> multiclass = MetricNames(Task::kMulticlass);
      auto is_multiclass = [&](const std::string& m) {
        return std::find(multiclass.begin(), multiclass.end(), m) != multiclass.end();
      };
      from_probabilities += ExpectFixtureMetrics(c, out, is_multiclass, Never) > 0;
    }
    if (k == 2) continue;  // two classes are a binary task
    const auto r = testing::RunMloop(
        dir.path(), "eval --predictions p.csv --label y --score pred --json" + weight);
    ASSERT_EQ(r.code, 0) << name << ": " << r.err;
    const auto out = nlohmann::json::parse(r.out);
    EXPECT_TRUE(out["predicted_classes"].get<bool>());
    auto needs_scores = [](const std::string& m) {
      return m == "log_loss" || m.rfind("roc_auc", 0) == 0;
    };
    from_classes += ExpectFixtureMetrics(c, out, Always, needs_scores) > 0;
  }
  EXPECT_GE(from_probabilities, 20);
  EXPECT_GE(from_classes, 20);
}

// Predictions as classes and as a probability column per class, binary and multiclass: what
// they compute, and what is refused with the reason.
TEST(EvalCliTest, PredictedClassesAndProbabilityColumns) {
  TempDir dir;
  ASSERT_EQ(testing::RunMloop(dir.path(), "init").code, 0);
  auto run = [&](const std::string& args) { return testing::RunMloop(dir.path(), args); };
  WriteFile(dir / "b.csv",
            "y,pred,p_no,p_yes\nyes,yes,0.2,0.8\nno,no,0.7,0.3\nyes,no,0.6,0.4\nno,no,0.9,0.1\n"
            "yes,yes,0.1,0.9\n");
  // Binary predicted classes (scikit-learn: accuracy 0.8, precision 1, recall 2/3).
  auto r = run("eval --predictions b.csv --label y --score pred --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto out = nlohmann::json::parse(r.out);
  EXPECT_TRUE(out["predicted_classes"].get<bool>());
  EXPECT_EQ(out["positive"], "yes");
  EXPECT_DOUBLE_EQ(out["metrics"]["accuracy"].get<double>(), 0.8);
  EXPECT_DOUBLE_EQ(out["metrics"]["precision"].get<double>(), 1.0);
  EXPECT_NEAR(out["metrics"]["recall"].get<double>(), 2.0 / 3.0, 1e-15);
  EXPECT_FALSE(out["metrics"].contains("roc_auc"));
  r = run("eval --predictions b.csv --label y --score pred");
  EXPECT_CONTAINS(r.out, "(binary, positive class 'yes', predicted classes)");
  EXPECT_CONTAINS(r.out, "these need scores or probabilities: roc_auc, log_loss");
  r = run("eval --predictions b.csv --label y --score pred --fail-under auc=0.5");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "metric 'roc_auc' needs scores or probabilities, and the predictions "
                  "are classes");
  r = run("eval --predictions b.csv --label y --score pred --html r.html");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string html = testing::ReadFile(dir / "r.html");
  EXPECT_CONTAINS(html, "Confusion matrix (predicted classes)");
  EXPECT_EQ(html.find("ROC curve"), std::string::npos);
  // Two probability columns: the positive class's is the score, as --score p_yes.
  r = run("eval --predictions b.csv --label y --score 'p_*' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  out = nlohmann::json::parse(r.out);
  const auto by_name =
      nlohmann::json::parse(run("eval --predictions b.csv --label y --score p_yes --json").out);
  EXPECT_EQ(out["metrics"], by_name["metrics"]);
  EXPECT_DOUBLE_EQ(out["metrics"]["brier"].get<double>(), 0.102);
  r = run("eval --predictions b.csv --label y --score 'p_*' --positive no --json");
  EXPECT_EQ(nlohmann::json::parse(r.out)["metrics"],
            nlohmann::json::parse(
                run("eval --predictions b.csv --label y --score p_no --positive no --json")
                    .out)["metrics"]);
  r = run("eval --predictions b.csv --label y --score 'p_*' --positive maybe");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "--positive 'maybe' is not a class of --score 'p_*'");

  // Multiclass: a predicted class the labels never hold is a class too; rows without a
  // prediction or a probability are left out and counted.
  WriteFile(dir / "m.csv",
            "y,pred,p_a,p_b,p_c\na,a,0.6,0.3,0.1\nb,d,0.2,0.5,0.3\nc,c,,0.2,0.8\nc,,0.1,0.1,0.8\n");
  r = run("eval --predictions m.csv --label y --score pred --json");
  ASSERT_EQ(r.code, 0) << r.err;
  out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["rows"], 3);
  EXPECT_EQ(out["unscored_rows"], 1);
  EXPECT_NEAR(out["metrics"]["accuracy"].get<double>(), 2.0 / 3.0, 1e-15);
  EXPECT_DOUBLE_EQ(out["metrics"]["recall_macro"].get<double>(), 0.5);  // a, b, c, d
  r = run("eval --predictions m.csv --label y --score 'p_*' --json");
  ASSERT_EQ(r.code, 0) << r.err;
  out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["rows"], 3);
  EXPECT_EQ(out["unscored_rows"], 1);
  // scikit-learn: log_loss(['a', 'b', 'c'], [[.6, .3, .1], [.2, .5, .3], [.1, .1, .8]])
  EXPECT_NEAR(out["metrics"]["log_loss"].get<double>(), 0.47570545188004854, 1e-12);

  // A tie goes to the first class in the labels' order, whatever the columns' order (text by
  // text, numbers by value), as scikit-learn's argmax over its sorted classes: every row right.
  WriteFile(dir / "tie.csv", "y,p_c,p_b,p_a\na,.4,.2,.4\nb,.1,.8,.1\nc,.5,.2,.3\na,.2,.2,.6\n");
  WriteFile(dir / "tie_n.csv", "y,p_10,p_9,p_2\n2,.4,.2,.4\n9,.1,.8,.1\n10,.5,.2,.3\n9,.4,.4,.2\n");
  for (const char* file : {"tie.csv", "tie_n.csv"}) {
    r = run(std::string("eval --predictions ") + file + " --label y --score 'p_*' --json");
    ASSERT_EQ(r.code, 0) << r.err;
    EXPECT_DOUBLE_EQ(nlohmann::json::parse(r.out)["metrics"]["accuracy"].get<double>(), 1.0)
        << file;
  }

  // Refused, with the reason.
  WriteFile(dir / "d.csv",
            "y,pred,p_a,p_b,p_c\na,a,0.6,0.3,0.1\nd,b,0.2,0.5,0.3\nb,b,0.3,0.4,0.3\n");
  r = run("eval --predictions d.csv --label y --score 'p_*'");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "label column 'y' holds 'd' (1 row), and --score 'p_*' has no column "
                  "'p_d' for it");
  r = run("eval --predictions m.csv --label y --score 'q_*'");
  EXPECT_CONTAINS(r.err, "no column matches --score 'q_*'");
  r = run("eval --predictions m.csv --label y --score 'p_a*'");
  EXPECT_CONTAINS(r.err, "no column matches");
  r = run("eval --predictions m.csv --label y --score 'p_**'");
  EXPECT_CONTAINS(r.err, "has more than one '*'");
  r = run("eval --predictions m.csv --label y --score 'p_*' --task regression");
  EXPECT_CONTAINS(r.err, "--task regression takes one column of predicted values");
  r = run("eval --predictions m.csv --label y --score 'p_*' --positive a");
  EXPECT_CONTAINS(r.err, "--positive names the positive class of binary labels");
  r = run("eval --predictions m.csv --label y --score pred --positive a");
  EXPECT_CONTAINS(r.err,
                  "--positive names the positive class of binary labels, and label "
                  "column 'y' has 3 classes");
  r = run("eval --predictions m.csv --label y --score p_a");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err,
                  "score column 'p_a' holds 0.6 in row 1, and label column 'y' has 3 "
                  "classes");
  EXPECT_CONTAINS(r.err, "--score 'probability_*'");
  r = run("eval --predictions m.csv --label y --score p");
  EXPECT_CONTAINS(r.err, "the predictions have no column 'p'");
  EXPECT_CONTAINS(r.err, "give a pattern: --score 'p_*'");
  r = run("eval --predictions b.csv --label y --score 'p_*' --task binary --weight p_no");
  EXPECT_CONTAINS(r.err, "matches the --weight column 'p_no'");
  // Whole numbers that are all classes of a binary label are predicted classes, not scores
  // (labels 1 and 2: every row would be "positive" as a score > 0.5).
  WriteFile(dir / "n.csv", "y,pred\n1,1\n2,2\n2,1\n1,1\n");
  r = run("eval --predictions n.csv --label y --score pred --json");
  ASSERT_EQ(r.code, 0) << r.err;
  out = nlohmann::json::parse(r.out);
  EXPECT_TRUE(out["predicted_classes"].get<bool>());
  EXPECT_DOUBLE_EQ(out["metrics"]["accuracy"].get<double>(), 0.75);
  EXPECT_FALSE(out.contains("best_thresholds"));
  // Class numbers beside class names are refused, as scikit-learn refuses a mix.
  WriteFile(dir / "mix.csv", "y,pred\na,0\nb,1\nc,2\n");
  r = run("eval --predictions mix.csv --label y --score pred");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no value of score column 'pred' is a class of label column 'y'");
  // Labels of one class: the one other predicted value is the other class.
  WriteFile(dir / "one.csv", "y,pred\nyes,yes\nyes,no\nyes,yes\n");
  r = run("eval --predictions one.csv --label y --score pred --task binary --positive yes --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(nlohmann::json::parse(r.out)["metrics"]["recall"].get<double>(), 2.0 / 3.0, 1e-15);
  // Business value of predicted classes: of the decisions as made; no other threshold.
  WriteFile(dir / "biz.yaml",
            "outcomes:\n  true_positive: 10\n  false_positive: -2\n  true_negative: 0\n"
            "  false_negative: -5\n");
  r = run("eval --predictions b.csv --label y --score pred --business biz.yaml --json");
  ASSERT_EQ(r.code, 0) << r.err;
  out = nlohmann::json::parse(r.out);
  EXPECT_EQ(out["business"]["best_threshold"], out["business"]["threshold"]);
  EXPECT_EQ(out["business"]["summary"].get<std::string>().rfind("As predicted, the model ", 0), 0u)
      << out["business"];
  r = run("eval --predictions b.csv --label y --score pred --business biz.yaml --threshold 0.3");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "--threshold applies to scores, and these predictions are classes");
  // --html is never the business file (it was overwritten by the report).
  const std::string biz = testing::ReadFile(dir / "biz.yaml");
  r = run("eval --predictions b.csv --label y --score pred --business biz.yaml --html biz.yaml");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--html biz.yaml is the input file");
  EXPECT_EQ(testing::ReadFile(dir / "biz.yaml"), biz);
  // Gates are one per --fail-under: a second value after one says to repeat the flag.
  r = run("eval --predictions b.csv --label y --score pred --fail-under accuracy=0.1 f1=0.1");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "a quality gate takes one METRIC=VALUE per flag");
  // So does any other flag taking one KEY=VALUE per use.
  r = run("train b.csv --target y --param eta=0.1 max_depth=3");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err,
                  "hint: --param takes one value each time: repeat it (--param eta=0.1 --param "
                  "max_depth=3)");
  // A bound must be a finite number: an infinite one would always or never fail.
  r = run("eval --predictions b.csv --label y --score pred --fail-under accuracy=inf");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--fail-under expects METRIC=NUMBER, got 'accuracy=inf'");
  // A forgotten flag is not a second value of the one before.
  r = run("train b.csv --target y eta=0.1");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "hint: run `mloop --help` or `mloop COMMAND --help`");
  // A best threshold above every score (predicting no row positive is most accurate) says so.
  WriteFile(dir / "rare.csv", "y,s\n0,0.9\n0,0.8\n1,0.3\n0,0.2\n0,0.1\n");
  r = run("eval --predictions rare.csv --label y --score s --best-threshold accuracy");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out,
                  "Best threshold for accuracy: above every score (predict '1' for no row; "
                  "accuracy 0.800000, against 0.400000 by the default rule, score > 0.5)");
  r = run("eval --predictions rare.csv --label y --score s --json");
  EXPECT_TRUE(
      nlohmann::json::parse(r.out)["best_thresholds"]["accuracy"]["above_every_score"].get<bool>());
  // Probabilities rounded in a file: the one-vs-rest AUCs are left out with scikit-learn's
  // reason and the row, and a gate on them says so.
  WriteFile(dir / "rr.csv", "y,p_a,p_b,p_c\na,0.6,0.3,0.1001\nb,0.2,0.5,0.3\nc,0.1,0.1,0.8\n");
  r = run("eval --predictions rr.csv --label y --score 'p_*' --fail-under roc_auc_ovr_macro=0.5");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.out, "should sum up to 1.0 over classes (row 1 sums to 1.0001))");
  EXPECT_CONTAINS(r.err, "metric 'roc_auc_ovr_macro' is not defined on this data: Target scores");
  r = run("eval --predictions rr.csv --label y --score 'p_*' --fail-under roc_auc=0.5");
  EXPECT_CONTAINS(r.err,
                  "metric 'roc_auc' is not one of a multiclass evaluation (did you mean "
                  "'roc_auc_ovr_macro'?)");
  WriteFile(dir / "x.csv", "y,pred\nyes,yes\nno,maybe\n");
  r = run("eval --predictions x.csv --label y --score pred");
  EXPECT_CONTAINS(r.err,
                  "score column 'pred' holds 'maybe' (1 row), which is not a class of "
                  "label column 'y' (no, yes)");
}

}  // namespace
}  // namespace mloop
