#include "mloop/store/workspace.h"

#include <fstream>
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
  if (std::filesystem::exists(root / kConfigFile) || std::filesystem::exists(root / kStateDir)) {
    throw AlreadyExists("'" + root.string() + "' already holds an mloop workspace");
  }
  // Build in a temporary directory, then rename: a failed init leaves nothing behind.
  std::filesystem::path tmp = root / ".mloop-init.tmp";
  std::filesystem::remove_all(tmp, ec);
  try {
    std::filesystem::create_directories(tmp);
    OpenMetadataStore("sqlite://" + (tmp / "metadata.db").string(), true);
    OpenArtifactStore("file://" + (tmp / "artifacts").string(), true);
    std::filesystem::rename(tmp, root / kStateDir);
  } catch (...) {
    std::filesystem::remove_all(tmp, ec);
    throw;
  }
  {
    std::ofstream out(root / kConfigFile, std::ios::binary);
    out << DefaultConfigYaml();
    if (!out) throw IoErrorFromErrno("cannot write", (root / kConfigFile).string());
  }
  return Open(root, root, {});
}

std::unique_ptr<Workspace> Workspace::Open(const std::filesystem::path& dir,
                                           const std::filesystem::path& start,
                                           const std::map<std::string, std::string>& env) {
  std::filesystem::path root;
  if (!dir.empty()) {
    if (!IsWorkspace(dir)) {
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

MetadataStore& Workspace::metadata() {
  if (!metadata_) {
    std::string uri = config_.metadata_uri == "default"
                          ? "sqlite://" + (root_ / kStateDir / "metadata.db").string()
                          : config_.metadata_uri;
    metadata_ = OpenMetadataStore(uri, config_.metadata_uri == "default");
  }
  return *metadata_;
}

ArtifactStore& Workspace::artifacts() {
  if (!artifacts_) {
    std::string uri = config_.artifacts_uri == "default"
                          ? "file://" + (root_ / kStateDir / "artifacts").string()
                          : config_.artifacts_uri;
    artifacts_ = OpenArtifactStore(uri, true);
  }
  return *artifacts_;
}

}  // namespace mloop
