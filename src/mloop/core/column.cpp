#include "mloop/core/column.h"

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

#include "mloop/core/error.h"
#include "mloop/core/time.h"

namespace mloop {

namespace {
void CheckType(const internal::ColumnData& d, DataType want) {
  if (d.type != want && !(want == DataType::kInt64 && d.type == DataType::kTimestamp)) {
    throw Internal("column of type " + std::string(DataTypeName(d.type)) + " accessed as " +
                   std::string(DataTypeName(want)));
  }
}

std::shared_ptr<const internal::ColumnData> EmptyData() {
  static const auto empty = std::make_shared<const internal::ColumnData>();
  return empty;
}

}  // namespace

Column::Column() : data_(EmptyData()) {}

Column::Column(std::shared_ptr<const internal::ColumnData> data)
    : data_(std::move(data)), offset_(0), length_(data_->length) {}

int64_t Column::null_count() const {
  if (data_->validity.empty()) return 0;
  if (offset_ == 0 && length_ == data_->length) return data_->null_count;
  int64_t valid = 0;
  const uint64_t* bits = data_->validity.data();
  for (int64_t i = 0; i < length_; ++i) valid += BitIsSet(bits, offset_ + i);
  return length_ - valid;
}

const double* Column::f64() const {
  CheckType(*data_, DataType::kFloat64);
  return data_->f64.data() + offset_;
}
const int64_t* Column::i64() const {
  CheckType(*data_, DataType::kInt64);
  return data_->i64.data() + offset_;
}
const uint8_t* Column::bools() const {
  CheckType(*data_, DataType::kBool);
  return data_->b8.data() + offset_;
}
const int32_t* Column::codes() const {
  CheckType(*data_, DataType::kString);
  return data_->codes.data() + offset_;
}
const Dictionary& Column::dictionary() const {
  CheckType(*data_, DataType::kString);
  return *data_->dictionary;
}

Column Column::FromData(internal::ColumnData data) {
  size_t expected = static_cast<size_t>(data.length);
  size_t got = 0;
  switch (data.type) {
    case DataType::kFloat64:
      got = data.f64.size();
      break;
    case DataType::kInt64:
    case DataType::kTimestamp:
      got = data.i64.size();
      break;
    case DataType::kBool:
      got = data.b8.size();
      break;
    case DataType::kString: {
      got = data.codes.size();
      if (!data.dictionary) throw Internal("string column without a dictionary");
      const auto dict_size = static_cast<int32_t>(data.dictionary->size());
      for (int32_t c : data.codes) {
        if (c < 0 || (c >= dict_size && dict_size > 0)) {
          throw Corruption("string code " + std::to_string(c) + " outside a dictionary of " +
                           std::to_string(dict_size));
        }
      }
      break;
    }
  }
  if (got != expected) {
    throw Corruption("column holds " + std::to_string(got) + " values, expected " +
                     std::to_string(expected));
  }
  if (!data.validity.empty() && data.validity.size() < (expected + 63) / 64) {
    throw Corruption("column validity bitmap is too short");
  }
  if (data.null_count == 0) std::vector<uint64_t>().swap(data.validity);
  return Column(std::make_shared<const internal::ColumnData>(std::move(data)));
}

Column Column::Slice(int64_t offset, int64_t length) const {
  if (offset < 0 || length < 0 || offset + length > length_) {
    throw InvalidArgument("column slice [" + std::to_string(offset) + ", " +
                          std::to_string(offset + length) + ") is out of range for " +
                          std::to_string(length_) + " rows");
  }
  Column out = *this;
  out.offset_ = offset_ + offset;
  out.length_ = length;
  return out;
}

int64_t Column::MemoryBytes() const {
  int64_t width = 0;
  switch (type()) {
    case DataType::kFloat64:
    case DataType::kInt64:
    case DataType::kTimestamp:
      width = 8;
      break;
    case DataType::kBool:
      width = 1;
      break;
    case DataType::kString:
      width = 4;
      break;
  }
  int64_t bytes = width * length_;
  if (!data_->validity.empty()) bytes += (length_ + 7) / 8;
  if (type() == DataType::kString && data_->dictionary && offset_ == 0) {
    for (const auto& s : *data_->dictionary) bytes += static_cast<int64_t>(s.size());
  }
  return bytes;
}

bool Column::Equals(const Column& other) const {
  if (type() != other.type() || size() != other.size()) return false;
  for (int64_t i = 0; i < length_; ++i) {
    bool va = IsValid(i), vb = other.IsValid(i);
    if (va != vb) return false;
    if (!va) continue;
    switch (type()) {
      case DataType::kFloat64: {
        double a = f64()[i], b = other.f64()[i];
        if (std::bit_cast<uint64_t>(a) != std::bit_cast<uint64_t>(b) &&
            !(std::isnan(a) && std::isnan(b)) && a != b) {
          return false;
        }
        break;
      }
      case DataType::kInt64:
      case DataType::kTimestamp:
        if (i64()[i] != other.i64()[i]) return false;
        break;
      case DataType::kBool:
        if (bools()[i] != other.bools()[i]) return false;
        break;
      case DataType::kString:
        if (StringAt(i) != other.StringAt(i)) return false;
        break;
    }
  }
  return true;
}

std::string FormatDouble(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof buf, v);
  std::string s(buf, ptr);
  if (s.find_first_not_of("-0123456789") == std::string::npos) s += ".0";
  return s;
}

