#include "mloop/prep/recipe.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/io/csv_reader.h"
#include "test_util.h"

namespace mloop {
namespace {

using nlohmann::json;

// tests/data/prep/fixtures.json, written by make_fixtures.py with scikit-learn 1.2.1 (and the
// TargetEncoder algorithm of 1.3 written out by hand), over train.csv and test.csv.
const json& Fixtures() {
  static const json doc = [] {
    std::ifstream in(MLOOP_TEST_DATA "/prep/fixtures.json");
    if (!in) throw std::runtime_error("cannot open " MLOOP_TEST_DATA "/prep/fixtures.json");
    return json::parse(in);
  }();
  return doc;
}

Table ReadData(const std::string& name) {
  ReadOptions options;
  options.threads = 1;
  return ReadCsv(MLOOP_TEST_DATA "/prep/" + name, options).table;
}
const Table& TrainData() {
  static const Table t = ReadData("train.csv");
  return t;
}
const Table& TestData() {
  static const Table t = ReadData("test.csv");
  return t;
}

double ExpectedNumber(const json& v) {
  if (v.is_null()) return std::numeric_limits<double>::quiet_NaN();
  if (v.is_string()) {
    return v == "inf" ? std::numeric_limits<double>::infinity()
                      : -std::numeric_limits<double>::infinity();
  }
  return v.get<double>();
}

// A numeric column's values as doubles; missing is NaN.
std::vector<double> Doubles(const Column& c) {
  std::vector<double> out;
  for (int64_t i = 0; i < c.size(); ++i) {
    if (!c.IsValid(i)) {
      out.push_back(std::nan(""));
    } else if (c.type() == DataType::kFloat64) {
      out.push_back(c.f64()[i]);
    } else if (c.type() == DataType::kBool) {
      out.push_back(c.bools()[i]);
    } else {
      out.push_back(static_cast<double>(c.i64()[i]));
    }
  }
  return out;
}

// |actual - expected| <= 1e-9 * max(1, |expected|); NaN and infinities must match exactly.
::testing::AssertionResult Near(double actual, double expected) {
  if (std::isnan(expected) || std::isinf(expected)) {
    if ((std::isnan(expected) && std::isnan(actual)) || actual == expected) {
      return ::testing::AssertionSuccess();
    }
    return ::testing::AssertionFailure() << "got " << actual << ", expected " << expected;
  }
  if (std::fabs(actual - expected) <= 1e-9 * std::max(1.0, std::fabs(expected))) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "got " << ::testing::PrintToString(actual)
                                       << ", expected " << ::testing::PrintToString(expected);
}

void CompareColumns(const Table& out, const json& expected, const std::string& which) {
  for (const auto& [name, values] : expected.items()) {
    SCOPED_TRACE(which + " column " + name);
    int idx = out.schema().IndexOf(name);
    ASSERT_GE(idx, 0) << "no output column " << name;
    const Column& c = out.column(idx);
    ASSERT_EQ(c.size(), static_cast<int64_t>(values.size()));
    if (c.type() == DataType::kString) {
      for (size_t i = 0; i < values.size(); ++i) {
        if (values[i].is_null()) {
          EXPECT_FALSE(c.IsValid(i)) << "row " << i;
        } else {
          ASSERT_TRUE(c.IsValid(i)) << "row " << i;
          EXPECT_EQ(c.StringAt(i), values[i].get<std::string>()) << "row " << i;
        }
      }
      continue;
    }
    std::vector<double> got = Doubles(c);
    for (size_t i = 0; i < values.size(); ++i) {
      EXPECT_TRUE(Near(got[i], ExpectedNumber(values[i]))) << "row " << i;
    }
  }
}

const json& Case(const std::string& name) {
  for (const json& c : Fixtures()["cases"]) {
    if (c["name"] == name) return c;
  }
  throw std::runtime_error("no fixture case " + name);
}

std::vector<std::string> CaseNames() {
  std::vector<std::string> out;
  for (const json& c : Fixtures()["cases"]) out.push_back(c["name"]);
  return out;
}

class RecipeSklearnTest : public ::testing::TestWithParam<std::string> {};

// Every step against scikit-learn (or pandas): fit on train.csv, the training output
// (kDataset), the transform of test.csv (kScoring), then the same after a JSON round trip,
// bit for bit.
TEST_P(RecipeSklearnTest, MatchesReference) {
  const json& c = Case(GetParam());
  SCOPED_TRACE(c["recipe"].get<std::string>());
  Recipe recipe = Recipe::Parse(c["recipe"].get<std::string>());
  RecipeFitOptions options;
  options.target = c["target"];
  Table fitted_out;
  FittedRecipe fitted = recipe.Fit(TrainData(), options, &fitted_out);
  EXPECT_EQ(fitted_out.schema().names(), c["output_columns"].get<std::vector<std::string>>());
  EXPECT_EQ(fitted.output_schema(), fitted_out.schema());
  CompareColumns(fitted_out, c["train"], "train");
  Table test_out = fitted.Transform(TestData(), ApplyMode::kScoring);
  CompareColumns(test_out, c["test"], "test");

  FittedRecipe loaded = FittedRecipe::FromJson(json::parse(fitted.ToJson().dump()));
  EXPECT_EQ(loaded.ToJson(), fitted.ToJson());
  EXPECT_TRUE(loaded.Transform(TestData(), ApplyMode::kScoring).Equals(test_out));
  // The training data transformed again (not out of fold) by the loaded recipe.
  EXPECT_TRUE(loaded.Transform(TrainData(), ApplyMode::kDataset)
                  .Equals(fitted.Transform(TrainData(), ApplyMode::kDataset)));
}

INSTANTIATE_TEST_SUITE_P(RecipeSklearn, RecipeSklearnTest, ::testing::ValuesIn(CaseNames()),
                         [](const auto& info) { return info.param; });

// --- Parse ------------------------------------------------------------------------------------

// The message and hint of the error `fn` throws.
template <typename F>
std::pair<std::string, std::string> ErrorOf(F fn, ErrorCode code = ErrorCode::kInvalidArgument) {
  try {
    fn();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
    return {e.what(), e.hint()};
  }
  ADD_FAILURE() << "no error";
  return {};
}

std::pair<std::string, std::string> ParseError(const std::string& yaml) {
  return ErrorOf([&] { Recipe::Parse(yaml); });
}

TEST(RecipeParseTest, UnknownKeyNamesStepKeyAndNearest) {
  auto [msg, hint] = ParseError(
      "steps:\n  - select: [a, b]\n  - drop: b\n  - scale: {columns: [a], methd: robust}\n");
  EXPECT_EQ(msg, "step 3 (scale): unknown key 'methd'");
  EXPECT_NE(hint.find("did you mean 'method'?"), std::string::npos) << hint;
  EXPECT_NE(hint.find("columns, method"), std::string::npos) << hint;
}

TEST(RecipeParseTest, UnknownStep) {
  auto [msg, hint] = ParseError("steps:\n  - scal: {columns: [a]}\n");
  EXPECT_EQ(msg, "step 1: unknown step 'scal'");
  EXPECT_NE(hint.find("did you mean 'scale'?"), std::string::npos) << hint;
}

TEST(RecipeParseTest, BadEnumListsValidValues) {
  auto [msg, hint] = ParseError("steps:\n  - scale: {columns: [a], method: standrd}\n");
  EXPECT_EQ(msg, "step 1 (scale): 'method' must be one of standard, minmax, robust, not 'standrd'");
  EXPECT_EQ(hint, "did you mean 'standard'?");
}

TEST(RecipeParseTest, WrongValueTypes) {
  EXPECT_EQ(ParseError("steps:\n  - bucketize: {columns: [a], bins: five}\n").first,
            "step 1 (bucketize): 'bins' must be a whole number, not a string ('five')");
  EXPECT_EQ(ParseError("steps:\n  - bucketize: {columns: [a], bins: 2.5}\n").first,
            "step 1 (bucketize): 'bins' must be a whole number, not a number (2.5)");
  EXPECT_EQ(ParseError("steps:\n  - impute: {columns: [a], add_indicator: maybe}\n").first,
            "step 1 (impute): 'add_indicator' must be true or false, not 'maybe'");
  EXPECT_EQ(ParseError("steps:\n  - clip: {columns: [a], min: low}\n").first,
            "step 1 (clip): 'min' must be a number, not a string ('low')");
  EXPECT_NE(ParseError("steps:\n  - scale: {columns: {a: 1}}\n")
                .first.find("'columns' must be a column name, a list of column names, or one of "
                            "numeric, string, timestamp, all"),
            std::string::npos);
  EXPECT_EQ(ParseError("steps:\n  - power: {columns: [a], exponent: '2'}\n").first,
            "step 1 (power): 'exponent' must be a number, not a string ('2')");
  // A number beyond a double reads as infinite: a fitted recipe could not be saved with it.
  EXPECT_EQ(
      ParseError("steps:\n  - impute: {columns: [b], strategy: constant, fill_value: 1e999}\n")
          .first,
      "step 1 (impute): 'fill_value' must be a finite number; it reads as infinite (beyond a "
      "double)");
  EXPECT_EQ(ParseError("steps:\n  - ordinal: {columns: [c], handle_unknown: use_encoded_value, "
                       "unknown_value: -1e999}\n")
                .first,
            "step 1 (ordinal): 'unknown_value' must be a finite number; it reads as infinite "
            "(beyond a double)");
}

TEST(RecipeParseTest, MissingAndInconsistentOptions) {
  EXPECT_EQ(ParseError("steps:\n  - cast: {columns: [a]}\n").first,
            "step 1 (cast): missing key 'to'");
  // The aliases a schema file takes are types too.
  EXPECT_EQ(Recipe::Parse("steps:\n  - cast: {columns: [num_c], to: float}\n")
                .Check(TrainData().schema())
                .field(TrainData().schema().IndexOf("num_c"))
                .type,
            DataType::kFloat64);
  EXPECT_EQ(ParseError("steps:\n  - scale: {method: minmax}\n").first,
            "step 1 (scale): missing key 'columns'");
  EXPECT_EQ(ParseError("steps:\n  - clip: {columns: [a]}\n").first,
            "step 1 (clip): needs 'min', 'max' or both");
  EXPECT_EQ(ParseError("steps:\n  - bucketize: {columns: a, edges: [1, 0]}\n").first,
            "step 1 (bucketize): 'edges' must be increasing");
  EXPECT_EQ(ParseError("steps:\n  - winsorize: {columns: a, lower: 0.9, upper: 0.1}\n").first,
            "step 1 (winsorize): needs 0 <= lower < upper <= 1 (quantiles), got lower 0.9 and "
            "upper 0.1");
  EXPECT_EQ(ParseError("steps:\n  - date_parts: {columns: t, parts: [year, days_since]}\n").first,
            "step 1 (date_parts): the part days_since needs 'reference' (a date such as "
            "'2024-01-01')");
  EXPECT_EQ(ParseError("steps:\n  - one_hot: {columns: a, min_frequency: 1.5}\n").first,
            "step 1 (one_hot): 'min_frequency' must be a count (a whole number >= 1) or a "
            "fraction in (0, 1], not 1.5");
}

TEST(RecipeParseTest, DocumentShape) {
  EXPECT_EQ(ParseError("stpes:\n  - drop: a\n").first,
            "unknown top-level key 'stpes' (did you mean 'steps'?)");
  EXPECT_NE(ParseError("steps:\n  - scale\n").first.find("step 1: expected a one-key map"),
            std::string::npos);
  EXPECT_NE(ParseError("steps:\n  - {scale: {columns: a}, drop: b}\n")
                .first.find("step 1: expected a one-key map"),
            std::string::npos);
  EXPECT_NE(ParseError("steps: [\n").first.find("invalid YAML"), std::string::npos);
  EXPECT_NE(ParseError("").first.find("the recipe is empty"), std::string::npos);
  // YAML 1.2 core integers in other bases.
  EXPECT_NO_THROW(Recipe::Parse("steps:\n  - bucketize: {columns: a, bins: 0x4}\n"));
  EXPECT_NO_THROW(Recipe::Parse("steps:\n  - bucketize: {columns: a, bins: 0o7}\n"));
  // A derived name in backquotes may hold '=' ; `` is one backquote, as in expressions.
  {
    ColumnBuilder a(DataType::kInt64);
    a.AppendInt(1);
    Table t(Schema({Field{"a", DataType::kInt64}}), {a.Finish()});
    Table out;
    Recipe::Parse(
        "steps:\n  - derive: \"`a=b` = a + 1\"\n  - derive: \"`x``y` = a * 2\"\n"
        "  - derive: \"z = `x``y` + `a=b`\"\n")
        .Fit(t, {}, &out);
    EXPECT_EQ(out.column("a=b").i64()[0], 2);
    EXPECT_EQ(out.column("x`y").i64()[0], 2);
    EXPECT_EQ(out.column("z").i64()[0], 4);
  }
  // A second YAML document was silently dropped.
  EXPECT_NE(ParseError("steps:\n  - drop: a\n---\nsteps:\n  - drop: b\n")
                .first.find("the file holds 2 YAML documents"),
            std::string::npos);
  EXPECT_EQ(ParseError("steps:\n  - derive: \"no equals sign\"\n").first,
            "step 1 (derive): expected 'NAME = EXPRESSION', got 'no equals sign'");
  EXPECT_NE(ParseError("steps:\n  - filter: \"age >= \"\n").first.find("step 1 (filter): "),
            std::string::npos);
}

TEST(RecipeParseTest, ShorthandsAndSource) {
  Recipe r = Recipe::Parse(
      "steps:\n"
      "  - drop: id\n"
      "  - log1p: [a, b]\n"
      "  - filter: \"age >= 18\"\n"
      "  - derive: \"ratio = a / b\"\n"
      "  - drop_duplicates:\n"
      "  - impute: {columns: numeric, strategy: median}\n");
  EXPECT_EQ(r.size(), 6u);
  json expected = json::parse(R"({"steps": [
      {"drop": {"columns": "id"}}, {"log1p": {"columns": ["a", "b"]}},
      {"filter": {"expr": "age >= 18"}}, {"derive": {"name": "ratio", "expr": "a / b"}},
      {"drop_duplicates": {}}, {"impute": {"columns": "numeric", "strategy": "median"}}]})");
  EXPECT_EQ(r.ToJson(), expected);
  EXPECT_EQ(Recipe::FromJson(r.ToJson()).ToJson(), expected);
  // Quoted scalars stay strings; plain ones are typed.
  EXPECT_EQ(Recipe::Parse("steps:\n  - impute: {columns: a, strategy: constant, fill_value: "
                          "'0'}\n")
                .ToJson()["steps"][0]["impute"]["fill_value"],
            "0");
  EXPECT_EQ(Recipe::Parse("steps: []\n").size(), 0u);
}

