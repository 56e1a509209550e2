// Function calls of the vectorised evaluator: if, coalesce, math, rounding, dates and strings.
#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "mloop/core/time.h"
#include "mloop/prep/expression_value.h"

namespace mloop {
namespace expr {
namespace {

constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;
constexpr int64_t kMicrosPerHour = int64_t{3600} * 1000000;

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if (a % b != 0 && ((a < 0) != (b < 0))) --q;
  return q;
}

// NumPy's power_of_ten (multiarray/calculation.c), used by np.round.
double PowerOfTen(int64_t n) {
  static const double kP10[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};
  if (n < 9) return kP10[n];
  double r = 1e9;
  while (n-- > 9 && std::isfinite(r)) r *= 10.;
  return r;
}

std::string_view Entry(const Dictionary& d, int32_t code) {
  return static_cast<size_t>(code) < d.size() ? std::string_view(d[code]) : std::string_view();
}

}  // namespace

// if(cond, a, b): a where cond is true, b where it is false, missing where cond is missing.
Value Evaluator::If(Value cond, Value a, Value b, VType t) const {
  if (t == VType::kNull) t = VType::kFloat64;  // every branch is the null literal
  a = Convert(std::move(a), t);
  b = Convert(std::move(b), t);
  if (t == VType::kString) MergeDictionaries({&a, &b});
  if (cond.null) return NullOf(t);
  if (cond.scalar) return cond.b ? std::move(a) : std::move(b);
  Value out;
  out.type = t;
  out.scalar = false;
  out.dict = a.dict;
  const int64_t n = rows_;
  const uint8_t* c = Data<uint8_t>(cond);
  WithStorage(t, [&](auto tag) {
    using T = decltype(tag);
    T* o = Output<T>(out, n, &a, &b);
    const T *x = Data<T>(a), *y = Data<T>(b);
    const bool sx = a.scalar, sy = b.scalar;
    if (!sx && !sy) {
      for (int64_t k = 0; k < n; ++k) o[k] = Blend(c[k], x[k], y[k]);
    } else if (sx && sy) {
      const T p = x[0], q = y[0];
      for (int64_t k = 0; k < n; ++k) o[k] = Blend(c[k], p, q);
    } else if (sx) {
      const T p = x[0];
      for (int64_t k = 0; k < n; ++k) o[k] = Blend(c[k], p, y[k]);
    } else {
      const T q = y[0];
      for (int64_t k = 0; k < n; ++k) o[k] = Blend(c[k], x[k], q);
    }
  });
  if (cond.MayBeMissing() || a.MayBeMissing() || b.MayBeMissing()) {
    auto mask = std::make_shared<Mask>(static_cast<size_t>(n));
    uint8_t* m = mask->data();
    const auto [mc, sc] = Presence(cond);
    const auto [ma, sa] = Presence(a);
    const auto [mb, sb] = Presence(b);
    for (int64_t k = 0; k < n; ++k) {
      const uint8_t ck = c[k];
      m[k] = mc[k * sc] & ((ck & ma[k * sa]) | ((ck ^ 1) & mb[k * sb]));
    }
    out.valid = std::move(mask);
  }
  return out;
}

// The first present value of each row.
Value Evaluator::Coalesce(std::vector<Value> values, VType t) const {
  if (t == VType::kNull) t = VType::kFloat64;
  std::vector<Value*> pointers;
  for (auto& v : values) {
    v = Convert(std::move(v), t);
    pointers.push_back(&v);
  }
  if (t == VType::kString) MergeDictionaries(pointers);
  size_t first = 0;
  while (first < values.size() && values[first].null) ++first;
  if (first == values.size()) return NullOf(t);
  Value out = std::move(values[first]);
  if (!out.MayBeMissing()) return out;
  // Fill a copy of the first array with present values of the following arguments.
  const int64_t n = rows_;
  auto mask = std::make_shared<Mask>(*out.valid);
  uint8_t* m = mask->data();
  WithStorage(t, [&](auto tag) {
    using T = decltype(tag);
    T* o;
    if (out.owned && out.hold.use_count() == 1) {
      o = const_cast<T*>(Data<T>(out));  // this evaluation's own buffer: fill it in place
    } else {
      auto buffer = std::make_shared<BigVector<T>>(Data<T>(out), Data<T>(out) + n);
      o = buffer->data();
      out.data = o;
      out.hold = std::move(buffer);
      out.owned = true;
    }
    for (size_t j = first + 1; j < values.size(); ++j) {
      const Value& v = values[j];
      if (v.null) continue;
      const T* x = Data<T>(v);
      const auto [mv, sv] = Presence(v);
      const int64_t sx = v.scalar ? 0 : 1;
      for (int64_t k = 0; k < n; ++k) {
        const uint8_t take = (m[k] ^ 1) & mv[k * sv];
        o[k] = Blend(take, x[k * sx], o[k]);
        m[k] |= take;
      }
    }
  });
  if (std::find(m, m + n, 0) == m + n) {
    out.valid = nullptr;
  } else {
    out.valid = std::move(mask);
  }
  return out;
}

Value Evaluator::Call(const Bound& b) {
  std::vector<Value> args;
  for (const auto& a : b.args) args.push_back(Eval(a));
  switch (b.fn) {
    case Fn::kLog:
    case Fn::kLog1p:
    case Fn::kExp:
    case Fn::kSqrt:
    case Fn::kFloor:
    case Fn::kCeil:
    case Fn::kAbs:
      return Math(b.fn, Convert(std::move(args[0]), b.operand));
    case Fn::kPow:
      return Arithmetic(Op::kPow, VType::kFloat64, std::move(args[0]), std::move(args[1]));
    case Fn::kMin:
    case Fn::kMax:
      return MinMax(b.fn == Fn::kMin, std::move(args), b.operand);
    case Fn::kRound:
      return Round(Convert(std::move(args[0]), b.operand), b.param);
    case Fn::kIsMissing: {
      const Value& v = args[0];
      Value out;
      out.type = VType::kBool;
      if (v.null || !v.MayBeMissing()) {
        out.b = v.null ? 1 : 0;
        return out;
      }
      out.scalar = false;
      Map1(Allocate<uint8_t>(out, rows_), v.ValidBytes(), rows_,
           [](uint8_t present) -> uint8_t { return !present; });
      return out;
    }
    case Fn::kIsNan: {
      Value v = std::move(args[0]);
      if (v.null) return NullOf(VType::kBool);
      Value out = Combine(VType::kBool, v, v);
      const int64_t n = Len(v);
      uint8_t* o = Allocate<uint8_t>(out, n);
      if (v.type == VType::kFloat64) {
        Map1(o, Data<double>(v), n, [](double x) -> uint8_t { return std::isnan(x); });
      } else {
        std::fill(o, o + n, uint8_t{0});
      }
      return out;
    }
    case Fn::kYear:
    case Fn::kMonth:
    case Fn::kDay:
    case Fn::kDayOfWeek:
    case Fn::kHour:
      return DatePart(b.fn, std::move(args[0]));
    case Fn::kDaysSince:
      return DaysSince(std::move(args[0]), std::move(args[1]));
    case Fn::kLength:
    case Fn::kLower:
    case Fn::kUpper:
      return StringFunction(b.fn, std::move(args[0]));
    case Fn::kContains:
      return Contains(std::move(args[0]), std::move(args[1]));
    case Fn::kIf:
    case Fn::kCoalesce:
      break;
  }
  throw Internal("expression: function not evaluated here");
}

Value Evaluator::Math(Fn fn, Value a) const {
  if (a.null) return a;
  Value out = Combine(a.type, a, a);
  const int64_t n = Len(a);
  if (a.type == VType::kInt64) {  // abs
    Map1(Output<int64_t>(out, n, &a), Data<int64_t>(a), n,
         [](int64_t x) { return x < 0 ? static_cast<int64_t>(0 - static_cast<uint64_t>(x)) : x; });
    return out;
  }
  double* o = Output<double>(out, n, &a);
  const double* x = Data<double>(a);
  switch (fn) {
    case Fn::kLog:
      Map1(o, x, n, [](double v) { return std::log(v); });
      break;
    case Fn::kLog1p:
      Map1(o, x, n, [](double v) { return std::log1p(v); });
      break;
    case Fn::kExp:
      Map1(o, x, n, [](double v) { return std::exp(v); });
      break;
    case Fn::kSqrt:
      Map1(o, x, n, [](double v) { return std::sqrt(v); });
      break;
    case Fn::kFloor:
      Map1(o, x, n, [](double v) { return std::floor(v); });
      break;
    case Fn::kCeil:
      Map1(o, x, n, [](double v) { return std::ceil(v); });
      break;
    case Fn::kAbs:
      Map1(o, x, n, [](double v) { return std::fabs(v); });
      break;
    default:
      throw Internal("expression: not a math function");
  }
  return out;
}

// Element-wise minimum or maximum (np.minimum / np.maximum: NaN wins).
Value Evaluator::MinMax(bool is_min, std::vector<Value> values, VType t) const {
  for (auto& v : values) {
    v = Convert(std::move(v), t);
    if (v.null) return NullOf(t);
  }
  Value acc = std::move(values[0]);
  for (size_t j = 1; j < values.size(); ++j) {
    Value& v = values[j];
    Value out = Combine(t, acc, v);
    const int64_t n = Len(out);
    if (t == VType::kFloat64) {
      double* o = Output<double>(out, n, &acc, &v);
      if (is_min) {
        Map2(o, Data<double>(acc), acc.scalar, Data<double>(v), v.scalar, n,
             [](double p, double q) { return p < q || std::isnan(p) ? p : q; });
      } else {
        Map2(o, Data<double>(acc), acc.scalar, Data<double>(v), v.scalar, n,
             [](double p, double q) { return p > q || std::isnan(p) ? p : q; });
      }
    } else {
      int64_t* o = Output<int64_t>(out, n, &acc, &v);
      if (is_min) {
        Map2(o, Data<int64_t>(acc), acc.scalar, Data<int64_t>(v), v.scalar, n,
             [](int64_t p, int64_t q) { return p < q ? p : q; });
      } else {
        Map2(o, Data<int64_t>(acc), acc.scalar, Data<int64_t>(v), v.scalar, n,
             [](int64_t p, int64_t q) { return p > q ? p : q; });
      }
    }
    acc = std::move(out);
  }
  return acc;
}

// np.round: half to even, scaling by a power of ten exactly as NumPy does (x * 10^d, rint,
// / 10^d; for negative d: x / 10^-d, rint, * 10^-d). Integers stay integers.
Value Evaluator::Round(Value a, int64_t digits) const {
  if (a.null) return a;
  if (a.type == VType::kInt64 && digits >= 0) return a;
  Value out = Combine(a.type, a, a);
  const int64_t n = Len(a);
  const double f = PowerOfTen(digits < 0 ? -digits : digits);
  if (a.type == VType::kInt64) {
    Map1(Output<int64_t>(out, n, &a), Data<int64_t>(a), n, [f](int64_t x) {
      double r = std::rint(static_cast<double>(x) / f) * f;
      // Out of range: NumPy's cast gives the smallest int64 on x86.
      return r >= -9.2233720368547758e18 && r < 9.2233720368547758e18
                 ? static_cast<int64_t>(r)
                 : std::numeric_limits<int64_t>::min();
    });
    return out;
  }
  double* o = Output<double>(out, n, &a);
  const double* x = Data<double>(a);
  if (digits == 0) {
    Map1(o, x, n, [](double v) { return std::rint(v); });
  } else if (digits > 0) {
    Map1(o, x, n, [f](double v) { return std::rint(v * f) / f; });
  } else {
    Map1(o, x, n, [f](double v) { return std::rint(v / f) * f; });
  }
  return out;
}

Value Evaluator::DatePart(Fn fn, Value t) const {
  if (t.null) return NullOf(VType::kInt64);
  Value out = Combine(VType::kInt64, t, t);
  const int64_t n = Len(t);
  int64_t* o = Output<int64_t>(out, n, &t);
  const int64_t* x = Data<int64_t>(t);
  auto civil = [](int64_t micros, int part) {
    int64_t y;
    unsigned m, d;
    CivilFromDays(FloorDiv(micros, kMicrosPerDay), &y, &m, &d);
    return part == 0 ? y : part == 1 ? static_cast<int64_t>(m) : static_cast<int64_t>(d);
  };
  switch (fn) {
    case Fn::kYear:
      Map1(o, x, n, [&](int64_t v) { return civil(v, 0); });
      break;
    case Fn::kMonth:
      Map1(o, x, n, [&](int64_t v) { return civil(v, 1); });
      break;
    case Fn::kDay:
      Map1(o, x, n, [&](int64_t v) { return civil(v, 2); });
      break;
    case Fn::kDayOfWeek:  // 1970-01-01 was a Thursday (3 when Monday is 0)
      Map1(o, x, n, [](int64_t v) {
        int64_t w = (FloorDiv(v, kMicrosPerDay) + 3) % 7;
        return w < 0 ? w + 7 : w;
      });
      break;
    case Fn::kHour:
      Map1(o, x, n, [](int64_t v) {
        int64_t in_day = v % kMicrosPerDay;  // no overflow, even near the int64 limits
        return (in_day < 0 ? in_day + kMicrosPerDay : in_day) / kMicrosPerHour;
      });
      break;
    default:
      throw Internal("expression: not a date function");
  }
  return out;
}

Value Evaluator::DaysSince(Value t, Value since) const {
  if (t.null || since.null) return NullOf(VType::kFloat64);
  Value out = Combine(VType::kFloat64, t, since);
  const int64_t n = Len(out);
  Map2(Allocate<double>(out, n), Data<int64_t>(t), t.scalar, Data<int64_t>(since), since.scalar, n,
       [](int64_t p, int64_t q) {
         auto diff = static_cast<int64_t>(static_cast<uint64_t>(p) - static_cast<uint64_t>(q));
         return static_cast<double>(diff) / static_cast<double>(kMicrosPerDay);
       });
  return out;
}

// length, lower and upper work once per dictionary entry; the rows are then one gather.
Value Evaluator::StringFunction(Fn fn, Value s) const {
  if (s.null) return NullOf(fn == Fn::kLength ? VType::kInt64 : VType::kString);
  const Dictionary& d = *s.dict;
  if (fn == Fn::kLength) {
    std::vector<int64_t> lengths(std::max<size_t>(1, d.size()), 0);
    for (size_t k = 0; k < d.size(); ++k) lengths[k] = Utf8Length(d[k]);
    return Gather(s, VType::kInt64, lengths);
  }
  auto mapped = std::make_shared<Dictionary>();
  std::unordered_map<std::string, int32_t> index;
  std::vector<int32_t> remap(std::max<size_t>(1, d.size()), 0);
  bool changed = false;
  for (size_t k = 0; k < d.size(); ++k) {
    std::string m = fn == Fn::kLower ? ToLower(d[k]) : ToUpper(d[k]);
    changed = changed || m != d[k];
    auto [it, added] = index.emplace(m, static_cast<int32_t>(mapped->size()));
    if (added) mapped->push_back(std::move(m));
    remap[k] = it->second;
  }
  if (!changed) return s;
  Value out = Gather(s, VType::kString, remap);
  out.dict = std::move(mapped);
  return out;
}

Value Evaluator::Contains(Value s, Value part) const {
  if (s.null || part.null) return NullOf(VType::kBool);
  const Dictionary& d = *s.dict;
  if (part.scalar) {
    const std::string_view p = Entry(*part.dict, part.code);
    std::vector<uint8_t> found(std::max<size_t>(1, d.size()), 0);
    for (size_t k = 0; k < d.size(); ++k) found[k] = d[k].find(p) != std::string::npos;
    return Gather(s, VType::kBool, found);
  }
  Value out = Combine(VType::kBool, s, part);
  const int64_t n = Len(out);
  const Dictionary& dp = *part.dict;
  Map2(Allocate<uint8_t>(out, n), Data<int32_t>(s), s.scalar, Data<int32_t>(part), part.scalar, n,
       [&](int32_t a, int32_t b) -> uint8_t {
         return Entry(d, a).find(Entry(dp, b)) != std::string_view::npos;
       });
  return out;
}

}  // namespace expr
}  // namespace mloop
