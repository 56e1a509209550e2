#include "mloop/core/time.h"

#include <cmath>
#include <cstdio>

namespace mloop {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

namespace {

bool Digits(std::string_view s, size_t pos, size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<unsigned>(c - '0');
  }
  *out = v;
  return true;
}

bool IsLeap(unsigned y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned DaysInMonth(unsigned y, unsigned m) {
  static const unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

}  // namespace

bool ParseIsoTimestamp(std::string_view s, int64_t* micros) {
  unsigned y, mo, d;
  if (s.size() < 10 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d)) {
    return false;
  }
  if (mo < 1 || mo > 12 || d < 1 || d > DaysInMonth(y, mo)) return false;
  int64_t seconds = DaysFromCivil(y, mo, d) * 86400;
  int64_t frac_us = 0;
  size_t p = 10;
  if (p < s.size()) {
    if (s[p] != 'T' && s[p] != 't' && s[p] != ' ') return false;
    unsigned hh, mm, ss = 0;
    if (!Digits(s, p + 1, 2, &hh) || p + 3 >= s.size() || s[p + 3] != ':' ||
        !Digits(s, p + 4, 2, &mm)) {
      return false;
    }
    p += 6;
    if (p < s.size() && s[p] == ':') {
      if (!Digits(s, p + 1, 2, &ss)) return false;
      p += 3;
      if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        size_t start = p;
        int64_t scale = 100000;
        while (p < s.size() && s[p] >= '0' && s[p] <= '9') {
          frac_us += (s[p] - '0') * scale;
          scale /= 10;
          ++p;
        }
        if (p == start) return false;
      }
    }
    if (hh > 23 || mm > 59 || ss > 60) return false;  // 60: a leap second, folded into :59+1
    seconds += hh * 3600 + mm * 60 + ss;
    if (p < s.size()) {
      if ((s[p] == 'Z' || s[p] == 'z') && p + 1 == s.size()) {
        p = s.size();
      } else if (s[p] == '+' || s[p] == '-') {
        int sign = s[p] == '-' ? -1 : 1;
        unsigned oh, om = 0;
        if (!Digits(s, p + 1, 2, &oh)) return false;
        size_t q = p + 3;
        const bool colon = q < s.size() && s[q] == ':';
        if (colon) ++q;
        if (q < s.size() || colon) {  // "+05:" needs its minutes
          if (!Digits(s, q, 2, &om)) return false;
          q += 2;
        }
        if (q != s.size() || oh > 23 || om > 59) return false;
        seconds -= sign * static_cast<int64_t>(oh * 3600 + om * 60);
        p = s.size();
      } else {
        return false;
      }
    }
  }
  if (p != s.size()) return false;
  const int64_t t = seconds * 1000000 + frac_us;
  if (!InTimestampRange(t)) return false;
  *micros = t;
  return true;
}

bool TimestampFromSeconds(int64_t seconds, int64_t* micros) {
  if (seconds < kFirstTimestampSecond || seconds > kLastTimestampSecond) return false;
  *micros = seconds * 1000000;
  return true;
}

bool TimestampFromSeconds(double seconds, int64_t* micros) {
  if (!(seconds >= static_cast<double>(kFirstTimestampSecond) &&
        seconds < static_cast<double>(kLastTimestampSecond) + 1)) {
    return false;
  }
  const int64_t t = std::llround(seconds * 1e6);
  if (!InTimestampRange(t)) return false;
  *micros = t;
  return true;
}

std::string FormatTimestamp(int64_t micros) {
  int64_t seconds = micros / 1000000;
  int64_t frac = micros % 1000000;
  if (frac < 0) {
    frac += 1000000;
    seconds -= 1;
  }
  int64_t days = seconds / 86400;
  int64_t rem = seconds % 86400;
  if (rem < 0) {
    rem += 86400;
    days -= 1;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d",
                        static_cast<long long>(y), m, d, static_cast<int>(rem / 3600),
                        static_cast<int>(rem / 60 % 60), static_cast<int>(rem % 60));
  if (frac != 0)
    n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(frac));
  buf[n++] = 'Z';
  return std::string(buf, n);
}

}  // namespace mloop
