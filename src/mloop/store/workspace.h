// Workspace: a directory holding mloop.yaml and .mloop/ (metadata store, artifact store).
// Commands find it by walking up from the current directory, like git, unless told where.
#pragma once

#include <filesystem>
#include <memory>
#include <vector>

#include "mloop/core/clock.h"
#include "mloop/store/artifact_store.h"
#include "mloop/store/config.h"
#include "mloop/store/metadata_store.h"

namespace mloop {

class Workspace {
 public:
  // Creates a workspace in `dir` (created if needed). kAlreadyExists when `dir` already holds
  // one. Nothing is left half-made on failure.
  static std::unique_ptr<Workspace> Init(const std::filesystem::path& dir);

  // Opens the workspace at `dir`, or, when `dir` is empty, the nearest one at or above `start`.
  // The configuration is read from mloop.yaml, then `env` (MLOOP_* variables) applied.
  // kNotFound, with a hint to run `mloop init`, when there is none.
  static std::unique_ptr<Workspace> Open(const std::filesystem::path& dir,
                                         const std::filesystem::path& start,
                                         const std::map<std::string, std::string>& env);

  const std::filesystem::path& root() const { return root_; }
  const Config& config() const { return config_; }
  // What holds the workspace's own state: the state directory, mloop.yaml, and the configured
  // metadata database (with its -wal and -shm files) and artifact directory. No output a user
  // names may replace any of it.
  std::vector<std::filesystem::path> StatePaths() const;
  Config& mutable_config() { return config_; }
  MetadataStore& metadata();
  ArtifactStore& artifacts();
  const Clock& clock() const { return *clock_; }
  void set_clock(std::unique_ptr<Clock> clock) { clock_ = std::move(clock); }

 private:
  Workspace(std::filesystem::path root, Config config);

  std::filesystem::path root_;
  Config config_;
  std::unique_ptr<MetadataStore> metadata_;
  std::unique_ptr<ArtifactStore> artifacts_;
  std::unique_ptr<Clock> clock_;
};

}  // namespace mloop
