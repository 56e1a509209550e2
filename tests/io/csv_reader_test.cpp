#include "mloop/io/csv_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>
#include <zstd.h>

#include <cstring>
#include <random>
#include <string>

#include "mloop/core/error.h"
#include "mloop/core/time.h"
#include "mloop/io/value_parse.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

class CsvReaderTest : public ::testing::Test {
 protected:
  ReadResult Read(const std::string& content, ReadOptions options = {}) {
    return ReadCsv(WriteFile(dir_ / "in.csv", content), options);
  }
  // The message of the DataError that reading `content` raises.
  std::string ErrorOf(const std::string& content, ReadOptions options = {}) {
    try {
      Read(content, options);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
  TempDir dir_;
};

TEST_F(CsvReaderTest, InfersTypes) {
  auto r = Read(
      "i,f,b,s,t,m\n"
      "1,1.5,true,x,2024-01-02,\n"
      "-2,3,False,y,2024-01-03T04:05:06Z,NA\n");
  const Table& t = r.table;
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.column("i").type(), DataType::kInt64);
  EXPECT_EQ(t.column("f").type(), DataType::kFloat64);
  EXPECT_EQ(t.column("b").type(), DataType::kBool);
  EXPECT_EQ(t.column("s").type(), DataType::kString);
  EXPECT_EQ(t.column("t").type(), DataType::kTimestamp);
  EXPECT_EQ(t.column("m").type(), DataType::kFloat64);  // all missing, like pandas
  EXPECT_EQ(t.column("i").i64()[1], -2);
  EXPECT_EQ(t.column("f").f64()[1], 3.0);
  EXPECT_EQ(t.column("b").bools()[1], 0);
  EXPECT_EQ(t.column("s").StringAt(1), "y");
  EXPECT_EQ(t.column("t").i64()[1],
            (DaysFromCivil(2024, 1, 3) * 86400 + 4 * 3600 + 5 * 60 + 6) * int64_t{1000000});
  EXPECT_EQ(t.column("m").null_count(), 2);
}

// Formats mloop does not read are named by their first bytes, not as "not a text file".
TEST_F(CsvReaderTest, BinaryFormatsAreNamed) {
  using namespace std::string_literals;
  EXPECT_NE(ErrorOf("BZh91AY&SY\0\0\x01"s).find("in.csv: this is a bzip2 file"), std::string::npos);
  EXPECT_NE(ErrorOf("\xFD"
                    "7zXZ\0\0\x04"s)
                .find("this is an xz file"),
            std::string::npos);
  EXPECT_NE(ErrorOf("PAR1\0\0\0"s).find("this is a Parquet file"), std::string::npos);
  EXPECT_NE(ErrorOf("a,b\n1,\0\n"s).find("this is not a text file (a NUL byte"), std::string::npos);
  // A Latin-1 byte: the row names the likely cause.
  EXPECT_NE(ErrorOf("id,name\n1,M\xfcller\n").find("iconv -f CP1252 -t UTF-8"), std::string::npos);
}

TEST_F(CsvReaderTest, Rfc4180Quoting) {
  auto r = Read("a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",z\r\n");
  ASSERT_EQ(r.table.num_rows(), 2);
  EXPECT_EQ(r.table.column("a").StringAt(0), "x, y");
  EXPECT_EQ(r.table.column("b").StringAt(0), "say \"hi\"");
  EXPECT_EQ(r.table.column("a").StringAt(1), "two\nlines");
  EXPECT_EQ(r.table.column("b").StringAt(1), "z");
}

TEST_F(CsvReaderTest, BomAndNoTrailingNewline) {
  auto r = Read("\xEF\xBB\xBFid,v\n1,2");
  EXPECT_EQ(r.table.schema().field(0).name, "id");
  ASSERT_EQ(r.table.num_rows(), 1);
  EXPECT_EQ(r.table.column("v").i64()[0], 2);
}

TEST_F(CsvReaderTest, DetectsDelimiters) {
  for (char d : {',', ';', '\t', '|'}) {
    std::string s =
        std::string("a") + d + "b" + d + "c\n1" + d + "2,5" + d + "x\n3" + d + "4" + d + "y\n";
    if (d == ',') s = "a,b,c\n1,25,x\n3,4,y\n";
    auto r = Read(s);
    EXPECT_EQ(r.delimiter, d);
    EXPECT_EQ(r.table.num_columns(), 3) << d;
  }
}

TEST_F(CsvReaderTest, NoHeaderNamesColumns) {
  ReadOptions o;
  o.header = false;
  auto r = Read("1,2\n3,4\n", o);
  EXPECT_EQ(r.table.schema().field(1).name, "column_2");
  EXPECT_EQ(r.table.num_rows(), 2);
}

TEST_F(CsvReaderTest, MissingTokensAreConfigurable) {
  ReadOptions o;
  o.missing = MissingTokens({"-", "?"});
  auto r = Read("a,b\n1,-\n?,x\nNA,y\n", o);
  EXPECT_EQ(r.table.column("a").type(), DataType::kString);  // "NA" is now a value
  EXPECT_FALSE(r.table.column("a").IsValid(1));
  EXPECT_FALSE(r.table.column("b").IsValid(0));
}

TEST_F(CsvReaderTest, WholeColumnIsValidatedBeyondTheSample) {
  ReadOptions o;
  o.sample_rows = 2;
  auto r = Read("a,b\n1,1\n2,2\n3,2.5\n4,zzz\n", o);
  EXPECT_EQ(r.table.column("a").type(), DataType::kInt64);
  EXPECT_EQ(r.table.column("b").type(), DataType::kString);
  EXPECT_EQ(r.table.column("b").StringAt(2), "2.5");
  EXPECT_EQ(r.table.num_rows(), 4);
  EXPECT_GE(r.restarts, 1);
}

TEST_F(CsvReaderTest, IntWidensToFloatBeyondSample) {
  ReadOptions o;
  o.sample_rows = 1;
  auto r = Read("a\n1\n2.5\n", o);
  EXPECT_EQ(r.table.column("a").type(), DataType::kFloat64);
  EXPECT_EQ(r.table.column("a").f64()[1], 2.5);
}

// A column without a value in the sample takes the type of its first values, as if they had
// been sampled: the same file in another row order has the same types (once a late timestamp,
// bool or integer made string, string and float64). One without any value stays float64.
TEST_F(CsvReaderTest, ColumnsEmptyInTheSampleTakeTheirValuesType) {
  ReadOptions o;
  o.sample_rows = 2;
  const std::string late =
      "id,at,flag,n,none,mixed\n0,,,,,\n1,,,,,\n2,2024-03-01T10:00:00Z,true,7,,1\n"
      "3,,false,8,,x\n";
  auto r = Read(late, o);
  EXPECT_EQ(r.table.column("at").type(), DataType::kTimestamp);
  EXPECT_EQ(r.table.column("flag").type(), DataType::kBool);
  EXPECT_EQ(r.table.column("n").type(), DataType::kInt64);
  EXPECT_EQ(r.table.column("n").i64()[3], 8);
  EXPECT_EQ(r.table.column("none").type(), DataType::kFloat64);
  EXPECT_EQ(r.table.column("mixed").type(), DataType::kString);  // 1 then x: the join
  EXPECT_EQ(r.table.column("mixed").StringAt(2), "1");
  EXPECT_FALSE(r.table.column("n").IsValid(0));
  EXPECT_EQ(r.table.num_rows(), 4);
  // The same rows with the values first: the same schema.
  auto early = Read(
      "id,at,flag,n,none,mixed\n2,2024-03-01T10:00:00Z,true,7,,1\n3,,false,8,,x\n"
      "0,,,,,\n1,,,,,\n",
      o);
  EXPECT_EQ(early.table.schema(), r.table.schema());
}

// Integers no number type holds exactly (ids beyond int64, or beyond 2^53 among floats) keep
// every digit as text, in the sample or after it; exact ones stay numbers.
TEST_F(CsvReaderTest, IntegersThatWouldLoseDigitsStayText) {
  auto r = Read("id\n9007199254740993\n9223372036854775807\n9223372036854775808\n");
  ASSERT_EQ(r.table.column("id").type(), DataType::kString);
  EXPECT_EQ(r.table.column("id").StringAt(0), "9007199254740993");
  EXPECT_EQ(r.table.column("id").StringAt(2), "9223372036854775808");
  ReadOptions o;
  o.sample_rows = 2;
  r = Read("k,ref\n1,\n2,\n3,9007199254740993\n4,1.5\n", o);
  ASSERT_EQ(r.table.column("ref").type(), DataType::kString);
  EXPECT_EQ(r.table.column("ref").StringAt(2), "9007199254740993");
  r = Read("x\n1.5\n100000000000000000000\n9007199254740992\n");
  ASSERT_EQ(r.table.column("x").type(), DataType::kFloat64);  // exact: 1e20 and 2^53
  EXPECT_EQ(r.table.column("x").f64()[2], 9007199254740992.0);
  EXPECT_TRUE(IsInexactInteger("-9007199254740993", -9007199254740992.0));
  EXPECT_FALSE(IsInexactInteger("0009007199254740992", 9007199254740992.0));
}

TEST_F(CsvReaderTest, DeclaredTypesOverrideInference) {
  ReadOptions o;
  o.types = {{"id", DataType::kString}, {"t", DataType::kTimestamp}, {"f", DataType::kBool}};
  auto r = Read("id,t,f\n007,1700000000,1\n008,2024-01-01,0\n", o);
  EXPECT_EQ(r.table.column("id").StringAt(0), "007");
  EXPECT_EQ(r.table.column("t").i64()[0], int64_t{1700000000} * 1000000);
  EXPECT_EQ(r.table.column("f").bools()[0], 1);
  // A declared int64 takes whole numbers written as floats (pandas' int column with a missing
  // value); inferred, the column stays float64.
  o.types = {{"n", DataType::kInt64}};
  r = Read("n\n69.0\n\n-2e3\n", o);
  ASSERT_EQ(r.table.column("n").type(), DataType::kInt64);
  EXPECT_EQ(r.table.column("n").i64()[0], 69);
  EXPECT_EQ(r.table.column("n").i64()[2], -2000);
  EXPECT_EQ(Read("n\n69.0\n\n", {}).table.column("n").type(), DataType::kFloat64);
}

TEST_F(CsvReaderTest, DeclaringAnUnknownColumnNamesTheNearest) {
  ReadOptions o;
  o.types = {{"agee", DataType::kInt64}};
  std::string msg = ErrorOf("age,x\n1,2\n", o);
  EXPECT_NE(msg.find("did you mean 'age'"), std::string::npos) << msg;
}

TEST_F(CsvReaderTest, GzipAndZstdInput) {
  std::string csv = "a,b\n1,x\n2,y\n";
  // gzip
  {
    gzFile gz = gzopen((dir_ / "in.csv.gz").c_str(), "wb");
    gzwrite(gz, csv.data(), static_cast<unsigned>(csv.size()));
    gzclose(gz);
    auto r = ReadCsv(dir_ / "in.csv.gz", {});
    EXPECT_EQ(r.table.num_rows(), 2);
    EXPECT_EQ(r.source.compression, Compression::kGzip);
  }
  // zstd
  {
    std::string out(ZSTD_compressBound(csv.size()), '\0');
    out.resize(ZSTD_compress(out.data(), out.size(), csv.data(), csv.size(), 3));
    auto r = ReadCsv(WriteFile(dir_ / "in.csv.zst", out), {});
    EXPECT_EQ(r.table.num_rows(), 2);
    EXPECT_EQ(r.table.column("b").StringAt(1), "y");
    // Truncated compressed input is reported, not read as a shorter file.
    WriteFile(dir_ / "cut.zst", out.substr(0, out.size() - 3));
    EXPECT_THROW(ReadCsv(dir_ / "cut.zst", {}), Error);
  }
}

TEST_F(CsvReaderTest, LargeInputParsedInParallelMatchesSerial) {
  std::string csv = "id,x,s\n";
  for (int i = 0; i < 200000; ++i) {
    csv += std::to_string(i) + "," + std::to_string(i * 0.25) + ",\"v" + std::to_string(i % 7) +
           (i % 1000 == 0 ? "\nline2" : "") + "\"\n";
  }
  ReadOptions one;
  one.threads = 1;
  ReadOptions many;
  many.threads = 4;
  auto a = Read(csv, one);
  auto b = Read(csv, many);
  ASSERT_EQ(a.table.num_rows(), 200000);
  EXPECT_TRUE(a.table.Equals(b.table));
  EXPECT_EQ(b.table.column("id").i64()[199999], 199999);
  EXPECT_EQ(b.table.column("s").StringAt(1000), "v6\nline2");
}

// --- Malformed input: each case names file, line and column and shows the text. --------------

using testing::BadCase;

class MalformedCsvTest : public CsvReaderTest, public ::testing::WithParamInterface<BadCase> {};

TEST_P(MalformedCsvTest, FailsWithLocation) {
  const BadCase& c = GetParam();
  ReadOptions o;
  o.types = {{"n", DataType::kInt64}};
  std::string content = c.content;
  std::string msg;
  try {
    Read(content, o);
    msg = "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDataError);
    msg = e.what();
  }
  EXPECT_NE(msg.find(c.expected), std::string::npos) << c.name << ": " << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, MalformedCsvTest,
    ::testing::Values(
        BadCase{"ragged_short", "n,s\n1,a\n2\n", "in.csv:3:2: expected 2 fields, found 1\n  3 | 2"},
        BadCase{"ragged_long", "n,s\n1,a\n2,b,c\n", "in.csv:3:4: expected 2 fields, found 3"},
        BadCase{"one_column_header", "n\n1\n2,3\n",
                "in.csv:3:2: expected 1 field, found 2 (the header reads as one column: is the "
                "delimiter another? give --delimiter)"},
        BadCase{"unterminated", "n,s\n1,\"abc\n2,x\n", "in.csv:2:3: unterminated quoted field"},
        BadCase{"text_after_quote", "n,s\n1,\"ab\"c\n", "in.csv:2:7: unexpected text after"},
        BadCase{"invalid_utf8", "n,s\n1,ok\n2,a\xFF\xFE\n", "in.csv:3:3: invalid UTF-8"},
        BadCase{
            "declared_type", "n,s\n1,a\nabc,b\n",
            "in.csv:3:1: 'abc' is not a valid int64 (column 'n' is declared int64)\n  3 | abc,b"},
        BadCase{"int_overflow", "n,s\n99999999999999999999,a\n", "in.csv:2:1: '9999"},
        BadCase{"duplicate_header", "n,s,n\n1,2,3\n", "in.csv:1:5: header: duplicate column name"},
        BadCase{"empty_header", "n,,s\n1,2,3\n", "in.csv:1:3: header: column 2 has an empty name"},
        BadCase{"empty_file", "", "in.csv: the file is empty"},
        BadCase{"only_bom", "\xEF\xBB\xBF", "the file is empty"},
        BadCase{"binary", std::string("ab\0\0\0cd", 7) + "n,s", "this is not a text file"},
        BadCase{"sqlite", std::string("SQLite format 3\0\0\0", 18) + "n,s",
                "in.csv: this is an SQLite database file"},
        BadCase{"line_after_multiline_field", "n,s\n1,\"a\nb\"\n2,x,y\n",
                "in.csv:4:4: expected 2 fields"}),
    [](const ::testing::TestParamInfo<BadCase>& info) { return info.param.name; });

TEST_F(CsvReaderTest, SkipPolicyKeepsGoodRowsAndReturnsEveryBadOne) {
  ReadOptions o;
  o.on_bad_rows = BadRowPolicy::kSkip;
  o.types = {{"n", DataType::kInt64}};
  auto r = Read("n,s\n1,a\nx,b\n3\n4,d\n5,\"e\n", o);
  EXPECT_EQ(r.table.num_rows(), 2);
  ASSERT_EQ(r.rejected.size(), 3u);
  EXPECT_EQ(r.rejected[0].line, 3);
  EXPECT_EQ(r.rejected[0].text, "x,b");
  EXPECT_EQ(r.rejected[1].line, 4);
  EXPECT_EQ(r.rejected[1].text, "3");
  EXPECT_EQ(r.rejected[2].line, 6);
  EXPECT_EQ(r.rejected[2].text, "5,\"e\n");
}

// A skipped row's other values do not decide their columns' types: its text in `x` leaves `x`
// int64, in the inference sample and after it (where a value outside the type restarts the read).
TEST_F(CsvReaderTest, ASkippedRowDoesNotWidenAColumn) {
  ReadOptions o;
  o.on_bad_rows = BadRowPolicy::kSkip;
  o.types = {{"y", DataType::kInt64}};
  o.sample_rows = 3;
  for (const std::string& csv : {std::string("x,y\n1,2\nabc,bad\n4,5\n"),
                                 std::string("x,y\n1,2\n2,3\n3,4\n4,5\nabc,bad\n2.5,NA\n")}) {
    auto r = Read(csv, o);
    ASSERT_EQ(r.rejected.size(), 1u) << csv;
    EXPECT_EQ(r.rejected[0].text, "abc,bad");
    EXPECT_EQ(r.table.column("x").type(), csv.size() < 30 ? DataType::kInt64 : DataType::kFloat64)
        << csv;
  }
}

// A line of spaces is blank, as pandas, batch transform and the server read it.
TEST_F(CsvReaderTest, LinesOfSpacesAreBlank) {
  auto r = Read("a,b\n1,2\n   \n\t\n3,4\n");
  ASSERT_EQ(r.table.num_rows(), 2);
  EXPECT_EQ(r.table.column("a").i64()[1], 3);
}

TEST_F(CsvReaderTest, HeaderOnlyFileHasNoRows) {
  auto r = Read("a,b\n");
  EXPECT_EQ(r.table.num_rows(), 0);
  EXPECT_EQ(r.table.num_columns(), 2);
}

}  // namespace
}  // namespace mloop

