// The model-registry part of SqliteMetadataStore.
#include "mloop/core/error.h"
#include "mloop/store/sqlite/sqlite_metadata_store.h"

namespace mloop {

namespace {
constexpr const char* kVersionSelect =
    "SELECT m.name, v.version, v.model_hash, v.run_id, v.status, v.description, "
    "v.created_at_us FROM model_versions v JOIN registered_models m ON m.id = v.model_id ";
}  // namespace

ModelVersionRecord SqliteMetadataStore::ModelVersionFromRow(sqlite::Statement& s) {
  ModelVersionRecord r;
  r.name = s.Text(0);
  r.version = s.Int(1);
  r.model_hash = s.Text(2);
  r.run_id = s.Int(3);
  r.status = s.Text(4);
  r.description = s.Text(5);
  r.created_at_us = s.Int(6);
  auto a = db_->Prepare(
      "SELECT a.alias FROM model_aliases a JOIN registered_models m ON m.id = a.model_id "
      "WHERE m.name = ? AND a.version = ? ORDER BY a.alias");
  a.Bind(1, r.name).Bind(2, r.version);
  while (a.Step()) r.aliases.push_back(a.Text(0));
  auto t = db_->Prepare(
      "SELECT t.key, t.value FROM model_version_tags t JOIN registered_models m "
      "ON m.id = t.model_id WHERE m.name = ? AND t.version = ?");
  t.Bind(1, r.name).Bind(2, r.version);
  while (t.Step()) r.tags.emplace(t.Text(0), t.Text(1));
  return r;
}

void SqliteMetadataStore::SetTag(int64_t model_id, int64_t version, const std::string& key,
                                 const std::string& value) {
  if (value.empty()) {
    db_->Prepare("DELETE FROM model_version_tags WHERE model_id = ? AND version = ? AND key = ?")
        .Bind(1, model_id)
        .Bind(2, version)
        .Bind(3, key)
        .Step();
    return;
  }
  db_->Prepare(
         "INSERT INTO model_version_tags (model_id, version, key, value) VALUES (?, ?, ?, ?) "
         "ON CONFLICT (model_id, version, key) DO UPDATE SET value = excluded.value")
      .Bind(1, model_id)
      .Bind(2, version)
      .Bind(3, key)
      .Bind(4, value)
      .Step();
}

int64_t SqliteMetadataStore::ModelId(const std::string& name) {
  auto s = db_->Prepare("SELECT id FROM registered_models WHERE name = ?");
  s.Bind(1, name);
  return s.Step() ? s.Int(0) : 0;
}

void SqliteMetadataStore::AddEvent(int64_t model_id, int64_t version, const std::string& kind,
                                   const std::string& detail, const std::string& from,
                                   const std::string& to, const std::string& actor, int64_t at_us) {
  // The caller read the clock before this transaction took the write lock: a writer that waited
  // for another could stamp its event before the one it follows. Events never go back in time
  // in id order (an audit log is read in that order): at least the latest event's time.
  db_->Prepare(
         "INSERT INTO model_events (model_id, version, kind, detail, from_value, to_value, "
         "actor, at_us) VALUES (?, ?, ?, ?, ?, ?, ?, "
         "MAX(?, COALESCE((SELECT at_us FROM model_events ORDER BY id DESC LIMIT 1), 0)))")
      .Bind(1, model_id)
      .Bind(2, version)
      .Bind(3, kind)
      .Bind(4, detail)
      .Bind(5, from)
      .Bind(6, to)
      .Bind(7, actor)
      .Bind(8, at_us)
      .Step();
}

ModelVersionRecord SqliteMetadataStore::RegisterModelVersion(
    const std::string& name, const std::string& model_hash, int64_t run_id,
    const std::string& description, const std::map<std::string, std::string>& tags,
    const std::string& actor, int64_t at_us) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  int64_t model_id = ModelId(name);
  if (model_id == 0) {
    db_->Prepare("INSERT INTO registered_models (name, created_at_us) VALUES (?, ?)")
        .Bind(1, name)
        .Bind(2, at_us)
        .Step();
    model_id = sqlite3_last_insert_rowid(db_->handle());
  }
  auto next =
      db_->Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model_id = ?");
  next.Bind(1, model_id);
  next.Step();
  const int64_t version = next.Int(0);
  db_->Prepare(
         "INSERT INTO model_versions (model_id, version, model_hash, run_id, status, "
         "description, created_at_us, deleted) VALUES (?, ?, ?, ?, 'PendingManualApproval', ?, ?, "
         "0)")
      .Bind(1, model_id)
      .Bind(2, version)
      .Bind(3, model_hash)
      .Bind(4, run_id)
      .Bind(5, description)
      .Bind(6, at_us)
      .Step();
  AddEvent(model_id, version, "registered", "", "", model_hash, actor, at_us);
  for (const auto& [key, value] : tags) {
    SetTag(model_id, version, key, value);
    AddEvent(model_id, version, "tag", key, "", value, actor, at_us);
  }
  tx.Commit();
  ModelVersionRecord r;
  r.name = name;
  r.version = version;
  r.model_hash = model_hash;
  r.run_id = run_id;
  r.description = description;
  r.created_at_us = at_us;
  r.tags = tags;
  return r;
}

