#include "mloop/io/csv_record.h"

#include <cstring>

namespace mloop {

const char* CsvRecordEnd(const char* p, const char* end, char delim) {
  while (p < end) {
    if (*p == '"') {
      ++p;
      while (true) {
        const char* q = static_cast<const char*>(std::memchr(p, '"', end - p));
        if (!q) return nullptr;  // unterminated: the field runs to the end
        if (q + 1 < end && q[1] == '"') {
          p = q + 2;
          continue;
        }
        p = q + 1;
        break;
      }
      if (p == end) return nullptr;
      if (*p == delim) {
        ++p;
        continue;
      }
      if (*p == '\n') return p + 1;
      if (*p == '\r' && p + 1 < end && p[1] == '\n') return p + 2;
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      return nl ? nl + 1 : nullptr;
    }
    while (p < end && *p != delim && *p != '\n') ++p;
    if (p == end) return nullptr;
    if (*p == '\n') return p + 1;
    ++p;  // the delimiter
  }
  return nullptr;
}

}  // namespace mloop
