#include "mloop/store/metadata_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "mloop/core/error.h"
#include "mloop/store/sqlite/sqlite_metadata_store.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;

DatasetVersion Version(const std::string& name, const std::string& hash) {
  DatasetVersion v;
  v.name = name;
  v.content_hash = hash;
  v.num_rows = 10;
  v.num_columns = 2;
  v.schema_json = "[]";
  v.source_uri = "/data/x.csv";
  v.source_format = "csv";
  v.options_json = "{}";
  v.created_at_us = 1700000000000000;
  return v;
}

// The shared contract every MetadataStore backend must meet. (PostgreSQL joins in a later issue.)
class MetadataStoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = OpenMetadataStore("sqlite://" + (dir_ / "m.db").string(), true);
  }
  TempDir dir_;
  std::unique_ptr<MetadataStore> store_;
};

TEST_F(MetadataStoreContract, VersionsCountUpAndIdenticalContentIsReused) {
  bool created = false;
  auto v1 = store_->AddDatasetVersion(Version("a", "h1"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(v1.version, 1);
  auto v2 = store_->AddDatasetVersion(Version("a", "h2"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(v2.version, 2);
  auto again = store_->AddDatasetVersion(Version("a", "h1"), &created);
  EXPECT_FALSE(created);
  EXPECT_EQ(again.version, 1);
  // The same content under another name is another dataset.
  auto b = store_->AddDatasetVersion(Version("b", "h1"), &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(b.version, 1);
}

TEST_F(MetadataStoreContract, FindListAndLatest) {
  bool created;
  store_->AddDatasetVersion(Version("a", "h1"), &created);
  store_->AddDatasetVersion(Version("a", "h2"), &created);
  store_->AddDatasetVersion(Version("b", "h3"), &created);
  EXPECT_EQ(store_->FindDatasetVersion("a", 0)->content_hash, "h2");
  EXPECT_EQ(store_->FindDatasetVersion("a", 1)->content_hash, "h1");
  EXPECT_FALSE(store_->FindDatasetVersion("a", 3));
  EXPECT_FALSE(store_->FindDatasetVersion("zzz", 0));
  EXPECT_EQ(store_->ListDatasetVersions("a").size(), 2u);
  auto all = store_->ListDatasets();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].name, "a");
  EXPECT_EQ(all[0].versions, 2);
  EXPECT_EQ(all[0].latest.version, 2);
  auto found = *store_->FindDatasetVersion("a", 1);
  EXPECT_EQ(found.source_uri, "/data/x.csv");
  EXPECT_EQ(found.created_at_us, 1700000000000000);
}

TEST(SqliteMetadataStoreTest, MigratesAndRecordsSchemaVersion) {
  TempDir dir;
  auto path = (dir / "m.db").string();
  {
    SqliteMetadataStore store(path, true);
    EXPECT_EQ(store.SchemaVersion(), SqliteMetadataStore::LatestSchemaVersion());
  }
  // Reopening applies nothing new and keeps the data.
  SqliteMetadataStore again(path, false);
  EXPECT_EQ(again.SchemaVersion(), SqliteMetadataStore::LatestSchemaVersion());
}

TEST(SqliteMetadataStoreTest, RefusesANewerSchema) {
  TempDir dir;
  auto path = (dir / "m.db").string();
  { SqliteMetadataStore store(path, true); }
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_migrations VALUES (999, 'from the future', 0)",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  try {
    SqliteMetadataStore store(path, false);
    FAIL() << "opened a newer schema";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kFailedPrecondition);
    EXPECT_NE(std::string(e.what()).find("schema version 999"), std::string::npos) << e.what();
  }
}

TEST(SqliteMetadataStoreTest, MissingStoreIsNotCreatedUnlessAsked) {
  TempDir dir;
  EXPECT_THROW(SqliteMetadataStore((dir / "none.db").string(), false), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "none.db"));
}

TEST(SqliteMetadataStoreTest, UsesWalAndForeignKeys) {
  TempDir dir;
  auto path = (dir / "m.db").string();
  SqliteMetadataStore store(path, true);
  sqlite3* db;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st;
  sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

TEST(StoreFactoryTest, UnknownSchemesListTheKnownOnes) {
  try {
    OpenMetadataStore("mysql://x", true);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.hint()).find("sqlite://"), std::string::npos);
  }
}

}  // namespace
}  // namespace mloop
