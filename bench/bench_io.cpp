// Micro benchmarks of the ingest path: CSV parsing by column type, snapshot write and load.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "mloop/io/csv_reader.h"
#include "mloop/io/snapshot.h"

namespace {

std::filesystem::path MakeCsv(const std::string& kind, int rows) {
  auto path = std::filesystem::temp_directory_path() / ("mloop-bench-" + kind + ".csv");
  if (std::filesystem::exists(path)) return path;
  std::mt19937_64 rng(42);
  std::ofstream out(path);
  out << "a,b,c,d\n";
  for (int i = 0; i < rows; ++i) {
    for (int j = 0; j < 4; ++j) {
      if (j) out << ',';
      if (kind == "float") {
        out << std::uniform_real_distribution<double>(-100, 100)(rng);
      } else if (kind == "int") {
        out << static_cast<int64_t>(rng() % 1000000);
      } else {
        out << "\"cat_" << rng() % 50 << "\"";
      }
    }
    out << '\n';
  }
  return path;
}

void BM_ParseCsv(benchmark::State& state, const std::string& kind) {
  auto path = MakeCsv(kind, 200000);
  mloop::ReadOptions options;
  options.threads = static_cast<int>(state.range(0));
  for (auto _ : state) {
    auto r = mloop::ReadCsv(path, options);
    benchmark::DoNotOptimize(r.table.num_rows());
  }
  state.SetBytesProcessed(state.iterations() *
                          static_cast<int64_t>(std::filesystem::file_size(path)));
}
BENCHMARK_CAPTURE(BM_ParseCsv, float, std::string("float"))->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_ParseCsv, int, std::string("int"))->Arg(1)->Arg(2)->UseRealTime();
BENCHMARK_CAPTURE(BM_ParseCsv, string, std::string("string"))->Arg(1)->Arg(2)->UseRealTime();

void BM_Snapshot(benchmark::State& state) {
  auto table = mloop::ReadCsv(MakeCsv("float", 200000), {}).table;
  mloop::StringSink sink;
  mloop::WriteSnapshot(table, sink);
  auto path = std::filesystem::temp_directory_path() / "mloop-bench.snap";
  std::ofstream(path, std::ios::binary) << sink.bytes();
  for (auto _ : state) {
    auto t = mloop::ReadSnapshot(path);
    benchmark::DoNotOptimize(t.num_rows());
  }
  state.SetBytesProcessed(state.iterations() * table.MemoryBytes());
}
BENCHMARK(BM_Snapshot)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