TEST(RecipeParseTest, LoadPutsFileAndLineInMessages) {
  testing::TempDir dir;
  auto path = testing::WriteFile(dir / "prep.yaml",
                                 "steps:\n  - drop: a\n  - scale: {columns: b, methd: x}\n");
  auto [msg, hint] = ErrorOf([&] { Recipe::Load(path); });
  EXPECT_EQ(msg, path.string() + ":3: step 2 (scale): unknown key 'methd'");
  ErrorOf([&] { Recipe::Load(dir / "missing.yaml"); }, ErrorCode::kNotFound);
  // Errors found when the recipe meets the data name the line too.
  path = testing::WriteFile(dir / "check.yaml", "steps:\n  - drop: id\n  - scale: [nm_b]\n");
  msg = ErrorOf([&] { Recipe::Load(path).Check(TrainData().schema(), {}); }, ErrorCode::kNotFound)
            .first;
  EXPECT_EQ(msg, path.string() + ":3: step 2 (scale): no column 'nm_b' (did you mean 'num_b'?)");
}

// --- Check ------------------------------------------------------------------------------------

std::pair<std::string, std::string> CheckError(const std::string& yaml, ErrorCode code,
                                               const std::string& target = "y_bin") {
  Recipe r = Recipe::Parse(yaml);
  RecipeFitOptions options;
  options.target = target;
  return ErrorOf([&] { r.Check(TrainData().schema(), options); }, code);
}

