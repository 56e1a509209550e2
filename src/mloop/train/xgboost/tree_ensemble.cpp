#include "mloop/train/xgboost/tree_ensemble.h"

#include <fast_float/fast_float.h>
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "mloop/core/error.h"
#include "mloop/core/parallel.h"

namespace mloop {

namespace {

namespace od = simdjson::ondemand;

// Thrown for a model this compiler does not take; FromXgboostJson turns it into nullopt.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void Require(bool ok, const char* what) {
  if (!ok) throw Unsupported(what);
}

// `text` as a whole float (XGBoost writes each float32 in its shortest round-trip form: rounded
// once from the decimal, never through double, which could round twice) or integer.
float ParseFloat(std::string_view text) {
  float f = 0;
  auto [end, ec] = fast_float::from_chars(text.data(), text.data() + text.size(), f);
  Require(ec == std::errc() && end == text.data() + text.size(), "a number");
  return f;
}
int64_t ParseInt(std::string_view text) {
  int64_t i = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
  Require(ec == std::errc() && end == text.data() + text.size(), "an integer");
  return i;
}

od::json_type TypeOf(od::value v) {
  return v.type();
}

// A number's own text (the token without the whitespace after it).
std::string_view NumberText(od::value v) {
  Require(TypeOf(v) == od::json_type::number, "a number");
  std::string_view t = v.raw_json_token();
  while (!t.empty() &&
         (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t')) {
    t.remove_suffix(1);
  }
  return t;
}

// XGBoost writes its parameters as strings ("5E-1", "3"); accept numbers too.
float FloatParam(od::value v) {
  return TypeOf(v) == od::json_type::string ? ParseFloat(std::string_view(v.get_string()))
                                            : ParseFloat(NumberText(v));
}
int64_t IntParam(od::value v) {
  return TypeOf(v) == od::json_type::string ? ParseInt(std::string_view(v.get_string()))
                                            : int64_t(v.get_int64());
}

// default_left is an array of 0/1 in XGBoost 1.7's JSON, of booleans in some other versions.
bool BoolValue(od::value v) {
  return TypeOf(v) == od::json_type::boolean ? bool(v.get_bool()) : int64_t(v.get_int64()) != 0;
}

template <typename T, typename Read>
std::vector<T> ReadArray(od::value v, const Read& read) {
  std::vector<T> out;
  for (od::value item : v.get_array()) out.push_back(read(item));
  return out;
}

// One tree's arrays, as read.
struct TreeArrays {
  int64_t num_nodes = -1;
  int64_t size_leaf_vector = 0;
  bool categorical = false;
  std::vector<int64_t> left, right, feature;
  std::vector<float> cond;
  std::vector<char> default_left;
};

TreeArrays ReadTree(od::object tree) {
  TreeArrays t;
  bool has[5] = {false, false, false, false, false};
  auto ints = [](od::value v) {
    return ReadArray<int64_t>(v, [](od::value x) -> int64_t { return x.get_int64(); });
  };
  for (od::field field : tree) {
    const std::string_view key = field.unescaped_key();
    od::value v = field.value();
    if (key == "left_children") {
      t.left = ints(v), has[0] = true;
    } else if (key == "right_children") {
      t.right = ints(v), has[1] = true;
    } else if (key == "split_indices") {
      t.feature = ints(v), has[2] = true;
    } else if (key == "split_conditions") {
      t.cond = ReadArray<float>(v, [](od::value x) { return ParseFloat(NumberText(x)); });
      has[3] = true;
    } else if (key == "default_left") {
      t.default_left = ReadArray<char>(v, [](od::value x) -> char { return BoolValue(x); });
      has[4] = true;
    } else if (key == "split_type") {
      for (od::value s : v.get_array()) t.categorical |= int64_t(s.get_int64()) != 0;
    } else if (key == "categories_nodes") {
      t.categorical |= size_t(v.count_elements()) > 0;
    } else if (key == "tree_param") {
      for (od::field p : v.get_object()) {
        const std::string_view name = p.unescaped_key();
        if (name == "num_nodes") t.num_nodes = IntParam(p.value());
        if (name == "size_leaf_vector") t.size_leaf_vector = IntParam(p.value());
      }
    }
  }
  Require(has[0] && has[1] && has[2] && has[3] && has[4], "tree arrays");
  return t;
}

// The parts of XGBoost's JSON model the compiler reads.
struct ModelText {
  float base_score = 0;
  int64_t num_class = -1;
  int64_t num_feature = -1;
  int64_t num_target = 1;
  std::string objective;
  std::string booster;
  int64_t num_trees = -1;
  std::vector<int64_t> tree_info;
  std::vector<TreeArrays> trees;
  std::vector<float> weights;  // gblinear
  bool has_weights = false;
  bool has_base_score = false;
  bool has_trees = false;
  bool has_tree_info = false;
};

void ReadBoosterModel(od::object model, ModelText& m) {
  for (od::field field : model) {
    const std::string_view key = field.unescaped_key();
    od::value v = field.value();
    if (key == "gbtree_model_param") {
      for (od::field p : v.get_object()) {
        if (std::string_view(p.unescaped_key()) == "num_trees") m.num_trees = IntParam(p.value());
      }
    } else if (key == "tree_info") {
      m.tree_info = ReadArray<int64_t>(v, [](od::value x) -> int64_t { return x.get_int64(); });
      m.has_tree_info = true;
    } else if (key == "weights") {
      m.weights = ReadArray<float>(v, [](od::value x) { return ParseFloat(NumberText(x)); });
      m.has_weights = true;
    } else if (key == "trees") {
      for (od::value tree : v.get_array()) {
        Require(m.trees.size() < (size_t{1} << 24), "tree count");
        m.trees.push_back(ReadTree(tree.get_object()));
      }
      m.has_trees = true;
    }
  }
}

// Reads `json` in one pass in document order (XGBoost writes its keys sorted, so the trees come
// before the parameters that say how to read them; they are checked afterwards). Throws
// Unsupported or simdjson_error.
ModelText ReadModelText(std::string_view json) {
  ModelText m;
  simdjson::padded_string padded(json);
  od::parser parser;
  od::document doc = parser.iterate(padded);
  bool has_learner = false;
  for (od::field top : doc.get_object()) {
    if (std::string_view(top.unescaped_key()) != "learner") continue;
    has_learner = true;
    for (od::field field : top.value().get_object()) {
      const std::string_view key = field.unescaped_key();
      od::value v = field.value();
      if (key == "learner_model_param") {
        for (od::field p : v.get_object()) {
          const std::string_view name = p.unescaped_key();
          if (name == "base_score") {
            m.base_score = FloatParam(p.value());
            m.has_base_score = true;
          } else if (name == "num_class") {
            m.num_class = IntParam(p.value());
          } else if (name == "num_feature") {
            m.num_feature = IntParam(p.value());
          } else if (name == "num_target") {
            m.num_target = IntParam(p.value());
          }
        }
      } else if (key == "objective") {
        for (od::field p : v.get_object()) {
          if (std::string_view(p.unescaped_key()) == "name") {
            m.objective = std::string(std::string_view(p.value().get_string()));
          }
        }
      } else if (key == "gradient_booster") {
        for (od::field p : v.get_object()) {
          const std::string_view name = p.unescaped_key();
          if (name == "name") m.booster = std::string(std::string_view(p.value().get_string()));
          if (name == "model") ReadBoosterModel(p.value().get_object(), m);
        }
      }
    }
  }
  Require(has_learner && m.has_base_score && (m.has_weights || (m.has_trees && m.has_tree_info)),
          "model fields");
  return m;
}

}  // namespace

std::optional<TreeEnsemble> TreeEnsemble::FromXgboostJson(std::string_view json) {
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
    const ModelText m = ReadModelText(json);
    const float base_score = m.base_score;
    const int64_t num_class = m.num_class;
    const int64_t num_feature = m.num_feature;
    Require(m.num_target == 1, "multi-target model");
    Require(num_feature >= 1 && num_feature < (int64_t{1} << 30), "feature count");
    Require(num_class >= 0 && num_class <= 65535, "class count");

    // The objective fixes the base margin (XGBoost's ProbToMargin) and the transform.
    e.objective_ = m.objective;
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

    if (m.booster == "gblinear") {
      // (num_feature + 1) x groups, feature-major; the last row is the bias.
      Require(m.has_weights && m.weights.size() == static_cast<size_t>(num_feature + 1) *
                                                       static_cast<size_t>(e.num_groups_),
              "gblinear weights");
      for (float w : m.weights) Require(std::isfinite(w), "gblinear weight");
      e.linear_weights_ = m.weights;
      return e;
    }
    Require(m.booster == "gbtree", "booster");
    Require(m.trees.size() == m.tree_info.size(), "tree_info");
    Require(m.num_trees == static_cast<int64_t>(m.trees.size()), "num_trees");

    std::vector<int32_t> queue;
    std::vector<uint16_t> depth;
    std::vector<char> seen;
    for (size_t t = 0; t < m.trees.size(); ++t) {
      const TreeArrays& tree = m.trees[t];
      const int64_t group = m.tree_info[t];
      Require(group >= 0 && group < e.num_groups_, "tree group");
      Require(tree.size_leaf_vector == 0, "vector leaves");
      const int64_t n = tree.num_nodes;
      const auto& left = tree.left;
      const auto& right = tree.right;
      const auto& feature = tree.feature;
      const auto& cond = tree.cond;
      Require(n >= 1 && n < (int64_t{1} << 24) && left.size() == static_cast<size_t>(n) &&
                  right.size() == left.size() && feature.size() == left.size() &&
                  cond.size() == left.size() && tree.default_left.size() == left.size(),
              "tree arrays");
      Require(!tree.categorical, "categorical");

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
        const int64_t l = left[id];
        const int64_t r = right[id];
        RawNode node{cond[id], -1, false, 0};
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
          const int64_t f = feature[id];
          Require(f >= 0 && f < num_feature, "feature index");
          node.feature = static_cast<int32_t>(f);
          node.default_left = tree.default_left[id] != 0;
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
  } catch (const simdjson::simdjson_error&) {
    return std::nullopt;  // malformed JSON, a missing field or a field of the wrong type
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

// gblinear, as XGBoost 1.7's GBLinear::Pred: per group, the bias plus the base margin, then each
// present feature's value times its weight added in feature order, all in float.
void TreeEnsemble::LinearRowMargin(const float* features, float* margin) const {
  const int groups = num_groups_;
  const float* bias = linear_weights_.data() + static_cast<size_t>(num_features_) * groups;
  for (int g = 0; g < groups; ++g) {
    float sum = bias[g] + base_margin_;
    const float* w = linear_weights_.data() + g;
    for (int f = 0; f < num_features_; ++f) {
      const float x = features[f];
      if (x == x) sum += x * w[static_cast<size_t>(f) * groups];
    }
    margin[g] = sum;
  }
}

void TreeEnsemble::PredictRowMargin(const float* features, float* margin) const {
  if (is_linear()) return LinearRowMargin(features, margin);
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
  if (is_linear()) {
    // Blocks of rows over the threads; each row narrowed to float, then LinearRowMargin.
    constexpr int64_t kLinearBlock = 4096;
    const int64_t blocks = (x.rows + kLinearBlock - 1) / kLinearBlock;
    auto run = [&](int b) {
      std::vector<float> row(static_cast<size_t>(num_features_));
      std::vector<float> m(static_cast<size_t>(num_groups_));
      const int64_t end = std::min(x.rows, (b + 1) * kLinearBlock);
      for (int64_t r = b * kLinearBlock; r < end; ++r) {
        for (int f = 0; f < num_features_; ++f) row[f] = static_cast<float>(x.row(r)[f]);
        LinearRowMargin(row.data(), m.data());
        ApplyTransform(m.data());
        for (int g = 0; g < num_groups_; ++g) out->row(r)[g] = m[g];
      }
    };
    if (threads <= 1 || blocks == 1) {
      for (int64_t b = 0; b < blocks; ++b) run(static_cast<int>(b));
    } else {
      ParallelFor(static_cast<int>(blocks), threads, run);
    }
    return;
  }
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

namespace {

// The probe rows' pseudo-random draws: a 64-bit LCG's top 31 bits (deterministic everywhere).
uint64_t NextPick(uint64_t& state) {
  state = state * 6364136223846793005ull + 1442695040888963407ull;
  return state >> 33;
}

}  // namespace

DenseMatrix TreeEnsemble::ProbeRows(int rows) const {
  if (is_linear()) {
    // Missing values, zeros, signs and magnitudes from tiny to large: every product and sum.
    DenseMatrix x(rows, num_features_, 0.0);
    uint64_t state = 0x2545F4914F6CDD1Dull;
    for (int64_t r = 0; r < x.rows; ++r) {
      for (int64_t f = 0; f < x.cols; ++f) {
        const uint64_t pick = NextPick(state);
        const double unit = static_cast<double>(pick % 1000003) / 1000003.0 - 0.5;
        switch (pick % 6) {
          case 0:
            x.at(r, f) = std::numeric_limits<double>::quiet_NaN();
            break;
          case 1:
            x.at(r, f) = 0.0;
            break;
          case 2:
            x.at(r, f) = unit * 1e-3;
            break;
          case 3:
            x.at(r, f) = unit * 1e4;
            break;
          default:
            x.at(r, f) = unit * 10;
        }
      }
    }
    return x;
  }
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
      const uint64_t pick = NextPick(state);
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
