#include "mloop/core/error.h"

#include <cerrno>
#include <cstring>

namespace mloop {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kUsage:
      return "usage";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kFailedPrecondition:
      return "failed precondition";
    case ErrorCode::kDataError:
      return "data error";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kIoError:
      return "i/o error";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

Error IoErrorFromErrno(std::string_view what, std::string_view path) {
  int err = errno;
  std::string msg(what);
  msg += " '";
  msg += path;
  msg += "': ";
  msg += std::strerror(err);
  ErrorCode code = (err == ENOENT) ? ErrorCode::kNotFound : ErrorCode::kIoError;
  return Error(code, std::move(msg));
}

}  // namespace mloop
