// Workspace configuration: mloop.yaml, overridden by MLOOP_* environment variables, overridden
// by command-line flags (applied by the CLI after loading).
//
// Keys (docs/cli.md lists them with their defaults):
//   version                  1 (the file format version)
//   stores.metadata          "default" (.mloop/metadata.db) or sqlite:///path
//   stores.artifacts         "default" (.mloop/artifacts) or file:///path
//   stores.lock_timeout_seconds  10: how long a command waits while another holds the store
//   ingest.missing_values    pandas' read_csv tokens (DefaultMissingTokens: "", NA, NULL, ...)
//   ingest.on_bad_rows       fail | skip
//   threads                  0 (one per core)
// An unknown key, in the file or in the environment, is an error naming the nearest valid key.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "mloop/io/read_options.h"
#include "mloop/io/value_parse.h"

namespace mloop {

inline constexpr int kConfigFormatVersion = 1;

struct Config {
  std::string metadata_uri = "default";
  std::string artifacts_uri = "default";
  // How long one write waits for another process that holds the metadata store.
  double lock_timeout_seconds = 10;
  std::vector<std::string> missing_values = DefaultMissingTokens();
  BadRowPolicy on_bad_rows = BadRowPolicy::kFail;
  int threads = 0;
};

// Every valid key, dotted ("ingest.on_bad_rows").
const std::vector<std::string>& ConfigKeys();

// Parses mloop.yaml text. `origin` names the file in messages.
Config ParseConfig(const std::string& yaml, const std::string& origin);

// Applies MLOOP_<KEY> variables (dots become underscores, upper case: MLOOP_INGEST_ON_BAD_ROWS).
// `env` maps variable names to values; variables not starting with MLOOP_ are ignored, and
// MLOOP_WORKSPACE (where the workspace is) is not a configuration key.
void ApplyEnvironment(Config& config, const std::map<std::string, std::string>& env);

// Sets one key from text ("ingest.on_bad_rows", "skip"), as the environment and flags do.
void SetConfigValue(Config& config, const std::string& key, const std::string& value,
                    const std::string& origin);

// The environment of this process, MLOOP_* variables only.
std::map<std::string, std::string> MloopEnvironment();

// The text `mloop init` writes: every key with its default and a comment.
std::string DefaultConfigYaml();

BadRowPolicy ParseBadRowPolicy(const std::string& text, const std::string& origin);

}  // namespace mloop
