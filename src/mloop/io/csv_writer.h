// CSV writer: RFC 4180 output that the CSV reader reads back to the same table when given the
// same column types (inference alone may read a string column like "00123" as int64).
#pragma once

#include <filesystem>
#include <ostream>

#include "mloop/core/table.h"

namespace mloop {

struct CsvWriteOptions {
  char delimiter = ',';
  bool header = true;  // first line: the column names
};

// Writes `table` as CSV to `out`, "\n" line ends. A field is quoted (with inner quotes doubled)
// when it contains the delimiter, a quote, CR or LF, starts or ends with a space or tab, or is a
// string equal to a default missing-value token (DefaultMissingTokens: "", NA, NULL, ...). Missing
// values are empty fields; in a one-column table a missing value of a non-string column is written
// "" (so that readers which skip blank lines, like pandas, still see the row), and of a string
// column as a blank line (a quoted "" is the empty string). float64: shortest round-trip text, with
// ".0" added to integral values so that they read back as float64; NaN and infinities as nan, inf,
// -inf. int64 plainly, bool as true/false, timestamps as ISO 8601 UTC (FormatTimestamp). A table
// without columns writes nothing. Throws InvalidArgument for a delimiter that is a quote, CR or LF,
// and IoError when `out` fails.
void WriteCsv(const Table& table, std::ostream& out, const CsvWriteOptions& options = {});

// WriteCsv into `path`, atomically (see WriteFileAtomically): the file is complete or untouched.
void WriteCsvFile(const Table& table, const std::filesystem::path& path,
                  const CsvWriteOptions& options = {});

}  // namespace mloop
