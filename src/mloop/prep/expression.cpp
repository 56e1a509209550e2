// Expression: the public methods, the function table and error messages with a caret. The
// parser is in expression_parse.cpp, type checking in expression_check.cpp and the vectorised
// evaluator in expression_eval.cpp.
#include "mloop/prep/expression.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/prep/expression_internal.h"

namespace mloop {
namespace expr {
namespace {

constexpr FunctionInfo kFunctions[] = {
    {"log", Fn::kLog, 1, 1, "log(x)"},
    {"log1p", Fn::kLog1p, 1, 1, "log1p(x)"},
    {"exp", Fn::kExp, 1, 1, "exp(x)"},
    {"sqrt", Fn::kSqrt, 1, 1, "sqrt(x)"},
    {"abs", Fn::kAbs, 1, 1, "abs(x)"},
    {"pow", Fn::kPow, 2, 2, "pow(x, y)"},
    {"min", Fn::kMin, 2, -1, "min(a, b, ...)"},
    {"max", Fn::kMax, 2, -1, "max(a, b, ...)"},
    {"round", Fn::kRound, 1, 2, "round(x[, digits])"},
    {"floor", Fn::kFloor, 1, 1, "floor(x)"},
    {"ceil", Fn::kCeil, 1, 1, "ceil(x)"},
    {"if", Fn::kIf, 3, 3, "if(condition, then, else)"},
    {"coalesce", Fn::kCoalesce, 2, -1, "coalesce(a, b, ...)"},
    {"is_missing", Fn::kIsMissing, 1, 1, "is_missing(x)"},
    {"is_nan", Fn::kIsNan, 1, 1, "is_nan(x)"},
    {"year", Fn::kYear, 1, 1, "year(t)"},
    {"month", Fn::kMonth, 1, 1, "month(t)"},
    {"day", Fn::kDay, 1, 1, "day(t)"},
    {"day_of_week", Fn::kDayOfWeek, 1, 1, "day_of_week(t)"},
    {"hour", Fn::kHour, 1, 1, "hour(t)"},
    {"days_since", Fn::kDaysSince, 2, 2, "days_since(t, 'YYYY-MM-DD')"},
    {"length", Fn::kLength, 1, 1, "length(s)"},
    {"lower", Fn::kLower, 1, 1, "lower(s)"},
    {"upper", Fn::kUpper, 1, 1, "upper(s)"},
    {"contains", Fn::kContains, 2, 2, "contains(s, 'text')"},
};

// Length of the character at text[i]: a valid UTF-8 sequence, or 1 for any other byte.
size_t CharLength(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 1;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 1;
  }
  return n;
}

// How one character is shown on a terminal line (as core's Printable shows it).
std::string ShowChar(std::string_view s, size_t i, size_t len) {
  auto c = static_cast<unsigned char>(s[i]);
  if (len > 1) return std::string(s.substr(i, len));
  if (c == '\n') return "\\n";
  if (c == '\r') return "\\r";
  if (c == '\t') return "\\t";
  if (c < 0x20 || c >= 0x7F) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\x%02X", c);
    return buf;
  }
  return std::string(1, static_cast<char>(c));
}

}  // namespace

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kOr:
      return "or";
    case Op::kAnd:
      return "and";
    case Op::kNot:
      return "not";
    case Op::kEq:
      return "==";
    case Op::kNe:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLe:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGe:
      return ">=";
    case Op::kAdd:
      return "+";
    case Op::kSub:
    case Op::kNeg:
      return "-";
    case Op::kMul:
      return "*";
    case Op::kDiv:
      return "/";
    case Op::kMod:
      return "%";
    case Op::kPow:
      return "^";
  }
  return "?";
}

const FunctionInfo* FindFunction(std::string_view name) {
  for (const auto& f : kFunctions) {
    if (f.name.size() == name.size() &&
        std::equal(name.begin(), name.end(), f.name.begin(), [](char a, char b) {
          return std::tolower(static_cast<unsigned char>(a)) == b;
        })) {
      return &f;
    }
  }
  return nullptr;
}

