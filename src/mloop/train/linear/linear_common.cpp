#include "mloop/train/linear/linear_common.h"

#include <Eigen/Core>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>

#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/core/strings.h"

namespace mloop::linear {

int ResolveThreads(int threads) {
  return threads > 0 ? threads : DefaultThreads();
}

RowParts SplitRows(int64_t rows, int max_parts, int64_t min_rows_per_part) {
  RowParts parts;
  parts.rows = rows;
  int64_t by_size = rows / std::max<int64_t>(1, min_rows_per_part);
  parts.count = static_cast<int>(std::clamp<int64_t>(by_size, 1, std::max(1, max_parts)));
  return parts;
}

void CheckPredictionsFinite(const DenseMatrix& out, std::string_view model) {
  for (int64_t r = 0; r < out.rows; ++r) {
    for (int64_t c = 0; c < out.cols; ++c) {
      if (std::isfinite(out.at(r, c))) continue;
      throw DataError(RowMessage(r + 1, "the values are too large: the " + std::string(model) +
                                            " model's linear predictor overflows"),
                      "send values of the size the model was trained on");
    }
  }
}

void CheckFinite(const DenseMatrix& x, std::string_view model, std::string_view what, int threads,
                 const std::vector<std::string>& names) {
  // Per part, the first non-finite value; a block is scanned value by value only when the sum
  // of its values times 0 (NaN if any value is NaN or infinite; vectorises) says it holds one.
  const RowParts parts = SplitRows(x.rows);
  std::vector<int64_t> first(parts.count, -1);
  ParallelFor(parts.count, ResolveThreads(threads), [&](int k) {
    constexpr int64_t kBlock = 256;
    for (int64_t r0 = parts.Begin(k); r0 < parts.End(k); r0 += kBlock) {
      const int64_t r1 = std::min(parts.End(k), r0 + kBlock);
      const double* begin = x.row(r0);
      const double* end = x.row(r1);
      const double probe = (Eigen::Map<const Eigen::ArrayXd>(begin, end - begin) * 0.0).sum();
      if (probe == 0) continue;
      for (const double* v = begin; v != end; ++v) {
        if (!std::isfinite(*v)) {
          first[k] = v - x.data.data();
          return;
        }
      }
    }
  });
  for (int64_t index : first) {
    if (index < 0) continue;
    const int64_t r = index / x.cols, c = index % x.cols;
    const double v = x.data[static_cast<size_t>(index)];
    const std::string feature = static_cast<size_t>(c) < names.size()
                                    ? "feature '" + names[static_cast<size_t>(c)] + "'"
                                    : "feature " + std::to_string(c + 1);
    const std::string m(model);
    if (what.empty()) {  // data to predict: the caller's input
      if (std::isnan(v)) {
        throw DataError(RowMessage(r + 1, feature + ": missing; " + m + " takes no missing values"),
                        "send a value, or impute missing values in the model's recipe");
      }
      throw DataError(RowMessage(r + 1, feature + ": " + (v > 0 ? "inf" : "-inf") +
                                            " is infinite; " + m + " takes finite values"),
                      "send a finite number; a feature a recipe derives is infinite when, for "
                      "example, it divides by 0 or takes the log of 0");
    }
    if (std::isnan(v)) {
      throw InvalidArgument(m + ": " + std::string(what) + " has a missing value (NaN) at row " +
                                std::to_string(r + 1) + ", " + feature,
                            m + " cannot take missing values: impute them first");
    }
    throw InvalidArgument(m + ": " + std::string(what) + " has an infinite value (" +
                              (v > 0 ? "inf" : "-inf") + ") at row " + std::to_string(r + 1) +
                              ", " + feature,
                          "infinite values come from the data or a recipe step (log of 0, a "
                          "ratio over 0): use log1p, clip them, or filter those rows");
  }
}

std::vector<double> CheckFitInput(const FitInput& in, std::string_view model) {
  const std::string m(model);
  if (in.x == nullptr) throw InvalidArgument(m + ": no training data");
  const DenseMatrix& x = *in.x;
  if (x.rows < 1) throw InvalidArgument(m + ": the training data has no rows");
  if (x.data.size() != static_cast<size_t>(x.rows * x.cols)) {
    throw InvalidArgument(m + ": the training matrix holds " + std::to_string(x.data.size()) +
                          " values, not rows x cols = " + std::to_string(x.rows * x.cols));
  }
  if (in.y.size() != static_cast<size_t>(x.rows)) {
    throw InvalidArgument(m + ": " + std::to_string(in.y.size()) + " targets for " +
                          std::to_string(x.rows) + " rows");
  }
  if (!in.weight.empty() && in.weight.size() != static_cast<size_t>(x.rows)) {
    throw InvalidArgument(m + ": " + std::to_string(in.weight.size()) + " sample weights for " +
                          std::to_string(x.rows) + " rows");
  }
  for (size_t i = 0; i < in.y.size(); ++i) {
    if (!std::isfinite(in.y[i])) {
      throw InvalidArgument(m + ": the target is missing or not finite at row " +
                            std::to_string(i));
    }
  }
  std::vector<double> w(static_cast<size_t>(x.rows), 1.0);
  if (!in.weight.empty()) {
    double sum = 0;
    for (size_t i = 0; i < w.size(); ++i) {
      w[i] = in.weight[i];
      if (!std::isfinite(w[i]) || w[i] < 0) {
        throw InvalidArgument(m + ": sample weight at row " + std::to_string(i) +
                              " is not a finite number >= 0");
      }
      sum += w[i];
    }
    if (!(sum > 0)) throw InvalidArgument(m + ": the sample weights sum to 0");
  }
  CheckFinite(x, model, "the training data", in.threads, in.feature_names);
  return w;
}

double ParseDouble(std::string_view model, const std::string& key, const std::string& value) {
  double v = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v)) {
    throw InvalidArgument(std::string(model) + " parameter " + key + " must be a number, not '" +
                          value + "'");
  }
  return v;
}

