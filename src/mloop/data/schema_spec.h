// Schema files and --type/--role flags: how a user declares column types and roles at import.
//
//   # schema.yaml
//   columns:
//     age: int64                              # a type
//     churned: {type: bool, role: target}     # a type and a role
//     customer_id: {role: id}                 # a role; the type is inferred
#pragma once

#include <filesystem>
#include <string>

#include "mloop/io/read_options.h"

namespace mloop {

// Adds the declarations of a schema file to `options`. Unknown keys, types and roles are
// InvalidArgument errors naming file, line and column.
void ApplySchemaFile(const std::filesystem::path& path, ReadOptions& options);

// Parses "col=TYPE" (for --type) into `options.types`; kUsage on a malformed spec.
void ApplyTypeSpec(const std::string& spec, ReadOptions& options);
// Parses "col=ROLE" (for --role).
void ApplyRoleSpec(const std::string& spec, ReadOptions& options);

}  // namespace mloop
