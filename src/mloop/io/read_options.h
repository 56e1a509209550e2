// Options and results shared by the table readers (CSV, JSON Lines, SQL).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mloop/core/table.h"
#include "mloop/io/byte_source.h"
#include "mloop/io/value_parse.h"

namespace mloop {

// What a reader does with a row it cannot read (wrong field count, a value that does not fit its
// declared type, invalid UTF-8, an unterminated quote).
enum class BadRowPolicy {
  kFail,  // stop at the first bad row with an error naming file, line and column
  kSkip,  // keep the good rows and return every bad row, verbatim, with its reason
};

struct ReadOptions {
  // Declared column types; other columns are inferred. Naming an unknown column is an error,
  // unless `types_if_present` (types a model expects: a column it lacks is reported later, by
  // the model, naming the step that reads it).
  std::map<std::string, DataType> types;
  bool types_if_present = false;
  // CSV only: the columns not in `types` are read as this type instead of inferred (predict
  // --keep-input reads the columns a model does not use as text, so that "007" comes back
  // as "007").
  std::optional<DataType> undeclared_type;
  // Column roles recorded in the schema (target, id, event_time, ignored).
  std::map<std::string, Role> roles;
  // Types and roles naming a column the input does not have are ignored instead of refused (an
  // earlier import's options read again: `train FILE` of a file that lost a column). The table
  // read is the same either way, so the import key leaves it out.
  bool declared_if_present = false;
  MissingTokens missing;
  BadRowPolicy on_bad_rows = BadRowPolicy::kFail;
  int threads = 0;  // 0: one per hardware thread

  // CSV only.
  char delimiter = 0;           // 0: detect among , ; tab |
  bool header = true;           // false: columns are named column_1, column_2, ...
  int64_t sample_rows = 10000;  // rows used to infer types (every row is then validated)

  // Called now and then with (bytes read, total bytes or 0 when unknown).
  std::function<void(int64_t, int64_t)> progress;
};

struct RejectedRow {
  int64_t line = 0;    // 1-based line where the row starts
  int64_t column = 0;  // 1-based byte column of the problem in its line (0: the whole row)
  std::string reason;
  std::string text;  // the row verbatim, without its line terminator
};

struct ReadResult {
  Table table;
  std::vector<RejectedRow> rejected;
  FileInfo source;
  char delimiter = ',';  // CSV: the delimiter used
  int restarts = 0;      // CSV: re-reads caused by a value outside its inferred type
};

// Writes rejected rows as JSON Lines: {"line":..,"column":..,"reason":..,"text":..}; a row that
// is not valid UTF-8 carries "text_base64" instead of "text" so that no byte is lost.
void WriteRejects(const std::vector<RejectedRow>& rows, const std::filesystem::path& path);

// "data.csv:17:5: reason\n   17 | row text" — the message for a row under BadRowPolicy::kFail.
std::string FormatRowError(const std::string& path, const RejectedRow& row);

}  // namespace mloop
