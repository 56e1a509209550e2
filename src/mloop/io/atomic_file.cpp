#include "mloop/io/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <iterator>
#include <mutex>
#include <random>
#include <streambuf>
#include <string>
#include <vector>

#include "mloop/core/error.h"
#include "mloop/core/signal_cleanup.h"

namespace mloop {

namespace {

// An output stream buffer over a file descriptor that remembers the errno of a failed write.
class FdStreamBuf : public std::streambuf {
 public:
  explicit FdStreamBuf(int fd) : fd_(fd), buffer_(size_t{1} << 16) {
    setp(buffer_.data(), buffer_.data() + buffer_.size());
  }
  int error() const { return error_; }

 protected:
  int_type overflow(int_type ch) override {
    if (!Drain()) return traits_type::eof();
    if (!traits_type::eq_int_type(ch, traits_type::eof())) {
      *pptr() = traits_type::to_char_type(ch);
      pbump(1);
    }
    return traits_type::not_eof(ch);
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    if (n > epptr() - pptr()) {
      if (!Drain()) return 0;
      if (n >= static_cast<std::streamsize>(buffer_.size())) return WriteAll(s, n) ? n : 0;
    }
    std::copy(s, s + n, pptr());
    pbump(static_cast<int>(n));
    return n;
  }
  int sync() override { return Drain() ? 0 : -1; }

 private:
  bool Drain() {
    bool ok = WriteAll(pbase(), pptr() - pbase());
    setp(buffer_.data(), buffer_.data() + buffer_.size());
    return ok;
  }
  bool WriteAll(const char* p, std::streamsize n) {
    while (n > 0 && error_ == 0) {
      ssize_t w = ::write(fd_, p, static_cast<size_t>(n));
      if (w < 0) {
        if (errno != EINTR) error_ = errno;
        continue;
      }
      p += w;
      n -= w;
    }
    return error_ == 0;
  }

  int fd_;
  std::vector<char> buffer_;
  int error_ = 0;
};

// Creates a new, uniquely named file next to `path`; returns its descriptor and sets `*tmp`.
int CreateTempFile(const std::filesystem::path& path, std::filesystem::path* tmp) {
  std::random_device rd;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  for (int attempt = 0;; ++attempt) {
    *tmp = dir / ("." + path.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                  std::to_string(rd()));
    int fd = ::open(tmp->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd >= 0) return fd;
    if (errno != EEXIST || attempt == 100) {
      throw IoErrorFromErrno("cannot create a temporary file in", dir.string());
    }
  }
}

void SyncDirectory(const std::filesystem::path& path) {
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // best effort: the file itself is complete and renamed
  ::fsync(fd);
  ::close(fd);
}

// Writes through an existing device or FIFO, or a descriptor this process holds: there is
// nothing to replace atomically.
void WriteThrough(const std::filesystem::path& path,
                  const std::function<void(std::ostream&)>& write) {
  const int named = DescriptorOfPath(path);
  int fd =
      named >= 0 ? ::fcntl(named, F_DUPFD_CLOEXEC, 0) : ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) throw IoErrorFromErrno("cannot open", path.string());
  FdStreamBuf buf(fd);
  try {
    std::ostream out(&buf);
    write(out);
    out.flush();
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  if (buf.error() != 0) {
    errno = buf.error();
    throw IoErrorFromErrno("cannot write", path.string());
  }
}

}  // namespace

int DescriptorOfPath(const std::filesystem::path& path) {
  const std::string p = path.lexically_normal().string();
  if (p == "/dev/stdout") return 1;
  if (p == "/dev/stderr") return 2;
  for (const std::string_view dir : {"/dev/fd/", "/proc/self/fd/"}) {
    if (p.size() <= dir.size() || p.compare(0, dir.size(), dir) != 0) continue;
    int fd = 0;
    for (size_t i = dir.size(); i < p.size(); ++i) {
      if (p[i] < '0' || p[i] > '9' || fd > 100000000) return -1;
      fd = fd * 10 + (p[i] - '0');
    }
    return fd;
  }
  return -1;
}

std::filesystem::path OutputTarget(const std::filesystem::path& path) {
  // Link by link (a link may name a file still to be written), as the kernel would, up to its
  // limit of 40; a descriptor's magic link is not followed.
  std::filesystem::path p = path;
  std::error_code ec;
  for (int depth = 0; depth < 40 && DescriptorOfPath(p) < 0 && std::filesystem::is_symlink(p, ec);
       ++depth) {
    std::filesystem::path next = std::filesystem::read_symlink(p, ec);
    if (ec) return path;
    p = (next.is_absolute() ? next : p.parent_path() / next).lexically_normal();
  }
  return p;
}

bool IsSpecialFile(const std::filesystem::path& path) {
  if (DescriptorOfPath(path) >= 0) return true;
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  return !ec && std::filesystem::exists(st) && !std::filesystem::is_regular_file(st) &&
         !std::filesystem::is_directory(st);
}

bool IsMissingEmptyOrStartsWith(const std::filesystem::path& path, std::string_view prefix) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {  // missing, or there but unreadable (then not to be replaced)
    std::error_code ec;
    return !std::filesystem::exists(path, ec);
  }
  std::string head(prefix.size(), '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  return head.empty() || head == prefix;
}

void CheckOutputPath(const std::filesystem::path& named, const std::string& flag) {
  if (named.empty()) {  // --output "$UNSET"
    throw UsageError(flag + ": the file name is empty", "name a file");
  }
  RefuseProtectedOutput(named, flag);
  const std::filesystem::path path = OutputTarget(named);
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw IoError(flag + " " + named.string() + " is a directory", "name a file in it");
  }
  if (IsSpecialFile(path)) return;
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  if (!std::filesystem::is_directory(dir, ec)) {
    throw IoError(flag + " " + named.string() + ": the directory " + dir.string() +
                  " does not exist");
  }
  if (::access(dir.c_str(), W_OK) != 0) {
    throw IoErrorFromErrno(flag + ": cannot write in", dir.string());
  }
}

