// Profiles stored with their dataset versions. The profile's JSON (ProfileToJson, compact) is a
// blob in the artifact store; a row in the metadata store (dataset, version, target, the blob's
// address, time) ties it to the version. A version can be profiled more than once (other
// options, another target); the newest profile for a (dataset, version, target) wins.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "mloop/core/table.h"
#include "mloop/profile/profile.h"
#include "mloop/store/metadata_store.h"
#include "mloop/store/workspace.h"

namespace mloop {

struct StoredProfile {
  Profile profile;
  ProfileRecord record;  // where it is stored
};

// Computes the profile of dataset version `version` (loading its snapshot) with `options`,
// stores it and records it against the version and options.target; returns both. Throws
// NotFound (naming the nearest column) for an unknown target; nothing is stored then.
StoredProfile ProfileDataset(Workspace& ws, const DatasetVersion& version,
                             const ProfileOptions& options);
// The same for `table`, already loaded: it must be the snapshot of `version`.
StoredProfile ProfileDataset(Workspace& ws, const DatasetVersion& version, const Table& table,
                             const ProfileOptions& options);

// Stores `profile` as the profile of (`version`, `target`); returns its record.
ProfileRecord StoreProfile(Workspace& ws, const DatasetVersion& version, const std::string& target,
                           const Profile& profile);

// The newest stored profile of (`dataset`, `version`, `target`; "" = without a target), or
// nullopt when there is none. Throws Corruption when its blob is not a valid profile.
std::optional<StoredProfile> LoadStoredProfile(Workspace& ws, const std::string& dataset,
                                               int64_t version, const std::string& target = "");

}  // namespace mloop
