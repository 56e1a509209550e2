#include "mloop/store/sqlite/sqlite_db.h"

#include <filesystem>

#include "mloop/core/error.h"

namespace mloop::sqlite {

Db::Db(const std::string& path, bool create) : path_(path) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    if (rc == SQLITE_CANTOPEN && !create) {
      throw NotFound("metadata store '" + path + "' does not exist");
    }
    throw IoError("cannot open metadata store '" + path + "': " + msg);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
  sqlite3_close(db_);
}

void Db::Fail(const std::string& what, int rc) {
  std::string msg = what + " in '" + path_ + "': " + sqlite3_errmsg(db_);
  int primary = rc & 0xFF;
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw Error(ErrorCode::kUnavailable, msg, "another mloop process holds the store; try again");
  }
  if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB) {
    throw Corruption("the metadata store is damaged: " + msg,
                     "restore it from a backup (the datasets and models themselves are files in "
                     "the artifact store)");
  }
  if (primary == SQLITE_CONSTRAINT) throw AlreadyExists(msg);
  const std::string dir = std::filesystem::path(path_).parent_path().string();
  if (primary == SQLITE_READONLY) {
    throw Error(ErrorCode::kFailedPrecondition,
                "the metadata store is read-only for this user: " + msg,
                "mloop writes to " + dir +
                    " even to list or show (it records and recovers runs): run it as a user "
                    "who may write there, or on a copy of the workspace");
  }
  if (primary == SQLITE_FULL) {
    throw IoError("the disk holding the metadata store is full: " + msg,
                  "free space on the file system of " + dir + ", then run the command again");
  }
  if (primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) {
    throw IoError(msg, "check that " + dir +
                           " is writable and its disk is not full (a full disk shows as an I/O "
                           "error); nothing was changed");
  }
  throw IoError(msg);
}

void Db::Exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);
    Fail("SQL failed", rc);
  }
}

Statement Db::Prepare(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
  if (rc != SQLITE_OK) Fail("cannot prepare statement", rc);
  return Statement(*this, stmt);
}

Statement& Statement::Bind(int i, int64_t v) {
  int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK) db_->Fail("bind", rc);
  return *this;
}

Statement& Statement::Bind(int i, std::string_view v) {
  int rc = sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->Fail("bind", rc);
  return *this;
}

Statement& Statement::BindDouble(int i, double v) {
  int rc = sqlite3_bind_double(stmt_, i, v);
  if (rc != SQLITE_OK) db_->Fail("bind", rc);
  return *this;
}

bool Statement::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  db_->Fail("statement failed", rc);
}

std::string Statement::Text(int col) {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

Transaction::Transaction(Db& db) : db_(db) {
  db_.Exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

void Transaction::Commit() {
  db_.Exec("COMMIT");
  done_ = true;
}

}  // namespace mloop::sqlite
