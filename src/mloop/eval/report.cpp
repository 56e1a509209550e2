#include "mloop/eval/report.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "mloop/core/error.h"
#include "mloop/eval/curves.h"
#include "mloop/eval/metrics.h"
#include "mloop/report/html.h"
#include "mloop/report/svg.h"

namespace mloop {

namespace {

using report::Card;
using report::FormatGrouped;
using report::FormatNumber;
using report::HtmlPage;
using report::LineChart;
using report::Series;
using report::Table;

constexpr size_t kMaxCurvePoints = 400;
constexpr const char* kGrey = "#999";

std::string MetricTitle(const std::string& name) {
  static const std::map<std::string, std::string> kTitles = {
      {"roc_auc", "ROC AUC"},
      {"average_precision", "Average precision"},
      {"log_loss", "Log loss"},
      {"brier", "Brier score"},
      {"accuracy", "Accuracy"},
      {"balanced_accuracy", "Balanced accuracy"},
      {"precision", "Precision"},
      {"recall", "Recall"},
      {"f1", "F1"},
      {"f1_macro", "F1 (macro)"},
      {"f1_weighted", "F1 (weighted)"},
      {"roc_auc_ovr_macro", "ROC AUC (OvR macro)"},
      {"roc_auc_ovr_weighted", "ROC AUC (OvR weighted)"},
      {"rmse", "RMSE"},
      {"mse", "MSE"},
      {"mae", "MAE"},
      {"r2", "R\xC2\xB2"},
      {"mape", "MAPE"},
      {"explained_variance", "Explained variance"},
      {"silhouette", "Silhouette"},
  };
  auto it = kTitles.find(name);
  return it == kTitles.end() ? name : it->second;
}

std::string ClassName(const EvalReport& r, size_t k) {
  return k < r.class_labels.size() ? r.class_labels[k] : std::to_string(k);
}

double W(std::span<const double> w, size_t i) {
  return w.empty() ? 1.0 : w[i];
}

std::vector<int32_t> ClassLabels(std::span<const double> y) {
  std::vector<int32_t> out(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    double v = y[i];
    if (!(v >= 0 && v <= 2147483647.0 && v == std::floor(v))) {
      throw InvalidArgument("evaluation report: y_true[" + std::to_string(i) +
                            "] = " + FormatNumber(v) + " is not a class index");
    }
    out[i] = static_cast<int32_t>(v);
  }
  return out;
}

std::string Percent(double share) {
  return FormatNumber(100.0 * share, 3) + "%";
}

// Runs `f`, or adds a note naming `what` and the reason when the data does not allow it.
template <class F>
bool Try(HtmlPage& page, const std::string& what, const F& f) {
  try {
    f();
    return true;
  } catch (const Error& e) {
    page.AddNote(what + " not shown: " + e.what());
    return false;
  }
}

// ---- Binary ---------------------------------------------------------------------------------

struct Counts {
  double tp = 0, fp = 0, tn = 0, fn = 0;
};

// Counts predicting 1 when score > t (strict) or score >= t.
Counts CountAt(const std::vector<int32_t>& y, std::span<const double> s, std::span<const double> w,
               double t, bool strict) {
  Counts c;
  for (size_t i = 0; i < y.size(); ++i) {
    bool pred = strict ? s[i] > t : s[i] >= t;
    double wi = W(w, i);
    if (y[i] == 1) {
      (pred ? c.tp : c.fn) += wi;
    } else {
      (pred ? c.fp : c.tn) += wi;
    }
  }
  return c;
}

std::string ConfusionSvg(const EvalReport& r, const std::string& title, const Counts& c) {
  report::Heatmap h;
  h.title = title;
  h.row_labels = {ClassName(r, 0), ClassName(r, 1)};
  h.col_labels = h.row_labels;
  h.values = {{c.tn, c.fp}, {c.fn, c.tp}};
  h.width = 480;
  return RenderSvg(h);
}

Series Curve(std::string name, std::vector<double> x, std::vector<double> y,
             std::string color = "") {
  Series s;
  s.name = std::move(name);
  s.x = std::move(x);
  s.y = std::move(y);
  s.color = std::move(color);
  return s;
}

Series Reference(std::string name, std::vector<double> x, std::vector<double> y) {
  Series s;
  s.name = std::move(name);
  s.x = std::move(x);
  s.y = std::move(y);
  s.color = kGrey;
  s.dashed = true;
  return s;
}

LineChart UnitChart(std::string title, std::string x_label, std::string y_label) {
  LineChart ch;
  ch.title = std::move(title);
  ch.x_label = std::move(x_label);
  ch.y_label = std::move(y_label);
  ch.x_range = {0.0, 1.0};
  ch.y_range = {0.0, 1.0};
  ch.max_points = kMaxCurvePoints;
  return ch;
}

void BinarySections(const EvalReport& r, std::span<const double> s, HtmlPage& page) {
  std::vector<int32_t> y = ClassLabels(r.y_true);
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] > 1) {
      throw InvalidArgument("evaluation report: binary labels must be 0 or 1, y_true[" +
                            std::to_string(i) + "] = " + std::to_string(y[i]));
    }
  }
  std::span<const double> w = r.weights;
  if (r.predicted_classes) {
    page.BeginSection("Predicted classes", "confusion");
    page.AddChart(
        ConfusionSvg(r, "Confusion matrix (predicted classes)", CountAt(y, s, w, 0.5, true)));
    page.AddNote(
        "The predictions are classes, not scores: ROC and precision-recall curves, calibration "
        "and thresholds need the score or probability of each row.");
    return;
  }

  page.BeginSection("Ranking quality", "ranking");
  std::vector<std::string> charts;
  Try(page, "ROC curve", [&] {
    RocCurve roc = ComputeRocCurve(y, s, w);
    double auc = RocAuc(y, s, w);
    LineChart ch = UnitChart("ROC curve", "false positive rate", "true positive rate");
    ch.series.push_back(Curve("model (AUC = " + FormatNumber(auc, 4) + ")", roc.fpr, roc.tpr));
    ch.series.push_back(Reference("chance (AUC = 0.5)", {0, 1}, {0, 1}));
    charts.push_back(RenderSvg(ch));
  });
  Try(page, "Precision-recall curve", [&] {
    PrecisionRecallCurve pr = ComputePrecisionRecallCurve(y, s, w);
    double ap = AveragePrecision(y, s, w);
    double pos = 0, total = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      pos += y[i] * W(w, i);
      total += W(w, i);
    }
    double rate = total > 0 ? pos / total : 0.0;
    LineChart ch = UnitChart("Precision-recall curve", "recall", "precision");
    ch.series.push_back(Curve("model (AP = " + FormatNumber(ap, 4) + ")", pr.recall, pr.precision));
    ch.series.push_back(
        Reference("no skill (" + FormatNumber(rate, 3) + ")", {0, 1}, {rate, rate}));
    charts.push_back(RenderSvg(ch));
  });
  Try(page, "Cumulative gain", [&] {
    GainCurve g = ComputeGainCurve(y, s, 100, w);
    std::vector<double> fx{0.0}, gy{0.0};
    fx.insert(fx.end(), g.fraction.begin(), g.fraction.end());
    gy.insert(gy.end(), g.gain.begin(), g.gain.end());
    double pos = 0, total = 0;
    for (size_t i = 0; i < y.size(); ++i) {
      pos += y[i] * W(w, i);
      total += W(w, i);
    }
    LineChart ch = UnitChart("Cumulative gain", "share of population (highest scores first)",
                             "share of positives captured");
    ch.series.push_back(Curve("model", fx, gy));
    Series perfect = Curve("perfect", {0.0, pos / total, 1.0}, {0.0, 1.0, 1.0}, "#59a14f");
    perfect.dashed = true;
    ch.series.push_back(perfect);
    ch.series.push_back(Reference("random", {0, 1}, {0, 1}));
    charts.push_back(RenderSvg(ch));

    LineChart lift;
    lift.title = "Lift";
    lift.x_label = "share of population (highest scores first)";
    lift.y_label = "lift (precision / base rate)";
    lift.x_range = {0.0, 1.0};
    lift.y_range.min = 0.0;
    lift.series.push_back(Curve("model", g.fraction, g.lift));
    lift.series.push_back(Reference("random (1)", {0, 1}, {1, 1}));
    charts.push_back(RenderSvg(lift));
  });
  page.AddCharts(charts);

  page.BeginSection("Calibration", "calibration");
  bool probabilities = std::all_of(s.begin(), s.end(), [](double v) { return v >= 0 && v <= 1; });
  if (!probabilities) {
    page.AddNote("Calibration not shown: the scores are not probabilities (outside [0, 1]).");
  } else {
    Try(page, "Calibration curve", [&] {
      CalibrationCurve cc = ComputeCalibrationCurve(y, s, 10);
      LineChart ch =
          UnitChart("Calibration (10 bins)", "mean predicted probability", "fraction of positives");
      Series model = Curve("model", cc.prob_pred, cc.prob_true);
      model.markers = true;
      ch.series.push_back(model);
      ch.series.push_back(Reference("perfectly calibrated", {0, 1}, {0, 1}));
      // The score distribution next to it: share of rows per bin.
      std::vector<std::pair<std::string, double>> bins(10);
      for (int b = 0; b < 10; ++b) {
        bins[b].first = FormatNumber(b / 10.0, 2) + "-" + FormatNumber((b + 1) / 10.0, 2);
      }
      for (double v : s) bins[std::min(9, static_cast<int>(v * 10))].second += 1;
      report::BarChart hist;
      hist.title = "Score distribution";
      hist.vertical = true;
      hist.bars = bins;
      hist.value_label = "rows";
      hist.category_label = "predicted probability of " + ClassName(r, 1);
      page.AddCharts({RenderSvg(ch), RenderSvg(hist)});
      if (!r.weights.empty()) {
        page.AddNote(
            "Calibration bins and the score histogram are unweighted, as in scikit-learn's "
            "calibration_curve.");
      }
    });
  }

  page.BeginSection("Decision thresholds", "thresholds");
  std::vector<std::string> matrices;
  matrices.push_back(
      ConfusionSvg(r, "The default rule: class 1 when score > 0.5", CountAt(y, s, w, 0.5, true)));
  if (r.business) {
    // The operating threshold the business value was computed at, and the profit-maximising one
    // when it earns more.
    const OperatingPoint& at = r.business->at_threshold;
    const OperatingPoint& b = r.business->best;
    auto add = [&](const std::string& what, const OperatingPoint& p) {
      matrices.push_back(
          ConfusionSvg(r, what + " " + FormatNumber(p.threshold, 3) + " (score \xE2\x89\xA5 t)",
                       Counts{p.counts.tp, p.counts.fp, p.counts.tn, p.counts.fn}));
    };
    add("At the operating threshold", at);
    if (BestBeatsOperatingPoint(*r.business)) add("At the profit-maximising threshold", b);
  }
  page.AddCharts(matrices);
  Table t;
  t.header = {"best for", "threshold", "value", "precision", "recall", "share flagged"};
  t.numeric_columns = {1, 2, 3, 4, 5};
  auto add_row = [&](const std::string& name, double threshold, const std::string& value) {
    Counts c = CountAt(y, s, w, threshold, false);
    double flagged = c.tp + c.fp;
    double total = c.tp + c.fp + c.tn + c.fn;
    t.rows.push_back({name, FormatNumber(threshold, 4), value,
                      flagged > 0 ? FormatNumber(c.tp / flagged, 4) : "-",
                      c.tp + c.fn > 0 ? FormatNumber(c.tp / (c.tp + c.fn), 4) : "-",
                      total > 0 ? Percent(flagged / total) : "-"});
  };
  Try(page, "Best thresholds", [&] {
    ThresholdChoice f1 = BestThreshold(ThresholdMetric::kF1, y, s, w);
    ThresholdChoice yj = BestThreshold(ThresholdMetric::kYouden, y, s, w);
    add_row("F1", f1.threshold, FormatNumber(f1.value, 4));
    add_row("Youden's J (TPR - FPR)", yj.threshold, FormatNumber(yj.value, 4));
  });
  if (r.business && r.business_spec) {
    const OperatingPoint& b = r.business->best;
    add_row("profit", b.threshold, FormatMoney(b.profit.per_unit, *r.business_spec) + " per unit");
  }
  if (!t.rows.empty()) {
    page.AddTable(t);
    page.AddNote("Rows are flagged (predicted 1) when score \xE2\x89\xA5 threshold.");
  }
}

