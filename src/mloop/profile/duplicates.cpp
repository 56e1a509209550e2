// Duplicate rows, as pandas' DataFrame.duplicated().sum(): rows equal in every column to an
// earlier row, where missing equals missing (NaN included) and -0.0 equals 0.0.
//
// Each row is hashed (XXH3 over one 64-bit word per cell), the rows are sorted by hash, and
// rows with equal hashes are compared cell by cell, so a hash collision can never count two
// different rows as duplicates.
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

// items[row] = {hash of the row, row}.
void RowHashes(const std::vector<CellReader>& readers, int64_t n, int threads, KeyRows& items) {
  items.resize(n);
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
        const int64_t row = begin + r;
        items[row] = {XXH3_64bits(words.data() + r * k, k * sizeof(uint64_t)),
                      static_cast<uint32_t>(row)};
      }
    }
  });
}

// Rows in items[0, n), sorted by hash, that equal an earlier row of the same hash.
int64_t CountInSorted(const std::vector<CellReader>& readers, const KeyRow* items, size_t n) {
  auto rows_equal = [&](uint32_t a, uint32_t b) {
    for (const CellReader& r : readers) {
      if (!(r.At(a) == r.At(b))) return false;
    }
    return true;
  };
  int64_t duplicates = 0;
  std::vector<uint32_t> group;
  std::vector<uint32_t> firsts;  // the first row of each distinct row seen in the group
  for (size_t i = 0; i < n;) {
    size_t j = i + 1;
    while (j < n && items[j].key == items[i].key) ++j;
    if (j - i > 1) {
      // The sort is not stable: put the group back in row order, so that the first occurrence
      // of a row is the one not counted.
      group.clear();
      for (size_t g = i; g < j; ++g) group.push_back(items[g].row);
      std::sort(group.begin(), group.end());
      firsts.clear();
      for (uint32_t row : group) {
        const bool seen = std::any_of(firsts.begin(), firsts.end(),
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

}  // namespace

int64_t CountDuplicateRows(const Table& table, int threads, KeyRows& items, KeyRows& scratch) {
  const int64_t n = table.num_rows();
  if (n < 2 || table.num_columns() == 0) return 0;
  std::vector<CellReader> readers;
  readers.reserve(table.num_columns());
  for (const Column& c : table.columns()) readers.emplace_back(c);
  RowHashes(readers, n, threads, items);

  // Equal rows have equal hashes, hence equal top bits: the rows are split by the top 6 bits
  // of their hash into parts that are sorted and scanned independently, in parallel.
  constexpr int kShift = 58;
  constexpr int kParts = 64;
  std::vector<size_t> offsets(kParts + 1, 0);
  for (const KeyRow& it : items) ++offsets[(it.key >> kShift) + 1];
  for (int p = 1; p <= kParts; ++p) offsets[p] += offsets[p - 1];
  scratch.resize(std::max<size_t>(scratch.size(), n));
  std::vector<size_t> at(offsets.begin(), offsets.end() - 1);
  for (const KeyRow& it : items) scratch[at[it.key >> kShift]++] = it;
  std::vector<int64_t> duplicates(kParts, 0);
  ParallelFor(kParts, threads, [&](int p) {
    const size_t size = offsets[p + 1] - offsets[p];
    KeyRow* part = scratch.data() + offsets[p];
    SortByKey(part, items.data() + offsets[p], size);  // items is free by now
    duplicates[p] = CountInSorted(readers, part, size);
  });
  int64_t total = 0;
  for (int64_t d : duplicates) total += d;
  return total;
}

}  // namespace mloop::profile_internal
