// TreeEnsemble: mloop's own evaluator for XGBoost tree ensembles (gbtree models), and for
// XGBoost's linear booster (gblinear), whose model it holds as dense coefficients.
//
// XGBoost's single-row prediction costs tens of microseconds of per-call overhead; walking 100
// trees of depth 8 takes about one. TreeEnsemble compiles XGBoost's JSON model (what
// XGBoosterSaveModelToBuffer writes, format "json") once into a flat table and evaluates it
// itself, with results bit for bit equal to XGBoost 1.7's.
//
// Semantics (XGBoost 1.7's CPU predictor, checked against its output in
// tests/train/tree_ensemble_test.cpp):
//   - features are float32: doubles are narrowed with static_cast<float>; NaN is missing;
//   - at a split, `x < threshold` goes to the left child, anything else (+inf included) to the
//     right, and a missing value follows the node's default child;
//   - each output group (one, or one per class) starts at the base margin, XGBoost's
//     ProbToMargin(base_score): the logit for binary:logistic and reg:logistic, the log for
//     count:poisson, reg:gamma and reg:tweedie, base_score itself otherwise (binary:logitraw
//     included); it adds the leaf value of each of its trees in float32, in the order of the
//     trees in the model (tree_info gives each tree's group; the num_parallel_tree trees of a
//     random forest are summed, not averaged);
//   - the transform is XGBoost's, in float32: sigmoid 1 / (expf(min(-m, 88.7)) + 1) (the cap
//     makes a margin below -88.7 give 3.0e-39, not 0); softmax subtracts the maximum (fmaxf),
//     takes expf, sums the exponentials in double and divides each by that sum rounded to
//     float; expf(m) for poisson, gamma and tweedie; the identity for the rest.
//
// Layout: all trees in one contiguous array of 8-byte nodes, each tree breadth first, so that a
// node's two children are adjacent (right = left + 1, as XGBoost allocates them) and the top
// levels share cache lines.
//   Node { float value; uint16_t slot; uint16_t next; }
//   value  the split threshold of an inner node, the leaf value of a leaf
//   slot   the row slot (below) the node compares
//   next   1 + the distance from the node to its left child; 1 for a leaf
// Missing values are resolved before the walk, once per row, into a row of slots: a feature
// that splits with default-left nodes has a slot where NaN becomes -inf (so `x < threshold`
// sends it left), one that splits with default-right nodes a slot where NaN becomes +inf (sent
// right); other values are copied. The last slot is always -inf, the slot every leaf reads: a
// leaf's `-inf < value` is true and its step returns to itself. So one step is
//   i = i + next - (slot[node.slot] < node.value)
// branch free, with no missing or leaf test, and a tree is walked with exactly `depth` steps,
// several walks interleaved: the single-row path steps kTreesPerStep trees together (their
// memory loads overlap), the batch path takes blocks of rows and, tree by tree (the outer loop,
// keeping one tree hot in cache), steps kRowsPerStep rows together. Leaf values are always added
// in tree order, so the interleaving never changes a sum. Only the features the trees use get
// slots, so a wide model with few used features fills few.
//
// gblinear (XGBoost 1.7's GBLinear::Pred): per output group, the bias plus the base margin, then
// value * weight of each present (non-NaN) feature added in feature order, in float; the same
// transform. XGBoost predicts it through a sparse page, one row at a time; this is a dense loop.
//
// Supported: gbtree models (boosted trees and XGBoost's random forests, any num_parallel_tree),
// numeric splits, missing values, objectives binary:logistic, reg:logistic, binary:logitraw,
// reg:squarederror, reg:squaredlogerror, reg:pseudohubererror, reg:absoluteerror, count:poisson,
// reg:gamma, reg:tweedie and multi:softprob; gblinear models with those objectives and finite
// weights. Not supported (FromXgboostJson gives nullopt and the
// caller keeps using XGBoost): the dart booster, categorical splits, vector leaves and
// multi-target models, other objectives (multi:softmax, ranking, survival, hinge), a threshold
// or leaf value that is NaN or -inf, trees whose right child is not the left child + 1 (XGBoost
// always allocates the two together and its predictor relies on it), more than 65,535 slots or a
// child distance of 65,535 or more (the 16-bit fields), and malformed or inconsistent JSON. For
// that last one, nullopt rather than an error: the caller has XGBoost load the model too, and
// XGBoost's error says what is wrong.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/matrix.h"

