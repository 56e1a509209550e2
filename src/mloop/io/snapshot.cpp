#include "mloop/io/snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "mloop/core/error.h"
#include "mloop/core/parallel.h"

namespace mloop {

namespace {

constexpr char kMagic[8] = {'M', 'L', 'O', 'O', 'P', 'S', 'N', 'P'};
constexpr char kEndMagic[8] = {'M', 'L', 'O', 'O', 'P', 'E', 'N', 'D'};
constexpr size_t kHeaderSize = 16;
constexpr size_t kTrailerSize = 32;
constexpr size_t kCompressionProbe = size_t{64} << 10;

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
uint64_t GetU64(const unsigned char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint32_t GetU32(const unsigned char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

// One buffer to be written: either a view of existing memory or owned bytes.
struct PendingBuffer {
  std::string kind;  // validity, values, dictionary
  const char* raw = nullptr;
  size_t raw_size = 0;
  std::string owned_raw;   // when the raw bytes had to be built (bitmaps, dictionaries)
  std::string compressed;  // zstd frame, when smaller
  bool use_zstd = false;
};

void Compress(PendingBuffer& b, int level) {
  if (b.raw_size < 64) return;
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  if (!cctx) throw Internal("zstd context");
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
  // Probe a prefix first: incompressible data (most float columns) is stored raw at once.
  size_t probe = std::min(b.raw_size, kCompressionProbe);
  std::string out(ZSTD_compressBound(b.raw_size), '\0');
  size_t n = ZSTD_compress2(cctx, out.data(), out.size(), b.raw, probe);
  if (!ZSTD_isError(n) && n < probe * 9 / 10) {
    n = ZSTD_compress2(cctx, out.data(), out.size(), b.raw, b.raw_size);
    if (!ZSTD_isError(n) && n < b.raw_size * 9 / 10) {
      out.resize(n);
      b.compressed = std::move(out);
      b.use_zstd = true;
    }
  }
  ZSTD_freeCCtx(cctx);
}

// Codes and dictionary of a string column view, renumbered in first-seen order so that equal
// content always gives equal bytes.
void CanonicalStrings(const Column& c, std::string* codes_out, std::string* dict_out) {
  const int32_t* codes = c.codes();
  const Dictionary& dict = c.dictionary();
  std::vector<int32_t> remap(dict.size(), -1);
  std::vector<int32_t> out(static_cast<size_t>(c.size()), 0);
  std::vector<int32_t> order;
  for (int64_t i = 0; i < c.size(); ++i) {
    if (!c.IsValid(i)) continue;
    int32_t& r = remap[codes[i]];
    if (r < 0) {
      r = static_cast<int32_t>(order.size());
      order.push_back(codes[i]);
    }
    out[i] = r;
  }
  codes_out->assign(reinterpret_cast<const char*>(out.data()), out.size() * sizeof(int32_t));
  dict_out->clear();
  PutU64(*dict_out, order.size());
  for (int32_t code : order) {
    const std::string& s = dict[code];
    PutU32(*dict_out, static_cast<uint32_t>(s.size()));
    dict_out->append(s);
  }
}

std::vector<PendingBuffer> BuffersOf(const Column& c) {
  std::vector<PendingBuffer> out;
  if (c.has_nulls()) {
    PendingBuffer b;
    b.kind = "validity";
    std::vector<uint64_t> bits(static_cast<size_t>((c.size() + 63) / 64), 0);
    for (int64_t i = 0; i < c.size(); ++i) {
      if (c.IsValid(i)) bits[i >> 6] |= uint64_t{1} << (i & 63);
    }
    b.owned_raw.assign(reinterpret_cast<const char*>(bits.data()), bits.size() * 8);
    out.push_back(std::move(b));
  }
  PendingBuffer values;
  values.kind = "values";
  switch (c.type()) {
    case DataType::kFloat64:
      values.raw = reinterpret_cast<const char*>(c.f64());
      values.raw_size = c.size() * 8;
      break;
    case DataType::kInt64:
    case DataType::kTimestamp:
      values.raw = reinterpret_cast<const char*>(c.i64());
      values.raw_size = c.size() * 8;
      break;
    case DataType::kBool:
      values.raw = reinterpret_cast<const char*>(c.bools());
      values.raw_size = c.size();
      break;
    case DataType::kString: {
      PendingBuffer dict;
      dict.kind = "dictionary";
      CanonicalStrings(c, &values.owned_raw, &dict.owned_raw);
      out.push_back(std::move(values));
      out.push_back(std::move(dict));
      return out;
    }
  }
  out.push_back(std::move(values));
  return out;
}

}  // namespace

int64_t WriteSnapshot(const Table& table, ByteSink& sink, const SnapshotWriteOptions& options) {
  const int ncols = table.num_columns();
  std::vector<std::vector<PendingBuffer>> buffers(ncols);
  const int threads = options.threads > 0 ? options.threads : DefaultThreads();
  ParallelFor(ncols, threads, [&](int i) {
    buffers[i] = BuffersOf(table.column(i));
    for (auto& b : buffers[i]) {
      if (!b.owned_raw.empty() || b.raw == nullptr) {
        b.raw = b.owned_raw.data();
        b.raw_size = b.owned_raw.size();
      }
      Compress(b, options.zstd_level);
    }
  });

  std::string header(kMagic, 8);
  PutU32(header, kSnapshotFormatVersion);
  PutU32(header, 0);
  sink.Write(header.data(), header.size());
  uint64_t offset = kHeaderSize;

  nlohmann::json columns = nlohmann::json::array();
  for (int i = 0; i < ncols; ++i) {
    const Field& f = table.schema().field(i);
    nlohmann::json col;
    col["name"] = f.name;
    col["type"] = DataTypeName(f.type);
    col["role"] = RoleName(f.role);
    col["null_count"] = table.column(i).null_count();
    nlohmann::json bufs = nlohmann::json::object();
    for (const auto& b : buffers[i]) {
      const char* data = b.use_zstd ? b.compressed.data() : b.raw;
      size_t size = b.use_zstd ? b.compressed.size() : b.raw_size;
      sink.Write(data, size);
      bufs[b.kind] = {{"offset", offset},
                      {"stored_size", size},
                      {"raw_size", b.raw_size},
                      {"codec", b.use_zstd ? "zstd" : "none"},
                      {"xxh3", Hex64(XXH3_64bits(data, size))}};
      offset += size;
    }
    col["buffers"] = std::move(bufs);
    columns.push_back(std::move(col));
  }
  nlohmann::json footer;
  footer["format_version"] = kSnapshotFormatVersion;
  footer["num_rows"] = table.num_rows();
  footer["columns"] = std::move(columns);
  std::string footer_text = footer.dump();
  sink.Write(footer_text.data(), footer_text.size());
  std::string trailer;
  PutU64(trailer, offset);
  PutU64(trailer, footer_text.size());
  PutU64(trailer, XXH3_64bits(footer_text.data(), footer_text.size()));
  trailer.append(kEndMagic, 8);
  sink.Write(trailer.data(), trailer.size());
  return static_cast<int64_t>(offset + footer_text.size() + trailer.size());
}

namespace {

class SnapshotFile {
 public:
  explicit SnapshotFile(const std::filesystem::path& path) : path_(path.string()) {
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoErrorFromErrno("cannot open snapshot", path_);
    struct stat st;
    if (::fstat(fd_, &st) != 0) throw IoErrorFromErrno("cannot stat snapshot", path_);
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~SnapshotFile() { ::close(fd_); }

  [[noreturn]] void Corrupt(const std::string& what) const {
    throw Corruption("snapshot '" + path_ + "' is damaged: " + what,
                     "the stored file no longer matches its checksums; restore it from a backup "
                     "or import the source data again");
  }

  void ReadAt(uint64_t offset, void* out, uint64_t size) const {
    if (offset > size_ || size > size_ - offset) Corrupt("a part lies beyond the end of the file");
    auto* p = static_cast<char*>(out);
    while (size > 0) {
      ssize_t n = ::pread(fd_, p, size, static_cast<off_t>(offset));
      if (n < 0) {
        if (errno == EINTR) continue;
        throw IoErrorFromErrno("cannot read snapshot", path_);
      }
      if (n == 0) Corrupt("the file is shorter than its footer says");
      p += n;
      size -= static_cast<uint64_t>(n);
      offset += static_cast<uint64_t>(n);
    }
  }

  nlohmann::json ReadFooter(uint32_t* version) const {
    unsigned char header[kHeaderSize] = {};
    ReadAt(0, header, std::min<uint64_t>(size_, kHeaderSize));
    if (size_ < 8 || std::memcmp(header, kMagic, 8) != 0) {
      throw Corruption("'" + path_ + "' is not an mloop snapshot (bad magic bytes)");
    }
    if (size_ < kHeaderSize + kTrailerSize) Corrupt("the file is too short to be a snapshot");
    *version = GetU32(header + 8);
    if (GetU32(header + 12) != 0) Corrupt("unknown header flags");
    if (*version != kSnapshotFormatVersion) {
      throw Error(ErrorCode::kFailedPrecondition,
                  "snapshot '" + path_ + "' has format version " + std::to_string(*version) +
                      "; this mloop reads version " + std::to_string(kSnapshotFormatVersion),
                  "use the mloop version that wrote it, or a newer one");
    }
    unsigned char trailer[kTrailerSize];
    ReadAt(size_ - kTrailerSize, trailer, kTrailerSize);
    if (std::memcmp(trailer + 24, kEndMagic, 8) != 0)
      Corrupt("the trailer is missing (truncated?)");
    uint64_t footer_offset = GetU64(trailer), footer_size = GetU64(trailer + 8);
    if (footer_offset < kHeaderSize || footer_offset > size_ - kTrailerSize ||
        footer_size != size_ - kTrailerSize - footer_offset) {
      Corrupt("the footer position is inconsistent with the file size");
    }
    std::string text(footer_size, '\0');
    ReadAt(footer_offset, text.data(), footer_size);
    if (XXH3_64bits(text.data(), text.size()) != GetU64(trailer + 16)) {
      Corrupt("footer checksum mismatch");
    }
    footer_offset_ = footer_offset;
    nlohmann::json footer;
    try {
      footer = nlohmann::json::parse(text);
      if (footer.at("format_version").get<uint32_t>() != *version) {
        Corrupt("the footer's format version differs from the header's");
      }
    } catch (const nlohmann::json::exception& e) {
      Corrupt(std::string("footer is not valid: ") + e.what());
    }
    return footer;
  }

  // Reads a buffer described by `desc` into `out`, which has exactly raw_size bytes.
  void ReadBuffer(const nlohmann::json& desc, const std::string& where, char* out,
                  uint64_t raw_size) const {
    uint64_t offset = desc.at("offset").get<uint64_t>();
    uint64_t stored = desc.at("stored_size").get<uint64_t>();
    if (desc.at("raw_size").get<uint64_t>() != raw_size) Corrupt(where + ": unexpected size");
    if (offset < kHeaderSize || offset > footer_offset_ || stored > footer_offset_ - offset) {
      Corrupt(where + ": lies outside the data section");
    }
    const std::string codec = desc.at("codec").get<std::string>();
    const std::string want = desc.at("xxh3").get<std::string>();
    if (codec == "none") {
      if (stored != raw_size) Corrupt(where + ": stored and raw sizes differ");
      ReadAt(offset, out, stored);
      if (Hex64(XXH3_64bits(out, stored)) != want) Corrupt(where + ": checksum mismatch");
    } else if (codec == "zstd") {
      std::string frame(stored, '\0');
      ReadAt(offset, frame.data(), stored);
      if (Hex64(XXH3_64bits(frame.data(), stored)) != want) {
        Corrupt(where + ": checksum mismatch");
      }
      size_t n = ZSTD_decompress(out, raw_size, frame.data(), frame.size());
      if (ZSTD_isError(n) || n != raw_size) Corrupt(where + ": cannot be decompressed");
    } else {
      Corrupt(where + ": unknown codec '" + codec + "'");
    }
  }

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
  uint64_t size_ = 0;
  mutable uint64_t footer_offset_ = 0;
};

Field FieldFromJson(const SnapshotFile& file, const nlohmann::json& col) {
  Field f;
  f.name = col.at("name").get<std::string>();
  auto type = ParseDataType(col.at("type").get<std::string>());
  auto role = ParseRole(col.at("role").get<std::string>());
  if (!type || !role) file.Corrupt("column '" + f.name + "' has an unknown type or role");
  f.type = *type;
  f.role = *role;
  return f;
}

template <typename T>
void ReadValues(const SnapshotFile& file, const nlohmann::json& desc, const std::string& where,
                int64_t rows, BigVector<T>& out) {
  out.resize(static_cast<size_t>(rows));
  file.ReadBuffer(desc, where, reinterpret_cast<char*>(out.data()), rows * sizeof(T));
}

Column ReadColumn(const SnapshotFile& file, const nlohmann::json& col, const Field& field,
                  int64_t rows) {
  const std::string where = "column '" + field.name + "'";
  const nlohmann::json& bufs = col.at("buffers");
  internal::ColumnData d;
  d.type = field.type;
  d.length = rows;
  d.null_count = col.at("null_count").get<int64_t>();
  if (bufs.contains("validity")) {
    d.validity.resize(static_cast<size_t>((rows + 63) / 64));
    file.ReadBuffer(bufs.at("validity"), where + " validity",
                    reinterpret_cast<char*>(d.validity.data()), d.validity.size() * 8);
    int64_t valid = 0;
    for (int64_t i = 0; i < rows; ++i) valid += BitIsSet(d.validity.data(), i);
    if (rows - valid != d.null_count) file.Corrupt(where + ": missing-value count mismatch");
  } else if (d.null_count != 0) {
    file.Corrupt(where + ": missing values without a validity bitmap");
  }
  const nlohmann::json& values = bufs.at("values");
  switch (field.type) {
    case DataType::kFloat64:
      ReadValues(file, values, where, rows, d.f64);
      break;
    case DataType::kInt64:
    case DataType::kTimestamp:
      ReadValues(file, values, where, rows, d.i64);
      break;
    case DataType::kBool:
      ReadValues(file, values, where, rows, d.b8);
      break;
    case DataType::kString: {
      ReadValues(file, values, where, rows, d.codes);
      const nlohmann::json& dd = bufs.at("dictionary");
      std::string raw(dd.at("raw_size").get<uint64_t>(), '\0');
      file.ReadBuffer(dd, where + " dictionary", raw.data(), raw.size());
      auto dict = std::make_shared<Dictionary>();
      size_t p = 0;
      auto need = [&](size_t n) {
        if (raw.size() - p < n) file.Corrupt(where + ": dictionary is truncated");
      };
      need(8);
      uint64_t count = GetU64(reinterpret_cast<const unsigned char*>(raw.data()));
      p = 8;
      if (count > raw.size()) file.Corrupt(where + ": dictionary count is implausible");
      dict->reserve(count);
      for (uint64_t k = 0; k < count; ++k) {
        need(4);
        uint32_t len = GetU32(reinterpret_cast<const unsigned char*>(raw.data() + p));
        p += 4;
        need(len);
        dict->emplace_back(raw.data() + p, len);
        p += len;
      }
      d.dictionary = std::move(dict);
      break;
    }
  }
  try {
    return Column::FromData(std::move(d));
  } catch (const Error& e) {
    file.Corrupt(where + ": " + e.what());
  }
}

}  // namespace

Table ReadSnapshot(const std::filesystem::path& path, int threads) {
  SnapshotFile file(path);
  uint32_t version;
  nlohmann::json footer = file.ReadFooter(&version);
  try {
    const int64_t rows = footer.at("num_rows").get<int64_t>();
    const nlohmann::json& cols = footer.at("columns");
    if (rows < 0) file.Corrupt("negative row count");
    std::vector<Field> fields;
    for (const auto& col : cols) fields.push_back(FieldFromJson(file, col));
    std::vector<Column> columns(fields.size());
    ParallelFor(static_cast<int>(fields.size()), threads > 0 ? threads : DefaultThreads(),
                [&](int i) { columns[i] = ReadColumn(file, cols[i], fields[i], rows); });
    Schema schema;
    try {
      schema = Schema(std::move(fields));
    } catch (const Error& e) {
      file.Corrupt(e.what());
    }
    return Table(std::move(schema), std::move(columns));
  } catch (const nlohmann::json::exception& e) {
    file.Corrupt(std::string("footer has an unexpected shape: ") + e.what());
  }
}

SnapshotSummary ReadSnapshotSummary(const std::filesystem::path& path) {
  SnapshotFile file(path);
  SnapshotSummary out;
  nlohmann::json footer = file.ReadFooter(&out.format_version);
  try {
    out.num_rows = footer.at("num_rows").get<int64_t>();
    std::vector<Field> fields;
    for (const auto& col : footer.at("columns")) fields.push_back(FieldFromJson(file, col));
    out.schema = Schema(std::move(fields));
  } catch (const nlohmann::json::exception& e) {
    file.Corrupt(std::string("footer has an unexpected shape: ") + e.what());
  } catch (const Error& e) {
    if (e.code() == ErrorCode::kCorruption) throw;
    file.Corrupt(e.what());  // e.g. duplicate column names in the footer
  }
  return out;
}

}  // namespace mloop
