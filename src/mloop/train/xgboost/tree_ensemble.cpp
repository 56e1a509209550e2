#include "mloop/train/xgboost/tree_ensemble.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "mloop/core/error.h"
#include "mloop/core/parallel.h"

namespace mloop {

namespace {

// JSON whose floating-point numbers are parsed straight to float (strtof): XGBoost writes each
// float32 in its shortest round-trip form, and going through double first could round twice.
using FloatJson = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t,
                                       std::uint64_t, float>;

// Thrown for a model this compiler does not take; FromXgboostJson turns it into nullopt.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void Require(bool ok, const char* what) {
  if (!ok) throw Unsupported(what);
}

// XGBoost writes its parameters as strings ("5E-1", "3"); accept numbers too.
float FloatParam(const FloatJson& v) {
  if (v.is_number()) return v.get<float>();
  const std::string s = v.get<std::string>();
  float f = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), f);
  Require(ec == std::errc() && end == s.data() + s.size(), "a parameter is not a number");
  return f;
}

int64_t IntParam(const FloatJson& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  const std::string s = v.get<std::string>();
  int64_t i = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), i);
  Require(ec == std::errc() && end == s.data() + s.size(), "a parameter is not an integer");
  return i;
}

float FloatValue(const FloatJson& v) {
  Require(v.is_number(), "a split condition is not a number");
  return v.get<float>();
}

// default_left is an array of 0/1 in XGBoost 1.7's JSON, of booleans in some other versions.
bool BoolValue(const FloatJson& v) {
  return v.is_boolean() ? v.get<bool>() : v.get<int64_t>() != 0;
}

}  // namespace

