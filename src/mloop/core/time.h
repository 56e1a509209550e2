// Timestamps: int64 microseconds since 1970-01-01T00:00:00Z (UTC), proleptic Gregorian calendar.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace mloop {

// Parses ISO 8601 / RFC 3339: "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS[.fraction]]" (a space may
// replace the T), optionally followed by "Z" or a "+HH:MM" / "-HH:MM" / "+HHMM" offset; values
// without an offset are taken as UTC. Fractions beyond microseconds are truncated. Returns false
// for anything else, including out-of-range fields (month 13, February 30, hour 24).
bool ParseIsoTimestamp(std::string_view text, int64_t* micros);

// "YYYY-MM-DDTHH:MM:SSZ", with ".ffffff" when the value has a sub-second part.
std::string FormatTimestamp(int64_t micros);

// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm), and back.
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);
void CivilFromDays(int64_t days, int64_t* y, unsigned* m, unsigned* d);

}  // namespace mloop
