#include "mloop/io/jsonl_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>

#include "mloop/core/error.h"
#include "mloop/core/time.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

class JsonlReaderTest : public ::testing::Test {
 protected:
  ReadResult Read(const std::string& content, ReadOptions options = {}) {
    return ReadJsonLines(WriteFile(dir_ / "in.jsonl", content), options);
  }
  // The error that reading `content` raises.
  Error ErrorOf(const std::string& content, ReadOptions options = {}) {
    try {
      Read(content, options);
    } catch (const Error& e) {
      return e;
    }
    return Error(ErrorCode::kInternal, "no error");
  }
  TempDir dir_;
};

std::vector<std::string> Names(const Table& t) {
  return t.schema().names();
}

TEST_F(JsonlReaderTest, InfersTypes) {
  auto r = Read(
      "{\"i\":1,\"f\":1.5,\"b\":true,\"s\":\"x\",\"t\":\"2024-01-02\",\"m\":null,\"n\":1}\n"
      "{\"i\":-2,\"f\":3,\"b\":false,\"s\":\"y\",\"t\":\"2024-01-03T04:05:06Z\",\"m\":null,"
      "\"n\":2.5}\n");
  const Table& t = r.table;
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column("i").type(), DataType::kInt64);
  EXPECT_EQ(t.column("f").type(), DataType::kFloat64);
  EXPECT_EQ(t.column("b").type(), DataType::kBool);
  EXPECT_EQ(t.column("s").type(), DataType::kString);
  EXPECT_EQ(t.column("t").type(), DataType::kTimestamp);
  EXPECT_EQ(t.column("m").type(), DataType::kFloat64);  // all missing, like the CSV reader
  EXPECT_EQ(t.column("n").type(), DataType::kFloat64);  // int + float
  EXPECT_EQ(t.column("i").i64()[1], -2);
  EXPECT_EQ(t.column("f").f64()[1], 3.0);
  EXPECT_EQ(t.column("n").f64()[0], 1.0);
  EXPECT_EQ(t.column("b").bools()[1], 0);
  EXPECT_EQ(t.column("s").StringAt(1), "y");
  EXPECT_EQ(t.column("t").i64()[1],
            (DaysFromCivil(2024, 1, 3) * 86400 + 4 * 3600 + 5 * 60 + 6) * int64_t{1000000});
  EXPECT_EQ(t.column("m").null_count(), 2);
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_EQ(r.source.path, (dir_ / "in.jsonl").string());
  EXPECT_GT(r.source.size, 0);
}

TEST_F(JsonlReaderTest, KeysAreUnionedInOrderOfFirstAppearance) {
  auto r = Read("{\"a\":1}\n{\"c\":\"x\",\"a\":2}\n{\"b\":true}\n{\"a\":null,\"c\":\"z\"}\n");
  const Table& t = r.table;
  EXPECT_EQ(Names(t), (std::vector<std::string>{"a", "c", "b"}));
  ASSERT_EQ(t.num_rows(), 4);
  EXPECT_FALSE(t.column("c").IsValid(0));
  EXPECT_EQ(t.column("c").StringAt(1), "x");
  EXPECT_EQ(t.column("a").i64()[1], 2);
  EXPECT_FALSE(t.column("a").IsValid(2));
  EXPECT_FALSE(t.column("a").IsValid(3));
  EXPECT_EQ(t.column("b").null_count(), 3);
}

