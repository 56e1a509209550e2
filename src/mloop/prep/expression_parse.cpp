// The expression lexer and recursive-descent parser (grammar in expression.h).
#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>

#include "mloop/core/strings.h"
#include "mloop/prep/expression.h"
#include "mloop/prep/expression_internal.h"

namespace mloop {
namespace expr {
namespace {

using Node = Expression::Node;
using NodePtr = std::shared_ptr<const Node>;

// Limits that keep the recursive parser, checker and evaluator well inside the stack.
constexpr int kMaxNesting = 200;  // parentheses, unary operators and calls inside each other
constexpr int kMaxHeight = 1000;  // levels of the syntax tree (long chains like a + b + c ...)

enum class Tok {
  kEnd,
  kNumber,
  kString,
  kIdent,
  kQuotedIdent,
  kPunct,
  kAnd,
  kOr,
  kNot,
  kTrue,
  kFalse,
  kNull
};

struct Token {
  Tok kind = Tok::kEnd;
  size_t pos = 0;
  size_t len = 0;
  std::string text;  // decoded string or name; the punctuation itself
  bool is_int = false;
  int64_t i = 0;
  double f = 0;
};

bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}
bool IsNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

// Length of a valid multi-byte UTF-8 sequence at s[i], or 0.
size_t Utf8Multibyte(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k) {
    if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return 0;
  }
  return n;
}

bool EqualsLower(std::string_view word, std::string_view lower) {
  if (word.size() != lower.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) { Advance(); }

  NodePtr ParseAll() {
    NodePtr root = ParseOr();
    if (tok_.kind != Tok::kEnd) Unexpected();
    return root;
  }

 private:
  // --- Lexer -----------------------------------------------------------------------------------

  [[noreturn]] void Error(size_t pos, const std::string& what, const std::string& suffix = {}) {
    Fail(ErrorCode::kInvalidArgument, text_, pos, what, suffix);
  }

  void Advance() {
    size_t p = tok_.pos + tok_.len;
    while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t' || text_[p] == '\n' ||
                                text_[p] == '\r' || text_[p] == '\f' || text_[p] == '\v')) {
      ++p;
    }
    tok_ = Token{};
    tok_.pos = p;
    if (p >= text_.size()) return;
    char c = text_[p];
    if (IsDigit(c) || (c == '.' && p + 1 < text_.size() && IsDigit(text_[p + 1]))) {
      LexNumber(p);
    } else if (c == '\'' || c == '"') {
      LexQuoted(p, c, Tok::kString);
    } else if (c == '`') {
      LexQuoted(p, c, Tok::kQuotedIdent);
      if (tok_.text.empty()) Error(p, "empty column name");
    } else if (IsNameStart(c) || Utf8Multibyte(text_, p) > 0) {
      size_t e = p;
      while (e < text_.size()) {
        if (IsNameStart(text_[e]) || IsDigit(text_[e])) {
          ++e;
        } else if (size_t n = Utf8Multibyte(text_, e)) {
          e += n;
        } else {
          break;
        }
      }
      tok_.len = e - p;
      tok_.text = std::string(text_.substr(p, e - p));
      tok_.kind = Tok::kIdent;
      static constexpr std::pair<std::string_view, Tok> kKeywords[] = {
          {"and", Tok::kAnd},   {"or", Tok::kOr},       {"not", Tok::kNot},
          {"true", Tok::kTrue}, {"false", Tok::kFalse}, {"null", Tok::kNull}};
      for (const auto& [word, kind] : kKeywords) {
        if (EqualsLower(tok_.text, word)) tok_.kind = kind;
      }
    } else {
      static constexpr std::string_view kTwo[] = {"==", "!=", "<>", "<=", ">=", "&&", "||"};
      static constexpr std::string_view kOne = "+-*/%^(),<>=!";
      std::string_view rest = text_.substr(p);
      for (std::string_view op : kTwo) {
        if (rest.substr(0, 2) == op) {
          tok_.kind = Tok::kPunct;
          tok_.len = 2;
          tok_.text = std::string(op);
          return;
        }
      }
      if (kOne.find(c) != std::string_view::npos) {
        tok_.kind = Tok::kPunct;
        tok_.len = 1;
        tok_.text = std::string(1, c);
        return;
      }
      Error(p, "unexpected '" + Printable(text_.substr(p, 1)) + "'");
    }
  }

  void LexNumber(size_t p) {
    size_t e = p;
    bool is_int = true;
    while (e < text_.size() && IsDigit(text_[e])) ++e;
    if (e < text_.size() && text_[e] == '.') {
      is_int = false;
      ++e;
      while (e < text_.size() && IsDigit(text_[e])) ++e;
    }
    if (e < text_.size() && (text_[e] == 'e' || text_[e] == 'E')) {
      size_t x = e + 1;
      if (x < text_.size() && (text_[x] == '+' || text_[x] == '-')) ++x;
      if (x < text_.size() && IsDigit(text_[x])) {
        is_int = false;
        e = x;
        while (e < text_.size() && IsDigit(text_[e])) ++e;
      }
    }
    tok_.kind = Tok::kNumber;
    tok_.len = e - p;
    const char* first = text_.data() + p;
    const char* last = text_.data() + e;
    if (is_int) {
      auto [ptr, ec] = std::from_chars(first, last, tok_.i);
      if (ec == std::errc() && ptr == last) {
        tok_.is_int = true;
        return;
      }
    }
    // A leading "." is not accepted by from_chars; parse "0" + text instead.
    std::string digits =
        text_[p] == '.' ? "0" + std::string(first, last) : std::string(first, last);
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), tok_.f);
    if (ec == std::errc::result_out_of_range) {
      // Too large is infinity, too small is zero (as Python's float() reads them).
      size_t epos = digits.find_first_of("eE");
      bool tiny = epos != std::string::npos && epos + 1 < digits.size() && digits[epos + 1] == '-';
      tok_.f = tiny ? 0.0 : std::numeric_limits<double>::infinity();
    }
  }

  // A quoted string or column name. The quote doubled, or a backslash before it, stands for the
  // quote itself; \\ is a backslash, \n and \t a newline and a tab.
  void LexQuoted(size_t p, char quote, Tok kind) {
    std::string out;
    size_t e = p + 1;
    while (true) {
      if (e >= text_.size()) {
        Error(p, kind == Tok::kString ? "unterminated string" : "unterminated quoted column name");
      }
      char c = text_[e];
      if (c == quote) {
        if (e + 1 < text_.size() && text_[e + 1] == quote) {
          out += quote;
          e += 2;
          continue;
        }
        ++e;
        break;
      }
      if (c == '\\' && e + 1 < text_.size()) {
        char n = text_[e + 1];
        out += n == 'n' ? '\n' : n == 't' ? '\t' : n;
        e += 2;
        continue;
      }
      out += c;
      ++e;
    }
    tok_.kind = kind;
    tok_.len = e - p;
    tok_.text = std::move(out);
  }

  bool IsPunct(std::string_view p) const { return tok_.kind == Tok::kPunct && tok_.text == p; }

  std::string Describe() const {
    if (tok_.kind == Tok::kEnd) return "end of expression";
    if (tok_.kind == Tok::kString) return "string '" + Printable(tok_.text, 20) + "'";
    return "'" + Printable(text_.substr(tok_.pos, tok_.len), 20) + "'";
  }

  [[noreturn]] void Unexpected() { Error(tok_.pos, "unexpected " + Describe()); }

  void Expect(std::string_view punct) {
    if (!IsPunct(punct)) {
      Error(tok_.pos, "expected '" + std::string(punct) + "' but found " + Describe());
    }
    Advance();
  }

  // --- Parser ----------------------------------------------------------------------------------

  struct Nest {
    Parser* p;
    Nest(Parser* parser, size_t pos) : p(parser) {
      if (++p->nesting_ > kMaxNesting) {
        p->Error(pos, "expression nests deeper than " + std::to_string(kMaxNesting) + " levels");
      }
    }
    ~Nest() { --p->nesting_; }
  };

  std::shared_ptr<Node> Make(Node::Kind kind, size_t pos, size_t start,
                             std::vector<NodePtr> args = {}) {
    auto n = std::make_shared<Node>();
    n->kind = kind;
    n->pos = pos;
    n->start = start;
    n->args = std::move(args);
    for (const auto& a : n->args) n->height = std::max(n->height, a->height + 1);
    if (n->height > kMaxHeight) {
      Error(pos, "expression nests deeper than " + std::to_string(kMaxHeight) + " levels");
    }
    return n;
  }

  NodePtr MakeBinary(Op op, size_t pos, NodePtr a, NodePtr b) {
    size_t start = a->start;
    auto n = Make(Node::Kind::kBinary, pos, start, {std::move(a), std::move(b)});
    n->op = op;
    return n;
  }

  NodePtr ParseOr() {
    NodePtr left = ParseAnd();
    while (tok_.kind == Tok::kOr || IsPunct("||")) {
      size_t pos = tok_.pos;
      Advance();
      left = MakeBinary(Op::kOr, pos, left, ParseAnd());
    }
    return left;
  }

  NodePtr ParseAnd() {
    NodePtr left = ParseNot();
    while (tok_.kind == Tok::kAnd || IsPunct("&&")) {
      size_t pos = tok_.pos;
      Advance();
      left = MakeBinary(Op::kAnd, pos, left, ParseNot());
    }
    return left;
  }

  NodePtr ParseNot() {
    if (tok_.kind == Tok::kNot || IsPunct("!")) {
      size_t pos = tok_.pos;
      Nest nest(this, pos);
      Advance();
      auto n = Make(Node::Kind::kUnary, pos, pos, {ParseNot()});
      n->op = Op::kNot;
      return n;
    }
    return ParseCompare();
  }

  bool CompareOp(Op* op) const {
    if (tok_.kind != Tok::kPunct) return false;
    const std::string& t = tok_.text;
    if (t == "==" || t == "=") {
      *op = Op::kEq;
    } else if (t == "!=" || t == "<>") {
      *op = Op::kNe;
    } else if (t == "<") {
      *op = Op::kLt;
    } else if (t == "<=") {
      *op = Op::kLe;
    } else if (t == ">") {
      *op = Op::kGt;
    } else if (t == ">=") {
      *op = Op::kGe;
    } else {
      return false;
    }
    return true;
  }

  NodePtr ParseCompare() {
    NodePtr left = ParseSum();
    Op op;
    if (!CompareOp(&op)) return left;
    size_t pos = tok_.pos;
    Advance();
    NodePtr n = MakeBinary(op, pos, left, ParseSum());
    if (CompareOp(&op)) {
      Error(tok_.pos, "comparisons do not chain (join them with 'and'): unexpected " + Describe());
    }
    return n;
  }

  NodePtr ParseSum() {
    NodePtr left = ParseProduct();
    while (IsPunct("+") || IsPunct("-")) {
      Op op = tok_.text == "+" ? Op::kAdd : Op::kSub;
      size_t pos = tok_.pos;
      Advance();
      left = MakeBinary(op, pos, left, ParseProduct());
    }
    return left;
  }

  NodePtr ParseProduct() {
    NodePtr left = ParseUnary();
    while (IsPunct("*") || IsPunct("/") || IsPunct("%")) {
      Op op = tok_.text == "*" ? Op::kMul : tok_.text == "/" ? Op::kDiv : Op::kMod;
      size_t pos = tok_.pos;
      Advance();
      left = MakeBinary(op, pos, left, ParseUnary());
    }
    return left;
  }

  NodePtr ParseUnary() {
    if (!IsPunct("-")) return ParsePower();
    size_t pos = tok_.pos;
    Nest nest(this, pos);
    Advance();
    NodePtr operand = ParseUnary();
    // Fold a negated number literal into the literal, so that round(x, -1) sees a constant.
    if (operand->kind == Node::Kind::kInt || operand->kind == Node::Kind::kFloat) {
      auto n = Make(operand->kind, pos, pos);
      auto& m = *n;
      m.i = static_cast<int64_t>(0 - static_cast<uint64_t>(operand->i));
      m.f = -operand->f;
      return n;
    }
    auto n = Make(Node::Kind::kUnary, pos, pos, {std::move(operand)});
    n->op = Op::kNeg;
    return n;
  }

  NodePtr ParsePower() {
    NodePtr base = ParseAtom();
    if (!IsPunct("^")) return base;
    size_t pos = tok_.pos;
    Nest nest(this, pos);  // ^ is right-associative: a chain recurses once per operator
    Advance();
    return MakeBinary(Op::kPow, pos, base, ParseUnary());
  }

  NodePtr ParseAtom() {
    const size_t pos = tok_.pos;
    switch (tok_.kind) {
      case Tok::kNumber: {
        auto n = Make(tok_.is_int ? Node::Kind::kInt : Node::Kind::kFloat, pos, pos);
        auto& m = *n;
        m.i = tok_.i;
        m.f = tok_.is_int ? static_cast<double>(tok_.i) : tok_.f;
        Advance();
        return n;
      }
      case Tok::kString: {
        auto n = Make(Node::Kind::kString, pos, pos);
        n->s = std::move(tok_.text);
        Advance();
        return n;
      }
      case Tok::kTrue:
      case Tok::kFalse: {
        auto n = Make(Node::Kind::kBool, pos, pos);
        n->b = tok_.kind == Tok::kTrue;
        Advance();
        return n;
      }
      case Tok::kNull: {
        auto n = Make(Node::Kind::kNull, pos, pos);
        Advance();
        return n;
      }
      case Tok::kQuotedIdent: {
        auto n = Make(Node::Kind::kColumn, pos, pos);
        n->s = std::move(tok_.text);
        Advance();
        return n;
      }
      case Tok::kIdent: {
        std::string name = std::move(tok_.text);
        Advance();
        if (!IsPunct("(")) {
          auto n = Make(Node::Kind::kColumn, pos, pos);
          n->s = std::move(name);
          return n;
        }
        return ParseCall(pos, std::move(name));
      }
      case Tok::kPunct:
        if (tok_.text == "(") {
          Nest nest(this, pos);
          Advance();
          NodePtr inner = ParseOr();
          Expect(")");
          return inner;
        }
        break;
      default:
        break;
    }
    Unexpected();
  }

  NodePtr ParseCall(size_t pos, std::string name) {
    const FunctionInfo* info = FindFunction(name);
    if (!info) {
      std::string suggestion = DidYouMean(name, FunctionNames());
      Error(pos, "unknown function '" + Printable(name, 40) + "'", suggestion);
    }
    Nest nest(this, pos);
    Advance();  // "("
    std::vector<NodePtr> args;
    if (!IsPunct(")")) {
      while (true) {
        args.push_back(ParseOr());
        if (IsPunct(",")) {
          Advance();
          continue;
        }
        if (!IsPunct(")")) {
          Error(tok_.pos, "expected ',' or ')' in the arguments of " + std::string(info->name) +
                              " but found " + Describe());
        }
        break;
      }
    }
    Advance();  // ")"
    const int n = static_cast<int>(args.size());
    if (n < info->min_args || (info->max_args >= 0 && n > info->max_args)) {
      std::string takes = info->min_args == info->max_args ? std::to_string(info->min_args)
                          : info->max_args < 0 ? std::to_string(info->min_args) + " or more"
                                               : std::to_string(info->min_args) + " or " +
                                                     std::to_string(info->max_args);
      Error(pos, std::string(info->usage) + " takes " + takes +
                     (info->max_args == 1 ? " argument" : " arguments") + ", not " +
                     std::to_string(n) + ",");
    }
    auto node = Make(Node::Kind::kCall, pos, pos, std::move(args));
    auto& m = *node;
    m.fn = info->fn;
    m.s = std::move(name);
    return node;
  }

  std::string_view text_;
  Token tok_;
  int nesting_ = 0;
};

}  // namespace
}  // namespace expr

Expression Expression::Parse(std::string_view text) {
  Expression e;
  e.text_ = std::string(text);
  e.root_ = expr::Parser(e.text_).ParseAll();
  return e;
}

}  // namespace mloop
