#include "mloop/data/datasets.h"

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "mloop/core/error.h"
#include "mloop/core/hash.h"
#include "mloop/core/strings.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/byte_source.h"
#include "mloop/io/csv_reader.h"
#include "mloop/io/jsonl_reader.h"
#include "mloop/io/snapshot.h"
#include "mloop/io/sql_source.h"

namespace mloop {

namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// The read options every source shares: declared types and roles, and the bad-row policy.
nlohmann::json CommonOptionsJson(const ReadOptions& o) {
  nlohmann::json j;
  nlohmann::json types = nlohmann::json::object();
  for (const auto& [k, v] : o.types) types[k] = DataTypeName(v);
  nlohmann::json roles = nlohmann::json::object();
  for (const auto& [k, v] : o.roles) roles[k] = RoleName(v);
  j["types"] = types;
  j["roles"] = roles;
  j["on_bad_rows"] = o.on_bad_rows == BadRowPolicy::kFail ? "fail" : "skip";
  return j;
}

std::string OptionsJson(const ImportRequest& r, const ReadResult& result, SourceFormat format) {
  nlohmann::json j = CommonOptionsJson(r.read);
  if (format == SourceFormat::kCsv && r.sql.empty()) {
    j["missing_values"] = r.read.missing.tokens();
    if (!r.na_added.empty() || r.no_default_na) {
      j["na_added"] = r.na_added;
      j["no_default_na"] = r.no_default_na;
    }
    j["delimiter"] = std::string(1, result.delimiter);
    j["header"] = r.read.header;
  }
  return j.dump();
}

// Bumped whenever reading the same bytes with the same options may give another table, so that
// versions imported before are not taken for what the file gives now.
constexpr int kImportKeyVersion = 1;

// What tells a file's content changed without reading it: size, modification time (ns), inode.
struct FileStamp {
  int64_t size = -1, mtime_ns = 0;
  uint64_t inode = 0;
  bool operator==(const FileStamp&) const = default;
};

FileStamp StampOf(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return {};
  return {static_cast<int64_t>(st.st_size),
          static_cast<int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          static_cast<uint64_t>(st.st_ino)};
}

// A file written while it was imported (truncated, rewritten in place, replaced) gives a torn
// table, filed under bytes it does not hold: refused, and nothing is recorded.
void RefuseChangedFile(const std::filesystem::path& file, const FileStamp& before) {
  const FileStamp now = StampOf(file);
  if (now == before) return;
  std::string what = now.size < 0                ? "was removed"
                     : now.inode != before.inode ? "was replaced"
                     : now.size != before.size   ? "changed size (" + std::to_string(before.size) +
                                                     " -> " + std::to_string(now.size) + " bytes)"
                                               : "was modified";
  throw DataError(file.string() + " " + what + " while it was being imported",
                  "nothing was stored; import it again once it is no longer being written");
}

// A file import's key (DatasetVersion::import_key): XXH3-128 of everything that decides the
// table, that is every read option but the thread count, then the file's bytes (as stored:
// a compressed file's compressed bytes). Empty when the file cannot be read (the import itself
// then says why).
std::string ImportKey(const std::filesystem::path& file, const ImportRequest& r,
                      SourceFormat format) {
  nlohmann::json o = CommonOptionsJson(r.read);
  o["key_version"] = kImportKeyVersion;
  o["snapshot_format"] = kSnapshotFormatVersion;
  o["format"] = format == SourceFormat::kJsonLines ? "jsonl" : "csv";
  o["types_if_present"] = r.read.types_if_present;
  o["undeclared_type"] = r.read.undeclared_type ? DataTypeName(*r.read.undeclared_type) : "";
  o["missing_values"] = r.read.missing.tokens();
  o["delimiter"] = static_cast<int>(r.read.delimiter);
  o["header"] = r.read.header;
  o["sample_rows"] = r.read.sample_rows;
  std::string options = o.dump();
  options.push_back('\0');  // the options end here, the file's bytes follow
  try {
    return "xxh3-128:" + Xxh3File128Hex(file, options);
  } catch (const Error&) {
    return {};
  }
}

}  // namespace