TEST_F(JsonlReaderTest, NestedAndMixedValuesBecomeJsonText) {
  auto r = Read(
      "{\"o\":{\"k\": [1, 2.5, \"s\"]},\"m\":\"text\",\"big\":1}\n"
      "{\"o\":[ true , null ],\"m\":12,\"big\":18446744073709551615}\n"
      "{\"o\":\"plain\",\"m\":false,\"big\":2}\n"
      "{\"m\":{\"x\":\"\\n\"},\"ts\":\"2024-01-01\"}\n"
      "{\"ts\":\"not a date\"}\n");
  const Table& t = r.table;
  EXPECT_EQ(t.column("o").type(), DataType::kString);
  EXPECT_EQ(t.column("o").StringAt(0), "{\"k\":[1,2.5,\"s\"]}");
  EXPECT_EQ(t.column("o").StringAt(1), "[true,null]");
  EXPECT_EQ(t.column("o").StringAt(2), "plain");
  EXPECT_EQ(t.column("m").type(), DataType::kString);
  EXPECT_EQ(t.column("m").StringAt(1), "12");
  EXPECT_EQ(t.column("m").StringAt(2), "false");
  EXPECT_EQ(t.column("m").StringAt(3), "{\"x\":\"\\n\"}");
  // Beyond int64: text, every digit kept (float64 would round it and the other ids).
  EXPECT_EQ(t.column("big").type(), DataType::kString);
  EXPECT_EQ(t.column("big").StringAt(1), "18446744073709551615");
  EXPECT_EQ(t.column("big").StringAt(0), "1");
  EXPECT_EQ(t.column("ts").type(), DataType::kString);  // not every string is a date
}

TEST_F(JsonlReaderTest, IntegersBeyondDoublesKeepTheirDigitsBesideFractions) {
  // int64 ids beyond 2^53 mixed with fractions: float64 would round 9007199254740993 to ...992,
  // so the column is text. Exact integers (2^53 itself, small ones) and int64-only columns
  // stay numeric.
  auto r = Read(R"({"id":9007199254740993,"x":0.5,"n":9007199254740993,"e":9007199254740992}
{"id":1.5,"x":2,"n":7,"e":0.25}
{"id":-9223372036854775807,"x":3,"n":-1,"e":1}
)");
  const Table& t = r.table;
  EXPECT_EQ(t.column("id").type(), DataType::kString);
  EXPECT_EQ(t.column("id").StringAt(0), "9007199254740993");
  EXPECT_EQ(t.column("id").StringAt(1), "1.5");
  EXPECT_EQ(t.column("id").StringAt(2), "-9223372036854775807");
  EXPECT_EQ(t.column("x").type(), DataType::kFloat64);
  EXPECT_EQ(t.column("n").type(), DataType::kInt64);
  EXPECT_EQ(t.column("n").i64()[0], 9007199254740993);
  EXPECT_EQ(t.column("e").type(), DataType::kFloat64);
  EXPECT_EQ(t.column("e").f64()[0], 9007199254740992.0);
}

TEST_F(JsonlReaderTest, StringsAreNeverMissingTokens) {
  auto r = Read("{\"s\":\"NA\"}\n{\"s\":\"\"}\n{\"s\":null}\n");
  EXPECT_EQ(r.table.column("s").StringAt(0), "NA");
  EXPECT_EQ(r.table.column("s").StringAt(1), "");
  EXPECT_FALSE(r.table.column("s").IsValid(2));
}

TEST_F(JsonlReaderTest, BlankLinesCrlfAndBom) {
  auto r = Read("\xEF\xBB\xBF{\"a\":1}\r\n\r\n   \n{\"a\":2}\r\n\n");
  ASSERT_EQ(r.table.num_rows(), 2);
  EXPECT_EQ(r.table.column("a").i64()[1], 2);
}

TEST_F(JsonlReaderTest, EscapesAndUnicodeInKeysAndValues) {
  auto r = Read("{\"caf\\u00e9\":\"\\u20ac \\ud83d\\ude00 \\\"q\\\"\",\"k\\n\":\"\xC3\xA9\"}\n");
  EXPECT_EQ(Names(r.table), (std::vector<std::string>{"caf\xC3\xA9", "k\n"}));
  EXPECT_EQ(r.table.column(0).StringAt(0), "\xE2\x82\xAC \xF0\x9F\x98\x80 \"q\"");
}

