#include "mloop/prep/expression.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"

namespace mloop {
namespace {

// --- Helpers -----------------------------------------------------------------------------------

Column Floats(const std::vector<std::optional<double>>& values) {
  ColumnBuilder b(DataType::kFloat64);
  for (const auto& v : values) v ? b.AppendDouble(*v) : b.AppendNull();
  return b.Finish();
}
Column Ints(const std::vector<std::optional<int64_t>>& values) {
  ColumnBuilder b(DataType::kInt64);
  for (const auto& v : values) v ? b.AppendInt(*v) : b.AppendNull();
  return b.Finish();
}
Column Bools(const std::vector<std::optional<bool>>& values) {
  ColumnBuilder b(DataType::kBool);
  for (const auto& v : values) v ? b.AppendBool(*v) : b.AppendNull();
  return b.Finish();
}
Column Strings(const std::vector<std::optional<std::string>>& values) {
  ColumnBuilder b(DataType::kString);
  for (const auto& v : values) v ? b.AppendString(*v) : b.AppendNull();
  return b.Finish();
}
Column Times(const std::vector<std::optional<std::string>>& iso) {
  ColumnBuilder b(DataType::kTimestamp);
  for (const auto& v : iso) {
    if (!v) {
      b.AppendNull();
      continue;
    }
    int64_t micros = 0;
    EXPECT_TRUE(ParseIsoTimestamp(*v, &micros)) << *v;
    b.AppendInt(micros);
  }
  return b.Finish();
}

struct Named {
  std::string name;
  Column column;
};

Table MakeTable(const std::vector<Named>& columns) {
  std::vector<Field> fields;
  std::vector<Column> cols;
  for (const auto& c : columns) {
    fields.push_back({c.name, c.column.type(), Role::kFeature});
    cols.push_back(c.column);
  }
  return Table(Schema(fields), cols);
}

// Each row as text ("NA" when missing), joined by "|".
std::string Show(const Column& c) {
  std::string out;
  for (int64_t i = 0; i < c.size(); ++i) {
    if (i) out += "|";
    out += c.IsValid(i) ? CellToString(c, i) : "NA";
  }
  return out;
}

// Parses, checks and evaluates; the checked type must be the type of the result.
Column Eval(const std::string& text, const Table& table) {
  Expression e = Expression::Parse(text);
  DataType type = e.Check(table.schema());
  Column c = e.Evaluate(table);
  EXPECT_EQ(c.type(), type) << text;
  EXPECT_EQ(c.size(), table.num_rows()) << text;
  return c;
}

Table OneRow() {
  return MakeTable({{"one", Ints({1})}});
}

// A literal-only expression, shown with its type: "7 int64".
std::string Lit(const std::string& text) {
  Column c = Eval(text, OneRow());
  return Show(c) + " " + std::string(DataTypeName(c.type()));
}

Error ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorCode::kInternal, "no error");
}

std::string ParseMessage(const std::string& text) {
  Error e = ErrorOf([&] { Expression::Parse(text); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << text;
  return e.what();
}

// The standard table of the tests.
Table Data() {
  return MakeTable({
      {"x", Floats({1.5, -2.0, std::nullopt, 0.0, 4.25})},
      {"i", Ints({3, -7, 0, std::nullopt, 10})},
      {"j", Ints({2, 3, 0, 5, -4})},
      {"b", Bools({true, false, std::nullopt, true, false})},
      {"s", Strings({"Apple", "banana", std::nullopt, "apple", "Cherry"})},
      {"t", Times({"2020-01-01", "1969-12-31T23:30:00", "2000-02-29T13:45:10", std::nullopt,
                   "2024-12-31T23:59:59"})},
  });
}

Schema Customers() {
  return Schema({{"age", DataType::kInt64, Role::kFeature},
                 {"income", DataType::kFloat64, Role::kFeature},
                 {"active", DataType::kBool, Role::kFeature},
                 {"plan", DataType::kString, Role::kFeature},
                 {"signup", DataType::kTimestamp, Role::kFeature}});
}

// --- Parsing: precedence and associativity -----------------------------------------------------

TEST(ExpressionTest, PrecedenceAndAssociativity) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"1 + 2 * 3", "7 int64"},
      {"(1 + 2) * 3", "9 int64"},
      {"10 - 4 - 3", "3 int64"},        // left-associative
      {"100 / 10 / 5", "2.0 float64"},  // left-associative
      {"7 % 4 * 2", "6 int64"},         // same level as *, left to right
      {"2 ^ 3 ^ 2", "512.0 float64"},   // right-associative
      {"-2 ^ 2", "-4.0 float64"},       // ^ binds tighter than unary minus
      {"2 ^ -1", "0.5 float64"},        // unary minus in the exponent
      {"-2 ^ 0.5", "-1.4142135623730951 float64"},
      {"10 % 3 ^ 2", "1.0 float64"},  // 10 % 9.0
      {"- - 4", "4 int64"},
      {"-3 - -3", "0 int64"},
      {"2 * -3", "-6 int64"},
      {"1 + 2 < 4", "true bool"},
      {"1 + 2 == 3 and 2 > 1", "true bool"},
      {"not 1 < 2", "false bool"},
      {"not true and false", "false bool"},  // (not true) and false
      {"not (true and false)", "true bool"},
      {"true or false and false", "true bool"},  // and binds tighter than or
      {"(true or false) and false", "false bool"},
      {"! false || false", "true bool"},
      {"true && !true", "false bool"},
      {"not not true", "true bool"},
      {"1 = 1", "true bool"},
      {"1 <> 2", "true bool"},
      {"1 != 1", "false bool"},
      {"2 <= 2 AND 3 >= 4 OR TRUE", "true bool"},  // keywords in any case
      {"1.5e2 + .5", "150.5 float64"},
      {"1E-2", "0.01 float64"},
      {"99999999999999999999", "1e+20 float64"},  // too large for int64: read as float64
      {"1e999", "inf float64"},
      {"'it''s' == \"it's\"", "true bool"},
      {"'a\\'b' == \"a'b\"", "true bool"},
      {"length('tab\\there')", "8 int64"},
      {"`one` + 1", "2 int64"},
      {"LOG(1) + Sqrt(4)", "2.0 float64"},  // function names in any case
  };
  for (const auto& c : cases) EXPECT_EQ(Lit(c.text), c.expected) << c.text;
}

TEST(ExpressionTest, TextAndColumnsInOrderOfFirstUse) {
  Expression e = Expression::Parse("coalesce(b, a) + a * `c d` - log(b) + `x``y`");
  EXPECT_EQ(e.text(), "coalesce(b, a) + a * `c d` - log(b) + `x``y`");
  EXPECT_EQ(e.Columns(), (std::vector<std::string>{"b", "a", "c d", "x`y"}));
  EXPECT_TRUE(Expression::Parse("1 + log(2)").Columns().empty());
  // A name followed by "(" is a function; otherwise a column, even one named like a function.
  EXPECT_EQ(Expression::Parse("year + year(t)").Columns(), (std::vector<std::string>{"year", "t"}));
  EXPECT_EQ(Expression::Parse("température * 2").Columns(),
            (std::vector<std::string>{"température"}));
}

// --- Types -------------------------------------------------------------------------------------

