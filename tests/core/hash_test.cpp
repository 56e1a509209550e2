// File digests: SHA-256 (content addresses) and XXH3-128 (data imports' keys).
#include "mloop/core/hash.h"

#include <gtest/gtest.h>

#include "mloop/core/error.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

TEST(HashTest, FileDigestsCoverEveryByte) {
  TempDir dir;
  const std::string big(3 << 20, 'x');  // several read chunks
  WriteFile(dir / "a", big + "a");
  WriteFile(dir / "b", big + "b");
  EXPECT_EQ(Sha256File(dir / "a"), Sha256Hex(big + "a"));
  EXPECT_NE(Sha256File(dir / "a"), Sha256File(dir / "b"));

  const std::string key = Xxh3File128Hex(dir / "a");
  EXPECT_EQ(key.size(), 32u);
  EXPECT_EQ(key.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(key, Xxh3File128Hex(dir / "b"));
  // The prefix is hashed as if it came first in the file.
  WriteFile(dir / "tail", "cd");
  WriteFile(dir / "whole", "abcd");
  EXPECT_EQ(Xxh3File128Hex(dir / "tail", "ab"), Xxh3File128Hex(dir / "whole"));
  EXPECT_NE(Xxh3File128Hex(dir / "tail", "ab"), Xxh3File128Hex(dir / "tail"));
  EXPECT_THROW(Xxh3File128Hex(dir / "missing"), Error);
}

}  // namespace
}  // namespace mloop