namespace mloop {

class TreeEnsemble {
 public:
  // Trees stepped together per row on the single-row path, rows stepped together per tree on the
  // batch path, and the most rows in a block of the batch path.
  static constexpr int kTreesPerStep = 16;
  static constexpr int kRowsPerStep = 16;
  static constexpr int kBlockRows = 128;

  // Compiles XGBoost's JSON model; nullopt for anything not supported (see above).
  static std::optional<TreeEnsemble> FromXgboostJson(std::string_view json);

  // Values per row: the number of classes for multi:softprob, otherwise 1.
  int num_outputs() const { return num_groups_; }
  // Features per row (XGBoost's num_feature).
  int num_features() const { return num_features_; }
  int num_trees() const { return static_cast<int>(tree_root_.size()); }
  // A gblinear model (dense coefficients, no trees).
  bool is_linear() const { return !linear_weights_.empty(); }
  const std::string& objective() const { return objective_; }

  // One row of num_features() floats (NaN = missing) -> num_outputs() values in `out`, as
  // XGBoost's predict gives them: probability of class 1 / class probabilities / value.
  void PredictRow(const float* features, float* out) const;
  // The raw scores before the transform (XGBoost's output_margin).
  void PredictRowMargin(const float* features, float* margin) const;

  // Every row of `x` (NaN = missing; InvalidArgument unless x.cols == num_features()) into `out`,
  // resized to x.rows x num_outputs(), the float results widened to double. Blocks of rows are
  // spread over up to `threads` threads (<= 1: the calling thread only). Equal to PredictRow row by
  // row.
  void Predict(const DenseMatrix& x, DenseMatrix* out, int threads) const;

  // `rows` rows that take many different paths through the trees, for checking this engine
  // against XGBoost: each value is missing, a split threshold of its feature, or the float just
  // below one (the two sides of `x < threshold`); for gblinear, missing values, zeros and values
  // of either sign from 1e-4 to 1e4. Deterministic.
  DenseMatrix ProbeRows(int rows) const;

 private:
  struct Node {
    float value;
    uint16_t slot;
    uint16_t next;
  };
  static constexpr size_t kMaxField = 65535;
  enum class Transform { kIdentity, kSigmoid, kExp, kSoftmax };

  TreeEnsemble() = default;

  static uint32_t Step(const Node* nodes, uint32_t i, const float* slots);
  int num_slots() const { return static_cast<int>(slot_feature_.size()) + 1; }
  template <typename T>
  void FillSlots(const T* features, float* slots) const;
  template <bool kOneGroup>
  void MarginRow(const float* slots, float* margin) const;
  template <bool kOneGroup>
  void MarginBlock(const float* slots, int64_t rows, float* margin) const;
  void ApplyTransform(float* values) const;
  void LinearRowMargin(const float* features, float* margin) const;

  // gblinear: (num_features_ + 1) x num_groups_ weights, feature-major, the bias row last.
  std::vector<float> linear_weights_;
  std::vector<Node> nodes_;  // every tree, then one dummy leaf (pads a partial chunk of trees)
  std::vector<uint32_t> tree_root_;
  std::vector<uint16_t> tree_depth_;
  std::vector<uint32_t> tree_group_;
  std::vector<uint16_t> chunk_depth_;  // deepest tree of each kTreesPerStep trees
  uint32_t dummy_leaf_ = 0;
  // The feature of each slot: the first num_left_slots_ turn NaN into -inf, the others into
  // +inf; the leaf slot (-inf) comes after them.
  std::vector<uint32_t> slot_feature_;
  int num_left_slots_ = 0;
  int num_features_ = 0;
  int num_groups_ = 1;
  float base_margin_ = 0;
  Transform transform_ = Transform::kIdentity;
  std::string objective_;
};

}  // namespace mloop
