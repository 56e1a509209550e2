// The profile against pandas / NumPy / SciPy / scikit-learn (tests/data/profile/fixtures.json,
// written by make_fixtures.py), its JSON form, its alerts and its edge cases.
//
// Tolerance, as in the eval tests: |actual - expected| <= 1e-9 * max(1, |expected|), i.e.
// relative 1e-9 for magnitudes above 1 and absolute 1e-9 below (a skewness of 1e-17 from pandas
// is 0 here). A null in the fixtures is NaN and must be NaN.
#include "mloop/profile/profile.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>

#include "mloop/core/error.h"
#include "mloop/io/csv_reader.h"
#include "mloop/profile/internal.h"

namespace mloop {
namespace {

using Json = nlohmann::json;

const Json& Fixtures() {
  static const Json doc = [] {
    std::ifstream in(MLOOP_TEST_DATA "/profile/fixtures.json");
    if (!in) throw std::runtime_error("cannot open " MLOOP_TEST_DATA "/profile/fixtures.json");
    return Json::parse(in);
  }();
  return doc;
}

Table ReadFixtureCsv(const std::string& name) {
  return ReadCsv(MLOOP_TEST_DATA "/profile/" + name, ReadOptions{}).table;
}

// The profile of each fixture case, computed once.
const Profile& ProfileOf(const Json& c) {
  static std::map<std::string, Profile> cache;
  const std::string name = c["name"];
  auto it = cache.find(name);
  if (it == cache.end()) {
    ProfileOptions options;
    options.target = c["target"];
    it = cache.emplace(name, ComputeProfile(ReadFixtureCsv(c["csv"]), options)).first;
  }
  return it->second;
}

double JsonNumber(const Json& v) {
  if (v.is_null()) return std::nan("");
  if (v.is_string()) return std::stod(v.get<std::string>());  // "inf", "-inf"
  return v.get<double>();
}

::testing::AssertionResult Near(double actual, double expected) {
  if (std::isnan(expected)) {
    if (std::isnan(actual)) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << "expected NaN, got " << actual;
  }
  const double tolerance = 1e-9 * std::max(1.0, std::fabs(expected));
  if (actual == expected || std::fabs(actual - expected) <= tolerance) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected " << expected << ", got " << actual
                                       << " (difference " << actual - expected << ")";
}

::testing::AssertionResult Near(const std::optional<double>& actual, const Json& expected) {
  if (!actual) return ::testing::AssertionFailure() << "absent, expected " << expected.dump();
  return Near(*actual, JsonNumber(expected));
}

// Runs `check(case, expected column, actual column)` for every column of every case.
template <class F>
void ForEachColumn(const F& check) {
  for (const Json& c : Fixtures()["cases"]) {
    const Profile& p = ProfileOf(c);
    ASSERT_EQ(p.column_profiles.size(), c["columns"].size()) << c["name"];
    for (size_t i = 0; i < p.column_profiles.size(); ++i) {
      const Json& want = c["columns"][i];
      SCOPED_TRACE(c["name"].get<std::string>() + " / " + want["name"].get<std::string>());
      check(c, want, p.column_profiles[i]);
    }
  }
}

bool IsNumericType(const std::string& type) {
  return type == "float64" || type == "int64" || type == "bool";
}

TEST(ProfileFixtureTest, HasEveryCase) {
  EXPECT_EQ(Fixtures()["cases"].size(), 10u);
  EXPECT_EQ(Fixtures()["pandas_version"], "1.5.3");
}

TEST(ProfileFixtureTest, ShapeAndDuplicateRowsEqualPandas) {
  for (const Json& c : Fixtures()["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const Profile& p = ProfileOf(c);
    EXPECT_EQ(p.rows, c["rows"].get<int64_t>());
    EXPECT_EQ(p.columns, static_cast<int64_t>(c["columns"].size()));
    EXPECT_EQ(p.duplicate_rows, c["duplicate_rows"].get<int64_t>());
    EXPECT_GT(p.memory_bytes, 0);
  }
}

TEST(ProfileFixtureTest, CountsTypesAndSemanticTypes) {
  ForEachColumn([](const Json&, const Json& want, const ColumnProfile& got) {
    EXPECT_EQ(got.name, want["name"].get<std::string>());
    EXPECT_EQ(DataTypeName(got.type), want["type"].get<std::string>());
    EXPECT_EQ(SemanticTypeName(got.semantic), want["semantic"].get<std::string>());
    EXPECT_EQ(got.count, want["count"].get<int64_t>());
    EXPECT_EQ(got.missing, want["missing"].get<int64_t>());
    EXPECT_TRUE(Near(got.missing_percent, want["missing_percent"].get<double>()));
    EXPECT_EQ(got.distinct, want["distinct"].get<int64_t>());
  });
}

TEST(ProfileFixtureTest, MomentsAndQuantilesEqualPandas) {
  const char* kKeys[] = {"min", "max", "mean", "std", "skewness", "kurtosis", "sum"};
  ForEachColumn([&](const Json&, const Json& want, const ColumnProfile& got) {
    if (!IsNumericType(want["type"])) {
      EXPECT_FALSE(got.mean.has_value());
      EXPECT_TRUE(got.quantiles.empty());
      return;
    }
    const std::optional<double>* values[] = {&got.min,      &got.max,      &got.mean, &got.std,
                                             &got.skewness, &got.kurtosis, &got.sum};
    for (size_t i = 0; i < std::size(kKeys); ++i) {
      EXPECT_TRUE(Near(*values[i], want[kKeys[i]])) << kKeys[i];
    }
    ASSERT_EQ(got.quantiles.size(), want["quantiles"].size());
    for (const auto& [name, q] : want["quantiles"].items()) {
      ASSERT_TRUE(got.quantiles.count(name)) << name;
      EXPECT_TRUE(Near(got.quantiles.at(name), JsonNumber(q))) << name;
    }
    EXPECT_EQ(got.zeros, want["zeros"].get<int64_t>());
    EXPECT_EQ(got.negatives, want["negatives"].get<int64_t>());
    EXPECT_EQ(got.outliers, want["outliers"].get<int64_t>());
    EXPECT_EQ(got.infinite, want["infinite"].get<int64_t>());
  });
}

TEST(ProfileFixtureTest, HistogramsEqualNumpy) {
  ForEachColumn([](const Json&, const Json& want, const ColumnProfile& got) {
    if (want["type"] == "string") {
      EXPECT_FALSE(got.histogram.has_value());
      return;
    }
    if (want["histogram"].is_null()) {
      EXPECT_FALSE(got.histogram.has_value());
      return;
    }
    ASSERT_TRUE(got.histogram.has_value());
    const Json& h = want["histogram"];
    ASSERT_EQ(got.histogram->edges.size(), h["edges"].size());
    for (size_t i = 0; i < h["edges"].size(); ++i) {
      // numpy.linspace's operations are replicated, so the edges are the same doubles.
      EXPECT_EQ(got.histogram->edges[i], h["edges"][i].get<double>()) << "edge " << i;
    }
    EXPECT_EQ(got.histogram->counts, h["counts"].get<std::vector<int64_t>>());
  });
}

TEST(ProfileFixtureTest, TopValuesEqualValueCounts) {
  ForEachColumn([](const Json&, const Json& want, const ColumnProfile& got) {
    const Json& top = want["top_values"];
    ASSERT_EQ(got.top_values.size(), top.size());
    const bool numeric = want["type"] == "float64" || want["type"] == "int64";
    for (size_t i = 0; i < top.size(); ++i) {
      EXPECT_EQ(got.top_values[i].count, top[i]["count"].get<int64_t>()) << i;
      if (numeric) {
        EXPECT_TRUE(Near(std::stod(got.top_values[i].value), JsonNumber(top[i]["value"])))
            << i << ": " << got.top_values[i].value;
      } else {
        EXPECT_EQ(got.top_values[i].value, top[i]["value"].get<std::string>()) << i;
      }
    }
  });
}

TEST(ProfileFixtureTest, StringLengthsAndTimeRanges) {
  ForEachColumn([](const Json&, const Json& want, const ColumnProfile& got) {
    if (want["type"] == "string" && want["count"].get<int64_t>() > 0) {
      EXPECT_TRUE(Near(got.length_min, want["length_min"]));
      EXPECT_TRUE(Near(got.length_max, want["length_max"]));
      EXPECT_TRUE(Near(got.length_mean, want["length_mean"]));
    } else {
      EXPECT_FALSE(got.length_mean.has_value());
    }
    if (want["type"] == "timestamp" && want["count"].get<int64_t>() > 0) {
      EXPECT_EQ(got.first_time, want["first_time"].get<std::string>());
      EXPECT_EQ(got.last_time, want["last_time"].get<std::string>());
      EXPECT_TRUE(Near(got.min, want["min"]));
      EXPECT_TRUE(Near(got.max, want["max"]));
    } else {
      EXPECT_FALSE(got.first_time.has_value());
    }
  });
}

void ExpectMatrixNear(const std::vector<std::vector<double>>& got, const Json& want,
                      const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), want[i].size()) << what;
    for (size_t j = 0; j < got[i].size(); ++j) {
      EXPECT_TRUE(Near(got[i][j], JsonNumber(want[i][j]))) << what << "[" << i << "][" << j << "]";
    }
  }
}

