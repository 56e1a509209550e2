#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <thread>

#include "mloop/core/error.h"
#include "mloop/core/time.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/csv_reader.h"
#include "mloop/io/csv_writer.h"
#include "mloop/io/jsonl_reader.h"
#include "mloop/io/jsonl_writer.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

// A value for TableOf: nullopt is a missing value.
using F = std::optional<double>;
using I = std::optional<int64_t>;
using S = std::optional<std::string>;
using B = std::optional<bool>;

Column FloatColumn(const std::vector<F>& v) {
  ColumnBuilder b(DataType::kFloat64);
  for (const auto& x : v) x ? b.AppendDouble(*x) : b.AppendNull();
  return b.Finish();
}
Column IntColumn(const std::vector<I>& v, DataType type = DataType::kInt64) {
  ColumnBuilder b(type);
  for (const auto& x : v) x ? b.AppendInt(*x) : b.AppendNull();
  return b.Finish();
}
Column StringColumn(const std::vector<S>& v) {
  ColumnBuilder b(DataType::kString);
  for (const auto& x : v) x ? b.AppendString(*x) : b.AppendNull();
  return b.Finish();
}
Column BoolColumn(const std::vector<B>& v) {
  ColumnBuilder b(DataType::kBool);
  for (const auto& x : v) x ? b.AppendBool(*x) : b.AppendNull();
  return b.Finish();
}

Table TableOf(const std::vector<std::pair<std::string, Column>>& columns) {
  std::vector<Field> fields;
  std::vector<Column> cols;
  for (const auto& [name, c] : columns) {
    fields.push_back({name, c.type(), Role::kFeature});
    cols.push_back(c);
  }
  return Table(Schema(fields), cols);
}

// Options declaring every column of `t` with its type, so that a read-back cannot re-infer.
ReadOptions Declared(const Table& t) {
  ReadOptions o;
  for (const auto& f : t.schema().fields()) o.types[f.name] = f.type;
  return o;
}

int64_t Ts(int64_t y, unsigned m, unsigned d, int64_t seconds = 0, int64_t micros = 0) {
  return (DaysFromCivil(y, m, d) * 86400 + seconds) * 1000000 + micros;
}

// Strings that need care in CSV and JSON.
const std::vector<S> kTrickyStrings = {
    "plain",
    "a,b",
    "say \"hi\"",
    "\"",
    "two\nlines",
    "cr\rlf\r\n",
    " leading",
    "trailing ",
    "\ttab",
    "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80",  // café € 😀
    std::nullopt,
    "back\\slash",
    "ctrl\x01\x1F",
    "semi;colon|pipe",
    "0042",
    "2024-01-02",
    "true",
    "1e5",
};

Table TrickyTable() {
  const size_t n = kTrickyStrings.size();
  std::vector<F> f = {0.1,
                      -0.0,
                      1e300,
                      5e-324,
                      -2.5e-310,
                      std::numeric_limits<double>::max(),
                      std::numeric_limits<double>::lowest(),
                      3.0,
                      std::nullopt,
                      123456789012345678.0,
                      -1.0,
                      1.0 / 3.0,
                      2.0,
                      1e-7,
                      1e21,
                      0.0,
                      7.0,
                      8.5};
  std::vector<I> i, ts;
  std::vector<B> b;
  for (size_t k = 0; k < n; ++k) {
    i.push_back(k == 3 ? I{} : I{static_cast<int64_t>(k) * 1000003 - 7});
    b.push_back(k == 4 ? B{} : B{k % 3 == 0});
    ts.push_back(k == 5 ? I{} : I{Ts(1969 + static_cast<int64_t>(k) * 3, 12, 31, 86399, k * 7)});
  }
  i[0] = std::numeric_limits<int64_t>::max();
  i[1] = std::numeric_limits<int64_t>::min();
  return TableOf({{"s", StringColumn(kTrickyStrings)},
                  {"f", FloatColumn(f)},
                  {"i", IntColumn(i)},
                  {"b", BoolColumn(b)},
                  {"t", IntColumn(ts, DataType::kTimestamp)},
                  {"name with, comma \"and\" quotes", StringColumn(std::vector<S>(n, "x"))}});
}

