// Binding an expression to a schema: columns resolved, types inferred and checked.
#include <algorithm>

#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/prep/expression_internal.h"

namespace mloop {
namespace expr {
namespace {

using Node = Expression::Node;

std::string A(VType t) {
  std::string_view name = VTypeName(t);
  return (name[0] == 'i' ? "an " : "a ") + std::string(name);
}

class Binder {
 public:
  Binder(std::string_view text, const Schema& schema) : text_(text), schema_(schema) {}

  Bound Bind(const Node& n) {
    Bound b;
    switch (n.kind) {
      case Node::Kind::kNull:
        b.is_null = true;
        b.type = VType::kNull;
        return b;
      case Node::Kind::kBool:
        b.type = VType::kBool;
        b.b = n.b;
        return b;
      case Node::Kind::kInt:
        b.type = VType::kInt64;
        b.i = n.i;
        return b;
      case Node::Kind::kFloat:
        b.type = VType::kFloat64;
        b.f = n.f;
        return b;
      case Node::Kind::kString:
        b.type = VType::kString;
        b.s = n.s;
        return b;
      case Node::Kind::kColumn: {
        int index = schema_.IndexOf(n.s);
        if (index < 0) {
          Fail(ErrorCode::kNotFound, text_, n.pos, "unknown column '" + Printable(n.s, 60) + "'",
               DidYouMean(n.s, schema_.names()));
        }
        b.kind = Bound::Kind::kColumn;
        b.column = index;
        b.type = FromDataType(schema_.field(index).type);
        return b;
      }
      case Node::Kind::kUnary:
      case Node::Kind::kBinary:
        b.kind = n.kind == Node::Kind::kUnary ? Bound::Kind::kUnary : Bound::Kind::kBinary;
        b.op = n.op;
        for (const auto& a : n.args) b.args.push_back(Bind(*a));
        BindOperator(n, b);
        return b;
      case Node::Kind::kCall:
        b.kind = Bound::Kind::kCall;
        b.fn = n.fn;
        for (const auto& a : n.args) b.args.push_back(Bind(*a));
        BindCall(n, b);
        return b;
    }
    throw Internal("unknown expression node");
  }

 private:
  [[noreturn]] void TypeError(size_t pos, const std::string& what) {
    Fail(ErrorCode::kInvalidArgument, text_, pos, what);
  }

  // The null literal takes the type its context needs, and so do if() and coalesce() when all
  // their values are null literals.
  static void Settle(Bound& b, VType t) {
    if (b.type != VType::kNull || t == VType::kNull) return;
    b.type = t;
    if (b.kind == Bound::Kind::kCall && (b.fn == Fn::kIf || b.fn == Fn::kCoalesce)) {
      b.operand = t;
      for (size_t k = b.fn == Fn::kIf ? 1 : 0; k < b.args.size(); ++k) Settle(b.args[k], t);
    }
  }

  // A string literal where a timestamp is needed is read as an ISO date or timestamp.
  bool ToTimestamp(Bound& b, const Node& n) {
    if (b.kind != Bound::Kind::kConst || b.is_null || b.type != VType::kString) return false;
    int64_t micros;
    if (!ParseIsoTimestamp(b.s, &micros)) {
      TypeError(n.start, "'" + Printable(b.s, 40) +
                             "' is not an ISO date or timestamp (YYYY-MM-DD[THH:MM:SS])");
    }
    b.type = VType::kTimestamp;
    b.i = micros;
    b.s.clear();
    return true;
  }