TEST(ProfileFixtureTest, CorrelationsEqualPandasAndScipy) {
  for (const Json& c : Fixtures()["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const Correlations& got = ProfileOf(c).correlations;
    const Json& want = c["correlations"];
    EXPECT_EQ(got.numeric, want["numeric"].get<std::vector<std::string>>());
    ExpectMatrixNear(got.pearson, want["pearson"], "pearson");
    ExpectMatrixNear(got.spearman, want["spearman"], "spearman");
    EXPECT_EQ(got.categorical, want["categorical"].get<std::vector<std::string>>());
    ExpectMatrixNear(got.cramers_v, want["cramers_v"], "cramers_v");
  }
}

TEST(ProfileFixtureTest, TargetAssociationEqualsSklearn) {
  ForEachColumn([](const Json& c, const Json& want, const ColumnProfile& got) {
    if (!want.contains("target_association") || want["target_association"].is_null()) {
      EXPECT_FALSE(got.target_association.has_value()) << *got.target_association;
    } else {
      EXPECT_TRUE(Near(got.target_association, want["target_association"]));
    }
  });
}

TEST(ProfileFixtureTest, TargetProfileEqualsPandas) {
  for (const Json& c : Fixtures()["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const Profile& p = ProfileOf(c);
    const Json& want = c["target_profile"];
    if (want.is_null()) {
      EXPECT_FALSE(p.target.has_value());
      continue;
    }
    ASSERT_TRUE(p.target.has_value());
    EXPECT_EQ(p.target->column, want["column"].get<std::string>());
    EXPECT_EQ(p.target->task, want["task"].get<std::string>());
    EXPECT_EQ(p.target->association_kind, want["association_kind"].get<std::string>());
    ASSERT_EQ(p.target->class_counts.size(), want["class_counts"].size());
    for (size_t i = 0; i < want["class_counts"].size(); ++i) {
      EXPECT_EQ(p.target->class_counts[i].value, want["class_counts"][i]["value"]);
      EXPECT_EQ(p.target->class_counts[i].count, want["class_counts"][i]["count"]);
    }
    std::vector<std::string> ranking;
    for (const auto& [name, v] : p.target->ranking) ranking.push_back(name);
    EXPECT_EQ(ranking, want["ranking"].get<std::vector<std::string>>());
    EXPECT_EQ(p.target->distribution.has_value(), want["task"] == "regression");
  }
}

TEST(ProfileFixtureTest, AlertsFollowTheRules) {
  for (const Json& c : Fixtures()["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    std::vector<std::vector<std::string>> got;
    for (const Alert& a : ProfileOf(c).alerts) got.push_back({a.kind, a.column});
    EXPECT_EQ(got, c["alerts"].get<std::vector<std::vector<std::string>>>());
  }
}

// --- Alerts: evidence and messages -------------------------------------------------------------

const Alert* FindAlert(const Profile& p, const std::string& kind, const std::string& column) {
  for (const Alert& a : p.alerts) {
    if (a.kind == kind && a.column == column) return &a;
  }
  return nullptr;
}

const Json& CaseNamed(const std::string& name) {
  for (const Json& c : Fixtures()["cases"]) {
    if (c["name"] == name) return c;
  }
  throw std::runtime_error("no fixture case " + name);
}

TEST(ProfileAlertTest, EveryAlertHasAOneLineMessageAndEvidence) {
  for (const Json& c : Fixtures()["cases"]) {
    for (const Alert& a : ProfileOf(c).alerts) {
      EXPECT_FALSE(a.message.empty()) << a.kind;
      EXPECT_EQ(a.message.find('\n'), std::string::npos) << a.message;
      EXPECT_TRUE(a.evidence.is_object()) << a.kind;
      EXPECT_FALSE(a.evidence.empty()) << a.kind;
    }
  }
}

TEST(ProfileAlertTest, EvidenceCarriesTheNumbers) {
  const Profile& binary = ProfileOf(CaseNamed("mixed_binary"));
  const Alert* missing = FindAlert(binary, "high_missing", "color");
  ASSERT_NE(missing, nullptr);
  EXPECT_EQ(missing->evidence["missing"], binary.Find("color")->missing);
  EXPECT_EQ(missing->evidence["threshold"], 20.0);
  EXPECT_NE(missing->message.find("% missing"), std::string::npos) << missing->message;

  const Alert* corr = FindAlert(binary, "high_correlation", "score,twin");
  ASSERT_NE(corr, nullptr);
  EXPECT_EQ(corr->evidence["method"], "pearson");
  EXPECT_GT(corr->evidence["value"].get<double>(), 0.9);
  // The rows both columns have a value in (score and twin are each missing in a few rows), and
  // the two names apart: "a,b" could be columns "a" and "b,c" as well.
  EXPECT_GE(corr->evidence["rows"].get<int64_t>(), 10);
  EXPECT_LT(corr->evidence["rows"].get<int64_t>(), binary.rows);
  EXPECT_EQ(corr->evidence["columns"], Json({"score", "twin"}));

  const Alert* leak = FindAlert(binary, "possible_leakage", "leak");
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->evidence["association_kind"], "roc_auc");
  EXPECT_EQ(leak->evidence["association"].get<double>(), *binary.Find("leak")->target_association);

  const Alert* imbalance = FindAlert(binary, "imbalance", "y_bin");
  ASSERT_NE(imbalance, nullptr);
  EXPECT_EQ(imbalance->evidence["minority_class"], "yes");
  EXPECT_LT(imbalance->evidence["ratio"].get<double>(), 0.1);

  const Alert* skewed = FindAlert(binary, "skewed", "income");
  ASSERT_NE(skewed, nullptr);
  EXPECT_EQ(skewed->evidence["skewness"].get<double>(), *binary.Find("income")->skewness);

  const Profile& dups = ProfileOf(CaseNamed("dups"));
  const Alert* duplicates = FindAlert(dups, "duplicates", "");
  ASSERT_NE(duplicates, nullptr);
  EXPECT_EQ(duplicates->evidence["duplicate_rows"], 5);
  EXPECT_EQ(duplicates->message, "5 rows (41.7%) repeat an earlier row");
}

TEST(ProfileAlertTest, ThresholdsComeFromTheOptions) {
  Table t = ReadFixtureCsv("mixed.csv");
  ProfileOptions strict;
  strict.high_missing_percent = 1;  // now 'age', 'income', ... are flagged too
  strict.skewness = 100;            // and nothing is skewed enough
  strict.high_cardinality = 1000;
  Profile p = ComputeProfile(t, strict);
  EXPECT_NE(FindAlert(p, "high_missing", "age"), nullptr);
  EXPECT_EQ(FindAlert(p, "skewed", "income"), nullptr);
  EXPECT_EQ(FindAlert(p, "high_cardinality", "zip"), nullptr);
}

// --- JSON ----------------------------------------------------------------------------------------

Json WithoutSeconds(Json j) {
  j.erase("seconds");
  return j;
}

TEST(ProfileJsonTest, RoundTripKeepsEveryFigure) {
  for (const Json& c : Fixtures()["cases"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const Profile& p = ProfileOf(c);
    const Json j = ProfileToJson(p);
    EXPECT_EQ(j["format"], "mloop.profile");
    EXPECT_EQ(j["format_version"], 1);
    // Through text, as a file would go.
    const Profile back = ProfileFromJson(Json::parse(j.dump()));
    EXPECT_EQ(ProfileToJson(back), j);
    ASSERT_EQ(back.column_profiles.size(), p.column_profiles.size());
    for (size_t i = 0; i < p.column_profiles.size(); ++i) {
      const ColumnProfile& a = p.column_profiles[i];
      const ColumnProfile& b = back.column_profiles[i];
      EXPECT_EQ(a.mean.has_value(), b.mean.has_value());
      if (a.mean && !std::isnan(*a.mean)) {
        EXPECT_EQ(*a.mean, *b.mean);
      }
      EXPECT_EQ(a.top_values.size(), b.top_values.size());
      EXPECT_EQ(a.semantic, b.semantic);
    }
  }
}

TEST(ProfileJsonTest, UndefinedAndInfiniteNumbersSurvive) {
  Profile p;
  p.rows = 3;
  ColumnProfile c;
  c.name = "x";
  c.std = std::nan("");
  c.max = INFINITY;
  c.min = -INFINITY;
  c.quantiles["p50"] = std::nan("");
  p.column_profiles.push_back(c);
  const Json j = ProfileToJson(p);
  EXPECT_TRUE(j["column_profiles"][0]["std"].is_null());
  EXPECT_EQ(j["column_profiles"][0]["max"], "inf");
  EXPECT_FALSE(j["column_profiles"][0].contains("mean"));  // absent stays absent
  const Profile back = ProfileFromJson(j);
  const ColumnProfile& b = back.column_profiles[0];
  ASSERT_TRUE(b.std.has_value());
  EXPECT_TRUE(std::isnan(*b.std));
  EXPECT_EQ(*b.max, INFINITY);
  EXPECT_EQ(*b.min, -INFINITY);
  EXPECT_FALSE(b.mean.has_value());
  EXPECT_TRUE(std::isnan(b.quantiles.at("p50")));
}

TEST(ProfileJsonTest, RefusesANewerFormatVersion) {
  Json j = ProfileToJson(ProfileOf(CaseNamed("edge")));
  j["format_version"] = 2;
  try {
    ProfileFromJson(j);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("format version 2"), std::string::npos) << e.what();
    EXPECT_EQ(e.hint(), "upgrade mloop");
  }
}

TEST(ProfileJsonTest, MalformedInputIsCorruption) {
  const Json good = ProfileToJson(ProfileOf(CaseNamed("edge")));
  std::vector<std::pair<std::string, Json>> cases;
  cases.emplace_back("not an object", Json::array());
  cases.emplace_back("no format", Json{{"format_version", 1}});
  Json wrong_format = good;
  wrong_format["format"] = "something.else";
  cases.emplace_back("wrong format", wrong_format);
  Json no_rows = good;
  no_rows.erase("rows");
  cases.emplace_back("missing rows", no_rows);
  Json bad_count = good;
  bad_count["column_profiles"][0]["count"] = "three";
  cases.emplace_back("count is text", bad_count);
  Json bad_type = good;
  bad_type["column_profiles"][0]["type"] = "complex128";
  cases.emplace_back("unknown type", bad_type);
  Json bad_semantic = good;
  bad_semantic["column_profiles"][0]["semantic"] = "weird";
  cases.emplace_back("unknown semantic", bad_semantic);
  Json bad_histogram = good;
  bad_histogram["column_profiles"][0]["histogram"]["counts"].push_back(1);
  cases.emplace_back("histogram counts and edges disagree", bad_histogram);
  Json bad_matrix = good;
  bad_matrix["correlations"]["pearson"] = 5;
  cases.emplace_back("matrix is a number", bad_matrix);
  Json ragged = good;
  ragged["correlations"]["pearson"][0].push_back(0.5);
  cases.emplace_back("matrix is not square", ragged);
  Json bad_number = good;
  bad_number["column_profiles"][0]["mean"] = "lots";
  cases.emplace_back("number is text", bad_number);
  Json old = good;
  old["format_version"] = 0;
  cases.emplace_back("version 0", old);
  for (const auto& [name, j] : cases) {
    try {
      ProfileFromJson(j);
      ADD_FAILURE() << name << ": expected Corruption";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), ErrorCode::kCorruption) << name << ": " << e.what();
    }
  }
}

