#include "mloop/data/datasets.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <fstream>

#include "mloop/core/error.h"
#include "mloop/data/dataset_ref.h"
#include "test_util.h"

namespace mloop {
namespace {

using testing::TempDir;
using testing::WriteFile;

size_t FilesUnder(const std::filesystem::path& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) n += e.is_regular_file();
  return n;
}

class DatasetsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ws_ = Workspace::Init(dir_ / "ws");
    ws_->set_clock(std::make_unique<ManualClock>(1700000000000000));
  }
  ImportResult Import(const std::string& name, const std::string& csv) {
    ImportRequest r;
    r.name = name;
    r.file = WriteFile(dir_ / (name + ".csv"), csv);
    return ImportDataset(*ws_, r);
  }
  TempDir dir_;
  std::unique_ptr<Workspace> ws_;
};

TEST_F(DatasetsTest, ImportLoadAndVersioning) {
  auto r1 = Import("d", "a,b\n1,x\n2,y\n");
  EXPECT_TRUE(r1.created);
  EXPECT_EQ(r1.version.version, 1);
  EXPECT_EQ(r1.version.num_rows, 2);
  EXPECT_EQ(r1.version.created_at_us, 1700000000000000);
  Table t = LoadDataset(*ws_, ResolveDataset(*ws_, ParseDatasetRef("d@1")));
  EXPECT_EQ(t.column("b").StringAt(1), "y");

  // The same content again (even from another file with CRLF line ends): no new version.
  auto same = Import("d", "a,b\r\n1,x\r\n2,y\r\n");
  EXPECT_FALSE(same.created);
  EXPECT_EQ(same.version.version, 1);

  auto r2 = Import("d", "a,b\n1,x\n2,y\n3,z\n");
  EXPECT_TRUE(r2.created);
  EXPECT_EQ(r2.version.version, 2);
  EXPECT_EQ(ResolveDataset(*ws_, ParseDatasetRef("d")).version, 2);
  EXPECT_EQ(ResolveDataset(*ws_, ParseDatasetRef("d@1")).num_rows, 2);
}

TEST_F(DatasetsTest, TheSameFileWithTheSameOptionsIsNotReadAgain) {
  auto first = Import("d", "a,b\n1,x\n2,y\n");
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(first.reused);
  EXPECT_FALSE(first.version.import_key.empty());

  ImportRequest r;
  r.name = "d";
  r.file = dir_ / "d.csv";
  r.keep_table = true;
  auto again = ImportDataset(*ws_, r);
  EXPECT_TRUE(again.reused);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(again.version.version, 1);
  EXPECT_EQ(again.rows_imported, 2);
  EXPECT_TRUE(again.table.Equals(LoadDataset(*ws_, first.version)));

  // Another option that decides the table: read again (and here, another table).
  r.read.types = {{"a", DataType::kFloat64}};
  auto typed = ImportDataset(*ws_, r);
  EXPECT_FALSE(typed.reused);
  EXPECT_TRUE(typed.created);
  EXPECT_EQ(typed.version.version, 2);

  // The file changed, keeping its size: read again.
  r.read.types.clear();
  WriteFile(dir_ / "d.csv", "a,b\n1,x\n3,y\n");
  auto changed = ImportDataset(*ws_, r);
  EXPECT_FALSE(changed.reused);
  EXPECT_EQ(changed.version.version, 3);
  EXPECT_EQ(changed.table.column("a").i64()[1], 3);

  // Another dataset name: its own version, read from the file.
  r.name = "e";
  EXPECT_FALSE(ImportDataset(*ws_, r).reused);
  EXPECT_EQ(ws_->metadata().ListDatasets().size(), 2u);
  EXPECT_EQ(ws_->metadata().ListDatasets()[0].versions, 3);
}

TEST_F(DatasetsTest, AnImportWithRejectedRowsOrAMissingSnapshotIsReadAgain) {
  ImportRequest r;
  r.name = "d";
  r.file = WriteFile(dir_ / "d.csv", "a,b\n1,x\n2\n3,z\n");
  r.read.on_bad_rows = BadRowPolicy::kSkip;
  r.rejects_path = dir_ / "rejects.jsonl";
  ImportDataset(*ws_, r);
  std::filesystem::remove(r.rejects_path);
  auto again = ImportDataset(*ws_, r);
  EXPECT_FALSE(again.reused);  // the rejected row is reported and written again
  EXPECT_EQ(again.rows_rejected, 1);
  EXPECT_TRUE(std::filesystem::exists(r.rejects_path));

  auto clean = Import("c", "a\n1\n2\n");
  std::filesystem::remove(ws_->artifacts().Fetch(clean.version.content_hash));
  ImportRequest c;
  c.name = "c";
  c.file = dir_ / "c.csv";
  c.keep_table = true;
  auto restored = ImportDataset(*ws_, c);
  EXPECT_FALSE(restored.reused);
  EXPECT_EQ(restored.table.num_rows(), 2);
}

