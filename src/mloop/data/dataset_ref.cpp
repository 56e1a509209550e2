#include "mloop/data/dataset_ref.h"

#include "mloop/core/error.h"
#include "mloop/core/strings.h"

namespace mloop {

std::string DatasetRef::ToString() const {
  return version > 0 ? name + "@" + std::to_string(version) : name;
}

void ValidateDatasetName(const std::string& name) {
  if (!IsPlainName(name)) {
    throw InvalidArgument("invalid dataset name '" + name + "'", kPlainNameRule);
  }
}

std::string DatasetNameFromFile(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  for (const char* ext : {".gz", ".zst", ".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      name.resize(name.size() - e.size());
    }
  }
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  }
  if (name.empty() || !std::isalnum(static_cast<unsigned char>(name[0]))) name = "d" + name;
  if (name.size() > 128) name.resize(128);
  return name;
}

DatasetRef ParseDatasetRef(const std::string& text) {
  DatasetRef ref;
  size_t at = text.rfind('@');
  ref.name = text.substr(0, at);
  ValidateDatasetName(ref.name);
  if (at != std::string::npos) {
    std::string v = text.substr(at + 1);
    bool digits = !v.empty() && v.size() < 12 && v.find_first_not_of("0123456789") == v.npos;
    if (v == "latest") return ref;
    if (!digits || std::stoll(v) < 1) {
      throw InvalidArgument("invalid dataset version '" + v + "' in '" + text + "'",
                            "write NAME for the latest version or NAME@N with N = 1, 2, ...");
    }
    ref.version = std::stoll(v);
  }
  return ref;
}

}  // namespace mloop