TEST_F(JsonlReaderTest, DeclaredTypesAreEnforced) {
  ReadOptions o;
  o.types = {{"id", DataType::kString},
             {"n", DataType::kInt64},
             {"t", DataType::kTimestamp},
             {"f", DataType::kBool},
             {"x", DataType::kFloat64}};
  auto r = Read(
      "{\"id\":7,\"n\":\"42\",\"t\":1700000000,\"f\":1,\"x\":\"nan\"}\n"
      "{\"id\":\"007\",\"n\":3.0,\"t\":\"2024-01-01\",\"f\":\"false\",\"x\":2}\n"
      "{\"id\":{\"a\":1},\"n\":null,\"t\":1.5,\"f\":true,\"x\":null}\n",
      o);
  const Table& t = r.table;
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.column("id").StringAt(0), "7");
  EXPECT_EQ(t.column("id").StringAt(1), "007");
  EXPECT_EQ(t.column("id").StringAt(2), "{\"a\":1}");
  EXPECT_EQ(t.column("n").i64()[0], 42);
  EXPECT_EQ(t.column("n").i64()[1], 3);
  EXPECT_FALSE(t.column("n").IsValid(2));
  EXPECT_EQ(t.column("t").type(), DataType::kTimestamp);
  EXPECT_EQ(t.column("t").i64()[0], int64_t{1700000000} * 1000000);
  EXPECT_EQ(t.column("t").i64()[1], DaysFromCivil(2024, 1, 1) * 86400 * int64_t{1000000});
  EXPECT_EQ(t.column("t").i64()[2], 1500000);
  EXPECT_EQ(t.column("f").bools()[0], 1);
  EXPECT_EQ(t.column("f").bools()[1], 0);
  EXPECT_TRUE(std::isnan(t.column("x").f64()[0]));
  EXPECT_EQ(t.column("x").f64()[1], 2.0);
  // A whole number written as a double beyond 2^53 may already have lost digits: a bad row,
  // as the same text is in a CSV file.
  ReadOptions i64;
  i64.types = {{"n", DataType::kInt64}};
  i64.on_bad_rows = BadRowPolicy::kSkip;
  r = Read("{\"n\":9007199254740993.0}\n{\"n\":1e3}\n{\"n\":2.5}\n", i64);
  ASSERT_EQ(r.table.num_rows(), 1);
  EXPECT_EQ(r.table.column("n").i64()[0], 1000);
  EXPECT_EQ(r.rejected.size(), 2u);
}

TEST_F(JsonlReaderTest, RolesAreApplied) {
  ReadOptions o;
  o.roles = {{"y", Role::kTarget}, {"id", Role::kId}};
  auto r = Read("{\"id\":1,\"x\":2.5,\"y\":true}\n", o);
  EXPECT_EQ(r.table.schema().field(0).role, Role::kId);
  EXPECT_EQ(r.table.schema().field(1).role, Role::kFeature);
  EXPECT_EQ(r.table.schema().field(2).role, Role::kTarget);
}

TEST_F(JsonlReaderTest, UnknownDeclaredColumnNamesTheNearest) {
  ReadOptions o;
  o.types = {{"agee", DataType::kInt64}};
  Error e = ErrorOf("{\"age\":1,\"x\":2}\n", o);
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("did you mean 'age'"), std::string::npos) << e.what();
  ReadOptions roles;
  roles.roles = {{"tagret", Role::kTarget}};
  e = ErrorOf("{\"target\":1}\n", roles);
  EXPECT_EQ(e.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(std::string(e.what()).find("did you mean 'target'"), std::string::npos) << e.what();
}

TEST_F(JsonlReaderTest, GzipInput) {
  std::string jsonl = "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n";
  gzFile gz = gzopen((dir_ / "in.jsonl.gz").c_str(), "wb");
  gzwrite(gz, jsonl.data(), static_cast<unsigned>(jsonl.size()));
  gzclose(gz);
  auto r = ReadJsonLines(dir_ / "in.jsonl.gz", {});
  EXPECT_EQ(r.table.num_rows(), 2);
  EXPECT_EQ(r.table.column("b").StringAt(1), "y");
  EXPECT_EQ(r.source.compression, Compression::kGzip);
}

