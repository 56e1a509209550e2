#include "mloop/serve/metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>

#include "mloop/core/column.h"

namespace mloop {

namespace {

const std::vector<double> kLatencyBounds = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                            0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                            1,      2.5,     5,      10};
const std::vector<double> kProbabilityBounds = {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};

std::string Num(double v) {
  if (std::isfinite(v) && v != 0 && std::fabs(v) < 1e15 && std::fabs(v) >= 1e-4) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.15g", v);  // 0.0001, 2.5: as Prometheus clients write
    return buf;
  }
  std::string s = FormatDouble(v);
  if (s == "inf") return "+Inf";
  if (s == "-inf") return "-Inf";
  if (s == "nan") return "NaN";
  return s;
}

void Line(const std::string& name, const std::string& labels, const std::string& value,
          std::string* out) {
  *out += name;
  if (!labels.empty()) *out += "{" + labels + "}";
  *out += ' ';
  *out += value;
  *out += '\n';
}

void Help(const std::string& name, const std::string& type, const std::string& help,
          std::string* out) {
  *out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

std::string PromLabel(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {}

void Histogram::Observe(double v) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, const std::string& labels, std::string* out) const {
  uint64_t cumulative = 0;
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    const std::string le = i < bounds_.size() ? Num(bounds_[i]) : "+Inf";
    Line(name + "_bucket", labels + sep + "le=\"" + le + "\"", std::to_string(cumulative), out);
  }
  Line(name + "_sum", labels, Num(sum_.load(std::memory_order_relaxed)), out);
  Line(name + "_count", labels, std::to_string(cumulative), out);
}

void StatusCounts::Add(int status) {
  size_t i = 0;
  while (i < kCountedCodes.size() && kCountedCodes[i] != status) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
}

void StatusCounts::Render(const std::string& name, const std::string& labels,
                          std::string* out) const {
  const std::string sep = labels.empty() ? "" : ",";
  for (size_t i = 0; i < counts_.size(); ++i) {
    const uint64_t n = counts_[i].load(std::memory_order_relaxed);
    if (n == 0) continue;
    const std::string code = i < kCountedCodes.size() ? std::to_string(kCountedCodes[i]) : "other";
    Line(name, labels + sep + "code=\"" + code + "\"", std::to_string(n), out);
  }
}

VariantStats::VariantStats(std::string m, std::string v)
    : model(std::move(m)),
      variant(std::move(v)),
      labels("model=\"" + PromLabel(model) + "\",variant=\"" + PromLabel(variant) + "\""),
      latency(kLatencyBounds),
      probability(kProbabilityBounds) {
  values_.store(&value_histograms_.emplace_back(std::vector<double>{}));
}

void VariantStats::SetModel(const std::string& version, const std::string& hash,
                            const std::vector<std::string>& classes, bool regression,
                            const std::vector<double>& value_bounds) {
  std::lock_guard lock(mu_);
  version_ = version;
  hash_ = hash;
  classes_ = classes;
  regression_ = regression;
  if (values_.load()->bounds() != value_bounds) {
    values_.store(&value_histograms_.emplace_back(value_bounds), std::memory_order_release);
  }
}

VariantStats* ServerMetrics::Add(const std::string& model, const std::string& variant,
                                 bool shadow) {
  std::lock_guard lock(mu_);
  variants_.emplace_back(model, variant);
  shadow_.push_back(shadow);
  return &variants_.back();
}

