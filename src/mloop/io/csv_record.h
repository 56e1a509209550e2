// Where one CSV record ends, as the import reads records: shared by the import's block splitter,
// and the server's text/csv bodies, so that every reader agrees on where records begin.
#pragma once

namespace mloop {

// The byte after the line break that ends the record starting at `p`, or nullptr when the
// record runs to `end` without one (the last record, or one continued past `end`).
//
// A quote opens a quoted field only at the start of a field ('5"3 inch' is a field of 7
// characters); inside, a doubled quote is a quote and a single one closes the field, and line
// breaks belong to the field. A closed quoted field followed by anything but the delimiter or
// the line end is a bad row: it ends at the next line break, as the import resynchronises
// after it, so that a skipped row never swallows the rows that follow.
const char* CsvRecordEnd(const char* p, const char* end, char delim);

}  // namespace mloop
