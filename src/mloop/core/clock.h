// The clock, injected wherever time is recorded or compared, so tests control it.
#pragma once

#include <chrono>
#include <cstdint>

namespace mloop {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds since the Unix epoch, UTC.
  virtual int64_t NowMicros() const = 0;
};

class SystemClock : public Clock {
 public:
  int64_t NowMicros() const override {
    return std::chrono::duration_cast<std::chrono::microseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that only moves when told (tests).
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t micros) : now_(micros) {}
  int64_t NowMicros() const override { return now_; }
  void Advance(int64_t micros) { now_ += micros; }

 private:
  int64_t now_;
};

}  // namespace mloop