TEST(RecipeCheckTest, MissingColumnNamesNearest) {
  auto [msg, hint] = CheckError("steps:\n  - drop: id\n  - scale: {columns: [num_a, nm_b]}\n",
                                ErrorCode::kNotFound);
  EXPECT_EQ(msg, "step 2 (scale): no column 'nm_b' (did you mean 'num_b'?)");
  EXPECT_NE(hint.find("num_a, num_b"), std::string::npos) << hint;
  // A type selector with a typo reads as a column name: the selector is suggested.
  EXPECT_EQ(CheckError("steps:\n  - scale: {columns: numerc}\n", ErrorCode::kNotFound).first,
            "step 1 (scale): no column 'numerc' (did you mean the selector 'numeric'?)");
  // A column an earlier step removed or renamed: that step, not an unrelated near name.
  EXPECT_EQ(CheckError("steps:\n  - drop: num_a\n  - log: num_a\n", ErrorCode::kNotFound).first,
            "step 2 (log): no column 'num_a': step 1 (drop) removed it");
  EXPECT_EQ(CheckError("steps:\n  - rename: {mapping: {num_a: a}}\n  - derive: x = num_a + 1\n",
                       ErrorCode::kNotFound)
                .first,
            "step 2 (derive): no column 'num_a': step 1 (rename) renamed it to 'a'");
  EXPECT_EQ(CheckError("steps:\n  - drop: num_a\n  - rename: {mapping: {num_a: b}}\n",
                       ErrorCode::kNotFound)
                .first,
            "step 2 (rename): no column 'num_a': step 1 (drop) removed it");
  // Made again by a later step, it exists again.
  EXPECT_EQ(
      Recipe::Parse("steps:\n  - drop: num_a\n  - derive: num_a = num_b * 2\n  - log: num_a\n")
              .Check(TrainData().schema(), {})
              .IndexOf("num_a") >= 0,
      true);
}

TEST(RecipeCheckTest, WrongTypes) {
  EXPECT_EQ(CheckError("steps:\n  - scale: {columns: [num_a, plan]}\n", ErrorCode::kInvalidArgument)
                .first,
            "step 1 (scale): column 'plan' is string; scale takes numeric columns (float64, "
            "int64, bool)");
  EXPECT_EQ(CheckError("steps:\n  - impute: {columns: city, strategy: median}\n",
                       ErrorCode::kInvalidArgument)
                .first,
            "step 1 (impute): column 'city' is string; impute with strategy median takes "
            "numeric columns (float64, int64, bool)");
  // A timestamp filled with scikit-learn's default 0 would be 1970-01-01: the date is asked for.
  EXPECT_EQ(CheckError("steps:\n  - impute: {columns: ts, strategy: constant}\n",
                       ErrorCode::kInvalidArgument)
                .first,
            "step 1 (impute): strategy constant on the timestamp column 'ts' needs 'fill_value', "
            "a date such as '2024-01-01'");
  EXPECT_NE(CheckError("steps:\n  - date_parts: {columns: plan}\n", ErrorCode::kInvalidArgument)
                .first.find("column 'plan' is string; date_parts takes timestamp columns"),
            std::string::npos);
  EXPECT_EQ(CheckError("steps:\n  - one_hot: ts\n", ErrorCode::kInvalidArgument).first,
            "step 1 (one_hot): column 'ts' is timestamp; one_hot takes string, int64, bool or "
            "float64 columns");
  EXPECT_NE(CheckError("steps:\n  - filter: \"num_a + 1\"\n", ErrorCode::kInvalidArgument)
                .first.find("step 1 (filter): the expression gives float64"),
            std::string::npos);
}

TEST(RecipeCheckTest, NameClashesAndTarget) {
  EXPECT_EQ(
      CheckError("steps:\n  - derive: \"num_a = num_b * 2\"\n", ErrorCode::kInvalidArgument).first,
      "step 1 (derive): the new column 'num_a' clashes with an existing column");
  EXPECT_NE(
      CheckError("steps:\n  - rename: {mapping: {num_a: num_b}}\n", ErrorCode::kInvalidArgument)
          .first.find("clashes"),
      std::string::npos);
  EXPECT_EQ(CheckError("steps:\n  - scale: [num_a, y_bin]\n", ErrorCode::kInvalidArgument).first,
            "step 1 (scale): 'y_bin' is the target column, which a recipe passes through "
            "untouched");
  EXPECT_NE(CheckError("steps:\n  - derive: \"leak = y_bin * 2\"\n", ErrorCode::kInvalidArgument)
                .first.find("reads the target column 'y_bin'"),
            std::string::npos);
  EXPECT_EQ(CheckError("steps:\n  - target_encode: city\n", ErrorCode::kInvalidArgument, "").first,
            "step 1 (target_encode): needs the target column to learn from");
  EXPECT_NE(CheckError("steps:\n  - drop: id\n", ErrorCode::kNotFound, "label")
                .first.find("the target column 'label' is not in the data"),
            std::string::npos);
}

TEST(RecipeCheckTest, WalksTheSchema) {
  Recipe r = Recipe::Parse(
      "steps:\n"
      "  - rename: {mapping: {num_a: age}}\n"
      "  - impute: {columns: [age], strategy: median, add_indicator: true}\n"
      "  - scale: [age, age_missing]\n"
      "  - one_hot: plan\n"
      "  - derive: \"basic_age = `plan=basic` * age\"\n"
      "  - date_parts: {columns: ts, parts: [year]}\n"
      "  - drop: [ts, id]\n"
      "  - cast: {columns: num_c, to: string}\n");
  RecipeFitOptions options;
  options.target = "y_bin";
  Schema out = r.Check(TrainData().schema(), options);
  std::vector<std::string> names = out.names();
  EXPECT_EQ(names,
            (std::vector<std::string>{"age", "num_b", "num_c", "num_const", "flag", "city",
                                      "ts_year", "y_bin", "y_reg", "age_missing", "basic_age"}));
  EXPECT_EQ(out.field(out.IndexOf("num_c")).type, DataType::kString);
  EXPECT_EQ(out.field(out.IndexOf("age")).type, DataType::kFloat64);
  EXPECT_EQ(out.field(out.IndexOf("ts_year")).type, DataType::kInt64);
  // Fitting agrees and adds the one-hot columns.
  Table t;
  FittedRecipe f = r.Fit(TrainData(), options, &t);
  EXPECT_GE(t.schema().IndexOf("plan=basic"), 0);
  EXPECT_GE(t.schema().IndexOf("basic_age"), 0);
}

