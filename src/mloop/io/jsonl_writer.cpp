#include "mloop/io/jsonl_writer.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
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

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  // Text from outside (a request's header, a CSV value in an error message) may not be UTF-8:
  // its bad bytes become U+FFFD, so that the output is always valid JSON.
  if (!simdjson::validate_utf8(s.data(), s.size())) {
    return AppendJsonString(out, ToValidUtf8(s));
  }
  static const char kHex[] = "0123456789abcdef";
  out += '"';
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += "\\u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
  }
  out.append(s.data() + start, s.size() - start);
  out += '"';
}

namespace {

// The JSON text of each dictionary entry of string column `j`, checked for valid UTF-8.
std::vector<std::string> EncodeDictionary(const Table& table, int j) {
  const Column& c = table.column(j);
  const Dictionary& dict = c.dictionary();
  std::vector<bool> used(dict.size(), false);
  for (int64_t i = 0; i < c.size(); ++i) {
    if (c.IsValid(i)) used[c.codes()[i]] = true;
  }
  std::vector<std::string> encoded(dict.size());
  for (size_t k = 0; k < dict.size(); ++k) {
    if (!used[k]) continue;
    if (!simdjson::validate_utf8(dict[k].data(), dict[k].size())) {
      int64_t row = 0;
      while (!c.IsValid(row) || c.codes()[row] != static_cast<int32_t>(k)) ++row;
      throw DataError("cannot write JSON: the value in row " + std::to_string(row + 1) +
                      " of column '" + table.schema().field(j).name + "' is not valid UTF-8");
    }
    AppendJsonString(encoded[k], dict[k]);
  }
  return encoded;
}

}  // namespace

void WriteJsonLines(const Table& table, std::ostream& out) {
  const int ncols = table.num_columns();
  std::vector<std::string> keys(ncols);
  std::vector<std::vector<std::string>> encoded(ncols);
  for (int j = 0; j < ncols; ++j) {
    keys[j] = j == 0 ? "{" : ",";
    AppendJsonString(keys[j], table.schema().field(j).name);
    keys[j] += ':';
    if (table.column(j).type() == DataType::kString) encoded[j] = EncodeDictionary(table, j);
  }
  std::string buf;
  char num[32];
  for (int64_t i = 0; i < table.num_rows(); ++i) {
    if (ncols == 0) buf += '{';
    for (int j = 0; j < ncols; ++j) {
      buf += keys[j];
      const Column& c = table.column(j);
      if (!c.IsValid(i)) {
        buf += "null";
        continue;
      }
      switch (c.type()) {
        case DataType::kFloat64: {
          double v = c.f64()[i];
          buf += std::isfinite(v) ? FormatDouble(v) : "null";
          break;
        }
        case DataType::kInt64:
          buf.append(num, std::to_chars(num, num + sizeof num, c.i64()[i]).ptr);
          break;
        case DataType::kBool:
          buf += c.bools()[i] ? "true" : "false";
          break;
        case DataType::kTimestamp:
          buf += '"';
          buf += FormatTimestamp(c.i64()[i]);
          buf += '"';
          break;
        case DataType::kString:
          buf += encoded[j][c.codes()[i]];
          break;
      }
    }
    buf += "}\n";
    if (buf.size() >= kFlushBytes) {
      out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
      buf.clear();
    }
  }
  out.write(buf.data(), static_cast<std::streamsize>(buf.size()));
  out.flush();
  if (!out) throw IoError("cannot write JSON Lines: the output stream failed");
}

void WriteJsonLinesFile(const Table& table, const std::filesystem::path& path) {
  WriteFileAtomically(path, [&](std::ostream& out) { WriteJsonLines(table, out); });
}

}  // namespace mloop