std::optional<TreeEnsemble> TreeEnsemble::FromXgboostJson(std::string_view json) {
  FloatJson j = FloatJson::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return std::nullopt;
  TreeEnsemble e;
  // Nodes as read, before the slots are numbered: feature -1 for a leaf.
  struct RawNode {
    float value;
    int32_t feature;
    bool default_left;
    uint32_t distance;
  };
  std::vector<RawNode> raw;
  try {
    const FloatJson& learner = j.at("learner");
    const FloatJson& param = learner.at("learner_model_param");
    const float base_score = FloatParam(param.at("base_score"));
    const int64_t num_class = IntParam(param.at("num_class"));
    const int64_t num_feature = IntParam(param.at("num_feature"));
    Require(!param.contains("num_target") || IntParam(param.at("num_target")) == 1,
            "multi-target model");
    Require(num_feature >= 1 && num_feature < (int64_t{1} << 30), "feature count");
    Require(num_class >= 0 && num_class <= 65535, "class count");

    // The objective fixes the base margin (XGBoost's ProbToMargin) and the transform.
    e.objective_ = learner.at("objective").at("name").get<std::string>();
    const std::string& obj = e.objective_;
    if (obj == "binary:logistic" || obj == "reg:logistic") {
      Require(base_score > 0.0f && base_score < 1.0f, "base_score outside (0, 1)");
      e.base_margin_ = -std::log(1.0f / base_score - 1.0f);
      e.transform_ = Transform::kSigmoid;
    } else if (obj == "count:poisson" || obj == "reg:gamma" || obj == "reg:tweedie") {
      e.base_margin_ = std::log(base_score);
      e.transform_ = Transform::kExp;
    } else if (obj == "binary:logitraw" || obj == "reg:squarederror" ||
               obj == "reg:squaredlogerror" || obj == "reg:pseudohubererror" ||
               obj == "reg:absoluteerror") {
      e.base_margin_ = base_score;
      e.transform_ = Transform::kIdentity;
    } else if (obj == "multi:softprob") {
      Require(num_class >= 1, "multi:softprob without classes");
      e.base_margin_ = base_score;
      e.transform_ = Transform::kSoftmax;
    } else {
      throw Unsupported("objective");
    }
    Require(obj == "multi:softprob" || num_class <= 1, "classes for a scalar objective");
    e.num_groups_ = static_cast<int>(std::max<int64_t>(num_class, 1));
    e.num_features_ = static_cast<int>(num_feature);

    const FloatJson& booster = learner.at("gradient_booster");
    Require(booster.at("name").get<std::string>() == "gbtree", "booster");
    const FloatJson& model = booster.at("model");
    const FloatJson& trees = model.at("trees");
    const FloatJson& tree_info = model.at("tree_info");
    Require(trees.is_array() && tree_info.is_array() && trees.size() == tree_info.size(),
            "tree_info");
    Require(IntParam(model.at("gbtree_model_param").at("num_trees")) ==
                static_cast<int64_t>(trees.size()),
            "num_trees");
    Require(trees.size() < (size_t{1} << 24), "tree count");

    std::vector<int32_t> queue;
    std::vector<uint16_t> depth;
    std::vector<char> seen;
    for (size_t t = 0; t < trees.size(); ++t) {
      const FloatJson& tree = trees[t];
      const int64_t group = tree_info[t].get<int64_t>();
      Require(group >= 0 && group < e.num_groups_, "tree group");
      const FloatJson& tree_param = tree.at("tree_param");
      Require(!tree_param.contains("size_leaf_vector") ||
                  IntParam(tree_param.at("size_leaf_vector")) == 0,
              "vector leaves");
      const int64_t n = IntParam(tree_param.at("num_nodes"));
      const FloatJson& left = tree.at("left_children");
      const FloatJson& right = tree.at("right_children");
      const FloatJson& feature = tree.at("split_indices");
      const FloatJson& cond = tree.at("split_conditions");
      const FloatJson& default_left = tree.at("default_left");
      Require(n >= 1 && n < (int64_t{1} << 24) && left.size() == static_cast<size_t>(n) &&
                  right.size() == left.size() && feature.size() == left.size() &&
                  cond.size() == left.size() && default_left.size() == left.size(),
              "tree arrays");
      if (tree.contains("split_type")) {
        for (const auto& s : tree.at("split_type")) Require(s.get<int64_t>() == 0, "categorical");
      }
      Require(!tree.contains("categories_nodes") || tree.at("categories_nodes").empty(),
              "categorical");

      // Breadth first from the root (deleted nodes, never reached, drop out): a node's children
      // are queued together, so they land next to each other.
      const size_t base = raw.size();
      Require(base + static_cast<size_t>(n) < (size_t{1} << 31), "node count");
      queue.assign(1, 0);
      depth.assign(1, 0);
      seen.assign(static_cast<size_t>(n), 0);
      seen[0] = 1;
      uint16_t tree_depth = 0;
      for (size_t pos = 0; pos < queue.size(); ++pos) {
        const int32_t id = queue[pos];
        const int64_t l = left[id].get<int64_t>();
        const int64_t r = right[id].get<int64_t>();
        RawNode node{FloatValue(cond[id]), -1, false, 0};
        // -inf or NaN would break the slot scheme (see the header); XGBoost never writes them.
        Require(node.value > -std::numeric_limits<float>::infinity(), "threshold or leaf value");
        if (l == -1) {
          Require(r == -1, "half a leaf");
          tree_depth = std::max(tree_depth, depth[pos]);
        } else {
          // XGBoost allocates a node's children together and its predictor takes left + 1 as
          // the right child; a tree that does not have them so is refused.
          Require(l >= 0 && r == l + 1 && r < n && !seen[l] && !seen[r], "child index");
          Require(depth[pos] < 60000, "tree depth");
          const int64_t f = feature[id].get<int64_t>();
          Require(f >= 0 && f < num_feature, "feature index");
          node.feature = static_cast<int32_t>(f);
          node.default_left = BoolValue(default_left[id]);
          node.distance = static_cast<uint32_t>(queue.size() - pos);
          seen[l] = seen[r] = 1;
          queue.push_back(static_cast<int32_t>(l));
          queue.push_back(static_cast<int32_t>(r));
          depth.push_back(static_cast<uint16_t>(depth[pos] + 1));
          depth.push_back(static_cast<uint16_t>(depth[pos] + 1));
        }
        raw.push_back(node);
      }
      e.tree_root_.push_back(static_cast<uint32_t>(base));
      e.tree_depth_.push_back(tree_depth);
      e.tree_group_.push_back(static_cast<uint32_t>(group));
    }
  } catch (const Unsupported&) {
    return std::nullopt;
  } catch (const FloatJson::exception&) {
    return std::nullopt;  // a missing field or a field of the wrong type
  }

  // Slots: the used (feature, missing goes left) pairs, the left ones first, in feature order.
  std::vector<int32_t> left_slot(static_cast<size_t>(e.num_features_), -1);
  std::vector<int32_t> right_slot(static_cast<size_t>(e.num_features_), -1);
  for (const RawNode& n : raw) {
    if (n.feature >= 0) (n.default_left ? left_slot : right_slot)[n.feature] = 0;
  }
  for (int f = 0; f < e.num_features_; ++f) {
    if (left_slot[f] == 0) {
      left_slot[f] = static_cast<int32_t>(e.slot_feature_.size());
      e.slot_feature_.push_back(static_cast<uint32_t>(f));
    }
  }
  e.num_left_slots_ = static_cast<int>(e.slot_feature_.size());
  for (int f = 0; f < e.num_features_; ++f) {
    if (right_slot[f] == 0) {
      right_slot[f] = static_cast<int32_t>(e.slot_feature_.size());
      e.slot_feature_.push_back(static_cast<uint32_t>(f));
    }
  }
  const size_t leaf_slot = e.slot_feature_.size();
  if (leaf_slot > kMaxField) return std::nullopt;  // too many slots for a node's 16 bits
  e.nodes_.reserve(raw.size() + 1);
  for (const RawNode& n : raw) {
    if (n.feature < 0) {
      e.nodes_.push_back(Node{n.value, static_cast<uint16_t>(leaf_slot), 1});
      continue;
    }
    if (n.distance + 1 > kMaxField) return std::nullopt;  // too wide a tree for 16 bits
    const int32_t slot = (n.default_left ? left_slot : right_slot)[n.feature];
    e.nodes_.push_back(
        Node{n.value, static_cast<uint16_t>(slot), static_cast<uint16_t>(n.distance + 1)});
  }
  // The dummy leaf pads the last chunk of trees on the single-row path; its value is never added.
  e.dummy_leaf_ = static_cast<uint32_t>(e.nodes_.size());
  e.nodes_.push_back(Node{0.0f, static_cast<uint16_t>(leaf_slot), 1});
  for (size_t t0 = 0; t0 < e.tree_depth_.size(); t0 += kTreesPerStep) {
    const size_t t1 = std::min(e.tree_depth_.size(), t0 + kTreesPerStep);
    e.chunk_depth_.push_back(*std::max_element(e.tree_depth_.begin() + static_cast<ptrdiff_t>(t0),
                                               e.tree_depth_.begin() + static_cast<ptrdiff_t>(t1)));
  }
  return e;
}