// --- Fit and Transform ------------------------------------------------------------------------

TEST(RecipeTransformTest, RowRemovingStepsApplyToDatasetsOnly) {
  Recipe r =
      Recipe::Parse("steps:\n  - filter: \"num_c >= 3\"\n  - drop_duplicates: {columns: [plan]}\n");
  RecipeFitOptions options;
  options.target = "y_bin";
  Table fit_out;
  FittedRecipe f = r.Fit(TrainData(), options, &fit_out);
  EXPECT_LE(fit_out.num_rows(), 6);  // one row per plan, missing included
  EXPECT_GE(fit_out.num_rows(), 5);
  EXPECT_EQ(f.Transform(TestData(), ApplyMode::kScoring).num_rows(), TestData().num_rows());
  EXPECT_LT(f.Transform(TestData(), ApplyMode::kDataset).num_rows(), TestData().num_rows());
}

TEST(RecipeTransformTest, DropDuplicatesComparesWholeRows) {
  ColumnBuilder x(DataType::kFloat64), s(DataType::kString), y(DataType::kInt64);
  const double values[] = {1.0, -0.0, 1.0, 0.0, std::nan(""), 2.0};
  for (double v : values) x.AppendDouble(v);
  x.AppendNull();
  for (const char* t : {"a", "b", "a", "b", "c", "c", "c"}) s.AppendString(t);
  for (int v : {1, 1, 1, 1, 1, 1, 1}) y.AppendInt(v);
  Table t(Schema({Field{"x"}, Field{"s", DataType::kString}, Field{"y", DataType::kInt64}}),
          {x.Finish(), s.Finish(), y.Finish()});
  Table out;
  Recipe::Parse("steps:\n  - drop_duplicates:\n").Fit(t, {}, &out);
  // Rows 2 (= row 0) and 3 (-0.0 = 0.0, = row 1) go; NaN and missing are one value (row 6 = 4).
  EXPECT_EQ(out.num_rows(), 4);
  EXPECT_TRUE(std::isnan(out.column("x").f64()[2]));
  EXPECT_EQ(out.column("x").f64()[3], 2.0);
  std::vector<std::string> texts;
  for (int64_t i = 0; i < out.num_rows(); ++i)
    texts.push_back(std::string(out.column("s").StringAt(i)));
  EXPECT_EQ(texts, (std::vector<std::string>{"a", "b", "c", "c"}));
  // An int64 whose bits are the hash's missing marker is still not missing (pandas keeps both).
  ColumnBuilder k(DataType::kInt64);
  k.AppendInt(static_cast<int64_t>(0x7ff8dead00000001ULL));
  k.AppendNull();
  Table marker(Schema({Field{"k", DataType::kInt64}}), {k.Finish()});
  Recipe::Parse("steps:\n  - drop_duplicates:\n").Fit(marker, {}, &out);
  EXPECT_EQ(out.num_rows(), 2);
}

TEST(RecipeTransformTest, TargetPassesThroughAndIsOptionalWhenScoring) {
  Recipe r = Recipe::Parse(
      "steps:\n  - select: [num_a, num_b]\n  - impute: {columns: numeric, strategy: median}\n"
      "  - scale: numeric\n");
  RecipeFitOptions options;
  options.target = "y_reg";
  Table out;
  FittedRecipe f = r.Fit(TrainData(), options, &out);
  EXPECT_EQ(out.schema().names(), (std::vector<std::string>{"num_a", "num_b", "y_reg"}));
  EXPECT_TRUE(out.column("y_reg").Equals(TrainData().column("y_reg")));
  EXPECT_EQ(f.target(), "y_reg");
  // Without the target (and without the columns the recipe never needs).
  Table features = TestData().Select({"num_b", "num_a", "plan"});
  Table scored = f.Transform(features, ApplyMode::kScoring);
  EXPECT_EQ(scored.schema().names(), (std::vector<std::string>{"num_a", "num_b"}));
  EXPECT_EQ(f.input_schema().names(), (std::vector<std::string>{"num_a", "num_b", "y_reg"}));
}

// Scoring skips filter and drop_duplicates, so it does not need the columns only they read: a
// model's inputs leave them out, and the fitted recipe remembers it through JSON.
TEST(RecipeTransformTest, ScoringNeedsNoColumnOnlySkippedStepsRead) {
  Recipe r = Recipe::Parse(
      "steps:\n  - drop_duplicates:\n  - filter: \"num_c >= 0\"\n  - select: [num_a, num_b]\n"
      "  - impute: num_a\n");
  RecipeFitOptions options;
  options.target = "y_reg";
  const FittedRecipe fitted = r.Fit(TrainData(), options);
  const FittedRecipe f = FittedRecipe::FromJson(fitted.ToJson());
  const Table features = TestData().Select({"num_a", "num_b"});
  EXPECT_EQ(f.Transform(features, ApplyMode::kScoring).schema().names(),
            (std::vector<std::string>{"num_a", "num_b"}));
  EXPECT_EQ(f.scoring_input_schema().names(),
            (std::vector<std::string>{"num_a", "num_b", "y_reg"}));
  // As a dataset the filter and drop_duplicates run, and need their columns.
  auto [msg, hint] = ErrorOf([&] { f.Transform(features, ApplyMode::kDataset); });
  EXPECT_NE(msg.find("step 1 (drop_duplicates) reads it"), std::string::npos) << msg;
  // When scoring, a missing column is named with the first step that reads it then.
  EXPECT_EQ(ErrorOf([&] { f.Transform(TestData().Select({"num_b"}), ApplyMode::kScoring); }).first,
            "column 'num_a' is missing (step 4 (impute) reads it)");
}

