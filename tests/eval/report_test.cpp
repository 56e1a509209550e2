#include "mloop/eval/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/eval/metrics.h"
#include "mloop/report/html.h"
#include "mloop/report/svg.h"

namespace mloop {
namespace {

// Whether `html` contains `needle`, without printing the whole page on failure.
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

// Balanced tags, one document, nothing fetched from elsewhere, no scripts.
void ExpectWellFormed(const std::string& html) {
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_TRUE(Has(html, "</html>"));
  EXPECT_EQ(Count(html, "<svg"), Count(html, "</svg>"));
  EXPECT_EQ(Count(html, "<section"), Count(html, "</section>"));
  EXPECT_EQ(Count(html, "<table"), Count(html, "</table>"));
  EXPECT_EQ(Count(html, "<text"), Count(html, "</text>"));
  EXPECT_EQ(Count(html, "<style>"), 1u);
  EXPECT_FALSE(Has(html, "<script"));
  EXPECT_FALSE(Has(html, "src="));
  EXPECT_FALSE(Has(html, "href=\"http"));
  EXPECT_FALSE(Has(html, "@import"));
  EXPECT_FALSE(Has(html, "nan"));
}

struct BinaryData {
  std::vector<double> y;
  std::vector<double> score;
  std::vector<int32_t> labels;
};

BinaryData MakeBinary(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> noise(0, 1);
  std::uniform_real_distribution<double> u(0, 1);
  BinaryData d;
  for (size_t i = 0; i < n; ++i) {
    int32_t label = u(rng) < 0.37 ? 1 : 0;
    double logit = (label ? 1.6 : -1.6) + 1.3 * noise(rng);
    d.labels.push_back(label);
    d.y.push_back(label);
    d.score.push_back(1.0 / (1.0 + std::exp(-logit)));
  }
  return d;
}

EvalReport BinaryReport(const BinaryData& d, std::optional<BusinessSpec> spec) {
  EvalReport r;
  r.title = "churn <model> & co";
  r.model_facts = {{"algorithm", "xgboost"}, {"dataset", "churn@3"}};
  r.task = Task::kBinary;
  r.y_true = d.y;
  r.scores = d.score;
  r.class_labels = {"stays", "<script>alert(1)</script>"};
  EvalInputs in;
  in.y_true = d.y;
  in.y_score = d.score;
  for (const char* m : {"roc_auc", "average_precision", "log_loss", "accuracy", "f1"}) {
    r.metrics[m] = ComputeMetric(m, in);
  }
  for (int f = 0; f < 30; ++f) {
    r.feature_importance.push_back({"feature_" + std::to_string(f), 1.0 / (1 + f)});
  }
  r.feature_importance.push_back({"<b>bold</b>", 5.0});
  if (spec) {
    r.business = EvaluateBusiness(d.labels, d.score, {}, *spec, 0.5);
    r.business_spec = spec;
  }
  return r;
}

BusinessSpec ChurnSpec() {
  BusinessSpec s;
  s.currency = "$";
  s.period = "month";
  s.population = 20000;
  s.cost_per_prediction = 0.01;
  s.true_positive = 150;
  s.false_positive = -20;
  s.true_negative = 0;
  s.false_negative = -200;
  return s;
}

TEST(EvalReportTest, BinaryHasEverySectionAndEscapesNames) {
  BinaryData d = MakeBinary(2000, 1);
  std::string html = RenderEvalReport(BinaryReport(d, ChurnSpec()));
  ExpectWellFormed(html);
  for (const char* id :
       {"summary", "metrics", "ranking", "calibration", "thresholds", "importance", "business"}) {
    EXPECT_TRUE(Has(html, std::string("<section id=\"") + id + "\""));
  }
  for (const char* title :
       {"ROC curve", "Precision-recall curve", "Calibration (10 bins)", "Cumulative gain", "Lift",
        "The default rule: class 1 when score &gt; 0.5", "At the operating threshold 0.5", "Youden",
        "Top 20 features", "Profit by share of population acted on", "per month"}) {
    EXPECT_TRUE(Has(html, title));
  }
  EXPECT_TRUE(Has(html, "model (AUC = "));
  // The profit-maximising threshold differs from the operating one here: both are drawn.
  EXPECT_TRUE(Has(html, "At the profit-maximising threshold"));
  EXPECT_TRUE(Has(html, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  EXPECT_TRUE(Has(html, "&lt;b&gt;bold&lt;/b&gt;"));
  EXPECT_TRUE(Has(html, "churn &lt;model&gt; &amp; co"));
  EXPECT_FALSE(Has(html, "<b>bold"));
  EXPECT_FALSE(Has(html, "feature_25"));  // only the top 20
}

TEST(EvalReportTest, BinaryWithoutBusinessOrProbabilities) {
  BinaryData d = MakeBinary(500, 2);
  for (double& s : d.score) s = 4 * s - 2;  // margins, not probabilities
  EvalReport r = BinaryReport(d, std::nullopt);
  r.feature_importance.clear();
  std::string html = RenderEvalReport(r);
  ExpectWellFormed(html);
  EXPECT_TRUE(Has(html, "the scores are not probabilities"));
  EXPECT_FALSE(Has(html, "id=\"business\""));
  EXPECT_FALSE(Has(html, "id=\"importance\""));
  EXPECT_TRUE(Has(html, "ROC curve"));
}

TEST(EvalReportTest, BinarySingleClassExplainsMissingCharts) {
  std::vector<double> y(50, 0.0), s(50);
  for (size_t i = 0; i < s.size(); ++i) s[i] = i / 50.0;
  EvalReport r;
  r.task = Task::kBinary;
  r.y_true = y;
  r.scores = s;
  std::string html = RenderEvalReport(r);
  ExpectWellFormed(html);
  EXPECT_TRUE(Has(html, "not shown"));
}

TEST(EvalReportTest, Multiclass) {
  std::mt19937 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  size_t n = 900, k = 3;
  std::vector<double> y(n);
  DenseMatrix proba(n, k);
  for (size_t i = 0; i < n; ++i) {
    y[i] = static_cast<double>(i % k);
    double sum = 0;
    for (size_t c = 0; c < k; ++c) {
      proba.at(i, c) = u(rng) + (c == i % k ? 0.8 : 0.0);
      sum += proba.at(i, c);
    }
    for (size_t c = 0; c < k; ++c) proba.at(i, c) /= sum;
  }
  EvalReport r;
  r.task = Task::kMulticlass;
  r.y_true = y;
  r.proba = &proba;
  r.class_labels = {"setosa", "versicolor", "<i>virginica</i>"};
  r.metrics = {{"accuracy", 0.8}, {"log_loss", 0.5}, {"f1_macro", 0.79}};
  std::string html = RenderEvalReport(r);
  ExpectWellFormed(html);
  EXPECT_TRUE(Has(html, "id=\"confusion\""));
  EXPECT_TRUE(Has(html, "id=\"per-class\""));
  EXPECT_TRUE(Has(html, "One-vs-rest ROC curves"));
  EXPECT_TRUE(Has(html, "&lt;i&gt;virginica&lt;/i&gt;"));
  EXPECT_FALSE(Has(html, "<i>"));
  EXPECT_FALSE(Has(html, "id=\"ranking\""));
}

TEST(EvalReportTest, Regression) {
  std::mt19937 rng(9);
  std::normal_distribution<double> noise(0, 1);
  size_t n = 3000;
  std::vector<double> y(n), pred(n), w(n, 2.0);
  for (size_t i = 0; i < n; ++i) {
    y[i] = 100 + 30 * noise(rng);
    pred[i] = y[i] + 8 * noise(rng);
  }
  EvalReport r;
  r.task = Task::kRegression;
  r.y_true = y;
  r.scores = pred;
  r.weights = w;
  r.metrics = {{"rmse", 8.0}, {"mae", 6.4}, {"r2", 0.93}};
  std::string html = RenderEvalReport(r);
  ExpectWellFormed(html);
  EXPECT_TRUE(Has(html, "Predicted vs actual"));
  EXPECT_TRUE(Has(html, "Residuals vs predicted"));
  EXPECT_TRUE(Has(html, "Residual histogram"));
  EXPECT_FALSE(Has(html, "id=\"ranking\""));
}

TEST(EvalReportTest, StaysSmallForManyRows) {
  BinaryData d = MakeBinary(200000, 11);
  std::string html = RenderEvalReport(BinaryReport(d, ChurnSpec()));
  ExpectWellFormed(html);
  EXPECT_LT(html.size(), 400u * 1024) << html.size();

  std::vector<double> pred(d.y.size());
  for (size_t i = 0; i < pred.size(); ++i) pred[i] = d.score[i] * 10 + d.y[i];
  EvalReport r;
  r.task = Task::kRegression;
  r.y_true = d.score;
  r.scores = pred;
  html = RenderEvalReport(r);
  ExpectWellFormed(html);
  EXPECT_LT(html.size(), 400u * 1024) << html.size();
}

TEST(EvalReportTest, RejectsInconsistentInputs) {
  std::vector<double> y = {0, 1, 1}, s = {0.2, 0.7};
  EvalReport r;
  r.y_true = y;
  r.scores = s;
  EXPECT_THROW(RenderEvalReport(r), Error);
  std::vector<double> y2 = {0, 2}, s2 = {0.2, 0.7};
  r.y_true = y2;
  r.scores = s2;
  EXPECT_THROW(RenderEvalReport(r), Error);
  r.y_true = {};
  EXPECT_THROW(RenderEvalReport(r), Error);
  r.task = Task::kMulticlass;
  r.y_true = y2;
  EXPECT_THROW(RenderEvalReport(r), Error);  // no probabilities
}

// ---- The report module itself ------------------------------------------------------------------

TEST(ReportModuleTest, EscapingAndNumbers) {
  EXPECT_EQ(report::EscapeXml("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
  EXPECT_EQ(report::FormatNumber(0.98712345), "0.9871");
  EXPECT_EQ(report::FormatNumber(12.5), "12.5");
  EXPECT_EQ(report::FormatNumber(0), "0");
  EXPECT_EQ(report::FormatNumber(std::nan("")), "NaN");
  EXPECT_EQ(report::FormatNumber(12345678), "1.235e+07");
  EXPECT_EQ(report::FormatGrouped(41200), "41,200");
  EXPECT_EQ(report::FormatGrouped(-1234.5, 2), "-1,234.50");
  EXPECT_EQ(report::FormatGrouped(999), "999");
}

TEST(ReportModuleTest, ChartsEscapeTextAndThinLargeInputs) {
  report::LineChart line;
  line.title = "<t>";
  report::Series s;
  s.name = "a&b";
  for (int i = 0; i < 100000; ++i) {
    s.x.push_back(i);
    s.y.push_back(std::sin(i / 1000.0));
  }
  line.series.push_back(s);
  line.diagonal = true;
  line.vlines.push_back({500, "t = <5>"});
  std::string svg = report::RenderSvg(line);
  EXPECT_TRUE(Has(svg, "&lt;t&gt;"));
  EXPECT_TRUE(Has(svg, "a&amp;b"));
  EXPECT_TRUE(Has(svg, "t = &lt;5&gt;"));
  EXPECT_LT(svg.size(), 20000u);
  EXPECT_EQ(Count(svg, "<svg"), Count(svg, "</svg>"));

  report::Heatmap h;
  h.row_labels = {"<x>", "y"};
  h.col_labels = h.row_labels;
  h.values = {{5, 1}, {2, 7}};
  svg = report::RenderSvg(h);
  EXPECT_TRUE(Has(svg, "&lt;x&gt;"));
  EXPECT_TRUE(Has(svg, ">7<"));
  EXPECT_EQ(Count(svg, "<svg"), Count(svg, "</svg>"));

  report::BarChart bars;
  bars.bars = {{"small", 1}, {"big", -9}, {"mid", 4}};
  svg = report::RenderSvg(bars);
  EXPECT_LT(svg.find(">big<"), svg.find(">mid<"));
  EXPECT_LT(svg.find(">mid<"), svg.find(">small<"));
  // Counts get whole-number ticks: a histogram of 1 and 2 rows has no tick "0.5".
  report::BarChart counts;
  counts.vertical = true;
  counts.bars = {{"a", 1}, {"b", 2}, {"c", 0}};
  svg = report::RenderSvg(counts);
  EXPECT_FALSE(Has(svg, ">0.5<")) << svg;
  EXPECT_TRUE(Has(svg, ">1<")) << svg;
  // From a baseline (0.5 for ROC AUC): the axis starts there, not at 0.
  report::BarChart auc;
  auc.bars = {{"a", 0.52}, {"b", 0.55}};
  auc.baseline = 0.5;
  svg = report::RenderSvg(auc);
  EXPECT_TRUE(Has(svg, ">0.50<")) << svg;
  EXPECT_FALSE(Has(svg, ">0<")) << svg;

  report::HtmlPage page("<title>");
  page.AddFact("k<", "v>");
  page.BeginSection("A & B");
  page.AddCards({{"l<", "v&", "n\""}});
  page.AddParagraph("<p>");
  std::string html = page.Render();
  EXPECT_TRUE(Has(html, "&lt;title&gt;"));
  EXPECT_TRUE(Has(html, "A &amp; B"));
  EXPECT_TRUE(Has(html, "id=\"a-b\""));
  EXPECT_TRUE(Has(html, "&lt;p&gt;"));
  EXPECT_TRUE(Has(html, "n&quot;"));
}

}  // namespace
}  // namespace mloop