// One step of a walk (see the header): a leaf returns itself.
inline uint32_t TreeEnsemble::Step(const Node* nodes, uint32_t i, const float* slots) {
  const Node& n = nodes[i];
  return i + n.next - static_cast<uint32_t>(slots[n.slot] < n.value);
}

template <typename T>
void TreeEnsemble::FillSlots(const T* features, float* slots) const {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  const uint32_t* feature = slot_feature_.data();
  const int n = static_cast<int>(slot_feature_.size());
  for (int s = 0; s < num_left_slots_; ++s) {
    const float v = static_cast<float>(features[feature[s]]);
    slots[s] = v != v ? -kInf : v;
  }
  for (int s = num_left_slots_; s < n; ++s) {
    const float v = static_cast<float>(features[feature[s]]);
    slots[s] = v != v ? kInf : v;
  }
  slots[n] = -kInf;
}

template <bool kOneGroup>
void TreeEnsemble::MarginRow(const float* slots, float* margin) const {
  const Node* nodes = nodes_.data();
  const int trees = num_trees();
  float sum = base_margin_;
  if (!kOneGroup) std::fill(margin, margin + num_groups_, base_margin_);
  for (int t0 = 0, chunk = 0; t0 < trees; t0 += kTreesPerStep, ++chunk) {
    const int n = std::min(kTreesPerStep, trees - t0);
    uint32_t at[kTreesPerStep];
    for (int k = 0; k < kTreesPerStep; ++k) at[k] = k < n ? tree_root_[t0 + k] : dummy_leaf_;
    for (int d = chunk_depth_[chunk]; d > 0; --d) {
      // Unrolled, so that the walks stay in registers rather than vectorised through memory.
#pragma GCC unroll 16
      for (int k = 0; k < kTreesPerStep; ++k) at[k] = Step(nodes, at[k], slots);
    }
    // In tree order: float addition is not associative.
    for (int k = 0; k < n; ++k) {
      if (kOneGroup) {
        sum += nodes[at[k]].value;
      } else {
        margin[tree_group_[t0 + k]] += nodes[at[k]].value;
      }
    }
  }
  if (kOneGroup) margin[0] = sum;
}

