#include "mloop/store/metadata_store.h"

namespace mloop {

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kKilled:
      return "killed";
  }
  return "unknown";
}

bool RunStatusFromName(std::string_view name, RunStatus* out) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kFailed, RunStatus::kKilled}) {
    if (RunStatusName(s) == name) {
      *out = s;
      return true;
    }
  }
  return false;
}

// The allowed-transitions table: a run only ever leaves `running`, once.
bool RunTransitionAllowed(RunStatus from, RunStatus to) {
  static constexpr struct {
    RunStatus from, to;
  } kAllowed[] = {
      {RunStatus::kRunning, RunStatus::kFinished},
      {RunStatus::kRunning, RunStatus::kFailed},
      {RunStatus::kRunning, RunStatus::kKilled},
  };
  for (const auto& t : kAllowed) {
    if (t.from == from && t.to == to) return true;
  }
  return false;
}

}  // namespace mloop
