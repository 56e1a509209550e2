#include "mloop/tune/objective.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

#include "mloop/core/error.h"
#include "mloop/core/strings.h"
#include "mloop/io/value_parse.h"

namespace mloop::tune {

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string Trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

// A value as a float64 field reads (ParseFloat64: no hex, no 1e400), around any white space
// (a line end of \r\n included).
bool ParseDouble(const std::string& text, double* out) {
  return ParseFloat64(Trim(text), out);
}

// The guard of a command's process group (see RunShellCommand): when mloop dies, however it
// dies (SIGKILL included), the kernel sends the guard SIGTERM (PR_SET_PDEATHSIG), and the
// guard kills the whole group, so that no trial outlives the job that started it.
pid_t guarded_parent = 0;  // in the guard: mloop's pid

// SIGTERM in the guard: from the kernel when mloop died (kill the group), or from someone else,
// e.g. the command signalling its own group (then the guard has nothing to do).
void OnGuardTerm(int) {
  if (getppid() != guarded_parent) kill(0, SIGKILL);
}

// Runs in the forked guard (async-signal-safe calls only): waits for the command and ends as it
// did (its exit code, or its signal). `max_fd`: the highest descriptor to close, found before
// fork (the guard never execs, so close-on-exec would not close mloop's other pipes, which
// trials running beside this one wait to see closed).
[[noreturn]] void GuardCommand(pid_t command, pid_t mloop, int max_fd) {
  if (syscall(SYS_close_range, 3u, ~0u, 0u) != 0) {
    for (int fd = 3; fd <= max_fd; ++fd) close(fd);
  }
  guarded_parent = mloop;
  struct sigaction sa {};
  sa.sa_handler = OnGuardTerm;
  sigaction(SIGTERM, &sa, nullptr);
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  if (getppid() != mloop) kill(0, SIGKILL);  // mloop died before the guard was set
  int status = 0;
  while (waitpid(command, &status, 0) < 0) {
    if (errno != EINTR) _exit(127);
  }
  if (WIFSIGNALED(status)) {
    // End by the command's signal, without a core dump of this copy of mloop.
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    prctl(PR_SET_DUMPABLE, 0);
    signal(WTERMSIG(status), SIG_DFL);
    kill(getpid(), WTERMSIG(status));
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 127);
}

std::string TailText(const std::vector<std::string>& tail) {
  if (tail.empty()) return " (no output)";
  std::string s = "; last lines of output:";
  for (const auto& line : tail) s += "\n  " + Printable(line, 200);
  return s;
}

}  // namespace