namespace {

// The extension that names a file's format: "data.jsonl.gz" -> ".jsonl", lower case.
std::string FormatExtension(const std::filesystem::path& file) {
  std::string ext = AsciiLower(file.extension().string());
  if (ext == ".gz" || ext == ".zst" || ext == ".zstd") {
    ext = AsciiLower(file.stem().extension().string());
  }
  return ext;
}

bool JsonLinesExtension(const std::string& ext) {
  return ext == ".jsonl" || ext == ".ndjson" || ext == ".json";
}

// JSON Lines opens with '{' (after a UTF-8 byte order mark and blank space), once
// decompressed; a CSV file's header does not.
SourceFormat SniffFormat(const std::filesystem::path& file) {
  try {
    FileInfo info;
    auto source = OpenByteSource(file, &info);
    char head[4096];
    size_t n = 0;
    while (n < sizeof head) {
      const size_t got = source->Read(head + n, sizeof head - n);
      if (got == 0) break;
      n += got;
    }
    size_t i = n >= 3 && head[0] == '\xEF' && head[1] == '\xBB' && head[2] == '\xBF' ? 3 : 0;
    while (i < n && (head[i] == ' ' || head[i] == '\t' || head[i] == '\r' || head[i] == '\n')) ++i;
    return i < n && head[i] == '{' ? SourceFormat::kJsonLines : SourceFormat::kCsv;
  } catch (const Error&) {
    return SourceFormat::kCsv;  // the reader says what is wrong with the file
  }
}

}  // namespace

std::string FileImportKey(const ImportRequest& request) {
  std::error_code ec;
  if (!request.sql.empty() || !std::filesystem::is_regular_file(request.file, ec)) return {};
  const SourceFormat format =
      request.format == SourceFormat::kAuto ? DetectInputFormat(request.file) : request.format;
  return ImportKey(request.file, request, format);
}

bool IsStoredDatasetName(Workspace& ws, const std::string& text) {
  return !text.empty() && text.find_first_of("/.") == std::string::npos &&
         ws.metadata().FindDatasetVersion(text, 0).has_value();
}

SourceFormat DetectFormat(const std::filesystem::path& file) {
  return JsonLinesExtension(FormatExtension(file)) ? SourceFormat::kJsonLines : SourceFormat::kCsv;
}

SourceFormat DetectInputFormat(const std::filesystem::path& file) {
  const std::string ext = FormatExtension(file);
  if (JsonLinesExtension(ext)) return SourceFormat::kJsonLines;
  if (ext == ".csv" || ext == ".tsv") return SourceFormat::kCsv;
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) return SourceFormat::kCsv;  // read once only
  return SniffFormat(file);
}

std::string SchemaToJson(const Schema& schema) {
  nlohmann::json j = nlohmann::json::array();
  for (const auto& f : schema.fields()) {
    j.push_back({{"name", f.name}, {"type", DataTypeName(f.type)}, {"role", RoleName(f.role)}});
  }
  return j.dump();
}

Schema SchemaFromJson(const std::string& json) {
  try {
    std::vector<Field> fields;
    for (const auto& f : nlohmann::json::parse(json)) {
      auto type = ParseDataType(f.at("type").get<std::string>());
      auto role = ParseRole(f.at("role").get<std::string>());
      if (!type || !role) throw Corruption("stored schema has an unknown type or role");
      fields.push_back({f.at("name").get<std::string>(), *type, *role});
    }
    return Schema(std::move(fields));
  } catch (const nlohmann::json::exception& e) {
    throw Corruption(std::string("stored schema is not valid: ") + e.what());
  }
}

namespace {

// Writes the snapshot of `table`, then records `v` (its lineage fields already set) as the next
// version of v.name in one transaction, or returns the version that holds identical content.
DatasetVersion StoreVersion(Workspace& ws, const Table& table, DatasetVersion v, int threads,
                            const ImportFaultHook& before_commit, bool* created) {
  auto writer = ws.artifacts().NewWriter();
  SnapshotWriteOptions snapshot_options;
  snapshot_options.threads = threads;
  v.snapshot_bytes = WriteSnapshot(table, *writer, snapshot_options);
  v.content_hash = writer->Commit();
  v.num_rows = table.num_rows();
  v.num_columns = table.num_columns();
  v.schema_json = SchemaToJson(table.schema());
  v.created_at_us = ws.clock().NowMicros();
  if (before_commit) before_commit();
  return ws.metadata().AddDatasetVersion(v, created);
}

}  // namespace

