// Timestamps: int64 microseconds since 1970-01-01T00:00:00Z (UTC), proleptic Gregorian calendar.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mloop {

// Parses ISO 8601 / RFC 3339: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fraction]]" (a space may
// replace the T), optionally followed by "Z" or a "+HH:MM" / "-HH:MM" / "+HHMM" offset; values
// without an offset are taken as UTC. Fractions beyond microseconds are truncated. Returns false
// for anything else, including out-of-range fields (month 13, February 30, hour 24) and an
// offset that moves the time out of years 0000-9999 (InTimestampRange).
bool ParseIsoTimestamp(std::string_view text, int64_t* micros);

// The timestamps mloop reads: years 0000 to 9999, what the ISO form writes and reads back. A
// number beyond them is almost surely not seconds (milliseconds sent as seconds: 1.7e12 s is the
// year 55840), and "9999-12-31T23:00:00-05:00" would be written as a year of five digits.
inline constexpr int64_t kFirstTimestampSecond = -62167219200;  // 0000-01-01T00:00:00Z
inline constexpr int64_t kLastTimestampSecond = 253402300799;   // 9999-12-31T23:59:59Z
inline bool InTimestampRange(int64_t micros) {
  return micros >= kFirstTimestampSecond * 1000000 &&
         micros <= kLastTimestampSecond * 1000000 + 999999;
}
// Seconds since the Unix epoch (whole, or rounded to the microsecond) as a timestamp; false
// outside years 0000-9999 (and for NaN).
bool TimestampFromSeconds(int64_t seconds, int64_t* micros);
bool TimestampFromSeconds(double seconds, int64_t* micros);

// "YYYY-MM-DDTHH:MM:SSZ", with ".ffffff" when the value has a sub-second part.
std::string FormatTimestamp(int64_t micros);

// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm), and back.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

}  // namespace mloop