TEST(RecipeTransformTest, InputErrorsNameColumnAndStep) {
  Recipe r = Recipe::Parse("steps:\n  - drop: id\n  - scale: [num_a, num_b]\n  - one_hot: plan\n");
  FittedRecipe f = r.Fit(TrainData(), {});
  auto [msg, hint] = ErrorOf([&] { f.Transform(TestData().Select({"num_a", "plan", "num_c"})); });
  EXPECT_EQ(msg, "column 'num_b' is missing (step 2 (scale) reads it)");
  // num_a is an input given already: no suggestion; a column the recipe does not take is one.
  EXPECT_EQ(hint, "the data needs every column the recipe reads or passes through");
  Table misspelt = TestData().Select({"num_a", "plan", "num_c"});
  misspelt = Table(
      Schema({Field{"num_a"}, Field{"plan", DataType::kString}, Field{"num_c", DataType::kInt64},
              Field{"num_bb"}}),
      {misspelt.column(0), misspelt.column(1), misspelt.column(2), TestData().column("num_b")});
  EXPECT_EQ(ErrorOf([&] { f.Transform(misspelt); }).second,
            "did you mean 'num_bb'? the data needs every column the recipe reads or passes "
            "through");
  // Columns the recipe only drops are not needed; pass-through ones are.
  EXPECT_NE(ErrorOf([&] {
              f.Transform(TestData().Select({"num_a", "num_b", "plan"}));
            }).first.find("column 'num_c' is missing (the recipe passes it through)"),
            std::string::npos);
  EXPECT_EQ(ErrorOf([&] {
              f.Transform(TestData().Select({"num_a", "num_b", "num_c"}));
            }).first,
            "column 'num_const' is missing (the recipe passes it through)");
  Table no_plan = TestData().Select(
      {"num_a", "num_b", "num_c", "num_const", "flag", "city", "ts", "y_bin", "y_reg"});
  EXPECT_EQ(ErrorOf([&] { f.Transform(no_plan); }).first,
            "column 'plan' is missing (step 3 (one_hot) reads it)");
  // A float64 column that arrives as int64 is widened; a string one is refused.
  ColumnBuilder b(DataType::kFloat64);
  for (int i = 0; i < 10; ++i) b.AppendDouble(i * 0.5);
  FittedRecipe f2 =
      Recipe::Parse("steps:\n  - scale: [x]\n").Fit(Table(Schema({Field{"x"}}), {b.Finish()}), {});
  Table ints(Schema({Field{"x", DataType::kInt64}}), {TestData().column("num_c")});
  Table widened = f2.Transform(ints);
  EXPECT_EQ(widened.schema().field(0).type, DataType::kFloat64);
  EXPECT_FALSE(widened.column(0).IsValid(3));
  Table strings(Schema({Field{"x", DataType::kString}}), {TestData().column("plan")});
  EXPECT_EQ(ErrorOf([&] { f2.Transform(strings); }).first,
            "column 'x' is string; the recipe was fitted on float64 (step 1 (scale) reads it)");
}

// Fitting on no rows is refused (scikit-learn: "Found array with 0 sample(s)"), naming the step
// that would learn from nothing and the one that removed the rows.
TEST(RecipeTransformTest, FittingOnNoRowsIsRefused) {
  auto [msg, hint] = ErrorOf([&] {
    Recipe::Parse("steps:\n  - filter: \"num_c > 1000\"\n  - scale: num_a\n").Fit(TrainData(), {});
  });
  EXPECT_EQ(msg, "step 2 (scale): no rows to fit on (step 1 (filter) removed every row)");
  EXPECT_NE(hint.find("it keeps no row of it"), std::string::npos) << hint;
  EXPECT_EQ(ErrorOf([&] {
              Recipe::Parse("steps:\n  - scale: num_a\n").Fit(TrainData().Slice(0, 0), {});
            }).first,
            "step 1 (scale): no rows to fit on (the data has no rows)");
  // A filter that is the last step leaves an empty output, with nothing learnt after it.
  Table out;
  Recipe::Parse("steps:\n  - filter: \"num_c > 1000\"\n").Fit(TrainData(), {}, &out);
  EXPECT_EQ(out.num_rows(), 0);
}

// Type selectors pick features: an id or event-time column passes through `scale: numeric`, and
// `select: numeric` keeps it.
TEST(RecipeTransformTest, TypeSelectorsLeaveIdsAndEventTimes) {
  const Table t = TrainData().WithRole("num_c", Role::kId).WithRole("num_const", Role::kEventTime);
  Table out;
  Recipe::Parse("steps:\n  - scale: numeric\n").Fit(t, {}, &out);
  EXPECT_TRUE(out.column("num_c").Equals(t.column("num_c")));
  EXPECT_TRUE(out.column("num_const").Equals(t.column("num_const")));
  EXPECT_FALSE(out.column("num_a").Equals(t.column("num_a")));
  Recipe::Parse("steps:\n  - select: numeric\n").Fit(t, {}, &out);
  const std::vector<std::string> names = out.schema().names();
  EXPECT_NE(std::find(names.begin(), names.end(), "num_c"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "num_const"), names.end());
  EXPECT_EQ(std::find(names.begin(), names.end(), "plan"), names.end());
  // Kept only because it passes through, an id is no input of a model: scoring data may lack it.
  const FittedRecipe fitted = Recipe::Parse("steps:\n  - select: numeric\n").Fit(t, {});
  const std::vector<std::string> inputs = fitted.scoring_input_schema().names();
  EXPECT_EQ(std::find(inputs.begin(), inputs.end(), "num_c"), inputs.end());
  EXPECT_NE(std::find(inputs.begin(), inputs.end(), "num_a"), inputs.end());
  std::vector<std::string> without_id;
  for (const std::string& name : inputs) {
    if (name != "num_c" && TestData().schema().IndexOf(name) >= 0) without_id.push_back(name);
  }
  const Table scored = fitted.Transform(TestData().Select(without_id), ApplyMode::kScoring);
  EXPECT_EQ(scored.num_rows(), TestData().num_rows());
  // Named, an id column is transformed as asked.
  Recipe::Parse("steps:\n  - scale: num_c\n").Fit(t, {}, &out);
  EXPECT_FALSE(out.column("num_c").Equals(t.column("num_c")));
}

// Finite values whose squares overflow would make the learnt scale NaN and every output missing:
// refused, as infinite values are.
TEST(RecipeTransformTest, ValuesThatOverflowTheLearntStateAreRefused) {
  ColumnBuilder b(DataType::kFloat64);
  for (double v : {1e300, -1e300, 2e300, 5.0}) b.AppendDouble(v);
  b.AppendNull();
  const Table t(Schema({Field{"x"}}), {b.Finish()});
  auto [msg, hint] =
      ErrorOf([&] { Recipe::Parse("steps:\n  - scale: x\n").Fit(t, {}); }, ErrorCode::kDataError);
  EXPECT_NE(msg.find("step 1 (scale): column 'x' holds values too large for this step (up to "
                     "2e+300"),
            std::string::npos)
      << msg;
  ColumnBuilder w(DataType::kFloat64);
  for (double v : {1.7e308, -1.7e308, 1.7e308, -1.7e308}) w.AppendDouble(v);
  const Table wide(Schema({Field{"x"}}), {w.Finish()});  // max - min overflows
  for (const char* method : {"minmax", "robust"}) {
    EXPECT_NE(ErrorOf(
                  [&] {
                    Recipe::Parse(std::string("steps:\n  - scale: {columns: x, method: ") + method +
                                  "}\n")
                        .Fit(wide, {});
                  },
                  ErrorCode::kDataError)
                  .first.find("values too large"),
              std::string::npos)
        << method;
  }
  // An all-missing column is not an overflow: it stays missing.
  ColumnBuilder m(DataType::kFloat64);
  m.AppendNull();
  m.AppendNull();
  EXPECT_NO_THROW(
      Recipe::Parse("steps:\n  - scale: x\n").Fit(Table(Schema({Field{"x"}}), {m.Finish()}), {}));
}