namespace mloop {
namespace {

// A column whose only values are quoted tokens is a string column of those texts: what
// `data export` writes for a string column holding "NA", "null" and "" reads back the same.
// Among numbers (a file quoting every field) a quoted token is still missing.
TEST_F(CsvReaderTest, AColumnOfQuotedTokensOnlyIsText) {
  auto r = Read("id,s,t,n\n1,\"NA\",\"\",\"1\"\n2,\"null\",\"\",\"\"\n3,,,\"3\"\n");
  EXPECT_EQ(r.table.column("s").type(), DataType::kString);
  EXPECT_EQ(r.table.column("s").StringAt(0), "NA");
  EXPECT_EQ(r.table.column("s").StringAt(1), "null");
  EXPECT_FALSE(r.table.column("s").IsValid(2));
  EXPECT_EQ(r.table.column("t").type(), DataType::kString);
  EXPECT_EQ(r.table.column("t").StringAt(0), "");
  EXPECT_EQ(r.table.column("n").type(), DataType::kInt64);
  EXPECT_FALSE(r.table.column("n").IsValid(1));
}

TEST_F(CsvReaderTest, QuotedTokensAreLiteralInStringColumnsOnly) {
  auto r = Read("s,n\n\"NA\",\"\"\nNA,\"2\"\nx,NA\n");
  EXPECT_EQ(r.table.column("s").type(), DataType::kString);
  EXPECT_EQ(r.table.column("s").StringAt(0), "NA");
  EXPECT_FALSE(r.table.column("s").IsValid(1));
  EXPECT_EQ(r.table.column("n").type(), DataType::kInt64);
  EXPECT_FALSE(r.table.column("n").IsValid(0));
  EXPECT_EQ(r.table.column("n").i64()[1], 2);
}

}  // namespace
}  // namespace mloop

