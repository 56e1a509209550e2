#include "mloop/serve/capture.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>

#include "mloop/core/clock.h"
#include "mloop/core/error.h"
#include "mloop/core/time.h"

namespace mloop {

struct CaptureWriter::File {
  std::FILE* f = nullptr;
  int64_t bytes = 0;
  std::chrono::steady_clock::time_point opened;
  ~File() {
    if (f) std::fclose(f);
  }
};

CaptureWriter::CaptureWriter(CaptureConfig config, ServerMetrics* metrics)
    : config_(std::move(config)), metrics_(metrics), queue_(4096) {
  std::error_code ec;
  std::filesystem::create_directories(config_.dir, ec);
  if (ec) throw IoError("cannot create the capture directory " + config_.dir + ": " + ec.message());
}

CaptureWriter::~CaptureWriter() {
  queue_.Flush();
}

bool CaptureWriter::Sample() const {
  if (config_.percent <= 0) return false;
  if (config_.percent >= 100) return true;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0, 100)(rng) < config_.percent;
}

void CaptureWriter::Write(const std::string& model, const std::string& variant, std::string lines,
                          int64_t records) {
  std::string key = model + "/" + variant;
  const bool queued = queue_.Post([this, key = std::move(key), lines = std::move(lines), records] {
    WriteNow(key, lines);
    if (metrics_) metrics_->capture_records.fetch_add(records, std::memory_order_relaxed);
  });
  if (!queued && metrics_) metrics_->capture_dropped.fetch_add(records, std::memory_order_relaxed);
}

void CaptureWriter::Flush() {
  queue_.Post([this] {
    for (auto& [key, file] : files_) {
      if (file->f) std::fflush(file->f);
    }
  });
  queue_.Flush();
}

void CaptureWriter::WriteNow(const std::string& key, const std::string& lines) {
  auto& file = files_[key];
  const auto now = std::chrono::steady_clock::now();
  if (file && (file->bytes >= config_.max_file_bytes ||
               now - file->opened >= std::chrono::seconds(config_.rotate_seconds))) {
    file.reset();
  }
  if (!file) {
    const std::string stamp =
        FormatTimestamp(SystemClock().NowMicros());  // 2026-11-27T03:41:35.123456Z
    std::filesystem::path dir = std::filesystem::path(config_.dir) / key / stamp.substr(0, 10);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    std::string name = stamp.substr(11, 8);
    for (char& c : name) {
      if (c == ':') c = '-';
    }
    name += "-" + std::to_string(::getpid()) + "-" + std::to_string(++sequence_) + ".jsonl";
    auto f = std::make_unique<File>();
    f->f = std::fopen((dir / name).c_str(), "ab");
    if (!f->f) {
      if (metrics_) metrics_->capture_dropped.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    f->opened = now;
    file = std::move(f);
  }
  std::fwrite(lines.data(), 1, lines.size(), file->f);
  std::fflush(file->f);  // a reader (the monitor) sees whole lines soon
  file->bytes += static_cast<int64_t>(lines.size());
}

}  // namespace mloop