CommandRun RunShellCommand(const std::string& command, const std::filesystem::path& cwd,
                           double timeout_seconds,
                           const std::function<bool(const std::string&)>& on_line,
                           size_t tail_lines, const std::atomic<bool>* cancel) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw IoErrorFromErrno("cannot create a pipe for", command);
  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  const std::string cwd_text = cwd.string();
  const char* cwd_c = cwd_text.empty() ? nullptr : cwd_text.c_str();
  const char* command_c = command.c_str();
  static const char kChdirFailed[] = "mloop: cannot enter the job's working directory\n";
  const auto start = Clock::now();
  const pid_t mloop = getpid();
  const int max_fd = static_cast<int>(std::min<long>(sysconf(_SC_OPEN_MAX), 1 << 16));
  // The child leads a new process group and guards it (GuardCommand); the command itself runs
  // in a grandchild, in that group.
  const pid_t pid = fork();
  if (pid < 0) {
    const int saved = errno;
    close(fds[0]);
    close(fds[1]);
    errno = saved;
    throw IoErrorFromErrno("cannot start a process for", command);
  }
  if (pid == 0) {
    setpgid(0, 0);
    sigset_t none;  // the forking thread's mask would block the guard's SIGTERM
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    const pid_t command_pid = fork();
    if (command_pid < 0) _exit(127);
    if (command_pid > 0) {
      close(fds[0]);
      close(fds[1]);
      GuardCommand(command_pid, mloop, max_fd);
    }
    const int null_fd = open("/dev/null", O_RDONLY);
    if (null_fd >= 0) dup2(null_fd, 0);
    dup2(fds[1], 1);
    dup2(fds[1], 2);
    if (cwd_c && chdir(cwd_c) != 0) {
      ssize_t ignored = write(2, kChdirFailed, sizeof(kChdirFailed) - 1);
      (void)ignored;
      _exit(126);
    }
    execl("/bin/sh", "sh", "-c", command_c, static_cast<char*>(nullptr));
    _exit(127);
  }
  setpgid(pid, pid);  // also in the parent, so that a kill never misses the group
  close(fds[1]);
  const int fd = fds[0];

  CommandRun run;
  std::deque<std::string> tail;
  bool killed = false;
  Clock::time_point killed_at;
  auto kill_group = [&] {
    if (killed) return;
    kill(-pid, SIGKILL);
    killed = true;
    killed_at = Clock::now();
  };
  auto handle_line = [&](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (killed) return;
    if (on_line && !on_line(line)) {
      run.stopped = true;
      kill_group();
    }
    if (line.size() > 1000) line.resize(1000);
    tail.push_back(std::move(line));
    while (tail.size() > tail_lines) tail.pop_front();
  };
  std::string partial;
  char buffer[65536];
  while (true) {
    int wait_ms = -1;
    if (!killed && cancel && cancel->load()) {
      run.cancelled = true;
      kill_group();
    }
    if (killed) {
      // Descendants that left the process group may hold the pipe open: wait a little, no more.
      const double left = 2.0 - SecondsSince(killed_at);
      if (left <= 0) break;
      wait_ms = static_cast<int>(left * 1000) + 1;
    } else if (timeout_seconds > 0) {
      const double left = timeout_seconds - SecondsSince(start);
      if (left <= 0) {
        run.timed_out = true;
        kill_group();
        continue;
      }
      wait_ms = static_cast<int>(std::min(left * 1000, 1e9)) + 1;
    }
    if (cancel && (wait_ms < 0 || wait_ms > 200)) wait_ms = 200;
    pollfd p{fd, POLLIN, 0};
    const int r = poll(&p, 1, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (r == 0) continue;
    const ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      break;
    }
    if (n == 0) break;
    partial.append(buffer, static_cast<size_t>(n));
    size_t begin = 0;
    for (size_t nl; (nl = partial.find('\n', begin)) != std::string::npos; begin = nl + 1) {
      handle_line(partial.substr(begin, nl - begin));
    }
    partial.erase(0, begin);
    if (partial.size() > (1u << 20)) {  // an endless line: take it as one
      handle_line(std::move(partial));
      partial.clear();
    }
  }
  if (!partial.empty()) handle_line(std::move(partial));
  close(fd);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  run.seconds = SecondsSince(start);
  if (WIFEXITED(status)) {
    run.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.signal = WTERMSIG(status);
  }
  run.tail.assign(tail.begin(), tail.end());
  return run;
}

MetricScraper::MetricScraper(const std::string& regex, const std::string& json_key)
    : json_key_(json_key) {
  if (!regex.empty()) regex_.emplace(regex);
}

std::vector<double> MetricScraper::Scrape(const std::string& line) {
  std::vector<double> values;
  if (regex_) {
    for (std::sregex_iterator it(line.begin(), line.end(), *regex_), end; it != end; ++it) {
      const std::smatch& m = *it;
      const std::string text = m.size() > 1 ? m[1].str() : m[0].str();
      double v = 0;
      if (ParseDouble(text, &v)) {
        values.push_back(v);
      } else {
        bad_ = "'" + Printable(text) + "' is not a number";
      }
      if (m.length(0) == 0) break;  // an empty match would repeat forever
    }
    return values;
  }
  const std::string t = Trim(line);
  if (json_key_.empty() || t.size() < 2 || t.front() != '{' || t.back() != '}') return values;
  nlohmann::json j = nlohmann::json::parse(t, nullptr, false);
  if (j.is_discarded()) {
    // Python's json.dumps writes NaN and Infinity, which JSON has no words for.
    const std::string last_part = json_key_.substr(json_key_.rfind('.') + 1);
    if (t.find("\"" + last_part + "\"") != std::string::npos) {
      bad_ = "a line naming '" + last_part + "' is not valid JSON (NaN, Infinity and numbers " +
             "beyond a double are not JSON): " + Printable(t);
    }
    return values;
  }
  if (!j.is_object()) return values;
  const nlohmann::json* found = nullptr;
  if (auto it = j.find(json_key_); it != j.end()) {
    found = &*it;
  } else if (json_key_.find('.') != std::string::npos) {
    const nlohmann::json* cur = &j;
    size_t begin = 0;
    while (cur) {
      const size_t dot = json_key_.find('.', begin);
      const std::string part = json_key_.substr(begin, dot - begin);
      auto it = cur->is_object() ? cur->find(part) : cur->end();
      cur = (cur->is_object() && it != cur->end()) ? &*it : nullptr;
      if (dot == std::string::npos) break;
      begin = dot + 1;
    }
    found = cur;
  }
  if (!found) return values;
  if (found->is_number()) {
    values.push_back(found->get<double>());
  } else if (found->is_string()) {
    double v = 0;
    if (ParseDouble(found->get<std::string>(), &v)) {
      values.push_back(v);
    } else {
      bad_ = "'" + json_key_ + "' is " + Printable(found->dump()) + ", not a number";
    }
  } else {
    bad_ = "'" + json_key_ + "' is " + Printable(found->dump()) + ", not a number";
  }
  return values;
}