namespace mloop {
namespace {

// Under the skip policy every data row is either imported or rejected: none disappears.
TEST_F(CsvReaderTest, SkipPolicyAccountsForEveryRow) {
  std::string csv = "a,b\n";
  int good = 0, bad = 0;
  for (int i = 0; i < 5000; ++i) {
    switch (i % 7) {
      case 3:
        csv += "1,2,3\n", ++bad;
        break;  // too many fields
      case 5:
        csv += "x\n", ++bad;
        break;  // too few
      case 6:
        csv += "\"q\"z,1\n", ++bad;
        break;  // text after a closing quote
      default:
        csv += std::to_string(i) + ",v\n", ++good;
    }
  }
  ReadOptions o;
  o.on_bad_rows = BadRowPolicy::kSkip;
  o.threads = 2;
  auto r = Read(csv, o);
  EXPECT_EQ(r.table.num_rows(), good);
  EXPECT_EQ(static_cast<int>(r.rejected.size()), bad);
  // Rejected rows come back in file order with their own line numbers.
  for (size_t k = 1; k < r.rejected.size(); ++k) {
    EXPECT_LT(r.rejected[k - 1].line, r.rejected[k].line);
  }
  EXPECT_EQ(r.rejected[0].line, 5);  // row i=3 is on line 5 (header is line 1)
  EXPECT_EQ(r.rejected[0].text, "1,2,3");
}

// A bad row whose quotes would pair up across lines ('"a"b,"c' then '"2,x'): the blocks read in
// parallel are cut where the tokenizer ends the bad row (at its line break), so the rows kept
// do not depend on the thread count.
TEST_F(CsvReaderTest, SkippedRowsDoNotDependOnTheThreadCount) {
  std::string csv = "id,v\n";
  // Most bytes lie where the two readings differ (the long line), so cuts fall there.
  const std::string fragment = "1,\"a\"b,\"c\n\"2," + std::string(80, 'x') + "\n3,y\n4,z\"\n";
  for (int i = 0; i < 30000; ++i) {
    csv += std::to_string(i) + ",val" + std::to_string(i) + "\n";
    if (i % 3 == 0) csv += fragment;
  }
  ReadOptions o;
  o.on_bad_rows = BadRowPolicy::kSkip;
  o.types = {{"id", DataType::kInt64}};
  o.threads = 1;
  const ReadResult serial = Read(csv, o);
  // Each fragment is two bad rows: '1,"a"b,"c' and the one quoted field '"2,x\n3,y\n4,z"'.
  EXPECT_EQ(serial.table.num_rows(), 30000);
  EXPECT_EQ(serial.rejected.size(), 20000u);
  for (int threads : {2, 3, 4}) {
    o.threads = threads;
    const ReadResult r = Read(csv, o);
    EXPECT_TRUE(r.table.Equals(serial.table)) << threads << " threads";
    EXPECT_EQ(r.rejected.size(), serial.rejected.size()) << threads << " threads";
  }
}

}  // namespace
}  // namespace mloop

