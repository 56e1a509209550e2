// The numbered schema migrations of the metadata store. Append only: a released migration is
// never edited, a change is a new step. Written in SQL that PostgreSQL also accepts, apart from
// the key type (the PostgreSQL backend maps INTEGER PRIMARY KEY to BIGINT GENERATED ... IDENTITY).
#pragma once

namespace mloop::sqlite {

struct Migration {
  int version;
  const char* description;
  const char* sql;
};

inline constexpr Migration kMigrations[] = {
    {1, "datasets and dataset versions",
     R"sql(
CREATE TABLE datasets (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at_us BIGINT NOT NULL
);
CREATE TABLE dataset_versions (
  id INTEGER PRIMARY KEY,
  dataset_id INTEGER NOT NULL REFERENCES datasets(id),
  version INTEGER NOT NULL,
  content_hash TEXT NOT NULL,
  snapshot_bytes BIGINT NOT NULL,
  num_rows BIGINT NOT NULL,
  num_columns INTEGER NOT NULL,
  schema_json TEXT NOT NULL,
  source_uri TEXT NOT NULL,
  source_format TEXT NOT NULL,
  source_size BIGINT NOT NULL,
  source_mtime_us BIGINT NOT NULL,
  rejected_rows BIGINT NOT NULL,
  options_json TEXT NOT NULL,
  created_at_us BIGINT NOT NULL,
  UNIQUE (dataset_id, version),
  UNIQUE (dataset_id, content_hash)
);
)sql"},
    {2, "experiments, runs and run metrics",
     R"sql(
CREATE TABLE experiments (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at_us BIGINT NOT NULL
);
CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  experiment_id INTEGER NOT NULL REFERENCES experiments(id),
  status TEXT NOT NULL,
  algorithm TEXT NOT NULL,
  task TEXT NOT NULL,
  params_json TEXT NOT NULL,
  tags_json TEXT NOT NULL,
  lineage_json TEXT NOT NULL,
  model_hash TEXT NOT NULL,
  host TEXT NOT NULL,
  pid BIGINT NOT NULL,
  started_at_us BIGINT NOT NULL,
  ended_at_us BIGINT NOT NULL,
  error TEXT NOT NULL
);
CREATE TABLE run_metrics (
  run_id INTEGER NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  step BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (run_id, key, step)
);
)sql"},
    {3, "model registry: models, versions, aliases, history",
     R"sql(
CREATE TABLE registered_models (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created_at_us BIGINT NOT NULL
);
CREATE TABLE model_versions (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES registered_models(id),
  version INTEGER NOT NULL,
  model_hash TEXT NOT NULL,
  run_id BIGINT NOT NULL,
  status TEXT NOT NULL,
  description TEXT NOT NULL,
  created_at_us BIGINT NOT NULL,
  deleted INTEGER NOT NULL,
  UNIQUE (model_id, version)
);
CREATE TABLE model_aliases (
  model_id INTEGER NOT NULL REFERENCES registered_models(id),
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (model_id, alias)
);
CREATE TABLE model_events (
  id INTEGER PRIMARY KEY,
  model_id INTEGER NOT NULL REFERENCES registered_models(id),
  version INTEGER NOT NULL,
  kind TEXT NOT NULL,
  detail TEXT NOT NULL,
  from_value TEXT NOT NULL,
  to_value TEXT NOT NULL,
  actor TEXT NOT NULL,
  at_us BIGINT NOT NULL
);
)sql"},
    {4, "data profiles of dataset versions",
     R"sql(
CREATE TABLE dataset_profiles (
  id INTEGER PRIMARY KEY,
  dataset_version_id INTEGER NOT NULL REFERENCES dataset_versions(id),
  target TEXT NOT NULL,
  profile_hash TEXT NOT NULL,
  created_at_us BIGINT NOT NULL
);
CREATE INDEX dataset_profiles_by_version ON dataset_profiles (dataset_version_id, target);
)sql"},
    {5, "hyperparameter tuning jobs",
     R"sql(
CREATE TABLE tuning_jobs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  spec_json TEXT NOT NULL,
  trials_json TEXT NOT NULL,
  summary_json TEXT NOT NULL,
  stop_reason TEXT NOT NULL,
  host TEXT NOT NULL,
  pid BIGINT NOT NULL,
  started_at_us BIGINT NOT NULL,
  ended_at_us BIGINT NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX tuning_jobs_by_name ON tuning_jobs (name);
)sql"},
    {6, "import keys of dataset versions",
     R"sql(
ALTER TABLE dataset_versions ADD COLUMN import_key TEXT NOT NULL DEFAULT '';
)sql"},
    {7, "a dataset's latest version is its latest import",
     R"sql(
ALTER TABLE dataset_versions ADD COLUMN latest_seq BIGINT NOT NULL DEFAULT 0;
UPDATE dataset_versions SET latest_seq = version;
)sql"},
    {8, "tags of model versions",
     R"sql(
CREATE TABLE model_version_tags (
  model_id INTEGER NOT NULL REFERENCES registered_models(id),
  version INTEGER NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (model_id, version, key)
);
)sql"},
};

}  // namespace mloop::sqlite