const FunctionInfo& FunctionOf(Fn fn) {
  for (const auto& f : kFunctions) {
    if (f.fn == fn) return f;
  }
  throw Internal("no function entry");
}

std::vector<std::string> FunctionNames() {
  std::vector<std::string> names;
  for (const auto& f : kFunctions) names.emplace_back(f.name);
  return names;
}

std::string_view VTypeName(VType t) {
  return t == VType::kNull ? "null" : DataTypeName(ToDataType(t));
}

DataType ToDataType(VType t) {
  switch (t) {
    case VType::kInt64:
      return DataType::kInt64;
    case VType::kBool:
      return DataType::kBool;
    case VType::kString:
      return DataType::kString;
    case VType::kTimestamp:
      return DataType::kTimestamp;
    case VType::kFloat64:
    case VType::kNull:
      break;
  }
  return DataType::kFloat64;
}

VType FromDataType(DataType t) {
  switch (t) {
    case DataType::kInt64:
      return VType::kInt64;
    case DataType::kBool:
      return VType::kBool;
    case DataType::kString:
      return VType::kString;
    case DataType::kTimestamp:
      return VType::kTimestamp;
    case DataType::kFloat64:
      break;
  }
  return VType::kFloat64;
}

void Fail(ErrorCode code, std::string_view text, size_t byte_pos, const std::string& what,
          const std::string& suffix) {
  // Show the text one character at a time so that the caret lands under the character even
  // when some characters are shown as escapes; long texts show a window around the position.
  constexpr size_t kBefore = 60, kAfter = 30;
  std::vector<std::string> shown;
  size_t target = 0;  // index in `shown` of the character at byte_pos (or one past the end)
  for (size_t i = 0; i < text.size();) {
    if (i <= byte_pos) target = shown.size();
    size_t len = CharLength(text, i);
    shown.push_back(ShowChar(text, i, len));
    i += len;
  }
  if (byte_pos >= text.size()) target = shown.size();
  size_t first = target > kBefore ? target - kBefore : 0;
  size_t last = std::min(shown.size(), target + kAfter);
  std::string line = first > 0 ? "..." : "";
  size_t caret = line.size();
  for (size_t k = first; k < last; ++k) {
    if (k == target) caret = line.size();
    line += shown[k];
  }
  if (target >= last) caret = line.size();
  if (last < shown.size()) line += "...";
  // Display width of the line up to the caret: a UTF-8 sequence takes one column.
  size_t column = 0;
  for (size_t i = 0; i < caret; ++i) {
    if ((static_cast<unsigned char>(line[i]) >> 6) != 0x2) ++column;
  }
  std::string message = "expression '" + Printable(text) + "': " + what + " at character " +
                        std::to_string(target + 1) + suffix;
  std::string hint = "see the caret:\n  " + line + "\n  " + std::string(column, ' ') + "^";
  throw Error(code, std::move(message), std::move(hint));
}

}  // namespace expr

DataType Expression::Check(const Schema& schema) const {
  if (!root_) throw FailedPrecondition("checking an empty expression");
  return expr::ToDataType(expr::Bind(*root_, text_, schema).type);
}

Column Expression::Evaluate(const Table& table) const {
  if (!root_) throw FailedPrecondition("evaluating an empty expression");
  return expr::EvaluateBound(expr::Bind(*root_, text_, table.schema()), table);
}

std::vector<std::string> Expression::Columns() const {
  std::vector<std::string> out;
  if (!root_) return out;
  std::vector<const Node*> stack = {root_.get()};
  while (!stack.empty()) {
    const Node* n = stack.back();
    stack.pop_back();
    if (n->kind == Node::Kind::kColumn && std::find(out.begin(), out.end(), n->s) == out.end()) {
      out.push_back(n->s);
    }
    for (auto it = n->args.rbegin(); it != n->args.rend(); ++it) stack.push_back(it->get());
  }
  return out;
}

}  // namespace mloop