// ---- Multiclass -----------------------------------------------------------------------------

void MulticlassSections(const EvalReport& r, HtmlPage& page) {
  const DenseMatrix& p = *r.proba;
  std::vector<int32_t> y = ClassLabels(r.y_true);
  const int k = static_cast<int>(p.cols);
  for (size_t i = 0; i < y.size(); ++i) {
    if (y[i] >= k) {
      throw InvalidArgument("evaluation report: y_true[" + std::to_string(i) +
                            "] = " + std::to_string(y[i]) + " but the probabilities have " +
                            std::to_string(k) + " columns");
    }
  }
  std::vector<int32_t> pred(y.size());
  for (size_t i = 0; i < y.size(); ++i) {
    const double* row = p.row(static_cast<int64_t>(i));
    pred[i] = static_cast<int32_t>(std::max_element(row, row + k) - row);
  }
  DenseMatrix cm = ConfusionMatrix(y, pred, k, r.weights);

  page.BeginSection("Confusion matrix", "confusion");
  report::Heatmap h;
  h.title = r.predicted_classes ? "Confusion matrix (predicted class)"
                                : "Confusion matrix (most probable class)";
  for (int c = 0; c < k; ++c) h.row_labels.push_back(ClassName(r, c));
  h.col_labels = h.row_labels;
  h.values.assign(k, std::vector<double>(k));
  for (int i = 0; i < k; ++i) {
    for (int j = 0; j < k; ++j) h.values[i][j] = cm.at(i, j);
  }
  h.width = std::max(560, std::min(1100, 160 + 70 * k));
  page.AddChart(RenderSvg(h));

  page.BeginSection("Per-class metrics", "per-class");
  Table t;
  t.header = {"class", "precision", "recall", "F1", "support"};
  t.numeric_columns = {1, 2, 3, 4};
  for (int c = 0; c < k; ++c) {
    double tp = cm.at(c, c), row = 0, col = 0;
    for (int j = 0; j < k; ++j) {
      row += cm.at(c, j);
      col += cm.at(j, c);
    }
    double prec = col > 0 ? tp / col : 0.0;
    double rec = row > 0 ? tp / row : 0.0;
    double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0.0;
    t.rows.push_back({ClassName(r, c), FormatNumber(prec, 4), FormatNumber(rec, 4),
                      FormatNumber(f1, 4), FormatNumber(row, 6)});
  }
  page.AddTable(t);

  if (r.predicted_classes) {
    page.AddNote(
        "The predictions are classes, not probabilities: one-vs-rest ROC curves need "
        "the probability of each class.");
  } else if (k <= 10) {
    LineChart ch = UnitChart("One-vs-rest ROC curves", "false positive rate", "true positive rate");
    std::vector<int32_t> yc(y.size());
    std::vector<double> sc(y.size());
    for (int c = 0; c < k; ++c) {
      for (size_t i = 0; i < y.size(); ++i) {
        yc[i] = y[i] == c ? 1 : 0;
        sc[i] = p.at(static_cast<int64_t>(i), c);
      }
      try {
        RocCurve roc = ComputeRocCurve(yc, sc, r.weights);
        double auc = RocAuc(yc, sc, r.weights);
        ch.series.push_back(Curve(ClassName(r, c) + " (AUC " + FormatNumber(auc, 3) + ")", roc.fpr,
                                  roc.tpr, report::PaletteColor(c)));
      } catch (const Error&) {
        // A class absent from y_true has no curve.
      }
    }
    ch.series.push_back(Reference("chance", {0, 1}, {0, 1}));
    page.AddChart(RenderSvg(ch));
  }
}

