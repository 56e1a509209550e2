// mloop_ingest_bench FILE [THREADS]: times mloop's own ingest steps on FILE and prints one JSON
// line: CSV parse, snapshot write (to a temporary file) and snapshot load, with the in-memory
// size of the columns. bench/run.sh runs it beside pandas.read_csv on the same file.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "mloop/core/error.h"
#include "mloop/io/csv_reader.h"
#include "mloop/io/snapshot.h"

namespace {

double Seconds(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

class FileSink : public mloop::ByteSink {
 public:
  explicit FileSink(const std::filesystem::path& p) : out_(p, std::ios::binary) {}
  void Write(const void* d, size_t n) override {
    out_.write(static_cast<const char*>(d), static_cast<std::streamsize>(n));
  }

 private:
  std::ofstream out_;
};

long PeakRssKb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [THREADS]\n", argv[0]);
    return 2;
  }
  try {
    mloop::ReadOptions options;
    options.threads = argc > 2 ? std::atoi(argv[2]) : 0;
    auto t0 = std::chrono::steady_clock::now();
    mloop::ReadResult r = mloop::ReadCsv(argv[1], options);
    double parse = Seconds(t0);
    long parse_rss = PeakRssKb();

    auto snap = std::filesystem::temp_directory_path() /
                ("mloop-bench-" + std::to_string(getpid()) + ".snap");
    t0 = std::chrono::steady_clock::now();
    {
      FileSink sink(snap);
      mloop::WriteSnapshot(r.table, sink);
    }
    double write = Seconds(t0);
    int64_t rows = r.table.num_rows();
    int64_t bytes = r.table.MemoryBytes();
    r = mloop::ReadResult();  // free the parsed table before loading

    t0 = std::chrono::steady_clock::now();
    mloop::Table loaded = mloop::ReadSnapshot(snap, options.threads);
    double load = Seconds(t0);
    auto snap_size = std::filesystem::file_size(snap);
    std::filesystem::remove(snap);
    std::printf(
        "{\"rows\": %lld, \"columns\": %d, \"column_bytes\": %lld, \"parse_s\": %.4f, "
        "\"parse_peak_rss_kb\": %ld, \"snapshot_write_s\": %.4f, \"snapshot_load_s\": %.4f, "
        "\"snapshot_bytes\": %llu}\n",
        static_cast<long long>(rows), loaded.num_columns(), static_cast<long long>(bytes), parse,
        parse_rss, write, load, static_cast<unsigned long long>(snap_size));
  } catch (const mloop::Error& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