// --- Errors and edge cases
// ------------------------------------------------------------------------

TEST(ProfileTest, UnknownTargetIsNotFoundNamingTheNearestColumn) {
  ProfileOptions options;
  options.target = "y_bim";
  try {
    ComputeProfile(ReadFixtureCsv("mixed.csv"), options);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("'y_bim'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("did you mean 'y_bin'"), std::string::npos) << e.what();
  }
}

TEST(ProfileTest, InvalidOptionsAreRefused) {
  ProfileOptions options;
  options.bins = 0;
  EXPECT_THROW(ComputeProfile(ReadFixtureCsv("edge.csv"), options), Error);
}

Column BuildColumn(DataType type, int64_t rows, bool missing) {
  ColumnBuilder b(type);
  for (int64_t i = 0; i < rows; ++i) {
    if (missing) {
      b.AppendNull();
    } else if (type == DataType::kString) {
      b.AppendString("v");
    } else {
      b.AppendDouble(1.0);
    }
  }
  return b.Finish();
}

// Values that cancel keep the small ones in the mean and sum (pandas: 1.2 and 6); a range wider
// than a double holds gives no histogram (numpy.histogram refuses it) and no IQR outliers.
TEST(ProfileTest, CancellingAndOverflowingValues) {
  auto column = [](std::vector<double> values) {
    ColumnBuilder b(DataType::kFloat64);
    for (double v : values) b.AppendDouble(v);
    return b.Finish();
  };
  Table t(Schema({{"v", DataType::kFloat64}}), {column({1e17, -1e17, 1, 2, 3})});
  Profile p = ComputeProfile(t);
  EXPECT_DOUBLE_EQ(*p.column_profiles[0].mean, 1.2);
  EXPECT_DOUBLE_EQ(*p.column_profiles[0].sum, 6.0);
  Table z(Schema({{"z", DataType::kFloat64}}), {column({1e308, -1e308})});
  p = ComputeProfile(z);
  const ColumnProfile& c = p.column_profiles[0];
  EXPECT_EQ(*c.mean, 0.0);
  EXPECT_FALSE(c.histogram.has_value());
  EXPECT_EQ(c.outliers, 0);
  EXPECT_EQ(c.count, 2);
}

// int64 values beyond 2^53 are summed as the float64 values pandas converts them to, but without
// pandas' loss of digits: the std is the float64 values' own (pandas says 392.52). Reference:
// float(statistics.stdev([Fraction(float(2**60 + i)) for i in range(1001)])) in Python.
TEST(ProfileTest, HugeIntegersKeepTheirSpread) {
  ColumnBuilder b(DataType::kInt64);
  for (int64_t i = 0; i <= 1000; ++i) b.AppendInt((int64_t{1} << 60) + i);
  Table t(Schema({{"v", DataType::kInt64}}), {b.Finish()});
  const ColumnProfile c = ComputeProfile(t).column_profiles[0];
  EXPECT_NEAR(*c.std, 307.59423255337526, 1e-9);
}

// A 0/1 indicator of a rare event has a large skewness that only restates its balance: no
// `skewed` alert; three values as lopsided are skewed.
TEST(ProfileTest, IndicatorsAreNotSkewed) {
  ColumnBuilder flag(DataType::kFloat64), three(DataType::kFloat64);
  for (int i = 0; i < 200; ++i) {
    flag.AppendDouble(i < 5 ? 1.0 : 0.0);
    three.AppendDouble(i < 4 ? 9.0 : i < 8 ? 1.0 : 0.0);
  }
  Table t(Schema({{"flag", DataType::kFloat64}, {"three", DataType::kFloat64}}),
          {flag.Finish(), three.Finish()});
  const Profile p = ComputeProfile(t);
  EXPECT_GT(*p.Find("flag")->skewness, 2.0);
  EXPECT_EQ(FindAlert(p, "skewed", "flag"), nullptr);
  EXPECT_NE(FindAlert(p, "skewed", "three"), nullptr);
}

// A wide table of one signal has a strong pair for every two columns: the strongest 100 are
// listed and one alert counts the rest (once 500,000 alerts, 2 GB and 14 s for 1,000 columns).
// Past 1,000 numeric columns, the rest are left out of the matrices, and counted.
TEST(ProfileAlertTest, StrongPairsOfAWideTableAreCapped) {
  auto wide = [](int columns, int rows) {
    std::vector<Field> fields;
    std::vector<Column> data;
    for (int c = 0; c < columns; ++c) {
      fields.push_back({"c" + std::to_string(c), DataType::kFloat64});
      ColumnBuilder b(DataType::kFloat64);
      // Column 1 is the signal's negation, so that r = -1 also counts as strong; column 2 is
      // missing in half the rows (its pairs are over 10 rows).
      for (int r = 0; r < rows; ++r) {
        if (c == 2 && r >= 10) {
          b.AppendNull();
        } else {
          b.AppendDouble((c == 1 ? -1.0 : 1.0) * r * (c + 1) + (c == 3 ? 0.001 * r * r : 0.0));
        }
      }
      data.push_back(b.Finish());
    }
    return Table(Schema(std::move(fields)), std::move(data));
  };
  Profile p = ComputeProfile(wide(30, 20));  // 435 pairs
  std::vector<const Alert*> pairs;
  const Alert* more = nullptr;
  for (const Alert& a : p.alerts) {
    if (a.kind != "high_correlation") continue;
    (a.column.empty() ? more : pairs.emplace_back()) = &a;
  }
  ASSERT_EQ(pairs.size(), 100u);
  for (size_t i = 1; i < pairs.size(); ++i) {  // strongest first
    EXPECT_GE(std::fabs(pairs[i - 1]->evidence["value"].get<double>()),
              std::fabs(pairs[i]->evidence["value"].get<double>()));
  }
  EXPECT_EQ(pairs[0]->evidence["columns"], Json({"c0", "c1"}));
  EXPECT_EQ(pairs[0]->evidence["value"].get<double>(), -1.0);
  EXPECT_EQ(pairs[0]->evidence["rows"], 20);
  bool saw_c2 = false;
  for (const Alert* a : pairs) {
    if (a->evidence["columns"][0] == "c2" || a->evidence["columns"][1] == "c2") {
      EXPECT_EQ(a->evidence["rows"], 10) << a->column;
      saw_c2 = true;
    }
  }
  EXPECT_TRUE(saw_c2);
  ASSERT_NE(more, nullptr);
  EXPECT_EQ(more->evidence["more_pairs"], 435 - 100);
  EXPECT_EQ(more->evidence["listed"], 100);
  EXPECT_EQ(more->message,
            "335 more pairs of columns have Pearson r of 0.9 or more in size (the 100 strongest "
            "are listed)");
  EXPECT_EQ(p.correlations.numeric_left_out, 0);

  p = ComputeProfile(wide(1003, 12));
  EXPECT_EQ(p.correlations.numeric.size(), kMaxCorrelationColumns);
  EXPECT_EQ(p.correlations.numeric.back(), "c999");
  EXPECT_EQ(p.correlations.numeric_left_out, 3);
  EXPECT_EQ(ProfileFromJson(ProfileToJson(p)).correlations.numeric_left_out, 3);
}

// A categorical feature whose categories are pure in the target leaks; many categories of a
// few rows each are noise. Their rates are taken out of fold, so noise scores near 0.5 (in
// sample it scored 0.98 and topped the ranking) while a real leak stays near 1.
TEST(ProfileTest, LeakageNeedsRowsPerCategory) {
  ColumnBuilder noise(DataType::kString), leak(DataType::kString), y(DataType::kString);
  uint64_t state = 12345;
  for (int i = 0; i < 1000; ++i) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    const bool positive = (state >> 33) & 1;
    y.AppendString(positive ? "b" : "a");
    noise.AppendString("z" + std::to_string((state >> 40) % 4000));
    leak.AppendString(positive ? (i % 2 ? "p1" : "p2") : "n1");
  }
  Table t(
      Schema({{"noise", DataType::kString}, {"leak", DataType::kString}, {"y", DataType::kString}}),
      {noise.Finish(), leak.Finish(), y.Finish()});
  ProfileOptions options;
  options.target = "y";
  const Profile p = ComputeProfile(t, options);
  std::vector<std::string> leaking;
  for (const Alert& a : p.alerts) {
    if (a.kind == "possible_leakage") leaking.push_back(a.column);
  }
  EXPECT_EQ(leaking, std::vector<std::string>{"leak"});
  EXPECT_LT(*p.column_profiles[0].target_association, 0.6);
  EXPECT_GE(*p.column_profiles[1].target_association, 0.98);
  ASSERT_FALSE(p.target->ranking.empty());
  EXPECT_EQ(p.target->ranking[0].first, "leak");
}

