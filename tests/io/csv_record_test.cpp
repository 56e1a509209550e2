#include "mloop/io/csv_record.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

namespace mloop {
namespace {

// Record ends (offsets after each record's line break) of `text`, read in one piece.
std::vector<size_t> EndsInOnePiece(const std::string& text) {
  std::vector<size_t> ends;
  const char* p = text.data();
  const char* end = p + text.size();
  while (p < end) {
    const char* next = CsvRecordEnd(p, end, ',');
    if (!next) break;
    ends.push_back(static_cast<size_t>(next - text.data()));
    p = next;
  }
  return ends;
}

// The same, with the text handed to the scanner in pieces of `piece` bytes.
std::vector<size_t> EndsInPieces(const std::string& text, size_t piece) {
  std::vector<size_t> ends;
  CsvRecordScanner scanner(',');
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t stop = std::min(text.size(), pos + piece);
    const char* next = scanner.Advance(text.data() + pos, text.data() + stop);
    if (next) {
      ends.push_back(static_cast<size_t>(next - text.data()));
      pos = ends.back();
    } else {
      pos = stop;
    }
  }
  return ends;
}

TEST(CsvRecord, EndsWhereTheImportEndsRows) {
  using Ends = std::vector<size_t>;
  EXPECT_EQ(EndsInOnePiece("a,b\nc,d\n"), (Ends{4, 8}));
  EXPECT_EQ(EndsInOnePiece("1,\"x\ny\",2\n3\n"), (Ends{10, 12}));       // a line break in quotes
  EXPECT_EQ(EndsInOnePiece("1,5\"3 inch\n2,\"q\"\n"), (Ends{11, 17}));  // a quote inside a field
  EXPECT_EQ(EndsInOnePiece("\"a\"\"\nb\"\r\nz\n"), (Ends{9, 11}));      // a doubled quote
  // A closed quoted field followed by more of the field is a bad row that ends at its line
  // break: the quote opened later on the line does not swallow the rows after it.
  EXPECT_EQ(EndsInOnePiece("1,\"a\"b,\"c\n2,ok\n3,\"x\"\n"), (Ends{10, 15, 21}));
  EXPECT_EQ(EndsInOnePiece("\"a\"\rb,\"\n2\n"), (Ends{8, 10}));  // "\r" not before "\n"
  EXPECT_EQ(EndsInOnePiece("1,\"open\n2\n"), (Ends{}));          // runs to the end
}

// Any split into pieces gives the ends of the one-piece reading: random texts of the bytes that
// matter, every piece size.
TEST(CsvRecord, ScannerKeepsItsStateBetweenPieces) {
  std::mt19937 rng(7);
  const char kBytes[] = {'a', ',', '"', '\n', '\r'};
  for (int round = 0; round < 2000; ++round) {
    std::string text(1 + rng() % 40, 'a');
    for (char& c : text) c = kBytes[rng() % sizeof kBytes];
    const std::vector<size_t> expected = EndsInOnePiece(text);
    for (size_t piece = 1; piece <= text.size(); ++piece) {
      ASSERT_EQ(EndsInPieces(text, piece), expected) << "text: " << text << " piece " << piece;
    }
  }
}

TEST(CsvRecord, CountsLineBreaksInsideQuotes) {
  const std::string text = "1,\"a\nb\nc\",\"d\ne\"\n2\n";
  CsvRecordScanner scanner(',');
  const char* next = nullptr;
  for (size_t i = 0; i < text.size() && !next; ++i) {
    next = scanner.Advance(text.data() + i, text.data() + i + 1);
  }
  ASSERT_NE(next, nullptr);
  EXPECT_EQ(next - text.data(), 16);
  EXPECT_EQ(scanner.quoted_line_breaks(), 3);
}

}  // namespace
}  // namespace mloop
