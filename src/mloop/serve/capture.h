// Data capture for monitoring: a sampled share of requests, one JSON line per record with the
// input and the output, written by a background thread into rotated files, never blocking a
// request (lines are dropped and counted when the writer falls behind).
//
// Files: DIR/<model>/<variant>/<YYYY-MM-DD>/<HH-MM-SS>-<pid>-<n>.jsonl (UTC), a new file after
// max_file_bytes or rotate_seconds. The line format is in docs/formats.md ("Data capture").
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "mloop/serve/endpoint_config.h"
#include "mloop/serve/metrics.h"
#include "mloop/serve/work_queue.h"

namespace mloop {

inline constexpr int kCaptureFormatVersion = 1;

class CaptureWriter {
 public:
  // `config.dir` must be set. Creates it when missing; throws IoError when it cannot be written.
  // `log` hears when writing starts failing (once per streak) and when it works again.
  CaptureWriter(CaptureConfig config, ServerMetrics* metrics,
                std::function<void(const std::string&)> log = nullptr);
  ~CaptureWriter();

  // True for config.percent of the calls.
  bool Sample() const;
  // Queues `lines` (each ending in '\n'; `records` of them) for the model's and variant's file;
  // counted as mloop_capture_records_total, or mloop_ground_truth_records_total.
  void Write(const std::string& model, const std::string& variant, std::string lines,
             int64_t records, bool ground_truth = false);
  // Waits until every queued line is written and flushed.
  void Flush();

 private:
  struct File;
  // False when the lines could not be written (they are dropped).
  bool WriteNow(const std::string& key, const std::string& lines);
  void Failed(const std::string& why);

  const CaptureConfig config_;
  ServerMetrics* metrics_;
  std::function<void(const std::string&)> log_;
  bool failing_ = false;                                // writer thread only
  std::map<std::string, std::unique_ptr<File>> files_;  // by model/variant; writer thread only
  int64_t sequence_ = 0;
  WorkQueue queue_;  // last: its thread stops before the files close
};

}  // namespace mloop
