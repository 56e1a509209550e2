// ComputeProfile: every column profiled on its own thread (one sort per numeric column gives the
// quantiles, distinct count, top values, histogram, ranks and the target association), then
// the correlations, duplicate rows, the target's profile and the alerts.
#include "mloop/profile/profile.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <set>

#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/core/prefetch.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/profile/internal.h"

namespace mloop {

using namespace profile_internal;

std::string_view SemanticTypeName(SemanticType t) {
  switch (t) {
    case SemanticType::kNumeric:
      return "numeric";
    case SemanticType::kCategorical:
      return "categorical";
    case SemanticType::kBoolean:
      return "boolean";
    case SemanticType::kDatetime:
      return "datetime";
    case SemanticType::kText:
      return "text";
    case SemanticType::kIdLike:
      return "id_like";
    case SemanticType::kConstant:
      return "constant";
    case SemanticType::kEmpty:
      return "empty";
  }
  return "numeric";
}

const ColumnProfile* Profile::Find(std::string_view column) const {
  for (const ColumnProfile& c : column_profiles) {
    if (c.name == column) return &c;
  }
  return nullptr;
}

namespace {

// Semantic-type thresholds (docs/formats.md, "Profile").
constexpr int64_t kIdLikeMinCount = 10;    // fewer present values prove nothing
constexpr double kIdLikeMaxSpread = 2.0;   // an int64 id's (max - min) / count is below this
constexpr double kTextMinMeanLength = 30;  // code points
constexpr double kTextMinDistinctShare = 0.5;
constexpr size_t kMaxIntClasses = 20;  // as train/target.h: more means regression

const std::vector<std::pair<std::string, double>> kQuantiles = {
    {"p1", 0.01},  {"p5", 0.05},  {"p25", 0.25}, {"p50", 0.5},
    {"p75", 0.75}, {"p95", 0.95}, {"p99", 0.99}};

enum class TargetKind { kNone, kBinary, kMulticlass, kRegression };

// The target, encoded once for every feature's association.
struct TargetData {
  int column = -1;
  TargetKind kind = TargetKind::kNone;
  BigVector<int32_t> label;              // classification: class index per row, -1 where missing
  std::vector<std::string> class_names;  // in class order
  std::vector<int64_t> class_sizes;
  BigVector<double> value;  // regression: per row, NaN where missing or not finite
};

// What a column's profile needs beyond ColumnProfile.
struct ColumnExtras {
  double normalized_mi = kNaN;  // multiclass: MI / H(target), for the leakage alert
};

std::string Fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string Short(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4g", v);
  return buf;
}

// --- The target --------------------------------------------------------------------------------

void SetClasses(TargetData& t, std::vector<std::string> names, BigVector<int32_t> label) {
  t.class_names = std::move(names);
  t.label = std::move(label);
  t.class_sizes.assign(t.class_names.size(), 0);
  for (int32_t l : t.label) {
    if (l >= 0) ++t.class_sizes[l];
  }
  // One class is a (degenerate) binary target, as scikit-learn's type_of_target says: no
  // feature's association is defined, and the unusable_target alert says why.
  t.kind = t.class_names.size() <= 2 ? TargetKind::kBinary : TargetKind::kMulticlass;
}

TargetData PrepareTarget(const Table& table, const std::string& name) {
  TargetData t;
  if (name.empty()) return t;
  t.column = table.schema().IndexOf(name);
  if (t.column < 0) {
    throw NotFound("target column '" + name + "' is not in the table" +
                   DidYouMean(name, table.schema().names()));
  }
  const Column& c = table.column(t.column);
  const int64_t n = c.size();
  BigVector<int32_t> label(n, -1);
  if (c.type() == DataType::kBool) {
    bool seen[2] = {false, false};
    for (int64_t i = 0; i < n; ++i) {
      if (c.IsValid(i)) seen[c.bools()[i]] = true;
    }
    std::vector<std::string> names;
    int32_t index[2] = {-1, -1};
    for (int v = 0; v < 2; ++v) {
      if (seen[v]) {
        index[v] = static_cast<int32_t>(names.size());
        names.push_back(v ? "true" : "false");
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      if (c.IsValid(i)) label[i] = index[c.bools()[i]];
    }
    SetClasses(t, std::move(names), std::move(label));
    return t;
  }
  if (c.type() == DataType::kString) {
    const std::vector<int32_t> canonical = CanonicalCodes(c.dictionary());
    std::vector<char> present(canonical.size(), 0);
    for (int64_t i = 0; i < n; ++i) {
      if (c.IsValid(i)) present[canonical[c.codes()[i]]] = 1;
    }
    std::vector<int32_t> codes;
    for (size_t k = 0; k < present.size(); ++k) {
      if (present[k]) codes.push_back(static_cast<int32_t>(k));
    }
    const Dictionary& dict = c.dictionary();
    std::sort(codes.begin(), codes.end(), [&](int32_t a, int32_t b) { return dict[a] < dict[b]; });
    std::vector<int32_t> index(canonical.size(), -1);
    std::vector<std::string> names;
    for (int32_t k : codes) {
      index[k] = static_cast<int32_t>(names.size());
      names.push_back(dict[k]);
    }
    for (int64_t i = 0; i < n; ++i) {
      if (c.IsValid(i)) label[i] = index[canonical[c.codes()[i]]];
    }
    SetClasses(t, std::move(names), std::move(label));
    return t;
  }
  if (c.type() == DataType::kInt64) {
    std::set<int64_t> distinct;
    for (int64_t i = 0; i < n && distinct.size() <= kMaxIntClasses; ++i) {
      if (c.IsValid(i)) distinct.insert(c.i64()[i]);
    }
    if (distinct.size() <= kMaxIntClasses) {
      std::vector<int64_t> classes(distinct.begin(), distinct.end());
      std::vector<std::string> names;
      for (int64_t v : classes) names.push_back(std::to_string(v));
      for (int64_t i = 0; i < n; ++i) {
        if (!c.IsValid(i)) continue;
        label[i] = static_cast<int32_t>(
            std::lower_bound(classes.begin(), classes.end(), c.i64()[i]) - classes.begin());
      }
      SetClasses(t, std::move(names), std::move(label));
      return t;
    }
  }
  t.kind = TargetKind::kRegression;
  t.value.assign(n, kNaN);
  for (int64_t i = 0; i < n; ++i) {
    if (!c.IsValid(i)) continue;
    double v = c.type() == DataType::kFloat64 ? c.f64()[i] : static_cast<double>(c.i64()[i]);
    if (std::isfinite(v)) t.value[i] = v;
  }
  return t;
}

// --- Top values --------------------------------------------------------------------------------

// The k largest counts offered in ascending value order; ties keep the earlier (smaller) value.
class TopK {
 public:
  explicit TopK(size_t k) : k_(k) {}
  void Offer(int64_t count, size_t id) {
    if (k_ == 0 || (best_.size() == k_ && count <= best_.back().first)) return;
    auto at = std::upper_bound(best_.begin(), best_.end(), count,
                               [](int64_t c, const auto& e) { return c > e.first; });
    best_.insert(at, {count, id});
    if (best_.size() > k_) best_.pop_back();
  }
  const std::vector<std::pair<int64_t, size_t>>& best() const { return best_; }
  // Counts at or below this cannot enter: most runs, of one value each, skip Offer.
  int64_t floor() const {
    if (k_ == 0) return std::numeric_limits<int64_t>::max();
    return best_.size() < k_ ? 0 : best_.back().first;
  }

 private:
  size_t k_;
  std::vector<std::pair<int64_t, size_t>> best_;
};

std::string KeyText(DataType type, uint64_t key) {
  switch (type) {
    case DataType::kFloat64:
      return FormatDouble(DoubleOfKey(key));
    case DataType::kBool:
      return key ? "true" : "false";
    case DataType::kTimestamp:
      return FormatTimestamp(IntOfKey(key));
    default:
      return std::to_string(IntOfKey(key));
  }
}

double KeyValue(DataType type, uint64_t key) {
  switch (type) {
    case DataType::kFloat64:
      return DoubleOfKey(key);
    case DataType::kBool:
      return static_cast<double>(key);
    default:
      return static_cast<double>(IntOfKey(key));
  }
}

// --- Semantic types ----------------------------------------------------------------------------

SemanticType Classify(const ColumnProfile& p) {
  if (p.count == 0) return SemanticType::kEmpty;
  if (p.distinct <= 1) return SemanticType::kConstant;
  const bool all_distinct = p.distinct == p.count && p.count >= kIdLikeMinCount;
  switch (p.type) {
    case DataType::kBool:
      return SemanticType::kBoolean;
    case DataType::kTimestamp:
      return SemanticType::kDatetime;
    case DataType::kString:
      if (p.length_mean.value_or(0) >= kTextMinMeanLength &&
          static_cast<double>(p.distinct) >= kTextMinDistinctShare * static_cast<double>(p.count)) {
        return SemanticType::kText;
      }
      return all_distinct ? SemanticType::kIdLike : SemanticType::kCategorical;
    case DataType::kInt64: {
      // Identifiers count through a range (1, 2, 3, ... or every other number); distinct whole
      // numbers spread over a range far wider than their count are measurements (amounts in
      // cents, epoch seconds) and keep their statistics and histogram.
      const bool dense =
          p.min && p.max && *p.max - *p.min < kIdLikeMaxSpread * static_cast<double>(p.count);
      return all_distinct && dense ? SemanticType::kIdLike : SemanticType::kNumeric;
    }
    case DataType::kFloat64:
      return SemanticType::kNumeric;
  }
  return SemanticType::kNumeric;
}

// --- Numeric and timestamp columns ---------------------------------------------------------------

// A sortable column's present values in ascending order, with their rows. One per thread,
// reused from column to column (and by the duplicate-row count): fresh memory costs a page
// fault per page, which in a VM costs more than the work done on the page.
struct SortedColumn {
  DataType type = DataType::kFloat64;
  KeyRows items;
  size_t begin = 0;  // items[begin, end) hold the finite values
  size_t end = 0;
  KeyRows scratch;

  size_t finite() const { return end - begin; }
  // The i-th smallest finite value.
  double At(size_t i) const { return KeyValue(type, items[begin + i].key); }
  SortedAt Accessor() const {
    return [this](size_t i) { return At(i); };
  }
  // How many finite values are below x (or at most x).
  size_t CountBelow(double x, bool or_equal = false) const {
    size_t lo = 0;
    size_t hi = finite();
    while (lo < hi) {
      const size_t mid = lo + (hi - lo) / 2;
      const double v = At(mid);
      if (v < x || (or_equal && v == x)) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
};

// One pass over sorted items [begin, end): runs of equal keys give the distinct count, the top
// values, the power sums (finite values only) and the doubled average ranks. Kept tight: a
// million runs of one value each are the common case.
template <class Value>
void WalkRuns(const KeyRow* items, size_t begin, size_t end, size_t rank_base, const Value& value,
              bool finite, uint32_t* twice_rank, TopK& top, int64_t& distinct, PowerSums& sums) {
  constexpr int kBlock = 1024;  // runs per block of partial sums
  const double shift = sums.shift();
  double partial[5] = {0, 0, 0, 0, 0};
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;  // locals: the loop keeps them in registers
  double s0_error = 0;                            // s0 is compensated (PowerSums::sum)
  int64_t block_count = 0;
  int in_block = 0;
  int64_t floor = top.floor();
  int64_t runs = 0;
  // Ranks tie equal doubles, as pandas' corr (which converts to float64 first): int64 values
  // beyond 2^53 can be different keys but one double. The pending tie is [tie_start, i).
  size_t tie_start = begin;
  double tie_value = begin < end ? value(items[begin].key) : 0.0;
  auto rank_tie = [&](size_t tie_end) {
    // Positions tie_start + 1 .. tie_end (1-based, from rank_base) share their average rank.
    const uint32_t rank =
        static_cast<uint32_t>((tie_start - rank_base) + 1 + (tie_end - rank_base));
    for (size_t k = tie_start; k < tie_end; ++k) twice_rank[items[k].row] = rank;
  };
  // The ranks go to random rows of a vector far larger than the cache: each store misses.
  // Fetching the line of the value kRankAhead places on keeps many misses in flight.
  constexpr size_t kRankAhead = 64;
  for (size_t i = begin; i < end;) {
    if (twice_rank && i + kRankAhead < end) {
      PrefetchForWrite(reinterpret_cast<uintptr_t>(twice_rank + items[i + kRankAhead].row));
    }
    const uint64_t key = items[i].key;
    size_t j = i + 1;
    while (j < end && items[j].key == key) ++j;
    const int64_t count = static_cast<int64_t>(j - i);
    ++runs;
    if (count > floor) {
      top.Offer(count, i);
      floor = top.floor();
    }
    if (finite) {
      const double v = value(key);
      if (twice_rank && v != tie_value) {
        rank_tie(i);
        tie_start = i;
        tie_value = v;
      }
      const double c = static_cast<double>(count);
      const double d = v - shift;
      const double cd2 = c * d * d;
      PowerSums::NeumaierAdd(s0, s0_error, c * v);
      s1 += c * d;
      s2 += cd2;
      s3 += cd2 * d;
      s4 += cd2 * d * d;
      block_count += count;
      if (++in_block == kBlock) {
        partial[0] = s0 + s0_error, partial[1] = s1, partial[2] = s2, partial[3] = s3,
        partial[4] = s4;
        sums.AddBlock(partial, block_count);
        s0 = s1 = s2 = s3 = s4 = s0_error = 0;
        block_count = 0;
        in_block = 0;
      }
    }
    i = j;
  }
  if (twice_rank && begin < end) rank_tie(end);
  partial[0] = s0 + s0_error, partial[1] = s1, partial[2] = s2, partial[3] = s3, partial[4] = s4;
  sums.AddBlock(partial, block_count);
  distinct += runs;
}

// Sorts the column, then walks the sorted values once: distinct count, top values, the sums
// behind the moments and, for a numeric column (`work`), the doubled average ranks per row.
PowerSums SortAndWalk(const Column& c, int top_k, SortedColumn& s, ColumnProfile& out,
                      NumericWork* work) {
  const FiniteRange finite = SortColumnKeys(c, s.items, s.scratch);
  s.type = c.type();
  s.begin = finite.begin;
  s.end = finite.end;
  uint32_t* twice_rank = nullptr;
  if (work) {
    work->twice_rank.resize(c.size());
    if (s.finite() != static_cast<size_t>(c.size())) {
      std::fill(work->twice_rank.begin(), work->twice_rank.end(), 0);
    }
    twice_rank = work->twice_rank.data();
  }
  const DataType type = c.type();
  const KeyRow* items = s.items.data();
  const size_t n = s.items.size();
  PowerSums sums(s.finite() ? Quantile(s.finite(), 0.5, s.Accessor()) : 0.0);
  TopK top(static_cast<size_t>(std::max(top_k, 0)));
  int64_t distinct = 0;
  auto walk = [&](const auto& value) {
    // -inf, the finite values, +inf: runs never cross these bounds.
    WalkRuns(items, 0, s.begin, 0, value, false, nullptr, top, distinct, sums);
    WalkRuns(items, s.begin, s.end, s.begin, value, true, twice_rank, top, distinct, sums);
    WalkRuns(items, s.end, n, 0, value, false, nullptr, top, distinct, sums);
  };
  if (type == DataType::kFloat64) {
    walk([](uint64_t key) { return DoubleOfKey(key); });
  } else if (type == DataType::kBool) {
    walk([](uint64_t key) { return static_cast<double>(key); });
  } else {
    walk([](uint64_t key) { return static_cast<double>(IntOfKey(key)); });
  }
  out.count = static_cast<int64_t>(n);
  out.infinite = static_cast<int64_t>(n - s.finite());
  out.distinct = distinct;
  for (const auto& [count, at] : top.best()) {
    out.top_values.push_back({KeyText(type, items[at].key), count});
  }
  return sums;
}

void NumericSummary(const SortedColumn& s, const PowerSums& sums, ColumnProfile& out) {
  const size_t n = s.finite();
  const Moments m = sums.Finish();
  out.mean = m.mean;
  out.std = m.std;
  out.skewness = m.skewness;
  out.kurtosis = m.kurtosis;
  out.sum = sums.sum();
  out.min = n ? s.At(0) : kNaN;
  out.max = n ? s.At(n - 1) : kNaN;
  for (const auto& [name, q] : kQuantiles) out.quantiles[name] = Quantile(n, q, s.Accessor());
  out.negatives = static_cast<int64_t>(s.CountBelow(0.0));
  out.zeros = static_cast<int64_t>(s.CountBelow(0.0, true)) - out.negatives;
  if (n > 0) {
    const double q1 = out.quantiles["p25"];
    const double q3 = out.quantiles["p75"];
    const double iqr = q3 - q1;
    // Quartiles interpolated beyond a double (values near +-1e308) give no fences.
    if (!std::isfinite(q1) || !std::isfinite(q3) || std::isnan(iqr)) return;
    out.outliers = static_cast<int64_t>(s.CountBelow(q1 - 1.5 * iqr) +
                                        (n - s.CountBelow(q3 + 1.5 * iqr, true)));
  }
}

// The feature's values per row as doubles, NaN where missing or not finite.
BigVector<double> RowValues(const Column& c) {
  BigVector<double> out(c.size(), kNaN);
  for (int64_t i = 0; i < c.size(); ++i) {
    if (!c.IsValid(i)) continue;
    double v = c.type() == DataType::kFloat64 ? c.f64()[i]
               : c.type() == DataType::kBool  ? c.bools()[i]
                                              : static_cast<double>(c.i64()[i]);
    if (std::isfinite(v)) out[i] = v;
  }
  return out;
}

// The association of a sortable feature with the target (see TargetProfile::association_kind).
void NumericAssociation(const Column& c, const SortedColumn& s, const TargetData& target,
                        ColumnProfile& out, ColumnExtras& extras) {
  if (s.finite() == 0) return;
  double value = kNaN;
  // The labels are read at random rows (the values' order): each read misses the cache, so
  // the label kLabelAhead values on is fetched early, as the walk's rank stores are.
  constexpr size_t kLabelAhead = 64;
  const int32_t* labels = target.label.data();
  auto fetch_ahead = [&](size_t j) {
    if (j + kLabelAhead < s.end) {
      PrefetchForRead(reinterpret_cast<uintptr_t>(labels + s.items[j + kLabelAhead].row));
    }
  };
  if (target.kind == TargetKind::kBinary) {
    std::vector<TieGroup> groups;
    for (size_t i = s.begin; i < s.end;) {
      TieGroup g;
      size_t j = i;
      for (; j < s.end && s.items[j].key == s.items[i].key; ++j) {
        fetch_ahead(j);
        const int32_t l = labels[s.items[j].row];
        if (l == 1) ++g.positives;
        if (l == 0) ++g.negatives;
      }
      groups.push_back(g);
      i = j;
    }
    value = RocAucOfGroups(groups);
    if (!std::isnan(value)) value = std::max(value, 1 - value);
  } else if (target.kind == TargetKind::kMulticlass) {
    if (!out.histogram) return;  // a range beyond a double's
    const Histogram& h = *out.histogram;
    const int bins = static_cast<int>(h.counts.size());
    const int classes = static_cast<int>(target.class_names.size());
    std::vector<int64_t> table(static_cast<size_t>(classes) * bins, 0);
    size_t i = s.begin;
    for (int b = 0; b < bins; ++b) {  // the values are sorted: each bin is one stretch
      for (int64_t k = 0; k < h.counts[b]; ++k, ++i) {
        fetch_ahead(i);
        const int32_t l = labels[s.items[i].row];
        if (l >= 0) ++table[static_cast<size_t>(l) * bins + b];
      }
    }
    value = MutualInformation(table, classes, bins, &extras.normalized_mi);
  } else if (target.kind == TargetKind::kRegression) {
    const BigVector<double> x = RowValues(c);
    value = std::fabs(PearsonComplete(x.data(), target.value.data(), x.size()));
    if (!std::isnan(value)) value = std::min(value, 1.0);
  }
  if (!std::isnan(value)) out.target_association = value;
}

void ProfileSortable(const Column& c, const ProfileOptions& options, const TargetData& target,
                     bool not_scored, SortedColumn& s, ColumnProfile& out, NumericWork* work,
                     ColumnExtras& extras) {
  const PowerSums sums = SortAndWalk(c, options.top_k, s, out, work);
  const size_t n = s.finite();
  if (c.type() == DataType::kTimestamp) {
    if (n > 0) {
      out.min = s.At(0);
      out.max = s.At(n - 1);
      out.first_time = FormatTimestamp(IntOfKey(s.items.front().key));
      out.last_time = FormatTimestamp(IntOfKey(s.items.back().key));
    }
  } else {
    NumericSummary(s, sums, out);
  }
  // A range wider than a double holds (-1e308 to 1e308) has no bins: numpy.histogram refuses it.
  if (n > 0 && std::isfinite(s.At(n - 1) - s.At(0))) {
    Histogram h;
    h.edges = HistogramEdges(s.At(0), s.At(n - 1), options.bins);
    h.counts = HistogramCounts(n, h.edges, s.Accessor());
    out.histogram = std::move(h);
  }
  if (work) {
    work->complete = static_cast<int64_t>(n) == c.size();
    work->shift = sums.shift();
    work->offset = sums.offset();
  }
  if (target.kind != TargetKind::kNone && !not_scored) {
    NumericAssociation(c, s, target, out, extras);
  }
}

// --- String columns ------------------------------------------------------------------------------

size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char ch : s) n += (ch & 0xC0) != 0x80;
  return n;
}

// Folds of the out-of-fold category rates in StringAssociation.
constexpr int kAssociationFolds = 5;

void StringAssociation(const Column& c, const std::vector<int32_t>& canonical,
                       const TargetData& target, ColumnProfile& out, ColumnExtras& extras) {
  const int64_t n = c.size();
  const size_t codes = canonical.size();
  const int32_t* code = c.codes();
  double value = kNaN;
  if (target.kind == TargetKind::kBinary || target.kind == TargetKind::kRegression) {
    // Score = the category's positive rate (binary) or mean target (regression), taken out of
    // fold: row i is in fold i % 5 and scored by the other folds' rows, a category they do not
    // hold by their overall rate. In-sample rates made many small categories look predictive
    // (100 random codes over 300 rows: AUC 0.81 for noise). Out of fold, their direction is
    // kept (see below).
    const bool binary = target.kind == TargetKind::kBinary;
    // Sums and counts of the target per fold and category, per fold, per category, and in all.
    std::array<std::vector<double>, kAssociationFolds> sum, count;
    for (int f = 0; f < kAssociationFolds; ++f) {
      sum[f].assign(codes, 0.0);
      count[f].assign(codes, 0.0);
    }
    std::array<double, kAssociationFolds> fold_sum{}, fold_count{};
    std::vector<double> total_sum(codes, 0.0), total_count(codes, 0.0);
    double all_sum = 0, all_count = 0;
    auto y_of = [&](int64_t i) {
      if (binary) return target.label[i] < 0 ? kNaN : static_cast<double>(target.label[i]);
      return target.value[i];
    };
    for (int64_t i = 0; i < n; ++i) {
      const double y = y_of(i);
      if (!c.IsValid(i) || std::isnan(y)) continue;
      const int f = static_cast<int>(i % kAssociationFolds);
      const int32_t k = canonical[code[i]];
      sum[f][k] += y, count[f][k] += 1;
      fold_sum[f] += y, fold_count[f] += 1;
      total_sum[k] += y, total_count[k] += 1;
      all_sum += y, all_count += 1;
    }
    BigVector<double> score(n, kNaN);
    bool defined = true;
    for (int64_t i = 0; i < n && defined; ++i) {
      if (!c.IsValid(i) || std::isnan(y_of(i))) continue;
      const int f = static_cast<int>(i % kAssociationFolds);
      const int32_t k = canonical[code[i]];
      const double others = all_count - fold_count[f];
      if (others == 0) defined = false;  // every row in one fold: nothing scores it
      const double kc = total_count[k] - count[f][k];
      score[i] = kc > 0 ? (total_sum[k] - sum[f][k]) / kc : (all_sum - fold_sum[f]) / others;
    }
    if (defined && binary) {
      std::vector<std::pair<double, int32_t>> scored;
      for (int64_t i = 0; i < n; ++i) {
        if (!std::isnan(score[i])) scored.push_back({score[i], target.label[i]});
      }
      std::sort(scored.begin(), scored.end(),
                [](const auto& a, const auto& b) { return a.first < b.first; });
      std::vector<TieGroup> groups;
      for (size_t i = 0; i < scored.size(); ++i) {
        if (i == 0 || scored[i].first != scored[i - 1].first) groups.emplace_back();
        (scored[i].second == 1 ? groups.back().positives : groups.back().negatives) += 1;
      }
      // The score's direction is its own (a higher rate means more positives), so it is not
      // flipped: out-of-fold rates of noise run against the label (a row's own fold holds the
      // positives its score lacks), and max(AUC, 1 - AUC) made noise score 0.58 and rank first.
      // Below 0.5 is no association: 0.5.
      value = RocAucOfGroups(groups);
      if (!std::isnan(value)) value = std::max(value, 0.5);
    } else if (defined) {
      // The same for the mean target: a negative r is no association (0), not a strong one.
      value = PearsonComplete(score.data(), target.value.data(), score.size());
      if (!std::isnan(value)) value = std::clamp(value, 0.0, 1.0);
    }
  } else if (target.kind == TargetKind::kMulticlass) {
    const int classes = static_cast<int>(target.class_names.size());
    std::vector<int32_t> dense(codes, -1);
    int categories = 0;
    for (size_t k = 0; k < codes; ++k) {
      if (canonical[k] == static_cast<int32_t>(k)) dense[k] = categories++;
    }
    std::vector<int64_t> table(static_cast<size_t>(classes) * categories, 0);
    for (int64_t i = 0; i < n; ++i) {
      if (!c.IsValid(i) || target.label[i] < 0) continue;
      ++table[static_cast<size_t>(target.label[i]) * categories + dense[canonical[code[i]]]];
    }
    value = MutualInformation(table, classes, categories, &extras.normalized_mi);
  }
  if (!std::isnan(value)) out.target_association = value;
}

void ProfileString(const Column& c, const ProfileOptions& options, const TargetData& target,
                   bool not_scored, ColumnProfile& out, ColumnExtras& extras) {
  const Dictionary& dict = c.dictionary();
  const std::vector<int32_t> canonical = CanonicalCodes(dict);
  std::vector<int64_t> counts(dict.size(), 0);
  const int32_t* code = c.codes();
  for (int64_t i = 0; i < c.size(); ++i) {
    if (c.IsValid(i)) ++counts[canonical[code[i]]];
  }
  std::vector<int32_t> present;
  size_t min_length = std::numeric_limits<size_t>::max();
  size_t max_length = 0;
  double total_length = 0;
  for (size_t k = 0; k < counts.size(); ++k) {
    if (counts[k] == 0) continue;
    present.push_back(static_cast<int32_t>(k));
    out.count += counts[k];
    const size_t length = CodePoints(dict[k]);
    min_length = std::min(min_length, length);
    max_length = std::max(max_length, length);
    total_length += static_cast<double>(length) * static_cast<double>(counts[k]);
  }
  out.distinct = static_cast<int64_t>(present.size());
  if (out.count > 0) {
    out.length_min = static_cast<double>(min_length);
    out.length_max = static_cast<double>(max_length);
    out.length_mean = total_length / static_cast<double>(out.count);
  }
  const size_t k = std::min(present.size(), static_cast<size_t>(std::max(options.top_k, 0)));
  std::partial_sort(present.begin(), present.begin() + k, present.end(), [&](int32_t a, int32_t b) {
    return counts[a] != counts[b] ? counts[a] > counts[b] : dict[a] < dict[b];
  });
  for (size_t i = 0; i < k; ++i) out.top_values.push_back({dict[present[i]], counts[present[i]]});
  out.semantic = Classify(out);
  const bool scorable =
      out.semantic != SemanticType::kIdLike && out.semantic != SemanticType::kText;
  if (target.kind != TargetKind::kNone && !not_scored && scorable) {
    StringAssociation(c, canonical, target, out, extras);
  }
}

// --- Target profile and alerts -----------------------------------------------------------------

TargetProfile BuildTargetProfile(const Profile& p, const TargetData& t) {
  TargetProfile tp;
  const ColumnProfile& column = p.column_profiles[t.column];
  tp.column = column.name;
  if (t.kind == TargetKind::kRegression) {
    tp.task = "regression";
    tp.association_kind = "pearson";
    tp.distribution = column.histogram;
  } else {
    tp.task = t.kind == TargetKind::kBinary ? "binary" : "multiclass";
    tp.association_kind = t.kind == TargetKind::kBinary ? "roc_auc" : "mutual_information";
    std::vector<size_t> order(t.class_names.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return t.class_sizes[a] > t.class_sizes[b]; });
    for (size_t i : order) tp.class_counts.push_back({t.class_names[i], t.class_sizes[i]});
  }
  for (const ColumnProfile& c : p.column_profiles) {
    if (c.target_association) tp.ranking.push_back({c.name, *c.target_association});
  }
  std::stable_sort(tp.ranking.begin(), tp.ranking.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  return tp;
}

Alert MakeAlert(std::string kind, std::string column, std::string message,
                nlohmann::json evidence) {
  return Alert{std::move(kind), std::move(column), std::move(message), std::move(evidence)};
}

// `role`: the column's declared role; `class_target`: the column is a classification target
// (whose skewness is its class balance, which the imbalance alert covers).
void ColumnAlerts(const ColumnProfile& c, const ProfileOptions& o, int64_t rows, bool is_target,
                  Role role, bool class_target, std::vector<Alert>& alerts) {
  const std::string q = "'" + c.name + "'";
  if (c.semantic == SemanticType::kConstant) {
    const std::string value = c.top_values.empty() ? "" : c.top_values[0].value;
    alerts.push_back(
        MakeAlert("constant", c.name,
                  q + " has the same value (" + Printable(value, 40) + ") in every present row",
                  {{"value", value}, {"count", c.count}}));
  }
  if (c.semantic == SemanticType::kIdLike && !is_target && role != Role::kId) {
    alerts.push_back(MakeAlert(
        "id_like", c.name, q + " has a different value in every row: an identifier, not a feature",
        {{"distinct", c.distinct}, {"count", c.count}}));
  }
  if (c.missing_percent > o.high_missing_percent) {
    alerts.push_back(MakeAlert("high_missing", c.name,
                               q + " is " + Fixed(c.missing_percent, 1) + "% missing (" +
                                   std::to_string(c.missing) + " of " + std::to_string(rows) +
                                   " rows)",
                               {{"missing", c.missing},
                                {"rows", rows},
                                {"missing_percent", c.missing_percent},
                                {"threshold", o.high_missing_percent}}));
  }
  if (c.semantic == SemanticType::kCategorical && c.distinct > o.high_cardinality) {
    alerts.push_back(MakeAlert("high_cardinality", c.name,
                               q + " has " + std::to_string(c.distinct) + " distinct values",
                               {{"distinct", c.distinct}, {"threshold", o.high_cardinality}}));
  }
  if (c.infinite > 0) {
    alerts.push_back(MakeAlert(
        "infinite_values", c.name,
        q + " has " + std::to_string(c.infinite) + " infinite values (left out of its statistics)",
        {{"infinite", c.infinite}, {"count", c.count}}));
  }
  // Two values (a 0/1 indicator, a one-hot column): the skewness only restates their balance.
  if (c.semantic == SemanticType::kNumeric && c.distinct > 2 && c.skewness &&
      std::isfinite(*c.skewness) && std::fabs(*c.skewness) > o.skewness &&
      !(is_target && class_target)) {
    alerts.push_back(MakeAlert("skewed", c.name,
                               q + " is highly skewed (skewness " + Short(*c.skewness) + ")",
                               {{"skewness", *c.skewness}, {"threshold", o.skewness}}));
  }
}

// Rows where both columns have a value (a finite one for numbers): what a pair's correlation was
// computed on.
int64_t PairRows(const Column& x, const Column& y) {
  auto present = [](const Column& c, int64_t i) {
    if (!c.IsValid(i)) return false;
    return c.type() != DataType::kFloat64 || std::isfinite(c.f64()[i]);
  };
  int64_t n = 0;
  for (int64_t i = 0; i < x.size(); ++i) n += present(x, i) && present(y, i);
  return n;
}

// A correlation of 1 on two or three rows says nothing: pairs with fewer rows raise no alert.
constexpr int64_t kMinPairRows = 10;
// A wide table of related columns can have as many strong pairs as columns squared (1,000
// columns of one signal: 500,000): the strongest are listed, one more alert counts the rest.
constexpr size_t kMaxPairAlerts = 100;

void PairAlerts(const Table& table, const Profile& p, const std::vector<std::string>& names,
                const std::vector<std::vector<double>>& m, const std::string& method,
                const std::string& label, const std::string& target, double threshold,
                std::vector<Alert>& alerts) {
  struct Pair {
    size_t i, j;
    double v;
  };
  std::vector<Pair> strong;
  for (size_t i = 0; i < names.size(); ++i) {
    for (size_t j = i + 1; j < names.size(); ++j) {
      const double v = m[i][j];
      if (names[i] == target || names[j] == target || !(std::fabs(v) >= threshold)) continue;
      strong.push_back({i, j, v});
    }
  }
  std::stable_sort(strong.begin(), strong.end(),
                   [](const Pair& a, const Pair& b) { return std::fabs(a.v) > std::fabs(b.v); });
  // A column with every value present (and finite) pairs with another over that one's rows.
  std::vector<const Column*> column(names.size());
  std::vector<int64_t> present(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    column[i] = &table.column(names[i]);
    const ColumnProfile* c = p.Find(names[i]);
    present[i] = c ? c->count - c->infinite : -1;
  }
  auto pair_rows = [&](size_t i, size_t j) {
    if (present[i] == table.num_rows()) return present[j];
    if (present[j] == table.num_rows()) return present[i];
    return PairRows(*column[i], *column[j]);
  };
  size_t listed = 0, more = 0;
  for (const Pair& pair : strong) {
    if (listed == kMaxPairAlerts) {  // the rest are counted, not checked for kMinPairRows
      ++more;
      continue;
    }
    const std::string& a = names[pair.i];
    const std::string& b = names[pair.j];
    const int64_t rows = pair_rows(pair.i, pair.j);
    if (rows < kMinPairRows) continue;
    ++listed;
    alerts.push_back(MakeAlert("high_correlation", a + "," + b,
                               "'" + a + "' and '" + b + "' are highly correlated (" + label + " " +
                                   Short(pair.v) + " over " + std::to_string(rows) + " rows)",
                               {{"method", method},
                                {"value", pair.v},
                                {"threshold", threshold},
                                {"rows", rows},
                                {"columns", {a, b}}}));
  }
  if (more > 0) {
    alerts.push_back(MakeAlert("high_correlation", "",
                               std::to_string(more) + " more pairs of columns have " + label +
                                   " of " + Short(threshold) + " or more in size (the " +
                                   std::to_string(kMaxPairAlerts) + " strongest are listed)",
                               {{"method", method},
                                {"threshold", threshold},
                                {"listed", static_cast<int64_t>(kMaxPairAlerts)},
                                {"more_pairs", static_cast<int64_t>(more)}}));
  }
}

void TargetAlerts(const Profile& p, const ProfileOptions& o,
                  const std::vector<ColumnExtras>& extras, std::vector<Alert>& alerts) {
  const TargetProfile& t = *p.target;
  if (t.class_counts.size() >= 2) {
    const ValueCount& major = t.class_counts.front();
    const ValueCount& minor = t.class_counts.back();
    const double ratio = static_cast<double>(minor.count) / static_cast<double>(major.count);
    if (ratio < o.imbalance_ratio) {
      alerts.push_back(MakeAlert("imbalance", t.column,
                                 "target '" + t.column + "' is imbalanced: class '" +
                                     Printable(minor.value, 40) + "' has " +
                                     std::to_string(minor.count) + " rows against " +
                                     std::to_string(major.count) + " for '" +
                                     Printable(major.value, 40) + "' (ratio " + Short(ratio) + ")",
                                 {{"minority_class", minor.value},
                                  {"minority_count", minor.count},
                                  {"majority_class", major.value},
                                  {"majority_count", major.count},
                                  {"ratio", ratio},
                                  {"threshold", o.imbalance_ratio}}));
    }
  }
  // A target no model can learn from: no value, or one class.
  const ColumnProfile* tc = p.Find(t.column);
  const bool classification = t.task != "regression";
  if ((tc && tc->count == 0) || (classification && t.class_counts.size() < 2)) {
    const bool none = !tc || tc->count == 0;
    alerts.push_back(MakeAlert(
        "unusable_target", t.column,
        "target '" + t.column + "' has " +
            (none ? std::string("no value")
                  : "one class ('" + Printable(t.class_counts[0].value, 40) + "')") +
            ": no model can learn from it",
        {{"count", tc ? tc->count : 0}, {"classes", static_cast<int64_t>(t.class_counts.size())}}));
  }
  for (size_t i = 0; i < p.column_profiles.size(); ++i) {
    const ColumnProfile& c = p.column_profiles[i];
    if (!c.target_association) continue;
    const bool mi = t.association_kind == "mutual_information";
    const double strength = mi ? extras[i].normalized_mi : *c.target_association;
    if (!(strength >= o.leakage_association)) continue;
    // With few rows per category, a categorical feature's mutual information (in sample) is
    // high for noise, and out-of-fold rates (AUC, Pearson) are too thin to trust either: only
    // categories with 10 rows or more on average can show a leak.
    if (c.type == DataType::kString && c.distinct > 0 &&
        static_cast<double>(c.count) / static_cast<double>(c.distinct) < 10) {
      continue;
    }
    nlohmann::json evidence = {{"association_kind", t.association_kind},
                               {"association", *c.target_association},
                               {"threshold", o.leakage_association}};
    if (mi) evidence["normalized"] = strength;
    const std::string what = t.association_kind == "roc_auc" ? "ROC AUC"
                             : mi                            ? "share of the target's entropy"
                                                             : "|Pearson r|";
    alerts.push_back(MakeAlert("possible_leakage", c.name,
                               "'" + c.name + "' predicts target '" + t.column +
                                   "' almost perfectly (" + what + " " + Short(strength) +
                                   "): check that it is known before the outcome",
                               std::move(evidence)));
  }
}

std::vector<Alert> BuildAlerts(const Table& table, const Profile& p, const ProfileOptions& o,
                               const std::vector<ColumnExtras>& extras) {
  std::vector<Alert> alerts;
  if (p.duplicate_rows > 0) {
    const double percent =
        100.0 * static_cast<double>(p.duplicate_rows) / static_cast<double>(p.rows);
    alerts.push_back(MakeAlert(
        "duplicates", "",
        std::to_string(p.duplicate_rows) + (p.duplicate_rows == 1 ? " row (" : " rows (") +
            Fixed(percent, 1) +
            (p.duplicate_rows == 1 ? "%) repeats an earlier row" : "%) repeat an earlier row"),
        {{"duplicate_rows", p.duplicate_rows}, {"rows", p.rows}, {"percent", percent}}));
  }
  const std::string target = p.target ? p.target->column : "";
  const bool class_target = p.target && p.target->task != "regression";
  for (size_t i = 0; i < p.column_profiles.size(); ++i) {
    const ColumnProfile& c = p.column_profiles[i];
    ColumnAlerts(c, o, p.rows, c.name == target, table.schema().field(static_cast<int>(i)).role,
                 class_target, alerts);
  }
  const Correlations& corr = p.correlations;
  PairAlerts(table, p, corr.numeric, corr.pearson, "pearson", "Pearson r", target,
             o.high_correlation, alerts);
  PairAlerts(table, p, corr.categorical, corr.cramers_v, "cramers_v", "Cramer's V", target,
             o.high_correlation, alerts);
  if (p.target) TargetAlerts(p, o, extras, alerts);
  return alerts;
}

bool IsNumeric(DataType t) {
  return t == DataType::kFloat64 || t == DataType::kInt64 || t == DataType::kBool;
}

void CheckOptions(const ProfileOptions& o) {
  if (o.bins < 1) throw InvalidArgument("profile: bins must be at least 1");
  if (o.top_k < 0) throw InvalidArgument("profile: top_k must not be negative");
}

}  // namespace

Profile ComputeProfile(const Table& table, const ProfileOptions& options) {
  const auto start = std::chrono::steady_clock::now();
  CheckOptions(options);
  if (table.num_rows() > std::numeric_limits<int32_t>::max()) {
    throw InvalidArgument("profile: tables of more than 2,147,483,647 rows are not supported");
  }
  // Starting threads costs milliseconds here; a small table is profiled faster on one.
  constexpr int64_t kCellsPerThread = 100'000;
  const int64_t cells = table.num_rows() * std::max(table.num_columns(), 1);
  const int threads = cells < kCellsPerThread ? 1
                      : options.threads > 0   ? options.threads
                                              : DefaultThreads();
  const TargetData target = PrepareTarget(table, options.target);
  const int k = table.num_columns();
  const int64_t rows = table.num_rows();

  Profile p;
  p.bins = options.bins;
  p.top_k = options.top_k;
  p.rows = rows;
  p.columns = k;
  p.memory_bytes = table.MemoryBytes();
  p.column_profiles.resize(k);

  // Numeric columns take part in Pearson and Spearman: the first kMaxCorrelationColumns of them
  // (the matrices grow with their square).
  std::vector<int> numeric_index(k, -1);
  std::vector<NumericWork> numeric;
  for (int c = 0; c < k; ++c) {
    if (!IsNumeric(table.schema().field(c).type)) continue;
    if (numeric.size() == kMaxCorrelationColumns) {
      ++p.correlations.numeric_left_out;
      continue;
    }
    numeric_index[c] = static_cast<int>(numeric.size());
    numeric.emplace_back().column = c;
  }

  // Columns are handed out one at a time (they differ in cost); each worker keeps its buffers.
  std::vector<ColumnExtras> extras(k);
  std::atomic<int> next_column{0};
  const int workers = std::min(threads, std::max(k, 1));
  std::vector<SortedColumn> workspaces(workers);
  ParallelFor(workers, threads, [&](int worker) {
    SortedColumn& sorted = workspaces[worker];
    for (int c = next_column++; c < k; c = next_column++) {
      const Field& field = table.schema().field(c);
      const Column& column = table.column(c);
      ColumnProfile& out = p.column_profiles[c];
      out.name = field.name;
      out.type = field.type;
      // Columns declared as no feature (an id, the event time, ignored) are not scored against
      // the target: a row id of rows sorted by label would "predict" it perfectly.
      const bool not_scored = c == target.column || field.role == Role::kId ||
                              field.role == Role::kEventTime || field.role == Role::kIgnored;
      if (field.type == DataType::kString) {
        ProfileString(column, options, target, not_scored, out, extras[c]);
      } else {
        NumericWork* work = numeric_index[c] >= 0 ? &numeric[numeric_index[c]] : nullptr;
        ProfileSortable(column, options, target, not_scored, sorted, out, work, extras[c]);
        out.semantic = Classify(out);
      }
      out.missing = rows - out.count;
      out.missing_percent =
          rows ? 100.0 * static_cast<double>(out.missing) / static_cast<double>(rows) : 0.0;
    }
  });

  std::vector<int> categorical;
  for (int c = 0; c < k; ++c) {
    const ColumnProfile& cp = p.column_profiles[c];
    if (cp.semantic == SemanticType::kCategorical &&
        cp.distinct <= options.max_cramers_categories) {
      if (categorical.size() == kMaxCorrelationColumns) {
        ++p.correlations.categorical_left_out;
      } else {
        categorical.push_back(c);
      }
    }
  }
  {
    Correlations corr = ComputeCorrelations(table, numeric, categorical, threads);
    corr.numeric_left_out = p.correlations.numeric_left_out;
    corr.categorical_left_out = p.correlations.categorical_left_out;
    p.correlations = std::move(corr);
  }
  numeric.clear();
  numeric.shrink_to_fit();
  // A column whose values are all present and all different (an id) already tells every row
  // apart; otherwise the rows are hashed. The workspaces' buffers are already in memory: the
  // hashes go to one, the sort's scratch to the other.
  const bool has_key =
      std::any_of(p.column_profiles.begin(), p.column_profiles.end(),
                  [&](const ColumnProfile& c) { return c.count == rows && c.distinct == rows; });
  p.duplicate_rows = has_key ? 0
                             : CountDuplicateRows(table, threads, workspaces[0].items,
                                                  workspaces.size() > 1 ? workspaces[1].items
                                                                        : workspaces[0].scratch);
  if (target.kind != TargetKind::kNone) p.target = BuildTargetProfile(p, target);
  p.alerts = BuildAlerts(table, p, options, extras);
  p.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return p;
}

}  // namespace mloop
