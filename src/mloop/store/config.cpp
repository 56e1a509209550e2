#include "mloop/store/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/core/yaml_util.h"

extern char** environ;

namespace mloop {

const std::vector<std::string>& ConfigKeys() {
  static const std::vector<std::string> keys = {"version",
                                                "stores.metadata",
                                                "stores.artifacts",
                                                "stores.lock_timeout_seconds",
                                                "ingest.missing_values",
                                                "ingest.on_bad_rows",
                                                "threads"};
  return keys;
}

BadRowPolicy ParseBadRowPolicy(const std::string& text, const std::string& origin) {
  if (text == "fail") return BadRowPolicy::kFail;
  if (text == "skip") return BadRowPolicy::kSkip;
  throw InvalidArgument(origin + ": on_bad_rows must be 'fail' or 'skip', not '" + text + "'");
}

namespace {

int ParseThreads(const std::string& text, const std::string& origin) {
  try {
    size_t used = 0;
    int n = std::stoi(text, &used);
    if (used == text.size() && n >= 0 && n <= 1024) return n;
  } catch (const std::exception&) {
  }
  throw InvalidArgument(origin + ": threads must be a whole number from 0 to 1024, not '" + text +
                        "'");
}

double ParseLockTimeout(const std::string& text, const std::string& origin) {
  try {
    size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v >= 0 && v <= 3600) return v;
  } catch (const std::exception&) {
  }
  throw InvalidArgument(origin +
                        ": stores.lock_timeout_seconds must be a number of seconds from 0 "
                        "to 3600, not '" +
                        text + "'");
}

std::vector<std::string> SplitComma(const std::string& text) {
  std::vector<std::string> out;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    out.push_back(text.substr(start, comma == std::string::npos ? comma : comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

std::string Where(const std::string& origin, const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.line < 0) return origin;
  return origin + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

void UnknownKey(const std::string& key, const std::string& where) {
  throw InvalidArgument(where + ": unknown key '" + key + "'" + DidYouMean(key, ConfigKeys()),
                        "valid keys: " + Join(ConfigKeys(), ", "));
}

std::string Scalar(const YAML::Node& node, const std::string& key, const std::string& origin) {
  if (!node.IsScalar()) {
    throw InvalidArgument(Where(origin, node) + ": '" + key + "' must be a single value");
  }
  return node.as<std::string>();
}

}  // namespace

void SetConfigValue(Config& config, const std::string& key, const std::string& value,
                    const std::string& origin) {
  if (key == "version") {
    if (value != std::to_string(kConfigFormatVersion)) {
      throw FailedPrecondition(origin + ": configuration version " + value +
                               " is not supported (this mloop reads version " +
                               std::to_string(kConfigFormatVersion) + ")");
    }
  } else if (key == "stores.metadata") {
    config.metadata_uri = value;
  } else if (key == "stores.artifacts") {
    config.artifacts_uri = value;
  } else if (key == "stores.lock_timeout_seconds") {
    config.lock_timeout_seconds = ParseLockTimeout(value, origin);
  } else if (key == "ingest.missing_values") {
    config.missing_values = SplitComma(value);
  } else if (key == "ingest.on_bad_rows") {
    config.on_bad_rows = ParseBadRowPolicy(value, origin);
  } else if (key == "threads") {
    config.threads = ParseThreads(value, origin);
  } else {
    UnknownKey(key, origin);
  }
}

namespace {
Config ParseConfigNodes(const std::string& yaml, const std::string& origin);
}  // namespace

Config ParseConfig(const std::string& yaml, const std::string& origin) {
  try {
    return ParseConfigNodes(yaml, origin);
  } catch (const YAML::Exception& e) {
    // A value of the wrong shape (a list where a string belongs, ...).
    throw InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": this value has the wrong shape (" +
                          e.msg + ")");
  }
}

namespace {
Config ParseConfigNodes(const std::string& yaml, const std::string& origin) {
  Config config;
  YAML::Node root;
  try {
    root = yaml::LoadOneYamlDocument(yaml);
  } catch (const YAML::Exception& e) {
    throw InvalidArgument(origin + ":" + std::to_string(e.mark.line + 1) + ":" +
                          std::to_string(e.mark.column + 1) + ": invalid YAML: " + e.msg);
  }
  if (!root || root.IsNull()) return config;
  if (!root.IsMap()) throw InvalidArgument(origin + ": the configuration must be a mapping");
  for (const auto& top : root) {
    const std::string key = top.first.as<std::string>();
    const YAML::Node& value = top.second;
    if (key == "stores" || key == "ingest") {
      if (!value.IsMap()) {
        throw InvalidArgument(Where(origin, value) + ": '" + key + "' must be a mapping");
      }
      for (const auto& sub : value) {
        const std::string full = key + "." + sub.first.as<std::string>();
        if (full == "ingest.missing_values") {
          if (!sub.second.IsSequence()) {
            throw InvalidArgument(Where(origin, sub.second) +
                                  ": ingest.missing_values must be a list of strings");
          }
          config.missing_values.clear();
          for (const auto& item : sub.second) {
            config.missing_values.push_back(item.IsNull() ? "" : item.as<std::string>());
          }
          continue;
        }
        if (std::find(ConfigKeys().begin(), ConfigKeys().end(), full) == ConfigKeys().end()) {
          UnknownKey(full, Where(origin, sub.first));
        }
        SetConfigValue(config, full, Scalar(sub.second, full, origin), Where(origin, sub.second));
      }
      continue;
    }
    if (std::find(ConfigKeys().begin(), ConfigKeys().end(), key) == ConfigKeys().end()) {
      UnknownKey(key, Where(origin, top.first));
    }
    SetConfigValue(config, key, Scalar(value, key, origin), Where(origin, value));
  }
  return config;
}
}  // namespace

void ApplyEnvironment(Config& config, const std::map<std::string, std::string>& env) {
  std::vector<std::string> names;
  for (const auto& key : ConfigKeys()) {
    std::string name = "MLOOP_";
    for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
    names.push_back(name);
  }
  for (const auto& [name, value] : env) {
    // Not configuration keys: where the workspace is, and who is acting (the registry's actor).
    if (name.rfind("MLOOP_", 0) != 0 || name == "MLOOP_WORKSPACE" || name == "MLOOP_USER") {
      continue;
    }
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      std::vector<std::string> valid = names;
      valid.push_back("MLOOP_WORKSPACE");
      valid.push_back("MLOOP_USER");
      throw InvalidArgument("unknown environment variable " + name + DidYouMean(name, valid),
                            "valid: " + Join(valid, ", "));
    }
    SetConfigValue(config, ConfigKeys()[it - names.begin()], value, "environment " + name);
  }
}

std::map<std::string, std::string> MloopEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e && *e; ++e) {
    std::string entry(*e);
    if (entry.rfind("MLOOP_", 0) != 0) continue;
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

std::string DefaultConfigYaml() {
  return R"(# mloop workspace configuration. Environment variables MLOOP_<KEY> (for example
# MLOOP_INGEST_ON_BAD_ROWS) override these values, and command-line flags override both.
version: 1

stores:
  metadata: default      # .mloop/metadata.db (SQLite), or sqlite:///path/to/file.db
  artifacts: default     # .mloop/artifacts, or file:///path/to/dir
  lock_timeout_seconds: 10  # how long a write waits while another mloop holds the metadata store

ingest:
  # read as missing (pandas' read_csv defaults); quoted, a string column's field is its text
  missing_values: ["", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
                   "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null"]
  on_bad_rows: fail      # fail: stop at the first bad row; skip: import the rest, write rejects

threads: 0               # 0: one per core
)";
}

}  // namespace mloop
