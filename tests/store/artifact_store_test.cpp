#include "mloop/store/artifact_store.h"

#include <gtest/gtest.h>

#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/store/local/local_artifact_store.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::ReadFile;
using testing::TempDir;

size_t FilesUnder(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

TEST(ArtifactStoreTest, ContentAddressedAndDeduplicated) {
  TempDir dir;
  auto store = OpenArtifactStore("file://" + (dir / "a").string(), true);
  std::string h = store->Put("hello");
  EXPECT_EQ(h, Sha256Hex("hello"));
  EXPECT_EQ(h, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
  EXPECT_TRUE(store->Contains(h));
  EXPECT_EQ(ReadFile(store->Fetch(h)), "hello");
  EXPECT_EQ(store->Put("hello"), h);
  EXPECT_EQ(FilesUnder(dir / "a"), 1u);
  EXPECT_EQ(store->Size(h), 5);
}

// Putting the same content again replaces a stored copy that was damaged (same size, one byte
// changed; or truncated), rather than trusting it: re-importing the source heals a dataset.
TEST(ArtifactStoreTest, PuttingTheSameBytesHealsADamagedCopy) {
  TempDir dir;
  auto store = OpenArtifactStore((dir / "a").string(), true);
  const std::string h = store->Put("hello world");
  const std::filesystem::path path = store->Fetch(h);
  for (const std::string damaged : {"hellO world", "hello"}) {
    std::filesystem::permissions(path, std::filesystem::perms::owner_write,
                                 std::filesystem::perm_options::add);
    testing::WriteFile(path, damaged);
    ASSERT_EQ(ReadFile(path), damaged);
    EXPECT_EQ(store->Put("hello world"), h);
    EXPECT_EQ(ReadFile(store->Fetch(h)), "hello world");
  }
  EXPECT_EQ(FilesUnder(dir / "a"), 1u);
}

TEST(ArtifactStoreTest, AnAbandonedWriteLeavesNothing) {
  TempDir dir;
  auto store = OpenArtifactStore((dir / "a").string(), true);
  {
    auto w = store->NewWriter();
    w->Write("partial", 7);
    // destroyed without Commit(), as when an import fails midway
  }
  EXPECT_EQ(FilesUnder(dir / "a"), 0u);
  EXPECT_FALSE(store->Contains(Sha256Hex("partial")));
}

TEST(ArtifactStoreTest, MissingBlobsAndBadAddresses) {
  TempDir dir;
  auto store = OpenArtifactStore((dir / "a").string(), true);
  try {
    store->Fetch(std::string(64, 'a'));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
  }
  EXPECT_THROW(store->Contains("../../etc/passwd"), Error);
  EXPECT_THROW(OpenArtifactStore((dir / "none").string(), false), Error);
  EXPECT_THROW(OpenArtifactStore("s4://bucket", true), Error);
}

}  // namespace
}  // namespace mloop