void RefuseOverwritingInput(const std::filesystem::path& output, const std::filesystem::path& input,
                            const std::string& flag) {
  if (output.empty() || input.empty()) return;
  std::error_code ec;
  bool same = std::filesystem::equivalent(output, input, ec);
  if (!same && input == "-") {  // stdin redirected from the file: `-d - -o f.csv < f.csv`
    struct stat in_stat, out_stat;
    same = ::fstat(STDIN_FILENO, &in_stat) == 0 && S_ISREG(in_stat.st_mode) &&
           ::stat(output.c_str(), &out_stat) == 0 && in_stat.st_dev == out_stat.st_dev &&
           in_stat.st_ino == out_stat.st_ino;
  }
  if (same) {
    throw UsageError(flag + " " + output.string() + " is the input file" +
                         (input == "-" ? " (read from stdin)" : "") +
                         "; writing it would destroy the input",
                     "name another file");
  }
}

namespace {

// Writes `path`'s new content to a fresh temporary file beside it, flushed and fsynced; returns
// the temporary file's name. On failure nothing is left behind.
std::filesystem::path WriteTemporary(const std::filesystem::path& path,
                                     const std::function<void(std::ostream&)>& write) {
  std::filesystem::path tmp;
  int fd = CreateTempFile(path, &tmp);
  RemoveOnSignal(tmp);  // until the set renames or removes it
  auto fail = [&](const Error& error) -> Error {
    if (fd >= 0) ::close(fd);
    ::unlink(tmp.c_str());
    ForgetOnSignal(tmp);
    return error;
  };
  FdStreamBuf buf(fd);
  try {
    std::ostream out(&buf);
    write(out);
    out.flush();
    if (buf.error() == 0 && !out) throw IoError("cannot write '" + path.string() + "'");
  } catch (const Error& e) {
    if (buf.error() == 0) throw fail(e);
  } catch (const std::exception& e) {
    if (buf.error() == 0) {
      throw fail(Internal("writing '" + path.string() + "' failed: " + e.what()));
    }
  } catch (...) {
    throw fail(Internal("writing '" + path.string() + "' failed: unknown exception"));
  }
  if (buf.error() != 0) {
    errno = buf.error();  // the system's reason beats the stream's "output stream failed"
    throw fail(IoErrorFromErrno("cannot write", path.string()));
  }
  if (::fsync(fd) != 0) throw fail(IoErrorFromErrno("cannot sync", path.string()));
  int rc = ::close(fd);
  fd = -1;
  if (rc != 0) throw fail(IoErrorFromErrno("cannot close", path.string()));
  return tmp;
}

}  // namespace

