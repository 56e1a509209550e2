// The evaluator's values and kernels (internal to expression_eval.cpp,
// expression_functions.cpp and expression_case.cpp). A Value is a whole column (or one scalar
// standing for every row): one typed buffer plus a byte mask of present rows. Each operator or
// function runs one tight loop over the rows; strings are handled per dictionary entry wherever
// that is possible.
#pragma once

#include <bit>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "mloop/core/big_allocator.h"
#include "mloop/core/column.h"
#include "mloop/core/table.h"
#include "mloop/prep/expression_internal.h"

namespace mloop {
namespace expr {

using Mask = BigVector<uint8_t>;

struct Value {
  VType type = VType::kFloat64;  // never kNull: a missing scalar has a real type
  bool scalar = true;            // one value for every row
  bool null = false;             // scalars: the value is missing
  // Scalar storage. Strings: `code` into `dict` (a one-entry dictionary).
  double f = 0;
  int64_t i = 0;  // int64 and timestamps
  uint8_t b = 0;
  int32_t code = 0;
  // Array storage: `data` points into `hold` (a column or a buffer of this evaluation).
  const void* data = nullptr;
  std::shared_ptr<const void> hold;
  std::shared_ptr<const Dictionary> dict;  // strings; codes index it (every code is in range,
                                           // or 0 for an empty dictionary)
  std::shared_ptr<const Mask> valid;       // arrays: 1 = present; null when all are present
  bool owned = false;  // `hold` is a BigVector made by this evaluation (not a table's column)

  const uint8_t* ValidBytes() const { return scalar ? nullptr : valid ? valid->data() : nullptr; }
  // True when some row may be missing.
  bool MayBeMissing() const { return null || ValidBytes() != nullptr; }
};

// Typed access to a value's storage: double (float64), int64_t (int64, timestamp), uint8_t
// (bool), int32_t (string codes).
template <typename T>
const T* Data(const Value& v);
template <>
inline const double* Data<double>(const Value& v) {
  return v.scalar ? &v.f : static_cast<const double*>(v.data);
}
template <>
inline const int64_t* Data<int64_t>(const Value& v) {
  return v.scalar ? &v.i : static_cast<const int64_t*>(v.data);
}
template <>
inline const uint8_t* Data<uint8_t>(const Value& v) {
  return v.scalar ? &v.b : static_cast<const uint8_t*>(v.data);
}
template <>
inline const int32_t* Data<int32_t>(const Value& v) {
  return v.scalar ? &v.code : static_cast<const int32_t*>(v.data);
}

// Writable storage for `v` of `n` rows: its scalar slot, or a new uninitialised buffer.
template <typename T>
T* Allocate(Value& v, int64_t n) {
  if (v.scalar) return const_cast<T*>(Data<T>(v));
  auto buffer = std::make_shared<BigVector<T>>(static_cast<size_t>(n));
  T* p = buffer->data();
  v.data = p;
  v.hold = std::move(buffer);
  v.owned = true;
  return p;
}

// Calls f(T{}) with T the storage type of `t`.
template <typename F>
decltype(auto) WithStorage(VType t, F&& f) {
  switch (t) {
    case VType::kInt64:
    case VType::kTimestamp:
      return f(int64_t{});
    case VType::kBool:
      return f(uint8_t{});
    case VType::kString:
      return f(int32_t{});
    case VType::kFloat64:
    case VType::kNull:
      break;
  }
  return f(double{});
}

template <typename T>
bool StorageIs(VType t) {
  return WithStorage(t, [](auto tag) { return std::is_same_v<decltype(tag), T>; });
}

// Storage for an element-wise result: the buffer of operand `a` or `b` when this evaluation
// made it, nothing else holds it and it stores T (the operation then runs in place: fresh
// memory costs page faults), or else a new buffer.
template <typename T>
T* Output(Value& out, int64_t n, Value* a, Value* b = nullptr) {
  if (!out.scalar) {
    for (Value* v : {a, b}) {
      if (v && !v->scalar && v->owned && v->hold.use_count() == 1 && StorageIs<T>(v->type)) {
        out.data = v->data;
        out.hold = std::move(v->hold);
        out.owned = true;
        return const_cast<T*>(static_cast<const T*>(out.data));
      }
    }
  }
  return Allocate<T>(out, n);
}

// c ? a : b without a branch (conditions are random: a branch would be mispredicted).
template <typename T>
T Blend(uint8_t c, T a, T b) {
  using U = std::conditional_t<sizeof(T) == 8, uint64_t,
                               std::conditional_t<sizeof(T) == 4, uint32_t, uint8_t>>;
  const U m = static_cast<U>(U{0} - static_cast<U>(c != 0));
  return std::bit_cast<T>(
      static_cast<U>((std::bit_cast<U>(a) & m) | (std::bit_cast<U>(b) & static_cast<U>(~m))));
}

// Presence of each row as (pointer, stride): the mask, or one constant byte repeated, so that
// loops over rows need no branch.
inline std::pair<const uint8_t*, int64_t> Presence(const Value& v) {
  static const uint8_t kPresent = 1, kMissing = 0;
  if (const uint8_t* m = v.ValidBytes()) return {m, 1};
  return {v.null ? &kMissing : &kPresent, 0};
}

// out[k] = f(a[k], b[k]) where a scalar operand repeats its one value.
template <typename R, typename A, typename B, typename F>
void Map2(R* out, const A* a, bool a_scalar, const B* b, bool b_scalar, int64_t n, F f) {
  if (a_scalar && b_scalar) {
    out[0] = f(a[0], b[0]);
  } else if (a_scalar) {
    const A x = a[0];
    for (int64_t k = 0; k < n; ++k) out[k] = f(x, b[k]);
  } else if (b_scalar) {
    const B y = b[0];
    for (int64_t k = 0; k < n; ++k) out[k] = f(a[k], y);
  } else {
    for (int64_t k = 0; k < n; ++k) out[k] = f(a[k], b[k]);
  }
}

template <typename R, typename A, typename F>
void Map1(R* out, const A* a, int64_t n, F f) {
  for (int64_t k = 0; k < n; ++k) out[k] = f(a[k]);
}

// expression_case.cpp: characters of a UTF-8 string (Python's len; an invalid byte counts as
// one), and Python's str.lower() / str.upper() (bytes that are not UTF-8 are kept).
int64_t Utf8Length(std::string_view s);
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);

class Evaluator {
 public:
  explicit Evaluator(const Table& table) : table_(table), rows_(table.num_rows()) {}

