// A thin RAII layer over the SQLite C API for the store backends: a connection, prepared
// statements with typed binds, and transactions. Errors become mloop::Error.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace mloop::sqlite {

class Statement;

class Db {
 public:
  // Opens (and with `create`, creates) the database file.
  Db(const std::string& path, bool create);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  void Exec(const std::string& sql);
  Statement Prepare(const std::string& sql);
  sqlite3* handle() { return db_; }
  // The connection is shared by the threads of one process: each store method holds this lock
  // for its whole transaction (recursive, so a method may call another).
  std::unique_lock<std::recursive_mutex> Lock() { return std::unique_lock(mu_); }
  const std::string& path() const { return path_; }
  [[noreturn]] void Fail(const std::string& what, int rc);

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
  std::recursive_mutex mu_;
};

class Statement {
 public:
  Statement(Db& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_) { o.stmt_ = nullptr; }
  Statement(const Statement&) = delete;

  Statement& Bind(int i, int64_t v);
  Statement& Bind(int i, std::string_view v);
  Statement& Bind(int i, const std::string& v) { return Bind(i, std::string_view(v)); }
  Statement& Bind(int i, const char* v) { return Bind(i, std::string_view(v)); }
  Statement& BindDouble(int i, double v);
  // Clears bindings and rewinds, to run the statement again.
  void Reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  sqlite3_stmt* handle() { return stmt_; }
  // Steps once: true when a row is available.
  bool Step();
  int64_t Int(int col) { return sqlite3_column_int64(stmt_, col); }
  std::string Text(int col);

 private:
  Db* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back when destroyed before Commit().
class Transaction {
 public:
  explicit Transaction(Db& db);
  ~Transaction();
  void Commit();

 private:
  Db& db_;
  bool done_ = false;
};

}  // namespace mloop::sqlite
