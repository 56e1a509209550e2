// The model registry's references and rules on top of the metadata store.
//
// Model references, everywhere a command takes a model:
//   NAME/3            version 3 of registered model NAME
//   NAME@production   the version an alias points at (any alias name)
//   NAME@latest       the newest version
//   run:7 or 7        the model trained by run 7
//   a hash prefix     a model bundle by its address (at least 8 hex characters)
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "mloop/store/workspace.h"

namespace mloop {

struct ResolvedModel {
  std::string model_hash;
  std::string description;  // "churn/3", "run 7", ...
  std::optional<ModelVersionRecord> version;
  int64_t run_id = 0;  // given as a run (7, run:7): its id
};

ResolvedModel ResolveModelRef(Workspace& ws, const std::string& ref);

// "churn/2 is Rejected in the registry" when `m` is a rejected registered version, else empty:
// predict, transform and serve use such a version all the same (a rollback may need it), but
// say so.
std::string RejectedWarning(const ResolvedModel& m);

// Hints for a model name or alias that is not there: the nearest registered one (case aside
// first), else the ones there are, else how to make one.
std::string NoModelHint(Workspace& ws, const std::string& name);
// The history's deletion of `name`/`version` (version 0: of any version), if there was one.
std::optional<ModelEvent> DeletionOf(Workspace& ws, const std::string& name, int64_t version);
// For a name with no live version: that each was deleted, or NoModelHint's.
std::string NoVersionHint(Workspace& ws, const std::string& name);
// `to_set`: add how to set the alias (a reference to it), not when removing it.
std::string NoAliasHint(Workspace& ws, const std::string& name, const std::string& alias,
                        bool to_set = true);

// The run of this workspace that trained the bundle at `model_hash`, as its manifest's lineage
// names it; 0 when there is none here (a model imported from another workspace's export names a
// run of that workspace, and a run of that number here made another model).
int64_t TrainingRunOf(Workspace& ws, const nlohmann::json& manifest, const std::string& model_hash);

// A new model name that differs from a registered one in case only (Cancer beside cancer) is
// refused (kUsage): references would read them as one.
void RefuseNameDifferingInCase(Workspace& ws, const std::string& name);

// NAME/V only (what alias, approve, reject and delete act on). kUsage when malformed.
std::pair<std::string, int64_t> ParseVersionRef(const std::string& ref);

// Registered model names: like dataset names. Alias names: letters, digits, '_' and '-',
// starting with a letter; "latest" is reserved.
void ValidateModelName(const std::string& name);
void ValidateAliasName(const std::string& alias);
// Tags of registered versions. Keys: letters, digits, '_', '-', '.', '/' and ':', starting with
// a letter or digit, at most 128 bytes. Values: non-empty UTF-8 text without control characters,
// at most 1000 bytes (an empty value would read as "no tag"). kUsage otherwise.
void ValidateTag(const std::string& key, const std::string& value);

inline constexpr const char* kStatusPending = "PendingManualApproval";
inline constexpr const char* kStatusApproved = "Approved";
inline constexpr const char* kStatusRejected = "Rejected";

// Who is acting: $MLOOP_USER, else $USER, else "unknown".
std::string CurrentActor();

}  // namespace mloop
