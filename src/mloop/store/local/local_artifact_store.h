// ArtifactStore on a local directory: <root>/sha256/<first two hex>/<hash>, temporary files in
// <root>/tmp/ (same file system, so the final rename is atomic).
#pragma once

#include <filesystem>

#include "mloop/store/artifact_store.h"

namespace mloop {

class LocalArtifactStore : public ArtifactStore {
 public:
  // Throws NotFound when `root` does not exist and `create` is false.
  LocalArtifactStore(std::filesystem::path root, bool create);

  std::unique_ptr<ArtifactWriter> NewWriter() override;
  bool Contains(const std::string& hash) override;
  std::filesystem::path Fetch(const std::string& hash) override;
  int64_t Size(const std::string& hash) override;

  std::filesystem::path PathOf(const std::string& hash) const;

 private:
  std::filesystem::path root_;
};

}  // namespace mloop
