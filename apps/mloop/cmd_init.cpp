// mloop init [DIR]
#include <iostream>

#include "cli.h"
#include "mloop/core/error.h"

namespace mloop::cli {

void RegisterInit(CLI::App& app, GlobalOptions& global) {
  auto* cmd = app.add_subcommand("init", "Create a workspace: mloop.yaml and .mloop/ (stores)");
  auto dir = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  cmd->add_option("DIR", *dir, "Directory to create the workspace in (default: .)");
  cmd->add_flag("--json", *json, "Print the result as JSON");
  cmd->callback([&global, dir, json] {
    std::string target = *dir;
    if (!global.workspace.empty()) {
      if (!target.empty() && target != global.workspace) {
        throw UsageError("both DIR ('" + target + "') and --workspace ('" + global.workspace +
                         "') name where to create the workspace; give one");
      }
      target = global.workspace;
    }
    auto ws = Workspace::Init(target.empty() ? "." : target);
    if (*json) {
      PrintJson({{"workspace", ws->root().string()},
                 {"config", (ws->root() / "mloop.yaml").string()},
                 {"metadata_schema_version", ws->metadata().SchemaVersion()}});
      return;
    }
    std::cout << "Initialised mloop workspace in " << ws->root().string() << "\n"
              << "  config:    mloop.yaml\n"
              << "  metadata:  .mloop/metadata.db (SQLite)\n"
              << "  artifacts: .mloop/artifacts\n"
              << "Next: mloop data import FILE --name NAME\n";
  });
}

}  // namespace mloop::cli