ImportResult StoreDerivedDataset(Workspace& ws, const std::string& name, const Table& table,
                                 const DerivedSource& source, int threads) {
  ValidateDatasetName(name);
  if (table.num_columns() == 0) {  // a snapshot must hold at least one column to be read back
    throw DataError("no columns to store as dataset '" + name + "'",
                    "nothing was stored; the steps that select or drop columns removed them all");
  }
  if (table.num_rows() == 0) {
    throw DataError("no rows to store as dataset '" + name + "'", "nothing was stored");
  }
  auto start = std::chrono::steady_clock::now();
  DatasetVersion v;
  v.name = name;
  v.source_uri = source.uri;
  v.source_format = source.format;
  v.options_json = source.details.dump();
  ImportResult result;
  result.rows_imported = table.num_rows();
  result.version = StoreVersion(ws, table, v, threads, {}, &result.created);
  result.store_seconds = SecondsSince(start);
  return result;
}

ReadOptions WorkspaceReadOptions(const Workspace& ws) {
  ReadOptions o;
  o.missing = MissingTokens(ws.config().missing_values);
  o.on_bad_rows = ws.config().on_bad_rows;
  o.threads = ws.config().threads;
  return o;
}

namespace {

// The strings of `o[key]`, a list in a version's options_json; nullopt when it has none.
std::optional<std::vector<std::string>> StringList(const nlohmann::json& o, const char* key) {
  if (!o.is_object() || !o.contains(key) || !o[key].is_array()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& s : o[key]) {
    if (s.is_string()) out.push_back(s.get<std::string>());
  }
  return out;
}

std::string AbsolutePath(const std::filesystem::path& file) {
  std::error_code ec;
  return std::filesystem::absolute(file, ec).lexically_normal().string();
}

}  // namespace

std::vector<std::string> MissingTokensOf(const Workspace& ws, const DatasetVersion& version) {
  const nlohmann::json options = nlohmann::json::parse(version.options_json, nullptr, false);
  return StringList(options, "missing_values").value_or(ws.config().missing_values);
}

void DeclareMissingTokens(ImportRequest* request, std::vector<std::string> na_added,
                          bool no_default_na) {
  if (na_added.empty() && !no_default_na) return;
  std::vector<std::string> tokens;
  if (!no_default_na) tokens = request->read.missing.tokens();
  for (const std::string& t : na_added) {
    if (std::find(tokens.begin(), tokens.end(), t) == tokens.end()) tokens.push_back(t);
  }
  request->read.missing = MissingTokens(std::move(tokens));
  request->na_added = std::move(na_added);
  request->no_default_na = no_default_na;
}

namespace {

// Reads `file` through `input` (its copy when it is a pipe); an error about the copy names what
// the user gave instead ("<stdin>" for standard input), not a temporary file.
ReadResult ReadSpooled(const SpooledInput& input, const std::filesystem::path& file,
                       SourceFormat format, const ReadOptions& options) {
  try {
    return format == SourceFormat::kJsonLines ? ReadJsonLines(input.path(), options)
                                              : ReadCsv(input.path(), options);
  } catch (const Error& e) {
    if (input.path() == file) throw;
    const std::string copy = input.path().string();
    const std::string given = file == "/dev/stdin" ? "<stdin>" : file.string();
    auto named = [&](std::string text) {
      for (size_t at = text.find(copy); at != std::string::npos; at = text.find(copy, at)) {
        text.replace(at, copy.size(), given);
        at += given.size();
      }
      return text;
    };
    throw Error(e.code(), named(e.what()), named(e.hint()));
  }
}

// The format of `file`, read through `input`: by its name, or by its first byte once
// decompressed (JSON Lines opens with '{') for a pipe (standard input), which has no name, and
// a name that does not tell (data.txt, events.gz).
SourceFormat FormatOf(const SpooledInput& input, const std::filesystem::path& file) {
  if (input.path() == file && file != "/dev/stdin") return DetectInputFormat(file);
  return SniffFormat(input.path());
}

}  // namespace

