// MetadataStore: the typed catalogue of everything mloop records (datasets and their versions
// now; runs, models and monitors in later stages). Implementations: SQLite (embedded). The SQL
// stays inside src/mloop/store/; callers see only these types.
//
// Contract for every backend:
// - each method is one transaction: it happens entirely or not at all;
// - safe to call from several processes at once on the same store (the writer waits for a lock
//   up to a timeout, then fails with kUnavailable);
// - opening checks the schema version: an older schema is migrated in numbered steps, a newer
//   one is refused with kFailedPrecondition.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace mloop {

// A stored, immutable dataset version.
struct DatasetVersion {
  std::string name;
  int64_t version = 0;       // 1, 2, ...
  std::string content_hash;  // SHA-256 of the snapshot, also its artifact address
  int64_t snapshot_bytes = 0;
  int64_t num_rows = 0;
  int64_t num_columns = 0;
  std::string schema_json;  // [{"name":..,"type":..,"role":..}, ...]
  // Lineage: where the data came from.
  std::string source_uri;     // file path, or "sqlite:<db>?<query>"
  std::string source_format;  // csv, jsonl, sql
  int64_t source_size = 0;    // bytes
  int64_t source_mtime_us = 0;
  int64_t rejected_rows = 0;  // rows left out under --on-bad-rows skip
  std::string options_json;   // the read options used (types, delimiter, missing tokens, ...)
  int64_t created_at_us = 0;
};

struct DatasetSummary {
  std::string name;
  int64_t versions = 0;
  DatasetVersion latest;
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Records a new version of `v.name` (v.version is ignored and assigned: one more than the
  // latest). When this dataset already has a version with the same content hash, nothing is
  // written and that version is returned with *created = false.
  virtual DatasetVersion AddDatasetVersion(const DatasetVersion& v, bool* created) = 0;

  // The version `version` of dataset `name`, or its latest when `version` is 0; nullopt when
  // there is no such dataset or version.
  virtual std::optional<DatasetVersion> FindDatasetVersion(const std::string& name,
                                                           int64_t version) = 0;
  // Every version of `name`, oldest first (empty when the dataset does not exist).
  virtual std::vector<DatasetVersion> ListDatasetVersions(const std::string& name) = 0;
  // Every dataset with its latest version, by name.
  virtual std::vector<DatasetSummary> ListDatasets() = 0;

  // The schema version this store is at.
  virtual int SchemaVersion() = 0;
};

// Opens the store at `uri`: "sqlite:///abs/path.db" or a plain file path (SQLite). The database
// is created when `create` is true and it does not exist; otherwise a missing one is kNotFound.
std::unique_ptr<MetadataStore> OpenMetadataStore(const std::string& uri, bool create);

}  // namespace mloop
