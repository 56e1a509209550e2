// Random and mutated inputs: the readers either read them or raise mloop::Error. Never a crash,
// a hang or another exception type. Deterministic seeds, so a failure reproduces.
#include <gtest/gtest.h>

#include <random>

#include "mloop/core/error.h"
#include "mloop/io/csv_reader.h"
#include "mloop/io/jsonl_reader.h"
#include "mloop/io/snapshot.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

std::string Mutate(std::string s, std::mt19937& rng) {
  static const char kAlphabet[] = ",;\t|\"\n\r ax1.-eE{}[]:\\\xEF\xBB\xBF\xFF\x00";
  int edits = 1 + static_cast<int>(rng() % 8);
  for (int e = 0; e < edits && !s.empty(); ++e) {
    size_t pos = rng() % s.size();
    char c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
    switch (rng() % 3) {
      case 0:
        s[pos] = c;
        break;
      case 1:
        s.insert(s.begin() + static_cast<long>(pos), c);
        break;
      default:
        s.erase(pos, 1 + rng() % 3);
        break;
    }
  }
  return s;
}

template <typename Fn>
void ExpectReadOrError(const std::string& input, Fn&& read) {
  try {
    read();
  } catch (const Error&) {
    // A clear error is a fine outcome.
  } catch (const std::exception& e) {
    ADD_FAILURE() << "non-mloop exception " << e.what() << " for input:\n" << input;
  }
}

TEST(ReaderFuzzTest, CsvMutations) {
  TempDir dir;
  const std::string seed =
      "id,name,score,when,flag\n1,\"a, b\",1.5,2024-01-01,true\n2,\"say \"\"hi\"\"\",NA,"
      "2024-02-03T04:05:06Z,false\n3,\"multi\nline\",-7e3,,true\n";
  std::mt19937 rng(12345);
  for (int i = 0; i < 400; ++i) {
    std::string input = Mutate(seed, rng);
    auto path = WriteFile(dir / "f.csv", input);
    for (auto policy : {BadRowPolicy::kFail, BadRowPolicy::kSkip}) {
      ReadOptions o;
      o.on_bad_rows = policy;
      o.sample_rows = 1 + static_cast<int64_t>(rng() % 3);
      if (i % 2) o.types = {{"score", DataType::kFloat64}};
      ExpectReadOrError(input, [&] { ReadCsv(path, o); });
    }
  }
}

TEST(ReaderFuzzTest, JsonLinesMutations) {
  TempDir dir;
  const std::string seed =
      "{\"id\": 1, \"name\": \"a\", \"x\": 1.5, \"t\": \"2024-01-01\"}\n"
      "{\"id\": 2, \"name\": null, \"x\": [1, 2], \"ok\": true}\n";
  std::mt19937 rng(777);
  for (int i = 0; i < 400; ++i) {
    std::string input = Mutate(seed, rng);
    auto path = WriteFile(dir / "f.jsonl", input);
    ReadOptions o;
    o.on_bad_rows = i % 2 ? BadRowPolicy::kSkip : BadRowPolicy::kFail;
    ExpectReadOrError(input, [&] { ReadJsonLines(path, o); });
  }
}

TEST(ReaderFuzzTest, RandomBytes) {
  TempDir dir;
  std::mt19937 rng(99);
  for (int i = 0; i < 200; ++i) {
    std::string input(rng() % 300, '\0');
    for (auto& c : input) c = static_cast<char>(rng() % 256);
    auto path = WriteFile(dir / "r.bin", input);
    ExpectReadOrError(input, [&] { ReadCsv(path, {}); });
    ExpectReadOrError(input, [&] { ReadJsonLines(path, {}); });
    ExpectReadOrError(input, [&] { ReadSnapshot(path); });
  }
}

}  // namespace
}  // namespace mloop