// After a filter or drop_duplicates, an error about a value names the row of the recipe's input,
// not of what the earlier steps left, when fitting and when applying.
TEST(RecipeTransformTest, RowErrorsNameTheInputRowAfterRowsAreLeftOut) {
  ColumnBuilder id(DataType::kInt64), v(DataType::kString);
  for (const auto& [i, text] :
       std::vector<std::pair<int64_t, std::string>>{{1, "5"}, {2, "6"}, {2, "6"}, {3, "x"}}) {
    id.AppendInt(i);
    v.AppendString(text);
  }
  const Table t(Schema({Field{"id", DataType::kInt64}, Field{"v", DataType::kString}}),
                {id.Finish(), v.Finish()});
  const std::string yaml =
      "steps:\n  - filter: \"id > 1\"\n  - drop_duplicates: {}\n"
      "  - cast: {columns: [v], to: float64}\n";
  auto [msg, hint] = ErrorOf([&] { Recipe::Parse(yaml).Fit(t, {}); }, ErrorCode::kDataError);
  EXPECT_EQ(msg.rfind("row 4, column 'v': step 3 (cast): cannot cast 'x'", 0), 0u) << msg;
  // Fitted on the first three rows, applied to all four.
  FittedRecipe fitted = Recipe::Parse(yaml).Fit(t.Slice(0, 3), {});
  std::tie(msg, hint) =
      ErrorOf([&] { fitted.Transform(t, ApplyMode::kDataset); }, ErrorCode::kDataError);
  EXPECT_EQ(msg.rfind("row 4, column 'v'", 0), 0u) << msg;
}

TEST(RecipeTransformTest, UnknownCategories) {
  auto fit = [](const std::string& yaml) {
    RecipeFitOptions options;
    options.target = "y_bin";
    return Recipe::Parse(yaml).Fit(TrainData(), options);
  };
  FittedRecipe one_hot = fit("steps:\n  - one_hot: {columns: plan, handle_unknown: error}\n");
  auto [msg, hint] = ErrorOf([&] { one_hot.Transform(TestData()); }, ErrorCode::kDataError);
  // In RowMessage form: serving names the record and the field from it.
  EXPECT_EQ(msg,
            "row 3, column 'plan': step 1 (one_hot): 'zzz' was not seen when the recipe was "
            "fitted");
  FittedRecipe ordinal = fit("steps:\n  - ordinal: city\n");
  EXPECT_NE(ErrorOf([&] { ordinal.Transform(TestData()); }, ErrorCode::kDataError)
                .first.find("row 5, column 'city': step 1 (ordinal): 'atlantis' was not seen"),
            std::string::npos);
  // use_encoded_value: the value given; null or .nan make them missing (np.nan), also after
  // the fitted recipe went through its JSON (where NaN is written null).
  FittedRecipe coded =
      fit("steps:\n  - ordinal: {columns: city, handle_unknown: use_encoded_value, "
          "unknown_value: -7}\n");
  EXPECT_EQ(coded.Transform(TestData()).column("city").f64()[4], -7.0);
  for (const char* missing : {"null", ".nan", "nan"}) {
    FittedRecipe nan =
        fit(std::string("steps:\n  - ordinal: {columns: city, handle_unknown: use_encoded_value, "
                        "unknown_value: ") +
            missing + "}\n");
    for (const FittedRecipe& r : {nan, FittedRecipe::FromJson(nan.ToJson())}) {
      const Table t = r.Transform(TestData());
      const Column& c = t.column("city");
      EXPECT_FALSE(c.IsValid(4)) << missing;
      EXPECT_TRUE(c.IsValid(0)) << missing;
    }
  }
  // "other": unknown values go to the other column, which exists even without rare ones.
  FittedRecipe other = fit("steps:\n  - one_hot: {columns: plan, handle_unknown: other}\n");
  Table t = other.Transform(TestData());
  ASSERT_GE(t.schema().IndexOf("plan=__other__"), 0);
  EXPECT_EQ(t.column("plan=__other__").f64()[2], 1.0);
  EXPECT_EQ(t.column("plan=basic").f64()[2], 0.0);
  EXPECT_EQ(t.column("plan=__missing__").f64()[2], 0.0);
  // target_encode: unknown categories get the target mean.
  FittedRecipe te = fit("steps:\n  - target_encode: plan\n");
  json state = te.ToJson()["steps"][0];
  EXPECT_EQ(te.Transform(TestData()).column("plan").f64()[2], state["target_mean"].get<double>());
}

// With smooth 0, a category whose every row is in the held-out fold gets the mean of the other
// folds' target, as an unknown category does (scikit-learn), never 0/0.
TEST(RecipeTransformTest, TargetEncodeWithoutSmoothingKeepsRareCategoriesFinite) {
  ColumnBuilder k(DataType::kString), y(DataType::kFloat64);
  for (int i = 0; i < 40; ++i) {
    k.AppendString(i == 0 ? "rare" : (i % 2 ? "a" : "b"));
    y.AppendDouble(i % 3);
  }
  Table t(Schema({Field{"k", DataType::kString}, Field{"y", DataType::kFloat64}}),
          {k.Finish(), y.Finish()});
  RecipeFitOptions options;
  options.target = "y";
  Table out;
  Recipe::Parse("steps:\n  - target_encode: {columns: k, smooth: 0}\n").Fit(t, options, &out);
  const double rare = out.column("k").f64()[0];
  EXPECT_TRUE(std::isfinite(rare)) << rare;
  // The mean of the other rows' target, whichever fold "rare" fell in, is near the overall mean.
  EXPECT_NEAR(rare, 39.0 / 40.0, 0.2);
}

// Steps that learn from values refuse infinities, as scikit-learn does; learning an infinite
// centre would turn the whole column into NaN. Steps that only map values let them through.
TEST(RecipeTransformTest, InfiniteValuesAreRefusedWhereStatisticsAreLearned) {
  ColumnBuilder b(DataType::kFloat64);
  for (double v : {0.0, 1000.0, 2500.0, 40000.0}) b.AppendDouble(v);
  Table t(Schema({Field{"income", DataType::kFloat64}}), {b.Finish()});
  for (const char* step :
       {"scale: income", "scale: {columns: income, method: robust}",
        "bucketize: {columns: income, bins: 2}", "impute: {columns: income, strategy: mean}",
        "winsorize: {columns: income, lower: 0.2, upper: 0.8}"}) {
    Recipe r = Recipe::Parse(std::string("steps:\n  - log: income\n  - ") + step + "\n");
    auto [msg, hint] = ErrorOf([&] { r.Fit(t, {}); }, ErrorCode::kDataError);
    EXPECT_NE(msg.find("column 'income' holds an infinite value (-inf at row 1)"),
              std::string::npos)
        << step << ": " << msg;
    EXPECT_NE(hint.find("log1p"), std::string::npos);
  }
  // log1p keeps the values finite; fixed bin edges and clipping learn nothing.
  EXPECT_NO_THROW(Recipe::Parse("steps:\n  - log1p: income\n  - scale: income\n").Fit(t, {}));
  EXPECT_NO_THROW(
      Recipe::Parse(
          "steps:\n  - log: income\n  - bucketize: {columns: income, edges: [0, 5, 20]}\n")
          .Fit(t, {}));
}

TEST(RecipeTransformTest, RenameSwapsNamesAtOnce) {
  ColumnBuilder a(DataType::kInt64), b(DataType::kInt64);
  a.AppendInt(1);
  b.AppendInt(10);
  Table t(Schema({Field{"a", DataType::kInt64}, Field{"b", DataType::kInt64}}),
          {a.Finish(), b.Finish()});
  Recipe r =
      Recipe::Parse("steps:\n  - rename: {mapping: {a: b, b: a}}\n  - derive: \"d = a - b\"\n");
  Table out;
  r.Fit(t, {}, &out);
  ASSERT_EQ(out.schema().names(), (std::vector<std::string>{"b", "a", "d"}));
  EXPECT_EQ(out.column("b").i64()[0], 1);
  EXPECT_EQ(out.column("a").i64()[0], 10);
  EXPECT_EQ(out.column("d").i64()[0], 9);
}