Table ReadDataFile(const Workspace& ws, const std::filesystem::path& file,
                   const std::vector<Field>& expected, bool others_as_text,
                   const MissingTokens* missing) {
  ReadOptions o = WorkspaceReadOptions(ws);
  if (missing) o.missing = *missing;
  if (others_as_text) o.undeclared_type = DataType::kString;
  // The columns a model reads are read as the types it was trained on, not inferred from this
  // file alone: a category that looks like a number ("7"), or a column empty in every row of a
  // one-row file, would otherwise arrive as a number the model refuses.
  for (const Field& f : expected) o.types[f.name] = f.type;
  o.types_if_present = !expected.empty();
  // Rows that would be skipped go nowhere here: fail on them instead, naming the row.
  o.on_bad_rows = BadRowPolicy::kFail;
  const SpooledInput input(file);
  return ReadSpooled(input, file, FormatOf(input, file), o).table;
}

namespace {

// `request` with the options `v` was imported with that a default import does not give:
// declared types and roles, `--na` / `--no-default-na` (on top of the workspace's tokens of now),
// no header row, the bad-row policy. False when there are none.
bool CarryDeclaredOptions(const DatasetVersion& v, ImportRequest* request) {
  const nlohmann::json o = nlohmann::json::parse(v.options_json, nullptr, false);
  if (!o.is_object()) return false;
  ImportRequest carried_request = *request;
  DeclareMissingTokens(&carried_request,
                       StringList(o, "na_added").value_or(std::vector<std::string>{}),
                       o.value("no_default_na", false) == true);
  const ReadOptions& read = request->read;
  ReadOptions& carried = carried_request.read;
  if (o.contains("types") && o["types"].is_object()) {
    for (const auto& [column, name] : o["types"].items()) {
      const auto type = name.is_string() ? ParseDataType(name.get<std::string>()) : std::nullopt;
      if (type) carried.types[column] = *type;
    }
  }
  if (o.contains("roles") && o["roles"].is_object()) {
    for (const auto& [column, name] : o["roles"].items()) {
      const auto role = name.is_string() ? ParseRole(name.get<std::string>()) : std::nullopt;
      if (role) carried.roles[column] = *role;
    }
  }
  if (o.contains("header") && o["header"].is_boolean()) carried.header = o["header"].get<bool>();
  if (o.value("on_bad_rows", "") == "skip") carried.on_bad_rows = BadRowPolicy::kSkip;
  if (carried.types.empty() && carried.roles.empty() && carried.header == read.header &&
      carried.missing.tokens() == read.missing.tokens() &&
      carried.on_bad_rows == read.on_bad_rows) {
    return false;
  }
  *request = std::move(carried_request);
  return true;
}

}  // namespace

ImportRequest FileImportRequest(Workspace& ws, const std::filesystem::path& file) {
  ImportRequest req;
  req.file = file;
  req.name = DatasetNameFromFile(file.string());
  req.read = WorkspaceReadOptions(ws);
  req.keep_table = true;
  // The options of the file's latest import into this dataset (not of a pipe, whose earlier
  // input was other data).
  const std::string source = AbsolutePath(file);
  if (source.rfind("/dev/", 0) == 0 || source.rfind("/proc/", 0) == 0) return req;
  std::optional<DatasetVersion> last;
  for (const DatasetVersion& v : ws.metadata().ListDatasetVersions(req.name)) {
    if (v.source_uri == source && (!last || v.version > last->version)) last = v;
  }
  if (last && CarryDeclaredOptions(*last, &req)) req.options_of_version = last->version;
  return req;
}

ImportResult ImportFileRequest(Workspace& ws, const ImportRequest& request, std::string* note) {
  if (request.options_of_version == 0) return ImportDataset(ws, request);
  // The carried options of a column the file no longer has are left out, the others kept.
  ImportRequest lenient = request;
  lenient.read.declared_if_present = true;
  ImportResult r = ImportDataset(ws, lenient);
  const std::vector<std::string> names = SchemaFromJson(r.version.schema_json).names();
  std::set<std::string> gone;
  for (const auto& [column, type] : request.read.types) {
    if (std::find(names.begin(), names.end(), column) == names.end()) gone.insert(column);
  }
  for (const auto& [column, role] : request.read.roles) {
    if (std::find(names.begin(), names.end(), column) == names.end()) gone.insert(column);
  }
  if (note && !gone.empty()) {
    *note = request.file.string() + " no longer has " +
            (gone.size() == 1 ? "column " : "columns ") + Join({gone.begin(), gone.end()}, ", ") +
            ", whose type or role " + request.name + "@" +
            std::to_string(request.options_of_version) +
            " declared; the file's other import options are kept";
  }
  return r;
}

