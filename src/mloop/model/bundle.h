// The model bundle: everything needed to use a trained model, self-describing and versioned.
//
// Stored in the artifact store as blobs: `manifest.json` names the other parts by SHA-256, and
// the manifest's own address is the model's address.
//   manifest.json   format version, task, algorithm, input schema, output description, classes,
//                   feature names, metrics, lineage, and the addresses of the parts below
//   target.json     the target column and class labels
//   encoding.json   the fitted default encoding (train/encoding.h)
//   model.json      the estimator's learned state (XGBoost's JSON model for xgboost)
//   config.json     the estimator's configuration
//   recipe.json     the fitted preprocessing recipe (prep/recipe.h), when the model has one:
//                   applied to every table before the encoding, in predict, eval, batch and
//                   serving alike
// ExportBundle writes the same files into a directory.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mloop/core/table.h"
#include "mloop/io/value_parse.h"
#include "mloop/prep/recipe.h"
#include "mloop/store/artifact_store.h"
#include "mloop/train/encoding.h"
#include "mloop/train/estimator.h"
#include "mloop/train/target.h"

namespace mloop {

// 2: the optional recipe.json part. Version 1 bundles (no recipe) are read unchanged.
// 3: the manifest's "missing_values", the tokens the training data was read with: CSV records
//    are read with them. A manifest without them (versions 1 and 2) means LegacyMissingTokens().
inline constexpr int kBundleFormatVersion = 3;

struct ModelBundle {
  nlohmann::json manifest;  // without the "files" entry, which SaveBundle fills
  std::string target_json;
  std::string encoding_json;
  std::string model_json;
  std::string config_json;
  std::string recipe_json;  // empty: no recipe
};

// The columns Predictor::Predict returns for a model of this target, as manifest JSON:
// [{"name": "prediction", "type": "string"}, {"name": "probability", "type": "float64"}, ...].
nlohmann::json OutputSchema(const Target& target);

// Stores the parts and the manifest; returns the manifest's SHA-256 (the model's address).
std::string SaveBundle(const ModelBundle& bundle, ArtifactStore& store);
// Reads a bundle by address. NotFound when a part is missing from the store, Corruption when the
// manifest is malformed, FailedPrecondition for a newer format version.
ModelBundle LoadBundle(ArtifactStore& store, const std::string& manifest_hash);

void ExportBundle(const ModelBundle& bundle, const std::filesystem::path& dir);
// Reads what ExportBundle wrote (in this workspace or another): the manifest, as exported
// (without "files"), and the parts. InvalidArgument when `dir` is not an export or a part is
// missing or does not load as a model; FailedPrecondition for a newer format version.
ModelBundle ReadExportedBundle(const std::filesystem::path& dir);

// A loaded model, ready to predict on Tables. Const after construction: safe to share between
// threads.
class Predictor {
 public:
  explicit Predictor(const ModelBundle& bundle);

  const Target& target() const { return target_; }
  const Encoding& encoding() const { return encoding_; }
  // The columns a caller gives the model (the manifest's input schema): the recipe's inputs
  // when it has a recipe, else the encoding's; never the target.
  const std::vector<Field>& inputs() const { return inputs_; }
  // The fitted recipe, or null when the model has none.
  const FittedRecipe* recipe() const { return recipe_ ? &*recipe_ : nullptr; }
  // `table` as the model's encoding receives it: through the recipe (scoring mode: every row
  // kept), or unchanged without one.
  Table Prepare(const Table& table) const;
  Task task() const { return target_.task; }
  // Regression: the training target's percentiles 1, 5, 10, 20, ..., 90, 95, 99 without
  // repeats, the buckets `mloop serve` counts predictions in (empty for a model that has none).
  const std::vector<double>& prediction_buckets() const { return prediction_buckets_; }
  // Clustering: how many clusters the model assigns (0 when unknown).
  int clusters() const { return clusters_; }
  // What a CSV record's field is read as missing for: the tokens the training data was read
  // with (the manifest's "missing_values"; LegacyMissingTokens() for a model made before they
  // were recorded), so that a record reads as the training rows did.
  const MissingTokens& missing_tokens() const { return missing_tokens_; }
  // The raw scores of each row (see Estimator::Predict).
  DenseMatrix Scores(const Table& table) const;
  // Scores as a table: classification -> `prediction` (the class label, in the target's type as
  // text) plus `probability` (binary: of the positive class) or `probability_<class>` columns;
  // regression -> `prediction`.
  Table Predict(const Table& table) const;
  // True when records may skip Tables: without a recipe the inputs go straight to the encoding
  // (Encoding::EncodeRow, RecordBatch's encode mode), and PredictEncoded predicts on its rows.
  bool encodes_records() const { return !recipe_; }
  // Predict's table for rows already encoded (Encoding::Transform's or EncodeRow's output).
  Table PredictEncoded(const DenseMatrix& x) const;
  // Threads Predict may use on a large table (<= 0: every core; see
  // Estimator::SetPredictThreads). Set before sharing the predictor between threads.
  void set_predict_threads(int threads) { estimator_->SetPredictThreads(threads); }
  // Per-feature contributions (SHAP values): a column `contribution_<feature>` per encoded
  // feature and `contribution_bias`, summing to the raw score (log-odds for binary); for
  // multiclass `contribution_<class>_<feature>` and `contribution_<class>_bias` per class,
  // summing to that class's margin.
  Table Explain(const Table& table) const;

 private:
  // The prediction columns for raw scores (Predict's second half).
  Table Decide(const DenseMatrix& scores) const;

  Target target_;
  Encoding encoding_;
  std::optional<FittedRecipe> recipe_;
  std::vector<Field> inputs_;
  std::unique_ptr<Estimator> estimator_;
  std::vector<double> prediction_buckets_;
  int clusters_ = 0;
  MissingTokens missing_tokens_;
};

}  // namespace mloop
