#include "mloop/io/csv_writer.h"

#include <charconv>
#include <string>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/time.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/value_parse.h"

namespace mloop {

namespace {

constexpr size_t kFlushBytes = size_t{1} << 16;

bool NeedsQuotes(std::string_view s, char delim, bool is_string, const MissingTokens& missing) {
  if (s.empty()) return is_string;
  if (s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t') return true;
  for (char c : s) {
    if (c == delim || c == '"' || c == '\n' || c == '\r') return true;
  }
  return is_string && missing.Contains(s);
}

void AppendField(std::string& out, std::string_view s, char delim, bool is_string,
                 const MissingTokens& missing) {
  if (!NeedsQuotes(s, delim, is_string, missing)) {
    out += s;
    return;
  }
  out += '"';
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
}

}  // namespace

void WriteCsv(const Table& table, std::ostream& out, const CsvWriteOptions& options) {
  const char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r' || d == '\0') {
    throw InvalidArgument("the CSV delimiter cannot be a quote, a line break or NUL");
  }
  const int ncols = table.num_columns();
  if (ncols == 0) return;
  const MissingTokens missing;
  std::string buf;
  if (options.header) {
    for (int j = 0; j < ncols; ++j) {
      if (j > 0) buf += d;
      AppendField(buf, table.schema().field(j).name, d, true, missing);
    }
    buf += '\n';
  }
  // String columns: each dictionary entry is encoded once.
  std::vector<std::vector<std::string>> encoded(ncols);
  for (int j = 0; j < ncols; ++j) {
    const Column& c = table.column(j);
    if (c.type() != DataType::kString) continue;
    for (const std::string& s : c.dictionary()) {
      if (s.find('\0') != std::string::npos) {
        // No CSV reader takes it back (mloop's calls the file binary): refuse, not corrupt.
        throw DataError("column '" + table.schema().field(j).name + "' holds a NUL character (" +
                            Printable(s, 40) + "), which a CSV file cannot carry",
                        "write JSON Lines instead (a .jsonl file), which escapes it as \\u0000");
      }
      encoded[j].emplace_back();
      AppendField(encoded[j].back(), s, d, true, missing);
    }
  }
  char num[32];
  for (int64_t i = 0; i < table.num_rows(); ++i) {
    for (int j = 0; j < ncols; ++j) {
      if (j > 0) buf += d;
      const Column& c = table.column(j);
      if (!c.IsValid(i)) {
        // One column: a blank line is a missing value to mloop, but pandas skips blank lines,
        // so non-string columns write "" (missing to both). A quoted "" in a string column is
        // the empty string, so there a missing value stays a blank line.
        if (ncols == 1 && c.type() != DataType::kString) buf += "\"\"";
        continue;
      }
      switch (c.type()) {
        case DataType::kFloat64:
          buf += FormatDouble(c.f64()[i]);
          break;
        case DataType::kInt64:
          buf.append(num, std::to_chars(num, num + sizeof num, c.i64()[i]).ptr);
          break;
        case DataType::kBool:
          buf += c.bools()[i] ? "true" : "false";
          break;
        case DataType::kTimestamp:
          buf += FormatTimestamp(c.i64()[i]);
          break;
        case DataType::kString:
          buf += encoded[j][c.codes()[i]];
          break;
      }
    }
    buf += '\n';
    if (buf.size() >= kFlushBytes) {
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  out.flush();
  if (!out) throw IoError("cannot write CSV: the output stream failed");
}

void WriteCsvFile(const Table& table, const std::filesystem::path& path,
                  const CsvWriteOptions& options) {
  WriteFileAtomically(path, [&](std::ostream& out) { WriteCsv(table, out, options); });
}

}  // namespace mloop