// Columns declared as no feature (id, event_time, ignored) are not scored against the target:
// a row id of rows sorted by label "predicted" it perfectly, and a declared id needs no id_like
// alert. A classification target's skewness is its class balance: no skewed alert beside the
// imbalance one.
TEST(ProfileTest, DeclaredRolesAreNotFeatures) {
  ColumnBuilder id(DataType::kInt64), when(DataType::kInt64), x(DataType::kFloat64),
      y(DataType::kInt64);
  for (int i = 0; i < 200; ++i) {
    id.AppendInt(i);
    when.AppendInt(1000 + i);
    x.AppendDouble((i * 37) % 101);
    y.AppendInt(i >= 190);  // sorted by label; 5% positive
  }
  Table t(Schema({{"row_id", DataType::kInt64, Role::kId},
                  {"when", DataType::kInt64, Role::kEventTime},
                  {"x", DataType::kFloat64},
                  {"y", DataType::kInt64, Role::kTarget}}),
          {id.Finish(), when.Finish(), x.Finish(), y.Finish()});
  ProfileOptions options;
  options.target = "y";
  const Profile p = ComputeProfile(t, options);
  EXPECT_FALSE(p.Find("row_id")->target_association);
  EXPECT_FALSE(p.Find("when")->target_association);
  EXPECT_TRUE(p.Find("x")->target_association);
  ASSERT_EQ(p.target->ranking.size(), 1u);
  EXPECT_EQ(p.target->ranking[0].first, "x");
  for (const Alert& a : p.alerts) {
    EXPECT_NE(a.kind, "possible_leakage") << a.message;
    EXPECT_FALSE(a.kind == "id_like" && a.column == "row_id") << a.message;
    EXPECT_FALSE(a.kind == "skewed" && a.column == "y") << a.message;
  }
  EXPECT_NE(FindAlert(p, "imbalance", "y"), nullptr);
  // Undeclared, the same id column is scored (and leaks), as before.
  Table plain(Schema({{"row_id", DataType::kInt64},
                      {"when", DataType::kInt64},
                      {"x", DataType::kFloat64},
                      {"y", DataType::kInt64}}),
              t.columns());
  EXPECT_TRUE(ComputeProfile(plain, options).Find("row_id")->target_association);
}

