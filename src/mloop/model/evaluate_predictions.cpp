// EvaluatePredictions (evaluate.h): predictions made by any tool, read from the columns of a
// file: a score per row, a predicted class per row, or a probability column per class.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <set>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/io/value_parse.h"
#include "mloop/model/evaluate.h"
#include "mloop/model/evaluate_internal.h"
#include "mloop/train/target.h"

namespace mloop {

using evaluate_internal::Finish;
using evaluate_internal::WeightsOf;

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Why a column read as text is not numbers: its first value that is not a float64 as the
// readers take one (no hex; 1e400 is beyond a double); or, when every value reads as one, that
// they were read as text all the same (JSON strings such as "0.4"; integers beyond 64 bits).
std::string NotANumberExample(const Column& c) {
  if (c.type() != DataType::kString) return "";
  int64_t first = -1;
  for (int64_t i = 0; i < c.size(); ++i) {
    if (!c.IsValid(i)) continue;
    const std::string_view text = c.StringAt(i);
    double d = 0;
    if (!ParseFloat64(text, &d)) {
      const std::string owned(text);
      char* end = nullptr;
      const double v = std::strtod(owned.c_str(), &end);
      if (*end == '\0' && std::isinf(v) && owned.find_first_of("iI") == std::string::npos) {
        return " ('" + std::string(text) + "' in row " + std::to_string(i + 1) +
               " is a number beyond the range of a double)";
      }
      return " (row " + std::to_string(i + 1) + " holds '" + std::string(text) + "')";
    }
    if (first < 0) first = i;
  }
  if (first < 0) return "";
  return " (row " + std::to_string(first + 1) + " holds '" + std::string(c.StringAt(first)) +
         "', read as text: a JSON string, or an integer beyond 64 bits; scores are JSON numbers, "
         "without quotes)";
}

// Whether a text column holds a number somewhere: then it is scores with a bad cell, not classes.
bool HoldsNumbers(const Column& c) {
  if (c.type() != DataType::kString) return false;
  for (int64_t i = 0; i < c.size(); ++i) {
    double d = 0;
    if (c.IsValid(i) && ParseFloat64(c.StringAt(i), &d)) return true;
  }
  return false;
}

void RequireNumeric(const Column& c, const std::string& name) {
  if (c.type() != DataType::kFloat64 && c.type() != DataType::kInt64) {
    throw InvalidArgument("score column '" + name + "' must be numeric, not " +
                          std::string(DataTypeName(c.type())) + NotANumberExample(c));
  }
}

// Row i of a numeric column as a double; NaN when it is empty.
double NumberAt(const Column& c, int64_t i) {
  if (!c.IsValid(i)) return kNaN;
  return c.type() == DataType::kFloat64 ? c.f64()[i] : static_cast<double>(c.i64()[i]);
}

// A score that is not NaN must be finite, as scikit-learn's "Input contains infinity".
void RequireFinite(double v, const std::string& column, int64_t row) {
  if (std::isinf(v)) {
    throw InvalidArgument("score column '" + column + "' is infinite in row " +
                              std::to_string(row + 1) + " (" + FormatDouble(v) + ")",
                          "metrics need finite scores; an empty cell or NaN leaves a row out");
  }
}

// The classes of a binary label column holding one of them only (every customer churned):
// the other is known from --positive or from 0/1 and false/true labels. Empty when unknown.
std::vector<std::string> OneClassBinary(const Table& data, const std::string& label,
                                        const std::string& positive) {
  const Column& col = data.column(label);
  std::optional<std::string> only;
  for (int64_t i = 0; i < col.size(); ++i) {
    if (!col.IsValid(i)) continue;
    if (col.type() == DataType::kFloat64 && std::isnan(col.f64()[i])) continue;
    // Numbers as integers where they are (a 1.0 written by pandas is the label 1).
    std::string v = col.type() == DataType::kFloat64 && col.f64()[i] == std::trunc(col.f64()[i]) &&
                            std::fabs(col.f64()[i]) < 1e15
                        ? std::to_string(static_cast<int64_t>(col.f64()[i]))
                        : CellToString(col, i);
    if (only && *only != v) return {};  // two classes or more: the usual inference applies
    only = v;
  }
  if (!only) return {};
  if (!positive.empty()) {
    return *only == positive ? std::vector<std::string>{"not " + positive, positive}
                             : std::vector<std::string>{*only, positive};
  }
  if (*only == "0" || *only == "1") return {"0", "1"};
  if (*only == "false" || *only == "true") return {"false", "true"};
  return {};
}

// Puts the class `positive` (when given) second, the class a binary score is the score of.
void PutPositiveSecond(std::vector<std::string>& classes, const std::string& positive,
                       const std::string& what) {
  if (positive.empty()) return;
  // By text, or as a number: --positive 1 names the label 1.0 (pandas writes a column of 0/1
  // with a missing value as 0.0/1.0).
  auto number = [](const std::string& text) -> std::optional<double> {
    double v = 0;
    if (!ParseFloat64(text, &v) || !std::isfinite(v)) return std::nullopt;
    return v;
  };
  auto it = std::find(classes.begin(), classes.end(), positive);
  if (it == classes.end() && number(positive)) {
    it = std::find_if(classes.begin(), classes.end(),
                      [&](const std::string& c) { return number(c) == number(positive); });
  }
  if (it == classes.end()) {
    throw InvalidArgument("--positive '" + positive + "' is not " + what,
                          "values: " + Join(classes, ", "));
  }
  if (it == classes.begin()) std::swap(classes[0], classes[1]);
}

// The task and classes of the label column, for a score column per row.
Target LabelTarget(const Table& data, const std::string& label, std::optional<Task> task,
                   const std::string& positive) {
  std::vector<std::string> one_class;
  if (task == Task::kBinary) one_class = OneClassBinary(data, label, positive);
  if (one_class.empty() && task != Task::kRegression) {
    // One class that is neither 0/1 nor false/true, and no --positive to name the other.
    const std::vector<std::string> only = OneClassBinary(data, label, "\x01");
    if (!only.empty()) {
      throw InvalidArgument("label column '" + label + "' holds one class ('" + only[0] + "')",
                            "give --task binary --positive LABEL to name the positive class "
                            "(metrics that need both classes are then left out)");
    }
  }
  if (task == Task::kRegression && data.column(label).type() == DataType::kString) {
    throw InvalidArgument("label column '" + label + "' holds text; it cannot be regressed",
                          "leave --task out, or give --task binary for two labels");
  }
  Target target;
  if (!one_class.empty()) {
    target.column = label;
    target.type = data.column(label).type();
    target.task = Task::kBinary;
    target.classes = one_class;
  } else {
    target = InferTarget(data, label, task);
  }
  if (!positive.empty() && target.task == Task::kRegression) {
    throw InvalidArgument(
        "--positive names a class, and label column '" + label + "' is read as numbers to regress",
        "give --task binary when the labels are two classes");
  }
  if (!positive.empty() && target.task == Task::kMulticlass) {
    throw InvalidArgument(
        "--positive names the positive class of binary labels, and label column '" + label +
        "' has " + std::to_string(target.classes.size()) + " classes");
  }
  if (target.task == Task::kBinary) {
    PutPositiveSecond(target.classes, positive, "a value of '" + label + "'");
  }
  return target;
}

// A label column of rows whose label `y` is known and whose prediction is not: such rows are
// left out (`y` set to NaN) and counted; refuses predictions of which none can be scored.
int64_t LeaveOutUnscored(std::vector<double>& y, const std::vector<bool>& scored,
                         const std::string& what) {
  int64_t unscored = 0, usable = 0;
  for (size_t i = 0; i < y.size(); ++i) {
    if (std::isnan(y[i])) continue;
    if (scored[i]) {
      ++usable;
    } else {
      ++unscored;
      y[i] = kNaN;
    }
  }
  if (usable == 0 && unscored > 0) {
    throw InvalidArgument("no row has both a label and a score: " + std::to_string(unscored) +
                          " labelled row" + (unscored == 1 ? " has" : "s have") + " " + what);
  }
  return unscored;
}

// The metrics of labels `y` against `scores`, with the rows `unscored` counted apart from rows
// without a label.
Evaluation Evaluate(const Table& data, const Target& target, std::vector<double> y,
                    DenseMatrix scores, int64_t unscored, const EvaluationOptions& options,
                    bool predicted_classes) {
  std::vector<double> weight = WeightsOf(data, options.weight_column, y);
  Evaluation ev = Finish(target.task, std::move(y), std::move(scores), target.classes, {}, "",
                         options, target.column, std::move(weight), predicted_classes);
  ev.unscored_rows = unscored;
  ev.dropped_rows -= unscored;
  return ev;
}

// A score per row: binary, the score of the positive class; regression, the prediction.
Evaluation FromScores(const Table& data, const Target& target, const std::string& score,
                      const EvaluationOptions& options) {
  const Column& s = data.column(score);
  RequireNumeric(s, score);
  std::vector<double> y = target.Encode(data);
  DenseMatrix scores(data.num_rows(), 1);
  std::vector<bool> scored(y.size());
  for (int64_t i = 0; i < data.num_rows(); ++i) {
    const double v = NumberAt(s, i);  // NaN: no prediction (empty, or NaN as Python writes it)
    RequireFinite(v, score, i);
    scored[i] = !std::isnan(v);
    scores.at(i, 0) = scored[i] ? v : 0.0;
  }
  const int64_t unscored =
      LeaveOutUnscored(y, scored, "an empty or NaN score in column '" + score + "'");
  return Evaluate(data, target, std::move(y), std::move(scores), unscored, options, false);
}

// Whether a column of numbers holds classes of a binary label only (1 and 2 for labels 1 and 2;
// 0 and 1 for 0/1 labels): predicted classes, not scores (scores such as -2..2 hold others).
bool OnlyClasses(const Table& data, const Target& target, const std::string& score) {
  const Column& s = data.column(score);
  if (s.type() != DataType::kInt64 && s.type() != DataType::kFloat64) return false;
  Target predicted = target;
  predicted.column = score;
  const std::vector<double> p = predicted.Encode(data);
  int64_t unknown = 0;
  predicted.UnknownLabels(data, p, &unknown, 0);
  return unknown == 0 && std::any_of(p.begin(), p.end(), [](double v) { return !std::isnan(v); });
}

// A predicted class per row. A multiclass evaluation takes the predicted classes the labels do
// not hold as classes too (as scikit-learn's unique_labels); a binary one refuses them.
Evaluation FromPredictedClasses(const Table& data, Target target, const std::string& score,
                                const EvaluationOptions& options) {
  const Column& s = data.column(score);
  if (s.type() == DataType::kFloat64) {
    for (int64_t i = 0; i < s.size(); ++i) {
      const double v = NumberAt(s, i);
      if (!std::isnan(v) && v != std::trunc(v)) {
        throw InvalidArgument(
            "score column '" + score + "' holds " + FormatDouble(v) + " in row " +
                std::to_string(i + 1) + ", and label column '" + target.column + "' has " +
                std::to_string(target.classes.size()) +
                " classes: a fraction is neither a class "
                "nor the probabilities of every class",
            "give a column of predicted classes, a probability column per class with a "
            "pattern (--score 'probability_*'), or --task regression when the labels are "
            "numbers to regress");
      }
    }
  }
  Target predicted = target;
  predicted.column = score;
  std::vector<double> p = predicted.Encode(data);
  int64_t unknown_rows = 0;
  std::vector<std::string> unknown = predicted.UnknownLabels(data, p, &unknown_rows, 1000);
  // Labels of one class, the other named by --positive alone ("not yes"): a single other
  // predicted value is that class.
  if (unknown_rows > 0 && target.task == Task::kBinary && unknown.size() == 1 &&
      target.classes[0] == "not " + target.classes[1]) {
    target.classes[0] = unknown[0];
    predicted.classes = target.classes;
    p = predicted.Encode(data);
    unknown_rows = 0;
  }
  // Predictions of which not one is a class of the labels are of another kind (class numbers
  // beside class names, an id column): as scikit-learn's "Mix of label input types", refused.
  const bool any_known = std::any_of(p.begin(), p.end(), [](double v) { return !std::isnan(v); });
  if (unknown_rows > 0 && !any_known && target.task == Task::kMulticlass) {
    throw InvalidArgument(
        "no value of score column '" + score + "' is a class of label column '" + target.column +
            "' (it holds '" + unknown[0] + "'" +
            (unknown.size() > 1 ? ", '" + unknown[1] + "'" : "") +
            (unknown.size() > 2 ? ", ..." : "") + "; the labels are " +
            Join(std::vector<std::string>(
                     target.classes.begin(),
                     target.classes.begin() + std::min<size_t>(5, target.classes.size())),
                 ", ") +
            (target.classes.size() > 5 ? ", ..." : "") + ")",
        "the score column holds the predicted class of each row, written as the labels are");
  }
  if (unknown_rows > 0) {
    if (target.task == Task::kBinary) {
      if (HoldsNumbers(s)) RequireNumeric(s, score);  // scores with a cell that is not a number
      throw InvalidArgument(
          "score column '" + score + "' holds '" + unknown[0] + "' (" +
              std::to_string(unknown_rows) + " row" + (unknown_rows == 1 ? "" : "s") +
              "), which is not a class of label column '" + target.column + "' (" +
              Join(target.classes, ", ") + ")",
          "the score column holds the predicted class or the score of the positive class");
    }
    if (unknown.size() > 1000) {
      throw InvalidArgument("score column '" + score +
                            "' holds over 1000 values that are not "
                            "classes of label column '" +
                            target.column + "'");
    }
    std::sort(unknown.begin(), unknown.end());
    target.classes.insert(target.classes.end(), unknown.begin(), unknown.end());
    predicted.classes = target.classes;
    p = predicted.Encode(data);
  }
  std::vector<double> y = target.Encode(data);
  const bool binary = target.task == Task::kBinary;
  const int64_t k = static_cast<int64_t>(target.classes.size());
  // The predicted classes as scores: binary 1 or 0 (the positive class or not), multiclass one-hot.
  DenseMatrix scores(data.num_rows(), binary ? 1 : k);
  std::vector<bool> scored(y.size());
  for (int64_t i = 0; i < data.num_rows(); ++i) {
    scored[i] = !std::isnan(p[i]);
    if (!scored[i]) continue;
    if (binary) {
      scores.at(i, 0) = p[i];
    } else {
      scores.at(i, static_cast<int64_t>(p[i])) = 1.0;
    }
  }
  const int64_t unscored =
      LeaveOutUnscored(y, scored, "no predicted class in column '" + score + "'");
  target.task = binary ? Task::kBinary : Task::kMulticlass;
  return Evaluate(data, target, std::move(y), std::move(scores), unscored, options, true);
}

// Class names in the order InferTarget gives labels of `type`, scikit-learn's (np.unique):
// numbers by value, false before true, text by text.
void SortLikeLabels(std::vector<std::string>& classes, DataType type) {
  auto number = [](const std::string& text) -> std::optional<double> {
    double v;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, v);
    if (ec != std::errc() || ptr != end || !std::isfinite(v)) return std::nullopt;
    return v;
  };
  const bool numbers = type != DataType::kString &&
                       std::all_of(classes.begin(), classes.end(),
                                   [&](const std::string& c) { return number(c).has_value(); });
  if (numbers) {
    std::sort(classes.begin(), classes.end(),
              [&](const std::string& a, const std::string& b) { return *number(a) < *number(b); });
  } else {
    std::sort(classes.begin(), classes.end());  // "false" < "true" as text too
  }
}

