// Column: an immutable, typed array with explicit missing values, shared by reference.
//
// Copying a Column copies a pointer; Slice() makes a view without copying values. Values are
// stored in one contiguous buffer per column (doubles, int64s, bytes for bools, int32 codes into a
// dictionary for strings). Missing values are tracked in a validity bitmap (bit set = present);
// a column without missing values has no bitmap at all. The value stored under a missing entry is
// unspecified (0 / NaN / code 0): always check IsValid().
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/big_allocator.h"
#include "mloop/core/types.h"

namespace mloop {

// The distinct strings of a string column, in first-seen order. Codes index into it.
using Dictionary = std::vector<std::string>;

namespace internal {
struct ColumnData {
  DataType type = DataType::kFloat64;
  int64_t length = 0;
  BigVector<double> f64;
  BigVector<int64_t> i64;  // int64 and timestamp
  BigVector<uint8_t> b8;   // bool: 0 or 1
  BigVector<int32_t> codes;
  std::shared_ptr<const Dictionary> dictionary;
  std::vector<uint64_t> validity;  // empty when no value is missing
  int64_t null_count = 0;
};
}  // namespace internal

inline bool BitIsSet(const uint64_t* bits, int64_t i) {
  return (bits[i >> 6] >> (i & 63)) & 1;
}

class Column {
 public:
  // An empty float64 column.
  Column();

  DataType type() const { return data_->type; }
  int64_t size() const { return length_; }
  // Number of missing values in this view.
  int64_t null_count() const;
  bool has_nulls() const { return !data_->validity.empty() && null_count() > 0; }
  bool IsValid(int64_t i) const {
    return data_->validity.empty() || BitIsSet(data_->validity.data(), offset_ + i);
  }

  // Typed access to the values of this view. Each asserts the column's type.
  const double* f64() const;
  const int64_t* i64() const;  // int64 and timestamp columns
  const uint8_t* bools() const;
  const int32_t* codes() const;
  const Dictionary& dictionary() const;
  std::string_view StringAt(int64_t i) const { return (*data_->dictionary)[codes()[i]]; }

  // Adopts fully built buffers (used by the snapshot reader). Checks that the buffer sizes, the
  // bitmap and the string codes are consistent; throws Corruption when they are not.
  static Column FromData(internal::ColumnData data);

  // A view of rows [offset, offset + length); shares the values.
  Column Slice(int64_t offset, int64_t length) const;

  // Bytes held by the values and bitmap of this view (for a slice: its share).
  int64_t MemoryBytes() const;

  // True when both columns have the same type, length, missing entries and values.
  bool Equals(const Column& other) const;

 private:
  friend class ColumnBuilder;
  explicit Column(std::shared_ptr<const internal::ColumnData> data);

  std::shared_ptr<const internal::ColumnData> data_;
  int64_t offset_ = 0;
  int64_t length_ = 0;
};

// Shortest text that reads back as the same double, with ".0" on integral values so that it also
// reads back as float64 ("0.1", "3.0", "1e+300", "nan", "inf", "-inf").
std::string FormatDouble(double v);

// The value at row `i` as text: FormatDouble for doubles, true/false, ISO 8601 timestamps;
// "" for a missing value.
std::string CellToString(const Column& column, int64_t i);

// Builds a Column by appending values. Not thread-safe; one builder per thread.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(DataType type);
  ~ColumnBuilder();
  ColumnBuilder(ColumnBuilder&&) noexcept;
  ColumnBuilder& operator=(ColumnBuilder&&) noexcept;

  DataType type() const { return data_->type; }
  int64_t size() const { return data_->length; }
  void Reserve(int64_t n);

  void AppendNull();
  // Inline: these run once per parsed value.
  void AppendDouble(double v) {
    data_->f64.push_back(v);
    MarkValid();
  }
  void AppendInt(int64_t v) {  // int64 and timestamp
    data_->i64.push_back(v);
    MarkValid();
  }
  void AppendBool(bool v) {
    data_->b8.push_back(v ? 1 : 0);
    MarkValid();
  }
  void AppendString(std::string_view v);
  // Appends every value of `column`, which must have this builder's type. Strings are re-coded
  // into this builder's dictionary.
  void AppendColumn(const Column& column);

  // Appends every value of `other` (same type) and empties `other`, which keeps its capacity
  // for reuse: readers parse each block into the same per-thread builders.
  void AppendAndClear(ColumnBuilder& other);
  // Removes every value, keeping the allocated capacity.
  void Clear();

  // Converts the values appended so far to float64 (int64 -> double) or, when every value so
  // far is missing, to any type. Used by readers that widen an inferred type mid-stream.
  void ConvertTo(DataType type);
  bool AllNull() const { return data_->null_count == data_->length; }

  Column Finish();

 private:
  void MarkValid() {
    if (!data_->validity.empty()) {
      int64_t i = data_->length;
      if (static_cast<size_t>(i >> 6) >= data_->validity.size()) data_->validity.push_back(0);
      data_->validity[i >> 6] |= uint64_t{1} << (i & 63);
    }
    ++data_->length;
  }
  std::unique_ptr<internal::ColumnData> data_;
  std::unique_ptr<Dictionary> dictionary_;
  struct Index;
  std::unique_ptr<Index> index_;  // string -> code, for string columns
};

}  // namespace mloop
