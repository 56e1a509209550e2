// The vectorised evaluator: values, operators and the result column. Function calls are in
// expression_functions.cpp.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "mloop/prep/expression_value.h"

namespace mloop {
namespace expr {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Two's-complement wrap-around, as NumPy's int64 arithmetic (signed overflow is undefined in C++).
int64_t WrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t WrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t WrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

// Python's (and NumPy's) remainder: the sign of the divisor. Division by zero is masked out
// by the caller.
int64_t IntMod(int64_t a, int64_t b) {
  if (b == 0 || b == -1) return 0;
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

// NumPy's float remainder (npy_divmod): fmod, moved to the divisor's sign; NaN for x % 0.
double FloatMod(double a, double b) {
  double mod = std::fmod(a, b);
  if (b == 0) return mod;
  if (mod != 0) {
    if ((b < 0) != (mod < 0)) mod += b;
  } else {
    mod = std::copysign(0.0, b);
  }
  return mod;
}

std::shared_ptr<const Dictionary> OneString(std::string s) {
  return std::make_shared<const Dictionary>(Dictionary{std::move(s)});
}

}  // namespace

Value Evaluator::NullOf(VType t) const {
  Value v;
  v.type = t == VType::kNull ? VType::kFloat64 : t;
  v.null = true;
  v.f = kNaN;
  if (v.type == VType::kString) v.dict = OneString("");
  return v;
}

Value Evaluator::Const(const Bound& b) const {
  if (b.is_null) return NullOf(b.type);
  Value v;
  v.type = b.type;
  v.f = b.f;
  v.i = b.i;
  v.b = b.b ? 1 : 0;
  if (b.type == VType::kString) v.dict = OneString(b.s);
  return v;
}

Value Evaluator::Load(const Column& c) const {
  Value v;
  v.type = FromDataType(c.type());
  v.scalar = false;
  auto hold = std::make_shared<const Column>(c);
  switch (c.type()) {
    case DataType::kFloat64:
      v.data = hold->f64();
      break;
    case DataType::kInt64:
    case DataType::kTimestamp:
      v.data = hold->i64();
      break;
    case DataType::kBool:
      v.data = hold->bools();
      break;
    case DataType::kString:
      v.data = hold->codes();
      v.dict = std::shared_ptr<const Dictionary>(hold, &hold->dictionary());
      break;
  }
  v.hold = hold;
  if (c.has_nulls()) {
    auto mask = std::make_shared<Mask>(static_cast<size_t>(rows_));
    uint8_t* m = mask->data();
    for (int64_t k = 0; k < rows_; ++k) m[k] = c.IsValid(k) ? 1 : 0;
    v.valid = std::move(mask);
  }
  return v;
}

Value Evaluator::Combine(VType t, const Value& a, const Value& b) const {
  Value out;
  out.type = t;
  out.scalar = a.scalar && b.scalar;
  const uint8_t* ma = a.ValidBytes();
  const uint8_t* mb = b.ValidBytes();
  if (!mb || ma == mb) {
    out.valid = ma ? a.valid : nullptr;
  } else if (!ma) {
    out.valid = b.valid;
  } else {
    auto mask = std::make_shared<Mask>(static_cast<size_t>(rows_));
    uint8_t* m = mask->data();
    for (int64_t k = 0; k < rows_; ++k) m[k] = ma[k] & mb[k];
    out.valid = std::move(mask);
  }
  return out;
}

Value Evaluator::Convert(Value v, VType to) const {
  if (to == VType::kNull || v.type == to) return v;
  if (v.null) return NullOf(to);
  Value out;
  out.type = to;
  out.scalar = v.scalar;
  out.valid = v.valid;
  const int64_t n = Len(v);
  if (to == VType::kFloat64 && v.type == VType::kInt64) {
    Map1(Allocate<double>(out, n), Data<int64_t>(v), n,
         [](int64_t x) { return static_cast<double>(x); });
  } else if (to == VType::kFloat64 && v.type == VType::kBool) {
    Map1(Allocate<double>(out, n), Data<uint8_t>(v), n,
         [](uint8_t x) { return static_cast<double>(x); });
  } else if (to == VType::kInt64 && v.type == VType::kBool) {
    Map1(Allocate<int64_t>(out, n), Data<uint8_t>(v), n,
         [](uint8_t x) { return static_cast<int64_t>(x); });
  } else {
    throw Internal("expression: cannot convert " + std::string(VTypeName(v.type)) + " to " +
                   std::string(VTypeName(to)));
  }
  return out;
}

// Re-codes string values into one shared dictionary (per dictionary entry, then one gather).
void Evaluator::MergeDictionaries(std::vector<Value*> values) const {
  const Dictionary* first = nullptr;
  bool same = true;
  for (Value* v : values) {
    if (v->null) continue;
    if (!first) first = v->dict.get();
    same = same && v->dict.get() == first;
  }
  if (same) {
    // One dictionary already: missing scalars (code 0) share it.
    if (!first) return;
    std::shared_ptr<const Dictionary> shared;
    for (Value* v : values) {
      if (!v->null) shared = v->dict;
    }
    for (Value* v : values) {
      if (v->null) {
        v->dict = shared;
        v->code = 0;
      }
    }
    return;
  }
  auto merged = std::make_shared<Dictionary>();
  std::unordered_map<std::string_view, int32_t> index;
  std::vector<std::vector<int32_t>> remaps;
  for (Value* v : values) {
    std::vector<int32_t> remap(std::max<size_t>(1, v->null ? 1 : v->dict->size()), 0);
    if (!v->null) {
      const Dictionary& d = *v->dict;
      for (size_t k = 0; k < d.size(); ++k) {
        auto [it, added] = index.emplace(d[k], static_cast<int32_t>(merged->size()));
        if (added) merged->push_back(d[k]);
        remap[k] = it->second;
      }
    }
    remaps.push_back(std::move(remap));
  }
  std::shared_ptr<const Dictionary> dict = std::move(merged);
  for (size_t j = 0; j < values.size(); ++j) {
    Value& v = *values[j];
    if (!v.null) v = Gather(v, VType::kString, remaps[j]);
    v.dict = dict;
    if (v.null) v.code = 0;
  }
}

Value Evaluator::Negate(Value a) const {
  if (a.null) return a;
  Value out = Combine(a.type, a, a);
  const int64_t n = Len(a);
  if (a.type == VType::kFloat64) {
    Map1(Output<double>(out, n, &a), Data<double>(a), n, [](double x) { return -x; });
  } else {
    Map1(Output<int64_t>(out, n, &a), Data<int64_t>(a), n, [](int64_t x) { return WrapSub(0, x); });
  }
  return out;
}

Value Evaluator::Not(Value a) const {
  if (a.null) return a;
  Value out = Combine(VType::kBool, a, a);
  const int64_t n = Len(a);
  Map1(Output<uint8_t>(out, n, &a), Data<uint8_t>(a), n, [](uint8_t x) -> uint8_t { return !x; });
  return out;
}

// SQL's three-valued logic: false and missing = false, true or missing = true.
Value Evaluator::Logic(Op op, Value a, Value b) const {
  const bool is_and = op == Op::kAnd;
  if (!a.MayBeMissing() && !b.MayBeMissing()) {
    Value out = Combine(VType::kBool, a, b);
    const int64_t n = Len(out);
    uint8_t* o = Output<uint8_t>(out, n, &a, &b);
    if (is_and) {
      Map2(o, Data<uint8_t>(a), a.scalar, Data<uint8_t>(b), b.scalar, n,
           [](uint8_t x, uint8_t y) -> uint8_t { return x & y; });
    } else {
      Map2(o, Data<uint8_t>(a), a.scalar, Data<uint8_t>(b), b.scalar, n,
           [](uint8_t x, uint8_t y) -> uint8_t { return x | y; });
    }
    return out;
  }
  Value out;
  out.type = VType::kBool;
  out.scalar = a.scalar && b.scalar;
  const int64_t n = Len(out);
  uint8_t* o = Output<uint8_t>(out, n, &a, &b);
  auto mask = std::make_shared<Mask>(static_cast<size_t>(n));
  uint8_t* m = mask->data();
  const uint8_t *x = Data<uint8_t>(a), *y = Data<uint8_t>(b);
  const int64_t sx = a.scalar ? 0 : 1, sy = b.scalar ? 0 : 1;
  const auto [mx, smx] = Presence(a);
  const auto [my, smy] = Presence(b);
  for (int64_t k = 0; k < n; ++k) {
    const uint8_t vx = x[k * sx], vy = y[k * sy];
    const uint8_t px = mx[k * smx], py = my[k * smy];
    if (is_and) {
      const uint8_t false_x = px & !vx, false_y = py & !vy;
      m[k] = (px & py) | false_x | false_y;
      o[k] = px & py & vx & vy;
    } else {
      const uint8_t true_x = px & vx, true_y = py & vy;
      m[k] = (px & py) | true_x | true_y;
      o[k] = true_x | true_y;
    }
  }
  if (out.scalar) {
    out.null = m[0] == 0;
  } else {
    out.valid = std::move(mask);
  }
  return out;
}

Value Evaluator::Arithmetic(Op op, VType t, Value a, Value b) const {
  a = Convert(std::move(a), t);
  b = Convert(std::move(b), t);
  if (a.null || b.null) return NullOf(t);
  Value out = Combine(t, a, b);
  const int64_t n = Len(out);
  if (t == VType::kFloat64) {
    double* o = Output<double>(out, n, &a, &b);
    const double *x = Data<double>(a), *y = Data<double>(b);
    const bool sx = a.scalar, sy = b.scalar;
    switch (op) {
      case Op::kAdd:
        Map2(o, x, sx, y, sy, n, [](double p, double q) { return p + q; });
        break;
      case Op::kSub:
        Map2(o, x, sx, y, sy, n, [](double p, double q) { return p - q; });
        break;
      case Op::kMul:
        Map2(o, x, sx, y, sy, n, [](double p, double q) { return p * q; });
        break;
      case Op::kDiv:
        Map2(o, x, sx, y, sy, n, [](double p, double q) { return p / q; });
        break;
      case Op::kMod:
        Map2(o, x, sx, y, sy, n, [](double p, double q) { return FloatMod(p, q); });
        break;
      case Op::kPow:
        Map2(o, x, sx, y, sy, n, [](double p, double q) { return std::pow(p, q); });
        break;
      default:
        throw Internal("expression: not an arithmetic operator");
    }
    return out;
  }
  // x % y reads y again after the loop (zero divisors): it must not be overwritten.
  int64_t* o = op == Op::kMod ? Output<int64_t>(out, n, &a) : Output<int64_t>(out, n, &a, &b);
  const int64_t *x = Data<int64_t>(a), *y = Data<int64_t>(b);
  const bool sx = a.scalar, sy = b.scalar;
  switch (op) {
    case Op::kAdd:
      Map2(o, x, sx, y, sy, n, [](int64_t p, int64_t q) { return WrapAdd(p, q); });
      break;
    case Op::kSub:
      Map2(o, x, sx, y, sy, n, [](int64_t p, int64_t q) { return WrapSub(p, q); });
      break;
    case Op::kMul:
      Map2(o, x, sx, y, sy, n, [](int64_t p, int64_t q) { return WrapMul(p, q); });
      break;
    case Op::kMod: {
      Map2(o, x, sx, y, sy, n, [](int64_t p, int64_t q) { return IntMod(p, q); });
      // x % 0 is missing (as in pandas).
      if (sy) {
        if (y[0] == 0) return NullOf(t);
        break;
      }
      int64_t zeros = 0;
      for (int64_t k = 0; k < n; ++k) zeros += y[k] == 0;
      if (zeros == 0) break;
      auto mask = std::make_shared<Mask>(static_cast<size_t>(n));
      uint8_t* m = mask->data();
      const uint8_t* old = out.ValidBytes();
      for (int64_t k = 0; k < n; ++k) m[k] = (old ? old[k] : 1) & (y[k] != 0);
      out.valid = std::move(mask);
      break;
    }
    default:
      throw Internal("expression: not an int64 operator");
  }
  return out;
}

Value Evaluator::Compare(Op op, VType t, Value a, Value b) const {
  if (a.null || b.null) return NullOf(VType::kBool);
  if (t == VType::kString) {
    // Compare ranks in the sorted union of both dictionaries: one sort per dictionary entry,
    // then integer comparisons over the rows.
    std::vector<std::string_view> all(a.dict->begin(), a.dict->end());
    if (b.dict != a.dict) all.insert(all.end(), b.dict->begin(), b.dict->end());
    std::sort(all.begin(), all.end());
    all.erase(std::unique(all.begin(), all.end()), all.end());
    auto ranks = [&](const Dictionary& d) {
      std::vector<int64_t> r(std::max<size_t>(1, d.size()), 0);
      for (size_t k = 0; k < d.size(); ++k) {
        r[k] = std::lower_bound(all.begin(), all.end(), std::string_view(d[k])) - all.begin();
      }
      return r;
    };
    Value ra = Gather(a, VType::kInt64, ranks(*a.dict));
    Value rb = b.dict == a.dict ? Gather(b, VType::kInt64, ranks(*a.dict))
                                : Gather(b, VType::kInt64, ranks(*b.dict));
    return Compare(op, VType::kInt64, std::move(ra), std::move(rb));
  }
  if (t == VType::kTimestamp) t = VType::kInt64;
  if (a.type == VType::kTimestamp) a.type = VType::kInt64;
  if (b.type == VType::kTimestamp) b.type = VType::kInt64;
  a = Convert(std::move(a), t);
  b = Convert(std::move(b), t);
  Value out = Combine(VType::kBool, a, b);
  const int64_t n = Len(out);
  uint8_t* o = Allocate<uint8_t>(out, n);
  auto run = [&](auto tag) {
    using T = decltype(tag);
    const T *x = Data<T>(a), *y = Data<T>(b);
    const bool sx = a.scalar, sy = b.scalar;
    switch (op) {
      case Op::kEq:
        Map2(o, x, sx, y, sy, n, [](T p, T q) -> uint8_t { return p == q; });
        break;
      case Op::kNe:
        Map2(o, x, sx, y, sy, n, [](T p, T q) -> uint8_t { return p != q; });
        break;
      case Op::kLt:
        Map2(o, x, sx, y, sy, n, [](T p, T q) -> uint8_t { return p < q; });
        break;
      case Op::kLe:
        Map2(o, x, sx, y, sy, n, [](T p, T q) -> uint8_t { return p <= q; });
        break;
      case Op::kGt:
        Map2(o, x, sx, y, sy, n, [](T p, T q) -> uint8_t { return p > q; });
        break;
      case Op::kGe:
        Map2(o, x, sx, y, sy, n, [](T p, T q) -> uint8_t { return p >= q; });
        break;
      default:
        throw Internal("expression: not a comparison");
    }
  };
  if (t == VType::kFloat64) {
    run(double{});
  } else {
    run(int64_t{});
  }
  return out;
}

Value Evaluator::Eval(const Bound& b) {
  switch (b.kind) {
    case Bound::Kind::kConst:
      return Const(b);
    case Bound::Kind::kColumn:
      return Load(table_.column(b.column));
    case Bound::Kind::kUnary:
      if (b.op == Op::kNot) return Not(Eval(b.args[0]));
      return Negate(Convert(Eval(b.args[0]), b.operand));
    case Bound::Kind::kBinary: {
      Value x = Eval(b.args[0]);
      Value y = Eval(b.args[1]);
      if (b.op == Op::kAnd || b.op == Op::kOr) return Logic(b.op, std::move(x), std::move(y));
      if (IsComparison(b.op)) return Compare(b.op, b.operand, std::move(x), std::move(y));
      return Arithmetic(b.op, b.operand, std::move(x), std::move(y));
    }
    case Bound::Kind::kCall:
      if (b.fn == Fn::kIf) {
        Value c = Eval(b.args[0]);
        Value x = Eval(b.args[1]);
        Value y = Eval(b.args[2]);
        return If(std::move(c), std::move(x), std::move(y), b.type);
      }
      if (b.fn == Fn::kCoalesce) {
        std::vector<Value> values;
        for (const auto& a : b.args) values.push_back(Eval(a));
        return Coalesce(std::move(values), b.type);
      }
      return Call(b);
  }
  throw Internal("expression: unknown bound node");
}

Column Evaluator::ToColumn(Value v, VType type) const {
  v = Convert(std::move(v), type);
  internal::ColumnData d;
  d.type = ToDataType(type);
  d.length = rows_;
  const int64_t n = rows_;
  const uint8_t* m = v.ValidBytes();
  if (v.null || m) {
    d.validity.assign(static_cast<size_t>((n + 63) / 64), 0);
    for (int64_t k = 0; k < n; ++k) {
      const bool present = !v.null && m[k];
      if (present) {
        d.validity[k >> 6] |= uint64_t{1} << (k & 63);
      } else {
        ++d.null_count;
      }
    }
  }
  auto present = [&](int64_t k) { return !v.null && (!m || m[k]); };
  // The values: this evaluation's own buffer moves into the column; anything else is copied
  // (a scalar is repeated). Values under missing entries are written as ColumnBuilder writes
  // them (NaN or 0), so that equal results have equal bytes.
  auto fill = [&](auto& out, auto missing) {
    using T = std::decay_t<decltype(missing)>;
    if (!v.scalar && v.owned && v.hold.use_count() == 1) {
      out = std::move(*const_cast<BigVector<T>*>(static_cast<const BigVector<T>*>(v.hold.get())));
      if (v.MayBeMissing()) {
        for (int64_t k = 0; k < n; ++k) {
          if (!m[k]) out[k] = missing;
        }
      }
      return;
    }
    out.resize(static_cast<size_t>(n));
    const T* x = Data<T>(v);
    const int64_t sx = v.scalar ? 0 : 1;
    for (int64_t k = 0; k < n; ++k) out[k] = present(k) ? x[k * sx] : missing;
  };
  switch (type) {
    case VType::kInt64:
    case VType::kTimestamp:
      fill(d.i64, int64_t{0});
      break;
    case VType::kBool:
      fill(d.b8, uint8_t{0});
      break;
    case VType::kString: {
      // Re-coded to a dictionary of the strings present, in first-seen order (as ColumnBuilder
      // makes it).
      const std::shared_ptr<const Dictionary> dict = v.dict;
      fill(d.codes, int32_t{0});
      std::vector<int32_t> remap(std::max<size_t>(1, dict->size()), -1);
      auto out_dict = std::make_shared<Dictionary>();
      int32_t* codes = d.codes.data();
      for (int64_t k = 0; k < n; ++k) {
        if (!present(k)) continue;
        int32_t& r = remap[codes[k]];
        if (r < 0) {
          r = static_cast<int32_t>(out_dict->size());
          out_dict->push_back((*dict)[codes[k]]);
        }
        codes[k] = r;
      }
      d.dictionary = std::move(out_dict);
      break;
    }
    case VType::kFloat64:
    case VType::kNull:
      fill(d.f64, kNaN);
      break;
  }
  return Column::FromData(std::move(d));
}

Column EvaluateBound(const Bound& root, const Table& table) {
  Evaluator evaluator(table);
  return evaluator.ToColumn(evaluator.Eval(root), root.type);
}

}  // namespace expr
}  // namespace mloop