std::string Csv(const Table& t, CsvWriteOptions o = {}) {
  std::ostringstream out;
  WriteCsv(t, out, o);
  return out.str();
}

std::string Jsonl(const Table& t) {
  std::ostringstream out;
  WriteJsonLines(t, out);
  return out.str();
}

// Files in `dir` whose name contains ".tmp-" (left-over temporary files).
int TempFiles(const std::filesystem::path& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    n += e.path().filename().string().find(".tmp-") != std::string::npos;
  }
  return n;
}

// --- CSV ---------------------------------------------------------------------------------------

TEST(CsvWriterTest, QuotesOnlyWhereNeeded) {
  Table t = TableOf({{"s", StringColumn({"a,b", "say \"hi\"", "x\ny", " lead", "tail ", "NA", "",
                                         "null", "NaN", "plain", std::nullopt})},
                     {"n", IntColumn({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, std::nullopt})}});
  EXPECT_EQ(Csv(t),
            "s,n\n"
            "\"a,b\",1\n"
            "\"say \"\"hi\"\"\",2\n"
            "\"x\ny\",3\n"
            "\" lead\",4\n"
            "\"tail \",5\n"
            "\"NA\",6\n"
            "\"\",7\n"
            "\"null\",8\n"
            "\"NaN\",9\n"
            "plain,10\n"
            ",\n");
}

TEST(CsvWriterTest, FormatsEachType) {
  Table t =
      TableOf({{"f", FloatColumn({1.5, 3.0, -0.0, 1e300, std::nan(""),
                                  std::numeric_limits<double>::infinity()})},
               {"b", BoolColumn({true, false, std::nullopt, true, true, false})},
               {"t", IntColumn({Ts(2024, 1, 2, 3661), Ts(1970, 1, 1, 0, 5), 0, std::nullopt, 0, 0},
                               DataType::kTimestamp)}});
  EXPECT_EQ(Csv(t),
            "f,b,t\n"
            "1.5,true,2024-01-02T01:01:01Z\n"
            "3.0,false,1970-01-01T00:00:00.000005Z\n"
            "-0.0,,1970-01-01T00:00:00Z\n"
            "1e+300,true,\n"
            "nan,true,1970-01-01T00:00:00Z\n"
            "inf,false,1970-01-01T00:00:00Z\n");
}

TEST(CsvWriterTest, DelimiterAndNoHeader) {
  Table t = TableOf({{"a", StringColumn({"x;y", "z"})}, {"b", IntColumn({1, 2})}});
  CsvWriteOptions o;
  o.delimiter = ';';
  o.header = false;
  EXPECT_EQ(Csv(t, o), "\"x;y\";1\nz;2\n");
  o.delimiter = '"';
  EXPECT_THROW(Csv(t, o), Error);
}

TEST(CsvWriterTest, LoneMissingValueIsNotABlankLine) {
  Table t = TableOf({{"v", FloatColumn({1.5, std::nullopt, 2.0})}});
  EXPECT_EQ(Csv(t), "v\n1.5\n\"\"\n2.0\n");
}

TEST(CsvWriterTest, RoundTripsWithDeclaredTypes) {
  TempDir dir;
  Table t = TrickyTable();
  WriteCsvFile(t, dir / "out.csv");
  ReadResult r = ReadCsv(dir / "out.csv", Declared(t));
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_TRUE(r.table.Equals(t)) << ReadFile(dir / "out.csv");
  EXPECT_EQ(TempFiles(dir.path()), 0);
}