// ---- Regression -----------------------------------------------------------------------------

void RegressionSections(const EvalReport& r, HtmlPage& page) {
  std::span<const double> y = r.y_true;
  std::span<const double> pred = r.scores;
  std::vector<double> resid(y.size());
  for (size_t i = 0; i < y.size(); ++i) resid[i] = y[i] - pred[i];

  page.BeginSection("Predictions", "predictions");
  report::ScatterChart pa;
  pa.title = "Predicted vs actual";
  pa.x_label = "actual";
  pa.y_label = "predicted";
  pa.x.assign(y.begin(), y.end());
  pa.y.assign(pred.begin(), pred.end());
  pa.diagonal = true;
  report::ScatterChart rs;
  rs.title = "Residuals vs predicted";
  rs.x_label = "predicted";
  rs.y_label = "residual (actual - predicted)";
  rs.x.assign(pred.begin(), pred.end());
  rs.y = resid;
  rs.hline = 0.0;

  // Residual histogram over the central 99% (the tails go to the edge bins).
  std::vector<double> sorted;
  sorted.reserve(resid.size());
  for (double v : resid) {
    if (std::isfinite(v)) sorted.push_back(v);
  }
  if (sorted.empty()) {
    page.AddCharts({RenderSvg(pa), RenderSvg(rs)});
    return;
  }
  std::sort(sorted.begin(), sorted.end());
  auto q = [&](double f) { return sorted[static_cast<size_t>(f * (sorted.size() - 1))]; };
  double lo = q(0.005), hi = q(0.995);
  const int bins = lo < hi ? 30 : 1;
  double width = lo < hi ? (hi - lo) / bins : 1.0;
  std::vector<std::pair<std::string, double>> bars(bins);
  double max_abs = std::max(std::fabs(lo), std::fabs(hi));
  for (int b = 0; b < bins; ++b) {
    bars[b].first = report::FormatTick(lo + width * (b + 0.5), width, max_abs);
  }
  for (size_t i = 0; i < resid.size(); ++i) {
    if (!std::isfinite(resid[i])) continue;
    int b = static_cast<int>(std::floor((resid[i] - lo) / width));
    bars[std::clamp(b, 0, bins - 1)].second += W(r.weights, i);
  }
  report::BarChart hist;
  hist.title = "Residual histogram";
  hist.vertical = true;
  hist.bars = bars;
  hist.category_label = "residual (bin centre)";
  hist.value_label = r.weights.empty() ? "rows" : "weight";
  page.AddCharts({RenderSvg(pa), RenderSvg(rs), RenderSvg(hist)});
  page.AddNote("The histogram covers the residuals between the 0.5% and 99.5% quantiles (" +
               FormatNumber(lo, 4) + " to " + FormatNumber(hi, 4) +
               "); rows beyond are counted in the edge bins.");
}

