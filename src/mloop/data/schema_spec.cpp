#include "mloop/data/schema_spec.h"

#include <yaml-cpp/yaml.h>

#include <set>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"

namespace mloop {

namespace {

const std::vector<std::string> kTypeNames = {"float64", "int64", "bool", "string", "timestamp"};
// Names a typo is matched against: the canonical names and their aliases.
const std::vector<std::string> kTypeSpellings = {
    "float64", "int64",   "bool",    "string", "timestamp", "float",   "double",
    "int",     "integer", "boolean", "str",    "category",  "datetime"};
const std::vector<std::string> kRoleNames = {"feature", "target", "id", "event_time", "ignored"};

std::string Where(const std::string& file, const YAML::Node& n) {
  auto m = n.Mark();
  if (m.line < 0) return file;
  return file + ":" + std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1);
}

DataType TypeOrThrow(const std::string& text, const std::string& where, bool usage) {
  auto t = ParseDataType(text);
  if (!t) {
    std::string msg = where + ": unknown type '" + text + "'" + DidYouMean(text, kTypeSpellings);
    std::string hint = "types: " + Join(kTypeNames, ", ");
    throw usage ? UsageError(msg, hint) : InvalidArgument(msg, hint);
  }
  return *t;
}

Role RoleOrThrow(const std::string& text, const std::string& where, bool usage) {
  auto r = ParseRole(text);
  if (!r) {
    std::string msg = where + ": unknown role '" + text + "'" + DidYouMean(text, kRoleNames);
    std::string hint = "roles: " + Join(kRoleNames, ", ");
    throw usage ? UsageError(msg, hint) : InvalidArgument(msg, hint);
  }
  return *r;
}

// At the last '=': types and roles never hold one, column names may (`--type 'x=1=string'`).
std::pair<std::string, std::string> SplitSpec(const std::string& spec, const char* flag) {
  size_t eq = spec.rfind('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) {
    throw UsageError(std::string(flag) + " expects COLUMN=VALUE, got '" + spec + "'");
  }
  return {spec.substr(0, eq), spec.substr(eq + 1)};
}

}  // namespace

namespace {
void ApplySchemaNodes(const std::filesystem::path& path, ReadOptions& options);
}  // namespace

void ApplySchemaFile(const std::filesystem::path& path, ReadOptions& options) {
  try {
    ApplySchemaNodes(path, options);
  } catch (const YAML::Exception& e) {
    // A value of the wrong shape (a list where a type name belongs, ...).
    throw InvalidArgument(path.string() + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": this value has the wrong shape (" +
                          e.msg + ")");
  }
}

namespace {
void ApplySchemaNodes(const std::filesystem::path& path, ReadOptions& options) {
  const std::string file = path.string();
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw InvalidArgument("schema file '" + file + "' is a directory", "name a YAML file");
  }
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::BadFile&) {
    throw NotFound("cannot read schema file '" + file + "'");
  } catch (const YAML::Exception& e) {
    throw InvalidArgument(file + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  if (!root.IsMap()) throw InvalidArgument(file + ": a schema file is a mapping with 'columns'");
  for (const auto& top : root) {
    const std::string key = top.first.as<std::string>();
    if (key != "columns") {
      throw InvalidArgument(Where(file, top.first) + ": unknown key '" + key + "'" +
                            DidYouMean(key, {"columns"}));
    }
    if (!top.second.IsMap()) {
      throw InvalidArgument(Where(file, top.second) + ": 'columns' maps column names to types");
    }
    std::set<std::string> seen;
    std::string target;
    for (const auto& col : top.second) {
      const std::string name = col.first.as<std::string>();
      const YAML::Node& spec = col.second;
      if (!seen.insert(name).second) {
        throw InvalidArgument(Where(file, col.first) + ": column '" + name + "' appears twice");
      }
      if (spec.IsMap() && spec["role"] && spec["role"].IsScalar() &&
          spec["role"].as<std::string>() == "target") {
        if (!target.empty()) {
          throw InvalidArgument(Where(file, col.first) + ": '" + name + "' and '" + target +
                                    "' both have role target; a dataset has one target",
                                "give the other one role feature (or none)");
        }
        target = name;
      }
      if (spec.IsScalar()) {
        options.types[name] = TypeOrThrow(spec.as<std::string>(), Where(file, spec), false);
        continue;
      }
      if (!spec.IsMap()) {
        throw InvalidArgument(Where(file, spec) + ": column '" + name +
                              "' needs a type or {type: ..., role: ...}");
      }
      for (const auto& kv : spec) {
        const std::string k = kv.first.as<std::string>();
        if (k == "type") {
          options.types[name] =
              TypeOrThrow(kv.second.as<std::string>(), Where(file, kv.second), false);
        } else if (k == "role") {
          options.roles[name] =
              RoleOrThrow(kv.second.as<std::string>(), Where(file, kv.second), false);
        } else {
          throw InvalidArgument(Where(file, kv.first) + ": unknown key '" + k + "'" +
                                DidYouMean(k, {"type", "role"}));
        }
      }
    }
  }
}

}  // namespace

void ApplyTypeSpec(const std::string& spec, ReadOptions& options) {
  auto [col, type] = SplitSpec(spec, "--type");
  options.types[col] = TypeOrThrow(type, "--type " + spec, true);
}

void ApplyRoleSpec(const std::string& spec, ReadOptions& options) {
  auto [col, role] = SplitSpec(spec, "--role");
  options.roles[col] = RoleOrThrow(role, "--role " + spec, true);
}

}  // namespace mloop