int ParseInt(std::string_view model, const std::string& key, const std::string& value, int min) {
  int v = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (ec != std::errc() || ptr != end || v < min) {
    throw InvalidArgument(std::string(model) + " parameter " + key + " must be a whole number >= " +
                          std::to_string(min) + ", not '" + value + "'");
  }
  return v;
}

bool ParseBool(std::string_view model, const std::string& key, const std::string& value) {
  if (value == "true" || value == "1" || value == "True" || value == "TRUE") return true;
  if (value == "false" || value == "0" || value == "False" || value == "FALSE") return false;
  throw InvalidArgument(std::string(model) + " parameter " + key + " must be true or false, not '" +
                        value + "'");
}

void ThrowUnknownParameter(std::string_view model, const std::string& key,
                           const std::vector<std::string>& valid) {
  throw InvalidArgument(
      "unknown " + std::string(model) + " parameter '" + key + "'" + DidYouMean(key, valid),
      std::string(model) + " parameters: " + Join(valid, ", "));
}

std::string FormatNumber(double v) {
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  return std::string(buf, ptr);
}

Task ParseTask(std::string_view name) {
  for (Task t : {Task::kBinary, Task::kMulticlass, Task::kRegression, Task::kClustering}) {
    if (TaskName(t) == name) return t;
  }
  throw InvalidArgument("unknown task '" + std::string(name) + "'");
}

namespace {

using nlohmann::json;

json ParseJson(std::string_view model, std::string_view what, std::string_view text) {
  try {
    return json::parse(text);
  } catch (const json::exception& e) {
    throw Corruption(std::string(model) + " " + std::string(what) +
                     " is not valid JSON: " + e.what());
  }
}

// Checks the "model" field, then runs `fn`, turning JSON type errors into Corruption.
template <typename Fn>
auto Guarded(std::string_view model, std::string_view what, const json& j, Fn&& fn) {
  try {
    if (!j.is_object() || j.value("model", std::string()) != model) {
      throw Corruption("not a " + std::string(model) + " " + std::string(what) +
                       " (its \"model\" field is not \"" + std::string(model) + "\")");
    }
    return fn();
  } catch (const json::exception& e) {
    throw Corruption(std::string(model) + " " + std::string(what) + " is not valid: " + e.what());
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kCorruption) throw;
    throw Corruption(std::string(model) + " " + std::string(what) + " is not valid: " + e.what());
  }
}

}  // namespace

