// mloop_profile_bench FILE.csv [ROUNDS] [THREADS]: reads the CSV into a table (not timed), then
// times ComputeProfile (every column's statistics, quantiles, histograms, top values, Pearson,
// Spearman, Cramer's V, duplicate rows, alerts) and prints one JSON line: the read time, the
// fastest and median profile times over ROUNDS, the least CPU time (all threads, user + system)
// of a round, and the table's shape.
// bench/profile_vs_pandas.sh runs it beside pandas' describe + histograms + corr.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mloop/io/csv_reader.h"
#include "mloop/profile/profile.h"

namespace {

// User + system CPU time of the process: page faults are part of the cost.
double CpuSeconds() {
  rusage u;
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec * 1e-6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE.csv [ROUNDS] [THREADS]\n", argv[0]);
    return 2;
  }
  try {
    const int rounds = argc > 2 ? std::max(1, std::atoi(argv[2])) : 3;
    mloop::ProfileOptions options;
    options.threads = argc > 3 ? std::atoi(argv[3]) : 0;
    auto t0 = std::chrono::steady_clock::now();
    mloop::ReadResult read = mloop::ReadCsv(argv[1], mloop::ReadOptions{});
    const double read_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::vector<double> times, cpu;
    mloop::Profile profile;
    for (int r = 0; r < rounds; ++r) {
      const double cpu0 = CpuSeconds();
      profile = mloop::ComputeProfile(read.table, options);
      cpu.push_back(CpuSeconds() - cpu0);
      times.push_back(profile.seconds);
    }
    std::sort(times.begin(), times.end());
    std::sort(cpu.begin(), cpu.end());
    std::printf(
        "{\"rows\": %lld, \"columns\": %lld, \"read_seconds\": %.4f, \"profile_seconds\": %.4f, "
        "\"profile_median_seconds\": %.4f, \"profile_cpu_seconds\": %.4f, \"rounds\": %d, "
        "\"alerts\": %zu}\n",
        static_cast<long long>(profile.rows), static_cast<long long>(profile.columns), read_s,
        times.front(), times[times.size() / 2], cpu.front(), rounds, profile.alerts.size());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
