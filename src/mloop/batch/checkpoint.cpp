#include "mloop/batch/checkpoint.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>

#include "mloop/core/error.h"
#include "mloop/core/hash.h"

namespace mloop {

namespace {

constexpr const char* kFormat = "mloop-transform-checkpoint";
constexpr int kVersion = 1;

}  // namespace

nlohmann::json TransformCheckpoint::ToJson() const {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["input"] = input;
  j["model"] = model;
  j["options"] = options;
  j["units"] = units;
  j["records"] = records;
  j["predicted"] = predicted;
  j["errors"] = errors;
  j["input_offset"] = input_offset;
  j["next_line"] = next_line;
  j["output_bytes"] = output_bytes;
  j["errors_bytes"] = errors_bytes;
  j["first_error"] = first_error;
  return j;
}

TransformCheckpoint TransformCheckpoint::FromJson(const nlohmann::json& j) {
  try {
    if (!j.is_object() || j.value("format", "") != kFormat) {
      throw Corruption("not a transform checkpoint");
    }
    if (j.at("version").get<int>() != kVersion) {
      throw Corruption("checkpoint version " + j.at("version").dump() + ", this mloop reads " +
                       std::to_string(kVersion));
    }
    TransformCheckpoint c;
    c.input = j.at("input");
    c.model = j.at("model").get<std::string>();
    c.options = j.at("options");
    c.units = j.at("units").get<int64_t>();
    c.records = j.at("records").get<int64_t>();
    c.predicted = j.at("predicted").get<int64_t>();
    c.errors = j.at("errors").get<int64_t>();
    c.input_offset = j.at("input_offset").get<int64_t>();
    c.next_line = j.at("next_line").get<int64_t>();
    c.output_bytes = j.at("output_bytes").get<int64_t>();
    c.errors_bytes = j.at("errors_bytes").get<int64_t>();
    c.first_error = j.value("first_error", "");
    return c;
  } catch (const nlohmann::json::exception& e) {
    throw Corruption(std::string("malformed transform checkpoint: ") + e.what());
  }
}

void WriteCheckpoint(const std::filesystem::path& path, const TransformCheckpoint& checkpoint) {
  const std::string text = checkpoint.ToJson().dump(1) + "\n";
  const std::filesystem::path tmp = path.string() + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw IoErrorFromErrno("cannot write checkpoint", tmp.string());
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int saved = errno;
      ::close(fd);
      errno = saved;
      throw IoErrorFromErrno("cannot write checkpoint", tmp.string());
    }
    done += static_cast<size_t>(n);
  }
  if (::close(fd) != 0) throw IoErrorFromErrno("cannot write checkpoint", tmp.string());
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    throw IoErrorFromErrno("cannot write checkpoint", path.string());
  }
}

std::optional<TransformCheckpoint> ReadCheckpoint(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return std::nullopt;
    throw IoErrorFromErrno("cannot read checkpoint", path.string());
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw Corruption(path.string() + ": the checkpoint is not valid JSON");
  try {
    return TransformCheckpoint::FromJson(j);
  } catch (const Error& e) {
    throw Corruption(path.string() + ": " + e.what());
  }
}

nlohmann::json FileIdentity(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw IoErrorFromErrno("cannot open", path.string());
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoErrorFromErrno("cannot open", path.string());
  std::string head(64 << 10, '\0');
  in.read(head.data(), static_cast<std::streamsize>(head.size()));
  head.resize(static_cast<size_t>(in.gcount()));
  nlohmann::json j;
  j["path"] = std::filesystem::absolute(path).lexically_normal().string();
  j["size"] = static_cast<int64_t>(st.st_size);
  j["mtime_ns"] = static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  j["head_sha256"] = Sha256Hex(head);
  return j;
}

std::string DescribeDifference(const nlohmann::json& recorded, const nlohmann::json& now) {
  if (recorded == now) return {};
  if (!recorded.is_object() || !now.is_object()) return recorded.dump() + " -> " + now.dump();
  std::string out;
  auto add = [&](const std::string& key, const nlohmann::json& a, const nlohmann::json& b) {
    if (!out.empty()) out += ", ";
    out += key + " " + (a.is_null() ? "(none)" : a.dump()) + " -> " +
           (b.is_null() ? "(none)" : b.dump());
  };
  for (const auto& [key, value] : recorded.items()) {
    if (!now.contains(key)) {
      add(key, value, nullptr);
    } else if (now.at(key) != value) {
      add(key, value, now.at(key));
    }
  }
  for (const auto& [key, value] : now.items()) {
    if (!recorded.contains(key)) add(key, nullptr, value);
  }
  return out;
}

}  // namespace mloop
