// ArtifactStore: content-addressed blobs (dataset snapshots, models, reports). A blob's address
// is the SHA-256 of its bytes, so storing the same bytes twice stores them once, and a blob can
// never change under its address. Implementations: a local directory (file://).
//
// Contract: a blob appears under its address only when it is complete and durable (written to
// a temporary file, fsynced, renamed); a writer that is destroyed without Commit() leaves
// nothing behind.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "mloop/core/byte_sink.h"

namespace mloop {

class ArtifactWriter : public ByteSink {
 public:
  // Makes the blob durable and visible; returns its SHA-256 (hex). Call at most once.
  virtual std::string Commit() = 0;
};

class ArtifactStore {
 public:
  virtual ~ArtifactStore() = default;

  virtual std::unique_ptr<ArtifactWriter> NewWriter() = 0;
  // Stores `bytes`; returns their SHA-256.
  std::string Put(std::string_view bytes);

  virtual bool Contains(const std::string& hash) = 0;
  // A local file holding the blob (for remote stores, a verified cached copy). kNotFound when
  // the store has no such blob.
  virtual std::filesystem::path Fetch(const std::string& hash) = 0;
  // Bytes held (for `mloop data show` and the like).
  virtual int64_t Size(const std::string& hash) = 0;
};

// Opens the store at `uri`: "file:///abs/dir" or a plain directory path. Creates the directory
// when `create` is true.
std::unique_ptr<ArtifactStore> OpenArtifactStore(const std::string& uri, bool create);

}  // namespace mloop