// ---- Business -------------------------------------------------------------------------------

void BusinessSection(const EvalReport& r, HtmlPage& page) {
  const BusinessResult& b = *r.business;
  const BusinessSpec& spec = *r.business_spec;
  const std::string per = spec.period.empty() ? "" : "per " + spec.period;
  page.BeginSection("Business value", "business");
  page.AddParagraph(BusinessSummary(b, spec));
  page.AddCards({
      {"Profit at " + FormatNumber(b.at_threshold.threshold, 3),
       FormatMoney(b.at_threshold.profit.total, spec), per},
      {"Worth over " + NoModelName(b.no_model_choice),
       FormatMoney(b.at_threshold.uplift_vs_no_model.total, spec), per},
      {"Best threshold", FormatNumber(b.best.threshold, 3),
       "profit " + FormatMoney(b.best.profit.total, spec) + (per.empty() ? "" : " " + per)},
      {"Worth over random targeting", FormatMoney(b.at_threshold.uplift_vs_random.total, spec),
       "same share acted on (" + Percent(b.at_threshold.share_acted) + ")"},
  });

  // Profit curve: total profit against the share of the population acted on.
  LineChart ch;
  ch.title = "Profit by share of population acted on";
  ch.x_label = "share acted on (highest scores first)";
  ch.y_label = "profit" + (spec.currency.empty() ? "" : " (" + spec.currency + ")") +
               (per.empty() ? "" : " " + per);
  ch.x_range = {0.0, 1.0};
  Series model = Curve("model", {}, {});
  for (const ProfitPoint& p : b.curve) {
    model.x.push_back(p.share_acted);
    model.y.push_back(p.profit_per_unit * b.scale);
  }
  ch.series.push_back(model);
  ch.series.push_back(
      Reference("random targeting", {0.0, 1.0}, {b.act_on_nobody.total, b.act_on_everybody.total}));
  ch.vlines.push_back(
      {b.best.share_acted, "best t = " + FormatNumber(b.best.threshold, 3), "#59a14f"});
  if (b.at_threshold.share_acted != b.best.share_acted) {
    ch.vlines.push_back({b.at_threshold.share_acted,
                         "t = " + FormatNumber(b.at_threshold.threshold, 3), "#e15759"});
  }
  ch.width = 760;
  page.AddChart(RenderSvg(ch),
                "Each point acts on the rows scoring at or above a threshold; the dashed line "
                "acts on the same share at random.");

  Table t;
  t.header = {"strategy", "threshold",       "share acted on",      "TP",         "FP", "TN",
              "FN",       "profit per unit", "total profit " + per, "vs no model"};
  t.numeric_columns = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  auto row = [&](const std::string& name, const std::string& thr, double share,
                 const OutcomeCounts* c, const Amount& profit) {
    auto count = [&](double v) { return c ? FormatNumber(v, 6) : std::string("-"); };
    t.rows.push_back({name, thr, Percent(share), count(c ? c->tp : 0), count(c ? c->fp : 0),
                      count(c ? c->tn : 0), count(c ? c->fn : 0),
                      FormatMoney(profit.per_unit, spec), FormatMoney(profit.total, spec),
                      FormatMoney(profit.total - b.no_model.total, spec)});
  };
  const OperatingPoint& at = b.at_threshold;
  row("model at the chosen threshold", FormatNumber(at.threshold, 4), at.share_acted, &at.counts,
      at.profit);
  row("model at the best threshold", FormatNumber(b.best.threshold, 4), b.best.share_acted,
      &b.best.counts, b.best.profit);
  row("random, same share as the model", "-", at.share_acted, nullptr, at.random_profit);
  OutcomeCounts nobody{0, 0, b.negatives, b.positives};
  OutcomeCounts everybody{b.positives, b.negatives, 0, 0};
  row("act on nobody", "-", 0.0, &nobody, b.act_on_nobody);
  row("act on everybody", "-", 1.0, &everybody, b.act_on_everybody);
  page.AddTable(t);

  // Ratios to a baseline barely above zero are technically defined but mean little.
  auto ratio = [](double v) {
    if (std::isnan(v)) return std::string("-");
    return std::fabs(v) > 100 ? std::string(v > 0 ? "> 100x" : "< -100x")
                              : FormatNumber(v, 3) + "x";
  };
  Table roi;
  roi.header = {"return on investment", "at threshold " + FormatNumber(at.threshold, 3),
                "at best " + FormatNumber(b.best.threshold, 3)};
  roi.numeric_columns = {1, 2};
  roi.rows.push_back({"profit over " + NoModelName(b.no_model_choice),
                      FormatMoney(at.uplift_vs_no_model.total, spec),
                      FormatMoney(b.best.uplift_vs_no_model.total, spec)});
  roi.rows.push_back({"profit over random targeting", FormatMoney(at.uplift_vs_random.total, spec),
                      FormatMoney(b.best.uplift_vs_random.total, spec)});
  roi.rows.push_back({"profit ratio to " + NoModelName(b.no_model_choice),
                      ratio(at.ratio_vs_no_model), ratio(b.best.ratio_vs_no_model)});
  roi.rows.push_back({"profit ratio to random targeting", ratio(at.ratio_vs_random),
                      ratio(b.best.ratio_vs_random)});
  if (spec.cost_per_prediction > 0) {
    auto roi_text = [](double v) {
      return std::isnan(v) ? std::string("-") : FormatNumber(v, 3) + "x";
    };
    roi.rows.push_back({"return per unit spent on scoring", roi_text(at.scoring_roi),
                        roi_text(b.best.scoring_roi)});
  }
  page.AddTable(roi);

  page.AddSubheading("Assumptions");
  Table a;
  a.header = {"item", "value"};
  a.numeric_columns = {1};
  a.rows = {
      {"true positive (acted on, event happened)", FormatMoney(spec.true_positive, spec)},
      {"false positive (acted on, no event)", FormatMoney(spec.false_positive, spec)},
      {"true negative (left alone, no event)", FormatMoney(spec.true_negative, spec)},
      {"false negative (left alone, event happened)", FormatMoney(spec.false_negative, spec)},
      {"cost per prediction", FormatMoney(spec.cost_per_prediction, spec)},
      {b.population_given ? "population" + (per.empty() ? "" : " " + per)
       : b.weighted       ? "population (evaluated rows' total weight)"
                          : "population (evaluated rows)",
       b.population_given || !b.weighted ? FormatGrouped(b.scale, 0) : FormatNumber(b.scale, 6)}};
  if (!spec.origin.empty()) a.rows.push_back({"spec file", spec.origin});
  page.AddTable(a);
  page.AddNote(
      "Profits are per scored unit times the population. Ratios are shown only where the "
      "baseline's profit is positive.");
}