TEST(RecipeTransformTest, QuantileBinsOfATinySpreadAreOneBin) {
  // Every edge within 1e-8 of the previous one is dropped (KBinsDiscretizer): one bin, all 0.
  ColumnBuilder v(DataType::kFloat64);
  for (double x : {0.0, 0.0, 0.0, 0.0, 5e-9}) v.AppendDouble(x);
  Table t(Schema({Field{"v", DataType::kFloat64}}), {v.Finish()});
  Table out;
  Recipe::Parse("steps:\n  - bucketize: {columns: [v], bins: 4}\n").Fit(t, {}, &out);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(out.column("v").f64()[i], 0.0);
}

// Class labels 0, 1, 2 are not numbers to average: with the target's values taken as classes
// (train's multiclass task), target_encode refuses them as it refuses three string classes.
TEST(RecipeTransformTest, TargetEncodeRefusesMulticlassNumberLabels) {
  ColumnBuilder k(DataType::kString), y(DataType::kInt64);
  for (int i = 0; i < 30; ++i) {
    k.AppendString(i % 2 ? "a" : "b");
    y.AppendInt(i % 3);
  }
  Table t(Schema({Field{"k", DataType::kString}, Field{"y", DataType::kInt64}}),
          {k.Finish(), y.Finish()});
  const Recipe r = Recipe::Parse("steps:\n  - target_encode: k\n");
  RecipeFitOptions o;
  o.target = "y";
  Table out;
  EXPECT_NO_THROW(r.Fit(t, o, &out));  // a numeric target: its mean
  o.target_classes = true;
  try {
    r.Fit(t, o, &out);
    ADD_FAILURE() << "fitted";
  } catch (const Error& e) {
    EXPECT_CONTAINS(std::string(e.what()),
                    "step 1 (target_encode): the target 'y' has more than 2 classes");
  }
}

TEST(RecipeTransformTest, TargetEncodeRefusesAnInfiniteTarget) {
  ColumnBuilder k(DataType::kString), y(DataType::kFloat64);
  for (int i = 0; i < 10; ++i) {
    k.AppendString(i % 2 ? "a" : "b");
    y.AppendDouble(i == 3 ? INFINITY : i);
  }
  Table t(Schema({Field{"k", DataType::kString}, Field{"y", DataType::kFloat64}}),
          {k.Finish(), y.Finish()});
  RecipeFitOptions options;
  options.target = "y";
  auto [msg, hint] =
      ErrorOf([&] { Recipe::Parse("steps:\n  - target_encode: k\n").Fit(t, options); },
              ErrorCode::kDataError);
  EXPECT_NE(msg.find("holds an infinite value (inf at row 4)"), std::string::npos) << msg;
}

TEST(RecipeTransformTest, StandardScaleSumsAsNumPyDoes) {
  // StandardScaler on a pandas frame sums each column pairwise: the centre of 40 copies of 0.1
  // is exactly 0.1 (left to right it is 0.10000000000000005) and the values scale to exactly 0.
  ColumnBuilder c(DataType::kFloat64);
  for (int i = 0; i < 40; ++i) c.AppendDouble(0.1);
  Table t(Schema({Field{"c", DataType::kFloat64}}), {c.Finish()});
  Table out;
  Recipe::Parse("steps:\n  - scale: c\n").Fit(t, {}, &out);
  for (int i = 0; i < 40; ++i) ASSERT_EQ(out.column("c").f64()[i], 0.0) << i;
}

// The mean imputed is numpy.nanmean's (and SimpleImputer's): missing values as 0 in NumPy's
// pairwise sum. Summed left to right, a badly conditioned column (1e9 + noise of 1e-3) gets
// another mean, and the imputed cells no longer scale to exactly 0 as they do in
// make_pipeline(SimpleImputer(), StandardScaler()).fit_transform of the same values (checked
// with scikit-learn 1.2: all 300 are 0.0).
TEST(RecipeTransformTest, MeanImputationSumsAsNumPyDoes) {
  ColumnBuilder c(DataType::kFloat64);
  for (int i = 0; i < 3001; ++i) {
    if (i % 10 == 3) {
      c.AppendNull();
    } else {
      c.AppendDouble(1e9 + 1e-3 * std::sin(i * 0.7));
    }
  }
  Table t(Schema({Field{"big", DataType::kFloat64}}), {c.Finish()});
  Table out;
  Recipe::Parse("steps:\n  - impute: big\n  - scale: big\n").Fit(t, {}, &out);
  for (int i = 3; i < 3001; i += 10) ASSERT_EQ(out.column("big").f64()[i], 0.0) << i;
}

TEST(RecipeTransformTest, OrdinalTreatsNaNAsMissing) {
  ColumnBuilder f(DataType::kFloat64);
  f.AppendDouble(1.5);
  f.AppendDouble(std::nan(""));
  f.AppendNull();
  f.AppendDouble(2.5);
  Table t(Schema({Field{"f", DataType::kFloat64}}), {f.Finish()});
  Table out;
  Recipe::Parse("steps:\n  - ordinal: f\n  - derive: \"m = is_missing(f)\"\n").Fit(t, {}, &out);
  const Column& c = out.column("f");
  EXPECT_EQ(c.f64()[0], 0.0);
  EXPECT_FALSE(c.IsValid(1));
  EXPECT_FALSE(c.IsValid(2));
  EXPECT_EQ(c.f64()[3], 1.0);
  EXPECT_EQ(c.null_count(), 2);
  EXPECT_EQ(out.column("m").bools()[1], 1);
}

