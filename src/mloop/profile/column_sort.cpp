// The one sort every numeric column goes through: its present values, with their rows, in
// ascending order (-inf first, +inf last); and SortByKey, the same for any keys (row hashes).
//
// A bucket sort on the values' range: one pass finds the range, one counts the values per
// bucket, one scatters (key, row) pairs straight from the column into the buckets; each bucket
// (a few hundred pairs, in cache) is then sorted the same way over its own range, and the
// smallest by insertion. Compared with an LSD radix sort of 64-bit keys (8 passes over 16-byte
// pairs) it moves the data through memory once. The mapping v -> bucket is monotone, so the
// buckets are in order; within a bucket the order is by the exact key. Skewed data recurses
// into its crowded buckets; a bucket that cannot be split (deep recursion, a range that
// overflows, int64 values equal as doubles) falls back to std::sort. Integers over a small
// range take a counting sort instead.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "mloop/core/prefetch.h"
#include "mloop/profile/internal.h"

namespace mloop::profile_internal {

namespace {

constexpr size_t kMaxBuckets = 1024;       // first level: open write positions stay in cache
constexpr size_t kMaxInnerBuckets = 4096;  // later levels, on data already in cache
constexpr size_t kInsertionSortMax = 24;
constexpr size_t kRememberedBuckets = 8192;  // bucket ids kept on the stack (16 KB)
static_assert(kMaxInnerBuckets <= 65536);    // ids fit uint16_t
constexpr int kMaxDepth = 8;
constexpr size_t kScatterAhead = 64;  // pairs (12 cache lines) ahead of a bucket's write position

// Monotone maps from keys to doubles that place keys in buckets. `injective`: equal doubles
// mean equal keys (a bucket whose values are all equal is sorted).
struct FloatKeys {
  static constexpr bool injective = true;
  double operator()(uint64_t key) const { return DoubleOfKey(key); }
};
struct IntKeys {  // int64 beyond 2^53 share doubles
  static constexpr bool injective = false;
  double operator()(uint64_t key) const { return static_cast<double>(IntOfKey(key)); }
};
struct OffsetKeys {  // any uint64 keys, e.g. hashes
  static constexpr bool injective = false;
  uint64_t min;
  double operator()(uint64_t key) const { return static_cast<double>(key - min); }
};

bool KeyLess(const KeyRow& a, const KeyRow& b) {
  return a.key < b.key;
}

void InsertionSort(KeyRow* a, size_t n) {
  for (size_t i = 1; i < n; ++i) {
    const KeyRow x = a[i];
    size_t j = i;
    for (; j > 0 && a[j - 1].key > x.key; --j) a[j] = a[j - 1];
    a[j] = x;
  }
}

size_t BucketCount(size_t n) {
  return std::clamp<size_t>(n / 4, 16, kMaxBuckets);
}

// Sorts a[0, n) by key, using tmp[0, n) as scratch, for values within about [lo, hi] (the
// parent bucket's range; NaN when unknown: then measured). About one element per bucket, so
// that one insertion pass (a few inversions per bucket, no unpredictable branch for most
// elements) finishes the job, done while copying back; crowded buckets (skewed data) recurse
// first. Bucket indices are clamped: the mapping only has to be monotone.
template <class K>
void BucketSort(const K& value, KeyRow* a, KeyRow* tmp, size_t n, int depth, double lo, double hi) {
  if (n <= kInsertionSortMax) {
    InsertionSort(a, n);
    return;
  }
  if (!(lo < hi)) {
    lo = value(a[0].key);
    hi = lo;
    for (size_t i = 1; i < n; ++i) {
      const double v = value(a[i].key);
      lo = v < lo ? v : lo;
      hi = v > hi ? v : hi;
    }
    if (lo == hi) {  // equal doubles are equal keys, except int64 beyond 2^53
      if (!K::injective) std::sort(a, a + n, KeyLess);
      return;
    }
  }
  const size_t buckets = std::min(n, kMaxInnerBuckets);
  const double scale = static_cast<double>(buckets) / (hi - lo);
  if (depth >= kMaxDepth || !std::isfinite(scale)) {
    std::sort(a, a + n, KeyLess);
    return;
  }
  const int64_t last = static_cast<int64_t>(buckets) - 1;
  auto bucket = [&](uint64_t key) {
    return static_cast<size_t>(
        std::clamp(static_cast<int64_t>((value(key) - lo) * scale), int64_t{0}, last));
  };
  std::array<uint32_t, kMaxInnerBuckets + 1> offsets;
  std::fill(offsets.begin(), offsets.begin() + buckets + 1, 0);
  // A bucket of the usual size keeps each element's bucket for the scatter (10% faster than
  // mapping the key again); a crowded one maps twice.
  uint16_t ids[kRememberedBuckets];
  const bool remembered = n <= kRememberedBuckets;
  if (remembered) {
    for (size_t i = 0; i < n; ++i) {
      const size_t b = bucket(a[i].key);
      ids[i] = static_cast<uint16_t>(b);
      ++offsets[b + 1];
    }
  } else {
    for (size_t i = 0; i < n; ++i) ++offsets[bucket(a[i].key) + 1];
  }
  for (size_t b = 1; b <= buckets; ++b) {
    if (offsets[b] == n) {  // one bucket took everything: measure the real range
      BucketSort(value, a, tmp, n, depth + 1, kNaN, kNaN);
      return;
    }
    offsets[b] += offsets[b - 1];  // offsets[b] was bucket b - 1's count until now
  }
  if (remembered) {
    for (size_t i = 0; i < n; ++i) tmp[offsets[ids[i]]++] = a[i];
  } else {
    for (size_t i = 0; i < n; ++i) tmp[offsets[bucket(a[i].key)]++] = a[i];
  }
  size_t start = 0;
  for (size_t b = 0; b < buckets; ++b) {  // offsets[b] is now the end of bucket b
    const size_t end = offsets[b];
    if (end - start > kInsertionSortMax) {  // sorted in tmp, with a as its scratch
      BucketSort(value, tmp + start, a + start, end - start, depth + 1,
                 lo + static_cast<double>(b) / scale, lo + static_cast<double>(b + 1) / scale);
    }
    start = end;
  }
  // Back into a, inserting each element behind the larger ones before it.
  for (size_t i = 0; i < n; ++i) {
    const KeyRow x = tmp[i];
    size_t j = i;
    for (; j > 0 && a[j - 1].key > x.key; --j) a[j] = a[j - 1];
    a[j] = x;
  }
}

// Scatters the (key, row) pairs produced by `each` (values in [lo, hi]) into buckets in
// `items`, then sorts every bucket. `each(emit)` calls emit(key, row, value) for every pair.
// `scratch` grows to the largest bucket only (usually a few thousand pairs).
template <class K, class Each>
void BucketSortFrom(const K& value, const Each& each, size_t count, double lo, double hi,
                    KeyRow* items, KeyRows& scratch) {
  const size_t buckets = BucketCount(count);
  const double scale = static_cast<double>(buckets) / (hi - lo);
  if (lo == hi || !std::isfinite(scale)) {
    size_t at = 0;
    each([&](uint64_t key, uint32_t row, double) { items[at++] = {key, row}; });
    if (lo != hi || !K::injective) std::sort(items, items + count, KeyLess);
    return;
  }
  std::vector<uint32_t> offsets(buckets + 1, 0);
  auto bucket = [&](double v) {
    return std::min(buckets - 1, static_cast<size_t>((v - lo) * scale));
  };
  each([&](uint64_t, uint32_t, double v) { ++offsets[bucket(v) + 1]; });
  for (size_t b = 1; b <= buckets; ++b) offsets[b] += offsets[b - 1];
  size_t largest = 0;
  for (size_t b = 0; b < buckets; ++b)
    largest = std::max<size_t>(largest, offsets[b + 1] - offsets[b]);
  if (scratch.size() < largest) scratch.resize(largest);
  // Each bucket is a stream of writes; a thousand streams are more than the hardware
  // prefetchers follow, so every new cache line would stall. The line a bucket's writes reach
  // next is fetched ahead (measured in bench/RESULTS.md, session 23).
  each([&](uint64_t key, uint32_t row, double v) {
    const size_t at = offsets[bucket(v)]++;
    items[at] = {key, row};
    PrefetchForWrite(reinterpret_cast<uintptr_t>(items + at) + kScatterAhead * sizeof(KeyRow));
  });
  size_t start = 0;
  for (size_t b = 0; b < buckets; ++b) {
    const size_t end = offsets[b];
    if (end - start > 1) {
      BucketSort(value, items + start, scratch.data(), end - start, 1,
                 lo + static_cast<double>(b) / scale, lo + static_cast<double>(b + 1) / scale);
    }
    start = end;
  }
}

FiniteRange SortFloat(const Column& c, KeyRows& items, KeyRows& scratch) {
  const int64_t n = c.size();
  const double* v = c.f64();
  const bool nulls = c.has_nulls();
  auto present = [&](int64_t i) { return (!nulls || c.IsValid(i)) && !std::isnan(v[i]); };
  size_t count = 0;
  size_t neg_inf = 0;
  size_t pos_inf = 0;
  double lo = INFINITY;
  double hi = -INFINITY;
  if (!nulls) {
    // The usual column: four independent min/max chains and no branch (NaN compares false);
    // the range is measured again without the infinities in the rare column that has them.
    double los[4] = {INFINITY, INFINITY, INFINITY, INFINITY};
    double his[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
    size_t nans = 0;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      for (int k = 0; k < 4; ++k) {
        const double x = v[i + k];
        los[k] = x < los[k] ? x : los[k];
        his[k] = x > his[k] ? x : his[k];
        nans += x != x;
        pos_inf += x == INFINITY;
        neg_inf += x == -INFINITY;
      }
    }
    for (; i < n; ++i) {
      const double x = v[i];
      los[0] = x < los[0] ? x : los[0];
      his[0] = x > his[0] ? x : his[0];
      nans += x != x;
      pos_inf += x == INFINITY;
      neg_inf += x == -INFINITY;
    }
    count = static_cast<size_t>(n) - nans;
    lo = std::min({los[0], los[1], los[2], los[3]});
    hi = std::max({his[0], his[1], his[2], his[3]});
  }
  if (nulls || neg_inf + pos_inf > 0) {
    count = neg_inf = pos_inf = 0;
    lo = INFINITY;
    hi = -INFINITY;
    for (int64_t i = 0; i < n; ++i) {
      if (!present(i)) continue;
      const double x = v[i];
      ++count;
      if (std::isinf(x)) {
        (x > 0 ? pos_inf : neg_inf) += 1;
      } else {
        lo = x < lo ? x : lo;
        hi = x > hi ? x : hi;
      }
    }
  }
  const size_t finite = count - neg_inf - pos_inf;
  items.resize(count);
  // Infinities go straight to the ends, in row order.
  size_t at_neg = 0;
  size_t at_pos = neg_inf + finite;
  for (int64_t i = 0; i < n && neg_inf + pos_inf > 0; ++i) {
    if (!present(i) || !std::isinf(v[i])) continue;
    items[v[i] < 0 ? at_neg++ : at_pos++] = {KeyOfDouble(v[i]), static_cast<uint32_t>(i)};
  }
  auto each = [&](const auto& emit) {
    for (int64_t i = 0; i < n; ++i) {
      if (present(i) && !std::isinf(v[i])) emit(KeyOfDouble(v[i]), static_cast<uint32_t>(i), v[i]);
    }
  };
  if (finite > 0) {
    BucketSortFrom(FloatKeys{}, each, finite, lo, hi, items.data() + neg_inf, scratch);
  }
  return {neg_inf, neg_inf + finite};
}

// int64, timestamp (int64 keys) and bool (keys 0 and 1) columns: every present value is finite.
FiniteRange SortInteger(const Column& c, KeyRows& items, KeyRows& scratch) {
  const int64_t n = c.size();
  const bool nulls = c.has_nulls();
  const bool is_bool = c.type() == DataType::kBool;
  const int64_t* ints = is_bool ? nullptr : c.i64();
  const uint8_t* bools = is_bool ? c.bools() : nullptr;
  auto key = [&](int64_t i) { return is_bool ? uint64_t{bools[i]} : KeyOfInt(ints[i]); };
  size_t count = 0;
  uint64_t kmin = UINT64_MAX;
  uint64_t kmax = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (nulls && !c.IsValid(i)) continue;
    const uint64_t k = key(i);
    ++count;
    kmin = std::min(kmin, k);
    kmax = std::max(kmax, k);
  }
  items.resize(count);
  if (count == 0) return {0, 0};
  auto each = [&](const auto& emit) {
    for (int64_t i = 0; i < n; ++i) {
      if (nulls && !c.IsValid(i)) continue;
      const uint64_t k = key(i);
      emit(k, static_cast<uint32_t>(i), is_bool ? static_cast<double>(k) : IntKeys{}(k));
    }
  };
  const uint64_t span = kmax - kmin;
  if (span < 2 * count + 1024) {  // a counting sort over the range
    BigVector<uint32_t> offsets(span + 2, 0);
    each([&](uint64_t k, uint32_t, double) { ++offsets[k - kmin + 1]; });
    for (size_t b = 1; b < offsets.size(); ++b) offsets[b] += offsets[b - 1];
    each([&](uint64_t k, uint32_t row, double) { items[offsets[k - kmin]++] = {k, row}; });
    return {0, count};
  }
  BucketSortFrom(IntKeys{}, each, count, IntKeys{}(kmin), IntKeys{}(kmax), items.data(), scratch);
  return {0, count};
}

}  // namespace

