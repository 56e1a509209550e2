#include "mloop/profile/profile_report.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "mloop/report/svg.h"

namespace mloop {
namespace {

::testing::AssertionResult Has(const std::string& html, const std::string& needle) {
  if (html.find(needle) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "the page has no '" << needle << "'";
}

size_t Count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t pos = text.find(needle); pos != std::string::npos;
       pos = text.find(needle, pos + needle.size())) {
    ++n;
  }
  return n;
}

Histogram Hist(double lo, double hi, std::vector<int64_t> counts) {
  Histogram h;
  h.counts = std::move(counts);
  for (size_t i = 0; i <= h.counts.size(); ++i) {
    h.edges.push_back(lo + (hi - lo) * static_cast<double>(i) / h.counts.size());
  }
  return h;
}

ColumnProfile Numeric(std::string name, DataType type, double lo, double hi, double mean,
                      std::vector<int64_t> counts) {
  ColumnProfile c;
  c.name = std::move(name);
  c.type = type;
  c.semantic = SemanticType::kNumeric;
  for (int64_t k : counts) c.count += k;
  c.distinct = c.count / 2;
  c.min = lo;
  c.max = hi;
  c.mean = mean;
  c.std = (hi - lo) / 5;
  c.sum = mean * static_cast<double>(c.count);
  c.skewness = 0.3;
  c.kurtosis = -0.2;
  c.quantiles = {{"p1", lo},        {"p5", lo + 1},  {"p25", mean - 5}, {"p50", mean},
                 {"p75", mean + 5}, {"p95", hi - 1}, {"p99", hi}};
  c.histogram = Hist(lo, hi, std::move(counts));
  return c;
}

ColumnProfile Categorical(std::string name, std::vector<ValueCount> top, int64_t distinct) {
  ColumnProfile c;
  c.name = std::move(name);
  c.type = DataType::kString;
  c.semantic = SemanticType::kCategorical;
  for (const auto& v : top) c.count += v.count;
  c.count += 40;  // values outside the top list
  c.distinct = distinct;
  c.top_values = std::move(top);
  c.length_min = 2;
  c.length_max = 11;
  c.length_mean = 6.5;
  return c;
}

// A profile like ComputeProfile's for a churn table: numeric, categorical, boolean, datetime,
// id-like, text, constant and empty columns, correlations, a binary target and alerts.
Profile SampleProfile() {
  Profile p;
  p.rows = 1000;
  p.duplicate_rows = 3;
  p.memory_bytes = 123456;
  p.seconds = 0.042;

  std::vector<int64_t> bell;
  for (int i = 0; i < 20; ++i)
    bell.push_back(static_cast<int64_t>(100 * std::exp(-(i - 9.5) * (i - 9.5) / 18)));
  p.column_profiles.push_back(Numeric("age", DataType::kInt64, 18, 90, 44.2, bell));
  std::vector<int64_t> skewed;
  for (int i = 0; i < 20; ++i) skewed.push_back(static_cast<int64_t>(400 * std::exp(-0.35 * i)));
  ColumnProfile income = Numeric("income", DataType::kFloat64, 1200, 250000, 41200.5, skewed);
  income.missing = 120;
  income.missing_percent = 12;
  income.skewness = 3.4;
  income.outliers = 37;
  income.target_association = 0.61;
  p.column_profiles.push_back(income);
  ColumnProfile tenure = Numeric("tenure", DataType::kFloat64, 0, 72, 32.1, bell);
  tenure.target_association = 0.74;
  p.column_profiles.push_back(tenure);

  ColumnProfile city = Categorical(
      "city", {{"Berlin", 300}, {"Paris", 250}, {"Madrid", 200}, {"Rome", 150}, {"", 20}}, 9);
  city.target_association = 0.55;
  p.column_profiles.push_back(city);
  ColumnProfile bold = Categorical("<b>plan</b>", {{"basic & more", 500}, {"<pro>", 460}}, 2);
  p.column_profiles.push_back(bold);

  ColumnProfile churned;
  churned.name = "churned";
  churned.type = DataType::kBool;
  churned.semantic = SemanticType::kBoolean;
  churned.count = 1000;
  churned.distinct = 2;
  churned.top_values = {{"false", 820}, {"true", 180}};
  p.column_profiles.push_back(churned);

  ColumnProfile signup;
  signup.name = "signup";
  signup.type = DataType::kTimestamp;
  signup.semantic = SemanticType::kDatetime;
  signup.count = 1000;
  signup.distinct = 990;
  signup.min = 1672531200e6;  // 2023-01-01
  signup.max = 1704067199e6;  // 2023-12-31
  signup.first_time = "2023-01-01T00:00:00Z";
  signup.last_time = "2023-12-31T23:59:59Z";
  signup.histogram =
      Hist(*signup.min, *signup.max, {80, 90, 85, 70, 95, 100, 75, 80, 90, 85, 70, 80});
  p.column_profiles.push_back(signup);

  ColumnProfile id;
  id.name = "customer_id";
  id.type = DataType::kInt64;
  id.semantic = SemanticType::kIdLike;
  id.count = 1000;
  id.distinct = 1000;
  id.min = 1;
  id.max = 1000;
  id.mean = 500.5;
  p.column_profiles.push_back(id);

  ColumnProfile note;
  note.name = "note";
  note.type = DataType::kString;
  note.semantic = SemanticType::kText;
  note.count = 990;
  note.missing = 10;
  note.missing_percent = 1;
  note.distinct = 985;
  note.length_min = 20;
  note.length_max = 400;
  note.length_mean = 120;
  note.top_values = {{"called support twice about the bill", 3}, {"no comment", 2}};
  p.column_profiles.push_back(note);

  ColumnProfile constant;
  constant.name = "country";
  constant.type = DataType::kString;
  constant.semantic = SemanticType::kConstant;
  constant.count = 1000;
  constant.distinct = 1;
  constant.top_values = {{"DE", 1000}};
  p.column_profiles.push_back(constant);

  ColumnProfile empty;
  empty.name = "fax";
  empty.type = DataType::kFloat64;
  empty.semantic = SemanticType::kEmpty;
  empty.missing = 1000;
  empty.missing_percent = 100;
  empty.mean = std::nan("");
  p.column_profiles.push_back(empty);
  p.columns = static_cast<int64_t>(p.column_profiles.size());

  p.correlations.numeric = {"age", "income", "tenure"};
  p.correlations.pearson = {{1, 0.35, 0.92}, {0.35, 1, -0.41}, {0.92, -0.41, 1}};
  p.correlations.spearman = {{1, 0.31, 0.9}, {0.31, 1, -0.45}, {0.9, -0.45, 1}};
  p.correlations.categorical = {"city", "<b>plan</b>", "churned"};
  p.correlations.cramers_v = {{1, 0.12, 0.3}, {0.12, 1, 0.05}, {0.3, 0.05, 1}};

  TargetProfile t;
  t.column = "churned";
  t.task = "binary";
  t.class_counts = {{"false", 820}, {"true", 180}};
  t.association_kind = "roc_auc";
  t.ranking = {{"tenure", 0.74}, {"income", 0.61}, {"city", 0.55}, {"<b>plan</b>", 0.52}};
  p.target = t;

  Alert a;
  a.kind = "high_missing";
  a.column = "income";
  a.message = "income is missing in 12% of rows";
  a.evidence = {{"missing", 120}, {"missing_percent", 12.0}};
  p.alerts.push_back(a);
  a.kind = "high_correlation";
  a.column = "age,tenure";
  a.message = "age and tenure are highly correlated (Pearson 0.92)";
  a.evidence = {{"pearson", 0.92}, {"threshold", 0.9}};
  p.alerts.push_back(a);
  a.kind = "constant";
  a.column = "country";
  a.message = "country has one value: DE";
  a.evidence = {{"value", "DE"}};
  p.alerts.push_back(a);
  a.kind = "duplicates";
  a.column = "";
  a.message = "3 rows repeat an earlier row";
  a.evidence = {{"duplicate_rows", 3}};
  p.alerts.push_back(a);
  return p;
}

TEST(ProfileReportTest, IsOneSelfContainedPage) {
  std::string html = RenderProfileReport(SampleProfile(), {});
  if (const char* out = std::getenv("MLOOP_PROFILE_REPORT_OUT")) {
    std::ofstream(out) << html;  // for looking at it: scripts/screenshot-report.sh
  }
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_TRUE(Has(html, "</html>"));
  EXPECT_FALSE(Has(html, "http://"));
  EXPECT_FALSE(Has(html, "https://"));
  EXPECT_FALSE(Has(html, "<script"));
  EXPECT_FALSE(Has(html, "src="));
  EXPECT_FALSE(Has(html, "@import"));
  EXPECT_FALSE(Has(html, "@font-face"));
  EXPECT_EQ(Count(html, "<svg"), Count(html, "</svg>"));
  EXPECT_EQ(Count(html, "<section"), Count(html, "</section>"));
  EXPECT_EQ(Count(html, "<table"), Count(html, "</table>"));
  EXPECT_EQ(Count(html, "<text"), Count(html, "</text>"));
  // Undefined figures are a dash, never "NaN".
  EXPECT_FALSE(Has(html, "NaN"));
  EXPECT_FALSE(Has(html, "nan<"));
}

TEST(ProfileReportTest, HasTheSections) {
  std::string html = RenderProfileReport(SampleProfile(), {});
  for (const char* id :
       {"overview", "alerts", "target", "correlations", "columns", "column-1", "column-11"}) {
    EXPECT_TRUE(Has(html, std::string("<section id=\"") + id + "\"")) << id;
  }
  EXPECT_TRUE(Has(html, "Duplicate rows"));
  // The table of contents lists the main sections, not every column.
  EXPECT_TRUE(Has(html, "<section id=\"columns\""));
  EXPECT_TRUE(Has(html, "<a href=\"#columns\">Columns</a>"));
  EXPECT_FALSE(Has(html, "<a href=\"#column-1\">"));
  EXPECT_TRUE(Has(html, "Missing values by column"));
  EXPECT_TRUE(Has(html, "Pearson correlation"));
  EXPECT_TRUE(Has(html, "Spearman rank correlation"));
  EXPECT_TRUE(Has(html, "Cram\xC3\xA9r&#39;s V"));
  EXPECT_TRUE(Has(html, "Class balance"));
  EXPECT_TRUE(Has(html, "Features by association"));
  // Alerts with their evidence, also under their column.
  EXPECT_TRUE(Has(html, "income is missing in 12% of rows"));
  EXPECT_TRUE(Has(html, "missing_percent: 12"));
  EXPECT_TRUE(Has(html, "(dataset)"));
  EXPECT_GE(Count(html, "age and tenure are highly correlated"), 3u);  // alerts, age, tenure
  // The datetime column shows its range, the constant one its value.
  EXPECT_TRUE(Has(html, "2023-12-31T23:59:59Z"));
  EXPECT_TRUE(Has(html, "One distinct value: &#39;DE&#39;"));
  EXPECT_TRUE(Has(html, "Every value is missing."));
}

TEST(ProfileReportTest, OneHistogramPerNumericAndDatetimeColumn) {
  Profile p = SampleProfile();
  std::string html = RenderProfileReport(p, {});
  // age, income, tenure, signup.
  EXPECT_EQ(Count(html, "equal-width bins)</title>"), 4u);
  // Each histogram is its own <svg> in its column's section.
  for (const char* col : {"column-1", "column-2", "column-3", "column-7"}) {
    size_t start = html.find(std::string("<section id=\"") + col + "\"");
    ASSERT_NE(start, std::string::npos) << col;
    size_t end = html.find("</section>", start);
    std::string section = html.substr(start, end - start);
    EXPECT_EQ(Count(section, "<svg"), 1u) << col;
    EXPECT_TRUE(Has(section, "equal-width bins")) << col;
  }
  // Categorical columns get the most frequent values instead, with the rest as one bar.
  size_t city = html.find("<section id=\"column-4\"");
  std::string section = html.substr(city, html.find("</section>", city) - city);
  EXPECT_TRUE(Has(section, "Most frequent values"));
  EXPECT_TRUE(Has(section, "(empty string)"));
  EXPECT_TRUE(Has(section, "(4 other values)"));
}

TEST(ProfileReportTest, EscapesNamesAndValues) {
  std::string html = RenderProfileReport(SampleProfile(), {});
  EXPECT_FALSE(Has(html, "<b>"));
  EXPECT_FALSE(Has(html, "<pro>"));
  EXPECT_TRUE(Has(html, "&lt;b&gt;plan&lt;/b&gt;"));
  EXPECT_TRUE(Has(html, "basic &amp; more"));
  EXPECT_TRUE(Has(html, "&lt;pro&gt;"));

  ProfileReportOptions o;
  o.dataset = "a<b";
  o.version = 3;
  o.source = "/data/\"x\".csv";
  html = RenderProfileReport(SampleProfile(), o);
  EXPECT_TRUE(Has(html, "<title>Data profile: a&lt;b@3</title>"));
  EXPECT_TRUE(Has(html, "/data/&quot;x&quot;.csv"));
}

TEST(ProfileReportTest, CorrelationHeatmapsDiverge) {
  std::string html = RenderProfileReport(SampleProfile(), {});
  size_t start = html.find("<section id=\"correlations\"");
  std::string section = html.substr(start, html.find("</section>", start) - start);
  // Pearson, Spearman, Cramer's V and the strongest categorical pairs.
  EXPECT_EQ(Count(section, "<svg"), 4u);
  // +0.92 is red, -0.41 light blue, the diagonal (1) dark red.
  EXPECT_TRUE(Has(section, "0.92"));
  EXPECT_TRUE(Has(section, "-0.41"));
  EXPECT_TRUE(Has(section, "fill=\"#b2182b\""));
  EXPECT_TRUE(Has(section, "Strongest pairs"));
}

TEST(ProfileReportTest, MinimalProfiles) {
  Profile empty;
  std::string html = RenderProfileReport(empty, {});
  EXPECT_TRUE(Has(html, "No alerts"));
  EXPECT_FALSE(Has(html, "id=\"correlations\""));
  EXPECT_FALSE(Has(html, "id=\"target\""));

  // A regression target shows its distribution and the ranking by |r|.
  Profile p = SampleProfile();
  p.target->task = "regression";
  p.target->class_counts.clear();
  p.target->distribution = Hist(0, 10, {1, 5, 9, 5, 1});
  p.target->association_kind = "pearson";
  html = RenderProfileReport(p, {});
  EXPECT_TRUE(Has(html, "Target distribution"));
  EXPECT_TRUE(Has(html, "|Pearson r|"));
  EXPECT_FALSE(Has(html, "Class balance"));
}

TEST(ProfileReportTest, ManyColumnsStayBounded) {
  Profile p;
  p.rows = 10;
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(-1, 1);
  for (int i = 0; i < 60; ++i) {
    p.column_profiles.push_back(Numeric("feature_with_a_long_name_" + std::to_string(i),
                                        DataType::kFloat64, 0, 1, 0.5, {1, 2, 3, 4}));
    p.correlations.numeric.push_back(p.column_profiles.back().name);
  }
  p.correlations.pearson.assign(60, std::vector<double>(60, 0.0));
  for (int i = 0; i < 60; ++i) {
    for (int j = 0; j < 60; ++j) p.correlations.pearson[i][j] = i == j ? 1.0 : u(rng);
  }
  p.correlations.spearman = p.correlations.pearson;
  p.columns = 60;
  ProfileReportOptions o;
  o.max_column_sections = 50;
  std::string html = RenderProfileReport(p, o);
  EXPECT_TRUE(Has(html, "The heat maps show the first 30 of 60 numeric columns"));
  EXPECT_TRUE(Has(html, "10 more columns are listed in the overview only."));
  EXPECT_EQ(Count(html, "equal-width bins)</title>"), 50u);
  // A target beyond the first 30 takes the last place: the column most worth seeing.
  const std::string before = html;
  p.target = TargetProfile{};
  p.target->column = "feature_with_a_long_name_45";
  p.target->task = "regression";
  html = RenderProfileReport(p, o);
  EXPECT_TRUE(Has(html,
                  "The heat maps show the first 29 of 60 numeric columns and the target, "
                  "feature_with_a_long_name_45"));
}

// An integer column's histogram bins are labelled by the whole numbers they hold (a value 0..4
// in 8 bins of width 0.5), not by their centres; the report says how its figures are defined.
TEST(ProfileReportTest, IntegerHistogramsNameTheirValues) {
  Profile p;
  p.rows = 10;
  p.column_profiles.push_back(Numeric("k", DataType::kInt64, 0, 4, 2, {3, 0, 2, 0, 1, 0, 2, 2}));
  p.columns = 1;
  const std::string html = RenderProfileReport(p, {});
  for (const char* bar : {"<title>0: 3</title>", "<title>1: 2</title>", "<title>2: 1</title>",
                          "<title>3: 2</title>", "<title>4: 2</title>", "<title>: 0</title>"}) {
    EXPECT_TRUE(Has(html, bar)) << bar;
  }
  EXPECT_FALSE(Has(html, "<title>0.25: 3</title>"));
  EXPECT_TRUE(Has(html, "std is the sample standard deviation (ddof=1)"));
  EXPECT_TRUE(Has(html, "kurtosis is excess kurtosis"));
}

// Values far from zero compared with their spread keep the digits that tell them apart (all
// read 1e+09 with 4 significant digits), in the figures and the histogram's labels.
TEST(ProfileReportTest, ValuesFarFromZeroKeepTheirDifferences) {
  ColumnProfile c =
      Numeric("t", DataType::kFloat64, 1e9 + 0.001, 1e9 + 0.002, 1e9 + 0.0015, {1, 2, 3, 2, 1});
  EXPECT_EQ(ValueDigits(c), 16);  // (1e9 + 0.002) / 0.001 = 1e12 (and a bit): 3 + 13
  c.max = 1e9 + 1000;
  EXPECT_EQ(ValueDigits(c), 10);  // 1e9 / 1000 = 1e6 (and a bit): 3 + 7
  c.max = 1e9 + 0.002;
  EXPECT_EQ(ValueDigits(Numeric("n", DataType::kFloat64, -3, 5, 1, {1})), 4);
  Profile p;
  p.rows = 9;
  p.column_profiles.push_back(c);
  p.columns = 1;
  const std::string html = RenderProfileReport(p, {});
  EXPECT_TRUE(Has(html, "1.0000000000015e+09")) << "the mean";
  EXPECT_FALSE(Has(html, "<title>1e+09: 1</title>"));
}

// The heat maps' labels: the target in the last place, column 29 left out.
TEST(ProfileReportTest, HeatMapsKeepTheTarget) {
  Profile p;
  p.rows = 10;
  for (int i = 0; i < 40; ++i) {
    p.column_profiles.push_back(
        Numeric("c" + std::to_string(i), DataType::kFloat64, 0, 1, 0.5, {1, 2, 3, 4}));
    p.correlations.numeric.push_back(p.column_profiles.back().name);
  }
  p.correlations.pearson.assign(40, std::vector<double>(40, 0.5));
  p.columns = 40;
  auto labels = [](const std::string& html, const std::string& name) {
    return Count(html, "<title>" + name + ", ");  // a cell's tooltip: "row, column: value"
  };
  const std::string before = RenderProfileReport(p, {});
  EXPECT_GT(labels(before, "c29"), 0u);
  EXPECT_EQ(labels(before, "c35"), 0u);
  p.target = TargetProfile{};
  p.target->column = "c35";
  p.target->task = "regression";
  const std::string html = RenderProfileReport(p, {});
  EXPECT_EQ(labels(html, "c29"), 0u);
  EXPECT_EQ(labels(html, "c35"), labels(before, "c29"));
}

TEST(SvgHeatmapTest, DivergingScaleAndSequentialUnchanged) {
  report::Heatmap h;
  h.values = {{1, -1}, {-1, 1}};
  h.diverging = true;
  h.decimals = 2;
  std::string svg = report::RenderSvg(h);
  EXPECT_TRUE(Has(svg, "fill=\"#2166ac\""));  // -1: blue
  EXPECT_TRUE(Has(svg, "fill=\"#b2182b\""));  // +1: red
  EXPECT_TRUE(Has(svg, ">-1.00<"));
  // A missing correlation is a grey, empty cell.
  h.values = {{1, std::nan("")}, {std::nan(""), 1}};
  svg = report::RenderSvg(h);
  EXPECT_TRUE(Has(svg, "fill=\"#e4e4e4\""));
  EXPECT_FALSE(Has(svg, ">NaN<"));
  EXPECT_FALSE(Has(svg, "NaN"));  // its tooltip says "–", as undefined figures show
  EXPECT_TRUE(Has(svg, ": \xE2\x80\x93</title>"));

  report::Heatmap seq;
  seq.values = {{5, 0}, {0, 10}};
  svg = report::RenderSvg(seq);
  EXPECT_TRUE(Has(svg, "fill=\"#ffffff\""));  // 0: white
  EXPECT_TRUE(Has(svg, "fill=\"#08306b\""));  // the largest: dark blue
  EXPECT_TRUE(Has(svg, ">actual<"));
  EXPECT_TRUE(Has(svg, ">predicted<"));
}

}  // namespace
}  // namespace mloop