TEST_F(DatasetsTest, FailedImportStoresNothing) {
  EXPECT_THROW(Import("d", "a,b\n1,x\n2\n"), Error);
  EXPECT_TRUE(ws_->metadata().ListDatasets().empty());
  EXPECT_EQ(FilesUnder(ws_->root() / ".mloop" / "artifacts"), 0u);
}

TEST_F(DatasetsTest, InterruptionBeforeCommitLeavesNoDataset) {
  ImportRequest r;
  r.name = "d";
  r.file = WriteFile(dir_ / "d.csv", "a\n1\n");
  EXPECT_THROW(ImportDataset(*ws_, r, [] { throw IoError("simulated crash before commit"); }),
               Error);
  EXPECT_TRUE(ws_->metadata().ListDatasets().empty());
  EXPECT_THROW(ResolveDataset(*ws_, ParseDatasetRef("d")), Error);
  // The next import succeeds and is version 1.
  EXPECT_EQ(ImportDataset(*ws_, r).version.version, 1);
}

// A file written while it is imported (cut short, rewritten in place at the same size) would be
// stored torn, under the import key of bytes it does not hold, and found "unchanged" at every
// later import of the real file: refused, nothing recorded, and the next import reads it whole.
TEST_F(DatasetsTest, AFileChangedDuringImportIsRefused) {
  ImportRequest r;
  r.name = "d";
  r.file = WriteFile(dir_ / "d.csv", "a,b\n1,old\n2,old\n3,old\n");
  for (const std::string rewrite : {"a,b\n1,old\n", "a,b\n1,new\n2,new\n3,new\n"}) {
    ErrorCode code{};
    std::string message;
    try {
      ImportDataset(*ws_, r, [&] {
        // Rewritten in place (same inode); a later modification time, as any write gives.
        std::ofstream(r.file, std::ios::in | std::ios::out | std::ios::trunc) << rewrite;
        std::filesystem::last_write_time(
            r.file, std::filesystem::last_write_time(r.file) + std::chrono::seconds(1));
      });
    } catch (const Error& e) {
      code = e.code();
      message = e.what();
    }
    EXPECT_EQ(code, ErrorCode::kDataError) << message;
    EXPECT_NE(message.find("while it was being imported"), std::string::npos) << message;
    EXPECT_TRUE(ws_->metadata().ListDatasets().empty());
    WriteFile(r.file, "a,b\n1,old\n2,old\n3,old\n");
  }
  EXPECT_EQ(ImportDataset(*ws_, r).version.num_rows, 3);
}

TEST_F(DatasetsTest, SkipPolicyNumbersAddUp) {
  ImportRequest r;
  r.name = "d";
  r.file = WriteFile(dir_ / "d.csv", "a,b\n1,x\n2\n3,z\n4,w,extra\n");
  r.read.on_bad_rows = BadRowPolicy::kSkip;
  r.rejects_path = dir_ / "rejects.jsonl";
  auto res = ImportDataset(*ws_, r);
  EXPECT_EQ(res.rows_imported, 2);
  EXPECT_EQ(res.rows_rejected, 2);
  EXPECT_EQ(res.version.rejected_rows, 2);
  std::string rejects = testing::ReadFile(dir_ / "rejects.jsonl");
  EXPECT_NE(rejects.find("\"line\":3"), std::string::npos) << rejects;
  EXPECT_NE(rejects.find("\"text\":\"4,w,extra\""), std::string::npos) << rejects;
}

// Skipping bad rows never skips the rest of the file: a quote that is never closed before the
// last line is refused (it would make every later line one rejected row); on the last line it
// is one bad row like another.
TEST_F(DatasetsTest, SkipRefusesAQuoteThatSwallowsTheRestOfTheFile) {
  ImportRequest r;
  r.name = "d";
  r.file = WriteFile(dir_ / "d.csv", "a,b\n1,x\n2,\"Smith, J\n3,y\n4,z\n");
  r.read.on_bad_rows = BadRowPolicy::kSkip;
  r.rejects_path = dir_ / "rejects.jsonl";
  std::string message;
  try {
    ImportDataset(*ws_, r);
  } catch (const Error& e) {
    message = e.what();
  }
  EXPECT_NE(message.find("d.csv:3:3: a quote opened here is never closed, so the rest of the "
                         "input (3 lines) would be one rejected row"),
            std::string::npos)
      << message;
  EXPECT_TRUE(ws_->metadata().ListDatasets().empty());
  r.file = WriteFile(dir_ / "d.csv", "a,b\n1,x\n2,\"Smith, J\n");
  EXPECT_EQ(ImportDataset(*ws_, r).rows_rejected, 1);
}

