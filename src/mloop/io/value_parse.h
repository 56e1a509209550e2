// Parsing of single text values into typed values, shared by the CSV, JSON Lines and SQL readers.
#pragma once

#include <fast_float/fast_float.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/column.h"
#include "mloop/core/types.h"

namespace mloop {

// The missing-value tokens of pandas' read_csv (its default na_values, pandas 2: "" , "#N/A",
// "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A",
// "NA", "NULL", "NaN", "None", "n/a", "nan", "null"): the default of `data import` and of the
// models trained on what it reads.
const std::vector<std::string>& DefaultMissingTokens();
// The default until bundle format 3: "", "NA", "NaN", "null". Models whose manifest does not
// name their tokens were trained on data read with these, and are served with them.
const std::vector<std::string>& LegacyMissingTokens();

// Tokens read as a missing value (compared exactly, case-sensitive). Readers decide where they
// apply: the CSV reader keeps quoted fields of string columns literal.
class MissingTokens {
 public:
  MissingTokens();  // DefaultMissingTokens()
  explicit MissingTokens(std::vector<std::string> tokens);
  // Called for every field read: a field whose length, first or last character no token has
  // (every number, for the default tokens: none ends in a digit) is answered without comparing.
  bool Contains(std::string_view text) const {
    if (text.empty()) return has_empty_;
    if (text.size() > max_len_) return false;
    if (!(lengths_ >> std::min<size_t>(text.size(), 63) & 1)) return false;
    if (!first_[static_cast<unsigned char>(text.front())] ||
        !last_[static_cast<unsigned char>(text.back())]) {
      return false;
    }
    for (const auto& t : tokens_) {
      if (t == text) return true;
    }
    return false;
  }
  // A CSV field of a column of `type` is missing: a token, unless it is quoted in a string
  // column (then it is that text, so that the string "NA" survives a round trip).
  bool IsMissingField(std::string_view text, bool quoted, DataType type) const {
    return (!quoted || type != DataType::kString) && Contains(text);
  }
  const std::vector<std::string>& tokens() const { return tokens_; }

