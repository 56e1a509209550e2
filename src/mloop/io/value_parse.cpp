#include "mloop/io/value_parse.h"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "mloop/core/time.h"

namespace mloop {

const std::vector<std::string>& DefaultMissingTokens() {
  static const std::vector<std::string> tokens = {
      "",     "#N/A",   "#N/A N/A", "#NA",  "-1.#IND", "-1.#QNAN", "-NaN",
      "-nan", "1.#IND", "1.#QNAN",  "<NA>", "N/A",     "NA",       "NULL",
      "NaN",  "None",   "n/a",      "nan",  "null"};
  return tokens;
}

const std::vector<std::string>& LegacyMissingTokens() {
  static const std::vector<std::string> tokens = {"", "NA", "NaN", "null"};
  return tokens;
}

MissingTokens::MissingTokens() : MissingTokens(DefaultMissingTokens()) {}

MissingTokens::MissingTokens(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  for (const auto& t : tokens_) {
    max_len_ = std::max(max_len_, t.size());
    if (t.empty()) {
      has_empty_ = true;
    } else {
      first_[static_cast<unsigned char>(t.front())] = true;
      last_[static_cast<unsigned char>(t.back())] = true;
      lengths_ |= uint64_t{1} << std::min<size_t>(t.size(), 63);
    }
  }
}

namespace {
std::string_view Trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}
}  // namespace

bool ParseBool(std::string_view text, bool* out) {
  text = Trim(text);
  if (text == "true" || text == "True" || text == "TRUE") {
    *out = true;
    return true;
  }
  if (text == "false" || text == "False" || text == "FALSE") {
    *out = false;
    return true;
  }
  return false;
}

bool ParseTimestamp(std::string_view text, bool allow_epoch, int64_t* micros) {
  text = Trim(text);
  if (ParseIsoTimestamp(text, micros)) return true;
  if (!allow_epoch) return false;
  // Eight digits that make a date (ISO 8601's basic form, 20240102: what pandas' to_datetime
  // reads) are that date; as seconds they would be a day of 1970-1973.
  if (text.size() == 8 &&
      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    const std::string extended = std::string(text.substr(0, 4)) + "-" +
                                 std::string(text.substr(4, 2)) + "-" +
                                 std::string(text.substr(6, 2));
    if (text[0] != '0' && ParseIsoTimestamp(extended, micros)) return true;
    // A year of 1900-2199 and no date (20240230, 20241301, 20240001: typos): refused, not read
    // as a day of 1970.
    const int year = std::stoi(std::string(text.substr(0, 4)));
    if (year >= 1900 && year < 2200) return false;
  }
  // Seconds within years 0000-9999 (milliseconds sent as seconds are refused).
  int64_t seconds;
  if (ParseInt64(text, &seconds)) return TimestampFromSeconds(seconds, micros);
  double fractional;
  return ParseFloat64(text, &fractional) && TimestampFromSeconds(fractional, micros);
}

bool WholeDoubleToInt64(double value, int64_t* out) {
  if (!(std::fabs(value) < 0x1p53) || value != std::floor(value)) return false;
  *out = static_cast<int64_t>(value);
  return true;
}

bool IsIntegerLiteral(std::string_view text) {
  text = Trim(text);
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool IsInexactInteger(std::string_view text, double value) {
  text = Trim(text);
  if (!text.empty() && (text[0] == '-' || text[0] == '+')) text.remove_prefix(1);
  while (text.size() > 1 && text[0] == '0') text.remove_prefix(1);
  if (text.size() <= 15) return false;  // 15 digits always fit a double's 53 bits
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  if (!std::isfinite(value)) return true;
  char buf[400];
  const int n = std::snprintf(buf, sizeof buf, "%.0f", std::fabs(value));  // exact digits
  return n <= 0 || std::string_view(buf, static_cast<size_t>(n)) != text;
}

DataType InferValueType(std::string_view text) {
  bool b;
  int64_t i;
  double d;
  if (ParseBool(text, &b)) return DataType::kBool;
  if (ParseInt64(text, &i)) return DataType::kInt64;
  if (ParseFloat64(text, &d))
    return IsInexactInteger(text, d) ? DataType::kString : DataType::kFloat64;
  if (text.size() >= 10 && ParseIsoTimestamp(Trim(text), &i)) return DataType::kTimestamp;
  return DataType::kString;
}

DataType JoinTypes(DataType a, DataType b) {
  if (a == b) return a;
  if ((a == DataType::kInt64 && b == DataType::kFloat64) ||
      (a == DataType::kFloat64 && b == DataType::kInt64)) {
    return DataType::kFloat64;
  }
  return DataType::kString;
}

}  // namespace mloop