TEST(ExpressionTest, ResultTypes) {
  Schema s = Customers();
  auto type = [&](const std::string& text) { return Expression::Parse(text).Check(s); };
  EXPECT_EQ(type("age + 1"), DataType::kInt64);
  EXPECT_EQ(type("age * age - age % 7"), DataType::kInt64);
  EXPECT_EQ(type("age / 2"), DataType::kFloat64);
  EXPECT_EQ(type("age ^ 2"), DataType::kFloat64);
  EXPECT_EQ(type("age + income"), DataType::kFloat64);
  EXPECT_EQ(type("active + active"), DataType::kInt64);
  EXPECT_EQ(type("active * 1.5"), DataType::kFloat64);
  EXPECT_EQ(type("-age"), DataType::kInt64);
  EXPECT_EQ(type("-active"), DataType::kInt64);
  EXPECT_EQ(type("age > income"), DataType::kBool);
  EXPECT_EQ(type("plan == 'pro'"), DataType::kBool);
  EXPECT_EQ(type("signup >= '2020-01-01'"), DataType::kBool);
  EXPECT_EQ(type("active == true"), DataType::kBool);
  EXPECT_EQ(type("log(age)"), DataType::kFloat64);
  EXPECT_EQ(type("floor(age)"), DataType::kFloat64);
  EXPECT_EQ(type("abs(age)"), DataType::kInt64);
  EXPECT_EQ(type("abs(income)"), DataType::kFloat64);
  EXPECT_EQ(type("round(age)"), DataType::kInt64);
  EXPECT_EQ(type("round(age, -1)"), DataType::kInt64);
  EXPECT_EQ(type("round(income, 2)"), DataType::kFloat64);
  EXPECT_EQ(type("min(age, 3)"), DataType::kInt64);
  EXPECT_EQ(type("max(age, income, 0)"), DataType::kFloat64);
  EXPECT_EQ(type("min(active, active)"), DataType::kInt64);
  EXPECT_EQ(type("max(signup, '2020-01-01')"), DataType::kTimestamp);
  EXPECT_EQ(type("if(active, age, income)"), DataType::kFloat64);
  EXPECT_EQ(type("if(active, age, active)"), DataType::kInt64);
  EXPECT_EQ(type("if(active, plan, 'none')"), DataType::kString);
  EXPECT_EQ(type("if(active, signup, '2020-01-01')"), DataType::kTimestamp);
  EXPECT_EQ(type("if(active, 1, null)"), DataType::kInt64);
  EXPECT_EQ(type("coalesce(age, 0)"), DataType::kInt64);
  EXPECT_EQ(type("coalesce(null, null)"), DataType::kFloat64);
  EXPECT_EQ(type("coalesce(plan, null, 'x')"), DataType::kString);
  EXPECT_EQ(type("is_missing(plan)"), DataType::kBool);
  EXPECT_EQ(type("is_nan(income)"), DataType::kBool);
  EXPECT_EQ(type("year(signup) + month(signup) + day(signup)"), DataType::kInt64);
  EXPECT_EQ(type("day_of_week(signup) + hour(signup)"), DataType::kInt64);
  EXPECT_EQ(type("days_since(signup, '2020-01-01')"), DataType::kFloat64);
  EXPECT_EQ(type("length(plan)"), DataType::kInt64);
  EXPECT_EQ(type("lower(plan)"), DataType::kString);
  EXPECT_EQ(type("upper(plan)"), DataType::kString);
  EXPECT_EQ(type("contains(plan, 'pro')"), DataType::kBool);
  EXPECT_EQ(type("null"), DataType::kFloat64);
  EXPECT_EQ(type("null + 1"), DataType::kInt64);
  EXPECT_EQ(type("if(active, null, null) and true"), DataType::kBool);
  EXPECT_EQ(type("coalesce(null, if(active, null, null)) + 1"), DataType::kInt64);
  EXPECT_EQ(type("lower(coalesce(null, null))"), DataType::kString);
  EXPECT_EQ(type("min(null, null)"), DataType::kFloat64);
  EXPECT_EQ(type("plan"), DataType::kString);
  EXPECT_EQ(type("'text'"), DataType::kString);
}

TEST(ExpressionTest, IntegerArithmeticStaysInteger) {
  Table t = Data();
  EXPECT_EQ(Show(Eval("i + j", t)), "5|-4|0|NA|6");
  EXPECT_EQ(Show(Eval("i - j", t)), "1|-10|0|NA|14");
  EXPECT_EQ(Show(Eval("i * j", t)), "6|-21|0|NA|-40");
  // Python's remainder: the sign of the divisor; x % 0 is missing (as pandas gives NaN).
  EXPECT_EQ(Show(Eval("i % j", t)), "1|2|NA|NA|-2");
  EXPECT_EQ(Show(Eval("-i", t)), "-3|7|0|NA|-10");
  EXPECT_EQ(Lit("-7 % 3") + "," + Lit("7 % -3") + "," + Lit("-7 % -3") + "," + Lit("7 % 3"),
            "2 int64,-2 int64,-1 int64,1 int64");
  EXPECT_EQ(Lit("5 % 0"), "NA int64");
  // "/" is float division: 0/0 is NaN (np.array([3,-7,0,10]) / np.array([2,3,0,-4])).
  EXPECT_EQ(Show(Eval("i / j", t)), "1.5|-2.3333333333333335|nan|NA|-2.5");
  EXPECT_EQ(Show(Eval("j ^ 2", t)), "4.0|9.0|0.0|25.0|16.0");
  EXPECT_EQ(Show(Eval("b + b", t)), "2|0|NA|2|0");
  EXPECT_EQ(Show(Eval("x + i", t)), "4.5|-9.0|NA|NA|14.25");
  EXPECT_EQ(Show(Eval("x * b", t)), "1.5|-0.0|NA|0.0|0.0");
  // int64 wraps around as NumPy's int64 does.
  EXPECT_EQ(Lit("9223372036854775807 + 1"), "-9223372036854775808 int64");
}

TEST(ExpressionTest, Comparisons) {
  Table t = Data();
  EXPECT_EQ(Show(Eval("i < j", t)), "false|true|false|NA|false");
  EXPECT_EQ(Show(Eval("i >= j", t)), "true|false|true|NA|true");
  EXPECT_EQ(Show(Eval("x == i", t)), "false|false|NA|NA|false");
  EXPECT_EQ(Show(Eval("x != 1.5", t)), "false|true|NA|true|true");
  EXPECT_EQ(Show(Eval("b == true", t)), "true|false|NA|true|false");
  EXPECT_EQ(Show(Eval("b > false", t)), "true|false|NA|true|false");
  EXPECT_EQ(Show(Eval("j <= 2.5", t)), "true|false|true|false|true");
  // Strings compare as text (bytes): upper case sorts before lower case.
  EXPECT_EQ(Show(Eval("s == 'apple'", t)), "false|false|NA|true|false");
  EXPECT_EQ(Show(Eval("s < 'b'", t)), "true|false|NA|true|true");
  EXPECT_EQ(Show(Eval("'b' > s", t)), "true|false|NA|true|true");
  EXPECT_EQ(Show(Eval("s <> 'Cherry'", t)), "true|true|NA|true|false");
  EXPECT_EQ(Show(Eval("s >= s", t)), "true|true|NA|true|true");
  // Two columns with different dictionaries.
  Table u = MakeTable({{"p", Strings({"a", "b", "c", "d"})}, {"q", Strings({"d", "b", "a", "d"})}});
  EXPECT_EQ(Show(Eval("p == q", u)), "false|true|false|true");
  EXPECT_EQ(Show(Eval("p < q", u)), "true|false|false|false");
  EXPECT_EQ(Show(Eval("p > q", u)), "false|false|true|false");
  EXPECT_EQ(Show(Eval("lower(p) == p", u)), "true|true|true|true");
  // Timestamps compare with each other and with ISO date literals.
  EXPECT_EQ(Show(Eval("t >= '2000-01-01'", t)), "true|false|true|NA|true");
  EXPECT_EQ(Show(Eval("'1970-01-01' > t", t)), "false|true|false|NA|false");
  EXPECT_EQ(Show(Eval("t == '2000-02-29T13:45:10Z'", t)), "false|false|true|NA|false");
  EXPECT_EQ(Show(Eval("t == '2020-01-01T01:00:00+01:00'", t)), "true|false|false|NA|false");
  EXPECT_EQ(Show(Eval("t < t", t)), "false|false|false|NA|false");
}

