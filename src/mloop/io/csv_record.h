// Where one CSV record ends, as the import reads records: shared by the import's block splitter,
// the server's text/csv bodies and the batch transform's record reader, so that every reader
// agrees on where records begin.
#pragma once

#include <cstdint>

namespace mloop {

// Finds the end of one record given in pieces (a file read in blocks): the state between pieces
// is kept, so a piece may end anywhere, even between two quotes of a doubled quote.
//
// A quote opens a quoted field only at the start of a field ('5"3 inch' is a field of 7
// characters); inside, a doubled quote is a quote and a single one closes the field, and line
// breaks belong to the field. A closed quoted field followed by anything but the delimiter or
// the line end is a bad row: it ends at the next line break, as the import resynchronises
// after it, so that a bad row never swallows the rows that follow.
class CsvRecordScanner {
 public:
  explicit CsvRecordScanner(char delim) : delim_(delim) {}

  // Scans the next piece [p, end) of the record: the byte after the line break that ends it,
  // or nullptr when the whole piece belongs to the record (continue with the next piece). After
  // an end is found, the scanner starts a new record.
  const char* Advance(const char* p, const char* end);

  // Line breaks inside quoted fields since the scanner was made.
  int64_t quoted_line_breaks() const { return quoted_line_breaks_; }

 private:
  enum class State {
    kFieldStart,   // at the first byte of a field
    kUnquoted,     // inside an unquoted field (the byte before was not the delimiter)
    kQuoted,       // inside a quoted field
    kQuotedQuote,  // inside a quoted field, right after a quote: doubled, or the field's end
    kClosedCr,     // a '\r' right after a closed quoted field: "\r\n" ends the record
    kBadRow,       // something after a closed quoted field: the record ends at the line break
  };
  const char* End(const char* after) {
    state_ = State::kFieldStart;
    return after;
  }

  char delim_;
  State state_ = State::kFieldStart;
  int64_t quoted_line_breaks_ = 0;
};

// The byte after the line break that ends the record starting at `p`, or nullptr when the
// record runs to `end` without one (the last record, or one continued past `end`).
inline const char* CsvRecordEnd(const char* p, const char* end, char delim) {
  return CsvRecordScanner(delim).Advance(p, end);
}

}  // namespace mloop