TEST(ProfileTest, EmptyTable) {
  Table t(Schema({{"x", DataType::kFloat64}, {"s", DataType::kString}}),
          {BuildColumn(DataType::kFloat64, 0, false), BuildColumn(DataType::kString, 0, false)});
  Profile p = ComputeProfile(t);
  EXPECT_EQ(p.rows, 0);
  EXPECT_EQ(p.duplicate_rows, 0);
  ASSERT_EQ(p.column_profiles.size(), 2u);
  const ColumnProfile& x = p.column_profiles[0];
  EXPECT_EQ(x.semantic, SemanticType::kEmpty);
  EXPECT_EQ(x.count, 0);
  EXPECT_EQ(x.missing_percent, 0.0);
  EXPECT_TRUE(std::isnan(*x.mean));
  EXPECT_EQ(*x.sum, 0.0);  // pandas: the sum of nothing is 0
  EXPECT_FALSE(x.histogram.has_value());
  EXPECT_EQ(p.column_profiles[1].semantic, SemanticType::kEmpty);
  EXPECT_TRUE(std::isnan(p.correlations.pearson[0][0]));
  ProfileFromJson(ProfileToJson(p));  // and it serialises
}

// Squared deviations beyond double's range: std inf and skewness / kurtosis NaN, as pandas
// (not 0, which made a column of four distinct values look constant).
TEST(ProfileTest, OverflowingSpreadIsInfiniteNotZero) {
  ColumnBuilder b(DataType::kFloat64);
  for (double v : {1.0, 2.0, 3.0, 1e160}) b.AppendDouble(v);
  ColumnBuilder y(DataType::kFloat64);
  for (double v : {0.0, 1.0, 0.0, 1.0}) y.AppendDouble(v);
  Table t(Schema({{"x", DataType::kFloat64}, {"y", DataType::kFloat64}}), {b.Finish(), y.Finish()});
  const Profile p = ComputeProfile(t);
  const ColumnProfile& x = p.column_profiles[0];
  EXPECT_EQ(*x.std, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(*x.skewness));
  EXPECT_TRUE(std::isnan(*x.kurtosis));
  EXPECT_EQ(*x.mean, 2.5e159);
  // Its correlations are undefined, not 0 (which reads as "unrelated").
  EXPECT_TRUE(std::isnan(p.correlations.pearson[0][1]));
}

// Distinct whole numbers are an identifier when they count through a range (ids 1..n, or every
// other number); spread far wider (amounts in cents), they are a measurement, with statistics,
// a histogram and a skewness alert.
TEST(ProfileTest, DistinctIntegersAreIdsOnlyWhenTheyCountThroughARange) {
  ColumnBuilder ids(DataType::kInt64), odd(DataType::kInt64), cents(DataType::kInt64);
  int64_t amount = 1000;
  for (int64_t i = 0; i < 200; ++i) {
    ids.AppendInt(1000 + i);
    odd.AppendInt(2 * i + 1);
    amount += i * i * 37 + 11;  // distinct, spread ever wider: skewed
    cents.AppendInt(amount);
  }
  Table t(
      Schema({{"id", DataType::kInt64}, {"odd", DataType::kInt64}, {"cents", DataType::kInt64}}),
      {ids.Finish(), odd.Finish(), cents.Finish()});
  const Profile p = ComputeProfile(t);
  EXPECT_EQ(p.Find("id")->semantic, SemanticType::kIdLike);
  EXPECT_EQ(p.Find("odd")->semantic, SemanticType::kIdLike);
  EXPECT_EQ(p.Find("cents")->semantic, SemanticType::kNumeric);
  EXPECT_TRUE(p.Find("cents")->histogram.has_value());
}

// A target with one class, or with no value, is flagged: no model can learn from it.
TEST(ProfileTest, UnusableTargetsAreFlagged) {
  ColumnBuilder one(DataType::kString), none(DataType::kFloat64), x(DataType::kFloat64);
  for (int i = 0; i < 20; ++i) {
    one.AppendString("a");
    none.AppendNull();
    x.AppendDouble(i);
  }
  Table t(
      Schema({{"one", DataType::kString}, {"none", DataType::kFloat64}, {"x", DataType::kFloat64}}),
      {one.Finish(), none.Finish(), x.Finish()});
  ProfileOptions o;
  o.target = "one";
  Profile p = ComputeProfile(t, o);
  const Alert* a = FindAlert(p, "unusable_target", "one");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->message, "target 'one' has one class ('a'): no model can learn from it");
  EXPECT_EQ(a->evidence["classes"], 1);
  // One class is a degenerate binary task (it read "multiclass", with a mutual information of
  // 0 for every feature): no association, so no ranking.
  EXPECT_EQ(p.target->task, "binary");
  EXPECT_TRUE(p.target->ranking.empty());
  o.target = "none";
  p = ComputeProfile(t, o);
  a = FindAlert(p, "unusable_target", "none");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->message, "target 'none' has no value: no model can learn from it");
  o.target = "x";
  EXPECT_EQ(FindAlert(ComputeProfile(t, o), "unusable_target", "x"), nullptr);
}

