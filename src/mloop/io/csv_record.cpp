#include "mloop/io/csv_record.h"

#include <algorithm>
#include <cstring>

namespace mloop {

namespace {

const char* Find(const char* p, const char* end, char c) {
  return static_cast<const char*>(std::memchr(p, c, static_cast<size_t>(end - p)));
}

}  // namespace

const char* CsvRecordScanner::Advance(const char* p, const char* end) {
  while (p < end) {
    switch (state_) {
      case State::kFieldStart:
        if (*p == '"') {
          state_ = State::kQuoted;
          ++p;
          break;
        }
        state_ = State::kUnquoted;
        [[fallthrough]];
      case State::kUnquoted: {
        // The line break ends the record unless a quote opens a field before it. In this state
        // the byte before `p` is not the delimiter, so a quote at `p` opens nothing.
        const char* nl = Find(p, end, '\n');
        const char* stop = nl ? nl : end;
        const char* opens = nullptr;
        for (const char* q = p; (q = Find(q, stop, '"')) != nullptr; ++q) {
          if (q > p && q[-1] == delim_) {
            opens = q;
            break;
          }
        }
        if (opens) {
          state_ = State::kQuoted;
          p = opens + 1;
          break;
        }
        if (nl) return End(nl + 1);
        state_ = end[-1] == delim_ ? State::kFieldStart : State::kUnquoted;
        return nullptr;
      }
      case State::kQuoted: {
        const char* q = Find(p, end, '"');
        const char* stop = q ? q : end;
        quoted_line_breaks_ += std::count(p, stop, '\n');
        if (!q) return nullptr;
        state_ = State::kQuotedQuote;
        p = q + 1;
        break;
      }
      case State::kQuotedQuote:
        if (*p == '"') {  // a doubled quote: still inside
          state_ = State::kQuoted;
          ++p;
        } else if (*p == delim_) {
          state_ = State::kFieldStart;
          ++p;
        } else if (*p == '\n') {
          return End(p + 1);
        } else if (*p == '\r') {
          state_ = State::kClosedCr;
          ++p;
        } else {
          state_ = State::kBadRow;
        }
        break;
      case State::kClosedCr:
        if (*p == '\n') return End(p + 1);
        state_ = State::kBadRow;
        break;
      case State::kBadRow: {
        const char* nl = Find(p, end, '\n');
        if (!nl) return nullptr;
        return End(nl + 1);
      }
    }
  }
  return nullptr;
}

}  // namespace mloop