TEST(CsvWriterTest, RoundTripsByInference) {
  // Values whose text infers back to their own type: floats keep a ".0", infinities are valid
  // float64 values, timestamps are ISO 8601. NaN is written "nan", which reads back missing (a
  // missing-value token, as in pandas); strings equal to a token are quoted, so they stay text.
  TempDir dir;
  auto table = [](std::optional<double> nan) {
    return TableOf(
        {{"f", FloatColumn({3.0, -0.0, 1e300, 5e-324, nan, -std::numeric_limits<double>::infinity(),
                            std::nullopt, 0.1})},
         {"i", IntColumn({std::numeric_limits<int64_t>::min(), 0, std::nullopt, 1, 2, 3, 4,
                          std::numeric_limits<int64_t>::max()})},
         {"b", BoolColumn({true, false, true, std::nullopt, false, false, true, true})},
         {"t", IntColumn({Ts(2024, 2, 29, 1), Ts(1900, 1, 1), Ts(2038, 1, 19, 11647, 999999), 0,
                          std::nullopt, 1, 2, 3},
                         DataType::kTimestamp)},
         {"s", StringColumn({"a", "b,c", "d\ne", " f", "caf\xC3\xA9", std::nullopt, "\"", "x"})},
         {"tokens", StringColumn({"NULL", "None", "N/A", "nan", "#N/A", "", "NA", "<NA>"})}});
  };
  WriteCsvFile(table(std::nan("")), dir / "out.csv");
  ReadResult r = ReadCsv(dir / "out.csv", {});
  EXPECT_TRUE(r.table.Equals(table(std::nullopt))) << ReadFile(dir / "out.csv");
  EXPECT_TRUE(std::signbit(r.table.column("f").f64()[1]));
}

TEST(CsvWriterTest, SingleColumnWithMissingValuesRoundTrips) {
  TempDir dir;
  Table t = TableOf({{"v", FloatColumn({1.5, std::nullopt, std::nullopt, 2.0})}});
  WriteCsvFile(t, dir / "out.csv");
  EXPECT_TRUE(ReadCsv(dir / "out.csv", {}).table.Equals(t));
}

// Strings that look like missing-value tokens are quoted by the writer and stay strings.
TEST(CsvWriterTest, StringsEqualToMissingTokensRoundTrip) {
  TempDir dir;
  Table t = TableOf({{"s", StringColumn({"NA", "", "null", "NaN", std::nullopt, "x"})}});
  WriteCsvFile(t, dir / "out.csv");
  EXPECT_TRUE(ReadCsv(dir / "out.csv", Declared(t)).table.Equals(t));
}

TEST(CsvWriterTest, EmptyTables) {
  EXPECT_EQ(Csv(Table()), "");
  Table t = TableOf({{"a", IntColumn({})}, {"b", StringColumn({})}});
  EXPECT_EQ(Csv(t), "a,b\n");
  TempDir dir;
  WriteCsvFile(t, dir / "out.csv");
  ReadResult r = ReadCsv(dir / "out.csv", Declared(t));
  EXPECT_TRUE(r.table.Equals(t));
}

TEST(CsvWriterTest, SlicedTable) {
  Table t = TableOf({{"s", StringColumn({"a", "b", "c,d"})}, {"n", IntColumn({1, 2, 3})}});
  EXPECT_EQ(Csv(t.Slice(1, 2)), "s,n\nb,2\n\"c,d\",3\n");
}

// --- JSON Lines --------------------------------------------------------------------------------

TEST(JsonlWriterTest, FormatsEachType) {
  Table t = TableOf(
      {{"f", FloatColumn(
                 {1.5, 3.0, std::nan(""), std::numeric_limits<double>::infinity(), std::nullopt})},
       {"i", IntColumn({-1, 0, std::numeric_limits<int64_t>::max(), 7, std::nullopt})},
       {"b", BoolColumn({true, false, std::nullopt, true, false})},
       {"t", IntColumn({Ts(2024, 1, 2, 3661), std::nullopt, 0, 0, 0}, DataType::kTimestamp)},
       {"s\"k", StringColumn({"q\"b\\n\nt\tc\x01", "caf\xC3\xA9", std::nullopt, "", "NA"})}});
  EXPECT_EQ(
      Jsonl(t),
      "{\"f\":1.5,\"i\":-1,\"b\":true,\"t\":\"2024-01-02T01:01:01Z\","
      "\"s\\\"k\":\"q\\\"b\\\\n\\nt\\tc\\u0001\"}\n"
      "{\"f\":3.0,\"i\":0,\"b\":false,\"t\":null,\"s\\\"k\":\"caf\xC3\xA9\"}\n"
      "{\"f\":null,\"i\":9223372036854775807,\"b\":null,\"t\":\"1970-01-01T00:00:00Z\","
      "\"s\\\"k\":null}\n"
      "{\"f\":null,\"i\":7,\"b\":true,\"t\":\"1970-01-01T00:00:00Z\",\"s\\\"k\":\"\"}\n"
      "{\"f\":null,\"i\":null,\"b\":false,\"t\":\"1970-01-01T00:00:00Z\",\"s\\\"k\":\"NA\"}\n");
}