TEST(ProfileTest, AllMissingColumns) {
  Table t(Schema({{"x", DataType::kFloat64}, {"s", DataType::kString}, {"b", DataType::kBool}}),
          {BuildColumn(DataType::kFloat64, 5, true), BuildColumn(DataType::kString, 5, true),
           BuildColumn(DataType::kBool, 5, true)});
  ProfileOptions options;
  options.target = "b";
  Profile p = ComputeProfile(t, options);
  for (const ColumnProfile& c : p.column_profiles) {
    EXPECT_EQ(c.semantic, SemanticType::kEmpty) << c.name;
    EXPECT_EQ(c.missing, 5);
    EXPECT_EQ(c.missing_percent, 100.0);
    EXPECT_EQ(c.distinct, 0);
    EXPECT_TRUE(c.top_values.empty());
    EXPECT_FALSE(c.target_association.has_value());
  }
  EXPECT_EQ(p.duplicate_rows, 4);  // every row is (missing, missing, missing)
  ASSERT_TRUE(p.target.has_value());
  EXPECT_TRUE(p.target->class_counts.empty());
  EXPECT_NE(FindAlert(p, "high_missing", "x"), nullptr);
}

TEST(ProfileTest, SingleRowLeavesSpreadUndefined) {
  const Profile& p = ProfileOf(CaseNamed("single"));
  const ColumnProfile& x = *p.Find("x");
  EXPECT_EQ(*x.mean, 4.25);
  EXPECT_TRUE(std::isnan(*x.std));
  EXPECT_TRUE(std::isnan(*x.skewness));
  EXPECT_EQ(x.quantiles.at("p99"), 4.25);
  EXPECT_EQ(x.histogram->edges.front(), 3.75);  // numpy: a constant v spans [v - 0.5, v + 0.5]
  EXPECT_EQ(x.histogram->edges.back(), 4.75);
  EXPECT_EQ(p.Find("t")->first_time, "2020-09-13T12:26:40.123456Z");
  EXPECT_EQ(p.Find("nope"), nullptr);
}

TEST(ProfileTest, SlicedTablesProfileTheirRows) {
  Table t = ReadFixtureCsv("mixed.csv");
  Profile whole = ComputeProfile(t.Slice(0, 100));
  Profile copied = ComputeProfile(t.Take([] {
    std::vector<int64_t> rows(100);
    for (int i = 0; i < 100; ++i) rows[i] = i;
    return rows;
  }()));
  EXPECT_EQ(WithoutSeconds(ProfileToJson(whole))["column_profiles"],
            WithoutSeconds(ProfileToJson(copied))["column_profiles"]);
}

// --- At scale: the fast paths against naive references ------------------------------------------

// A 20,000-row table whose columns take every path of the sort (bucket recursion on skewed data,
// a range dominated by outliers, counting sort, int64 beyond 2^53), of the correlations
// (complete columns through the matrix product, incomplete ones pair by pair) and of the
// duplicate count.
struct ScaleTable {
  Table table;
  std::vector<std::string> names;
  std::vector<std::vector<std::optional<double>>> values;  // numeric view; nullopt = missing
  std::vector<std::vector<std::optional<int64_t>>> ints;   // int64 columns, exact
};

ScaleTable MakeScaleTable() {
  constexpr int n = 20000;
  std::mt19937_64 rng(11);
  std::normal_distribution<double> gauss(0, 1);
  std::uniform_real_distribution<double> uniform(0, 1);
  ScaleTable t;
  std::vector<Field> fields;
  std::vector<Column> columns;
  auto add_double = [&](const std::string& name, auto gen) {
    ColumnBuilder b(DataType::kFloat64);
    std::vector<std::optional<double>> v;
    for (int i = 0; i < n; ++i) {
      std::optional<double> x = gen(i);
      v.push_back(x);
      if (x) {
        b.AppendDouble(*x);
      } else {
        b.AppendNull();
      }
    }
    fields.push_back({name, DataType::kFloat64});
    columns.push_back(b.Finish());
    t.names.push_back(name);
    t.values.push_back(v);
    t.ints.emplace_back();
  };
  auto add_int = [&](const std::string& name, DataType type, auto gen) {
    ColumnBuilder b(type);
    std::vector<std::optional<double>> v;
    std::vector<std::optional<int64_t>> exact;
    for (int i = 0; i < n; ++i) {
      std::optional<int64_t> x = gen(i);
      exact.push_back(x);
      v.push_back(x ? std::optional<double>(static_cast<double>(*x)) : std::nullopt);
      if (!x) {
        b.AppendNull();
      } else if (type == DataType::kBool) {
        b.AppendBool(*x != 0);
      } else {
        b.AppendInt(*x);
      }
    }
    fields.push_back({name, type});
    columns.push_back(b.Finish());
    t.names.push_back(name);
    t.values.push_back(v);
    t.ints.push_back(exact);
  };
  std::vector<double> a(n);
  for (double& x : a) x = gauss(rng);
  add_double("a", [&](int i) { return std::optional<double>(a[i]); });
  add_double("b", [&](int i) { return std::optional<double>(a[i] + 0.5 * gauss(rng)); });
  add_double("c", [&](int i) { return std::optional<double>(std::round(uniform(rng) * 50)); });
  add_double("normal", [&](int i) -> std::optional<double> {
    if (i % 97 == 5) return std::nullopt;
    if (i == 10 || i == 20) return INFINITY;
    if (i == 30) return -INFINITY;
    if (i == 40) return std::nan("");  // NaN counts as missing
    return a[i] * 0.3 + gauss(rng);
  });
  add_double("specials", [&](int i) -> std::optional<double> {
    // No missing entry (no validity bitmap), but NaN and infinities among the values.
    if (i % 101 == 1) return std::nan("");
    if (i % 211 == 2) return i % 2 ? INFINITY : -INFINITY;
    return uniform(rng) * 8 - 4;
  });
  add_double("skewed", [&](int i) -> std::optional<double> {
    if (i % 50 == 7) return std::nullopt;
    return std::exp(2 * gauss(rng));
  });
  add_double("outliers", [&](int i) {
    return std::optional<double>(i % 1000 == 3 ? 1e12 * (1 + uniform(rng)) : uniform(rng));
  });
  add_int("ties", DataType::kInt64, [&](int i) -> std::optional<int64_t> {
    if (i % 13 == 0) return std::nullopt;
    return static_cast<int64_t>(rng() % 10);
  });
  add_int("big", DataType::kInt64, [&](int) {
    // Beyond 2^53: many values share a double, never a key.
    return std::optional<int64_t>((int64_t{1} << 62) + static_cast<int64_t>(rng() % 4096));
  });
  add_int("flag", DataType::kBool, [&](int i) -> std::optional<int64_t> {
    if (i % 31 == 0) return std::nullopt;
    return static_cast<int64_t>(rng() % 3 == 0);
  });
  add_int("when", DataType::kTimestamp, [&](int) {
    return std::optional<int64_t>(1'600'000'000'000'000 +
                                  static_cast<int64_t>(rng() % 1'000'000'000'000));
  });
  t.table = Table(Schema(fields), columns);
  return t;
}

