#include "mloop/io/byte_source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/core/signal_cleanup.h"

namespace mloop {

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

// Reads raw bytes from an open file descriptor, retrying on EINTR.
class RawFile {
 public:
  RawFile(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  size_t Read(char* buffer, size_t size) {
    while (true) {
      ssize_t n = ::read(fd_.get(), buffer, size);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) throw IoErrorFromErrno("cannot read", path_);
    }
  }
  const std::string& path() const { return path_; }

 private:
  Fd fd_;
  std::string path_;
};

class PlainSource : public ByteSource {
 public:
  explicit PlainSource(std::unique_ptr<RawFile> file) : file_(std::move(file)) {}
  size_t Read(char* buffer, size_t size) override { return file_->Read(buffer, size); }

 private:
  std::unique_ptr<RawFile> file_;
};

constexpr size_t kInputChunk = 1 << 18;

class GzipSource : public ByteSource {
 public:
  explicit GzipSource(std::unique_ptr<RawFile> file) : file_(std::move(file)), in_(kInputChunk) {
    std::memset(&zs_, 0, sizeof zs_);
    if (inflateInit2(&zs_, 15 + 32) != Z_OK) throw Internal("zlib initialisation failed");
  }
  ~GzipSource() override { inflateEnd(&zs_); }

  size_t Read(char* buffer, size_t size) override {
    zs_.next_out = reinterpret_cast<Bytef*>(buffer);
    zs_.avail_out = static_cast<uInt>(size);
    while (zs_.avail_out == size) {
      if (zs_.avail_in == 0) {
        if (eof_) break;
        size_t n = file_->Read(in_.data(), in_.size());
        if (n == 0) {
          eof_ = true;
          if (!stream_end_) {
            throw DataError(file_->path() + ": gzip data is truncated (unexpected end of file)");
          }
          break;
        }
        zs_.next_in = reinterpret_cast<Bytef*>(in_.data());
        zs_.avail_in = static_cast<uInt>(n);
      }
      if (stream_end_) {
        // Concatenated gzip members (as `cat a.gz b.gz` makes) are one stream.
        if (inflateReset(&zs_) != Z_OK) throw Internal("zlib reset failed");
        stream_end_ = false;
      }
      int rc = inflate(&zs_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        stream_end_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw DataError(file_->path() + ": corrupt gzip data (" +
                        (zs_.msg ? std::string(zs_.msg) : std::to_string(rc)) + ")");
      }
    }
    return size - zs_.avail_out;
  }

 private:
  std::unique_ptr<RawFile> file_;
  std::vector<char> in_;
  z_stream zs_;
  bool eof_ = false;
  bool stream_end_ = false;
};

class ZstdSource : public ByteSource {
 public:
  explicit ZstdSource(std::unique_ptr<RawFile> file)
      : file_(std::move(file)), in_(ZSTD_DStreamInSize()), ds_(ZSTD_createDStream()) {
    if (!ds_) throw Internal("zstd initialisation failed");
    ZSTD_initDStream(ds_);
  }
  ~ZstdSource() override { ZSTD_freeDStream(ds_); }

  size_t Read(char* buffer, size_t size) override {
    ZSTD_outBuffer out{buffer, size, 0};
    while (out.pos == 0) {
      if (input_.pos == input_.size) {
        size_t n = file_->Read(in_.data(), in_.size());
        if (n == 0) {
          if (!frame_done_) {
            throw DataError(file_->path() + ": zstd data is truncated (unexpected end of file)");
          }
          break;
        }
        input_ = ZSTD_inBuffer{in_.data(), n, 0};
      }
      size_t rc = ZSTD_decompressStream(ds_, &out, &input_);
      if (ZSTD_isError(rc)) {
        throw DataError(file_->path() + ": corrupt zstd data (" + ZSTD_getErrorName(rc) + ")");
      }
      frame_done_ = (rc == 0);
    }
    return out.pos;
  }

 private:
  std::unique_ptr<RawFile> file_;
  std::vector<char> in_;
  ZSTD_DStream* ds_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  bool frame_done_ = true;
};

}  // namespace

