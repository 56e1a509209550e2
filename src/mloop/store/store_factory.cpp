// Store factories: the one place that maps a store URI to a backend.
#include <cmath>

#include "mloop/core/error.h"
#include "mloop/store/artifact_store.h"
#include "mloop/store/local/local_artifact_store.h"
#include "mloop/store/metadata_store.h"
#include "mloop/store/sqlite/sqlite_metadata_store.h"

namespace mloop {

std::unique_ptr<MetadataStore> OpenMetadataStore(const std::string& uri, bool create,
                                                 double lock_timeout_seconds) {
  std::string path = uri;
  if (uri.rfind("sqlite://", 0) == 0) {
    path = uri.substr(9);
  } else if (uri.find("://") != std::string::npos) {
    throw InvalidArgument("unsupported metadata store '" + uri + "'",
                          "supported: sqlite:///path (PostgreSQL comes in a later release)");
  }
  return std::make_unique<SqliteMetadataStore>(
      path, create, static_cast<int>(std::lround(lock_timeout_seconds * 1000)));
}

std::unique_ptr<ArtifactStore> OpenArtifactStore(const std::string& uri, bool create) {
  std::string path = uri;
  if (uri.rfind("file://", 0) == 0) {
    path = uri.substr(7);
  } else if (uri.find("://") != std::string::npos) {
    throw InvalidArgument("unsupported artifact store '" + uri + "'",
                          "supported: file:///path (S3 comes in a later release)");
  }
  return std::make_unique<LocalArtifactStore>(path, create);
}

}  // namespace mloop