template <bool kOneGroup>
void TreeEnsemble::MarginBlock(const float* slots, int64_t rows, float* margin) const {
  const Node* nodes = nodes_.data();
  const int64_t stride = num_slots();
  const int groups = num_groups_;
  const int trees = num_trees();
  for (int t = 0; t < trees; ++t) {
    const uint32_t root = tree_root_[t];
    const int depth = tree_depth_[t];
    const uint32_t group = kOneGroup ? 0 : tree_group_[t];
    for (int64_t r0 = 0; r0 < rows; r0 += kRowsPerStep) {
      const float* base = slots + r0 * stride;
      uint32_t at[kRowsPerStep];
      for (int r = 0; r < kRowsPerStep; ++r) at[r] = root;
      for (int d = depth; d > 0; --d) {
#pragma GCC unroll 16
        for (int r = 0; r < kRowsPerStep; ++r) at[r] = Step(nodes, at[r], base + r * stride);
      }
      for (int r = 0; r < kRowsPerStep; ++r) {
        margin[(r0 + r) * groups + group] += nodes[at[r]].value;
      }
    }
  }
}

void TreeEnsemble::ApplyTransform(float* v) const {
  switch (transform_) {
    case Transform::kIdentity:
      return;
    case Transform::kSigmoid: {
      // XGBoost 1.7's common::Sigmoid: exp's argument capped at 88.7 (below expf's overflow),
      // so that a margin under -88.7 gives 1 / (expf(88.7) + 1) = 3.0e-39, not 0. The epsilon
      // it adds never changes a float >= 1; kept to mirror it.
      constexpr float kEps = 1e-16f;
      const float e = std::exp(std::min(-v[0], 88.7f));
      v[0] = 1.0f / (e + 1.0f + kEps);
      return;
    }
    case Transform::kExp:
      v[0] = std::exp(v[0]);
      return;
    case Transform::kSoftmax: {
      float max = v[0];
      for (int g = 1; g < num_groups_; ++g) max = std::fmax(v[g], max);
      double sum = 0.0;
      for (int g = 0; g < num_groups_; ++g) {
        v[g] = std::exp(v[g] - max);
        sum += v[g];
      }
      const float total = static_cast<float>(sum);
      for (int g = 0; g < num_groups_; ++g) v[g] /= total;
      return;
    }
  }
}

void TreeEnsemble::PredictRowMargin(const float* features, float* margin) const {
  constexpr int kStackSlots = 512;
  float stack[kStackSlots];
  std::vector<float> heap;
  float* slots = stack;
  if (num_slots() > kStackSlots) {
    heap.resize(static_cast<size_t>(num_slots()));
    slots = heap.data();
  }
  FillSlots(features, slots);
  if (num_groups_ == 1) {
    MarginRow<true>(slots, margin);
  } else {
    MarginRow<false>(slots, margin);
  }
}

void TreeEnsemble::PredictRow(const float* features, float* out) const {
  PredictRowMargin(features, out);
  ApplyTransform(out);
}