  Value Eval(const Bound& b);
  Column ToColumn(Value v, VType type) const;

 private:
  // expression_eval.cpp
  int64_t Len(const Value& v) const { return v.scalar ? 1 : rows_; }
  Value NullOf(VType t) const;
  Value Const(const Bound& b) const;
  Value Load(const Column& c) const;
  // A value shaped like `a` op `b`: scalar when both are, present where both are.
  Value Combine(VType t, const Value& a, const Value& b) const;
  Value Convert(Value v, VType to) const;
  void MergeDictionaries(std::vector<Value*> values) const;
  // A value of type `to` with out[k] = table[code[k]] for the string value `s`: a result
  // computed once per dictionary entry, spread over the rows.
  template <typename T>
  Value Gather(const Value& s, VType to, const std::vector<T>& table) const {
    Value out;
    out.type = to;
    out.scalar = s.scalar;
    out.null = s.null;
    out.valid = s.valid;
    const int64_t n = Len(s);
    T* o = Allocate<T>(out, n);
    const int32_t* codes = Data<int32_t>(s);
    const T* t = table.data();
    for (int64_t k = 0; k < n; ++k) o[k] = t[codes[k]];
    return out;
  }
  Value Negate(Value a) const;
  Value Not(Value a) const;
  Value Logic(Op op, Value a, Value b) const;
  Value Arithmetic(Op op, VType t, Value a, Value b) const;
  Value Compare(Op op, VType t, Value a, Value b) const;

  // expression_functions.cpp
  Value If(Value cond, Value a, Value b, VType t) const;
  Value Coalesce(std::vector<Value> values, VType t) const;
  Value Call(const Bound& b);
  Value Math(Fn fn, Value a) const;
  Value MinMax(bool is_min, std::vector<Value> values, VType t) const;
  Value Round(Value a, int64_t digits) const;
  Value DatePart(Fn fn, Value t) const;
  Value DaysSince(Value t, Value since) const;
  Value StringFunction(Fn fn, Value s) const;
  Value Contains(Value s, Value part) const;

  const Table& table_;
  const int64_t rows_;
};

}  // namespace expr
}  // namespace mloop