  void BindOperator(const Node& n, Bound& b) {
    const std::string op = "'" + std::string(OpName(n.op)) + "'";
    switch (n.op) {
      case Op::kNot:
      case Op::kAnd:
      case Op::kOr:
        for (size_t k = 0; k < b.args.size(); ++k) {
          VType t = b.args[k].type;
          if (t != VType::kBool && t != VType::kNull) {
            TypeError(n.args[k]->start, op + " needs true/false operands, not " + A(t));
          }
          Settle(b.args[k], VType::kBool);
        }
        b.type = b.operand = VType::kBool;
        return;
      case Op::kNeg: {
        VType t = b.args[0].type;
        if (!IsNumeric(t) && t != VType::kNull) TypeError(n.pos, "cannot negate " + A(t));
        b.type = b.operand =
            t == VType::kFloat64 || t == VType::kNull ? VType::kFloat64 : VType::kInt64;
        Settle(b.args[0], b.operand);
        return;
      }
      case Op::kEq:
      case Op::kNe:
      case Op::kLt:
      case Op::kLe:
      case Op::kGt:
      case Op::kGe:
        BindComparison(n, b);
        return;
      case Op::kAdd:
      case Op::kSub:
      case Op::kMul:
      case Op::kDiv:
      case Op::kMod:
      case Op::kPow: {
        VType ta = b.args[0].type, tb = b.args[1].type;
        if ((!IsNumeric(ta) && ta != VType::kNull) || (!IsNumeric(tb) && tb != VType::kNull)) {
          TypeError(n.pos, "cannot apply " + op + " to " + std::string(VTypeName(ta)) + " and " +
                               std::string(VTypeName(tb)));
        }
        bool real = n.op == Op::kDiv || n.op == Op::kPow || ta == VType::kFloat64 ||
                    tb == VType::kFloat64 || (ta == VType::kNull && tb == VType::kNull);
        b.type = b.operand = real ? VType::kFloat64 : VType::kInt64;
        Settle(b.args[0], b.operand);
        Settle(b.args[1], b.operand);
        return;
      }
    }
  }

  void BindComparison(const Node& n, Bound& b) {
    Bound& x = b.args[0];
    Bound& y = b.args[1];
    if (x.type == VType::kTimestamp) ToTimestamp(y, *n.args[1]);
    if (y.type == VType::kTimestamp) ToTimestamp(x, *n.args[0]);
    VType tx = x.type, ty = y.type;
    b.type = VType::kBool;
    if (tx == VType::kNull || ty == VType::kNull) {
      b.operand = tx == VType::kNull ? (ty == VType::kNull ? VType::kFloat64 : ty) : tx;
    } else if (IsNumeric(tx) && IsNumeric(ty)) {
      b.operand = tx == VType::kFloat64 || ty == VType::kFloat64 ? VType::kFloat64 : VType::kInt64;
    } else if (tx == ty) {
      b.operand = tx;
    } else {
      TypeError(n.pos, "cannot compare " + A(tx) + " with " + A(ty));
    }
    Settle(x, b.operand);
    Settle(y, b.operand);
  }

  // The common type of args[from..]: numbers widen (bool -> int64 -> float64), string literals
  // next to timestamps are read as dates, and the null literal fits anything.
  VType Unify(const Node& n, Bound& b, size_t from) {
    VType common = VType::kNull;
    for (size_t k = from; k < b.args.size(); ++k) {
      if (b.args[k].type == VType::kTimestamp) common = VType::kTimestamp;
    }
    for (size_t k = from; k < b.args.size(); ++k) {
      Bound& a = b.args[k];
      if (common == VType::kTimestamp) ToTimestamp(a, *n.args[k]);
      VType t = a.type;
      if (t == VType::kNull) continue;
      if (common == VType::kNull || common == t) {
        common = t;
      } else if (IsNumeric(common) && IsNumeric(t)) {
        common =
            common == VType::kFloat64 || t == VType::kFloat64 ? VType::kFloat64 : VType::kInt64;
      } else {
        TypeError(n.args[k]->start, "the arguments of " + std::string(FunctionOf(n.fn).name) +
                                        " have different types (" + std::string(VTypeName(common)) +
                                        " and " + std::string(VTypeName(t)) + ")");
      }
    }
    for (size_t k = from; k < b.args.size(); ++k) Settle(b.args[k], common);
    return common;  // kNull when every value is a null literal
  }

  // Checks that argument k is one of the accepted types (or the null literal).
  void Need(const Node& n, Bound& b, size_t k, std::initializer_list<VType> ok,
            std::string_view what) {
    VType t = b.args[k].type;
    if (t == VType::kNull) {
      Settle(b.args[k], *ok.begin());
      return;
    }
    if (std::find(ok.begin(), ok.end(), t) != ok.end()) return;
    TypeError(n.args[k]->start,
              std::string(FunctionOf(n.fn).name) + " needs " + std::string(what) + ", not " + A(t));
  }

