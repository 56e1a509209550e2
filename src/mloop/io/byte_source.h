// Sequential byte input from a file, transparently decompressing gzip and zstd.
//
// The compression is recognised by the file's magic bytes, not its name, so "data.csv.gz",
// "data.gz" and a mislabelled "data.csv" that is really gzip all read the same way.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace mloop {

enum class Compression { kNone, kGzip, kZstd };

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `size` bytes of (decompressed) data into `buffer`; returns 0 only at the end.
  // Throws IoError on read failure and DataError on corrupt compressed data.
  virtual size_t Read(char* buffer, size_t size) = 0;
};

struct FileInfo {
  std::string path;
  int64_t size = 0;      // bytes on disk (compressed size for compressed files)
  int64_t mtime_ns = 0;  // modification time, nanoseconds since the Unix epoch
  Compression compression = Compression::kNone;
};

// Opens `path` for reading. Throws NotFound / IoError when it cannot be opened.
std::unique_ptr<ByteSource> OpenByteSource(const std::filesystem::path& path, FileInfo* info);

// A file format mloop does not read, told by the first bytes of a file found not to be text:
// throws DataError naming it ("this is a bzip2 file") with how to get text out of it. Returns
// when `head` starts like none of them.
void RefuseKnownBinaryFormat(const std::filesystem::path& path, std::string_view head);

// Reads the whole (decompressed) content of `path` into memory.
std::string ReadWholeFile(const std::filesystem::path& path);

// A pipe, FIFO or terminal (/dev/stdin, <(...)) can be read only once, and readers look at the
// start of a file before reading it and read it again after widening a type: such an input is
// copied to a temporary file first (removed with this object). A regular file is used in place.
class SpooledInput {
 public:
  explicit SpooledInput(const std::filesystem::path& path);
  ~SpooledInput();
  SpooledInput(const SpooledInput&) = delete;
  SpooledInput& operator=(const SpooledInput&) = delete;

  const std::filesystem::path& path() const { return read_from_; }

 private:
  void Discard();  // removes the temporary copy (a failed copy, or the end)

  std::filesystem::path read_from_;
  bool temporary_ = false;
};

}  // namespace mloop