// --- Type errors and unknown columns -----------------------------------------------------------

TEST(ExpressionTest, TypeErrorsNameTheCharacter) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"log(plan)", "log needs a number, not a string at character 5"},
      {"plan + 1", "cannot apply '+' to string and int64 at character 6"},
      {"1 - plan", "cannot apply '-' to int64 and string at character 3"},
      {"signup + 1", "cannot apply '+' to timestamp and int64 at character 8"},
      {"active * plan", "cannot apply '*' to bool and string at character 8"},
      {"plan > 3", "cannot compare a string with an int64 at character 6"},
      {"3 == plan", "cannot compare an int64 with a string at character 3"},
      {"signup > plan", "cannot compare a timestamp with a string at character 8"},
      {"signup < 5", "cannot compare a timestamp with an int64 at character 8"},
      {"-plan", "cannot negate a string at character 1"},
      {"not age", "'not' needs true/false operands, not an int64 at character 5"},
      {"active and age", "'and' needs true/false operands, not an int64 at character 12"},
      {"income or active", "'or' needs true/false operands, not a float64 at character 1"},
      {"if(age, 1, 2)", "if needs a true/false condition, not an int64 at character 4"},
      {"if(active, 1, 'a')",
       "the arguments of if have different types (int64 and string) at character 15"},
      {"coalesce(age, plan)",
       "the arguments of coalesce have different types (int64 and string) at character 15"},
      {"coalesce(signup, 1)",
       "the arguments of coalesce have different types (timestamp and int64) at character 18"},
      {"min(plan, 'x')", "min needs numbers or timestamps, not a string at character 5"},
      {"max(age, plan)",
       "the arguments of max have different types (int64 and string) at character 10"},
      {"year(age)", "year needs a timestamp, not an int64 at character 6"},
      {"hour(plan)", "hour needs a timestamp, not a string at character 6"},
      {"year('2020-02-30')",
       "'2020-02-30' is not an ISO date or timestamp (YYYY-MM-DD[THH:MM:SS]) at character 6"},
      {"length(age)", "length needs a string, not an int64 at character 8"},
      {"upper(active)", "upper needs a string, not a bool at character 7"},
      {"contains(plan, 1)", "contains needs strings, not an int64 at character 16"},
      {"abs(signup)", "abs needs a number, not a timestamp at character 5"},
      {"pow(2, plan)", "pow needs numbers, not a string at character 8"},
      {"is_nan(plan)", "is_nan needs a number, not a string at character 8"},
      {"days_since(age, '2020-01-01')",
       "days_since needs a timestamp, not an int64 at character 12"},
      {"days_since(signup, 'yesterday')",
       "'yesterday' is not an ISO date or timestamp (YYYY-MM-DD[THH:MM:SS]) at character 20"},
      {"days_since(signup, 3)",
       "days_since needs a date ('YYYY-MM-DD') or a timestamp, not an int64 at character 20"},
      {"signup > '2020-13-01'",
       "'2020-13-01' is not an ISO date or timestamp (YYYY-MM-DD[THH:MM:SS]) at character 10"},
      {"round(income, 1.5)",
       "round needs a whole number from -1000 to 1000 as digits at character 15"},
      {"round(income, age)",
       "round needs a whole number from -1000 to 1000 as digits at character 15"},
      {"round(income, 1001)",
       "round needs a whole number from -1000 to 1000 as digits at character 15"},
      {"(age > 1) + (plan)", "cannot apply '+' to bool and string at character 11"},
  };
  for (const auto& c : cases) {
    Error e = ErrorOf([&] { Expression::Parse(c.text).Check(Customers()); });
    EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument) << c.text;
    EXPECT_EQ(std::string(e.what()), "expression '" + std::string(c.text) + "': " + c.message);
  }
}