  void BindCall(const Node& n, Bound& b) {
    constexpr auto kF = VType::kFloat64, kI = VType::kInt64, kB = VType::kBool, kS = VType::kString,
                   kT = VType::kTimestamp;
    switch (n.fn) {
      case Fn::kLog:
      case Fn::kLog1p:
      case Fn::kExp:
      case Fn::kSqrt:
      case Fn::kFloor:
      case Fn::kCeil:
        Need(n, b, 0, {kF, kI, kB}, "a number");
        b.type = b.operand = kF;
        return;
      case Fn::kPow:
        Need(n, b, 0, {kF, kI, kB}, "numbers");
        Need(n, b, 1, {kF, kI, kB}, "numbers");
        b.type = b.operand = kF;
        return;
      case Fn::kAbs:
        Need(n, b, 0, {kF, kI, kB}, "a number");
        b.type = b.operand = b.args[0].type == kF ? kF : kI;
        return;
      case Fn::kRound: {
        Need(n, b, 0, {kF, kI, kB}, "a number");
        b.type = b.operand = b.args[0].type == kF ? kF : kI;
        if (b.args.size() == 2) {
          const Node& digits = *n.args[1];
          if (digits.kind != Node::Kind::kInt || digits.i < -1000 || digits.i > 1000) {
            TypeError(digits.start, "round needs a whole number from -1000 to 1000 as digits");
          }
          b.param = digits.i;
          b.args.pop_back();
        }
        return;
      }
      case Fn::kMin:
      case Fn::kMax: {
        VType t = Unify(n, b, 0);
        if (t == VType::kNull) {
          t = kF;
          for (auto& a : b.args) Settle(a, kF);
        }
        if (t != kF && t != kI && t != kB && t != kT) {
          TypeError(n.args[0]->start, std::string(FunctionOf(n.fn).name) +
                                          " needs numbers or timestamps, not " + A(t));
        }
        b.type = b.operand = t == kB ? kI : t;
        return;
      }
      case Fn::kIf:
        Need(n, b, 0, {kB}, "a true/false condition");
        b.type = b.operand = Unify(n, b, 1);
        return;
      case Fn::kCoalesce:
        b.type = b.operand = Unify(n, b, 0);
        return;
      case Fn::kIsMissing:
        Settle(b.args[0], kF);
        b.type = kB;
        b.operand = b.args[0].type;
        return;
      case Fn::kIsNan:
        Need(n, b, 0, {kF, kI, kB}, "a number");
        b.type = kB;
        b.operand = b.args[0].type;
        return;
      case Fn::kYear:
      case Fn::kMonth:
      case Fn::kDay:
      case Fn::kDayOfWeek:
      case Fn::kHour:
        ToTimestamp(b.args[0], *n.args[0]);
        Need(n, b, 0, {kT}, "a timestamp");
        b.type = kI;
        b.operand = kT;
        return;
      case Fn::kDaysSince:
        ToTimestamp(b.args[0], *n.args[0]);
        ToTimestamp(b.args[1], *n.args[1]);
        Need(n, b, 0, {kT}, "a timestamp");
        Need(n, b, 1, {kT}, "a date ('YYYY-MM-DD') or a timestamp");
        b.type = kF;
        b.operand = kT;
        return;
      case Fn::kLength:
        Need(n, b, 0, {kS}, "a string");
        b.type = kI;
        b.operand = kS;
        return;
      case Fn::kLower:
      case Fn::kUpper:
        Need(n, b, 0, {kS}, "a string");
        b.type = b.operand = kS;
        return;
      case Fn::kContains:
        Need(n, b, 0, {kS}, "strings");
        Need(n, b, 1, {kS}, "strings");
        b.type = kB;
        b.operand = kS;
        return;
    }
  }

  std::string_view text_;
  const Schema& schema_;
};

}  // namespace

Bound Bind(const Expression::Node& root, std::string_view text, const Schema& schema) {
  return Binder(text, schema).Bind(root);
}

}  // namespace expr
}  // namespace mloop
