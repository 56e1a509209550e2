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
// Binary operators are left-associative except "^" (2^3^2 = 2^(3^2)); -2^2 = -(2^2); comparisons
// do not chain (a < b < c is an error). Keywords and function names are case-insensitive, column
// names are not. A column whose name is not [A-Za-z_][A-Za-z0-9_]* (non-ASCII letters allowed)
// or is a keyword goes in backticks. Inside quotes the quote is written twice or after a
// backslash; \\, \n and \t are a backslash, newline and tab. Numbers: 12, 1.5, .5, 1e-3 (an
// integer too large for int64 reads as float64).
//
// Functions: log, log1p, exp, sqrt, floor, ceil (float64); abs; pow(x, y); min(a, b, ...),
//   max(a, b, ...) (numbers or timestamps; NaN wins as in np.minimum); round(x[, digits]) (half to
//   even exactly as np.round; digits a whole-number literal); if(cond, a, b); coalesce(a, b, ...);
//   is_missing(x); is_nan(x); year, month, day, day_of_week (Monday = 0), hour (UTC);
//   days_since(t, 'YYYY-MM-DD') = (t - date) in days as float64 (the second argument may also be
//   a timestamp); length (characters), lower, upper (Python's str.lower/upper);
//   contains(s, 'text') (substring, case-sensitive).
// Types: bool counts as int64 (0/1) in arithmetic; + - * % on int64 stay int64 (wrapping on
// overflow as NumPy does), "/" and "^" give float64, an int64 with a float64 gives float64.
// Comparisons need two numbers, two strings (compared as bytes) or two timestamps; a string
// literal next to a timestamp (in a comparison, if, coalesce, min, max, days_since or a date
// part) is read as an ISO date or timestamp. if and coalesce unify their values' types (int64 and
// float64 give float64). The null literal takes the type its context needs.
// Missing values: any missing operand gives a missing result (is_missing and coalesce look at
// them; "and"/"or" follow SQL's three-valued logic: false and missing = false, true or missing =
// true; if() is missing where its condition is, otherwise takes the chosen value's missingness).
// x == null is missing, never true: use is_missing(x). NaN is a value, not a missing value:
// invalid arithmetic (log of a negative, 0/0, 0.0 % 0) gives NaN and x/0 gives +-inf as NumPy
// does; integer x % 0 is missing (as in pandas). A filter keeps the rows where the expression is
// true (not missing).
//
// An Expression is immutable; Check and Evaluate may run on several threads at once.
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
  // position ("expression 'a + * b': unexpected '*' at character 5", counting UTF-8 characters
  // from 1) and whose hint shows the text with a caret under that character. An unknown function
  // names the nearest one; a wrong argument count says what the function takes. Nesting deeper
  // than 200 levels (1000 for chains of operators) is an error, not a stack overflow.
  static Expression Parse(std::string_view text);

  // The result type on a table with `schema`. An unknown column throws NotFound naming the
  // nearest column; a type error (log of a string) throws InvalidArgument with the position.
  DataType Check(const Schema& schema) const;

  // Evaluates over every row of `table` (checking it first, with Check's errors). A result made
  // only of literals is repeated on every row; a string result has a dictionary of the strings
  // present, in first-seen order.
  Column Evaluate(const Table& table) const;

  // The columns the expression reads, in order of first use.
  std::vector<std::string> Columns() const;
  const std::string& text() const { return text_; }

  struct Node;  // the syntax tree: prep/expression_internal.h

 private:
  std::shared_ptr<const Node> root_;
  std::string text_;
};

}  // namespace mloop