TrialResult RunCommandTrial(const TuningJob& job, const ParamValues& params,
                            const std::function<bool(int64_t step, double value)>& report,
                            const std::atomic<bool>* cancel) {
  TrialResult result;
  result.command = SubstituteCommand(job.command, job.space, params);
  MetricScraper scraper(job.metric_regex, job.metric_json);
  std::optional<double> last;
  int64_t step = 0;
  bool pruned = false;
  double pruned_value = 0;
  auto on_line = [&](const std::string& line) {
    for (double v : scraper.Scrape(line)) {
      if (last) {  // the previous value was not the last: an intermediate step
        result.intermediate[step] = *last;
        if (report && report(step, *last)) {
          pruned = true;
          pruned_value = *last;
          return false;
        }
        ++step;
      }
      last = v;
    }
    return true;
  };
  const CommandRun run =
      RunShellCommand(result.command, job.working_dir, job.timeout_seconds, on_line, 20, cancel);
  result.seconds = run.seconds;
  const std::string what = job.metric_regex.empty() ? "metric_json '" + job.metric_json + "'"
                                                    : "metric_regex '" + job.metric_regex + "'";
  if (pruned) {
    result.state = TrialState::kPruned;
    result.value = pruned_value;
  } else if (run.cancelled) {
    result.error = "interrupted";
  } else if (run.timed_out) {
    result.error = "timed out after " + std::to_string(static_cast<int64_t>(job.timeout_seconds)) +
                   " s (timeout_seconds)" + TailText(run.tail);
    if (job.timeout_seconds != std::floor(job.timeout_seconds)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "timed out after %g s (timeout_seconds)", job.timeout_seconds);
      result.error = buf + TailText(run.tail);
    }
  } else if (run.signal != 0) {
    result.error = "killed by signal " + std::to_string(run.signal) + " (" + strsignal(run.signal) +
                   ")" + TailText(run.tail);
  } else if (run.exit_code != 0) {
    result.error = "exit code " + std::to_string(run.exit_code) +
                   (run.exit_code == 127 ? " (command not found?)" : "") + TailText(run.tail);
  } else if (!last) {
    result.error = "no value of '" + job.metric + "' in the output (" + what + ")" +
                   (scraper.bad().empty() ? "" : "; " + scraper.bad()) + TailText(run.tail);
  } else if (!std::isfinite(*last)) {
    result.error = "the value of '" + job.metric + "' is not finite";
    result.value = std::nullopt;
  } else {
    result.state = TrialState::kComplete;
    result.value = last;
  }
  return result;
}

std::unique_ptr<Study> MakeStudy(const TuningJob& job) {
  auto with_origin = [&](const Error& e, const std::string& key) {
    return Error(e.code(), job.origin + ": '" + key + "': " + e.what(), e.hint());
  };
  std::unique_ptr<Sampler> sampler;
  std::unique_ptr<Pruner> pruner;
  try {
    sampler = MakeSampler(job.strategy, job.seed, job.strategy_options);
  } catch (const Error& e) {
    throw with_origin(e, "strategy");
  }
  try {
    pruner = MakePruner(job.pruner, job.pruner_options);
  } catch (const Error& e) {
    throw with_origin(e, "pruner");
  }
  return std::make_unique<Study>(job.space, job.direction, std::move(sampler), std::move(pruner),
                                 job.stop);
}