std::string WriteConfig(std::string_view model, const ConfigDoc& config) {
  json params = json::object();
  for (const auto& [key, value] : config.params) {
    double number = 0;
    const char* end = value.data() + value.size();
    auto [ptr, ec] = std::from_chars(value.data(), end, number);
    if (value == "true" || value == "false") {
      params[key] = value == "true";
    } else if (ec == std::errc() && ptr == end && std::isfinite(number)) {
      params[key] = number;
    } else {
      params[key] = value;
    }
  }
  json j = {{"model", std::string(model)},
            {"task", std::string(TaskName(config.task))},
            {"num_classes", config.num_classes},
            {"params", params}};
  return j.dump(2);
}

ConfigDoc ReadConfig(std::string_view model, std::string_view text) {
  json j = ParseJson(model, "configuration", text);
  return Guarded(model, "configuration", j, [&] {
    ConfigDoc config;
    config.task = ParseTask(j.at("task").get<std::string>());
    config.num_classes = j.value("num_classes", 0);
    const json params = j.value("params", json::object());
    for (const auto& [key, value] : params.items()) {
      if (value.is_boolean()) {
        config.params[key] = value.get<bool>() ? "true" : "false";
      } else if (value.is_number_integer()) {
        config.params[key] = std::to_string(value.get<int64_t>());
      } else if (value.is_number()) {
        double v = value.get<double>();
        // Whole numbers print without a fraction so that integer parameters parse back.
        config.params[key] = (std::abs(v) < 1e15 && v == std::floor(v))
                                 ? std::to_string(static_cast<int64_t>(v))
                                 : FormatNumber(v);
      } else {
        config.params[key] = value.get<std::string>();
      }
    }
    return config;
  });
}

std::string WriteModel(std::string_view model, const ModelDoc& doc) {
  json coefficients = json::array();
  for (int k = 0; k < doc.outputs; ++k) {
    auto begin = doc.coefficients.begin() + k * doc.num_features;
    coefficients.push_back(std::vector<double>(begin, begin + doc.num_features));
  }
  json j = {{"format_version", kModelFormatVersion},
            {"model", std::string(model)},
            {"task", std::string(TaskName(doc.task))},
            {"num_classes", doc.num_classes},
            {"num_features", doc.num_features},
            {"feature_names", doc.feature_names},
            {"coefficients", coefficients},
            {"intercepts", doc.intercepts}};
  return j.dump();
}

ModelDoc ReadModel(std::string_view model, std::string_view text) {
  json j = ParseJson(model, "model", text);
  return Guarded(model, "model", j, [&] {
    int version = j.at("format_version").get<int>();
    if (version != kModelFormatVersion) {
      throw Corruption(std::string(model) + " model format_version " + std::to_string(version) +
                       " is not supported (this build reads " +
                       std::to_string(kModelFormatVersion) + ")");
    }
    ModelDoc doc;
    doc.task = ParseTask(j.at("task").get<std::string>());
    doc.num_classes = j.at("num_classes").get<int>();
    doc.num_features = j.at("num_features").get<int64_t>();
    doc.feature_names = j.value("feature_names", std::vector<std::string>());
    const json& coefficients = j.at("coefficients");
    doc.intercepts = j.at("intercepts").get<std::vector<double>>();
    doc.outputs = static_cast<int>(coefficients.size());
    if (doc.num_features < 0 || doc.outputs < 1 ||
        doc.intercepts.size() != static_cast<size_t>(doc.outputs) ||
        (!doc.feature_names.empty() &&
         doc.feature_names.size() != static_cast<size_t>(doc.num_features))) {
      throw Corruption(std::string(model) + " model has inconsistent shapes");
    }
    for (const json& row : coefficients) {
      auto values = row.get<std::vector<double>>();
      if (values.size() != static_cast<size_t>(doc.num_features)) {
        throw Corruption(std::string(model) + " model has a coefficient row of " +
                         std::to_string(values.size()) + " values for " +
                         std::to_string(doc.num_features) + " features");
      }
      doc.coefficients.insert(doc.coefficients.end(), values.begin(), values.end());
    }
    return doc;
  });
}

}  // namespace mloop::linear