 private:
  std::vector<std::string> tokens_;
  size_t max_len_ = 0;
  bool has_empty_ = false;
  uint64_t lengths_ = 0;           // bit L: a token of L characters (bit 63: 63 or more)
  std::array<bool, 256> first_{};  // the first characters of the tokens
  std::array<bool, 256> last_{};   // their last characters
};

// Whole-text parses; surrounding ASCII spaces are allowed. Each returns false when `text` is not
// entirely a value of its type (no partial parses, no silent overflow).
bool ParseInt64(std::string_view text, int64_t* out);   // defined inline below
bool ParseFloat64(std::string_view text, double* out);  // defined inline below
// true/false in lower, upper or title case.
bool ParseBool(std::string_view text, bool* out);
// ISO 8601 (see core/time.h); with `allow_epoch`, also a number of seconds since the Unix epoch.
bool ParseTimestamp(std::string_view text, bool allow_epoch, int64_t* micros);

// A value parsed for a column of a known type, on its way into a ColumnBuilder.
struct TypedValue {
  bool valid = false;  // false: a missing value
  int64_t i = 0;       // int64, timestamp (microseconds), bool (0 or 1)
  double d = 0;        // float64
  std::string_view s;  // string; points into the caller's buffer
};

// Parses `text` as a value of `type` into `out` (which it marks valid). With `declared` (a type
// the user asked for rather than one inferred), bool also accepts 0/1, int64 whole numbers
// written as floats (69.0, 1e3; not 69.5) and timestamp also Unix seconds. Returns false when
// `text` is not a value of that type. Every reader uses this, so a declared type means the same in
// CSV, JSON Lines and SQL sources.
bool ParseTyped(std::string_view text, DataType type, bool declared, TypedValue* out);

// Appends `v`, or a missing value when !v.valid, to `builder` (of the type `v` was parsed for).
void AppendTyped(ColumnBuilder& builder, const TypedValue& v);

// The narrowest type that holds `text`: bool, int64, float64, timestamp (ISO only), or string.
// An integer that neither int64 nor float64 holds exactly (a 20-digit id) is a string: no
// number type would keep it.
DataType InferValueType(std::string_view text);

// True when `text` is an integer literal ([+-]digits) that `value`, its float64 reading, does
// not equal exactly (beyond 2^53: 9007199254740993 reads as ...992).
bool IsInexactInteger(std::string_view text, double value);

// A double that is a whole number below 2^53 in magnitude (30.0, 1e3 as JSON writers often put
// integers), as an int64. False otherwise: beyond 2^53 the number's digits may already have been
// rounded when it was read (9007199254740993.0 reads as ...992).
bool WholeDoubleToInt64(double value, int64_t* out);
// True when `text` is [+-]digits (spaces around allowed).
bool IsIntegerLiteral(std::string_view text);

// The narrowest type holding values of both types: equal types stay, int64+float64 -> float64,
// anything else -> string.
DataType JoinTypes(DataType a, DataType b);

// --- Inline definitions: these run once per value read. ---------------------------------------

namespace internal {
inline std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// The common decimal, -?[0-9]+(\.[0-9]+)? with at most 15 digits in all and no exponent, parsed
// from [p, end) exactly: its digits are an integer below 2^53 and the divisor a power of ten
// below 10^16, both exact doubles, so the one division rounds correctly (Clinger's fast path;
// the same double fast_float gives, in a third of the time). Returns where the number stops,
// or nullptr for anything else (which the caller hands to fast_float).
inline const char* ParseShortDecimal(const char* p, const char* end, double* out) {
  static constexpr double kPow10[] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                      1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
  const bool negative = p != end && *p == '-';
  p += negative;
  const char* const first = p;
  uint64_t digits = 0;
  while (p != end && static_cast<unsigned>(*p - '0') < 10) digits = digits * 10 + (*p++ - '0');
  if (p == first) return nullptr;
  size_t count = static_cast<size_t>(p - first);
  size_t decimals = 0;
  if (p != end && *p == '.') {
    const char* const point = ++p;
    while (p != end && static_cast<unsigned>(*p - '0') < 10) digits = digits * 10 + (*p++ - '0');
    decimals = static_cast<size_t>(p - point);
    if (decimals == 0) return nullptr;
    count += decimals;
  }
  if (count > 15 || (p != end && (*p == 'e' || *p == 'E'))) return nullptr;
  const double v = static_cast<double>(digits) / kPow10[decimals];
  *out = negative ? -v : v;
  return p;
}
}  // namespace internal

inline bool ParseInt64(std::string_view text, int64_t* out) {
  text = internal::TrimSpaces(text);
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = first + text.size();
  if (*first == '+') ++first;
  if (first == last || (text[0] == '+' && (*first == '-' || *first == '+'))) return false;
  auto [ptr, ec] = std::from_chars(first, last, *out);
  return ec == std::errc() && ptr == last;
}

inline bool ParseFloat64(std::string_view text, double* out) {
  text = internal::TrimSpaces(text);
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = first + text.size();
  if (*first == '+') ++first;  // fast_float follows from_chars, which rejects a leading '+'
  if (first == last || (text[0] == '+' && (*first == '-' || *first == '+'))) return false;
  if (internal::ParseShortDecimal(first, last, out) == last) return true;
  auto [ptr, ec] = fast_float::from_chars(first, last, *out);
  if (ptr != last) return false;
  if (ec != std::errc() && ec != std::errc::result_out_of_range) return false;
  // A magnitude too small rounds to 0 (or a subnormal), which keeps the value's meaning; one too
  // large would become an infinity nobody wrote, so it is refused. "inf" written out is fine.
  if (std::isinf(*out)) {
    return std::any_of(first, last, [](char c) { return c == 'i' || c == 'I'; });
  }
  return true;
}

inline bool ParseTyped(std::string_view text, DataType type, bool declared, TypedValue* out) {
  out->valid = true;
  switch (type) {
    case DataType::kFloat64:
      return ParseFloat64(text, &out->d);
    case DataType::kInt64: {
      if (ParseInt64(text, &out->i)) return true;
      // Declared int64: a whole number written as a float is the integer (pandas writes an int
      // column holding a missing value as 69.0; JSON writers put 1e3). Inference keeps float64.
      double d = 0;
      return declared && ParseFloat64(text, &d) && WholeDoubleToInt64(d, &out->i);
    }
    case DataType::kBool: {
      bool b;
      if (ParseBool(text, &b)) {
        out->i = b;
        return true;
      }
      // Declared bool: 0 and 1 as numbers too (1.0 from a float column, as JSON's 1.0).
      double d = 0;
      if (declared && ParseFloat64(text, &d) && (d == 0 || d == 1)) {
        out->i = d == 1;
        return true;
      }
      return false;
    }
    case DataType::kTimestamp:
      return ParseTimestamp(text, declared, &out->i);
    case DataType::kString:
      out->s = text;
      return true;
  }
  return false;
}

inline void AppendTyped(ColumnBuilder& builder, const TypedValue& v) {
  if (!v.valid) {
    builder.AppendNull();
    return;
  }
  switch (builder.type()) {
    case DataType::kFloat64:
      builder.AppendDouble(v.d);
      break;
    case DataType::kInt64:
    case DataType::kTimestamp:
      builder.AppendInt(v.i);
      break;
    case DataType::kBool:
      builder.AppendBool(v.i != 0);
      break;
    case DataType::kString:
      builder.AppendString(v.s);
      break;
  }
}

}  // namespace mloop