int SqliteMetadataStore::UpdateModelVersion(const std::string& name, int64_t version,
                                            const ModelVersionChange& change,
                                            const std::string& actor, int64_t at_us) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  auto current = FindModelVersion(name, version);
  const std::string ref = name + "/" + std::to_string(version);
  if (!current) throw NotFound("no model version " + ref);
  for (const auto& key : change.remove_tags) {
    if (!current->tags.count(key)) {
      std::string keys;
      for (const auto& [k, v] : current->tags) keys += (keys.empty() ? "" : ", ") + k;
      throw NotFound(ref + " has no tag '" + key + "'",
                     keys.empty() ? "it has no tags" : "its tags: " + keys);
    }
  }
  const int64_t model_id = ModelId(name);
  int events = 0;
  if (change.description && *change.description != current->description) {
    db_->Prepare("UPDATE model_versions SET description = ? WHERE model_id = ? AND version = ?")
        .Bind(1, *change.description)
        .Bind(2, model_id)
        .Bind(3, version)
        .Step();
    AddEvent(model_id, version, "description", "", current->description, *change.description, actor,
             at_us);
    ++events;
  }
  std::map<std::string, std::string> next = change.set_tags;
  for (const auto& key : change.remove_tags) next[key] = "";
  for (const auto& [key, value] : next) {
    auto it = current->tags.find(key);
    const std::string from = it == current->tags.end() ? "" : it->second;
    if (from == value) continue;
    SetTag(model_id, version, key, value);
    AddEvent(model_id, version, "tag", key, from, value, actor, at_us);
    ++events;
  }
  tx.Commit();
  return events;
}

std::optional<ModelVersionRecord> SqliteMetadataStore::FindModelVersion(const std::string& name,
                                                                        int64_t version) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(std::string(kVersionSelect) +
                        "WHERE m.name = ? AND v.version = ? AND v.deleted = 0");
  s.Bind(1, name).Bind(2, version);
  if (!s.Step()) return std::nullopt;
  return ModelVersionFromRow(s);
}

std::optional<ModelVersionRecord> SqliteMetadataStore::FindModelAlias(const std::string& name,
                                                                      const std::string& alias) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(
      "SELECT a.version FROM model_aliases a JOIN registered_models m ON m.id = a.model_id "
      "WHERE m.name = ? AND a.alias = ?");
  s.Bind(1, name).Bind(2, alias);
  if (!s.Step()) return std::nullopt;
  return FindModelVersion(name, s.Int(0));
}

std::vector<ModelVersionRecord> SqliteMetadataStore::ListModelVersions(const std::string& name) {
  auto lock = db_->Lock();
  std::string sql = std::string(kVersionSelect) + "WHERE v.deleted = 0 ";
  if (!name.empty()) sql += "AND m.name = ? ";
  sql += "ORDER BY m.name, v.version";
  auto s = db_->Prepare(sql);
  if (!name.empty()) s.Bind(1, name);
  std::vector<ModelVersionRecord> out;
  while (s.Step()) out.push_back(ModelVersionFromRow(s));
  return out;
}

