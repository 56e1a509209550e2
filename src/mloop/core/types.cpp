#include "mloop/core/types.h"

namespace mloop {

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kFloat64:
      return "float64";
    case DataType::kInt64:
      return "int64";
    case DataType::kBool:
      return "bool";
    case DataType::kString:
      return "string";
    case DataType::kTimestamp:
      return "timestamp";
  }
  return "unknown";
}

std::optional<DataType> ParseDataType(std::string_view name) {
  if (name == "float64" || name == "float" || name == "double") return DataType::kFloat64;
  if (name == "int64" || name == "int" || name == "integer") return DataType::kInt64;
  if (name == "bool" || name == "boolean") return DataType::kBool;
  if (name == "string" || name == "str" || name == "category") return DataType::kString;
  if (name == "timestamp" || name == "datetime") return DataType::kTimestamp;
  return std::nullopt;
}

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kFeature:
      return "feature";
    case Role::kTarget:
      return "target";
    case Role::kId:
      return "id";
    case Role::kEventTime:
      return "event_time";
    case Role::kIgnored:
      return "ignored";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  if (name == "feature") return Role::kFeature;
  if (name == "target") return Role::kTarget;
  if (name == "id") return Role::kId;
  if (name == "event_time") return Role::kEventTime;
  if (name == "ignored") return Role::kIgnored;
  return std::nullopt;
}

}  // namespace mloop
