// Data types and column roles shared by every stage.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace mloop {

// The physical types of a Table column. Timestamps are int64 microseconds since the Unix epoch,
// UTC. Strings are dictionary-encoded (int32 codes into a per-column dictionary).
enum class DataType : uint8_t { kFloat64, kInt64, kBool, kString, kTimestamp };

// Canonical lower-case names: float64, int64, bool, string, timestamp.
std::string_view DataTypeName(DataType type);
// Accepts the canonical names and common aliases (float, double, int, integer, boolean, str,
// category, datetime). Returns nullopt for anything else.
std::optional<DataType> ParseDataType(std::string_view name);

// What a column means to the later stages. Roles do not change the stored values.
enum class Role : uint8_t { kFeature, kTarget, kId, kEventTime, kIgnored };

std::string_view RoleName(Role role);  // feature, target, id, event_time, ignored
std::optional<Role> ParseRole(std::string_view name);

}  // namespace mloop