TEST(ExpressionTest, UnknownColumnNamesTheNearest) {
  Error e = ErrorOf([] { Expression::Parse("income / agee").Check(Customers()); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(std::string(e.what()),
            "expression 'income / agee': unknown column 'agee' at character 10 (did you mean "
            "'age'?)");
  EXPECT_EQ(e.hint(), "see the caret:\n  income / agee\n           ^");
  e = ErrorOf([] { Expression::Parse("`zzz top` + 1").Check(Customers()); });
  EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  EXPECT_EQ(std::string(e.what()),
            "expression '`zzz top` + 1': unknown column 'zzz top' at "
            "character 1");
  // Evaluate checks the table it is given.
  Table t = MakeTable({{"age", Strings({"x"})}});
  e = ErrorOf([&] { Expression::Parse("age + 1").Evaluate(t); });
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(ErrorOf([] { Expression().Evaluate(OneRow()); }).code(),
            ErrorCode::kFailedPrecondition);
}

// --- Missing values ----------------------------------------------------------------------------

TEST(ExpressionTest, MissingValuesPropagate) {
  Table t = Data();
  EXPECT_EQ(Show(Eval("x + 1", t)), "2.5|-1.0|NA|1.0|5.25");
  EXPECT_EQ(Show(Eval("x * i", t)), "4.5|14.0|NA|NA|42.5");
  // [math.log(v) for v in [4.5, 1.0, 3.0, 7.25]] (the C library's log, correctly rounded; NumPy's
  // SIMD log gives 1.504077396776274 and 1.0986122886681096, one unit in the last place away).
  EXPECT_EQ(Show(Eval("log(x + 3)", t)),
            "1.5040773967762742|0.0|NA|1.0986122886681098|1.9810014688665833");
  EXPECT_EQ(Show(Eval("lower(s)", t)), "apple|banana|NA|apple|cherry");
  EXPECT_EQ(Show(Eval("year(t)", t)), "2020|1969|2000|NA|2024");
  EXPECT_EQ(Show(Eval("x > 0", t)), "true|false|NA|false|true");
  // Comparing with null gives missing, as in SQL: use is_missing.
  EXPECT_EQ(Show(Eval("x == null", t)), "NA|NA|NA|NA|NA");
  EXPECT_EQ(Show(Eval("null", t)), "NA|NA|NA|NA|NA");
  EXPECT_EQ(Show(Eval("-null", t)), "NA|NA|NA|NA|NA");
  EXPECT_EQ(Show(Eval("lower(null)", t)), "NA|NA|NA|NA|NA");
  EXPECT_EQ(Show(Eval("is_missing(x)", t)), "false|false|true|false|false");
  EXPECT_EQ(Show(Eval("is_missing(s) or is_missing(t)", t)), "false|false|true|true|false");
  EXPECT_EQ(Show(Eval("is_missing(j)", t)), "false|false|false|false|false");
  EXPECT_EQ(Show(Eval("is_missing(null)", t)), "true|true|true|true|true");
  EXPECT_EQ(Show(Eval("not is_missing(x / 0)", t)), "true|true|false|true|true");
  EXPECT_EQ(Show(Eval("coalesce(x, 0)", t)), "1.5|-2.0|0.0|0.0|4.25");
  EXPECT_EQ(Show(Eval("coalesce(i, x, -1)", t)), "3.0|-7.0|0.0|0.0|10.0");
  EXPECT_EQ(Show(Eval("coalesce(x, i, 99)", t)), "1.5|-2.0|0.0|0.0|4.25");
  EXPECT_EQ(Show(Eval("coalesce(null, i)", t)), "3|-7|0|NA|10");
  EXPECT_EQ(Show(Eval("coalesce(s, 'none')", t)), "Apple|banana|none|apple|Cherry");
  EXPECT_EQ(Show(Eval("coalesce(t, '1999-01-01')", t)),
            "2020-01-01T00:00:00Z|1969-12-31T23:30:00Z|2000-02-29T13:45:10Z|"
            "1999-01-01T00:00:00Z|2024-12-31T23:59:59Z");
  // if(): a missing condition gives missing; only the chosen branch's missingness counts.
  EXPECT_EQ(Show(Eval("if(b, i, 100)", t)), "3|100|NA|NA|100");
  EXPECT_EQ(Show(Eval("if(b, 1, x)", t)), "1.0|-2.0|NA|1.0|4.25");
  EXPECT_EQ(Show(Eval("if(x > 0, s, null)", t)), "Apple|NA|NA|NA|Cherry");
  EXPECT_EQ(Show(Eval("if(null, 1, 2)", t)), "NA|NA|NA|NA|NA");
  EXPECT_EQ(Show(Eval("min(x, i)", t)), "1.5|-7.0|NA|NA|4.25");
  EXPECT_EQ(Show(Eval("min(x, null)", t)), "NA|NA|NA|NA|NA");
  EXPECT_EQ(Show(Eval("contains(s, 'an')", t)), "false|true|NA|false|false");
}

TEST(ExpressionTest, ThreeValuedLogic) {
  // Every combination of true, false and missing.
  std::vector<std::optional<bool>> a, b;
  for (auto x : {std::optional<bool>(true), std::optional<bool>(false), std::optional<bool>()}) {
    for (auto y : {std::optional<bool>(true), std::optional<bool>(false), std::optional<bool>()}) {
      a.push_back(x);
      b.push_back(y);
    }
  }
  Table t = MakeTable({{"a", Bools(a)}, {"b", Bools(b)}});
  // Rows: TT TF TN FT FF FN NT NF NN.
  EXPECT_EQ(Show(Eval("a and b", t)), "true|false|NA|false|false|false|NA|false|NA");
  EXPECT_EQ(Show(Eval("a or b", t)), "true|true|true|true|false|NA|true|NA|NA");
  EXPECT_EQ(Show(Eval("not a", t)), "false|false|false|true|true|true|NA|NA|NA");
  EXPECT_EQ(Show(Eval("a and true", t)), "true|true|true|false|false|false|NA|NA|NA");
  EXPECT_EQ(Show(Eval("a and null", t)), "NA|NA|NA|false|false|false|NA|NA|NA");
  EXPECT_EQ(Show(Eval("a or null", t)), "true|true|true|NA|NA|NA|NA|NA|NA");
  EXPECT_EQ(Show(Eval("null or a", t)), "true|true|true|NA|NA|NA|NA|NA|NA");
  EXPECT_EQ(Show(Eval("false and null", t)),
            "false|false|false|false|false|false|false|false|false");
  EXPECT_EQ(Lit("true or null"), "true bool");
  EXPECT_EQ(Lit("true and null"), "NA bool");
  EXPECT_EQ(Lit("not null"), "NA bool");
}

// --- NaN and infinity --------------------------------------------------------------------------

TEST(ExpressionTest, NanAndInfinityAsNumPy) {
  // np.log([-1., 0.]), np.sqrt(-1.), np.exp(1000.), np.log1p(-1.), np.array([1.,-1.,0.])/0.
  EXPECT_EQ(Lit("log(-1)"), "nan float64");
  EXPECT_EQ(Lit("log(0)"), "-inf float64");
  EXPECT_EQ(Lit("sqrt(-1)"), "nan float64");
  EXPECT_EQ(Lit("exp(1000)"), "inf float64");
  EXPECT_EQ(Lit("log1p(-1)"), "-inf float64");
  EXPECT_EQ(Lit("1 / 0"), "inf float64");
  EXPECT_EQ(Lit("-1 / 0"), "-inf float64");
  EXPECT_EQ(Lit("0 / 0"), "nan float64");
  EXPECT_EQ(Lit("1e308 * 10"), "inf float64");
  // np.mod([-7.5, 7.5, 6., -6., 5., inf, -3.], [2, -2, -3, 3, 0, 3, inf])
  //   -> [0.5, -0.5, -0., 0., nan, nan, inf]
  EXPECT_EQ(Lit("-7.5 % 2"), "0.5 float64");
  EXPECT_EQ(Lit("7.5 % -2"), "-0.5 float64");
  EXPECT_EQ(Lit("6.0 % -3"), "-0.0 float64");
  EXPECT_EQ(Lit("-6.0 % 3"), "0.0 float64");
  EXPECT_EQ(Lit("5.0 % 0"), "nan float64");
  EXPECT_EQ(Lit("(1 / 0) % 3"), "nan float64");
  EXPECT_EQ(Lit("-3.0 % (1 / 0)"), "inf float64");
  // np.power(-8., 1/3), np.power(0., -1.)
  EXPECT_EQ(Lit("pow(-8, 1 / 3)"), "nan float64");
  EXPECT_EQ(Lit("0 ^ -1"), "inf float64");
  // NaN is a value, not a missing value.
  EXPECT_EQ(Lit("is_nan(log(-1))"), "true bool");
  EXPECT_EQ(Lit("is_nan(1)"), "false bool");
  EXPECT_EQ(Lit("is_missing(log(-1))"), "false bool");
  EXPECT_EQ(Lit("coalesce(log(-1), 1)"), "nan float64");
  EXPECT_EQ(Lit("log(-1) == log(-1)"), "false bool");
  EXPECT_EQ(Lit("log(-1) != log(-1)"), "true bool");
  EXPECT_EQ(Lit("log(-1) < 1 or log(-1) >= 1"), "false bool");
  // np.minimum / np.maximum propagate NaN.
  EXPECT_EQ(Lit("min(log(-1), 1)"), "nan float64");
  EXPECT_EQ(Lit("max(1, log(-1))"), "nan float64");
  EXPECT_EQ(Lit("min(1 / 0, 2, -1 / 0)"), "-inf float64");
  EXPECT_EQ(Lit("round(log(-1), 2)"), "nan float64");
  EXPECT_EQ(Lit("floor(1 / 0)"), "inf float64");
}

// --- Functions ---------------------------------------------------------------------------------

TEST(ExpressionTest, MathFunctions) {
  Table t = MakeTable({{"v", Floats({0.5, 2.0, 10.0, -3.25})}, {"k", Ints({1, -2, 3, 0})}});
  Column c = Eval("log(v)", t);
  for (int i = 0; i < 3; ++i) EXPECT_DOUBLE_EQ(c.f64()[i], std::log(t.column(0).f64()[i]));
  EXPECT_TRUE(std::isnan(c.f64()[3]));
  // np.log1p / np.exp / np.sqrt on [0.5, 2.0, 10.0]
  c = Eval("log1p(v)", t);
  EXPECT_DOUBLE_EQ(c.f64()[0], 0.4054651081081644);
  EXPECT_DOUBLE_EQ(c.f64()[2], 2.3978952727983707);
  c = Eval("exp(v)", t);
  EXPECT_DOUBLE_EQ(c.f64()[1], 7.38905609893065);
  EXPECT_DOUBLE_EQ(c.f64()[2], 22026.465794806718);
  c = Eval("sqrt(v)", t);
  EXPECT_DOUBLE_EQ(c.f64()[1], 1.4142135623730951);
  EXPECT_EQ(Show(Eval("abs(v)", t)), "0.5|2.0|10.0|3.25");
  EXPECT_EQ(Show(Eval("abs(k)", t)), "1|2|3|0");
  EXPECT_EQ(Show(Eval("floor(v)", t)), "0.0|2.0|10.0|-4.0");
  EXPECT_EQ(Show(Eval("ceil(v)", t)), "1.0|2.0|10.0|-3.0");
  EXPECT_EQ(Show(Eval("floor(k)", t)), "1.0|-2.0|3.0|0.0");
  EXPECT_EQ(Show(Eval("pow(v, 2)", t)), "0.25|4.0|100.0|10.5625");
  EXPECT_EQ(Show(Eval("pow(2, k)", t)), "2.0|0.25|8.0|1.0");
  EXPECT_EQ(Show(Eval("v ^ k", t)), "0.5|0.25|1000.0|1.0");
  EXPECT_EQ(Show(Eval("min(v, k)", t)), "0.5|-2.0|3.0|-3.25");
  EXPECT_EQ(Show(Eval("max(v, k, 1)", t)), "1.0|2.0|10.0|1.0");
  EXPECT_EQ(Show(Eval("min(k, 0)", t)), "0|-2|0|0");
  EXPECT_EQ(Show(Eval("max(k, -k, 2)", t)), "2|2|3|2");
}

TEST(ExpressionTest, RoundHalfToEvenAsNumPy) {
  Table t = MakeTable({{"r", Floats({0.5, 1.5, 2.5, -0.5, -2.5, 2.675, 1.005, 0.125})},
                       {"k", Ints({15, 25, -15, -25, 7, 0, 1, 2})}});
  // np.round(np.array([0.5, 1.5, 2.5, -0.5, -2.5, 2.675, 1.005, 0.125]))
  EXPECT_EQ(Show(Eval("round(r)", t)), "0.0|2.0|2.0|-0.0|-2.0|3.0|1.0|0.0");
  // np.round(..., 2) -> [0.5, 1.5, 2.5, -0.5, -2.5, 2.68, 1.0, 0.12]
  EXPECT_EQ(Show(Eval("round(r, 2)", t)), "0.5|1.5|2.5|-0.5|-2.5|2.68|1.0|0.12");
  // np.round(np.array([15, 25, -15, -25, 7]), -1) -> [20, 20, -20, -20, 10] (int64)
  EXPECT_EQ(Show(Eval("round(k, -1)", t)), "20|20|-20|-20|10|0|0|0");
  EXPECT_EQ(Show(Eval("round(k)", t)), "15|25|-15|-25|7|0|1|2");
  EXPECT_EQ(Show(Eval("round(k, 3)", t)), "15|25|-15|-25|7|0|1|2");
  // np.round(np.array([1234.5678, -1250.0, 1350.0]), -2) -> [1200., -1200., 1400.]
  EXPECT_EQ(Lit("round(1234.5678, -2)"), "1200.0 float64");
  EXPECT_EQ(Lit("round(-1250.0, -2)"), "-1200.0 float64");
  EXPECT_EQ(Lit("round(1350.0, -2)"), "1400.0 float64");
  // np.round(1.23456789e-5, 7), np.round(123.456, 1)
  EXPECT_EQ(Lit("round(1.23456789e-5, 7)"), "1.23e-05 float64");
  EXPECT_EQ(Lit("round(123.456, 1)"), "123.5 float64");
  EXPECT_EQ(Lit("round(123.456, 400)"), "nan float64");  // 10^400 overflows, as in NumPy
}

TEST(ExpressionTest, DatesAsPandas) {
  Table t = MakeTable({{"t", Times({"1969-12-31T23:30:00", "1970-01-01", "2000-02-29T13:45:10",
                                    "2024-12-31T23:59:59", "1900-03-01T05:00:00",
                                    "2023-06-15T00:00:00.5", std::nullopt})}});
  // pd.to_datetime(...).dt.year / .month / .day / .dayofweek / .hour
  EXPECT_EQ(Show(Eval("year(t)", t)), "1969|1970|2000|2024|1900|2023|NA");
  EXPECT_EQ(Show(Eval("month(t)", t)), "12|1|2|12|3|6|NA");
  EXPECT_EQ(Show(Eval("day(t)", t)), "31|1|29|31|1|15|NA");
  EXPECT_EQ(Show(Eval("day_of_week(t)", t)), "2|3|1|1|3|3|NA");
  EXPECT_EQ(Show(Eval("hour(t)", t)), "23|0|13|23|5|0|NA");
  // (ts - pd.Timestamp("2020-01-01")) / pd.Timedelta(days=1)
  const double expected[] = {-18262.020833333332, -18262.0,
                             -7245.4269675925925, 1826.999988425926,
                             -43769.791666666664, 1261.000005787037};
  Column d = Eval("days_since(t, '2020-01-01')", t);
  for (int i = 0; i < 6; ++i) EXPECT_DOUBLE_EQ(d.f64()[i], expected[i]) << i;
  EXPECT_FALSE(d.IsValid(6));
  EXPECT_EQ(Show(Eval("days_since(t, t)", t)), "0.0|0.0|0.0|0.0|0.0|0.0|NA");
  EXPECT_EQ(Lit("days_since('2020-01-02T12:00:00', '2020-01-01')"), "1.5 float64");
  EXPECT_EQ(Lit("year('2020-05-01') + month('2020-05-01T10:00:00+02:00')"), "2025 int64");
  EXPECT_EQ(Show(Eval("min(t, '1970-01-01')", t)),
            "1969-12-31T23:30:00Z|1970-01-01T00:00:00Z|1970-01-01T00:00:00Z|"
            "1970-01-01T00:00:00Z|1900-03-01T05:00:00Z|1970-01-01T00:00:00Z|NA");
  EXPECT_EQ(Show(Eval("if(year(t) < 1970, '1970-01-01', t) == t", t)),
            "false|true|true|true|false|true|NA");
}

TEST(ExpressionTest, StringFunctionsWorkOnTheDictionary) {
  Table t = MakeTable(
      {{"s", Strings({"Apple", "banana", std::nullopt, "apple", "Cherry", "banana", "APPLE"})},
       {"p", Strings({"pp", "x", "a", "", "err", "nan", "A"})}});
  Column lower = Eval("lower(s)", t);
  EXPECT_EQ(Show(lower), "apple|banana|NA|apple|cherry|banana|apple");
  // The result's dictionary holds each distinct string once, in first-seen order.
  EXPECT_EQ(lower.dictionary(), (Dictionary{"apple", "banana", "cherry"}));
  EXPECT_EQ(Show(Eval("upper(s)", t)), "APPLE|BANANA|NA|APPLE|CHERRY|BANANA|APPLE");
  EXPECT_EQ(Show(Eval("length(s)", t)), "5|6|NA|5|6|6|5");
  EXPECT_EQ(Show(Eval("contains(s, 'an')", t)), "false|true|NA|false|false|true|false");
  EXPECT_EQ(Show(Eval("contains(lower(s), 'app')", t)), "true|false|NA|true|false|false|true");
  EXPECT_EQ(Show(Eval("contains(s, '')", t)), "true|true|NA|true|true|true|true");
  // A second column as the text to look for: row by row.
  EXPECT_EQ(Show(Eval("contains(s, p)", t)), "true|false|NA|true|true|true|true");
  EXPECT_EQ(Show(Eval("contains('banana', p)", t)), "false|false|true|true|false|true|false");
  EXPECT_EQ(Show(Eval("length(lower(s)) + length('é')", t)), "6|7|NA|6|7|7|6");
  EXPECT_EQ(Show(Eval("if(length(s) > 5, upper(s), p)", t)), "pp|BANANA|NA||CHERRY|BANANA|A");
  EXPECT_EQ(Show(Eval("coalesce(s, p)", t)), "Apple|banana|a|apple|Cherry|banana|APPLE");
  EXPECT_EQ(Show(Eval("'k'", t)), "k|k|k|k|k|k|k");
}

TEST(ExpressionTest, UnicodeCaseAsPython) {
  // [(x.upper(), x.lower(), len(x)) for x in [...]] in Python 3.11.
  struct Case {
    const char* text;
    const char* upper;
    const char* lower;
    int length;
  };
  const Case cases[] = {
      {"Ärger", "ÄRGER", "ärger", 5},
      {"ÿ x", "Ÿ X", "ÿ x", 3},
      {"Œuvre", "ŒUVRE", "œuvre", 5},
      {"Straße", "STRASSE", "straße", 6},
      {"ĳ Ğğ", "Ĳ ĞĞ", "ĳ ğğ", 4},
      {"Ωμέγα", "ΩΜΈΓΑ", "ωμέγα", 5},
      {"Привет", "ПРИВЕТ", "привет", 6},
      {"ΣΊΣΥΦΟΣ", "ΣΊΣΥΦΟΣ", "σίσυφος", 7},
      {"İ", "İ", "i̇", 1},
      {"ǅ", "Ǆ", "ǆ", 1},
      {"ſ", "S", "ſ", 1},
      {"µ", "Μ", "µ", 1},
      {"Tiếng Việt", "TIẾNG VIỆT", "tiếng việt", 10},
  };
  std::vector<std::optional<std::string>> values;
  std::string uppers, lowers, lengths;
  for (const auto& c : cases) {
    values.emplace_back(c.text);
    uppers += std::string(uppers.empty() ? "" : "|") + c.upper;
    lowers += std::string(lowers.empty() ? "" : "|") + c.lower;
    lengths += std::string(lengths.empty() ? "" : "|") + std::to_string(c.length);
  }
  Table t = MakeTable({{"u", Strings(values)}});
  EXPECT_EQ(Show(Eval("upper(u)", t)), uppers);
  EXPECT_EQ(Show(Eval("lower(u)", t)), lowers);
  EXPECT_EQ(Show(Eval("length(u)", t)), lengths);
}

// --- Shapes: literals, empty tables, slices ----------------------------------------------------

TEST(ExpressionTest, LiteralsFillEveryRow) {
  Table t = MakeTable({{"a", Ints({1, 2, 3})}});
  EXPECT_EQ(Show(Eval("1 + 2", t)), "3|3|3");
  EXPECT_EQ(Show(Eval("true", t)), "true|true|true");
  EXPECT_EQ(Show(Eval("'2020-01-01' < '2020-02-01'", t)), "true|true|true");
  EXPECT_EQ(Show(Eval("if(a > 1, 'big', 'small')", t)), "small|big|big");
  EXPECT_EQ(Show(Eval("coalesce(null, 'x')", t)), "x|x|x");
  Table empty = MakeTable({{"a", Ints({})}});
  EXPECT_EQ(Eval("a * 2 + log(a)", empty).size(), 0);
  EXPECT_EQ(Eval("'x'", empty).size(), 0);
}

TEST(ExpressionTest, SlicedColumns) {
  Table t = Data().Slice(1, 3);  // rows 1..3
  EXPECT_EQ(Show(Eval("x + i", t)), "-9.0|NA|NA");
  EXPECT_EQ(Show(Eval("upper(s)", t)), "BANANA|NA|APPLE");
  EXPECT_EQ(Show(Eval("b or x > 0", t)), "false|NA|true");
  EXPECT_EQ(Show(Eval("coalesce(i, j)", t)), "-7|0|5");
}

TEST(ExpressionTest, ResultsAreFreshAndDeterministic) {
  Table t = Data();
  const Column x_before = t.column("x");
  // Intermediate buffers are reused in place; the table's own columns never are.
  Column a = Eval("-(x * 2 + 1) / 2", t);
  Column b = Eval("-(x * 2 + 1) / 2", t);
  EXPECT_TRUE(a.Equals(b));
  EXPECT_TRUE(t.column("x").Equals(Floats({1.5, -2.0, std::nullopt, 0.0, 4.25})));
  EXPECT_EQ(t.column("x").f64(), x_before.f64());
  EXPECT_EQ(Show(Eval("x", t)), "1.5|-2.0|NA|0.0|4.25");
  EXPECT_EQ(Show(Eval("if(b, x, x)", t)), "1.5|-2.0|NA|0.0|4.25");
  // Values under missing entries are NaN or 0, as ColumnBuilder writes them.
  EXPECT_TRUE(std::isnan(Eval("x * 0", t).f64()[2]));
  EXPECT_EQ(Eval("i * 5", t).i64()[3], 0);
  EXPECT_EQ(Eval("i > 0", t).bools()[3], 0);
  // A string result's dictionary holds the strings present, in first-seen order.
  Column s = Eval("if(b, upper(s), 'zz')", t);
  EXPECT_EQ(Show(s), "APPLE|zz|NA|APPLE|zz");
  EXPECT_EQ(s.dictionary(), (Dictionary{"APPLE", "zz"}));
  EXPECT_EQ(Eval("if(false, s, null)", t).dictionary(), Dictionary{});
  EXPECT_TRUE(Expression().Columns().empty());
  EXPECT_EQ(ErrorOf([] { Expression().Check(Schema()); }).code(), ErrorCode::kFailedPrecondition);
}

// The evaluator against a row-by-row reference on a larger table with random missing values.
TEST(ExpressionTest, VectorisedMatchesRowByRow) {
  std::mt19937_64 rng(7);
  const int n = 20000;
  std::vector<std::optional<double>> x(n);
  std::vector<std::optional<int64_t>> k(n);
  std::vector<std::optional<std::string>> s(n);
  const char* words[] = {"red", "Green", "BLUE", "teal", "green"};
  for (int r = 0; r < n; ++r) {
    if (rng() % 5) x[r] = static_cast<double>(static_cast<int64_t>(rng() % 2001) - 1000) / 8;
    if (rng() % 7) k[r] = static_cast<int64_t>(rng() % 41) - 20;
    if (rng() % 6) s[r] = words[rng() % 5];
  }
  Table t = MakeTable({{"x", Floats(x)}, {"k", Ints(k)}, {"s", Strings(s)}});
  Column c =
      Eval("if(k % 3 == 0 and not is_missing(x), x * k, coalesce(x, -1.5)) + length(lower(s))", t);
  for (int r = 0; r < n; ++r) {
    std::optional<double> expected;
    // k % 3 == 0 and not is_missing(x): missing when k is missing and x is present.
    std::optional<bool> cond;
    if (!x[r]) {
      cond = false;
    } else if (k[r]) {
      int64_t m = ((*k[r] % 3) + 3) % 3;
      cond = m == 0;
    }
    std::optional<double> branch;
    if (cond) {
      if (*cond) {
        branch = *x[r] * static_cast<double>(*k[r]);
      } else {
        branch = x[r] ? *x[r] : -1.5;
      }
    }
    if (branch && s[r]) expected = *branch + static_cast<double>(s[r]->size());
    ASSERT_EQ(c.IsValid(r), expected.has_value()) << r;
    if (expected) {
      ASSERT_EQ(c.f64()[r], *expected) << r;
    }
  }
}

// --- Parse errors ------------------------------------------------------------------------------

TEST(ExpressionTest, ParseErrorsPointAtTheCharacter) {
  struct Case {
    std::string text;
    std::string message;
  };
  const Case cases[] = {
      {"a + * b", "unexpected '*' at character 5"},
      {"", "unexpected end of expression at character 1"},
      {"   ", "unexpected end of expression at character 4"},
      {"a +", "unexpected end of expression at character 4"},
      {"x >= ", "unexpected end of expression at character 6"},
      {"-", "unexpected end of expression at character 2"},
      {"not", "unexpected end of expression at character 4"},
      {"x ^", "unexpected end of expression at character 4"},
      {"(a + b", "expected ')' but found end of expression at character 7"},
      {"((a) + b c", "expected ')' but found 'c' at character 10"},
      {"a + b)", "unexpected ')' at character 6"},
      {"log)", "unexpected ')' at character 4"},
      {"log(x",
       "expected ',' or ')' in the arguments of log but found end of expression at "
       "character 6"},
      {"log(x y)", "expected ',' or ')' in the arguments of log but found 'y' at character 7"},
      {"log(,)", "unexpected ',' at character 5"},
      {"max(1,)", "unexpected ')' at character 7"},
      {"'abc", "unterminated string at character 1"},
      {"a == 'x", "unterminated string at character 6"},
      {"a == \"x'", "unterminated string at character 6"},
      {"'ab\\'", "unterminated string at character 1"},
      {"`col", "unterminated quoted column name at character 1"},
      {"``", "empty column name at character 1"},
      {"a # b", "unexpected '#' at character 3"},
      {"a & b", "unexpected '&' at character 3"},
      {"a | b", "unexpected '|' at character 3"},
      {"x.y", "unexpected '.' at character 2"},
      {"a ? b : c", "unexpected '?' at character 3"},
      {"a < b < c",
       "comparisons do not chain (join them with 'and'): unexpected '<' at "
       "character 7"},
      {"a == b != c",
       "comparisons do not chain (join them with 'and'): unexpected '!=' at "
       "character 8"},
      {"a = = b", "unexpected '=' at character 5"},
      {"1 2", "unexpected '2' at character 3"},
      {"3abc", "unexpected 'abc' at character 2"},
      {"1e", "unexpected 'e' at character 2"},
      {"true false", "unexpected 'false' at character 6"},
      {"and", "unexpected 'and' at character 1"},
      {"a and or b", "unexpected 'or' at character 7"},
      {"+1", "unexpected '+' at character 1"},
      {"`a` (1)", "unexpected '(' at character 5"},
      {"x 'str'", "unexpected string 'str' at character 3"},
      {"é + #", "unexpected '#' at character 5"},  // characters, not bytes
      {"a +\n* b", "unexpected '*' at character 5"},
      {std::string("a\x01"), "unexpected '\\x01' at character 2"},
      {std::string("a + \xff"), "unexpected '\\xFF' at character 5"},
      {"lg(x)", "unknown function 'lg' at character 1 (did you mean 'log'?)"},
      {"x + uper(s)", "unknown function 'uper' at character 5 (did you mean 'upper'?)"},
      {"is_mising(x)",
       "unknown function 'is_mising' at character 1 (did you mean "
       "'is_missing'?)"},
      {"frobnicate(x)", "unknown function 'frobnicate' at character 1"},
      {"log(1, 2)", "log(x) takes 1 argument, not 2, at character 1"},
      {"1 + sqrt()", "sqrt(x) takes 1 argument, not 0, at character 5"},
      {"round()", "round(x[, digits]) takes 1 or 2 arguments, not 0, at character 1"},
      {"min(x)", "min(a, b, ...) takes 2 or more arguments, not 1, at character 1"},
      {"coalesce(x)", "coalesce(a, b, ...) takes 2 or more arguments, not 1, at character 1"},
      {"if(a, b)", "if(condition, then, else) takes 3 arguments, not 2, at character 1"},
      {"days_since(t)", "days_since(t, 'YYYY-MM-DD') takes 2 arguments, not 1, at character 1"},
      {"contains(s, 'a', 'b')", "contains(s, 'text') takes 2 arguments, not 3, at character 1"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(ParseMessage(c.text), "expression '" + Printable(c.text) + "': " + c.message)
        << c.text;
  }
}

TEST(ExpressionTest, ParseErrorHintShowsACaret) {
  Error e = ErrorOf([] { Expression::Parse("a + * b"); });
  EXPECT_EQ(e.hint(), "see the caret:\n  a + * b\n      ^");
  e = ErrorOf([] { Expression::Parse("é + #"); });
  EXPECT_EQ(e.hint(), "see the caret:\n  é + #\n      ^");
  e = ErrorOf([] { Expression::Parse("a\t+ * b"); });  // a tab is shown as \t (two columns)
  EXPECT_EQ(e.hint(), "see the caret:\n  a\\t+ * b\n       ^");
  e = ErrorOf([] { Expression::Parse("a +"); });
  EXPECT_EQ(e.hint(), "see the caret:\n  a +\n     ^");
  e = ErrorOf([] { Expression::Parse("lg(x)"); });
  EXPECT_EQ(e.hint(), "see the caret:\n  lg(x)\n  ^");
  // Long expressions show a window around the position.
  std::string text = std::string(100, 'a') + " + * " + std::string(100, 'b');
  e = ErrorOf([&] { Expression::Parse(text); });
  EXPECT_NE(std::string(e.what()).find("unexpected '*' at character 104"), std::string::npos);
  std::string line = "..." + std::string(57, 'a') + " + * " + std::string(28, 'b') + "...";
  EXPECT_EQ(e.hint(), "see the caret:\n  " + line + "\n  " + std::string(63, ' ') + "^");
}

TEST(ExpressionTest, DeepNestingIsAnErrorNotACrash) {
  std::string deep = std::string(300, '(') + "1" + std::string(300, ')');
  EXPECT_EQ(ParseMessage(deep), "expression '" + Printable(deep) +
                                    "': expression nests deeper than 200 levels at character 201");
  std::string minus(5000, '-');
  EXPECT_NE(ParseMessage(minus + "1").find("nests deeper than 200 levels"), std::string::npos);
  std::string nots;
  for (int i = 0; i < 5000; ++i) nots += "not ";
  EXPECT_NE(ParseMessage(nots + "true").find("nests deeper than 200 levels"), std::string::npos);
  // A long chain builds a tall tree: the 1000th '+' (character 3999) is one level too many.
  std::string chain = "1";
  for (int i = 0; i < 1500; ++i) chain += " + 1";
  EXPECT_NE(ParseMessage(chain).find("nests deeper than 1000 levels at character 3999"),
            std::string::npos);
  // ^ is right-associative: each one nests (a 50,000-long chain overflowed the stack).
  std::string powers = "1";
  for (int i = 0; i < 50000; ++i) powers += "^1";
  EXPECT_NE(ParseMessage(powers).find("nests deeper than 200 levels"), std::string::npos);
  std::string ok = "1";
  for (int i = 0; i < 900; ++i) ok += " + 1";
  EXPECT_EQ(Lit(ok), "901 int64");
  std::string nested = std::string(150, '(') + "1" + std::string(150, ')');
  EXPECT_EQ(Lit(nested), "1 int64");
}

// --- Fuzzing -----------------------------------------------------------------------------------

// Random bytes: Parse either succeeds or throws mloop::Error naming a character.
TEST(ExpressionTest, FuzzRandomBytesOnlyThrowErrors) {
  std::mt19937_64 rng(20240601);
  const std::string alphabet = "abcxyz_019.eE+-*/%^()<>=!&|,'\"`\\ \t\n#@$?:;[]{}~";
  for (int iteration = 0; iteration < 20000; ++iteration) {
    std::string text;
    const size_t length = rng() % 40;
    for (size_t k = 0; k < length; ++k) {
      text += rng() % 4 == 0 ? static_cast<char>(rng() % 256) : alphabet[rng() % alphabet.size()];
    }
    try {
      Expression::Parse(text);
    } catch (const Error& e) {
      ASSERT_NE(std::string(e.what()).find(" at character "), std::string::npos) << e.what();
    }
  }
}

// Random token soups, and for those that parse, Check and Evaluate on a small table: every
// failure is an mloop::Error, and every result has one value per row of the checked type.
TEST(ExpressionTest, FuzzTokenSoupsOnlyThrowErrors) {
  const std::vector<std::string> tokens = {"x",           "i",       "j",         "b",
                                           "s",           "t",       "nope",      "`x`",
                                           "(",           "(",       ")",         ")",
                                           ",",           "+",       "-",         "*",
                                           "/",           "%",       "^",         "==",
                                           "=",           "!=",      "<>",        "<",
                                           "<=",          ">",       ">=",        "and",
                                           "or",          "not",     "!",         "&&",
                                           "||",          "true",    "false",     "null",
                                           "0",           "1",       "-1",        "2.5",
                                           "1e308",       "'a'",     "'apple'",   "'2020-01-01'",
                                           "log(",        "sqrt(",   "exp(",      "abs(",
                                           "pow(",        "min(",    "max(",      "round(",
                                           "floor(",      "if(",     "coalesce(", "is_missing(",
                                           "is_nan(",     "year(",   "hour(",     "day_of_week(",
                                           "days_since(", "length(", "lower(",    "upper(",
                                           "contains(",   "log1p(",  "ceil("};
  std::mt19937_64 rng(99);
  Table table = Data();
  int parsed = 0, evaluated = 0;
  for (int iteration = 0; iteration < 30000; ++iteration) {
    std::string text;
    const size_t length = 1 + rng() % 12;
    for (size_t k = 0; k < length; ++k) text += tokens[rng() % tokens.size()] + " ";
    try {
      Expression e = Expression::Parse(text);
      ++parsed;
      DataType type = e.Check(table.schema());
      Column c = e.Evaluate(table);
      ++evaluated;
      ASSERT_EQ(c.type(), type) << text;
      ASSERT_EQ(c.size(), table.num_rows()) << text;
    } catch (const Error& e) {
      ASSERT_NE(e.code(), ErrorCode::kInternal) << text << ": " << e.what();
    }
  }
  // The soup must reach the evaluator often enough to mean something.
  EXPECT_GT(parsed, 500) << parsed;
  EXPECT_GT(evaluated, 200) << evaluated;
  std::printf("token soups: %d parsed, %d evaluated\n", parsed, evaluated);
}

// Well-formed random expressions: every one parses, checks and evaluates.
TEST(ExpressionTest, FuzzGeneratedExpressionsEvaluate) {
  std::mt19937_64 rng(5);
  std::function<std::string(int)> number = [&](int depth) -> std::string {
    const char* leaves[] = {"x", "i", "j", "1", "-2.5", "0", "null", "length(s)", "year(t)"};
    if (depth == 0 || rng() % 3 == 0) return leaves[rng() % 9];
    switch (rng() % 8) {
      case 0:
        return "(" + number(depth - 1) + " + " + number(depth - 1) + ")";
      case 1:
        return number(depth - 1) + " * " + number(depth - 1);
      case 2:
        return number(depth - 1) + " / " + number(depth - 1);
      case 3:
        return number(depth - 1) + " % " + number(depth - 1);
      case 4:
        return "log(" + number(depth - 1) + ")";
      case 5:
        return "if(" + number(depth - 1) + " > " + number(depth - 1) + ", " + number(depth - 1) +
               ", " + number(depth - 1) + ")";
      case 6:
        return "coalesce(" + number(depth - 1) + ", " + number(depth - 1) + ")";
      default:
        return "round(" + number(depth - 1) + ", " + std::to_string(rng() % 5) + ")";
    }
  };
  Table table = Data();
  for (int iteration = 0; iteration < 2000; ++iteration) {
    std::string text = number(4);
    Column c = Eval(text, table);
    EXPECT_TRUE(c.type() == DataType::kFloat64 || c.type() == DataType::kInt64) << text;
  }
}

// Random well-typed expressions over every type and function. Evaluating the whole table at
// once must give, row by row, what evaluating each one-row slice gives (which runs the scalar
// and array paths of every kernel against each other).
TEST(ExpressionTest, FuzzTypedExpressionsMatchRowByRow) {
  std::mt19937_64 rng(11);
  auto pick = [&](std::initializer_list<const char*> options) {
    return std::string(options.begin()[rng() % options.size()]);
  };
  std::function<std::string(char, int)> gen = [&](char type, int depth) -> std::string {
    auto g = [&](char t) { return gen(t, depth - 1); };
    const bool leaf = depth == 0 || rng() % 4 == 0;
    switch (type) {
      case 'n':  // a number
        if (leaf) return pick({"x", "i", "j", "1", "-2.5", "0", "null", "3e300"});
        switch (rng() % 16) {
          case 0:
            return "(" + g('n') + " " + pick({"+", "-", "*", "/", "%", "^"}) + " " + g('n') + ")";
          case 1:
            return pick({"log", "sqrt", "exp", "abs", "floor", "ceil", "log1p", "-"}) + "(" +
                   g('n') + ")";
          case 2:
            return pick({"min", "max", "pow", "coalesce"}) + "(" + g('n') + ", " + g('n') + ")";
          case 3:
            return "round(" + g('n') + ", " + std::to_string(static_cast<int>(rng() % 7) - 3) + ")";
          case 4:
            return "if(" + g('b') + ", " + g('n') + ", " + g('n') + ")";
          case 5:
            return "length(" + g('s') + ")";
          case 6:
            return pick({"year", "month", "day", "day_of_week", "hour"}) + "(" + g('t') + ")";
          case 7:
            return "days_since(" + g('t') + ", " + pick({"'2020-01-01'", "t"}) + ")";
          case 8:
            return "(" + g('b') + " + 0)";
          default:
            return "(" + g('n') + " " + pick({"+", "*", "%"}) + " " + g('n') + ")";
        }
      case 'b':  // a bool
        if (leaf) return pick({"b", "true", "false", "null"});
        switch (rng() % 10) {
          case 0:
            return "(" + g('b') + " " + pick({"and", "or"}) + " " + g('b') + ")";
          case 1:
            return "(not " + g('b') + ")";
          case 2:
            return "(" + g('s') + " " + pick({"==", "!=", "<", ">="}) + " " + g('s') + ")";
          case 3:
            return "(" + g('t') + " " + pick({"<", "==", ">"}) + " " + pick({"'2000-01-01'", "t"}) +
                   ")";
          case 4:
            return pick({"is_missing", "is_nan"}) + "(" + g('n') + ")";
          case 5:
            return "contains(" + g('s') + ", " + g('s') + ")";
          case 6:
            return "if(" + g('b') + ", " + g('b') + ", " + g('b') + ")";
          case 7:
            return "coalesce(" + g('b') + ", " + g('b') + ")";
          default:
            return "(" + g('n') + " " + pick({"==", "!=", "<", "<=", ">", ">="}) + " " + g('n') +
                   ")";
        }
      case 's':  // a string
        if (leaf) return pick({"s", "'apple'", "'Banana'", "lower(null)", "''"});
        switch (rng() % 4) {
          case 0:
            return pick({"lower", "upper"}) + "(" + g('s') + ")";
          case 1:
            return "if(" + g('b') + ", " + g('s') + ", " + g('s') + ")";
          case 2:
            return "coalesce(" + g('s') + ", " + g('s') + ")";
          default:
            return "if(" + g('b') + ", " + g('s') + ", null)";
        }
      default:  // a timestamp
        if (leaf) return "t";
        switch (rng() % 3) {
          case 0:
            return "if(" + g('b') + ", " + g('t') + ", '2010-05-05T10:00:00')";
          case 1:
            return "coalesce(" + g('t') + ", " + g('t') + ")";
          default:
            return pick({"min", "max"}) + "(" + g('t') + ", '1999-01-01')";
        }
    }
  };
  Table table = Data();
  for (int iteration = 0; iteration < 1500; ++iteration) {
    const char type = "nbst"[iteration % 4];
    std::string text = gen(type, 1 + iteration % 5);
    Column all = Eval(text, table);
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      Column one = Eval(text, table.Slice(r, 1));
      ASSERT_EQ(one.IsValid(0), all.IsValid(r)) << text << " row " << r;
      ASSERT_EQ(CellToString(one, 0), CellToString(all, r)) << text << " row " << r;
    }
  }
}

}  // namespace
}  // namespace mloop
