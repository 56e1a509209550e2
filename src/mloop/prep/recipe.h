// Recipes: an ordered list of preprocessing steps, written in YAML, fitted once on training data
// and applied identically wherever the model sees data (training, evaluation, batch, serving).
//
//   steps:
//     - impute: {columns: numeric, strategy: median, add_indicator: true}
//     - scale: {columns: [age, income], method: standard}
//     - one_hot: {columns: [plan], max_categories: 10, handle_unknown: ignore}
//     - derive: {name: spend_per_month, expr: "total_spend / (tenure_months + 1)"}
//     - filter: "age >= 18"
//
// Recipe::Parse checks the YAML's structure (unknown step or key: the step number, the key and
// the nearest valid name); Recipe::Check checks it against a schema (columns that do not exist,
// types a step cannot take), both before any data is touched. Recipe::Fit learns each step's
// state on the training table only; the FittedRecipe applies it anywhere and is saved as
// versioned JSON inside the model bundle. The steps and their definitions (each equal to its
// scikit-learn counterpart where there is one) are in docs/formats.md, "Recipes".
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/table.h"

namespace mloop {

inline constexpr int kFittedRecipeFormatVersion = 1;

struct RecipeFitOptions {
  // The target column: kept through the recipe untouched, never selected by a type selector
  // ("numeric", "string", ...), and the label target encoding learns from. Empty: none.
  std::string target;
  // The target's values are class labels (train's binary and multiclass tasks): target_encode
  // then takes two classes only, whatever their type, as scikit-learn's TargetEncoder refuses a
  // multiclass target (the mean of class numbers 0, 1, 2 means nothing).
  bool target_classes = false;
  uint64_t seed = 42;  // out-of-fold target encoding
  int threads = 0;     // 0: all cores
  // When given, receives notes on what fitting did that scikit-learn would warn about: "step 3
  // (bucketize): column 'tenure': 9 quantile bins, not 10 (equal quantiles merged)".
  std::vector<std::string>* notes = nullptr;
};

// Where a table is being transformed. Steps that remove rows (filter, drop_duplicates) apply to
// datasets (kDataset: training data, `mloop prep apply`) but not to scoring (kScoring: predict,
// eval, batch, serving), which must return one prediction per input row.
enum class ApplyMode { kDataset, kScoring };

class FittedRecipe {
 public:
  FittedRecipe();
  ~FittedRecipe();
  FittedRecipe(FittedRecipe&&) noexcept;
  FittedRecipe& operator=(FittedRecipe&&) noexcept;
  FittedRecipe(const FittedRecipe&);
  FittedRecipe& operator=(const FittedRecipe&);

  // Applies every step. The table needs the recipe's input columns (input_schema(); the target
  // is optional and passes through whatever its type); other columns are ignored and do not
  // reach the output. An int64 or bool column where the recipe was fitted on float64 is widened;
  // a missing column or another type throws InvalidArgument naming it and the step that reads
  // it. A default-constructed FittedRecipe returns `table` unchanged.
  Table Transform(const Table& table, ApplyMode mode = ApplyMode::kScoring) const;

  // The columns the recipe needs (those a step reads or that reach the output, in the training
  // table's order, with their training types and roles), and the schema it produces: the
  // output of Transform on training data (one-hot columns included).
  const Schema& input_schema() const;
  // The input columns scoring needs: input_schema() without those only skipped steps read
  // (a column a filter or drop_duplicates reads, then dropped). A model's inputs.
  Schema scoring_input_schema() const;
  const Schema& output_schema() const;
  bool empty() const;
  // The target column named when fitting ("" when none).
  const std::string& target() const;
  // Threads for Transform (0, the default: all cores). Not saved in the JSON.
  void set_threads(int threads);

  // {"format": "mloop.recipe.fitted", "format_version": 1, "source": <the recipe's YAML as
  // JSON>, "target": ..., "input_schema": [...], "output_schema": [...], "steps": [{"step":
  // "scale", ...learned state...}, ...]} (docs/formats.md, "Recipes"). Doubles are written so
  // that they read back bit for bit; FromJson refuses a newer format_version
  // (FailedPrecondition) and throws Corruption on anything malformed.
  nlohmann::json ToJson() const;
  static FittedRecipe FromJson(const nlohmann::json& json);

 private:
  friend class Recipe;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class Recipe {
 public:
  Recipe();
  ~Recipe();
  Recipe(Recipe&&) noexcept;
  Recipe& operator=(Recipe&&) noexcept;
  Recipe(const Recipe&);
  Recipe& operator=(const Recipe&);

  // Parses a recipe document. Errors (InvalidArgument) say "step N (kind): ..." with the nearest
  // valid step or key name in the hint.
  static Recipe Parse(std::string_view yaml);
  static Recipe Load(const std::filesystem::path& file);  // Parse, with the file in the message
  // The recipe from its JSON form (ToJson(), or a fitted recipe's "source").
  static Recipe FromJson(const nlohmann::json& source);

  // Checks every step against `input` in order (each step sees the schema the previous one
  // produced) and returns the output schema. Throws InvalidArgument / NotFound naming the step.
  // Columns that depend on the data are not in it: one_hot's columns ("plan=basic"; later steps
  // may still name them) and, when add_indicator is set, impute's "<col>_missing" columns are
  // assumed for every imputed column.
  // Without a target, `untargeted_selections` (when given) receives the steps ("step 2 (scale)")
  // whose type selector took columns, the label among them if the data has one.
  Schema Check(const Schema& input, const RecipeFitOptions& options = {},
               std::vector<std::string>* untargeted_selections = nullptr) const;

  // Learns every step's state on `train`. When `transformed` is given it receives `train`
  // transformed for training (ApplyMode::kDataset), which for target encoding uses out-of-fold
  // values (each row encoded by the other folds) so the model never sees its own label.
  FittedRecipe Fit(const Table& train, const RecipeFitOptions& options = {},
                   Table* transformed = nullptr) const;

  size_t size() const;
  // The recipe of its first `n` steps, which keep their numbers and file locations in messages.
  Recipe FirstSteps(size_t n) const;
  // The recipe as JSON (what FittedRecipe::ToJson keeps as "source").
  nlohmann::json ToJson() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mloop