std::string CellToString(const Column& c, int64_t i) {
  if (!c.IsValid(i)) return {};
  switch (c.type()) {
    case DataType::kFloat64:
      return FormatDouble(c.f64()[i]);
    case DataType::kInt64:
      return std::to_string(c.i64()[i]);
    case DataType::kBool:
      return c.bools()[i] ? "true" : "false";
    case DataType::kString:
      return std::string(c.StringAt(i));
    case DataType::kTimestamp:
      return FormatTimestamp(c.i64()[i]);
  }
  return {};
}

// --- ColumnBuilder ----------------------------------------------------------------------------

// String -> code: open addressing over the dictionary itself (each slot holds a code and its
// string's hash; the string is compared in the dictionary), so a new value costs no allocation
// beyond its dictionary entry. Load factor at most 1/2, linear probing.
struct ColumnBuilder::Index {
  struct Slot {
    uint64_t hash = 0;
    int32_t code = -1;  // -1: empty
  };
  std::vector<Slot> slots;
  size_t count = 0;

  static uint64_t Hash(std::string_view v) { return std::hash<std::string_view>{}(v); }

  // The code of `v`, or -1 with `*slot` at the empty slot where it belongs.
  int32_t Find(std::string_view v, uint64_t h, const Dictionary& dict, size_t* slot) const {
    const size_t mask = slots.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots[i];
      if (s.code < 0) {
        *slot = i;
        return -1;
      }
      if (s.hash == h && dict[static_cast<size_t>(s.code)] == v) return s.code;
    }
  }

  // Room for `n` values in all without growing again.
  void Reserve(size_t n) {
    size_t want = 64;
    while (want < 2 * n) want *= 2;
    if (want > slots.size()) Grow(want);
  }

  void Grow(size_t size = 0) {
    std::vector<Slot> old = std::move(slots);
    slots.assign(std::max(std::max<size_t>(64, old.size() * 2), size), Slot{});
    const size_t mask = slots.size() - 1;
    for (const Slot& s : old) {
      if (s.code < 0) continue;
      size_t i = s.hash & mask;
      while (slots[i].code >= 0) i = (i + 1) & mask;
      slots[i] = s;
    }
  }

  void Clear() {  // keeps the table: a builder reused chunk after chunk does not grow it again
    std::fill(slots.begin(), slots.end(), Slot{});
    count = 0;
  }
};

ColumnBuilder::ColumnBuilder(DataType type) : data_(std::make_unique<internal::ColumnData>()) {
  data_->type = type;
  if (type == DataType::kString) {
    dictionary_ = std::make_unique<Dictionary>();
    index_ = std::make_unique<Index>();
  }
}
ColumnBuilder::~ColumnBuilder() = default;
ColumnBuilder::ColumnBuilder(ColumnBuilder&&) noexcept = default;
ColumnBuilder& ColumnBuilder::operator=(ColumnBuilder&&) noexcept = default;

