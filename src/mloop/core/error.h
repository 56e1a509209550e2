// The one error type of mloop. Every failure that ends an operation is an mloop::Error carrying
// a code and a message with its context (file, line, column, field). It is converted exactly once
// at each edge: the CLI maps it to "error: <message>" and an exit code; later the HTTP server maps
// it to a status code. Per-row data problems are not exceptions: readers collect and count them.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace mloop {

enum class ErrorCode {
  kUsage,               // the command line is wrong (unknown flag, bad flag value): exit code 2
  kInvalidArgument,     // the caller asked for something malformed (bad config, bad request)
  kNotFound,            // a named thing does not exist (dataset, version, file, workspace)
  kAlreadyExists,       // creating something that is already there
  kFailedPrecondition,  // the system is not in a state that allows the operation
  kDataError,           // input data is malformed (CSV/JSON syntax, types); message says where
  kCorruption,          // stored bytes fail their checksum or format checks
  kUnavailable,         // a resource (server, lock) cannot be reached now; retrying may help
  kIoError,             // the operating system refused a read or write
  kInternal,            // a bug in mloop
};

std::string_view ErrorCodeName(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, std::string message, std::string hint = {})
      : std::runtime_error(std::move(message)), code_(code), hint_(std::move(hint)) {}

  ErrorCode code() const { return code_; }
  // Optional advice shown under the message ("run `mloop init` first").
  const std::string& hint() const { return hint_; }

 private:
  ErrorCode code_;
  std::string hint_;
};

// Shorthands that read well at the throw site: throw NotFound("dataset 'x'").
inline Error UsageError(std::string msg, std::string hint = {}) {
  return Error(ErrorCode::kUsage, std::move(msg), std::move(hint));
}
inline Error InvalidArgument(std::string msg, std::string hint = {}) {
  return Error(ErrorCode::kInvalidArgument, std::move(msg), std::move(hint));
}
inline Error NotFound(std::string msg, std::string hint = {}) {
  return Error(ErrorCode::kNotFound, std::move(msg), std::move(hint));
}
inline Error AlreadyExists(std::string msg, std::string hint = {}) {
  return Error(ErrorCode::kAlreadyExists, std::move(msg), std::move(hint));
}
inline Error FailedPrecondition(std::string msg, std::string hint = {}) {
  return Error(ErrorCode::kFailedPrecondition, std::move(msg), std::move(hint));
}
inline Error DataError(std::string msg, std::string hint = {}) {
  return Error(ErrorCode::kDataError, std::move(msg), std::move(hint));
}
inline Error Corruption(std::string msg, std::string hint = {}) {
  return Error(ErrorCode::kCorruption, std::move(msg), std::move(hint));
}
inline Error IoError(std::string msg, std::string hint = {}) {
  return Error(ErrorCode::kIoError, std::move(msg), std::move(hint));
}
inline Error Internal(std::string msg) {
  return Error(ErrorCode::kInternal, std::move(msg));
}

// A value refused in a table or matrix is named by its row (1-based) of what the refusing code
// was given: "row 3, feature 'x': inf is infinite", "row 2, column 'plan': step 4 (one_hot):
// ...". Callers that know what the rows are (a request's records, a batch's lines) split the
// message with SplitRowMessage and name them their way.
inline std::string RowMessage(int64_t row, std::string_view rest) {
  return "row " + std::to_string(row) + ", " + std::string(rest);
}
// {row, rest} of a RowMessage; {0, message} for any other message.
inline std::pair<int64_t, std::string_view> SplitRowMessage(std::string_view message) {
  if (message.substr(0, 4) != "row ") return {0, message};
  int64_t row = 0;
  size_t i = 4;
  for (; i < message.size() && message[i] >= '0' && message[i] <= '9' && row < (int64_t{1} << 40);
       ++i) {
    row = row * 10 + (message[i] - '0');
  }
  if (i == 4 || row == 0 || message.substr(i, 2) != ", ") return {0, message};
  return {row, message.substr(i + 2)};
}

// IoError for a failed system call on `path`, with strerror(errno) appended.
Error IoErrorFromErrno(std::string_view what, std::string_view path);

}  // namespace mloop
