#include "mloop/profile/profile_store.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "mloop/core/error.h"
#include "mloop/data/datasets.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

class ProfileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = Workspace::Init(dir_ / "ws");
    clock_ = new ManualClock(1700000000000000);
    ws_->set_clock(std::unique_ptr<Clock>(clock_));
  }
  DatasetVersion Import(const std::string& name, const std::string& csv) {
    ImportRequest r;
    r.name = name;
    r.file = WriteFile(dir_ / (name + ".csv"), csv);
    return ImportDataset(*ws_, r).version;
  }
  TempDir dir_;
  std::unique_ptr<Workspace> ws_;
  ManualClock* clock_ = nullptr;  // owned by ws_
};

constexpr const char* kCsv =
    "x,city,label\n1.5,Berlin,yes\n2.5,Paris,no\n3.5,Berlin,yes\n,Rome,no\n10,Berlin,yes\n";

TEST_F(ProfileStoreTest, ComputesStoresAndLoadsBack) {
  DatasetVersion v = Import("d", kCsv);
  EXPECT_FALSE(LoadStoredProfile(*ws_, "d", 1));

  StoredProfile stored = ProfileDataset(*ws_, v, ProfileOptions{});
  EXPECT_EQ(stored.profile.rows, 5);
  EXPECT_EQ(stored.profile.columns, 3);
  EXPECT_EQ(stored.record.dataset, "d");
  EXPECT_EQ(stored.record.version, 1);
  EXPECT_EQ(stored.record.target, "");
  EXPECT_EQ(stored.record.created_at_us, 1700000000000000);
  ASSERT_EQ(stored.record.profile_hash.size(), 64u);
  EXPECT_TRUE(ws_->artifacts().Contains(stored.record.profile_hash));

  auto loaded = LoadStoredProfile(*ws_, "d", 1);
  ASSERT_TRUE(loaded);
  EXPECT_EQ(loaded->record.profile_hash, stored.record.profile_hash);
  EXPECT_EQ(ProfileToJson(loaded->profile), ProfileToJson(stored.profile));
  const ColumnProfile* x = loaded->profile.Find("x");
  ASSERT_NE(x, nullptr);
  EXPECT_EQ(x->missing, 1);
  EXPECT_DOUBLE_EQ(*x->mean, 4.375);
}

TEST_F(ProfileStoreTest, ProfilesAreKeptPerTargetAndTheNewestWins) {
  DatasetVersion v = Import("d", kCsv);
  ProfileOptions with_target;
  with_target.target = "label";
  StoredProfile t = ProfileDataset(*ws_, v, with_target);
  ASSERT_TRUE(t.profile.target);
  EXPECT_EQ(t.record.target, "label");
  // Only the profile with that target is found for it.
  EXPECT_FALSE(LoadStoredProfile(*ws_, "d", 1, ""));
  auto found = LoadStoredProfile(*ws_, "d", 1, "label");
  ASSERT_TRUE(found);
  ASSERT_TRUE(found->profile.target);
  EXPECT_EQ(found->profile.target->column, "label");

  // Profiled again with other options: the newer profile is the one found.
  clock_->Advance(1000);
  ProfileOptions fewer_bins = with_target;
  fewer_bins.bins = 2;
  StoredProfile again = ProfileDataset(*ws_, v, fewer_bins);
  found = LoadStoredProfile(*ws_, "d", 1, "label");
  ASSERT_TRUE(found);
  EXPECT_EQ(found->record.created_at_us, 1700000000001000);
  EXPECT_EQ(found->profile.Find("x")->histogram->counts.size(), 2u);
}

TEST_F(ProfileStoreTest, AnUnknownTargetStoresNothing) {
  DatasetVersion v = Import("d", kCsv);
  ProfileOptions o;
  o.target = "lable";
  try {
    ProfileDataset(*ws_, v, o);
    FAIL() << "profiled against a missing target";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(std::string(e.what()).find("label"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(LoadStoredProfile(*ws_, "d", 1, "lable"));
}

TEST_F(ProfileStoreTest, AMissingOrDamagedBlobIsCorruption) {
  DatasetVersion v = Import("d", kCsv);
  // A record pointing at a blob the store does not have.
  ws_->metadata().AddProfile({"d", 1, "", std::string(64, 'a'), 1});
  try {
    LoadStoredProfile(*ws_, "d", 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  }
  // A blob that is not a profile.
  std::string hash = ws_->artifacts().Put("not json");
  ws_->metadata().AddProfile({"d", 1, "", hash, 2});
  try {
    LoadStoredProfile(*ws_, "d", 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  }
  // Profiling again repairs it.
  ProfileDataset(*ws_, v, ProfileOptions{});
  EXPECT_TRUE(LoadStoredProfile(*ws_, "d", 1));
}

}  // namespace
}  // namespace mloop