void TreeEnsemble::Predict(const DenseMatrix& x, DenseMatrix* out, int threads) const {
  if (x.cols != num_features_) {
    throw InvalidArgument("the model takes " + std::to_string(num_features_) +
                          " features, the data has " + std::to_string(x.cols));
  }
  *out = DenseMatrix(x.rows, num_groups_);
  if (x.rows == 0) return;
  if (x.rows < kRowsPerStep) {
    // A few rows (a request to the server): the single-row walk, several trees at a time.
    std::vector<float> slots(static_cast<size_t>(num_slots()));
    std::vector<float> m(static_cast<size_t>(num_groups_));
    for (int64_t r = 0; r < x.rows; ++r) {
      FillSlots(x.row(r), slots.data());
      if (num_groups_ == 1) {
        MarginRow<true>(slots.data(), m.data());
      } else {
        MarginRow<false>(slots.data(), m.data());
      }
      ApplyTransform(m.data());
      for (int g = 0; g < num_groups_; ++g) out->row(r)[g] = m[g];
    }
    return;
  }
  // Blocks of about 32k slots (128 KB of floats), a multiple of kRowsPerStep rows.
  const int64_t stride = num_slots();
  const int64_t block_rows =
      std::clamp<int64_t>((32768 / stride) / kRowsPerStep * kRowsPerStep, kRowsPerStep, kBlockRows);
  const int64_t blocks = (x.rows + block_rows - 1) / block_rows;
  const int groups = num_groups_;
  auto run = [&](int b) {
    const int64_t begin = b * block_rows;
    const int64_t n = std::min(block_rows, x.rows - begin);
    // The walk takes whole steps of kRowsPerStep rows: rows past the end of the matrix stay all
    // -inf, walked like any row and never written out.
    const int64_t walked = (n + kRowsPerStep - 1) / kRowsPerStep * kRowsPerStep;
    std::vector<float> slots(static_cast<size_t>(walked * stride),
                             -std::numeric_limits<float>::infinity());
    for (int64_t r = 0; r < n; ++r) FillSlots(x.row(begin + r), slots.data() + r * stride);
    std::vector<float> margin(static_cast<size_t>(walked * groups), base_margin_);
    if (groups == 1) {
      MarginBlock<true>(slots.data(), walked, margin.data());
    } else {
      MarginBlock<false>(slots.data(), walked, margin.data());
    }
    double* dst = out->row(begin);
    for (int64_t r = 0; r < n; ++r) {
      float* m = margin.data() + r * groups;
      ApplyTransform(m);
      for (int g = 0; g < groups; ++g) dst[r * groups + g] = m[g];
    }
  };
  if (threads <= 1 || blocks == 1) {
    for (int64_t b = 0; b < blocks; ++b) run(static_cast<int>(b));
  } else {
    ParallelFor(static_cast<int>(blocks), threads, run);
  }
}

DenseMatrix TreeEnsemble::ProbeRows(int rows) const {
  std::vector<std::vector<float>> thresholds(static_cast<size_t>(num_features_));
  for (const Node& n : nodes_) {
    if (n.next > 1) {  // an inner node
      thresholds[slot_feature_[n.slot]].push_back(n.value);
    }
  }
  DenseMatrix x(rows, num_features_, 0.0);
  uint64_t state = 0x9E3779B97F4A7C15ull;
  for (int64_t r = 0; r < x.rows; ++r) {
    for (int64_t f = 0; f < x.cols; ++f) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      const uint64_t pick = state >> 33;
      const auto& t = thresholds[static_cast<size_t>(f)];
      if (r == 0 || pick % 8 == 0) {
        x.at(r, f) = std::numeric_limits<double>::quiet_NaN();
      } else if (!t.empty()) {
        const float v = t[(pick / 8) % t.size()];
        x.at(r, f) = pick % 2 ? v : std::nextafter(v, -std::numeric_limits<float>::infinity());
      }
    }
  }
  return x;
}

}  // namespace mloop