TEST_F(JsonlReaderTest, MissingFileIsNotFound) {
  try {
    ReadJsonLines(dir_ / "nope.jsonl", {});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
}

TEST_F(JsonlReaderTest, ManyRows) {
  std::string jsonl;
  for (int i = 0; i < 50000; ++i) {
    jsonl += "{\"id\":" + std::to_string(i) + ",\"v\":" + std::to_string(i * 0.5) +
             (i % 3 == 0 ? ",\"extra\":\"e\"" : "") + "}\n";
  }
  auto r = Read(jsonl);
  ASSERT_EQ(r.table.num_rows(), 50000);
  EXPECT_EQ(r.table.column("id").i64()[49999], 49999);
  EXPECT_EQ(r.table.column("v").f64()[3], 1.5);
  EXPECT_EQ(r.table.column("extra").null_count(), 33333);
}

// --- Malformed input: each case names file, line and column and shows the text. --------------

using testing::BadCase;

class MalformedJsonlTest : public JsonlReaderTest, public ::testing::WithParamInterface<BadCase> {};

TEST_P(MalformedJsonlTest, FailsWithLocation) {
  const BadCase& c = GetParam();
  ReadOptions o;
  o.types = {{"n", DataType::kInt64}};
  Error e = ErrorOf(c.content, o);
  EXPECT_EQ(e.code(), ErrorCode::kDataError) << c.name << ": " << e.what();
  EXPECT_NE(std::string(e.what()).find(c.expected), std::string::npos)
      << c.name << ": " << e.what();
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, MalformedJsonlTest,
    ::testing::Values(
        BadCase{"trailing_comma", "{\"n\":1}\n{\"n\":2,}\n",
                "in.jsonl:2:8: not valid JSON: The JSON document has an improper structure"},
        BadCase{"missing_colon", "{\"n\":1}\n{\"n\" 2}\n", "in.jsonl:2:6: not valid JSON"},
        BadCase{"unquoted_key", "{\"n\":1}\n{n:2}\n", "in.jsonl:2:2: not valid JSON"},
        BadCase{"bad_literal", "{\"n\":1}\n{\"n\":1,\"b\":tru}\n", "in.jsonl:2:12: not valid JSON"},
        BadCase{"bad_number", "{\"n\":01}\n",
                "in.jsonl:1:6: not valid JSON: Problem while parsing"},
        BadCase{"huge_number", "{\"n\":1,\"x\":1e999}\n",
                "in.jsonl:1:12: not valid JSON: Problem while parsing a number (integers must fit "
                "64 bits and other numbers a double)"},
        BadCase{"python_nan", "{\"n\":1}\n{\"n\":NaN}\n",
                "(NaN and Infinity are not JSON: write null for a missing value)"},
        BadCase{"python_infinity", "{\"n\":-Infinity}\n", "(NaN and Infinity are not JSON"},
        BadCase{"truncated", "{\"n\":1}\n{\"n\":1\n", "in.jsonl:2:7: not valid JSON"},
        BadCase{"unclosed_string", "{\"n\":1,\"s\":\"abc}\n",
                "in.jsonl:1:12: not valid JSON: A string is opened, but never closed.\n"
                "  1 | {\"n\":1,\"s\":\"abc}"},
        BadCase{"bad_escape", "{\"n\":1,\"s\":\"a\\qb\"}\n", "in.jsonl:1:"},
        BadCase{"raw_control_char", "{\"n\":1,\"s\":\"a\tb\"}\n", "in.jsonl:1:"},
        BadCase{"extra_brace", "{\"n\":1}}\n", "in.jsonl:1:8: not valid JSON"},
        BadCase{"not_json", "{\"n\":1}\nhello\n", "in.jsonl:2:1: not valid JSON"},
        BadCase{"array", "{\"n\":1}\n[1,2]\n",
                "in.jsonl:2:1: expected a JSON object, found an array (mloop reads JSON Lines"},
        BadCase{"scalar", "  \"x\"\n", "in.jsonl:1:3: expected a JSON object, found a string"},
        BadCase{"null_line", "null\n", "in.jsonl:1:1: expected a JSON object, found null"},
        BadCase{"invalid_utf8", "{\"n\":1}\n{\"s\":\"ab\xFF\"}\n", "in.jsonl:2:9: invalid UTF-8"},
        BadCase{"overlong_utf8", "{\"s\":\"\xC0\xAF\"}\n", "in.jsonl:1:7: invalid UTF-8"},
        BadCase{"duplicate_key", "{\"n\":1,\"s\":2,\"s\":3}\n", "in.jsonl:1:14: duplicate key 's'"},
        BadCase{"empty_key", "{\"n\":1,\"\":2}\n", "in.jsonl:1:8: empty key"},
        BadCase{"declared_type", "{\"n\":1}\n{\"s\":0, \"n\":\"abc\"}\n",
                "in.jsonl:2:13: value for 'n' (\"abc\") is not a valid int64 (the column is "
                "declared int64)\n  2 | {\"s\":0, \"n\":\"abc\"}"},
        BadCase{"declared_int_overflow", "{\"n\":9223372036854775808}\n",
                "in.jsonl:1:6: value for 'n' (9223372036854775808) is not a valid int64"},
        BadCase{"declared_int_fraction", "{\"n\":2.5}\n", "in.jsonl:1:6: value for 'n' (2.5)"},
        BadCase{"declared_int_nested", "{\"n\":[1]}\n", "in.jsonl:1:6: value for 'n' ([1])"},
        BadCase{"line_after_blank_lines", "{\"n\":1}\n\n\n{\"n\":true}\n",
                "in.jsonl:4:6: value for 'n' (true)"},
        BadCase{"empty_file", "", "in.jsonl: the file is empty"},
        BadCase{"only_bom", "\xEF\xBB\xBF", "in.jsonl: the file is empty"},
        BadCase{"blank_lines_only", "\n  \n\r\n", "in.jsonl: the file has no rows"},
        BadCase{"binary", std::string("ab\0\0\0cd", 7) + "{}", "in.jsonl: this is not a text file"},
        BadCase{"sqlite", std::string("SQLite format 3\0\0\0", 18) + "{}",
                "in.jsonl: this is an SQLite database file"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST_F(JsonlReaderTest, SkipPolicyKeepsGoodRowsAndReturnsEveryBadOne) {
  ReadOptions o;
  o.on_bad_rows = BadRowPolicy::kSkip;
  o.types = {{"n", DataType::kInt64}};
  auto r = Read(
      "{\"n\":1,\"s\":\"a\"}\n"
      "{\"n\":\"x\",\"s\":\"b\"}\n"
      "[3]\n"
      "\n"
      "{\"n\":4,\"s\":\"d\",\"late\":1}\n"
      "{\"n\":5,\"s\":\"e\"\n"
      "{\"n\":6,\"n\":7,\"bad\":1}\n"
      "{\"n\":8}\n",
      o);
  EXPECT_EQ(r.table.num_rows(), 3);
  // Keys of rejected rows do not become columns.
  EXPECT_EQ(Names(r.table), (std::vector<std::string>{"n", "s", "late"}));
  EXPECT_EQ(r.table.column("n").i64()[2], 8);
  ASSERT_EQ(r.rejected.size(), 4u);
  EXPECT_EQ(r.rejected[0].line, 2);
  EXPECT_EQ(r.rejected[0].column, 6);
  EXPECT_EQ(r.rejected[0].text, "{\"n\":\"x\",\"s\":\"b\"}");
  EXPECT_EQ(r.rejected[1].line, 3);
  EXPECT_EQ(r.rejected[1].text, "[3]");
  EXPECT_EQ(r.rejected[2].line, 6);
  EXPECT_EQ(r.rejected[2].text, "{\"n\":5,\"s\":\"e\"");
  EXPECT_EQ(r.rejected[3].line, 7);
  EXPECT_NE(r.rejected[3].reason.find("duplicate key 'n'"), std::string::npos);
}

TEST_F(JsonlReaderTest, EveryRowBadLeavesAnEmptyTable) {
  ReadOptions o;
  o.on_bad_rows = BadRowPolicy::kSkip;
  auto r = Read("[1]\nnope\n", o);
  EXPECT_EQ(r.table.num_rows(), 0);
  EXPECT_EQ(r.table.num_columns(), 0);
  EXPECT_EQ(r.rejected.size(), 2u);
}

}  // namespace
}  // namespace mloop
