// Temporary files that a SIGINT or SIGTERM must not leave behind. A command killed by Ctrl-C
// unwinds no stack, so the owners of temporary files (a spooled copy of stdin, an artifact being
// stored, a file being written atomically) register them here; the handler that
// InstallSignalCleanup sets removes every registered file, says the command was interrupted, and
// ends the process by the same signal. Commands that stop cooperatively (train, tune, serve,
// transform) install their own handlers over it for their duration.
#pragma once

#include <filesystem>

namespace mloop {

// Sets the SIGINT and SIGTERM handler (once, at start-up); a signal ignored when mloop started
// (nohup, a shell's `&`) stays ignored.
void InstallSignalCleanup();

// Registers `path` for removal on SIGINT/SIGTERM; ForgetOnSignal unregisters it once it has been
// renamed into place or removed. Best effort: beyond 64 files at once, a file is not registered.
void RemoveOnSignal(const std::filesystem::path& path);
void ForgetOnSignal(const std::filesystem::path& path);

// Removes every registered file; async-signal-safe. For the handlers of commands that stop
// cooperatively, before a second Ctrl-C ends the process.
void RemoveRegisteredFiles();

}  // namespace mloop
