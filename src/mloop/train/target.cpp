#include "mloop/train/target.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "mloop/core/error.h"

namespace mloop {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kMaxIntClasses = 20;

// Whether row i has a label: a NaN number (a cell written `nan`, as Python prints it) is a
// missing label, as pandas reads it, never a class.
bool HasLabel(const Column& col, int64_t i) {
  return col.IsValid(i) && !(col.type() == DataType::kFloat64 && std::isnan(col.f64()[i]));
}
}  // namespace

std::optional<Task> ParseTask(const std::string& text) {
  if (text == "binary") return Task::kBinary;
  if (text == "multiclass") return Task::kMulticlass;
  if (text == "regression") return Task::kRegression;
  if (text == "clustering") return Task::kClustering;
  if (text == "classification") return Task::kMulticlass;  // narrowed to binary by class count
  return std::nullopt;
}

Target InferTarget(const Table& table, const std::string& column, std::optional<Task> task) {
  const int idx = table.schema().Require(column);
  const Column& col = table.column(idx);
  Target t;
  t.column = column;
  t.type = col.type();
  bool classification;
  if (task) {
    classification = *task == Task::kBinary || *task == Task::kMulticlass;
    if (*task == Task::kRegression && (t.type == DataType::kString)) {
      throw InvalidArgument("target '" + column + "' holds strings; it cannot be regressed",
                            "use --task binary or multiclass");
    }
  } else if (t.type == DataType::kString || t.type == DataType::kBool) {
    classification = true;
  } else if (t.type == DataType::kInt64) {
    std::set<int64_t> distinct;
    for (int64_t i = 0; i < col.size() && distinct.size() <= kMaxIntClasses; ++i) {
      if (col.IsValid(i)) distinct.insert(col.i64()[i]);
    }
    classification = distinct.size() <= kMaxIntClasses;
  } else if (t.type == DataType::kFloat64) {
    // Whole numbers only (an int column that pandas wrote as 1.0 / 0.0 / NaN because of a
    // missing value) are read as int64 targets are, as scikit-learn's type_of_target does.
    std::set<double> distinct;
    bool whole = true;
    for (int64_t i = 0; i < col.size() && whole && distinct.size() <= kMaxIntClasses; ++i) {
      if (!HasLabel(col, i)) continue;
      const double v = col.f64()[i];
      whole = v == std::trunc(v) && std::fabs(v) < 9007199254740992.0;
      distinct.insert(v == 0 ? 0.0 : v);  // -0.0 is 0
    }
    classification = whole && !distinct.empty() && distinct.size() <= kMaxIntClasses;
  } else {
    classification = false;
  }
  if (!classification) {
    t.task = Task::kRegression;
    return t;
  }
  // Sorted class labels.
  if (t.type == DataType::kString) {
    std::set<std::string> labels;
    for (int64_t i = 0; i < col.size(); ++i) {
      if (col.IsValid(i)) labels.insert(std::string(col.StringAt(i)));
    }
    t.classes.assign(labels.begin(), labels.end());
  } else if (t.type == DataType::kFloat64) {
    std::set<double> labels;
    for (int64_t i = 0; i < col.size(); ++i) {
      if (HasLabel(col, i)) labels.insert(col.f64()[i]);
    }
    for (double v : labels) t.classes.push_back(FormatDouble(v));
  } else {
    std::set<int64_t> labels;
    for (int64_t i = 0; i < col.size(); ++i) {
      if (!col.IsValid(i)) continue;
      labels.insert(t.type == DataType::kBool ? col.bools()[i] : col.i64()[i]);
    }
    for (int64_t v : labels) {
      t.classes.push_back(t.type == DataType::kBool ? (v ? "true" : "false") : std::to_string(v));
    }
  }
  if (t.classes.size() < 2) {
    throw InvalidArgument("target '" + column + "' has " + std::to_string(t.classes.size()) +
                          " class; classification needs at least 2");
  }
  if (task == Task::kBinary && t.classes.size() != 2) {
    throw InvalidArgument("target '" + column + "' has " + std::to_string(t.classes.size()) +
                          " classes; --task binary needs exactly 2");
  }
  t.task = t.classes.size() == 2 ? Task::kBinary : Task::kMulticlass;
  return t;
}