// The rejects file is never the SQLite database the rows come from.
TEST_F(DatasetsTest, RejectsFileIsNeverTheDatabase) {
  const auto db_path = dir_ / "shop.db";
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "CREATE TABLE t (id INTEGER, qty TEXT); INSERT INTO t VALUES (1, '5'), "
                         "(2, 'five'), (3, '7');",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  const std::string before = testing::ReadFile(db_path);
  ImportRequest r;
  r.name = "shop";
  r.sqlite_db = db_path;
  r.sql = "SELECT id, qty FROM t";
  r.read.types = {{"qty", DataType::kInt64}};
  r.read.on_bad_rows = BadRowPolicy::kSkip;
  r.rejects_path = db_path;
  EXPECT_THROW(ImportDataset(*ws_, r), Error);
  EXPECT_EQ(testing::ReadFile(db_path), before);
  EXPECT_TRUE(ws_->metadata().ListDatasets().empty());
  r.rejects_path = dir_ / "shop.rejects.jsonl";
  EXPECT_EQ(ImportDataset(*ws_, r).rows_rejected, 1);
}

TEST_F(DatasetsTest, UnknownDatasetsSuggestNames) {
  Import("customers", "a\n1\n");
  try {
    ResolveDataset(*ws_, ParseDatasetRef("customer"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("did you mean 'customers'"), std::string::npos);
  }
  try {
    ResolveDataset(*ws_, ParseDatasetRef("customers@5"));
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no version 5"), std::string::npos);
  }
  EXPECT_THROW(ParseDatasetRef("bad name"), Error);
  EXPECT_THROW(ParseDatasetRef("x@0"), Error);
  EXPECT_THROW(ParseDatasetRef("x@-1"), Error);
  EXPECT_EQ(ParseDatasetRef("x@latest").version, 0);
}

TEST(DatasetNameFromFileTest, AFileNameBecomesAPlainName) {
  EXPECT_EQ(DatasetNameFromFile("data/churn.csv.gz"), "churn");
  EXPECT_EQ(DatasetNameFromFile("/tmp/my data (2).csv"), "my_data__2_");
  // Accented Latin letters lose their accents; any other character is one '_', whatever the
  // length of its UTF-8 sequence.
  EXPECT_EQ(DatasetNameFromFile("données.csv"), "donnees");
  EXPECT_EQ(DatasetNameFromFile("donne\xcc\x81"
                                "es.csv"),
            "donnees");  // e + combining acute
  EXPECT_EQ(DatasetNameFromFile("Straße_Übersicht.jsonl"), "Strasse_Ubersicht");
  EXPECT_EQ(DatasetNameFromFile("ventes_€.csv"), "ventes__");
  EXPECT_EQ(DatasetNameFromFile("日本.csv"), "d__");
  EXPECT_EQ(DatasetNameFromFile("x\xff\xfe.csv"), "x__");
  EXPECT_EQ(DatasetNameFromFile(".csv"), "d.csv");
  for (const char* file : {"données.csv", "日本.csv", "x\xff.csv", "_a.csv"}) {
    EXPECT_NO_THROW(ValidateDatasetName(DatasetNameFromFile(file))) << file;
  }
}

TEST_F(DatasetsTest, CorruptedSnapshotIsReportedNotRead) {
  auto r = Import("d", "a,b\n1,x\n2,y\n");
  auto path = ws_->artifacts().Fetch(r.version.content_hash);
  std::string bytes = testing::ReadFile(path);
  bytes[20] = static_cast<char>(bytes[20] ^ 1);
  std::filesystem::permissions(path, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  WriteFile(path, bytes);
  try {
    LoadDataset(*ws_, r.version);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kCorruption);
  }
}

TEST(WorkspaceTest, FoundByWalkingUpAndInitTwiceFails) {
  TempDir dir;
  Workspace::Init(dir / "w");
  std::filesystem::create_directories(dir / "w" / "a" / "b");
  auto ws = Workspace::Open({}, dir / "w" / "a" / "b", {});
  EXPECT_EQ(ws->root(), std::filesystem::canonical(dir / "w"));
  EXPECT_THROW(Workspace::Init(dir / "w"), Error);
  try {
    Workspace::Open({}, dir.path(), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kNotFound);
    EXPECT_NE(e.hint().find("mloop init"), std::string::npos);
  }
  // A --workspace inside a workspace (a folder of it, its .mloop or mloop.yaml) points to it;
  // a file that is not in one is named as a file; only a directory elsewhere is told to init.
  const std::string root = std::filesystem::canonical(dir / "w").string();
  for (const char* inside : {"a/b", ".mloop", "mloop.yaml", "a/new"}) {
    try {
      Workspace::Open(dir / "w" / inside, dir.path(), {});
      ADD_FAILURE() << inside;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("is inside the workspace " + root), std::string::npos)
          << e.what();
      EXPECT_EQ(e.hint(),
                "pass --workspace " + root + " (or leave it out anywhere inside that workspace)");
    }
  }
  testing::WriteFile(dir / "afile", "x");
  try {
    Workspace::Open(dir / "afile", dir.path(), {});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is a file, not a workspace directory"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace mloop
