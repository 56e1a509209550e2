#include "mloop/serve/capture.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
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

CaptureWriter::CaptureWriter(CaptureConfig config, ServerMetrics* metrics,
                             std::function<void(const std::string&)> log)
    : config_(std::move(config)), metrics_(metrics), log_(std::move(log)), queue_(4096) {
  std::error_code ec;
  std::filesystem::create_directories(config_.dir, ec);
  if (ec) throw IoError("cannot create the capture directory " + config_.dir + ": " + ec.message());
  if (::access(config_.dir.c_str(), W_OK) != 0) {
    throw IoErrorFromErrno("cannot write in the capture directory", config_.dir);
  }
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
                          int64_t records, bool ground_truth) {
  std::string key = model + "/" + variant;
  const bool queued =
      queue_.Post([this, key = std::move(key), lines = std::move(lines), records, ground_truth] {
        const bool written = WriteNow(key, lines);
        if (metrics_) {
          (!written       ? metrics_->capture_dropped
           : ground_truth ? metrics_->ground_truth_records
                          : metrics_->capture_records)
              .fetch_add(records, std::memory_order_relaxed);
        }
      });
  if (!queued && metrics_) metrics_->capture_dropped.fetch_add(records, std::memory_order_relaxed);
}

void CaptureWriter::Flush() {
  queue_.Post([this] {
    for (auto& [key, file] : files_) {
      if (file && file->f) std::fflush(file->f);
    }
  });
  queue_.Flush();
}

bool CaptureWriter::WriteNow(const std::string& key, const std::string& lines) {
  auto& file = files_[key];
  const auto now = std::chrono::steady_clock::now();
  const auto size = static_cast<int64_t>(lines.size());
  // A file stays under max_file_bytes unless one request's lines alone are larger.
  if (file && ((file->bytes > 0 && file->bytes + size > config_.max_file_bytes) ||
               now - file->opened >= std::chrono::seconds(config_.rotate_seconds))) {
    file.reset();
  }
  // A file removed while open (its directory deleted, a clean-up script) would take every line
  // written to it into nothing: a new file is opened instead, the directories made again.
  if (file) {
    struct stat st;
    if (::fstat(::fileno(file->f), &st) == 0 && st.st_nlink == 0) {
      file.reset();
      if (log_)
        log_("capture: a capture file under " + config_.dir +
             " was removed; writing into a new one");
    }
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
      Failed("cannot open " + (dir / name).string() + ": " + std::strerror(errno));
      return false;
    }
    f->opened = now;
    file = std::move(f);
  }
  const bool written = std::fwrite(lines.data(), 1, lines.size(), file->f) == lines.size() &&
                       std::fflush(file->f) == 0;  // a reader (the monitor) sees lines soon
  if (!written) {
    Failed("cannot write the capture file: " + std::string(std::strerror(errno)));
    file.reset();  // the next request opens a new file
    return false;
  }
  file->bytes += size;
  if (failing_) {
    failing_ = false;
    if (log_) log_("capture: writing again into " + config_.dir);
  }
  return true;
}

void CaptureWriter::Failed(const std::string& why) {
  if (failing_) return;  // said once per failure streak
  failing_ = true;
  if (log_) {
    log_("capture: " + why +
         "; captured records are dropped (mloop_capture_dropped_total) "
         "until writing works again");
  }
}

}  // namespace mloop