std::string ServerMetrics::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  auto each = [&](const std::string& name, const std::string& type, const std::string& help,
                  auto&& fn, bool shadows_only = false) {
    Help(name, type, help, &out);
    for (size_t i = 0; i < variants_.size(); ++i) {
      if (shadows_only && !shadow_[i]) continue;
      fn(variants_[i]);
    }
  };
  each("mloop_requests_total", "counter", "Requests answered, by model, variant and HTTP status.",
       [&](const VariantStats& s) { s.requests.Render("mloop_requests_total", s.labels, &out); });
  each("mloop_records_total", "counter", "Records predicted.", [&](const VariantStats& s) {
    Line("mloop_records_total", s.labels, std::to_string(s.records.load()), &out);
  });
  each("mloop_request_duration_seconds", "histogram",
       "Time from a request read to its response built, in seconds.", [&](const VariantStats& s) {
         s.latency.Render("mloop_request_duration_seconds", s.labels, &out);
       });
  each("mloop_predictions_total", "counter",
       "Predicted classes (classification models) or clusters (clustering models).",
       [&](const VariantStats& s) {
         std::lock_guard l(s.mu_);
         for (size_t c = 0; c < s.classes_.size() && c < VariantStats::kMaxClasses; ++c) {
           Line("mloop_predictions_total", s.labels + ",class=\"" + PromLabel(s.classes_[c]) + "\"",
                std::to_string(s.class_counts[c].load()), &out);
         }
       });
  each("mloop_prediction_probability", "histogram",
       "Probability of the positive class (binary classifiers).", [&](const VariantStats& s) {
         std::lock_guard l(s.mu_);
         if (s.classes_.size() == 2) {
           s.probability.Render("mloop_prediction_probability", s.labels, &out);
         }
       });
  each("mloop_prediction_value", "histogram",
       "Predicted values (regression models), in buckets at the training target's percentiles.",
       [&](const VariantStats& s) {
         std::lock_guard l(s.mu_);
         if (s.regression_) s.values_.load()->Render("mloop_prediction_value", s.labels, &out);
       });
  each("mloop_model_info", "gauge", "The model version each variant serves (value 1).",
       [&](const VariantStats& s) {
         std::lock_guard l(s.mu_);
         Line("mloop_model_info",
              s.labels + ",version=\"" + PromLabel(s.version_) + "\",hash=\"" + PromLabel(s.hash_) +
                  "\"",
              "1", &out);
       });
  each("mloop_model_swaps_total", "counter", "Model versions swapped in after an alias moved.",
       [&](const VariantStats& s) {
         Line("mloop_model_swaps_total", s.labels, std::to_string(s.swaps.load()), &out);
       });
  each("mloop_model_load_failures_total", "counter",
       "New model versions that failed to load (the previous one kept serving).",
       [&](const VariantStats& s) {
         Line("mloop_model_load_failures_total", s.labels, std::to_string(s.load_failures.load()),
              &out);
       });
  struct ShadowSeries {
    const char* name;
    const char* help;
    std::function<std::string(const VariantStats&)> value;
    bool compares = false;  // compares answers: left out for clustering models
  };
  const ShadowSeries shadow_series[] = {
      {"mloop_shadow_requests_total", "Requests the shadow predicted on.",
       [](const VariantStats& s) { return std::to_string(s.shadow_requests.load()); }},
      {"mloop_shadow_records_total", "Records the shadow predicted.",
       [](const VariantStats& s) { return std::to_string(s.shadow_records.load()); }},
      {"mloop_shadow_disagreements_total",
       "Records whose predicted class differed between the shadow and the answer.",
       [](const VariantStats& s) { return std::to_string(s.shadow_disagreements.load()); }, true},
      {"mloop_shadow_abs_diff_total",
       "Summed absolute difference of the scores between the shadow and the answer (divide by "
       "mloop_shadow_records_total for the mean).",
       [](const VariantStats& s) { return Num(s.shadow_abs_diff_sum.load()); }, true},
      {"mloop_shadow_failures_total", "Shadow predictions that failed.",
       [](const VariantStats& s) { return std::to_string(s.shadow_failures.load()); }},
      {"mloop_shadow_dropped_total", "Shadow requests dropped: the shadow's queue was full.",
       [](const VariantStats& s) { return std::to_string(s.shadow_dropped.load()); }},
  };
  for (const ShadowSeries& series : shadow_series) {
    each(
        series.name, "counter", series.help,
        [&](const VariantStats& s) {
          if (series.compares && s.clustering.load(std::memory_order_relaxed)) return;
          Line(series.name, s.labels, series.value(s), &out);
        },
        true);
  }
  Help("mloop_http_requests_total", "counter", "Requests that reached no model, by status.", &out);
  unrouted.Render("mloop_http_requests_total", "", &out);
  Help("mloop_capture_records_total", "counter", "Records written to data capture.", &out);
  Line("mloop_capture_records_total", "", std::to_string(capture_records.load()), &out);
  Help("mloop_ground_truth_records_total", "counter",
       "Ground-truth labels written (POST /ground-truth).", &out);
  Line("mloop_ground_truth_records_total", "", std::to_string(ground_truth_records.load()), &out);
  Help("mloop_capture_dropped_total", "counter",
       "Capture records dropped: the writer fell behind or could not write them.", &out);
  Line("mloop_capture_dropped_total", "", std::to_string(capture_dropped.load()), &out);
  return out;
}

}  // namespace mloop
