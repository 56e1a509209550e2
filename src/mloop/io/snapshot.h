// The dataset snapshot: mloop's own columnar binary file format for stored dataset versions.
//
// Layout (little-endian; docs/formats.md is the full specification):
//   "MLOOPSNP" | u32 format version | u32 flags (0)
//   buffers: for each column its validity bitmap (if any), values, and dictionary (strings),
//            each stored raw or as one zstd frame, whichever is smaller
//   footer:  JSON describing the schema, row count and every buffer (offset, sizes, codec,
//            XXH3-64 checksum of the stored bytes)
//   trailer: u64 footer offset | u64 footer size | u64 XXH3-64 of the footer | "MLOOPEND"
//
// Writing is deterministic: the same Table always gives the same bytes, so the file's SHA-256
// identifies the content. Reading checks every checksum and size before any value is used and
// throws Corruption naming the file and the part that is damaged.
#pragma once

#include <cstdint>
#include <filesystem>

#include "mloop/core/byte_sink.h"
#include "mloop/core/table.h"

namespace mloop {

inline constexpr uint32_t kSnapshotFormatVersion = 1;

struct SnapshotWriteOptions {
  int zstd_level = 3;
  int threads = 0;  // 0: one per hardware thread
};

// Writes `table` to `sink`. Returns the number of bytes written.
int64_t WriteSnapshot(const Table& table, ByteSink& sink, const SnapshotWriteOptions& options = {});

// Reads a whole snapshot file. `threads` 0: one per hardware thread.
Table ReadSnapshot(const std::filesystem::path& path, int threads = 0);

// Reads only the footer: the schema and row count, without loading any column.
struct SnapshotSummary {
  Schema schema;
  int64_t num_rows = 0;
  uint32_t format_version = 0;
};
SnapshotSummary ReadSnapshotSummary(const std::filesystem::path& path);

}  // namespace mloop