void ColumnBuilder::Reserve(int64_t n) {
  switch (data_->type) {
    case DataType::kFloat64:
      data_->f64.reserve(n);
      break;
    case DataType::kInt64:
    case DataType::kTimestamp:
      data_->i64.reserve(n);
      break;
    case DataType::kBool:
      data_->b8.reserve(n);
      break;
    case DataType::kString:
      data_->codes.reserve(n);
      break;
  }
}

void ColumnBuilder::AppendNull() {
  int64_t i = data_->length;
  if (data_->validity.empty()) {
    // First missing value: every earlier value was present.
    data_->validity.assign(static_cast<size_t>(i / 64 + 1), 0);
    for (int64_t k = 0; k < i; ++k) data_->validity[k >> 6] |= uint64_t{1} << (k & 63);
  } else if (static_cast<size_t>(i >> 6) >= data_->validity.size()) {
    data_->validity.push_back(0);
  }
  switch (data_->type) {
    case DataType::kFloat64:
      data_->f64.push_back(std::nan(""));
      break;
    case DataType::kInt64:
    case DataType::kTimestamp:
      data_->i64.push_back(0);
      break;
    case DataType::kBool:
      data_->b8.push_back(0);
      break;
    case DataType::kString:
      data_->codes.push_back(0);
      break;
  }
  ++data_->null_count;
  ++data_->length;
}

void ColumnBuilder::AppendString(std::string_view v) {
  Index& index = *index_;
  if (2 * (index.count + 1) > index.slots.size()) index.Grow();
  const uint64_t h = Index::Hash(v);
  size_t slot = 0;
  int32_t code = index.Find(v, h, *dictionary_, &slot);
  if (code < 0) {
    code = static_cast<int32_t>(dictionary_->size());
    dictionary_->emplace_back(v);
    index.slots[slot] = {h, code};
    ++index.count;
  }
  data_->codes.push_back(code);
  MarkValid();
}

void ColumnBuilder::AppendColumn(const Column& column) {
  if (column.type() != data_->type) {
    throw Internal("appending a " + std::string(DataTypeName(column.type())) + " column to a " +
                   std::string(DataTypeName(data_->type)) + " builder");
  }
  const int64_t n = column.size();
  const bool nulls = column.has_nulls();
  if (!nulls) {
    // Fast path: bulk copy of values, bitmap bits only if this builder already has one.
    switch (data_->type) {
      case DataType::kFloat64:
        data_->f64.insert(data_->f64.end(), column.f64(), column.f64() + n);
        break;
      case DataType::kInt64:
      case DataType::kTimestamp:
        data_->i64.insert(data_->i64.end(), column.i64(), column.i64() + n);
        break;
      case DataType::kBool:
        data_->b8.insert(data_->b8.end(), column.bools(), column.bools() + n);
        break;
      case DataType::kString: {
        const Dictionary& dict = column.dictionary();
        std::vector<int32_t> remap(dict.size(), -1);
        const int32_t* codes = column.codes();
        for (int64_t i = 0; i < n; ++i) {
          int32_t& r = remap[codes[i]];
          if (r < 0) {
            AppendString(dict[codes[i]]);
            r = data_->codes.back();
            continue;
          }
          data_->codes.push_back(r);
          MarkValid();
        }
        return;
      }
    }
    if (data_->validity.empty()) {
      data_->length += n;
    } else {
      for (int64_t i = 0; i < n; ++i) {
        int64_t k = data_->length;
        if (static_cast<size_t>(k >> 6) >= data_->validity.size()) data_->validity.push_back(0);
        data_->validity[k >> 6] |= uint64_t{1} << (k & 63);
        ++data_->length;
      }
    }
    return;
  }
  for (int64_t i = 0; i < n; ++i) {
    if (!column.IsValid(i)) {
      AppendNull();
      continue;
    }
    switch (data_->type) {
      case DataType::kFloat64:
        AppendDouble(column.f64()[i]);
        break;
      case DataType::kInt64:
      case DataType::kTimestamp:
        AppendInt(column.i64()[i]);
        break;
      case DataType::kBool:
        AppendBool(column.bools()[i]);
        break;
      case DataType::kString:
        AppendString(column.StringAt(i));
        break;
    }
  }
}