// ---- Shared ---------------------------------------------------------------------------------

std::vector<Card> HeadlineCards(const EvalReport& r, size_t n, double positive_share) {
  std::vector<std::string> preferred;
  switch (r.task) {
    case Task::kBinary:
      preferred = {"roc_auc", "average_precision", "log_loss", "accuracy", "f1"};
      break;
    case Task::kMulticlass:
      preferred = {"accuracy", "log_loss", "f1_macro", "balanced_accuracy", "roc_auc_ovr_macro"};
      break;
    case Task::kRegression:
      preferred = {"rmse", "mae", "r2", "mape"};
      break;
    case Task::kClustering:
      preferred = {"silhouette"};
      break;
  }
  std::vector<Card> cards;
  for (const auto& name : preferred) {
    auto it = r.metrics.find(name);
    if (it != r.metrics.end())
      cards.push_back({MetricTitle(name), FormatNumber(it->second, 4), ""});
  }
  for (const auto& [name, value] : r.metrics) {
    if (cards.size() >= 4) break;
    if (std::find(preferred.begin(), preferred.end(), name) != preferred.end()) continue;
    cards.push_back({MetricTitle(name), FormatNumber(value, 4), ""});
  }
  cards.push_back({"Rows", FormatGrouped(static_cast<double>(n), 0), ""});
  if (r.task == Task::kBinary && positive_share >= 0) {
    cards.push_back({"Positive rate", Percent(positive_share), "class " + ClassName(r, 1)});
  }
  if (r.business && r.business_spec) {
    const BusinessSpec& spec = *r.business_spec;
    cards.push_back({"Model worth",
                     FormatMoney(r.business->at_threshold.uplift_vs_no_model.total, spec),
                     (spec.period.empty() ? "" : "per " + spec.period + ", ") +
                         std::string("over ") + NoModelName(r.business->no_model_choice)});
  }
  return cards;
}

}  // namespace