std::vector<double> Target::Encode(const Table& table) const {
  const Column& col = table.column(column);
  std::vector<double> out(static_cast<size_t>(col.size()), kNaN);
  if (task == Task::kRegression) {
    for (int64_t i = 0; i < col.size(); ++i) {
      if (!col.IsValid(i)) continue;
      switch (col.type()) {
        case DataType::kFloat64:
          out[i] = col.f64()[i];
          break;
        case DataType::kInt64:
          out[i] = static_cast<double>(col.i64()[i]);
          break;
        case DataType::kBool:
          out[i] = col.bools()[i];
          break;
        case DataType::kTimestamp:
          out[i] = static_cast<double>(col.i64()[i]) / 1e6;
          break;
        case DataType::kString:
          throw InvalidArgument("target '" + column + "' holds strings in this data");
      }
    }
    return out;
  }
  std::map<std::string, double, std::less<>> index;
  for (size_t k = 0; k < classes.size(); ++k) index[classes[k]] = static_cast<double>(k);
  // Numbers match by value, whatever their text or type: a label 1.0 (a float column written
  // by pandas) is the class 1 of an int64 target, and true / false are 1 / 0.
  std::map<double, double> by_value;
  const bool numeric = col.type() == DataType::kFloat64 || col.type() == DataType::kInt64 ||
                       col.type() == DataType::kBool;
  if (numeric) {
    for (size_t k = 0; k < classes.size(); ++k) {
      double v;
      if (classes[k] == "true" || classes[k] == "false") {
        v = classes[k] == "true" ? 1 : 0;
      } else {
        const char* end = classes[k].data() + classes[k].size();
        auto [ptr, ec] = std::from_chars(classes[k].data(), end, v);
        if (ec != std::errc() || ptr != end || !std::isfinite(v)) continue;
      }
      by_value.emplace(v, static_cast<double>(k));
    }
  }
  for (int64_t i = 0; i < col.size(); ++i) {
    if (!HasLabel(col, i)) continue;  // (a NaN key would find a class in by_value)
    if (numeric && !by_value.empty()) {
      const double v = col.type() == DataType::kFloat64 ? col.f64()[i]
                       : col.type() == DataType::kInt64 ? static_cast<double>(col.i64()[i])
                                                        : col.bools()[i];
      auto it = by_value.find(v);
      if (it != by_value.end()) out[i] = it->second;
      continue;
    }
    auto it = index.find(CellToString(col, i));
    if (it != index.end()) out[i] = it->second;
  }
  return out;
}

std::vector<std::string> Target::UnknownLabels(const Table& table,
                                               const std::vector<double>& encoded, int64_t* rows,
                                               size_t at_most) const {
  *rows = 0;
  std::vector<std::string> out;
  if (task == Task::kRegression || task == Task::kClustering) return out;
  const Column& col = table.column(column);
  std::set<std::string> seen;
  for (int64_t i = 0; i < col.size(); ++i) {
    if (!HasLabel(col, i) || !std::isnan(encoded[i])) continue;
    ++*rows;
    std::string label = CellToString(col, i);
    if (seen.size() <= at_most && seen.insert(label).second) out.push_back(std::move(label));
  }
  return out;
}

void Target::RequireKnownLabels(const Table& table, const std::vector<double>& encoded,
                                const std::string& what) const {
  int64_t unknown_rows = 0;
  const std::vector<std::string> unknown = UnknownLabels(table, encoded, &unknown_rows, 5);
  if (unknown_rows == 0) return;
  std::string shown;
  for (size_t k = 0; k < std::min<size_t>(unknown.size(), 5); ++k) {
    shown += (shown.empty() ? "'" : ", '") + unknown[k] + "'";
  }
  std::string listed;
  for (const std::string& c : classes) listed += (listed.empty() ? "" : ", ") + c;
  throw InvalidArgument(what + " has " + std::to_string(unknown_rows) + " row" +
                            (unknown_rows == 1 ? "" : "s") + " whose '" + column +
                            "' is not a class of the training data (" + shown +
                            (unknown.size() > 5 ? ", ..." : "") + "); the classes are " + listed,
                        "make the labels the training data's classes, or leave those rows out");
}

std::string Target::ToJson() const {
  nlohmann::json j = {{"column", column},
                      {"type", DataTypeName(type)},
                      {"task", TaskName(task)},
                      {"classes", classes}};
  return j.dump();
}

Target Target::FromJson(const std::string& json) {
  try {
    auto j = nlohmann::json::parse(json);
    Target t;
    t.column = j.at("column").get<std::string>();
    auto type = ParseDataType(j.at("type").get<std::string>());
    auto task = ParseTask(j.at("task").get<std::string>());
    if (!type || !task) throw Corruption("target description names an unknown type or task");
    t.type = *type;
    t.task = *task;
    t.classes = j.at("classes").get<std::vector<std::string>>();
    return t;
  } catch (const nlohmann::json::exception& e) {
    throw Corruption(std::string("target description is not valid: ") + e.what());
  }
}

}  // namespace mloop
