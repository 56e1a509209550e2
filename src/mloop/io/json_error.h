// The words for a JSON text simdjson could not parse, shared by every reader of JSON records
// (import, batch transform, serving), so that one problem reads the same everywhere.
#pragma once

#include <simdjson.h>

#include <string>
#include <string_view>

namespace mloop {

// simdjson's message for `text`, which it could not parse, with what a user needs to mend it: for
// a number it cannot hold (99999999999999999999, 1.5e999) the limit, and for Python's NaN and
// Infinity (its json module writes them by default) that JSON has no such values.
inline std::string JsonErrorText(simdjson::error_code error, std::string_view text) {
  std::string message = simdjson::error_message(error);
  if (error == simdjson::NUMBER_ERROR) {
    message += " (integers must fit 64 bits and other numbers a double)";
  }
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
