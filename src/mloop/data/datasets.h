// Datasets: importing data into immutable, versioned snapshots and reading them back.
//
// An import reads the whole source first (CSV, JSON Lines or an SQLite query), writes the
// snapshot into the artifact store (atomic, content-addressed), and only then records the new
// version in the metadata store, in one transaction. A failure at any point leaves no version
// behind; importing content identical to an existing version returns that version.
#pragma once

#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>

#include "mloop/core/table.h"
#include "mloop/data/dataset_ref.h"
#include "mloop/io/read_options.h"
#include "mloop/store/workspace.h"

namespace mloop {

enum class SourceFormat { kAuto, kCsv, kJsonLines };

struct ImportRequest {
  std::string name;
  std::filesystem::path file;  // CSV or JSON Lines (plain, .gz or .zst)
  SourceFormat format = SourceFormat::kAuto;
  std::filesystem::path sqlite_db;  // with `sql`: a query source instead of a file
  std::string sql;
  ReadOptions read;
  // Where rejected rows go under BadRowPolicy::kSkip (default: <name>.rejects.jsonl in the
  // current directory).
  std::filesystem::path rejects_path;
  // Keep the imported table in ImportResult::table (a caller about to use it skips re-reading).
  bool keep_table = false;
  // FileImportRequest: the version of this dataset whose declared options the request carries
  // (0: none).
  int64_t options_of_version = 0;
  // What `--na` and `--no-default-na` made of `read.missing` (DeclareMissingTokens), recorded
  // with the version so that a later import of the file declares the same on top of the
  // workspace's tokens of then.
  std::vector<std::string> na_added;
  bool no_default_na = false;
};

// `data import --na TOKEN ... [--no-default-na]`: `na_added` read as missing on top of
// `request->read.missing` (pandas' na_values), or alone with `no_default_na`
// (keep_default_na=False). Nothing changes when neither is given.
void DeclareMissingTokens(ImportRequest* request, std::vector<std::string> na_added,
                          bool no_default_na);

struct ImportResult {
  DatasetVersion version;
  bool created = false;  // false: identical content was already stored as `version`
  // The same file was imported with the same options before (DatasetVersion::import_key):
  // `version` is that import's, and the file was not read again.
  bool reused = false;
  int64_t rows_imported = 0;
  int64_t rows_rejected = 0;
  std::filesystem::path rejects_path;  // set when rows were rejected
  double read_seconds = 0;
  double store_seconds = 0;
  Table table;  // with ImportRequest::keep_table
};

// Test hook: called between writing the snapshot and recording the version.
using ImportFaultHook = std::function<void()>;

ImportResult ImportDataset(Workspace& ws, const ImportRequest& request,
                           const ImportFaultHook& before_commit = {});

// Where a dataset made by mloop itself came from (a recipe applied to another version, ...).
struct DerivedSource {
  std::string uri;         // e.g. "recipe:<sha256> applied to churn@2"
  std::string format;      // e.g. "recipe"
  nlohmann::json details;  // stored as the version's options: inputs, recipe, ...
};

// Stores `table` as the next version of dataset `name` with the given lineage (or returns the
// version already holding identical content, created = false). Atomic like ImportDataset.
ImportResult StoreDerivedDataset(Workspace& ws, const std::string& name, const Table& table,
                                 const DerivedSource& source, int threads = 0);

// The stored version `ref` refers to. kNotFound names the dataset's versions or similar names.
DatasetVersion ResolveDataset(Workspace& ws, const DatasetRef& ref);

// Loads the snapshot of `version`.
Table LoadDataset(Workspace& ws, const DatasetVersion& version);

// The schema as stored in DatasetVersion::schema_json, and back.
std::string SchemaToJson(const Schema& schema);
Schema SchemaFromJson(const std::string& json);

// The import key (DatasetVersion::import_key) an import of `request`'s file would have: the
// same key means the same bytes read with the same options. Empty unless the file is a regular
// one.
std::string FileImportKey(const ImportRequest& request);

// Whether `text` is a plain name (no '/' or '.') of a stored dataset: such an argument names the
// dataset even beside a file of that name (`train iris` with a stray file 'iris' here), since
// importing the file would move the dataset's latest version.
bool IsStoredDatasetName(Workspace& ws, const std::string& text);

// The format a file name says: JSON Lines for .jsonl, .ndjson and .json (compressed too:
// .jsonl.gz), otherwise CSV. For output files.
SourceFormat DetectFormat(const std::filesystem::path& file);
// The format of an input file: by its name when it says (.csv, .tsv, .jsonl, ...), otherwise,
// for a regular file (data.txt, events.gz), by its first byte once decompressed: JSON Lines
// opens with '{'.
SourceFormat DetectInputFormat(const std::filesystem::path& file);

// Read options from the workspace's ingest settings (missing-value tokens, bad-row policy,
// threads): what `data import` uses when no flag overrides them.
ReadOptions WorkspaceReadOptions(const Workspace& ws);

// The missing-value tokens `version` was read with: its CSV import's, else the workspace's (a
// JSON Lines or SQL import, a recipe's output). A model trained on it reads CSV records with them.
std::vector<std::string> MissingTokensOf(const Workspace& ws, const DatasetVersion& version);

// A data file (CSV or JSON Lines, by its name and bytes, as `data import` detects them) read
// with the workspace's ingest settings, without storing it. Columns named in `expected` (a
// model's inputs) are read as those types when the file has them; `missing`, when given (a
// model's, Predictor::missing_tokens), replaces the workspace's missing-value tokens.
Table ReadDataFile(const Workspace& ws, const std::filesystem::path& file,
                   const std::vector<Field>& expected = {}, bool others_as_text = false,
                   const MissingTokens* missing = nullptr);

// The request `data import FILE` makes with default flags: named after the file, the
// workspace's ingest settings, the table kept (what `train FILE` and a tune job's `data: FILE`
// import). When this file's latest import into the dataset had options of its own (`data import
// --role`, `--target`, `--type`, `--na`, `--no-header`), those are kept
// (ImportRequest::options_of_version): a new version of the file keeps its id and target roles.
ImportRequest FileImportRequest(Workspace& ws, const std::filesystem::path& file);

// ImportDataset of FileImportRequest's `request`; the types and roles it carries for a column the
// file no longer has are left out, and `note` (when given) names those columns.
ImportResult ImportFileRequest(Workspace& ws, const ImportRequest& request,
                               std::string* note = nullptr);

}  // namespace mloop
