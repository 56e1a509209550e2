// Helpers shared by the tests: temporary directories and files.
#pragma once

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <random>
#include <string>

namespace mloop::testing {

// A fresh directory under the system temp dir, removed with its content on destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() /
            ("mloop-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline std::filesystem::path WriteFile(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
  return path;
}

inline std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// One case of a reader's malformed-input corpus: the input and a substring of the error
// message it must produce.
struct BadCase {
  const char* name;
  std::string content;
  std::string expected;
};

// Parameterised test names show the case name rather than the bytes of the struct.
inline void PrintTo(const BadCase& c, std::ostream* os) {
  *os << c.name;
}

// What the real mloop binary did when run in `dir` as a user would (no MLOOP_WORKSPACE, no
// stdin): its exit code, stdout and stderr.
struct CliResult {
  int code = -1;
  std::string out, err;
};

#ifdef MLOOP_BINARY
inline CliResult RunMloop(const std::filesystem::path& dir, const std::string& args) {
  const std::string cmd = "cd '" + dir.string() + "' && env -u MLOOP_WORKSPACE " + MLOOP_BINARY +
                          " " + args + " > out.txt 2> err.txt < /dev/null";
  const int status = std::system(cmd.c_str());
  CliResult r;
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = ReadFile(dir / "out.txt");
  r.err = ReadFile(dir / "err.txt");
  return r;
}
#endif

}  // namespace mloop::testing

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE((haystack).find(needle), std::string::npos) << (haystack)