TEST(JsonlWriterTest, RoundTripsWithDeclaredTypes) {
  TempDir dir;
  Table t = TrickyTable();
  WriteJsonLinesFile(t, dir / "out.jsonl");
  ReadResult r = ReadJsonLines(dir / "out.jsonl", Declared(t));
  EXPECT_TRUE(r.rejected.empty());
  EXPECT_TRUE(r.table.Equals(t)) << ReadFile(dir / "out.jsonl");
  EXPECT_EQ(TempFiles(dir.path()), 0);
}

TEST(JsonlWriterTest, RoundTripsByInference) {
  TempDir dir;
  Table t = TableOf({{"f", FloatColumn({3.0, -0.0, 1e300, 5e-324, std::nullopt, 0.1})},
                     {"i", IntColumn({std::numeric_limits<int64_t>::min(), 0, std::nullopt, 1, 2,
                                      std::numeric_limits<int64_t>::max()})},
                     {"b", BoolColumn({true, false, true, std::nullopt, false, false})},
                     {"t", IntColumn({Ts(2024, 2, 29, 1), Ts(1900, 1, 1),
                                      Ts(2038, 1, 19, 11647, 999999), 0, std::nullopt, 1},
                                     DataType::kTimestamp)},
                     {"s", StringColumn({"a", "NA", "", "d\ne", "\"\\", std::nullopt})}});
  WriteJsonLinesFile(t, dir / "out.jsonl");
  ReadResult r = ReadJsonLines(dir / "out.jsonl", {});
  EXPECT_TRUE(r.table.Equals(t)) << ReadFile(dir / "out.jsonl");
  EXPECT_TRUE(std::signbit(r.table.column("f").f64()[1]));
}

TEST(JsonlWriterTest, InvalidUtf8IsADataErrorAndLeavesNoFile) {
  TempDir dir;
  Table t = TableOf({{"s", StringColumn({"ok", "bad\xFF"})}});
  try {
    WriteJsonLinesFile(t, dir / "out.jsonl");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDataError);
    EXPECT_NE(std::string(e.what()).find("row 2 of column 's'"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "out.jsonl"));
  EXPECT_EQ(TempFiles(dir.path()), 0);
}

// --- Atomic writes -----------------------------------------------------------------------------

TEST(AtomicFileTest, ReplacesExistingFile) {
  TempDir dir;
  WriteFile(dir / "f.txt", "old");
  WriteFileAtomically(dir / "f.txt", [](std::ostream& out) { out << "new"; });
  EXPECT_EQ(ReadFile(dir / "f.txt"), "new");
  EXPECT_EQ(TempFiles(dir.path()), 0);
}

TEST(AtomicFileTest, LargeOutput) {
  TempDir dir;
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 977) big[i] = '\n';
  WriteFileAtomically(dir / "f.txt", [&](std::ostream& out) {
    out.write(big.data(), 1000);
    out << big.substr(1000, 5);
    out.write(big.data() + 1005, static_cast<std::streamsize>(big.size() - 1005));
  });
  EXPECT_EQ(ReadFile(dir / "f.txt"), big);
}

TEST(AtomicFileTest, FailingWriterLeavesOldContentAndNoTempFile) {
  TempDir dir;
  WriteFile(dir / "f.txt", "old");
  try {
    WriteFileAtomically(dir / "f.txt", [](std::ostream& out) {
      out << "partial";
      throw DataError("boom");
    });
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDataError);
    EXPECT_STREQ(e.what(), "boom");
  }
  EXPECT_THROW(
      WriteFileAtomically(dir / "f.txt", [](std::ostream&) { throw std::runtime_error("std"); }),
      Error);
  EXPECT_EQ(ReadFile(dir / "f.txt"), "old");
  EXPECT_EQ(TempFiles(dir.path()), 0);
}

