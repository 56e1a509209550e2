// JSON Lines writer: one JSON object per table row.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <string_view>

#include "mloop/core/table.h"

namespace mloop {

// Writes one object per row, "\n"-terminated, with the keys in schema order. Missing values and
// non-finite floats (NaN, inf) are null; float64 values are written in shortest round-trip form
// with ".0" on integral values (so they read back as float64), int64 plainly, bools as
// true/false, timestamps as ISO 8601 UTC strings. Strings are escaped per RFC 8259 (", \ and
// control characters; other UTF-8 is written as is). Throws DataError naming the column and row
// for a string that is not valid UTF-8, and IoError when `out` fails.
void WriteJsonLines(const Table& table, std::ostream& out);

// Appends `s` as a JSON string literal, quotes included (escaped as WriteJsonLines does; the
// bytes are not checked for UTF-8).
void AppendJsonString(std::string& out, std::string_view s);

// WriteJsonLines into `path`, atomically (see WriteFileAtomically).
void WriteJsonLinesFile(const Table& table, const std::filesystem::path& path);

}  // namespace mloop
