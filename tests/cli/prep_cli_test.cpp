// Recipes through the real binary: prep fit / apply / preview, train --recipe, and a model that
// applies its own recipe when it predicts and evaluates.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "test_util.h"

namespace mloop {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

using Result = testing::CliResult;

class PrepCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Run("init").code, 0);
    // y is 1 exactly when x + 2 z > 10; `city` has a missing value; the last row is a duplicate.
    std::string csv = "id,x,z,city,y\n";
    for (int i = 0; i < 60; ++i) {
      const int x = i % 10, z = (i * 7) % 5;
      const std::string city = i % 13 == 0 ? "" : (i % 3 == 0 ? "Oslo" : "Lima");
      csv += std::to_string(i) + "," + std::to_string(x) + "," + std::to_string(z) + "," + city +
             "," + (x + 2 * z > 10 ? "1" : "0") + "\n";
    }
    csv += "59,9,3,Lima,1\n";
    WriteFile(dir_ / "d.csv", csv);
    ASSERT_EQ(Run("data import d.csv --name d").code, 0);
    WriteFile(dir_ / "recipe.yaml",
              "steps:\n"
              "  - drop: {columns: [id]}\n"
              "  - derive: {name: s, expr: \"x + 2 * z\"}\n"
              "  - impute: {columns: [city], strategy: most_frequent}\n"
              "  - one_hot: {columns: [city]}\n"
              "  - filter: \"x >= 1\"\n");
  }

  Result Run(const std::string& args) { return testing::RunMloop(dir_.path(), args); }
  TempDir dir_;
};