// A probability column per class, named by `pattern`: the class in place of its '*'.
Evaluation FromClassColumns(const Table& data, const std::string& label, const std::string& pattern,
                            std::optional<Task> task, const std::string& positive,
                            const EvaluationOptions& options) {
  const size_t star = pattern.find('*');
  if (pattern.find('*', star + 1) != std::string::npos) {
    throw InvalidArgument("--score '" + pattern + "' has more than one '*'",
                          "one '*' stands for the class: --score 'probability_*'");
  }
  if (task == Task::kRegression) {
    throw InvalidArgument("--score '" + pattern +
                          "' names a probability column per class, and --task regression "
                          "takes one column of predicted values");
  }
  const std::string prefix = pattern.substr(0, star), suffix = pattern.substr(star + 1);
  std::vector<std::string> classes;
  std::vector<std::string> columns;
  for (const std::string& name : data.schema().names()) {
    if (name.size() > prefix.size() + suffix.size() && name.starts_with(prefix) &&
        name.ends_with(suffix)) {
      classes.push_back(name.substr(prefix.size(), name.size() - prefix.size() - suffix.size()));
      columns.push_back(name);
    }
  }
  if (columns.empty()) {
    throw InvalidArgument("no column matches --score '" + pattern + "'",
                          "the columns: " + Join(data.schema().names(), ", "));
  }
  if (std::find(columns.begin(), columns.end(), label) != columns.end()) {
    throw InvalidArgument("--score '" + pattern + "' matches label column '" + label + "'",
                          "make the pattern match the probability columns only");
  }
  if (columns.size() == 1) {
    throw InvalidArgument("--score '" + pattern + "' matches one column only, '" + columns[0] + "'",
                          "give one column by name (--score " + columns[0] +
                              "), or a pattern that matches a probability column per class");
  }
  for (const std::string& c : columns) RequireNumeric(data.column(c), c);
  if (!options.weight_column.empty() &&
      std::find(columns.begin(), columns.end(), options.weight_column) != columns.end()) {
    throw InvalidArgument("--score '" + pattern + "' matches the --weight column '" +
                          options.weight_column + "'");
  }

  Target target;
  target.column = label;
  target.type = data.column(label).type();
  std::vector<std::string> ordered = columns;  // the score columns, as the classes are ordered
  if (columns.size() == 2 && task != Task::kMulticlass) {
    target.task = Task::kBinary;
    target.classes = classes;
    SortLikeLabels(target.classes, target.type);
    PutPositiveSecond(target.classes, positive, "a class of --score '" + pattern + "'");
    for (int c = 0; c < 2; ++c) {
      const size_t at =
          std::find(classes.begin(), classes.end(), target.classes[c]) - classes.begin();
      ordered[c] = columns[at];
    }
  } else {
    if (task == Task::kBinary) {
      throw InvalidArgument("--task binary, and --score '" + pattern + "' matches " +
                            std::to_string(columns.size()) + " columns (" + Join(columns, ", ") +
                            ")");
    }
    if (!positive.empty()) {
      throw InvalidArgument("--positive names the positive class of binary labels, and --score '" +
                            pattern + "' matches " + std::to_string(columns.size()) +
                            " probability columns");
    }
    // In the labels' order, whatever the columns' order: the first class wins a tie for the
    // most probable one, as in scikit-learn's argmax over its sorted classes.
    target.task = Task::kMulticlass;
    target.classes = classes;
    SortLikeLabels(target.classes, target.type);
    for (size_t c = 0; c < classes.size(); ++c) {
      ordered[c] =
          columns[std::find(classes.begin(), classes.end(), target.classes[c]) - classes.begin()];
    }
  }
  std::vector<double> y = target.Encode(data);
  int64_t unknown_rows = 0;
  const std::vector<std::string> unknown = target.UnknownLabels(data, y, &unknown_rows, 5);
  if (unknown_rows > 0) {
    throw InvalidArgument(
        "label column '" + label + "' holds '" + unknown[0] + "' (" + std::to_string(unknown_rows) +
            " row" + (unknown_rows == 1 ? "" : "s") + "), and --score '" + pattern +
            "' has no column '" + prefix + unknown[0] + suffix + "' for it",
        "every class needs its probability column; the pattern matches " + Join(columns, ", "));
  }

  std::vector<const Column*> cols;
  for (const std::string& c : ordered) cols.push_back(&data.column(c));
  const bool binary = target.task == Task::kBinary;
  DenseMatrix scores(data.num_rows(), binary ? 1 : static_cast<int64_t>(cols.size()));
  std::vector<bool> scored(y.size(), true);
  for (int64_t i = 0; i < data.num_rows(); ++i) {
    for (size_t c = 0; c < cols.size(); ++c) {
      const double v = NumberAt(*cols[c], i);
      RequireFinite(v, ordered[c], i);
      if (std::isnan(v)) scored[i] = false;  // a row missing a probability is not scored
      if (binary && c == 0) continue;        // the score is the positive class's column
      scores.at(i, binary ? 0 : static_cast<int64_t>(c)) = v;
    }
  }
  const int64_t unscored =
      LeaveOutUnscored(y, scored, "an empty or NaN probability in a column of '" + pattern + "'");
  return Evaluate(data, target, std::move(y), std::move(scores), unscored, options, false);
}

}  // namespace

Evaluation EvaluatePredictions(const Table& data, const std::string& label,
                               const std::string& score, std::optional<Task> task,
                               const std::string& positive, const EvaluationOptions& options) {
  data.schema().Require(label);
  if (score.find('*') != std::string::npos) {
    return FromClassColumns(data, label, score, task, positive, options);
  }
  if (data.schema().IndexOf(score) < 0) {
    std::vector<std::string> per_class;
    for (const std::string& name : data.schema().names()) {
      if (name.starts_with(score + "_")) per_class.push_back(name);
    }
    if (per_class.size() >= 2) {  // `--score probability` for predict's probability_<class>
      throw NotFound("the predictions have no column '" + score + "'",
                     "for a probability column per class (" + Join(per_class, ", ") +
                         "), give a pattern: --score '" + score + "_*'");
    }
  }
  const Column& s = data.column(score);
  const Target target = LabelTarget(data, label, task, positive);
  const bool classes = target.task == Task::kMulticlass ||
                       (target.task == Task::kBinary &&
                        (s.type() == DataType::kString || s.type() == DataType::kBool ||
                         OnlyClasses(data, target, score)));
  if (classes) return FromPredictedClasses(data, target, score, options);
  return FromScores(data, target, score, options);
}

}  // namespace mloop
