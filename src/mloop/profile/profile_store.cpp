#include "mloop/profile/profile_store.h"

#include "mloop/core/error.h"
#include "mloop/data/datasets.h"
#include "mloop/io/byte_source.h"

namespace mloop {

ProfileRecord StoreProfile(Workspace& ws, const DatasetVersion& version, const std::string& target,
                           const Profile& profile) {
  // The blob first, then the row: a failure in between leaves an unreferenced blob, never a row
  // pointing at nothing.
  const std::string json = ProfileToJson(profile).dump();
  ProfileRecord record;
  record.dataset = version.name;
  record.version = version.version;
  record.target = target;
  record.profile_hash = ws.artifacts().Put(json);
  record.created_at_us = ws.clock().NowMicros();
  ws.metadata().AddProfile(record);
  return record;
}

StoredProfile ProfileDataset(Workspace& ws, const DatasetVersion& version, const Table& table,
                             const ProfileOptions& options) {
  StoredProfile out;
  out.profile = ComputeProfile(table, options);
  out.record = StoreProfile(ws, version, options.target, out.profile);
  return out;
}

StoredProfile ProfileDataset(Workspace& ws, const DatasetVersion& version,
                             const ProfileOptions& options) {
  Table table = LoadDataset(ws, version);
  return ProfileDataset(ws, version, table, options);
}

std::optional<StoredProfile> LoadStoredProfile(Workspace& ws, const std::string& dataset,
                                               int64_t version, const std::string& target) {
  std::optional<ProfileRecord> record = ws.metadata().FindProfile(dataset, version, target);
  if (!record) return std::nullopt;
  const std::string what = "the profile of " + dataset + "@" + std::to_string(version) +
                           (target.empty() ? "" : " (target " + target + ")");
  if (!ws.artifacts().Contains(record->profile_hash)) {
    throw Corruption(
        what + " is missing from the artifact store (" + record->profile_hash.substr(0, 12) + ")",
        "profile the dataset again with `mloop profile`");
  }
  StoredProfile out;
  out.record = *record;
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(ReadWholeFile(ws.artifacts().Fetch(record->profile_hash)));
  } catch (const nlohmann::json::exception& e) {
    throw Corruption(what + " is not valid JSON: " + e.what());
  }
  out.profile = ProfileFromJson(json);
  return out;
}

}  // namespace mloop