namespace {

// The version an earlier import of the same bytes with the same options stored (`key`), when
// its snapshot is still there. A version with rejected rows is not reused: importing again
// reports those rows and writes them to the rejects file again.
std::optional<ImportResult> ReuseImport(Workspace& ws, const ImportRequest& request,
                                        const std::string& key) {
  if (key.empty()) return std::nullopt;
  for (const DatasetVersion& v : ws.metadata().ListDatasetVersions(request.name)) {
    if (v.import_key != key || v.rejected_rows > 0) continue;
    ImportResult r;
    r.version = v;
    r.reused = true;
    r.rows_imported = v.num_rows;
    try {
      if (request.keep_table) {
        r.table = LoadDataset(ws, v);
      } else if (ws.artifacts().Size(v.content_hash) != v.snapshot_bytes) {
        continue;
      }
    } catch (const Error&) {
      continue;  // a missing or damaged snapshot: the file is read again
    }
    bool created = false;
    ws.metadata().AddDatasetVersion(v, &created);  // the latest again (the version exists)
    return r;
  }
  return std::nullopt;
}

}  // namespace

ImportResult ImportDataset(Workspace& ws, const ImportRequest& request,
                           const ImportFaultHook& before_commit) {
  ValidateDatasetName(request.name);
  auto start = std::chrono::steady_clock::now();
  ReadResult read;
  SourceFormat format = request.format;
  std::string source_uri;
  std::string import_key;
  std::filesystem::path stamped;  // a file (not a spooled pipe) and its stamp before reading
  FileStamp stamp;
  // The rejects file, written only when rows are rejected, is never the source it reports on
  // (the file, or the SQLite database): refused before anything is read.
  const std::filesystem::path rejects_path =
      request.rejects_path.empty() ? std::filesystem::path(request.name + ".rejects.jsonl")
                                   : request.rejects_path;
  const std::string rejects_flag =
      request.rejects_path.empty() ? "the default rejects file (--rejects)" : "--rejects";
  if (!request.rejects_path.empty() || request.read.on_bad_rows == BadRowPolicy::kSkip) {
    RefuseOverwritingInput(rejects_path, request.sql.empty() ? request.file : request.sqlite_db,
                           rejects_flag);
    // Rejected rows would replace it: only a rejects file of an earlier import is replaced.
    if (!IsMissingEmptyOrStartsWith(rejects_path, "{\"column\":")) {
      throw UsageError(rejects_flag + " " + rejects_path.string() +
                           " exists and is not a rejects file (which starts with {\"column\":); "
                           "rejected rows would replace it",
                       "name another file with --rejects, or move this one");
    }
  }
  if (!request.sql.empty()) {
    read = ReadSqlQuery(request.sqlite_db, request.sql, request.read);
    source_uri =
        "sqlite:" + std::filesystem::absolute(request.sqlite_db).lexically_normal().string() + "?" +
        request.sql;
  } else {
    const SpooledInput input(request.file);  // a pipe is read once, into a temporary file
    if (input.path() == request.file) {
      stamped = input.path();
      stamp = StampOf(stamped);
    }
    if (format == SourceFormat::kAuto) format = FormatOf(input, request.file);
    import_key = ImportKey(input.path(), request, format);
    if (auto reused = ReuseImport(ws, request, import_key)) {
      reused->read_seconds = SecondsSince(start);
      return std::move(*reused);
    }
    try {
      read = ReadSpooled(input, request.file, format, request.read);
    } catch (const Error&) {
      // A row cut short by a writer is no fault of the file's content: say what happened.
      if (!stamped.empty()) RefuseChangedFile(stamped, stamp);
      throw;
    }
    source_uri = AbsolutePath(request.file);
  }
  // Skipping bad rows must not skip the file: a quote that is never closed makes every line
  // after it one rejected "row" (a file of 100,001 lines imported as 2 rows and 1 rejected).
  for (const RejectedRow& r : read.rejected) {
    if (r.reason != kUnterminatedQuoteReason) continue;
    std::string_view text = r.text;  // the file's last line end is inside the open quote too
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    const int64_t lines = std::count(text.begin(), text.end(), '\n');
    if (lines < 1) continue;  // the last line of the file: only itself is lost
    throw DataError(
        request.file.string() + ":" + std::to_string(r.line) + ":" + std::to_string(r.column) +
            ": a quote opened here is never closed, so the rest of the input (" +
            std::to_string(lines + 1) + " lines) would be one rejected row",
        "double a quote inside a field (\"\") or close the quoted field; nothing was stored");
  }
  ImportResult result;
  result.read_seconds = SecondsSince(start);
  result.rows_imported = read.table.num_rows();
  result.rows_rejected = static_cast<int64_t>(read.rejected.size());
  if (!read.rejected.empty()) {
    result.rejects_path = rejects_path;
    WriteRejects(read.rejected, result.rejects_path);
  }
  if (read.table.num_rows() == 0) {
    throw DataError("no rows to import from " +
                        (request.sql.empty() ? request.file.string() : std::string("the query")) +
                        (result.rows_rejected > 0
                             ? " (all " + std::to_string(result.rows_rejected) +
                                   " rows were rejected; see " + result.rejects_path.string() + ")"
                             : ""),
                    "nothing was stored");
  }

  start = std::chrono::steady_clock::now();
  DatasetVersion v;
  v.name = request.name;
  v.source_uri = source_uri;
  v.source_format = !request.sql.empty()                 ? "sql"
                    : format == SourceFormat::kJsonLines ? "jsonl"
                                                         : "csv";
  v.source_size = read.source.size;
  v.source_mtime_us = read.source.mtime_ns / 1000;
  v.rejected_rows = result.rows_rejected;
  v.options_json = OptionsJson(request, read, format);
  v.import_key = import_key;
  // Checked last, right before the version is recorded: a change at any time during the read
  // (or while the snapshot was written) is caught.
  const ImportFaultHook check = [&] {
    if (before_commit) before_commit();
    if (!stamped.empty()) RefuseChangedFile(stamped, stamp);
  };
  result.version = StoreVersion(ws, read.table, v, request.read.threads, check, &result.created);
  result.store_seconds = SecondsSince(start);
  if (request.keep_table) result.table = std::move(read.table);
  return result;
}

