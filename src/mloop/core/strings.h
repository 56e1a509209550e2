// Small string helpers used across stages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace mloop {

// Edit distance (Levenshtein's, with two swapped neighbours counting as one edit); used to
// suggest the nearest valid name for a typo.
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `name`, or "" when none is reasonably close (distance > max(2, n/3)).
std::string NearestName(std::string_view name, const std::vector<std::string>& candidates);

// " (did you mean 'x'?)" or "" when there is no close candidate.
std::string DidYouMean(std::string_view name, const std::vector<std::string>& candidates);

std::string Join(const std::vector<std::string>& parts, std::string_view sep);
// "a, b, c" when there are at most `limit` names, else the first `limit` and
// ", ... (N in all)".
std::string ShortList(const std::vector<std::string>& names, size_t limit);

// The rule for names of datasets, models, endpoints and API keys (they appear in paths, URLs
// and metric labels): 1-128 ASCII letters, digits, '_', '-' or '.', starting with a letter or
// digit, so that none holds a '/' or is "..".
bool IsPlainName(std::string_view name);
inline constexpr const char* kPlainNameRule =
    "use 1-128 letters, digits, '_', '-' or '.', starting with a letter or digit";

// ASCII letters lowered, other bytes kept: for names compared without case (content types,
// flag values, file extensions).
std::string AsciiLower(std::string_view s);

// A byte count for people, in powers of 1000: 512 -> "512 B", 96000 -> "96.0 KB".
std::string HumanBytes(int64_t bytes);

// `text` cut to at most `max` bytes, never inside a UTF-8 sequence, ending "..." when cut.
std::string CutUtf8(std::string_view text, size_t max);

// `text` cut to at most `max` bytes by taking out its middle (never inside a UTF-8 sequence) and
// putting `mark` there: names that share a long start stay apart ("customer_l...ber_01").
std::string CutMiddleUtf8(std::string_view text, size_t max, std::string_view mark = "...");

// Makes arbitrary bytes safe to show on one line of a terminal: control characters and invalid
// UTF-8 become escapes (\n, \t, \xNN), and text longer than `max_len` bytes is cut with "...".
std::string Printable(std::string_view text, size_t max_len = 80);

// `text` with every byte that is not part of a well-formed UTF-8 sequence replaced by U+FFFD
// (one per byte), so that it can go into JSON.
std::string ToValidUtf8(std::string_view text);

}  // namespace mloop