void SortByKey(KeyRow* items, KeyRow* scratch, size_t n) {
  if (n < 2) return;
  uint64_t kmin = items[0].key;
  uint64_t kmax = kmin;
  for (size_t i = 0; i < n; ++i) {
    const uint64_t k = items[i].key;
    kmin = std::min(kmin, k);
    kmax = std::max(kmax, k);
  }
  const uint64_t span = kmax - kmin;
  if (span < 2 * n + 1024) {  // a counting sort over the range
    BigVector<uint32_t> offsets(span + 2, 0);
    for (size_t i = 0; i < n; ++i) ++offsets[items[i].key - kmin + 1];
    for (size_t b = 1; b < offsets.size(); ++b) offsets[b] += offsets[b - 1];
    for (size_t i = 0; i < n; ++i) scratch[offsets[items[i].key - kmin]++] = items[i];
    std::memcpy(items, scratch, n * sizeof(KeyRow));
    return;
  }
  BucketSort(OffsetKeys{kmin}, items, scratch, n, 0, kNaN, kNaN);
}

void SortByKey(KeyRows& items, KeyRows& scratch) {
  scratch.resize(std::max(scratch.size(), items.size()));
  SortByKey(items.data(), scratch.data(), items.size());
}

FiniteRange SortColumnKeys(const Column& column, KeyRows& items, KeyRows& scratch) {
  return column.type() == DataType::kFloat64 ? SortFloat(column, items, scratch)
                                             : SortInteger(column, items, scratch);
}

}  // namespace mloop::profile_internal
