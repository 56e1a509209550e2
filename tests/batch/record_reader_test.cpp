#include "mloop/batch/record_reader.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

struct Rec {
  std::string text;
  int64_t line;
  int64_t offset_after;
  bool oversize;
};

std::vector<Rec> ReadAll(RecordReader& reader) {
  std::vector<Rec> out;
  std::string buf;
  RecordSpan span;
  while (reader.Next(&buf, &span)) {
    out.push_back(
        {buf.substr(span.offset, span.length), span.line, reader.offset(), span.oversize});
  }
  return out;
}

// Tiny blocks put every record across block boundaries.
TEST(BatchRecordReader, ReadsLinesAcrossBlocks) {
  TempDir dir;
  const std::string text = "\xEF\xBB\xBFh1,h2\r\n1,2\n\n  \n3,\"a\nb\",4\r\n\"x\"\"y\",5\nlast,6";
  WriteFile(dir / "a.csv", text);
  for (size_t block : {size_t{1}, size_t{3}, size_t{7}, size_t{4} << 20}) {
    RecordReaderOptions o;
    o.csv_quotes = true;
    o.block_bytes = block;
    RecordReader reader(dir / "a.csv", o);
    const auto recs = ReadAll(reader);
    ASSERT_EQ(recs.size(), 5u) << block;
    EXPECT_EQ(recs[0].text, "h1,h2");  // no BOM, no CR
    EXPECT_EQ(recs[0].line, 1);
    EXPECT_EQ(recs[1].text, "1,2");
    EXPECT_EQ(recs[1].line, 2);
    EXPECT_EQ(recs[2].text, "3,\"a\nb\",4");  // a line break inside quotes
    EXPECT_EQ(recs[2].line, 5);               // after the blank lines 3 and 4
    EXPECT_EQ(recs[3].text, "\"x\"\"y\",5");
    EXPECT_EQ(recs[3].line, 7);
    EXPECT_EQ(recs[4].text, "last,6");  // no line end
    EXPECT_EQ(recs[4].line, 8);
    EXPECT_EQ(recs[4].offset_after, static_cast<int64_t>(text.size()));
    EXPECT_EQ(reader.line(), 8);
  }
  // JSON Lines: quotes do not matter.
  WriteFile(dir / "a.jsonl", "{\"a\": \"x\\\"\"}\n{\"a\": 1}\n");
  RecordReader reader(dir / "a.jsonl", {});
  const auto recs = ReadAll(reader);
  ASSERT_EQ(recs.size(), 2u);
  EXPECT_EQ(recs[1].text, "{\"a\": 1}");
}

// A one-column CSV file keeps its empty lines (missing values) once the header is read.
TEST(BatchRecordReader, KeepsEmptyLinesWhenAsked) {
  TempDir dir;
  WriteFile(dir / "a.csv", "\nbmi\n1\n\n  \n2\r\n\r\n");
  for (size_t block : {size_t{1}, size_t{4} << 20}) {
    RecordReaderOptions o;
    o.csv_quotes = true;
    o.block_bytes = block;
    RecordReader reader(dir / "a.csv", o);
    std::string buf;
    RecordSpan span;
    ASSERT_TRUE(reader.Next(&buf, &span));  // an empty line before the header is skipped
    EXPECT_EQ(buf.substr(span.offset, span.length), "bmi");
    reader.KeepEmptyLines();
    const auto recs = ReadAll(reader);
    ASSERT_EQ(recs.size(), 4u) << block;
    EXPECT_EQ(recs[0].text, "1");
    EXPECT_EQ(recs[1].text, "");
    EXPECT_EQ(recs[1].line, 4);
    EXPECT_EQ(recs[2].text, "2");  // the line of spaces is blank
    EXPECT_EQ(recs[3].text, "");   // CRLF
  }
}

// A quote opens a quoted field only at the field's start, as the import reads CSV: one inside an
// unquoted field is a character and joins no lines. Doubled quotes inside a quoted field (also
// split by a block boundary, and right before a line break) stay inside it.
TEST(BatchRecordReader, QuotesOpenOnlyAtTheStartOfAField) {
  TempDir dir;
  const std::string text =
      "id,note\n1,5\"3 inch\n2,ok\n3,\"a\"\"\nb\"\n4,\"x\"\"\"\n5,it\"s\",\"q\"\n6,\"\"\n7,end";
  WriteFile(dir / "q.csv", text);
  for (size_t block : {size_t{1}, size_t{2}, size_t{5}, size_t{4} << 20}) {
    RecordReaderOptions o;
    o.csv_quotes = true;
    o.block_bytes = block;
    RecordReader reader(dir / "q.csv", o);
    const auto recs = ReadAll(reader);
    ASSERT_EQ(recs.size(), 8u) << block;
    EXPECT_EQ(recs[1].text, "1,5\"3 inch");
    EXPECT_EQ(recs[2].text, "2,ok");
    EXPECT_EQ(recs[2].line, 3);
    EXPECT_EQ(recs[3].text, "3,\"a\"\"\nb\"");  // "a""<line break>b": one field
    EXPECT_EQ(recs[4].text, "4,\"x\"\"\"");     // "x""" ends the field before the line break
    EXPECT_EQ(recs[4].line, 6);
    EXPECT_EQ(recs[5].text, "5,it\"s\",\"q\"");
    EXPECT_EQ(recs[6].text, "6,\"\"");
    EXPECT_EQ(recs[7].text, "7,end");
    EXPECT_EQ(recs[7].line, 9);
  }
}