const ScaleTable& Scale() {
  static const ScaleTable t = MakeScaleTable();
  return t;
}

const Profile& ScaleProfile() {
  static const Profile p = ComputeProfile(Scale().table);
  return p;
}

std::vector<double> FiniteSorted(const std::vector<std::optional<double>>& v) {
  std::vector<double> out;
  for (const auto& x : v) {
    if (x && std::isfinite(*x)) out.push_back(*x);
  }
  std::sort(out.begin(), out.end());
  return out;
}

double NaiveQuantile(const std::vector<double>& sorted, double q) {
  const double pos = (static_cast<double>(sorted.size()) - 1) * q;
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - std::floor(pos));
}

// Relative to the spread: quantiles and moments of data with outliers of 1e12.
::testing::AssertionResult NearScaled(double actual, double expected, double scale) {
  if (std::fabs(actual - expected) <= 1e-9 * std::max({1.0, std::fabs(expected), scale})) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure() << "expected " << expected << ", got " << actual;
}

TEST(ProfileScaleTest, ColumnFiguresMatchNaiveComputations) {
  const ScaleTable& t = Scale();
  const Profile& p = ScaleProfile();
  for (size_t c = 0; c < t.names.size(); ++c) {
    SCOPED_TRACE(t.names[c]);
    const ColumnProfile& got = *p.Find(t.names[c]);
    const auto& v = t.values[c];
    int64_t present = 0;
    for (const auto& x : v) present += x && !std::isnan(*x);
    EXPECT_EQ(got.count, present);
    // Distinct and most frequent values, exactly (int64 columns compared as integers).
    std::map<std::string, int64_t> counts;
    std::map<int64_t, int64_t> int_counts;
    std::map<double, int64_t> double_counts;
    for (size_t i = 0; i < v.size(); ++i) {
      if (!t.ints[c].empty()) {
        if (t.ints[c][i]) ++int_counts[*t.ints[c][i]];
      } else if (v[i] && !std::isnan(*v[i])) {
        ++double_counts[*v[i]];
      }
    }
    const size_t distinct = t.ints[c].empty() ? double_counts.size() : int_counts.size();
    EXPECT_EQ(got.distinct, static_cast<int64_t>(distinct));
    std::vector<int64_t> top_counts;
    for (const auto& [value, count] : double_counts) top_counts.push_back(count);
    for (const auto& [value, count] : int_counts) top_counts.push_back(count);
    std::sort(top_counts.rbegin(), top_counts.rend());
    top_counts.resize(std::min<size_t>(top_counts.size(), 20));
    std::vector<int64_t> got_counts;
    for (const ValueCount& vc : got.top_values) got_counts.push_back(vc.count);
    EXPECT_EQ(got_counts, top_counts);
    if (got.type == DataType::kTimestamp) continue;

    const std::vector<double> sorted = FiniteSorted(v);
    const double spread = sorted.back() - sorted.front();
    EXPECT_EQ(*got.min, sorted.front());
    EXPECT_EQ(*got.max, sorted.back());
    for (const auto& [name, q] : std::vector<std::pair<std::string, double>>{
             {"p1", 0.01}, {"p25", 0.25}, {"p50", 0.5}, {"p99", 0.99}}) {
      EXPECT_TRUE(NearScaled(got.quantiles.at(name), NaiveQuantile(sorted, q), spread)) << name;
    }
    // Summed about the first value: values near 2^62 would lose their spread in a plain sum.
    long double sum = 0;
    for (double x : sorted) sum += x - sorted.front();
    const long double mean = sorted.front() + sum / sorted.size();
    const long double offset = sum / sorted.size();  // mean - front, without rounding to front
    long double m2 = 0;
    for (double x : sorted) {
      const long double d = (static_cast<long double>(x) - sorted.front()) - offset;
      m2 += d * d;
    }
    EXPECT_TRUE(NearScaled(*got.mean, static_cast<double>(mean), spread));
    EXPECT_TRUE(Near(*got.std, static_cast<double>(std::sqrt(m2 / (sorted.size() - 1)))));
    std::vector<int64_t> bins(20, 0);
    for (double x : sorted) ++bins[profile_internal::BinOf(got.histogram->edges, x)];
    EXPECT_EQ(got.histogram->counts, bins);
  }
}

// pandas' corr over pairwise complete rows, computed the slow and obvious way.
double NaiveCorrelation(const std::vector<std::optional<double>>& x,
                        const std::vector<std::optional<double>>& y, bool spearman) {
  std::vector<double> a, b;
  for (size_t i = 0; i < x.size(); ++i) {
    if (x[i] && y[i] && std::isfinite(*x[i]) && std::isfinite(*y[i])) {
      a.push_back(*x[i]);
      b.push_back(*y[i]);
    }
  }
  auto ranks = [](const std::vector<double>& v) {
    std::vector<size_t> order(v.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](size_t i, size_t j) { return v[i] < v[j]; });
    std::vector<double> r(v.size());
    for (size_t i = 0; i < order.size();) {
      size_t j = i;
      while (j < order.size() && v[order[j]] == v[order[i]]) ++j;
      for (size_t k = i; k < j; ++k) r[order[k]] = (i + 1 + j) / 2.0;
      i = j;
    }
    return r;
  };
  if (spearman) {
    a = ranks(a);
    b = ranks(b);
  }
  if (a.empty()) return std::nan("");
  long double ma = 0, mb = 0;  // about the first values (see the column test)
  for (size_t i = 0; i < a.size(); ++i) {
    ma += a[i] - a[0];
    mb += b[i] - b[0];
  }
  ma /= a.size();  // means less the first values
  mb /= b.size();
  long double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const long double da = (static_cast<long double>(a[i]) - a[0]) - ma;
    const long double db = (static_cast<long double>(b[i]) - b[0]) - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  if (saa == 0 || sbb == 0) return std::nan("");
  return static_cast<double>(sab / std::sqrt(saa * sbb));
}

TEST(ProfileScaleTest, CorrelationsMatchNaivePairwiseComputations) {
  const ScaleTable& t = Scale();
  const Correlations& corr = ScaleProfile().correlations;
  std::vector<size_t> index;  // corr.numeric[i] -> t column
  for (const std::string& name : corr.numeric) {
    index.push_back(std::find(t.names.begin(), t.names.end(), name) - t.names.begin());
  }
  ASSERT_EQ(corr.numeric.size(), 10u);  // every column but the timestamp
  for (size_t i = 0; i < index.size(); ++i) {
    for (size_t j = 0; j <= i; ++j) {
      SCOPED_TRACE(corr.numeric[i] + " x " + corr.numeric[j]);
      const auto& x = t.values[index[i]];
      const auto& y = t.values[index[j]];
      EXPECT_TRUE(Near(corr.pearson[i][j], NaiveCorrelation(x, y, false)));
      EXPECT_TRUE(Near(corr.spearman[i][j], NaiveCorrelation(x, y, true)));
      EXPECT_EQ(corr.pearson[i][j], corr.pearson[j][i]);
    }
  }
  EXPECT_GT(corr.pearson[0][1], 0.8);  // a and b, through the matrix product
}

