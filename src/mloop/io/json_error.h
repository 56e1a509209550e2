// The words for a JSON text simdjson could not parse, shared by every reader of JSON records
// (import, batch transform, serving), so that one problem reads the same everywhere.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

namespace mloop {

// simdjson's message, and for a number it cannot hold (99999999999999999999, 1.5e999) what the
// limit is.
inline std::string JsonErrorText(simdjson::error_code error) {
  std::string text = simdjson::error_message(error);
  if (error == simdjson::NUMBER_ERROR) {
    text += " (integers must fit 64 bits and other numbers a double)";
  }
  return text;
}

// As above, for `text` that failed: Python's json module writes NaN and Infinity by default,
// which JSON does not have; the message says so.
inline std::string JsonErrorText(simdjson::error_code error, std::string_view text) {
  std::string message = JsonErrorText(error);
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    const std::string_view rest = text.substr(i);
    if (rest.substr(0, 3) == "NaN" || rest.substr(0, 8) == "Infinity") {
      return message + " (NaN and Infinity are not JSON: write null for a missing value)";
    }
  }
  return message;
}

}  // namespace mloop