void ColumnBuilder::AppendAndClear(ColumnBuilder& other) {
  if (other.type() != type()) throw Internal("AppendAndClear between builders of different types");
  internal::ColumnData& src = *other.data_;
  const int64_t n = src.length;
  if (type() == DataType::kString || src.null_count > 0) {
    // Re-coding strings or merging bitmaps: go value by value.
    const bool has_bitmap = !src.validity.empty();
    std::vector<int32_t> remap(type() == DataType::kString ? other.dictionary_->size() : 0, -1);
    if (type() == DataType::kString) {
      // At most that many new values: grow the index and the dictionary once, not step by step.
      index_->Reserve(index_->count + remap.size());
      const size_t need = dictionary_->size() + remap.size();
      if (need > dictionary_->capacity()) {
        dictionary_->reserve(std::max(need, 2 * dictionary_->capacity()));
      }
    }
    for (int64_t i = 0; i < n; ++i) {
      if (has_bitmap && !BitIsSet(src.validity.data(), i)) {
        AppendNull();
        continue;
      }
      switch (type()) {
        case DataType::kFloat64:
          AppendDouble(src.f64[i]);
          break;
        case DataType::kInt64:
        case DataType::kTimestamp:
          AppendInt(src.i64[i]);
          break;
        case DataType::kBool:
          AppendBool(src.b8[i] != 0);
          break;
        case DataType::kString: {
          // Each distinct value of `other` is looked up once.
          int32_t& r = remap[static_cast<size_t>(src.codes[i])];
          if (r < 0) {
            AppendString((*other.dictionary_)[src.codes[i]]);
            r = data_->codes.back();
          } else {
            data_->codes.push_back(r);
            MarkValid();
          }
          break;
        }
      }
    }
  } else {
    switch (type()) {
      case DataType::kFloat64:
        data_->f64.insert(data_->f64.end(), src.f64.begin(), src.f64.end());
        break;
      case DataType::kInt64:
      case DataType::kTimestamp:
        data_->i64.insert(data_->i64.end(), src.i64.begin(), src.i64.end());
        break;
      case DataType::kBool:
        data_->b8.insert(data_->b8.end(), src.b8.begin(), src.b8.end());
        break;
      case DataType::kString:
        break;
    }
    if (data_->validity.empty()) {
      data_->length += n;
    } else {
      for (int64_t i = 0; i < n; ++i) MarkValid();
    }
  }
  other.Clear();
}

void ColumnBuilder::Clear() {
  data_->f64.clear();
  data_->i64.clear();
  data_->b8.clear();
  data_->codes.clear();
  data_->validity.clear();
  data_->length = 0;
  data_->null_count = 0;
  if (type() == DataType::kString) {
    dictionary_->clear();
    index_->Clear();
  }
}

void ColumnBuilder::ConvertTo(DataType type) {
  if (type == data_->type) return;
  if (AllNull()) {
    ColumnBuilder fresh(type);
    for (int64_t i = 0; i < data_->length; ++i) fresh.AppendNull();
    *this = std::move(fresh);
    return;
  }
  if (data_->type == DataType::kInt64 && type == DataType::kFloat64) {
    data_->f64.resize(data_->i64.size());
    for (size_t i = 0; i < data_->i64.size(); ++i) {
      data_->f64[i] = static_cast<double>(data_->i64[i]);
    }
    // Missing entries keep NaN as their placeholder, like every float64 column.
    if (!data_->validity.empty()) {
      for (int64_t i = 0; i < data_->length; ++i) {
        if (!BitIsSet(data_->validity.data(), i)) data_->f64[i] = std::nan("");
      }
    }
    BigVector<int64_t>().swap(data_->i64);
    data_->type = type;
    return;
  }
  throw Internal("cannot convert a " + std::string(DataTypeName(data_->type)) + " builder to " +
                 std::string(DataTypeName(type)));
}

Column ColumnBuilder::Finish() {
  if (data_->type == DataType::kString) {
    data_->dictionary = std::shared_ptr<const Dictionary>(std::move(dictionary_));
  }
  if (data_->null_count == 0) std::vector<uint64_t>().swap(data_->validity);
  Column out(std::shared_ptr<const internal::ColumnData>(std::move(data_)));
  *this = ColumnBuilder(out.type());
  return out;
}

}  // namespace mloop
