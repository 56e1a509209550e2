#include "mloop/store/workspace.h"

#include <unistd.h>

#include <fstream>
#include <random>
#include <sstream>

#include "mloop/core/error.h"

namespace mloop {

namespace {

constexpr const char* kConfigFile = "mloop.yaml";
constexpr const char* kStateDir = ".mloop";

bool IsWorkspace(const std::filesystem::path& dir) {
  return std::filesystem::is_regular_file(dir / kConfigFile) &&
         std::filesystem::is_directory(dir / kStateDir);
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoErrorFromErrno("cannot read", path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Workspace::Workspace(std::filesystem::path root, Config config)
    : root_(std::move(root)), config_(std::move(config)), clock_(std::make_unique<SystemClock>()) {}

std::unique_ptr<Workspace> Workspace::Init(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError("cannot create '" + dir.string() + "': " + ec.message());
  std::filesystem::path root = std::filesystem::canonical(dir);
  const bool has_config = std::filesystem::exists(root / kConfigFile);
  const bool has_state = std::filesystem::exists(root / kStateDir);
  if (has_config && has_state) {
    throw AlreadyExists("'" + root.string() + "' already holds an mloop workspace");
  }
  if (has_config || has_state) {
    const std::string present = (root / (has_config ? kConfigFile : kStateDir)).string();
    const std::string absent = has_config ? kStateDir : kConfigFile;
    throw AlreadyExists("'" + root.string() + "' holds part of an mloop workspace: " + present +
                            " without " + absent,
                        "move " + present + " aside (or restore " + absent +
                            " from a backup), then run `mloop init` again");
  }
  // Build everything under temporary names unique to this process, then rename: a failed init
  // leaves nothing behind, and of two inits racing on one directory exactly one wins.
  const std::string unique =
      std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}());
  std::filesystem::path tmp = root / (".mloop-init-" + unique + ".tmp");
  std::filesystem::path tmp_config = root / (".mloop-init-" + unique + ".yaml.tmp");
  try {
    std::filesystem::create_directories(tmp);
    OpenMetadataStore("sqlite://" + (tmp / "metadata.db").string(), true);
    OpenArtifactStore("file://" + (tmp / "artifacts").string(), true);
    {
      std::ofstream out(tmp_config, std::ios::binary);
      out << DefaultConfigYaml();
      out.flush();
      if (!out) throw IoErrorFromErrno("cannot write", tmp_config.string());
    }
    // rename(2) would put a directory over an empty one: claim the name with mkdir first.
    if (!std::filesystem::create_directory(root / kStateDir)) {
      throw AlreadyExists("'" + root.string() + "' already holds an mloop workspace",
                          "another `mloop init` made it at the same time");
    }
    try {
      std::filesystem::rename(tmp, root / kStateDir);
    } catch (...) {
      std::filesystem::remove(root / kStateDir, ec);  // the empty directory claimed above
      throw;
    }
    try {
      std::filesystem::rename(tmp_config, root / kConfigFile);
    } catch (...) {
      std::filesystem::remove_all(root / kStateDir, ec);
      throw;
    }
  } catch (const std::filesystem::filesystem_error& e) {
    std::filesystem::remove_all(tmp, ec);
    std::filesystem::remove(tmp_config, ec);
    // e.what() is the library's "filesystem error: cannot create directories: ..." with the
    // temporary path; the system's reason is what a user can act on.
    throw IoError("cannot create the workspace in '" + root.string() + "': " + e.code().message(),
                  "check that the directory is writable by you");
  } catch (...) {
    std::filesystem::remove_all(tmp, ec);
    std::filesystem::remove(tmp_config, ec);
    throw;
  }
  return Open(root, root, {});
}

std::unique_ptr<Workspace> Workspace::Open(const std::filesystem::path& dir,
                                           const std::filesystem::path& start,
                                           const std::map<std::string, std::string>& env) {
  std::filesystem::path root;
  if (!dir.empty()) {
    if (!IsWorkspace(dir)) {
      const bool has_config = std::filesystem::exists(dir / kConfigFile);
      if (has_config != std::filesystem::exists(dir / kStateDir)) {
        const std::string absent = has_config ? kStateDir : kConfigFile;
        throw NotFound(
            "'" + dir.string() + "' is not a whole mloop workspace: " + absent + " is missing",
            "restore " + (dir / absent).string() +
                " from a backup, or move the rest aside and run `mloop init " + dir.string() + "`");
      }
      // Inside a workspace (a folder of it, its .mloop or mloop.yaml): that one was meant.
      std::error_code ec;
      const std::filesystem::path full = std::filesystem::weakly_canonical(dir, ec);
      for (std::filesystem::path p = full.parent_path(); !ec && !p.empty(); p = p.parent_path()) {
        if (IsWorkspace(p)) {
          throw NotFound("'" + dir.string() + "' is inside the workspace " + p.string() +
                             ", not a workspace itself",
                         "pass --workspace " + p.string() +
                             " (or leave it out anywhere inside that workspace)");
        }
        if (p == p.root_path()) break;
      }
      if (std::filesystem::exists(dir, ec) && !std::filesystem::is_directory(dir, ec)) {
        throw NotFound("'" + dir.string() + "' is a file, not a workspace directory",
                       "pass the directory that `mloop init DIR` made");
      }
      throw NotFound("'" + dir.string() + "' is not an mloop workspace",
                     "create one with `mloop init " + dir.string() + "`");
    }
    root = std::filesystem::canonical(dir);
  } else {
    std::error_code ec;
    std::filesystem::path p = std::filesystem::weakly_canonical(start, ec);
    while (true) {
      if (IsWorkspace(p)) {
        root = p;
        break;
      }
      if (p == p.root_path() || p.empty()) {
        throw NotFound("no mloop workspace here or in any parent directory",
                       "create one with `mloop init`, or pass --workspace DIR");
      }
      p = p.parent_path();
    }
  }
  Config config = ParseConfig(ReadText(root / kConfigFile), (root / kConfigFile).string());
  ApplyEnvironment(config, env);
  return std::unique_ptr<Workspace>(new Workspace(root, std::move(config)));
}

namespace {
// A store URI with a relative path ("sqlite://meta.db", "file://store") is relative to the
// workspace root, not to the directory the command runs in.
std::string ResolveUri(const std::string& uri, const std::string& scheme,
                       const std::filesystem::path& root) {
  std::string prefix = scheme + "://";
  std::string path = uri.rfind(prefix, 0) == 0 ? uri.substr(prefix.size()) : uri;
  if (path.find("://") != std::string::npos) return uri;  // another scheme: the factory decides
  std::filesystem::path p(path);
  if (p.is_relative()) p = root / p;
  return prefix + p.lexically_normal().string();
}
}  // namespace

std::vector<std::filesystem::path> Workspace::StatePaths() const {
  std::vector<std::filesystem::path> paths = {root_ / kStateDir, root_ / kConfigFile};
  auto local_path = [&](const std::string& uri, const std::string& scheme) {
    const std::string resolved = ResolveUri(uri, scheme, root_);
    const std::string prefix = scheme + "://";
    return resolved.rfind(prefix, 0) == 0 ? std::filesystem::path(resolved.substr(prefix.size()))
                                          : std::filesystem::path();
  };
  if (config_.metadata_uri != "default") {
    const std::filesystem::path db = local_path(config_.metadata_uri, "sqlite");
    if (!db.empty()) {
      for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
        paths.push_back(db.string() + suffix);
      }
    }
  }
  if (config_.artifacts_uri != "default") {
    const std::filesystem::path dir = local_path(config_.artifacts_uri, "file");
    if (!dir.empty()) paths.push_back(dir);
  }
  return paths;
}

MetadataStore& Workspace::metadata() {
  if (!metadata_) {
    const bool builtin = config_.metadata_uri == "default";
    std::string uri;
    if (builtin) {
      // Made by `mloop init`, never again: a store that went missing or was emptied must not
      // be replaced by an empty one, silently forgetting every dataset, run and model (their
      // files stay in the artifact store, unnamed) and restarting version numbers that old
      // lineage refers to.
      const std::filesystem::path db = root_ / kStateDir / "metadata.db";
      std::error_code ec;
      const bool missing = !std::filesystem::exists(db, ec);
      if (missing || std::filesystem::file_size(db, ec) == 0) {
        throw FailedPrecondition(
            "the workspace's metadata store " + db.string() +
                (missing ? " is missing" : " is empty") +
                ": the catalogue of datasets, runs and models is gone (their files are still in " +
                (root_ / kStateDir / "artifacts").string() + ")",
            "restore metadata.db from a backup; to start an empty workspace instead, move " +
                (root_ / kStateDir).string() + " and mloop.yaml aside and run `mloop init`");
      }
      uri = "sqlite://" + db.string();
    } else {
      uri = ResolveUri(config_.metadata_uri, "sqlite", root_);
    }
    metadata_ = OpenMetadataStore(uri, false, config_.lock_timeout_seconds);
  }
  return *metadata_;
}

ArtifactStore& Workspace::artifacts() {
  if (!artifacts_) {
    const bool builtin = config_.artifacts_uri == "default";
    std::string uri = builtin ? "file://" + (root_ / kStateDir / "artifacts").string()
                              : ResolveUri(config_.artifacts_uri, "file", root_);
    // A configured directory must exist: a mistyped path would otherwise become a new, empty
    // store, and every stored dataset and model would look missing.
    try {
      artifacts_ = OpenArtifactStore(uri, builtin);
    } catch (const Error& e) {
      if (e.code() != ErrorCode::kNotFound) throw;
      throw NotFound(
          std::string(e.what()) + " (stores.artifacts in " + (root_ / kConfigFile).string() + ")",
          "fix the path, or create the directory for a new store");
    }
  }
  return *artifacts_;
}

}  // namespace mloop
