// Internals of Expression shared by its three source files: the syntax tree (parse), the typed
// tree bound to a schema (check) and the vectorised evaluator (eval). Not part of the interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/prep/expression.h"

namespace mloop {
namespace expr {

enum class Op : uint8_t {
  kOr,
  kAnd,
  kNot,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kNeg,
};
// The operator as written in messages: "and", "==", "+", "-" (negation) ...
std::string_view OpName(Op op);
inline bool IsComparison(Op op) {
  return op >= Op::kEq && op <= Op::kGe;
}

enum class Fn : uint8_t {
  kLog,
  kLog1p,
  kExp,
  kSqrt,
  kAbs,
  kPow,
  kMin,
  kMax,
  kRound,
  kFloor,
  kCeil,
  kIf,
  kCoalesce,
  kIsMissing,
  kIsNan,
  kYear,
  kMonth,
  kDay,
  kDayOfWeek,
  kHour,
  kDaysSince,
  kLength,
  kLower,
  kUpper,
  kContains,
};

struct FunctionInfo {
  std::string_view name;
  Fn fn;
  int min_args;
  int max_args;            // -1: any number
  std::string_view usage;  // "round(x[, digits])"
};
// The function called `name` (case-insensitive), or nullptr.
const FunctionInfo* FindFunction(std::string_view name);
const FunctionInfo& FunctionOf(Fn fn);
std::vector<std::string> FunctionNames();

// The type of a value while checking: a column type, or kNull for the `null` literal, which
// takes whatever type its context needs.
enum class VType : uint8_t { kFloat64, kInt64, kBool, kString, kTimestamp, kNull };
std::string_view VTypeName(VType t);  // "float64", ..., "null"
DataType ToDataType(VType t);         // kNull -> float64
VType FromDataType(DataType t);
inline bool IsNumeric(VType t) {
  return t == VType::kFloat64 || t == VType::kInt64 || t == VType::kBool;
}

// Throws Error(code) "expression '<text>': <what> at character N<suffix>", N counted in
// characters (UTF-8 sequences) from 1, with a hint that shows the text and a caret under it.
[[noreturn]] void Fail(ErrorCode code, std::string_view text, size_t byte_pos,
                       const std::string& what, const std::string& suffix = {});

// The expression bound to a schema: column indices resolved, every node typed, the implicit
// conversions decided (`operand`), ISO date literals compared with timestamps parsed.
struct Bound {
  enum class Kind : uint8_t { kConst, kColumn, kUnary, kBinary, kCall };
  Kind kind = Kind::kConst;
  VType type = VType::kNull;     // the result type
  VType operand = VType::kNull;  // binary operators and calls: operands are converted to this
  Op op = Op::kAdd;
  Fn fn = Fn::kLog;
  int column = -1;
  // kConst: the value; `is_null` for the null literal (of type `type`).
  bool is_null = false;
  bool b = false;
  int64_t i = 0;  // int64, and timestamps in microseconds
  double f = 0;
  std::string s;
  int64_t param = 0;  // round: the digits
  std::vector<Bound> args;
};

Bound Bind(const Expression::Node& root, std::string_view text, const Schema& schema);
// Evaluates `root` (bound to `table`'s schema) over every row of `table`.
Column EvaluateBound(const Bound& root, const Table& table);

}  // namespace expr

struct Expression::Node {
  enum class Kind : uint8_t {
    kNull,
    kBool,
    kInt,
    kFloat,
    kString,
    kColumn,
    kUnary,
    kBinary,
    kCall
  };
  Kind kind = Kind::kNull;
  size_t pos = 0;    // byte offset of the token that makes the node: literal, name, operator
  size_t start = 0;  // byte offset where the node's text starts (the left operand's start)
  int height = 1;    // levels of the tree below and including this node
  expr::Op op = expr::Op::kAdd;
  expr::Fn fn = expr::Fn::kLog;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;  // string literal, column name, function name as written
  std::vector<std::shared_ptr<const Node>> args;
};

}  // namespace mloop