TEST_F(PrepCliTest, FitApplyPreview) {
  auto r = Run("prep fit recipe.yaml --data d --target y -o fitted.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "Fitted 5 steps on d@1 (61 rows)");
  auto fitted = nlohmann::json::parse(ReadFile(dir_ / "fitted.json"));
  EXPECT_EQ(fitted["format"], "mloop.recipe.fitted");
  EXPECT_EQ(fitted["fitted_on"]["dataset"], "d");

  // apply: a new dataset version whose lineage names the input and the recipe; the filter drops
  // the rows with x = 0 (6 of 61).
  r = Run("prep apply recipe.yaml --data d --target y --output d_prepared --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["ref"], "d_prepared@1");
  EXPECT_EQ(j["rows"], 55);
  EXPECT_EQ(j["input"]["dataset"], "d");
  r = Run("data show d_prepared --json");
  EXPECT_CONTAINS(r.out, "recipe:");
  EXPECT_CONTAINS(r.out, "city=Lima");
  EXPECT_EQ(r.out.find("\"id\""), std::string::npos);
  // The fitted recipe applies as it is, and identical output is the same version.
  r = Run("prep apply fitted.json --data d --output d_prepared --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["ref"], "d_prepared@1");
  // A file is read with the fitted recipe's input types: a string column that is all empty
  // (read alone, float64) is the string input it was fitted on, as predict reads it.
  WriteFile(dir_ / "new.csv", "id,x,z,city,y\n100,1,1,,1\n101,9,4,,0\n");
  r = Run("prep apply fitted.json --data new.csv --output from_file --json");
  ASSERT_EQ(r.code, 0) << r.err;
  // A fitted recipe keeps its target: another --target is refused, not recorded.
  r = Run("prep apply fitted.json --data d --output other --target id");
  EXPECT_EQ(r.code, 2);
  EXPECT_CONTAINS(r.err, "--target id differs from the target the recipe was fitted with ('y')");

  r = Run("prep preview recipe.yaml --data d --target y --rows 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "removed id");
  EXPECT_CONTAINS(r.out, "added s");
  EXPECT_CONTAINS(r.out, "rows 61 -> 55");
  // Row 0's missing city reads as `data show` prints it, not as an empty string.
  EXPECT_CONTAINS(r.out.substr(0, r.out.find("After")), "<NA>");
}

// The target declared at import is the recipe's target, as for `train`: passed through
// untouched (not scaled), still the target of the output; and a version already stored that is
// not the latest says so.
TEST_F(PrepCliTest, TheDeclaredTargetIsTheRecipesTarget) {
  ASSERT_EQ(Run("data import d.csv --name dt --target y").code, 0);
  WriteFile(dir_ / "scale.yaml", "steps:\n  - drop: {columns: [id, city]}\n  - scale: numeric\n");
  auto r = Run("prep apply scale.yaml --data dt --output scaled");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;
  // Stored under the input's own name, the output becomes its latest version: said.
  ASSERT_EQ(Run("data import d.csv --name self --target y").code, 0);
  r = Run("prep apply scale.yaml --data self --output self");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "note: self@2 is the recipe's output and now self's latest version");
  r = Run("data export scaled --output scaled.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string out = ReadFile(dir_ / "scaled.csv");
  EXPECT_CONTAINS(out.substr(0, out.find('\n')), "y");
  for (size_t at = out.find('\n') + 1; at < out.size(); at = out.find('\n', at) + 1) {
    const std::string line = out.substr(at, out.find('\n', at) - at);
    const std::string y = line.substr(line.rfind(',') + 1);
    ASSERT_TRUE(y == "0" || y == "1") << line;  // not standardised
  }
  r = Run("data show scaled --json");
  EXPECT_CONTAINS(r.out, "\"role\": \"target\"");
  r = Run("prep fit scale.yaml --data dt -o f.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(ReadFile(dir_ / "f.json"))["target"], "y");

  // Given with --target on data that does not declare it: the output declares it.
  ASSERT_EQ(Run("prep apply scale.yaml --data d --target y --output scaled2").code, 0);
  EXPECT_CONTAINS(Run("data show scaled2 --json").out, "\"role\": \"target\"");

  // Another --target than the declared one: the declared target becomes an ordinary column
  // (scaled like the other numbers), and the output has one target, so `train` picks z.
  r = Run("prep apply scale.yaml --data dt --target z --output retargeted --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "note: dt@1 declares 'y' as its target; with 'z' as the target here");
  const auto shown = nlohmann::json::parse(Run("data show retargeted --json").out);
  int targets = 0;
  for (const auto& c : shown["schema"]) targets += c["role"] == "target";
  EXPECT_EQ(targets, 1) << shown.dump();
  r = Run("train retargeted --algo linear --task regression --split none");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out + r.err, "(target z, declared at import)");

  WriteFile(dir_ / "other.yaml", "steps:\n  - drop: {columns: [id, city]}\n");
  ASSERT_EQ(Run("prep apply other.yaml --data dt --output scaled").code, 0);  // scaled@2
  r = Run("prep apply scale.yaml --data dt --output scaled");
  EXPECT_CONTAINS(r.out, "Already stored as scaled@1");
  EXPECT_CONTAINS(r.out, "Note: scaled means scaled@1 again");
  EXPECT_CONTAINS(Run("data show scaled --rows 0").out, "scaled@1");
}

TEST_F(PrepCliTest, BadRecipesAreReportedBeforeAnythingRuns) {
  WriteFile(dir_ / "typo.yaml", "steps:\n  - scale: {columns: [x], methd: standard}\n");
  auto r = Run("prep fit typo.yaml --data d");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "step 1 (scale): unknown key 'methd'");
  EXPECT_CONTAINS(r.err, "did you mean 'method'");
  WriteFile(dir_ / "col.yaml", "steps:\n  - scale: {columns: [zz], method: standard}\n");
  r = Run("train d --target y --recipe col.yaml");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no column 'zz'");
  EXPECT_CONTAINS(Run("runs list").out, "No runs");  // nothing was recorded
  // A fitted recipe where the recipe belongs is named as such (it read as an unknown key).
  ASSERT_EQ(Run("prep fit recipe.yaml --data d --target y -o fitted.json").code, 0);
  r = Run("train d --target y --recipe fitted.json");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "fitted.json: this is a fitted recipe (`prep fit -o`), not a recipe");
  EXPECT_EQ(Run("prep apply recipe.yaml --data d --output 'bad name'").code, 2);
  EXPECT_EQ(Run("prep apply recipe.yaml --data nope --output x").code, 1);
  EXPECT_EQ(Run("prep frobnicate").code, 2);
  // A result without columns is refused: a version no command could read back.
  WriteFile(dir_ / "none.yaml", "steps:\n  - select: []\n");
  r = Run("prep apply none.yaml --data d --output nocols");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "no columns to store as dataset 'nocols'");
  EXPECT_EQ(Run("data show nocols").code, 1);  // not found: nothing was stored
  // Without a target, a type selector takes the label too: said, and not with a target.
  WriteFile(dir_ / "num.yaml", "steps:\n  - scale: {columns: numeric, method: robust}\n");
  WriteFile(dir_ / "lab.csv", "x,label\n1,0\n2,1\n3,2\n");
  r = Run("prep fit num.yaml --data lab.csv -o num.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "note: no target column, so the type selector of num.yaml:2: step 1 "
                  "(scale) takes every column of its type: a label among them would be "
                  "transformed too");
  r = Run("prep fit num.yaml --data lab.csv --target label -o num.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("note:"), std::string::npos);
  // The fitted recipe never replaces the recipe or the data it was fitted from.
  for (const char* input : {"num.yaml", "lab.csv"}) {
    r = Run("prep fit num.yaml --data lab.csv --target label -o " + std::string(input));
    EXPECT_EQ(r.code, 2) << input;
    EXPECT_CONTAINS(r.err, std::string("--output ") + input + " is the input file");
  }
  EXPECT_EQ(ReadFile(dir_ / "lab.csv"), "x,label\n1,0\n2,1\n3,2\n");
  EXPECT_CONTAINS(ReadFile(dir_ / "num.yaml"), "steps:");
  // --data - reads standard input.
  {
    const std::string cmd = "cd '" + dir_.path().string() + "' && " + MLOOP_BINARY +
                            " prep preview cs.yaml --data - < cs.csv > out.txt 2>&1";
    WriteFile(dir_ / "cs.csv", "b,x\ntrue,1\nfalse,2\n,3\ntrue,4\n,5\n");
    WriteFile(dir_ / "cs.yaml", "steps:\n  - cast: {columns: [b], to: string}\n");
    ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ / "out.txt");
    EXPECT_CONTAINS(ReadFile(dir_ / "out.txt"), "Before (standard input, 5 rows)");
  }
  // What scikit-learn would warn about is noted: fewer quantile bins (KBinsDiscretizer made 8
  // of 10 on this column), values without a logarithm.
  WriteFile(dir_ / "bk.csv", "x,y\n1,0\n1,1\n1,0\n1,1\n2,0\n3,1\n-1,0\n0,1\n5,0\n9,1\n");
  WriteFile(dir_ / "bk.yaml", "steps:\n  - bucketize: {columns: [x], bins: 10}\n  - log: [y]\n");
  r = Run("prep fit bk.yaml --data bk.csv -o bk.json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err,
                  "note: bk.yaml:2: step 1 (bucketize): column 'x': 8 quantile bins, not "
                  "10: equal quantiles (repeated values) were merged");
  EXPECT_CONTAINS(r.err,
                  "note: bk.yaml:3: step 2 (log): column 'y': 5 values <= 0 have no finite "
                  "logarithm");
  // train --recipe says them too, once (from the final model's fit), even with -q.
  WriteFile(dir_ / "bkl.csv",
            "x,y,label\n1,0,a\n1,1,b\n1,0,a\n1,1,b\n2,0,a\n3,1,b\n-1,0,a\n0,1,b\n5,0,a\n"
            "9,1,b\n");
  WriteFile(dir_ / "bk1.yaml", "steps:\n  - bucketize: {columns: [x], bins: 10}\n");
  r =
      Run("train bkl.csv --target label --algo xgboost --recipe bk1.yaml --split none -q "
          "-p num_boost_round=2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.err, "note: bk1.yaml:2: step 1 (bucketize): column 'x': 8 quantile bins");
  EXPECT_EQ(r.err.find("quantile bins, not 10"), r.err.rfind("quantile bins, not 10"));
  r =
      Run("train bkl.csv --target label --algo xgboost --recipe bk1.yaml --cv 2 -q "
          "-p num_boost_round=2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err.find("quantile bins, not 10"), r.err.rfind("quantile bins, not 10"));
  EXPECT_NE(r.err.find("quantile bins, not 10"), std::string::npos);
  // ... and before a failure they may explain.
  r = Run("train bkl.csv --target label --algo logistic --recipe bk.yaml --split none -q");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "note: bk.yaml:3: step 2 (log): column 'y': 5 values <= 0");
  EXPECT_CONTAINS(r.err, "error: logistic: the training data has an infinite value (-inf)");
  r = Run("train bkl.csv --target label --algo logistic --recipe bk.yaml --cv 2 -q");
  EXPECT_EQ(r.code, 1);  // a fold fails first: its notes explain it
  EXPECT_CONTAINS(r.err, "note: bk.yaml:3: step 2 (log): column 'y': ");
  EXPECT_CONTAINS(r.err, "has an infinite value (-inf)");
  r = Run("prep preview bk.yaml --data bk.csv");
  // once, not once per step previewed
  EXPECT_EQ(r.err.find("quantile bins, not 10"), r.err.rfind("quantile bins, not 10"));
  EXPECT_NE(r.err.find("quantile bins, not 10"), std::string::npos);
  // preview counts the cells a cast changed: not those missing before and after.
  WriteFile(dir_ / "cs.csv", "b,x\ntrue,1\nfalse,2\n,3\ntrue,4\n,5\n");
  WriteFile(dir_ / "cs.yaml", "steps:\n  - cast: {columns: [b], to: string}\n");
  r = Run("prep preview cs.yaml --data cs.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "b (3 cells, bool -> string)");
  // A rename shows as one, not as a column removed and another added.
  WriteFile(dir_ / "ren.yaml", "steps:\n  - rename: {mapping: {x: size}}\n");
  r = Run("prep preview ren.yaml --data cs.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "renamed x -> size");
  EXPECT_EQ(r.out.find("added size"), std::string::npos);
  // preview names the file and line of the step, as fit does, and the row of the input.
  WriteFile(dir_ / "rn.csv", "id,v\n1,5\n2,6\n3,x\n");
  WriteFile(dir_ / "rn.yaml",
            "steps:\n  - filter: \"id > 1\"\n  - cast: {columns: [v], to: float64}\n");
  for (const char* command :
       {"prep preview rn.yaml --data rn.csv", "prep fit rn.yaml --data rn.csv -o rn.json"}) {
    r = Run(command);
    EXPECT_EQ(r.code, 1);
    EXPECT_CONTAINS(r.err, "error: row 3, column 'v': rn.yaml:3: step 2 (cast): cannot cast 'x'");
  }
}

TEST_F(PrepCliTest, TrainedModelAppliesItsRecipe) {
  auto r = Run("train d --target y --algo logistic --recipe recipe.yaml --split none --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_CONTAINS(r.out, "\"train_rows\": 55");  // the filter ran before training
  r = Run("runs show 1 --json");
  EXPECT_CONTAINS(r.out, "\"recipe\"");
  EXPECT_CONTAINS(r.out, "\"sha256\"");
  // predict takes the raw columns (no label needed) and keeps every row: filters do not apply
  // when scoring.
  WriteFile(dir_ / "new.csv", "id,x,z,city\n100,0,1,Oslo\n101,9,4,Quito\n102,3,0,\n");
  r = Run("predict run:1 --data new.csv -o p.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  const std::string preds = ReadFile(dir_ / "p.csv");
  EXPECT_EQ(preds.substr(0, 23), "prediction,probability\n");
  EXPECT_EQ(std::count(preds.begin(), preds.end(), '\n'), 4);
  // One record whose string column is empty, or holds a number: read as the types the model
  // was trained on (inferred from this file alone they were float64 / int64, and refused).
  WriteFile(dir_ / "one.csv", "id,x,z,city\n100,0,1,\n");
  r = Run("predict run:1 --data one.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  WriteFile(dir_ / "num.csv", "id,x,z,city\n100,0,1,7\n");
  r = Run("predict run:1 --data num.csv");
  ASSERT_EQ(r.code, 0) << r.err;
  // A column the recipe reads is missing: named, with the step.
  WriteFile(dir_ / "noz.csv", "id,x,city\n1,2,Oslo\n");
  r = Run("predict run:1 --data noz.csv");
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'z'");
  // eval and an exported bundle carry the recipe too.
  EXPECT_EQ(Run("eval run:1 --data d --json").code, 0);
  ASSERT_EQ(Run("models register 1 --name m").code, 0);
  ASSERT_EQ(Run("models export m/1 --output exported").code, 0);
  WriteFile(dir_ / "a_file", "x");
  r = Run("models export m/1 --output a_file");  // a file, not a directory
  EXPECT_EQ(r.code, 1);
  EXPECT_CONTAINS(r.err, "'a_file' is a file; a model exports into a directory");
  EXPECT_CONTAINS(ReadFile(dir_ / "exported" / "recipe.json"), "mloop.recipe.fitted");
  EXPECT_CONTAINS(ReadFile(dir_ / "exported" / "manifest.json"), "\"format_version\": 3");
  // A model without a recipe exported over it: the earlier model's recipe does not stay behind
  // to be read as this one's, and no temporary file is left.
  ASSERT_EQ(Run("train d --target y --algo logistic --split none").code, 0);
  ASSERT_EQ(Run("models register 2 --name plain").code, 0);
  r = Run("models export plain/1 --output exported");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "exported" / "recipe.json"));
  EXPECT_CONTAINS(ReadFile(dir_ / "exported" / "manifest.json"), "\"format_version\"");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_ / "exported")) {
    ++entries;
  }
  EXPECT_EQ(entries, 5);  // manifest, target, encoding, model, config
  // Validation rows are scored as eval scores them: the filter shapes the training data only,
  // so the run's validation metrics are eval's on the same file.
  r = Run("train d --target y --algo logistic --recipe recipe.yaml --valid d --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto run = nlohmann::json::parse(r.out);
  EXPECT_EQ(run["valid_rows"], 61);  // the 6 rows with x = 0 included
  r = Run("eval " + std::to_string(run["run_id"].get<int>()) + " --data d --json");
  ASSERT_EQ(r.code, 0) << r.err;
  const auto ev = nlohmann::json::parse(r.out);
  EXPECT_EQ(ev["metrics"]["roc_auc"], run["metrics"]["roc_auc"]);
  EXPECT_EQ(ev["metrics"]["log_loss"], run["metrics"]["log_loss"]);
}

}  // namespace
}  // namespace mloop