TEST(RecipeTransformTest, Cast) {
  RecipeFitOptions options;
  options.target = "y_bin";
  Recipe r = Recipe::Parse(
      "steps:\n"
      "  - cast: {columns: [num_c, flag], to: float64}\n"
      "  - cast: {columns: num_a, to: int64}\n"
      "  - cast: {columns: [ts, num_b], to: string}\n"
      "  - cast: {columns: ts, to: timestamp}\n"
      "  - cast: {columns: num_const, to: bool}\n");
  Table out;
  r.Fit(TrainData(), options, &out);
  EXPECT_EQ(out.column("num_c").type(), DataType::kFloat64);
  EXPECT_EQ(out.column("flag").f64()[0], TrainData().column("flag").bools()[0] ? 1.0 : 0.0);
  EXPECT_EQ(out.column("num_a").type(), DataType::kInt64);
  EXPECT_EQ(out.column("num_a").i64()[0], 62);  // 62.2 truncated
  EXPECT_EQ(out.column("num_b").StringAt(0), "101.365");
  EXPECT_TRUE(out.column("ts").Equals(TrainData().column("ts")));
  EXPECT_EQ(out.column("num_const").bools()[0], 1);

  Recipe bad = Recipe::Parse("steps:\n  - cast: {columns: plan, to: float64}\n");
  EXPECT_EQ(ErrorOf([&] { bad.Fit(TrainData(), options); }, ErrorCode::kDataError).first,
            "row 1, column 'plan': step 1 (cast): cannot cast 'premium' to float64");
  Recipe to_time = Recipe::Parse("steps:\n  - cast: {columns: plan, to: timestamp}\n");
  EXPECT_CONTAINS(ErrorOf([&] { to_time.Fit(TrainData(), options); }, ErrorCode::kDataError).second,
                  "text casts to a timestamp in ISO 8601");
  EXPECT_EQ(
      CheckError("steps:\n  - cast: {columns: ts, to: bool}\n", ErrorCode::kInvalidArgument).first,
      "step 1 (cast): cannot cast column 'ts' from timestamp to bool");
  // Spaces around a value are ignored, as `data import` ignores them.
  ColumnBuilder sb(DataType::kString);
  for (const char* v : {" 12 ", "7", "  -3"}) sb.AppendString(v);
  Table st(Schema({Field{"s", DataType::kString}}), {sb.Finish()});
  Table cast;
  Recipe::Parse("steps:\n  - cast: {columns: s, to: int64}\n").Fit(st, {}, &cast);
  EXPECT_EQ(cast.column("s").i64()[0], 12);
  EXPECT_EQ(cast.column("s").i64()[2], -3);
  // Seconds beyond years 0000-9999 are refused (no reader takes them back; far ones overflowed).
  for (double secs : {253402300800.0, 1e15, -62167219201.0}) {
    ColumnBuilder nb(DataType::kFloat64);
    nb.AppendDouble(secs);
    Table nt(Schema({Field{"t", DataType::kFloat64}}), {nb.Finish()});
    EXPECT_THROW(Recipe::Parse("steps:\n  - cast: {columns: t, to: timestamp}\n").Fit(nt, {}),
                 Error)
        << secs;
  }
  ColumnBuilder ib(DataType::kInt64);
  ib.AppendInt(253402300799);
  Table it(Schema({Field{"t", DataType::kInt64}}), {ib.Finish()});
  Table last;
  Recipe::Parse("steps:\n  - cast: {columns: t, to: timestamp}\n").Fit(it, {}, &last);
  EXPECT_EQ(CellToString(last.column("t"), 0), "9999-12-31T23:59:59Z");
}

TEST(RecipeTransformTest, EmptyRecipeAndSelectors) {
  FittedRecipe none = Recipe::Parse("steps: []\n").Fit(TrainData(), {});
  EXPECT_TRUE(none.empty());
  EXPECT_TRUE(none.Transform(TrainData()).Equals(TrainData()));
  // A default FittedRecipe passes tables through.
  EXPECT_TRUE(FittedRecipe().Transform(TestData()).Equals(TestData()));
  // Type selectors skip the target; "string" and "all".
  RecipeFitOptions options;
  options.target = "num_b";
  Table out;
  Recipe::Parse("steps:\n  - drop: string\n  - log1p: numeric\n").Fit(TrainData(), options, &out);
  EXPECT_EQ(out.schema().IndexOf("plan"), -1);
  EXPECT_TRUE(out.column("num_b").Equals(TrainData().column("num_b")));
  EXPECT_EQ(out.column("num_c").type(), DataType::kFloat64);
  Recipe::Parse("steps:\n  - select: timestamp\n").Fit(TrainData(), options, &out);
  EXPECT_EQ(out.schema().names(), (std::vector<std::string>{"ts", "num_b"}));
}

TEST(RecipeTransformTest, PipelineRoundTripsBitForBit) {
  Recipe r = Recipe::Parse(
      "steps:\n"
      "  - drop: id\n"
      "  - impute: {columns: numeric, strategy: median, add_indicator: true}\n"
      "  - impute: {columns: string, strategy: most_frequent}\n"
      "  - winsorize: {columns: num_b}\n"
      "  - scale: {columns: [num_a, num_b], method: robust}\n"
      "  - bucketize: {columns: num_c, bins: 4, strategy: uniform}\n"
      "  - one_hot: {columns: plan, max_categories: 3}\n"
      "  - target_encode: {columns: city}\n"
      "  - date_parts: {columns: ts, parts: [month, days_since], reference: '2022-01-01'}\n"
      "  - derive: \"score = num_a * 2 + `plan=basic`\"\n"
      "  - filter: \"num_a > -3\"\n");
  RecipeFitOptions options;
  options.target = "y_bin";
  options.seed = 7;
  FittedRecipe f = r.Fit(TrainData(), options);
  std::string text = f.ToJson().dump(1);
  FittedRecipe g = FittedRecipe::FromJson(json::parse(text));
  EXPECT_EQ(g.ToJson().dump(1), text);
  EXPECT_EQ(g.input_schema(), f.input_schema());
  EXPECT_EQ(g.output_schema(), f.output_schema());
  for (ApplyMode mode : {ApplyMode::kScoring, ApplyMode::kDataset}) {
    Table a = f.Transform(TestData(), mode);
    Table b = g.Transform(TestData(), mode);
    ASSERT_TRUE(a.Equals(b));
    for (int c = 0; c < a.num_columns(); ++c) {
      if (a.column(c).type() != DataType::kFloat64) continue;
      for (int64_t i = 0; i < a.num_rows(); ++i) {
        double x = a.column(c).f64()[i], y = b.column(c).f64()[i];
        ASSERT_EQ(std::memcmp(&x, &y, sizeof x), 0) << a.schema().field(c).name << " row " << i;
      }
    }
  }
  // Copies share the fitted state.
  FittedRecipe copy = f;
  EXPECT_TRUE(copy.Transform(TestData()).Equals(f.Transform(TestData())));
}

TEST(RecipeJsonTest, RefusesNewerAndMalformed) {
  FittedRecipe f = Recipe::Parse("steps:\n  - scale: [num_a]\n").Fit(TrainData(), {});
  json j = f.ToJson();
  EXPECT_EQ(j["format"], "mloop.recipe.fitted");
  EXPECT_EQ(j["format_version"], 1);
  json newer = j;
  newer["format_version"] = 2;
  ErrorOf([&] { FittedRecipe::FromJson(newer); }, ErrorCode::kFailedPrecondition);
  auto corrupt = [&](const std::function<void(json&)>& edit) {
    json bad = j;
    edit(bad);
    ErrorOf([&] { FittedRecipe::FromJson(bad); }, ErrorCode::kCorruption);
  };
  corrupt([](json& b) { b["format"] = "something else"; });
  corrupt([](json& b) { b.erase("steps"); });
  corrupt([](json& b) { b["steps"] = json::array(); });
  corrupt([](json& b) { b["steps"][0]["values"] = "x"; });
  corrupt([](json& b) { b["steps"][0]["values"][0] = json::array({1.0}); });
  corrupt([](json& b) { b["steps"][0]["step"] = "log"; });
  corrupt([](json& b) { b["source"]["steps"][0] = json{{"scal", json::object()}}; });
  corrupt([](json& b) { b["input_schema"][0]["type"] = "complex"; });
  corrupt([](json& b) { b["input_schema"][0]["read_by"] = 5; });
  corrupt([](json& b) { b = json::array(); });
  // NaN and infinities survive the round trip.
  ColumnBuilder col(DataType::kFloat64);
  col.AppendNull();
  col.AppendNull();
  Table empty(Schema({Field{"x"}}), {col.Finish()});
  FittedRecipe nan = Recipe::Parse("steps:\n  - scale: x\n").Fit(empty, {});
  FittedRecipe back = FittedRecipe::FromJson(json::parse(nan.ToJson().dump()));
  EXPECT_EQ(back.ToJson(), nan.ToJson());
}

}  // namespace
}  // namespace mloop