namespace mloop {
namespace {

// Timestamps are read within years 0000-9999: what the ISO form writes and reads back. An
// offset may not move a time out of them, nor may epoch seconds (milliseconds sent as seconds).
TEST(ValueParseTest, TimestampsStayWithinYearsZeroTo9999) {
  int64_t t;
  EXPECT_TRUE(ParseTimestamp("9999-12-31T23:59:59.999999Z", false, &t));
  EXPECT_TRUE(ParseTimestamp("0000-01-01T00:00:00Z", false, &t));
  EXPECT_EQ(t, kFirstTimestampSecond * 1000000);
  EXPECT_FALSE(ParseTimestamp("9999-12-31T23:00:00-05:00", false, &t));
  EXPECT_FALSE(ParseTimestamp("0000-01-01T00:00:00+01:00", false, &t));
  EXPECT_TRUE(ParseTimestamp("253402300799", true, &t));
  EXPECT_FALSE(ParseTimestamp("253402300800", true, &t));
  EXPECT_FALSE(ParseTimestamp("1700000000000", true, &t));  // milliseconds
  EXPECT_FALSE(ParseTimestamp("1700000000000.5", true, &t));
  EXPECT_FALSE(ParseTimestamp("-62167219201", true, &t));
  EXPECT_TRUE(ParseTimestamp("-62167219200", true, &t));
}

// A declared timestamp of eight digits that make a date is that date (ISO 8601's basic form, as
// pandas' to_datetime reads it), not seconds of 1970-1973; other integers are seconds, except
// eight digits shaped like a date that is none.
TEST(ValueParseTest, DeclaredTimestampsReadCompactDates) {
  int64_t t = 0, iso = 0;
  ASSERT_TRUE(ParseTimestamp("2024-01-02", false, &iso));
  EXPECT_TRUE(ParseTimestamp("20240102", true, &t));
  EXPECT_EQ(t, iso);
  EXPECT_FALSE(ParseTimestamp("20240102", false, &t));  // inferred types: an int64 column
  // A year of 1900-2199 and no date (no 29 February in 2023, no month 13 or 0, no day 32 or
  // 0): a typo, refused rather than read as a day of 1970 (it silently scored as one).
  for (const char* typo : {"20230229", "20240230", "20241302", "20240001", "20240132", "20240100",
                           "19000229", "21991232"}) {
    EXPECT_FALSE(ParseTimestamp(typo, true, &t)) << typo;
  }
  ASSERT_TRUE(ParseTimestamp("22001301", true, &t));  // year 2200 is beyond the rule: seconds
  EXPECT_EQ(t, int64_t{22001301} * 1000000);
  ASSERT_TRUE(ParseTimestamp("12345678", true, &t));  // no year 1234 of this shape: seconds
  EXPECT_EQ(t, int64_t{12345678} * 1000000);
  ASSERT_TRUE(ParseTimestamp("1620172800", true, &t));
  EXPECT_EQ(t, int64_t{1620172800} * 1000000);
}

TEST(ValueParseTest, RefusesWhatItCannotRepresent) {
  int64_t i;
  double d;
  EXPECT_FALSE(ParseInt64("+-5", &i));
  EXPECT_FALSE(ParseFloat64("+-5", &d));
  EXPECT_TRUE(ParseInt64("+5", &i));
  EXPECT_EQ(i, 5);
  EXPECT_FALSE(ParseFloat64("1e400", &d));  // would be infinity
  EXPECT_TRUE(ParseFloat64("1e-400", &d));  // rounds to zero
  EXPECT_EQ(d, 0.0);
  EXPECT_TRUE(ParseFloat64("inf", &d));  // written explicitly
  EXPECT_FALSE(ParseTimestamp("2024-01-01T00:00:00+05:", false, &i));
  EXPECT_TRUE(ParseTimestamp("2024-01-01T00:00:00+05:30", false, &i));
  EXPECT_TRUE(ParseTimestamp("2024-01-01T00:00:00+0530", false, &i));
}

// The short-decimal fast path gives fast_float's double, bit for bit, wherever it applies, and
// declines (nullptr) everything else.
TEST(ValueParseTest, ShortDecimalsParseAsFastFloatDoes) {
  std::mt19937_64 rng(7);
  auto fast_float_of = [](const std::string& s) {
    double d = 0;
    fast_float::from_chars(s.data(), s.data() + s.size(), d);
    return d;
  };
  int taken = 0;
  for (int k = 0; k < 200000; ++k) {
    const int int_digits = 1 + static_cast<int>(rng() % 10);
    const int decimals = static_cast<int>(rng() % 12);
    std::string s = rng() % 2 ? "-" : "";
    for (int i = 0; i < int_digits; ++i) s += static_cast<char>('0' + rng() % 10);
    if (decimals > 0) s += '.';
    for (int i = 0; i < decimals; ++i) s += static_cast<char>('0' + rng() % 10);
    double d = 0;
    const char* end = internal::ParseShortDecimal(s.data(), s.data() + s.size(), &d);
    if (int_digits + decimals > 15) {
      EXPECT_EQ(end, nullptr) << s;
      continue;
    }
    ASSERT_EQ(end, s.data() + s.size()) << s;
    const double want = fast_float_of(s);
    ASSERT_EQ(std::memcmp(&d, &want, sizeof d), 0) << s;  // -0 included
    ++taken;
    double parsed = 0;
    ASSERT_TRUE(ParseFloat64(s, &parsed));
    ASSERT_EQ(std::memcmp(&parsed, &want, sizeof d), 0) << s;
  }
  EXPECT_GT(taken, 100000);
  // Stops at what follows the number; declines exponents, bare points and non-numbers.
  double d = 0;
  const std::string field = "12.5,7";
  EXPECT_EQ(internal::ParseShortDecimal(field.data(), field.data() + field.size(), &d),
            field.data() + 4);
  EXPECT_EQ(d, 12.5);
  for (const std::string s : {"1e5", "1.5E-3", ".5", "5.", "-", "", "abc", "-.5", "nan"}) {
    EXPECT_EQ(internal::ParseShortDecimal(s.data(), s.data() + s.size(), &d), nullptr) << s;
  }
  for (const char* s : {"1e5", "1.5E-3", "0.1", "-0.0", "123456789012345678", "9007199254740993"}) {
    double parsed = 0;
    ASSERT_TRUE(ParseFloat64(s, &parsed)) << s;
    const double want = fast_float_of(s);
    EXPECT_EQ(std::memcmp(&parsed, &want, sizeof parsed), 0) << s;
  }
}

TEST_F(CsvReaderTest, OneColumnBlankLines) {
  auto r = Read("a\n1\n\n3\n\n");
  ASSERT_EQ(r.table.num_rows(), 4);  // each blank line is a row with a missing value
  EXPECT_FALSE(r.table.column("a").IsValid(1));
  EXPECT_FALSE(r.table.column("a").IsValid(3));
}

}  // namespace
}  // namespace mloop