// A quoted field closed before the end of its field makes a bad row, which ends at its line
// break as the import ends it: the quote opened later on that line does not join the records
// after it into one failed record.
TEST(BatchRecordReader, BadQuotedFieldEndsAtItsLineBreak) {
  TempDir dir;
  const std::string text = "h\n1,\"a\"b,\"c\n2,ok\n3,\"x\"\r\n4,\"y\"\rz,\"\n5,end\n";
  WriteFile(dir / "b.csv", text);
  for (size_t block : {size_t{1}, size_t{2}, size_t{3}, size_t{4} << 20}) {
    RecordReaderOptions o;
    o.csv_quotes = true;
    o.block_bytes = block;
    RecordReader reader(dir / "b.csv", o);
    const auto recs = ReadAll(reader);
    ASSERT_EQ(recs.size(), 6u) << block;
    EXPECT_EQ(recs[1].text, "1,\"a\"b,\"c");
    EXPECT_EQ(recs[2].text, "2,ok");
    EXPECT_EQ(recs[2].line, 3);
    EXPECT_EQ(recs[3].text, "3,\"x\"");
    EXPECT_EQ(recs[4].text, "4,\"y\"\rz,\"");
    EXPECT_EQ(recs[5].text, "5,end");
    EXPECT_EQ(recs[5].line, 6);
  }
}

// Seeking to a recorded position continues exactly there, plain or compressed.
TEST(BatchRecordReader, SeekContinuesAtARecordedPosition) {
  TempDir dir;
  std::string text;
  for (int i = 0; i < 2000; ++i) text += std::to_string(i) + ",\"v\n" + std::to_string(i) + "\"\n";
  WriteFile(dir / "s.csv", text);
  ASSERT_EQ(std::system(("gzip -c '" + (dir / "s.csv").string() + "' > '" +
                         (dir / "s.csv.gz").string() + "'")
                            .c_str()),
            0);
  for (const char* name : {"s.csv", "s.csv.gz"}) {
    RecordReaderOptions o;
    o.csv_quotes = true;
    o.block_bytes = 1000;
    RecordReader all(dir / name, o);
    const auto recs = ReadAll(all);
    ASSERT_EQ(recs.size(), 2000u);
    EXPECT_EQ(recs[1999].line, 3999);
    RecordReader again(dir / name, o);
    std::string buf;
    RecordSpan span;
    for (int i = 0; i < 700; ++i) ASSERT_TRUE(again.Next(&buf, &span));
    const int64_t offset = again.offset(), line = again.line();
    RecordReader resumed(dir / name, o);
    resumed.Seek(offset, line);
    const auto rest = ReadAll(resumed);
    ASSERT_EQ(rest.size(), 1300u) << name;
    EXPECT_EQ(rest[0].text, recs[700].text);
    EXPECT_EQ(rest[0].line, recs[700].line);
    EXPECT_EQ(rest.back().offset_after, static_cast<int64_t>(text.size()));
  }
}

// A record over the limit is reported with its first bytes; reading goes on after it.
TEST(BatchRecordReader, OversizeRecordsKeepTheirStart) {
  TempDir dir;
  const std::string huge(100000, 'z');
  WriteFile(dir / "o.csv", "a\n" + huge + "\nb\n\"" + huge + "\n\"\nc\n");
  RecordReaderOptions o;
  o.csv_quotes = true;
  o.max_record_bytes = 5000;
  o.keep_oversize_bytes = 10;
  o.block_bytes = 4096;
  RecordReader reader(dir / "o.csv", o);
  std::string buf;
  RecordSpan span;
  std::vector<std::pair<std::string, RecordSpan>> recs;
  while (reader.Next(&buf, &span)) recs.push_back({buf.substr(span.offset, span.length), span});
  ASSERT_EQ(recs.size(), 5u);
  EXPECT_EQ(recs[0].first, "a");
  EXPECT_TRUE(recs[1].second.oversize);
  EXPECT_EQ(recs[1].first, "zzzzzzzzzz");
  EXPECT_EQ(recs[1].second.size, 100000);
  EXPECT_EQ(recs[1].second.line, 2);
  EXPECT_EQ(recs[2].first, "b");
  EXPECT_FALSE(recs[2].second.oversize);
  EXPECT_TRUE(recs[3].second.oversize);  // quoted, over two lines
  EXPECT_EQ(recs[3].second.size, 100003);
  EXPECT_EQ(recs[4].first, "c");
  EXPECT_EQ(recs[4].second.line, 6);
}

}  // namespace
}  // namespace mloop