TEST(ProfileScaleTest, PortableKernelsGiveTheSameCorrelations) {
  // The AVX2 path (when the CPU has it) and the portable one (Eigen) agree to rounding.
  profile_internal::ForcePortableKernels(true);
  const Profile portable = ComputeProfile(Scale().table);
  profile_internal::ForcePortableKernels(false);
  const Correlations& fast = ScaleProfile().correlations;
  for (size_t i = 0; i < fast.numeric.size(); ++i) {
    for (size_t j = 0; j < fast.numeric.size(); ++j) {
      EXPECT_TRUE(Near(portable.correlations.pearson[i][j], fast.pearson[i][j])) << i << "," << j;
      EXPECT_TRUE(Near(portable.correlations.spearman[i][j], fast.spearman[i][j]));
    }
  }
}

TEST(ProfileScaleTest, ResultDoesNotDependOnTheThreadCount) {
  // Large enough to be spread over threads (small tables are profiled on one).
  ProfileOptions options;
  options.target = "ties";  // multiclass: mutual information over histogram bins
  Json reference;
  for (int threads : {1, 2, 3, 8}) {
    options.threads = threads;
    Json j = WithoutSeconds(ProfileToJson(ComputeProfile(Scale().table, options)));
    if (reference.is_null()) {
      reference = j;
    } else {
      EXPECT_EQ(j, reference) << threads << " threads";
    }
  }
}

TEST(ProfileScaleTest, DuplicateRowsAmongManyRows) {
  // 30,000 rows drawn from 700 distinct (string, int, double, missing) patterns.
  std::mt19937_64 rng(5);
  ColumnBuilder s(DataType::kString), i(DataType::kInt64), d(DataType::kFloat64);
  std::set<uint64_t> seen;
  for (int row = 0; row < 30000; ++row) {
    const uint64_t pattern = rng() % 700;
    seen.insert(pattern);
    s.AppendString("s" + std::to_string(pattern % 7));
    if (pattern % 11 == 0) {
      i.AppendNull();
    } else {
      i.AppendInt(static_cast<int64_t>(pattern / 7));
    }
    d.AppendDouble(pattern % 2 ? 0.0 : -0.0);  // one value to pandas
  }
  Table t(Schema({{"s", DataType::kString}, {"i", DataType::kInt64}, {"d", DataType::kFloat64}}),
          {s.Finish(), i.Finish(), d.Finish()});
  Profile p = ComputeProfile(t);
  // Patterns p and p' give equal rows when they agree on p % 7, p / 7 (or both missing).
  std::set<std::pair<uint64_t, int64_t>> rows;
  for (uint64_t pattern : seen) {
    rows.insert({pattern % 7, pattern % 11 == 0 ? -1 : static_cast<int64_t>(pattern / 7)});
  }
  EXPECT_EQ(p.duplicate_rows, 30000 - static_cast<int64_t>(rows.size()));
}

TEST(ProfileScaleTest, AColumnOfDistinctPresentValuesMakesEveryRowDistinct) {
  // An id tells the rows apart, however the other columns repeat.
  ColumnBuilder id(DataType::kInt64), x(DataType::kFloat64);
  for (int row = 0; row < 1000; ++row) {
    id.AppendInt(row);
    x.AppendDouble(1.5);
  }
  Table keyed(Schema({{"id", DataType::kInt64}, {"x", DataType::kFloat64}}),
              {id.Finish(), x.Finish()});
  EXPECT_EQ(ComputeProfile(keyed).duplicate_rows, 0);

  // Distinct where present is not a key: missing equals missing (pandas), as NaN equals NaN.
  ColumnBuilder sparse_id(DataType::kInt64), f(DataType::kFloat64), y(DataType::kFloat64);
  sparse_id.AppendInt(1);
  sparse_id.AppendNull();
  sparse_id.AppendNull();
  f.AppendDouble(2.0);
  f.AppendDouble(std::nan(""));
  f.AppendDouble(std::nan(""));
  for (int row = 0; row < 3; ++row) y.AppendDouble(5.0);
  Table t(Schema({{"id", DataType::kInt64}, {"f", DataType::kFloat64}, {"y", DataType::kFloat64}}),
          {sparse_id.Finish(), f.Finish(), y.Finish()});
  EXPECT_EQ(ComputeProfile(t).duplicate_rows, 1);
}

// --- The sort every numeric column goes through ----------------------------------------------

TEST(ProfileSortTest, SortsLikeStdSortOnEveryKind) {
  using profile_internal::KeyOfDouble;
  using profile_internal::KeyOfInt;
  using profile_internal::KeyRow;
  std::mt19937_64 rng(7);
  std::vector<std::vector<uint64_t>> inputs;
  for (size_t n : {0, 1, 2, 50, 65, 1000, 70000}) {
    std::vector<uint64_t> normal, ties, ints, wide, special;
    std::normal_distribution<double> gauss(0, 10);
    for (size_t i = 0; i < n; ++i) {
      normal.push_back(KeyOfDouble(gauss(rng)));
      ties.push_back(KeyOfDouble(std::round(gauss(rng))));
      ints.push_back(KeyOfInt(static_cast<int64_t>(rng() % 1000) - 500));
      wide.push_back(KeyOfInt(static_cast<int64_t>(rng())));
      const double pick[] = {0.0, -0.0, INFINITY, -INFINITY, 1e300, -1e-300, 5e-324, 2.5};
      special.push_back(KeyOfDouble(pick[rng() % 8]));
    }
    for (auto* v : {&normal, &ties, &ints, &wide, &special}) inputs.push_back(*v);
  }
  for (const auto& keys : inputs) {
    profile_internal::KeyRows items, scratch;
    for (size_t i = 0; i < keys.size(); ++i) items.push_back({keys[i], static_cast<uint32_t>(i)});
    profile_internal::SortByKey(items, scratch);
    std::vector<uint64_t> want = keys;
    std::sort(want.begin(), want.end());
    ASSERT_EQ(items.size(), want.size());
    std::vector<char> seen(keys.size(), 0);
    for (size_t i = 0; i < items.size(); ++i) {
      ASSERT_EQ(items[i].key, want[i]) << "n=" << keys.size() << " at " << i;
      ASSERT_EQ(keys[items[i].row], items[i].key);  // each row carries its own key
      ASSERT_FALSE(seen[items[i].row]);
      seen[items[i].row] = 1;
    }
  }
}

TEST(ProfileSortTest, KeysOrderNumbersAndMergeSignedZeros) {
  using profile_internal::DoubleOfKey;
  using profile_internal::KeyOfDouble;
  const double values[] = {-INFINITY, -1e300, -1.0, -5e-324, 0.0, 5e-324, 1.0, 1e300, INFINITY};
  for (size_t i = 0; i + 1 < std::size(values); ++i) {
    EXPECT_LT(KeyOfDouble(values[i]), KeyOfDouble(values[i + 1])) << values[i];
    EXPECT_EQ(DoubleOfKey(KeyOfDouble(values[i])), values[i]);
  }
  EXPECT_EQ(KeyOfDouble(-0.0), KeyOfDouble(0.0));
}

}  // namespace
}  // namespace mloop
