// Atomic file replacement: readers of `path` see either the old content or the complete new one.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mloop {

// Calls `write` with a stream onto a new temporary file in the directory of `path` (so that the
// final rename stays on one file system), flushes and fsyncs it, renames it over `path` and
// fsyncs the directory. On any failure the temporary file is removed and `path` is untouched:
// a failed system call throws IoError (NotFound when the directory does not exist); an
// mloop::Error thrown by `write` propagates unchanged, and any other exception from `write`
// becomes Internal. The new file gets the usual permissions (0666 minus the umask).
// A symbolic link stays: the file it names is replaced. A device, FIFO or socket (/dev/null,
// /dev/stdout, a named pipe) is written straight through, not replaced.
void WriteFileAtomically(const std::filesystem::path& path,
                         const std::function<void(std::ostream&)>& write);

// Paths that outputs must never replace: the open workspace's own state (Workspace::StatePaths).
// Set once when a command opens its workspace; WriteFileAtomically, AtomicFileSet::Write and
// CheckOutputPath then refuse a path that is one of them or lies inside one.
void ProtectFromOutputs(const std::vector<std::filesystem::path>& paths);

// UsageError when `path` (following links) is or lies inside a path given to ProtectFromOutputs.
// `flag` names the option ("--output"); empty: the message names only the path.
void RefuseProtectedOutput(const std::filesystem::path& path, const std::string& flag = {});

// WriteFileAtomically for the workspace's own files (its API keys): not refused by the above.
void WriteStateFileAtomically(const std::filesystem::path& path,
                              const std::function<void(std::ostream&)>& write);

// Several files replaced together: Write() puts each one's new content in a temporary file
// beside it (as WriteFileAtomically, devices and FIFOs written straight through), and only
// Commit() renames them all into place. A set destroyed before Commit() (a failed write, a full
// disk) removes its temporary files and leaves every destination as it was.
class AtomicFileSet {
 public:
  AtomicFileSet() = default;
  AtomicFileSet(const AtomicFileSet&) = delete;
  AtomicFileSet& operator=(const AtomicFileSet&) = delete;
  ~AtomicFileSet();

  void Write(const std::filesystem::path& path, const std::function<void(std::ostream&)>& write);
  // Write, for the workspace's own files (not refused by ProtectFromOutputs).
  void WriteState(const std::filesystem::path& path,
                  const std::function<void(std::ostream&)>& write);
  void Commit();

 private:
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> staged_;  // tmp, final
};

// The open descriptor an output path names: /dev/stdout (1), /dev/stderr (2), /dev/fd/N and
// /proc/self/fd/N (N); -1 for any other path. Through the kernel's links such a path leads to
// whatever the descriptor is open on (the file a shell redirected to, a pipe, a terminal), so
// it is written through the descriptor itself (appending where the shell appends), never
// replaced by a rename.
int DescriptorOfPath(const std::filesystem::path& path);

// The file an output named `path` is written to: what a symbolic link points at, else `path`
// (a descriptor path stays itself).
std::filesystem::path OutputTarget(const std::filesystem::path& path);

// True when `path` exists and is neither a regular file nor a directory (a device, FIFO, socket),
// or names a descriptor (DescriptorOfPath).
bool IsSpecialFile(const std::filesystem::path& path);

// Checks, before long work, that an output could be written at `path`: its directory exists
// and is writable, and `path` is not a directory. IoError naming `flag` ("--html") otherwise.
void CheckOutputPath(const std::filesystem::path& path, const std::string& flag);

// True when the file at `path` is missing, empty, or starts with `prefix`: what a file mloop
// writes and may replace (an errors or rejects file) starts with, so that a file a user named
// by mistake is never replaced.
bool IsMissingEmptyOrStartsWith(const std::filesystem::path& path, std::string_view prefix);

// UsageError when `output` is the same file as `input` (following links): writing it would
// destroy the input. `flag` names the option, as "--output".
void RefuseOverwritingInput(const std::filesystem::path& output, const std::filesystem::path& input,
                            const std::string& flag);

}  // namespace mloop
