#include "mloop/core/signal_cleanup.h"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstring>

namespace mloop {

namespace {

// A slot is free (0), being filled or emptied (1), or holds a registered path (2).
struct Slot {
  std::atomic<int> state{0};
  char path[4096] = {};
};
constexpr int kSlots = 64;
Slot slots[kSlots];

void OnSignal(int signal) {
  for (Slot& slot : slots) {
    if (slot.state.load() == 2) ::unlink(slot.path);
  }
  static const char kMessage[] = "\ninterrupted: nothing more was stored\n";
  [[maybe_unused]] ssize_t n = ::write(2, kMessage, sizeof kMessage - 1);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  sigemptyset(&dfl.sa_mask);
  sigaction(signal, &dfl, nullptr);
  ::raise(signal);
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

void RemoveOnSignal(const std::filesystem::path& path) {
  const std::string& text = path.native();
  if (text.size() >= sizeof slots[0].path) return;
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
  for (Slot& slot : slots) {
    int held = 2;
    if (slot.state.load() != 2 || std::strcmp(slot.path, text.c_str()) != 0) continue;
    if (slot.state.compare_exchange_strong(held, 1)) {
      slot.path[0] = '\0';
      slot.state.store(0);
      return;
    }
  }
}

}  // namespace mloop
