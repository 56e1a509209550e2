#include "mloop/io/read_options.h"

#include <simdjson.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/io/atomic_file.h"

namespace mloop {

namespace {
std::string Base64(std::string_view in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += '=';
  }
  return out;
}
}  // namespace

void WriteRejects(const std::vector<RejectedRow>& rows, const std::filesystem::path& path) {
  RefuseProtectedOutput(path, "--rejects");
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw IoErrorFromErrno("cannot create rejects file", path.string());
  for (const auto& row : rows) {
    nlohmann::json j;
    j["line"] = row.line;
    j["column"] = row.column;
    j["reason"] = row.reason;
    if (simdjson::validate_utf8(row.text.data(), row.text.size())) {
      j["text"] = row.text;
    } else {
      j["text_base64"] = Base64(row.text);
    }
    out << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
  }
  out.flush();
  if (!out) throw IoErrorFromErrno("cannot write rejects file", path.string());
}

std::string FormatRowError(const std::string& path, const RejectedRow& row) {
  std::string msg = path + ":" + std::to_string(row.line);
  if (row.column > 0) msg += ":" + std::to_string(row.column);
  msg += ": " + row.reason;
  if (!row.text.empty()) {
    msg += "\n  " + std::to_string(row.line) + " | " + Printable(row.text, 120);
  }
  return msg;
}

}  // namespace mloop
