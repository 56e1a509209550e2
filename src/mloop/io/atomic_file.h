// Atomic file replacement: readers of `path` see either the old content or the complete new one.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>

namespace mloop {

// Calls `write` with a stream onto a new temporary file in the directory of `path` (so that the
// final rename stays on one file system), flushes and fsyncs it, renames it over `path` and
// fsyncs the directory. On any failure the temporary file is removed and `path` is untouched:
// a failed system call throws IoError (NotFound when the directory does not exist); an
// mloop::Error thrown by `write` propagates unchanged, and any other exception from `write`
// becomes Internal. The new file gets the usual permissions (0666 minus the umask).
void WriteFileAtomically(const std::filesystem::path& path,
                         const std::function<void(std::ostream&)>& write);

}  // namespace mloop
