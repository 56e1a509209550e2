#include "mloop/core/signal_cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <mutex>

namespace mloop {

namespace {

// A slot is free (0), being filled, emptied or removed (1), or holds a registered path (2).
struct Slot {
  std::atomic<int> state{0};
  char path[4096] = {};
};
static_assert(std::atomic<int>::is_always_lock_free);
constexpr int kSlots = 64;
Slot slots[kSlots];
std::mutex slots_mutex;  // between threads registering and forgetting; never in the handler

void OnSignal(int signal) {
  RemoveRegisteredFiles();
  static const char kMessage[] = "\ninterrupted: nothing more was stored\n";
  [[maybe_unused]] ssize_t n = ::write(2, kMessage, sizeof kMessage - 1);
  // End by the same signal, at once: delivered as soon as it is unblocked.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(signal, &dfl, nullptr);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  ::raise(signal);
  sigprocmask(SIG_UNBLOCK, &set, nullptr);
  ::_exit(128 + signal);  // only if the signal was caught again in between
}

}  // namespace

void InstallSignalCleanup() {
  struct sigaction on {};
  on.sa_handler = OnSignal;
  sigemptyset(&on.sa_mask);
  sigaddset(&on.sa_mask, SIGINT);
  sigaddset(&on.sa_mask, SIGTERM);
  for (const int signal : {SIGINT, SIGTERM}) {
    struct sigaction old {};
    sigaction(signal, nullptr, &old);
    if (old.sa_handler == SIG_IGN) continue;  // ignored on purpose (nohup, a shell's `&`)
    sigaction(signal, &on, nullptr);
  }
}

void RemoveRegisteredFiles() {
  for (Slot& slot : slots) {
    int held = 2;
    // Claimed first, so that a thread cannot refill the slot while its path is read.
    if (slot.state.compare_exchange_strong(held, 1)) ::unlink(slot.path);
  }
}

void RemoveOnSignal(const std::filesystem::path& path) {
  const std::string& text = path.native();
  if (text.size() >= sizeof slots[0].path) return;
  std::lock_guard<std::mutex> lock(slots_mutex);
  for (Slot& slot : slots) {
    int free = 0;
    if (!slot.state.compare_exchange_strong(free, 1)) continue;
    std::memcpy(slot.path, text.c_str(), text.size() + 1);
    slot.state.store(2);
    return;
  }
}

void ForgetOnSignal(const std::filesystem::path& path) {
  const std::string& text = path.native();
  std::lock_guard<std::mutex> lock(slots_mutex);
  for (Slot& slot : slots) {
    int held = 2;
    if (!slot.state.compare_exchange_strong(held, 1)) continue;
    if (std::strcmp(slot.path, text.c_str()) != 0) {
      slot.state.store(2);
      continue;
    }
    slot.path[0] = '\0';
    slot.state.store(0);
    return;
  }
}

}  // namespace mloop
