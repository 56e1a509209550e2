// The server's counters, exposed at GET /metrics in Prometheus' text format (version 0.0.4).
// Every counter is a relaxed atomic: counting a request costs a few increments, no lock.
//
//   mloop_requests_total{model,variant,code}        requests answered, by HTTP status
//   mloop_records_total{model,variant}              records predicted
//   mloop_request_duration_seconds{model,variant}   histogram, from request read to response built
//   mloop_predictions_total{model,variant,class}    classification: predicted class counts;
//                                                   clustering: records per cluster (class="2")
//   mloop_prediction_probability{model,variant}     binary: histogram of the positive class's
//                                                   probability
//   mloop_prediction_value{model,variant}           regression: histogram of the predictions,
//                                                   bucketed at the training target's percentiles
//   mloop_shadow_*{model,variant}                   shadow comparisons (see serve/handler.h)
//   mloop_model_info{model,variant,version,hash}    1 for the version each variant serves
//   mloop_model_swaps_total, mloop_model_load_failures_total {model,variant}
//   mloop_http_requests_total{code}                 requests that reached no model (404, 401...)
//   mloop_capture_records_total, mloop_ground_truth_records_total, mloop_capture_dropped_total
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace mloop {

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Appends the _bucket, _sum and _count lines of `name` with `labels` ("model=\"x\",...").
  void Render(const std::string& name, const std::string& labels, std::string* out) const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // bounds_.size() + 1 (the +Inf bucket)
  std::atomic<double> sum_{0};
};

// Status codes counted by their own label; others are counted as "other".
inline constexpr std::array<int, 13> kCountedCodes = {200, 400, 401, 403, 404, 405, 406,
                                                      409, 413, 415, 424, 500, 503};

class StatusCounts {
 public:
  void Add(int status);
  // One line per code seen: name{labels,code="200"} N
  void Render(const std::string& name, const std::string& labels, std::string* out) const;

 private:
  std::array<std::atomic<uint64_t>, kCountedCodes.size() + 1> counts_{};
};

// The counters of one variant (or shadow) of one model.
struct VariantStats {
  VariantStats(std::string model, std::string variant);

  const std::string model, variant;
  const std::string labels;  // model="..",variant=".."
  StatusCounts requests;
  std::atomic<uint64_t> records{0};
  Histogram latency;
  Histogram probability;  // binary classifiers
  static constexpr int kMaxClasses = 256;
  std::array<std::atomic<uint64_t>, kMaxClasses> class_counts{};
  std::atomic<uint64_t> swaps{0};
  std::atomic<uint64_t> load_failures{0};
  // Shadow only: requests compared with the answering variant, records whose predicted class
  // differed, and the summed absolute difference of the scores (probability or value).
  std::atomic<uint64_t> shadow_requests{0};
  std::atomic<uint64_t> shadow_records{0};
  std::atomic<uint64_t> shadow_disagreements{0};
  std::atomic<double> shadow_abs_diff_sum{0};
  std::atomic<uint64_t> shadow_failures{0};
  std::atomic<uint64_t> shadow_dropped{0};
  // Serves a clustering model: a shadow's answers are not compared (two models' cluster numbers
  // do not correspond), so its disagreement and difference series are left out.
  std::atomic<bool> clustering{false};

  // What the variant serves now (set at load and at each swap): `classes` label
  // mloop_predictions_total (class names, or cluster numbers);
  // `value_bounds` are the buckets of a regression model's predictions (empty: only the +Inf
  // bucket, for a model trained before mloop kept them or imported from elsewhere).
  void SetModel(const std::string& version, const std::string& hash,
                const std::vector<std::string>& classes, bool regression,
                const std::vector<double>& value_bounds);
  // Counts a regression prediction in the histogram of the model served now.
  void ObserveValue(double v) { values_.load(std::memory_order_acquire)->Observe(v); }

 private:
  friend class ServerMetrics;
  mutable std::mutex mu_;  // guards the strings below
  std::string version_, hash_;
  std::vector<std::string> classes_;
  // Regression predictions: one histogram per bucket layout served (a swap to a model with
  // other buckets starts a new one; swaps are rare, so none is freed while requests may hold it).
  std::deque<Histogram> value_histograms_;
  std::atomic<Histogram*> values_{nullptr};
  bool regression_ = false;
};

class ServerMetrics {
 public:
  // Created at start for every variant; the pointer stays valid for the server's life.
  VariantStats* Add(const std::string& model, const std::string& variant, bool shadow);

  StatusCounts unrouted;
  std::atomic<uint64_t> capture_records{0};
  std::atomic<uint64_t> ground_truth_records{0};
  std::atomic<uint64_t> capture_dropped{0};

  // The whole exposition.
  std::string Render() const;

 private:
  mutable std::mutex mu_;
  std::deque<VariantStats> variants_;  // deque: pointers stay valid as it grows
  std::vector<bool> shadow_;
};

// Prometheus label value escaping (\\, \" and \n).
std::string PromLabel(const std::string& value);

}  // namespace mloop