namespace {
std::mutex protected_mutex;
std::vector<std::filesystem::path> protected_paths;  // weakly canonical

// True when `path` is `base` or lies below it (both weakly canonical).
bool IsWithin(const std::filesystem::path& path, const std::filesystem::path& base) {
  auto [b, p] = std::mismatch(base.begin(), base.end(), path.begin(), path.end());
  return b == base.end() || (std::next(b) == base.end() && b->empty());  // "dir/" ends in ""
}
}  // namespace

void ProtectFromOutputs(const std::vector<std::filesystem::path>& paths) {
  std::vector<std::filesystem::path> canonical;
  for (const auto& p : paths) {
    std::error_code ec;
    auto c = std::filesystem::weakly_canonical(p, ec);
    canonical.push_back(ec ? p.lexically_normal() : c);
  }
  std::lock_guard lock(protected_mutex);
  protected_paths = std::move(canonical);
}

void RefuseProtectedOutput(const std::filesystem::path& named, const std::string& flag) {
  std::error_code ec;
  std::filesystem::path path = std::filesystem::weakly_canonical(OutputTarget(named), ec);
  if (ec) return;
  std::lock_guard lock(protected_mutex);
  for (const auto& p : protected_paths) {
    if (!IsWithin(path, p)) continue;
    throw UsageError((flag.empty() ? "" : flag + " ") + named.string() +
                         " is part of the workspace's own state (" + p.string() +
                         "); writing it would damage the workspace",
                     "write outputs somewhere else");
  }
}

void WriteFileAtomically(const std::filesystem::path& named,
                         const std::function<void(std::ostream&)>& write) {
  AtomicFileSet set;
  set.Write(named, write);
  set.Commit();
}

void WriteStateFileAtomically(const std::filesystem::path& path,
                              const std::function<void(std::ostream&)>& write) {
  AtomicFileSet set;
  set.WriteState(path, write);
  set.Commit();
}

AtomicFileSet::~AtomicFileSet() {
  for (const auto& [tmp, path] : staged_) {
    ::unlink(tmp.c_str());
    ForgetOnSignal(tmp);
  }
}

void AtomicFileSet::Write(const std::filesystem::path& named,
                          const std::function<void(std::ostream&)>& write) {
  RefuseProtectedOutput(named);
  WriteState(named, write);
}

void AtomicFileSet::WriteState(const std::filesystem::path& named,
                               const std::function<void(std::ostream&)>& write) {
  const std::filesystem::path path = OutputTarget(named);
  if (IsSpecialFile(path)) return WriteThrough(path, write);
  staged_.emplace_back(WriteTemporary(path, write), path);
}

void AtomicFileSet::Commit() {
  for (size_t i = 0; i < staged_.size(); ++i) {
    const auto& [tmp, path] = staged_[i];
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      const int error = errno;
      staged_.erase(staged_.begin(), staged_.begin() + static_cast<std::ptrdiff_t>(i));
      errno = error;
      throw IoErrorFromErrno("cannot replace", path.string());
    }
    ForgetOnSignal(tmp);
  }
  std::vector<std::filesystem::path> synced;  // one file per directory
  for (const auto& [tmp, path] : staged_) {
    auto same_dir = [&](const auto& p) { return p.parent_path() == path.parent_path(); };
    if (std::none_of(synced.begin(), synced.end(), same_dir)) synced.push_back(path);
  }
  staged_.clear();
  for (const auto& path : synced) SyncDirectory(path);
}

}  // namespace mloop
