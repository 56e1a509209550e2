// The words for a JSON text simdjson could not parse, shared by every reader of JSON records
// (import, batch transform, serving), so that one problem reads the same everywhere.
#pragma once

#include <simdjson.h>

#include <string>

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

}  // namespace mloop
