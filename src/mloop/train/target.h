// The target column: which task it implies and how its values become numbers.
//
// Task inference (override with an explicit task): string and bool targets are classification;
// int64 targets with at most 20 distinct values are classification, otherwise regression;
// float64 and timestamp targets are regression. Classes are sorted (numerically for numbers,
// by text for strings; false < true), and a class's index in that order is its label: for a
// binary task the second class is the positive one (1, true, "yes" after "no").
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mloop/core/table.h"
#include "mloop/train/estimator.h"

namespace mloop {

struct Target {
  std::string column;
  DataType type = DataType::kFloat64;
  Task task = Task::kRegression;
  std::vector<std::string> classes;  // classification: labels as text, in label order

  // Label (class index) or value per row; NaN where the target is missing (a NaN number is a
  // missing label) or (for a model applied to new data) a class the model does not know.
  // Numeric labels match classes by value (1.0 is the class "1"; true and false are 1 and 0).
  std::vector<double> Encode(const Table& table) const;
  // For classification: the rows of `table` whose label is present but not a class (NaN in
  // `encoded`, which is Encode(table)), and up to `at_most` + 1 distinct such labels, as text
  // (more than `at_most`: there are more).
  std::vector<std::string> UnknownLabels(const Table& table, const std::vector<double>& encoded,
                                         int64_t* rows, size_t at_most = 5) const;
  // Throws InvalidArgument naming the labels of `table` that are present but not classes (rows
  // whose `encoded` is NaN) and the classes: such rows are never left out silently, since the
  // metrics would then describe other data. `what` names the data ("the validation data").
  void RequireKnownLabels(const Table& table, const std::vector<double>& encoded,
                          const std::string& what) const;
  std::string ToJson() const;
  static Target FromJson(const std::string& json);
};

// Throws NotFound for an unknown column and InvalidArgument when the column cannot be the target
// of `task` (fewer than 2 classes, a string target for regression, ...).
Target InferTarget(const Table& table, const std::string& column, std::optional<Task> task);

std::optional<Task> ParseTask(const std::string& text);  // binary, multiclass, regression, ...

}  // namespace mloop
