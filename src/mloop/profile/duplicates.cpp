// Duplicate rows, as pandas' DataFrame.duplicated().sum(): rows equal in every column to an
// earlier row, where missing equals missing (NaN included) and -0.0 equals 0.0.
//
// Each row is hashed (XXH3 over one 64-bit word per cell), the rows are sorted by hash, and
// only rows whose hashes collide are compared cell by cell, so a hash collision can never count
// two different rows as duplicates.
#include <xxhash.h>

#include <algorithm>

#include "mloop/core/parallel.h"
#include "mloop/profile/internal.h"

namespace mloop::profile_internal {

namespace {

struct Cell {
  bool present;
  uint64_t word;
  bool operator==(const Cell&) const = default;
};

// The cell of `column` at `row` as one word that is equal exactly when the values are equal.
class CellReader {
 public:
  explicit CellReader(const Column& column) : column_(column) {
    if (column.type() == DataType::kString) canonical_ = CanonicalCodes(column.dictionary());
  }

  Cell At(int64_t row) const {
    if (!column_.IsValid(row)) return {false, 0};
    switch (column_.type()) {
      case DataType::kFloat64: {
        const double v = column_.f64()[row];
        if (std::isnan(v)) return {false, 0};
        return {true, KeyOfDouble(v)};
      }
      case DataType::kBool:
        return {true, column_.bools()[row]};
      case DataType::kString:
        return {true, static_cast<uint64_t>(canonical_[column_.codes()[row]])};
      default:
        return {true, static_cast<uint64_t>(column_.i64()[row])};
    }
  }

  // The words of rows [begin, begin + len), missing cells as `missing`, every `stride`th.
  void Fill(int64_t begin, int64_t len, uint64_t missing, uint64_t* dst, size_t stride) const {
    if (column_.has_nulls()) {
      for (int64_t r = 0; r < len; ++r) {
        const Cell cell = At(begin + r);
        dst[r * stride] = cell.present ? cell.word : missing;
      }
      return;
    }
    switch (column_.type()) {  // no missing values: a tight loop per type
      case DataType::kFloat64: {
        const double* v = column_.f64() + begin;
        for (int64_t r = 0; r < len; ++r) {
          dst[r * stride] = std::isnan(v[r]) ? missing : KeyOfDouble(v[r]);
        }
        break;
      }
      case DataType::kBool: {
        const uint8_t* v = column_.bools() + begin;
        for (int64_t r = 0; r < len; ++r) dst[r * stride] = v[r];
        break;
      }
      case DataType::kString: {
        const int32_t* v = column_.codes() + begin;
        for (int64_t r = 0; r < len; ++r) dst[r * stride] = static_cast<uint64_t>(canonical_[v[r]]);
        break;
      }
      default: {
        const int64_t* v = column_.i64() + begin;
        for (int64_t r = 0; r < len; ++r) dst[r * stride] = static_cast<uint64_t>(v[r]);
        break;
      }
    }
  }

 private:
  const Column& column_;
  std::vector<int32_t> canonical_;
};

// A word no present value produces in practice; collisions with it are resolved by Cell::==.
constexpr uint64_t kMissingWord = 0x6d6c6f6f704e554cULL;

BigVector<uint64_t> RowHashes(const std::vector<CellReader>& readers, int64_t n, int threads) {
  BigVector<uint64_t> hashes(n);
  const size_t k = readers.size();
  constexpr int64_t kBlock = 512;
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  const int chunks = static_cast<int>(std::min<int64_t>(64, blocks));
  ParallelFor(chunks, threads, [&](int chunk) {
    std::vector<uint64_t> words(kBlock * k);
    for (int64_t b = blocks * chunk / chunks; b < blocks * (chunk + 1) / chunks; ++b) {
      const int64_t begin = b * kBlock;
      const int64_t len = std::min(kBlock, n - begin);
      for (size_t c = 0; c < k; ++c) readers[c].Fill(begin, len, kMissingWord, &words[c], k);
      for (int64_t r = 0; r < len; ++r) {
        hashes[begin + r] = XXH3_64bits(words.data() + r * k, k * sizeof(uint64_t));
      }
    }
  });
  return hashes;
}

}  // namespace

int64_t CountDuplicateRows(const Table& table, int threads) {
  const int64_t n = table.num_rows();
  if (n < 2 || table.num_columns() == 0) return 0;
  std::vector<CellReader> readers;
  readers.reserve(table.num_columns());
  for (const Column& c : table.columns()) readers.emplace_back(c);
  const BigVector<uint64_t> hashes = RowHashes(readers, n, threads);

  // Sorting by the top 32 bits of the hash (half the radix passes) groups every set of equal
  // rows; rows within a group stay in row order (the sort is stable).
  KeyRows items(n);
  for (int64_t i = 0; i < n; ++i) items[i] = {hashes[i] >> 32, static_cast<uint32_t>(i)};
  KeyRows scratch;
  SortByKey(items, scratch);

  auto rows_equal = [&](uint32_t a, uint32_t b) {
    if (hashes[a] != hashes[b]) return false;
    for (const CellReader& r : readers) {
      if (!(r.At(a) == r.At(b))) return false;
    }
    return true;
  };
  int64_t duplicates = 0;
  std::vector<uint32_t> firsts;  // the first row of each distinct row seen in the group
  for (size_t i = 0; i < items.size();) {
    size_t j = i + 1;
    while (j < items.size() && items[j].key == items[i].key) ++j;
    if (j - i > 1) {
      firsts.clear();
      for (size_t g = i; g < j; ++g) {
        const uint32_t row = items[g].row;
        bool seen = std::any_of(firsts.begin(), firsts.end(),
                                [&](uint32_t first) { return rows_equal(first, row); });
        if (seen) {
          ++duplicates;
        } else {
          firsts.push_back(row);
        }
      }
    }
    i = j;
  }
  return duplicates;
}

}  // namespace mloop::profile_internal
