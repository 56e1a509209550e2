// The checkpoint of a batch transform job: what it reads, with which model and options, and how
// far it got. Written next to the output after each batch written (a temporary file renamed over
// the last one, so a killed job leaves either the old or the new checkpoint, never a torn one).
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mloop {

struct TransformCheckpoint {
  // What the job is: compared field by field before a resume.
  nlohmann::json input;    // {"path", "size", "mtime_ns", "head_sha256"} or {"dataset"}
  std::string model;       // the model's address
  nlohmann::json options;  // TransformOptions::OutputAffectingJson() plus the file paths
  // How far it got: everything below was written by batches the job finished, in order.
  int64_t units = 0;  // units (runs of whole batches) written
  int64_t records = 0;
  int64_t predicted = 0;
  int64_t errors = 0;
  int64_t input_offset = 0;  // input bytes consumed (a dataset: rows)
  int64_t next_line = 1;     // the line number at input_offset
  int64_t output_bytes = 0;  // of OUTPUT.partial
  int64_t errors_bytes = 0;  // of ERRORS.partial
  std::string first_error;   // "line N: reason" of the first failed record, if any

  nlohmann::json ToJson() const;
  // Throws Corruption when `j` is not a checkpoint of this format.
  static TransformCheckpoint FromJson(const nlohmann::json& j);
};

// Writes `checkpoint` to `path` through PATH.tmp and a rename. Not fsynced: it survives the
// process being killed, which is what it is for; after a machine crash, the partial files may
// be shorter than it says, and a resume is then refused.
void WriteCheckpoint(const std::filesystem::path& path, const TransformCheckpoint& checkpoint);
// nullopt when there is no file at `path`; Corruption when it cannot be read as a checkpoint.
std::optional<TransformCheckpoint> ReadCheckpoint(const std::filesystem::path& path);

// The identity of an input file: absolute path, size, modification time and the SHA-256 of its
// first 64 KiB. Throws NotFound / IoError.
nlohmann::json FileIdentity(const std::filesystem::path& path);

// What differs between a recorded identity or options object and the current one, for a message
// ("size 100 -> 120, mtime_ns ..."); empty when equal.
std::string DescribeDifference(const nlohmann::json& recorded, const nlohmann::json& now);

}  // namespace mloop
