// JSON Lines reader: one JSON object per line, read into a Table.
//
// - Input through OpenByteSource, so gzip and zstd work; a UTF-8 byte order mark and CRLF line
//   ends are accepted; blank lines are skipped.
// - Columns: the union of the top-level keys, in order of first appearance. A key absent from a
//   row, or JSON null, is a missing value. JSON strings are never missing-value tokens: "" and
//   "NA" are strings (options.missing does not apply).
// - Types are inferred over the whole file: booleans -> bool, integers that fit 64 bits -> int64,
//   other numbers -> float64 (int64 and float64 mixed -> float64), strings -> string, or
//   timestamp when every string is ISO 8601. Nested objects and arrays -> string holding their
//   minified JSON; other mixes -> string, non-strings holding their JSON text.
// - Declared types (options.types) are enforced: the value's text must parse as the type, as in
//   the CSV reader (a declared timestamp also takes Unix seconds, a declared bool also 0 and 1,
//   a declared string takes anything). A value that does not fit is a bad row. Naming a column
//   that no row has, in options.types or options.roles, is InvalidArgument.
// - Bad rows: a line that is not valid UTF-8, not valid JSON, not an object, has an empty or a
//   duplicate top-level key, or a value outside its declared type. kFail throws DataError
//   "file:line:column: reason" with the line's text at the first one; kSkip returns them all
//   in ReadResult.rejected (line and 1-based byte column; column 1 when unknown).
// - Whole-file errors (DataError): an empty file, a NUL byte in the first 64 KiB (not a text
//   file), a file of blank lines only.
// Known limit: integers beyond 64 bits and numbers beyond the double range are rejected by the
// JSON parser (simdjson) as invalid numbers. options.threads and the CSV-only options are
// ignored.
#pragma once

#include <filesystem>

#include "mloop/io/read_options.h"

namespace mloop {

ReadResult ReadJsonLines(const std::filesystem::path& path, const ReadOptions& options);

}  // namespace mloop
