#include "mloop/store/local/local_artifact_store.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <random>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/core/signal_cleanup.h"

namespace mloop {

namespace {

void FsyncDirectory(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

class LocalWriter : public ArtifactWriter {
 public:
  LocalWriter(const LocalArtifactStore& store, std::filesystem::path tmp_dir) : store_(store) {
    std::random_device rd;
    tmp_ = tmp_dir / ("put-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    // Stored blobs are read-only: nothing should ever change bytes under their address.
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
    if (fd_ < 0) throw IoErrorFromErrno("cannot create temporary artifact", tmp_.string());
    RemoveOnSignal(tmp_);
  }
  ~LocalWriter() override {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) {
      std::error_code ec;
      std::filesystem::remove(tmp_, ec);
    }
    ForgetOnSignal(tmp_);
  }

  void Write(const void* data, size_t size) override {
    if (size < kOverlapThreshold) {
      hash_.Update(data, size);
      WriteAll(static_cast<const char*>(data), size);
      return;
    }
    // Large buffers: write on a second thread while this one hashes, and start the disk
    // writeback at once so that the final fsync has little left to wait for.
    auto done = std::async(std::launch::async, [this, data, size] {
      WriteAll(static_cast<const char*>(data), size);
      ::sync_file_range(fd_, static_cast<off_t>(written_ - size), static_cast<off_t>(size),
                        SYNC_FILE_RANGE_WRITE);
    });
    hash_.Update(data, size);
    done.get();
  }

  std::string Commit() override {
    if (committed_) throw Internal("artifact committed twice");
    if (::fsync(fd_) != 0) throw IoErrorFromErrno("cannot sync artifact", tmp_.string());
    ::close(fd_);
    fd_ = -1;
    std::string hash = hash_.HexDigest();
    std::filesystem::path dest = store_.PathOf(hash);
    std::error_code ec;
    std::filesystem::create_directories(dest.parent_path(), ec);
    if (std::filesystem::exists(dest) && Intact(dest)) {
      std::filesystem::remove(tmp_, ec);  // same bytes are already stored
    } else {  // new, or a stored copy that was damaged: these bytes replace it
      if (::rename(tmp_.c_str(), dest.c_str()) != 0) {
        throw IoErrorFromErrno("cannot move artifact into place", dest.string());
      }
      FsyncDirectory(dest.parent_path());
    }
    committed_ = true;
    return hash;
  }

 private:
  static constexpr size_t kOverlapThreshold = size_t{1} << 20;

  // Whether the stored file at `dest` still holds the bytes just written to the temporary file
  // (both are in the page cache: comparing them costs far less than hashing the stored copy
  // again). Putting the same content again then heals a damaged copy, which every reader
  // would otherwise keep refusing, instead of trusting it.
  bool Intact(const std::filesystem::path& dest) const {
    std::error_code ec;
    const auto size = std::filesystem::file_size(dest, ec);
    if (ec || size != written_) return false;
    const int a = ::open(tmp_.c_str(), O_RDONLY | O_CLOEXEC);
    const int b = ::open(dest.c_str(), O_RDONLY | O_CLOEXEC);
    bool same = a >= 0 && b >= 0;
    constexpr size_t kChunk = size_t{1} << 20;
    std::vector<char> x(same ? kChunk : 0), y(same ? kChunk : 0);
    for (uint64_t off = 0; same && off < written_;) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, written_ - off));
      same = ReadFully(a, x.data(), want, off) && ReadFully(b, y.data(), want, off) &&
             std::memcmp(x.data(), y.data(), want) == 0;
      off += want;
    }
    if (a >= 0) ::close(a);
    if (b >= 0) ::close(b);
    return same;
  }

  static bool ReadFully(int fd, char* p, size_t n, uint64_t off) {
    while (n > 0) {
      const ssize_t got = ::pread(fd, p, n, static_cast<off_t>(off));
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) return false;
      p += got;
      n -= static_cast<size_t>(got);
      off += static_cast<uint64_t>(got);
    }
    return true;
  }

  void WriteAll(const char* p, size_t size) {
    written_ += size;
    while (size > 0) {
      ssize_t n = ::write(fd_, p, size);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw IoErrorFromErrno("cannot write artifact", tmp_.string());
      }
      p += n;
      size -= static_cast<size_t>(n);
    }
  }

  const LocalArtifactStore& store_;
  std::filesystem::path tmp_;
  int fd_ = -1;
  Sha256 hash_;
  uint64_t written_ = 0;
  bool committed_ = false;
};

void CheckHash(const std::string& hash) {
  if (!IsSha256Hex(hash)) throw InvalidArgument("'" + hash + "' is not a SHA-256 address");
}

}  // namespace

LocalArtifactStore::LocalArtifactStore(std::filesystem::path root, bool create)
    : root_(std::move(root)) {
  if (!std::filesystem::is_directory(root_)) {
    if (!create) throw NotFound("artifact store '" + root_.string() + "' does not exist");
    std::error_code ec;
    std::filesystem::create_directories(root_, ec);
    if (ec) throw IoError("cannot create artifact store '" + root_.string() + "': " + ec.message());
  }
  std::error_code ec;
  std::filesystem::create_directories(root_ / "tmp", ec);
  std::filesystem::create_directories(root_ / "sha256", ec);
  // Temporary files of writers that died (a killed import) are removed once they are a day old;
  // a live writer's file is never that old.
  const auto cutoff = std::filesystem::file_time_type::clock::now() - std::chrono::hours(24);
  for (const auto& entry : std::filesystem::directory_iterator(root_ / "tmp", ec)) {
    if (entry.is_regular_file(ec) && entry.last_write_time(ec) < cutoff) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

std::unique_ptr<ArtifactWriter> LocalArtifactStore::NewWriter() {
  return std::make_unique<LocalWriter>(*this, root_ / "tmp");
}

std::filesystem::path LocalArtifactStore::PathOf(const std::string& hash) const {
  return root_ / "sha256" / hash.substr(0, 2) / hash;
}

bool LocalArtifactStore::Contains(const std::string& hash) {
  CheckHash(hash);
  return std::filesystem::exists(PathOf(hash));
}

std::filesystem::path LocalArtifactStore::Fetch(const std::string& hash) {
  CheckHash(hash);
  auto path = PathOf(hash);
  if (!std::filesystem::exists(path)) {
    throw NotFound("artifact " + hash + " is missing from " + root_.string(),
                   "the workspace's artifact store was modified outside mloop");
  }
  return path;
}

int64_t LocalArtifactStore::Size(const std::string& hash) {
  std::error_code ec;
  auto size = std::filesystem::file_size(Fetch(hash), ec);
  return ec ? -1 : static_cast<int64_t>(size);
}

std::string ArtifactStore::Put(std::string_view bytes) {
  auto writer = NewWriter();
  writer->Write(bytes.data(), bytes.size());
  return writer->Commit();
}

}  // namespace mloop
