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

namespace {

// ASCII letters for the Latin-1 letters U+00C0..U+00FF ("" for the two signs among them).
constexpr const char* kLatin1Letters[64] = {
    "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I",  "I",
    "D", "N", "O", "O", "O", "O", "O",  "",  "O", "U", "U", "U", "U", "Y", "Th", "ss",
    "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i",  "i",
    "d", "n", "o", "o", "o", "o", "o",  "",  "o", "u", "u", "u", "u", "y", "th", "y"};

// A file name's characters that a plain name takes (letters, digits, _ - .) as they are, the
// accented Latin letters without their accents (donnees for données, composed or decomposed),
// any other character (one UTF-8 sequence, whatever its length) as '_'.
std::string AsciiFileStem(const std::string& stem) {
  std::string out;
  for (size_t i = 0; i < stem.size();) {
    const auto c = static_cast<unsigned char>(stem[i]);
    if (c < 0x80) {
      out += std::isalnum(c) || c == '_' || c == '-' || c == '.' ? static_cast<char>(c) : '_';
      ++i;
      continue;
    }
    size_t len = 1;  // the bytes of one UTF-8 sequence (a stray byte alone)
    while (i + len < stem.size() && len < 4 &&
           (static_cast<unsigned char>(stem[i + len]) & 0xC0) == 0x80) {
      ++len;
    }
    const auto c1 = len == 2 ? static_cast<unsigned char>(stem[i + 1]) : 0;
    const int code = (c & 0xE0) == 0xC0 && len == 2 ? ((c & 0x1F) << 6) | (c1 & 0x3F) : -1;
    if (code >= 0x300 && code <= 0x36F) {  // a combining accent (decomposed names, as macOS')
      i += len;
      continue;
    }
    const char* letters = code >= 0xC0 && code <= 0xFF ? kLatin1Letters[code - 0xC0] : "";
    out += *letters != 0 ? letters : "_";
    i += len;
  }
  return out;
}

}  // namespace

std::string DatasetNameFromFile(const std::string& path) {
  std::string name = path.substr(path.find_last_of('/') + 1);
  for (const char* ext : {".gz", ".zst", ".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json"}) {
    const std::string e = ext;
    if (name.size() > e.size() && name.compare(name.size() - e.size(), e.size(), e) == 0) {
      name.resize(name.size() - e.size());
    }
  }
  name = AsciiFileStem(name);
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