std::string RenderEvalReport(const EvalReport& r) {
  const size_t n = r.y_true.size();
  if (n == 0) throw InvalidArgument("evaluation report: no rows");
  if (!r.weights.empty() && r.weights.size() != n) {
    throw InvalidArgument("evaluation report: " + std::to_string(r.weights.size()) +
                          " weights for " + std::to_string(n) + " rows");
  }
  // The binary score: `scores`, or a column of `proba`.
  std::vector<double> from_proba;
  std::span<const double> scores = r.scores;
  if (r.task == Task::kBinary && scores.empty() && r.proba != nullptr) {
    int64_t col = r.proba->cols >= 2 ? 1 : 0;
    from_proba.resize(static_cast<size_t>(r.proba->rows));
    for (int64_t i = 0; i < r.proba->rows; ++i) from_proba[i] = r.proba->at(i, col);
    scores = from_proba;
  }
  bool needs_scores = r.task == Task::kBinary || r.task == Task::kRegression;
  if (needs_scores && scores.size() != n) {
    throw InvalidArgument("evaluation report: " + std::to_string(scores.size()) + " scores for " +
                          std::to_string(n) + " rows");
  }
  if (r.task == Task::kMulticlass &&
      (r.proba == nullptr || r.proba->rows != static_cast<int64_t>(n) || r.proba->cols < 2)) {
    throw InvalidArgument("evaluation report: multiclass needs an n x k probability matrix for " +
                          std::to_string(n) + " rows");
  }
  if (r.business.has_value() != r.business_spec.has_value()) {
    throw InvalidArgument("evaluation report: a business result needs its spec, and vice versa");
  }

  HtmlPage page(r.title);
  bool has_task = false, has_rows = false;
  for (const auto& [k, v] : r.model_facts) {
    page.AddFact(k, v);
    has_task = has_task || k == "task";
    has_rows = has_rows || k == "rows";
  }
  if (!has_task) page.AddFact("task", std::string(TaskName(r.task)));
  if (!has_rows) page.AddFact("rows", FormatGrouped(static_cast<double>(n), 0));

  double positive_share = -1;
  if (r.task == Task::kBinary) {
    double pos = 0, total = 0;
    for (size_t i = 0; i < n; ++i) {
      pos += (r.y_true[i] == 1 ? 1.0 : 0.0) * W(r.weights, i);
      total += W(r.weights, i);
    }
    if (total > 0) positive_share = pos / total;
  }

  page.BeginSection("Summary", "summary");
  page.AddCards(HeadlineCards(r, n, positive_share));
  if (r.business && r.business_spec)
    page.AddParagraph(BusinessSummary(*r.business, *r.business_spec));

  page.BeginSection("Metrics", "metrics");
  if (r.metrics.empty()) {
    page.AddNote("No metrics were computed.");
  } else {
    Table t;
    t.header = {"metric", "name", "value", "better"};
    t.numeric_columns = {2};
    for (const auto& [name, value] : r.metrics) {
      std::string better = "";
      try {
        better = GreaterIsBetter(name) ? "higher" : "lower";
      } catch (const Error&) {
        // A metric ComputeMetric does not know: no direction.
      }
      t.rows.push_back({MetricTitle(name), name, FormatNumber(value, 6), better});
    }
    page.AddTable(t);
  }

  switch (r.task) {
    case Task::kBinary:
      BinarySections(r, scores, page);
      break;
    case Task::kMulticlass:
      MulticlassSections(r, page);
      break;
    case Task::kRegression:
      RegressionSections(r, page);
      break;
    case Task::kClustering:
      break;
  }

  if (!r.feature_importance.empty()) {
    page.BeginSection("Feature importance", "importance");
    report::BarChart bars;
    bars.title = r.feature_importance.size() > 20 ? "Top 20 features" : "Features";
    bars.value_label = r.importance_kind;
    bars.bars = r.feature_importance;
    bars.max_bars = 20;
    bars.width = 760;
    page.AddChart(RenderSvg(bars));
  }

  if (r.business && r.business_spec && r.task == Task::kBinary) BusinessSection(r, page);
  return page.Render();
}

}  // namespace mloop
