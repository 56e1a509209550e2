// Expressions for `derive NAME = EXPRESSION` and `filter` recipe steps, evaluated a column at a
// time (vectorised), never row by row through a tree of virtual calls.
//
// Grammar (precedence low to high):
//   expr    := or
//   or      := and ( ("or" | "||") and )*
//   and     := not ( ("and" | "&&") not )*
//   not     := ("not" | "!") not | compare
//   compare := sum ( ("==" | "=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum )?
//   sum     := product ( ("+" | "-") product )*
//   product := unary ( ("*" | "/" | "%") unary )*
//   unary   := "-" unary | power
//   power   := atom ( "^" unary )?
//   atom    := number | 'string' | "string" | true | false | null | column | `quoted column`
//            | function "(" args ")" | "(" expr ")"
// Functions: log, log1p, exp, sqrt, abs, pow, min, max, round(x[, digits]), floor, ceil,
//   if(cond, a, b), coalesce(a, b, ...), is_missing(x), year, month, day, day_of_week (Monday =
//   0), hour, days_since(t, 'YYYY-MM-DD'), length, lower, upper, contains(s, 'text').
// Types: int64 and bool widen to float64 in arithmetic; "/" always gives float64; comparing
// strings compares text; a timestamp compares with an ISO date string literal.
// Missing values: any missing operand gives a missing result (is_missing and coalesce look at
// them; "and"/"or" follow SQL's three-valued logic). Invalid arithmetic (log of a negative, 0/0)
// gives NaN, as NumPy does. A filter keeps the rows where the expression is true (not missing).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/column.h"
#include "mloop/core/table.h"

namespace mloop {

class Expression {
 public:
  // Parses `text`. A syntax error throws InvalidArgument whose message names the character
  // position ("at character 7") and whose hint shows the text with a caret under that character.
  static Expression Parse(std::string_view text);

  // The result type on a table with `schema`. An unknown column throws NotFound naming the
  // nearest column; a type error (log of a string) throws InvalidArgument with the position.
  DataType Check(const Schema& schema) const;

  // Evaluates over every row of `table` (which must pass Check).
  Column Evaluate(const Table& table) const;

  // The columns the expression reads, in order of first use.
  std::vector<std::string> Columns() const;
  const std::string& text() const { return text_; }

  struct Node;  // defined in expression.cpp

 private:
  std::shared_ptr<const Node> root_;
  std::string text_;
};

}  // namespace mloop