bool SqliteMetadataStore::SetModelAlias(const std::string& name, const std::string& alias,
                                        int64_t version, const std::string& actor, int64_t at_us) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  const int64_t model_id = ModelId(name);
  if (model_id == 0 || !FindModelVersion(name, version)) {
    throw NotFound("no model version " + name + "/" + std::to_string(version));
  }
  std::string from;
  {
    auto s = db_->Prepare("SELECT version FROM model_aliases WHERE model_id = ? AND alias = ?");
    s.Bind(1, model_id).Bind(2, alias);
    if (s.Step()) from = std::to_string(s.Int(0));
  }
  if (from == std::to_string(version)) return false;
  db_->Prepare(
         "INSERT INTO model_aliases (model_id, alias, version) VALUES (?, ?, ?) "
         "ON CONFLICT (model_id, alias) DO UPDATE SET version = excluded.version")
      .Bind(1, model_id)
      .Bind(2, alias)
      .Bind(3, version)
      .Step();
  AddEvent(model_id, version, "alias", alias, from, std::to_string(version), actor, at_us);
  tx.Commit();
  return true;
}

void SqliteMetadataStore::RemoveModelAlias(const std::string& name, const std::string& alias,
                                           const std::string& actor, int64_t at_us) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  const int64_t model_id = ModelId(name);
  int64_t version = 0;
  {
    auto s = db_->Prepare("SELECT version FROM model_aliases WHERE model_id = ? AND alias = ?");
    s.Bind(1, model_id).Bind(2, alias);
    if (!s.Step()) throw NotFound("no alias " + name + "@" + alias);
    version = s.Int(0);
  }
  db_->Prepare("DELETE FROM model_aliases WHERE model_id = ? AND alias = ?")
      .Bind(1, model_id)
      .Bind(2, alias)
      .Step();
  AddEvent(model_id, version, "alias", alias, std::to_string(version), "", actor, at_us);
  tx.Commit();
}

bool SqliteMetadataStore::SetModelStatus(const std::string& name, int64_t version,
                                         const std::string& status, const std::string& actor,
                                         int64_t at_us) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  auto current = FindModelVersion(name, version);
  if (!current) throw NotFound("no model version " + name + "/" + std::to_string(version));
  if (current->status == status) return false;
  const int64_t model_id = ModelId(name);
  db_->Prepare("UPDATE model_versions SET status = ? WHERE model_id = ? AND version = ?")
      .Bind(1, status)
      .Bind(2, model_id)
      .Bind(3, version)
      .Step();
  AddEvent(model_id, version, "status", "", current->status, status, actor, at_us);
  tx.Commit();
  return true;
}

void SqliteMetadataStore::DeleteModelVersion(const std::string& name, int64_t version,
                                             const std::string& actor, int64_t at_us) {
  auto lock = db_->Lock();
  sqlite::Transaction tx(*db_);
  auto current = FindModelVersion(name, version);
  if (!current) throw NotFound("no model version " + name + "/" + std::to_string(version));
  if (!current->aliases.empty()) {
    std::string list;
    for (const auto& a : current->aliases) list += (list.empty() ? "" : ", ") + a;
    throw FailedPrecondition(
        name + "/" + std::to_string(version) + " is still aliased (" + list + ")",
        "move the alias to another version first");
  }
  const int64_t model_id = ModelId(name);
  db_->Prepare("UPDATE model_versions SET deleted = 1 WHERE model_id = ? AND version = ?")
      .Bind(1, model_id)
      .Bind(2, version)
      .Step();
  AddEvent(model_id, version, "deleted", "", current->model_hash, "", actor, at_us);
  tx.Commit();
}

std::vector<ModelEvent> SqliteMetadataStore::ModelHistory(const std::string& name) {
  auto lock = db_->Lock();
  auto s = db_->Prepare(
      "SELECT m.name, e.version, e.kind, e.detail, e.from_value, e.to_value, e.actor, e.at_us "
      "FROM model_events e JOIN registered_models m ON m.id = e.model_id WHERE m.name = ? "
      "ORDER BY e.id");
  s.Bind(1, name);
  std::vector<ModelEvent> out;
  while (s.Step()) {
    ModelEvent e;
    e.name = s.Text(0);
    e.version = s.Int(1);
    e.kind = s.Text(2);
    e.detail = s.Text(3);
    e.from = s.Text(4);
    e.to = s.Text(5);
    e.actor = s.Text(6);
    e.at_us = s.Int(7);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace mloop
