// CSV reader: RFC 4180 with the variations found in the wild.
//
// - Quoted fields with doubled quotes and line breaks inside; LF or CRLF line ends; a UTF-8 BOM.
// - Delimiter detected among , ; tab | (or given). Blank lines are skipped, except in a
//   one-column file, where a blank line is a missing value.
// - Types inferred from the first `sample_rows` rows, then every value is checked: a value that
//   does not fit an inferred type widens the column (int64 -> float64 -> string) and the file is
//   read again, so inference never rejects a row. Declared types are never widened: a value that
//   does not fit is a bad row.
// - Missing-value tokens (default: pandas', DefaultMissingTokens) become missing values, except
//   quoted fields of string columns, which keep their literal text ("NA" quoted is the string NA).
// - gzip and zstd input; large inputs are parsed by several threads in blocks.
// - Bad rows stop the read with "file:line:column: reason" and the offending text
//   (BadRowPolicy::kFail), or are returned verbatim with their reason (kSkip).
#pragma once

#include <filesystem>

#include "mloop/core/error.h"
#include "mloop/io/read_options.h"

namespace mloop {

ReadResult ReadCsv(const std::filesystem::path& path, const ReadOptions& options);

// The reason of a rejected row whose opening quote is never closed (it runs to the end of the
// input): `data import` tells it from other bad rows by this text.
inline constexpr const char* kUnterminatedQuoteReason =
    "unterminated quoted field: the quote opened here is never closed";

// The DataError for a file whose lines end in a carriage return alone (classic Mac OS), with
// the command that converts it; every CSV consumer says it the same way.
Error CarriageReturnLinesError(const std::filesystem::path& path);

}  // namespace mloop