DatasetVersion ResolveDataset(Workspace& ws, const DatasetRef& ref) {
  auto found = ws.metadata().FindDatasetVersion(ref.name, ref.version);
  if (found) return *found;
  auto versions = ws.metadata().ListDatasetVersions(ref.name);
  if (!versions.empty()) {
    throw NotFound("dataset '" + ref.name + "' has no version " + std::to_string(ref.version),
                   "versions: 1 to " + std::to_string(versions.back().version));
  }
  std::vector<std::string> names;
  for (const auto& d : ws.metadata().ListDatasets()) names.push_back(d.name);
  // "data/bc.csv", "bc_typo.csv": most likely a file name with a typo.
  static const char* kFileEndings[] = {".csv", ".tsv", ".txt", ".jsonl", ".json", ".gz", ".zst"};
  const bool looks_like_file = ref.name.find('/') != std::string::npos ||
                               std::any_of(std::begin(kFileEndings), std::end(kFileEndings),
                                           [&](const char* e) { return ref.name.ends_with(e); });
  if (looks_like_file) {
    throw NotFound(
        "no file '" + ref.name + "' (nor a dataset of that name)",
        names.empty() ? "check the path" : "check the path; datasets: " + Join(names, ", "));
  }
  throw NotFound("no dataset '" + ref.name + "'" + DidYouMean(ref.name, names),
                 names.empty() ? "import one with `mloop data import FILE --name NAME`"
                               : "datasets: " + Join(names, ", "));
}

Table LoadDataset(Workspace& ws, const DatasetVersion& version) {
  Table t = ReadSnapshot(ws.artifacts().Fetch(version.content_hash), ws.config().threads);
  if (t.num_rows() != version.num_rows || !(t.schema() == SchemaFromJson(version.schema_json))) {
    throw Corruption("snapshot of " + version.name + "@" + std::to_string(version.version) +
                     " does not match its catalogue entry");
  }
  return t;
}

}  // namespace mloop