TEST(AtomicFileTest, FileSetReplacesAllOrNothing) {
  TempDir dir;
  WriteFile(dir / "a.txt", "old a");
  WriteFile(dir / "b.txt", "old b");
  {
    AtomicFileSet set;
    set.Write(dir / "a.txt", [](std::ostream& out) { out << "new a"; });
    EXPECT_THROW(set.Write(dir / "b.txt",
                           [](std::ostream& out) {
                             out << "partial";
                             throw DataError("disk full");
                           }),
                 Error);
  }  // destroyed uncommitted: a.txt's new content is discarded too
  EXPECT_EQ(ReadFile(dir / "a.txt"), "old a");
  EXPECT_EQ(ReadFile(dir / "b.txt"), "old b");
  EXPECT_EQ(TempFiles(dir.path()), 0);
  AtomicFileSet set;
  set.Write(dir / "a.txt", [](std::ostream& out) { out << "new a"; });
  set.Write(dir / "c.txt", [](std::ostream& out) { out << "new c"; });
  EXPECT_EQ(ReadFile(dir / "a.txt"), "old a");  // nothing moves before Commit
  set.Commit();
  EXPECT_EQ(ReadFile(dir / "a.txt"), "new a");
  EXPECT_EQ(ReadFile(dir / "c.txt"), "new c");
  EXPECT_EQ(TempFiles(dir.path()), 0);
}

TEST(AtomicFileTest, MissingDirectoryOrDirectoryTarget) {
  TempDir dir;
  Table t = TableOf({{"a", IntColumn({1})}});
  EXPECT_THROW(WriteCsvFile(t, dir / "no" / "such" / "out.csv"), Error);
  std::filesystem::create_directory(dir / "sub");
  WriteFile(dir / "sub" / "keep", "x");
  try {
    WriteCsvFile(t, dir / "sub");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIoError) << e.what();
  }
  EXPECT_EQ(TempFiles(dir.path()), 0);
  EXPECT_TRUE(std::filesystem::is_directory(dir / "sub"));
}

TEST(AtomicFileTest, SymbolicLinkStaysAndItsTargetIsReplaced) {
  TempDir dir;
  WriteFile(dir / "real.txt", "old");
  std::filesystem::create_symlink("real.txt", dir / "link.txt");
  WriteFileAtomically(dir / "link.txt", [](std::ostream& out) { out << "new"; });
  EXPECT_TRUE(std::filesystem::is_symlink(dir / "link.txt"));
  EXPECT_EQ(ReadFile(dir / "real.txt"), "new");
  EXPECT_EQ(TempFiles(dir.path()), 0);
}

TEST(AtomicFileTest, NamedPipeIsWrittenThroughNotReplaced) {
  TempDir dir;
  const auto fifo = dir / "pipe";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  std::string got;
  std::thread reader([&] { got = ReadFile(fifo); });
  WriteFileAtomically(fifo, [](std::ostream& out) { out << "through"; });
  reader.join();
  EXPECT_EQ(got, "through");
  EXPECT_EQ(std::filesystem::status(fifo).type(), std::filesystem::file_type::fifo);
  EXPECT_TRUE(IsSpecialFile(fifo));
  EXPECT_FALSE(IsSpecialFile(dir.path()));
}

TEST(CsvWriterTest, NulInAStringIsRefusedNotWritten) {
  Table t = TableOf({{"s", StringColumn({S(std::string("a\0b", 3))})}});
  std::ostringstream out;
  try {
    WriteCsv(t, out);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kDataError);
    EXPECT_NE(std::string(e.what()).find("column 's' holds a NUL character"), std::string::npos);
  }
}

TEST(AtomicFileTest, FullDeviceIsAnIoError) {
  if (!std::filesystem::exists("/dev/full")) GTEST_SKIP() << "no /dev/full";
  // /dev/full cannot hold a temporary file next to it, so test the stream path directly.
  std::ofstream full("/dev/full");
  Table t = TableOf({{"a", StringColumn(std::vector<S>(100000, "some text"))}});
  try {
    WriteCsv(t, full);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kIoError);
  }
}

}  // namespace
}  // namespace mloop