std::unique_ptr<ByteSource> OpenByteSource(const std::filesystem::path& path, FileInfo* info) {
  const std::string p = path.string();
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw IoErrorFromErrno("cannot open", p);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    ::close(fd);
    throw IoErrorFromErrno("cannot stat", p);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    throw InvalidArgument("'" + p + "' is a directory, not a file");
  }
  unsigned char magic[4] = {0, 0, 0, 0};
  ssize_t got = ::pread(fd, magic, sizeof magic, 0);
  Compression compression = Compression::kNone;
  if (got >= 2 && magic[0] == 0x1F && magic[1] == 0x8B) {
    compression = Compression::kGzip;
  } else if (got >= 4 && magic[0] == 0x28 && magic[1] == 0xB5 && magic[2] == 0x2F &&
             magic[3] == 0xFD) {
    compression = Compression::kZstd;
  }
  if (info) {
    info->path = p;
    info->size = static_cast<int64_t>(st.st_size);
    info->mtime_ns = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    info->compression = compression;
  }
  auto file = std::make_unique<RawFile>(fd, p);
  switch (compression) {
    case Compression::kGzip:
      return std::make_unique<GzipSource>(std::move(file));
    case Compression::kZstd:
      return std::make_unique<ZstdSource>(std::move(file));
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainSource>(std::move(file));
}

std::string ReadWholeFile(const std::filesystem::path& path) {
  auto source = OpenByteSource(path, nullptr);
  // Sized for the file as stored (a compressed one grows the buffer as it goes): a small file
  // gets a small buffer, not a zeroed megabyte.
  std::error_code ec;
  const uintmax_t stored = std::filesystem::file_size(path, ec);
  std::string out;
  size_t used = 0;
  if (!ec) out.resize(static_cast<size_t>(stored) + 1);
  while (true) {
    if (out.size() == used) out.resize(std::max<size_t>(out.size() * 2, 1 << 16));
    size_t n = source->Read(out.data() + used, out.size() - used);
    if (n == 0) break;
    used += n;
  }
  out.resize(used);
  return out;
}

SpooledInput::SpooledInput(const std::filesystem::path& path) : read_from_(path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status) || std::filesystem::is_regular_file(status) ||
      std::filesystem::is_directory(status)) {
    return;  // the reader's own messages cover missing files and directories
  }
  const int in = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw IoErrorFromErrno("cannot open", path.string());
  std::string tmpl = (std::filesystem::temp_directory_path() / "mloop-input-XXXXXX").string();
  const int out = ::mkstemp(tmpl.data());
  if (out < 0) {
    ::close(in);
    throw IoErrorFromErrno("cannot create a temporary copy of", path.string());
  }
  read_from_ = tmpl;
  temporary_ = true;
  RemoveOnSignal(read_from_);
  std::vector<char> buf(size_t{1} << 20);
  for (;;) {
    const ssize_t n = ::read(in, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(in);
      ::close(out);
      Discard();
      errno = err;
      throw IoErrorFromErrno("cannot read", path.string());
    }
    for (ssize_t done = 0; done < n;) {
      const ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
      if (w < 0 && errno == EINTR) continue;
      if (w < 0) {
        const int err = errno;
        ::close(in);
        ::close(out);
        const std::string copy = read_from_.string();
        Discard();
        errno = err;
        throw IoErrorFromErrno("cannot write a temporary copy of " + path.string() + " to", copy);
      }
      done += w;
    }
  }
  ::close(in);
  ::close(out);
}

SpooledInput::~SpooledInput() {
  Discard();
}

void SpooledInput::Discard() {
  if (!temporary_) return;
  ::unlink(read_from_.c_str());
  ForgetOnSignal(read_from_);
  temporary_ = false;
}

void RefuseKnownBinaryFormat(const std::filesystem::path& path, std::string_view head) {
  struct Known {
    std::string_view magic, name, hint;
  };
  static constexpr Known kKnown[] = {
      {"BZh", "a bzip2", "decompress it first (bunzip2 -k FILE); mloop reads gzip and zstd itself"},
      {"\xFD"
       "7zXZ",
       "an xz", "decompress it first (unxz -k FILE); mloop reads gzip and zstd itself"},
      {"PK\x03\x04", "a zip (or .xlsx)", "unzip it first; a spreadsheet: save it as CSV (UTF-8)"},
      {"7z\xBC\xAF\x27\x1C", "a 7-Zip", "extract it first"},
      {"PAR1", "a Parquet", "write it as CSV or JSON Lines (pandas: df.to_csv(...))"},
      {"\xD0\xCF\x11\xE0", "an Excel 97-2003 (.xls)", "save it as CSV (UTF-8)"},
      {"SQLite format 3", "an SQLite database",
       "import a query of it: --db FILE --sql 'SELECT ...'"},
  };
  for (const Known& k : kKnown) {
    if (head.substr(0, k.magic.size()) == k.magic) {
      throw DataError(
          path.string() + ": this is " + std::string(k.name) + " file, which mloop does not read",
          std::string(k.hint));
    }
  }
}

}  // namespace mloop