TrialEvaluator CommandEvaluator(const TuningJob& job) {
  return [&job](int, const ParamValues& params, const std::function<bool(int64_t, double)>& report,
                const std::atomic<bool>* cancel) {
    return RunCommandTrial(job, params, report, cancel);
  };
}

TuneOutcome RunTuningJob(Study& study, int parallel, const TrialEvaluator& evaluate,
                         const std::function<void(const TuneProgress&)>& on_progress,
                         const std::atomic<bool>* cancel, const std::function<void()>& on_change) {
  const auto start = Clock::now();
  const int max_trials = study.stop_rules().max_trials;
  const double max_seconds = study.stop_rules().max_seconds;
  int earlier = 0;  // trials of the job being resumed
  for (const Trial& t : study.Snapshot()) earlier += !t.warm_start;
  std::mutex mu;
  std::exception_ptr failure;
  bool stop = false;
  std::string reason;
  int done = 0, running = 0;

  auto progress = [&] {  // under mu
    if (!on_progress) return;
    TuneProgress p;
    p.done = earlier + done;
    p.max_trials = max_trials;
    p.running = running;
    if (const Trial* best = study.Best()) p.best = best->value;
    p.elapsed = SecondsSince(start);
    if (done > 0 && max_trials > 0 && p.done < max_trials) {
      double left = p.elapsed / done * (max_trials - p.done);
      if (max_seconds > 0) left = std::min(left, max_seconds - p.elapsed);
      p.remaining = std::max(0.0, left);
    }
    on_progress(p);
  };

  auto worker = [&] {
    try {
      while (true) {
        int number = 0;
        ParamValues params;
        {
          std::lock_guard<std::mutex> lock(mu);
          if (stop || failure) return;
          if (cancel && cancel->load()) {
            reason = "interrupted";
            stop = true;
            return;
          }
          if (auto r = study.StopReason()) {
            if (reason.empty()) reason = *r;
            stop = true;
            return;
          }
          try {
            const Trial t = study.Ask();
            number = t.number;
            params = t.params;
          } catch (const Error& e) {
            if (e.code() != ErrorCode::kFailedPrecondition) throw;
            if (reason.empty()) reason = study.StopReason().value_or("max_trials");
            stop = true;
            return;
          }
          ++running;
          if (on_change) on_change();
        }
        auto report = [&, number](int64_t step, double value) {
          std::lock_guard<std::mutex> lock(mu);
          return study.Report(number, step, value);
        };
        TrialResult r;
        try {
          r = evaluate(number, params, report, cancel);
        } catch (const std::exception& e) {
          r.state = TrialState::kFailed;
          r.error = e.what();
        }
        std::lock_guard<std::mutex> lock(mu);
        --running;
        ++done;
        study.Tell(number, r.state, r.value, r.seconds, r.error);
        if (on_change) on_change();
        progress();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mu);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
  };

  const int threads =
      std::max(1, max_trials > 0 ? std::min(parallel, max_trials - earlier) : parallel);
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (failure) std::rethrow_exception(failure);
  TuneOutcome outcome;
  outcome.seconds = SecondsSince(start);
  outcome.stop_reason = reason.empty() ? study.StopReason().value_or("max_trials") : reason;
  return outcome;
}

nlohmann::json TrialToJson(const Trial& t) {
  nlohmann::json j;
  j["number"] = t.number;
  j["state"] = std::string(TrialStateName(t.state));
  j["value"] = t.value ? nlohmann::json(*t.value) : nlohmann::json(nullptr);
  j["params"] = ParamValuesToJson(t.params);
  j["seconds"] = t.seconds;
  if (!t.intermediate.empty()) {
    nlohmann::json steps = nlohmann::json::array();
    for (const auto& [step, value] : t.intermediate) steps.push_back({step, value});
    j["intermediate"] = steps;
  }
  if (!t.error.empty()) j["error"] = t.error;
  if (t.warm_start) j["warm_start"] = true;
  return j;
}

}  // namespace mloop::tune
