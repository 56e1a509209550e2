// SQLite query source: the result of one SELECT over a SQLite database file, as a Table.
#pragma once

#include <filesystem>
#include <string>

#include "mloop/io/read_options.h"

namespace mloop {

// Opens `db` read-only (it is never created or modified), runs the single statement `sql` and
// returns its rows. Column names come from the result (duplicates are a DataError: give them
// distinct names with AS). Types come from the values: INTEGER -> int64, REAL -> float64
// (INTEGER and REAL mixed -> float64), TEXT -> string, or timestamp when every text is ISO 8601;
// NULL is a missing value; other mixes -> string holding each value's text. A column with no
// value at all takes its declared SQL type's affinity (INT -> int64, REAL/FLOA/DOUB -> float64,
// CHAR/CLOB/TEXT -> string), else float64. Declared types (options.types) are enforced as in the
// CSV reader; a value that does not fit is a bad row (line = 1-based result row, column = 0,
// text = the row's values) handled per options.on_bad_rows. Naming an unknown column in
// options.types or options.roles is InvalidArgument.
//
// Errors: NotFound for a missing file; InvalidArgument for an empty query, more than one
// statement, or any SQL error (with SQLite's message and the query); DataError for a BLOB value
// (naming the column) and for a file that is not a SQLite database; Unavailable when the
// database is locked. ReadResult.source describes the database file.
ReadResult ReadSqlQuery(const std::filesystem::path& db, const std::string& sql,
                        const ReadOptions& options);

}  // namespace mloop
