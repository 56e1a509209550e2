// mloop: the machine-learning lifecycle in one program. This file parses the command line,
// dispatches to the command groups, and is the one place where errors become messages and exit
// codes: 0 ok, 1 error, 2 usage, 3 a quality gate failed.
#include <cstdio>
#include <functional>
#include <iostream>

#include "cli.h"
#include "mloop/core/error.h"
#include "mloop/core/signal_cleanup.h"
#include "mloop/core/strings.h"
#include "mloop/version.h"

namespace {

// When the command line names a subcommand that does not exist ("mloop data impor"), CLI11 only
// says that a subcommand is required. This finds the unknown word and the nearest valid one.
std::string UnknownCommandMessage(CLI::App& app, int argc, char** argv) {
  CLI::App* current = &app;
  std::string path = "mloop";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-w" || arg == "--workspace" || arg == "--threads") {
      ++i;  // skip the option's value
      continue;
    }
    if (arg.empty() || arg[0] == '-') {
      // An option of the current command that takes a value: skip the value ("serve --model X").
      const CLI::Option* opt =
          arg.find('=') == std::string::npos ? current->get_option_no_throw(arg) : nullptr;
      if (opt && opt->get_expected_min() > 0) ++i;
      continue;
    }
    auto subs = current->get_subcommands([](CLI::App*) { return true; });
    if (subs.empty()) return {};
    std::vector<std::string> names;
    CLI::App* next = nullptr;
    for (auto* sub : subs) {
      names.push_back(sub->get_name());
      if (sub->get_name() == arg) next = sub;
    }
    if (!next) {
      // A command that also takes a positional ("tune FILE") reads an unknown word as that,
      // unless it is a near miss of a subcommand ("tune shwo").
      const std::string near = mloop::DidYouMean(arg, names);
      const bool takes_positional =
          !current->get_options([](const CLI::Option* o) { return o->get_positional(); }).empty();
      if (takes_positional && near.empty()) return {};
      return "unknown command '" + arg + "' for '" + path + "'" + near +
             "; commands: " + mloop::Join(names, ", ");
    }
    current = next;
    path += " " + arg;
  }
  return {};
}

// A subcommand added after its parent's footer was set inherits it (CLI11 copies it): `tune
// show --help` ended with `tune`'s examples. Such copies go back to mloop's own footer line, as
// every other help text ends.
void ResetInheritedFooters(CLI::App& app) {
  const std::string root = app.get_footer();
  std::function<void(CLI::App&)> walk = [&](CLI::App& parent) {
    for (CLI::App* sub : parent.get_subcommands({})) {
      walk(*sub);  // first: its own children compare with its footer as it was set
      if (&parent != &app && sub->get_footer() == parent.get_footer()) sub->footer(root);
    }
  };
  walk(app);
}

// "--fail-under auc=0.9 f1=0.8": a second KEY=VALUE after a flag that takes one per use. The
// hint shows the flag repeated; "" when the unexpected argument is not such a value.
std::string RepeatTheFlagHint(const CLI::ParseError& e, int argc, char** argv) {
  if (dynamic_cast<const CLI::ExtrasError*>(&e) == nullptr) return {};
  for (int i = 2; i < argc; ++i) {
    const std::string extra = argv[i];
    if (extra.empty() || extra[0] == '-' || extra.find('=') == std::string::npos) continue;
    if (std::string(e.what()).find(extra) == std::string::npos) continue;
    int flag = i - 1;
    while (flag > 0 && argv[flag][0] != '-') --flag;
    // One KEY=VALUE between the flag and this one (`--target y eta=0.1` is a forgotten flag, not
    // a second value).
    if (flag < 1 || flag != i - 2 || std::string(argv[flag]).find('=') != std::string::npos ||
        std::string(argv[i - 1]).find('=') == std::string::npos) {
      continue;
    }
    const std::string name = argv[flag];
    return name + " takes one value each time: repeat it (" + name + " " + argv[i - 1] + " " +
           name + " " + extra + ")";
  }
  return {};
}

int Run(int argc, char** argv) {
  mloop::InstallSignalCleanup();
  CLI::App app{"mloop: the machine-learning lifecycle in one program", "mloop"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("mloop ") + mloop::kVersion);
  mloop::cli::GlobalOptions global;
  app.add_option("-w,--workspace", global.workspace,
                 "Workspace directory (default: nearest above the current directory, or "
                 "$MLOOP_WORKSPACE)")
      // `-w "$WS"` with WS unset must not fall back to another workspace.
      ->check([](const std::string& dir) {
        return dir.empty() ? std::string("the workspace directory is empty (an unset variable?)")
                           : std::string();
      });
  app.add_option("--threads", global.threads, "Worker threads (0: one per core)")
      ->check(CLI::Range(0, 1024));
  app.footer("Run `mloop COMMAND --help` for a command's options. Docs: docs/cli.md");
  // The global options may also follow the command (`mloop transform ... --threads 1`): every
  // subcommand, added below, inherits this and hands an option it does not know to its parent.
  app.fallthrough();
  mloop::cli::RegisterInit(app, global);
  mloop::cli::RegisterData(app, global);
  mloop::cli::RegisterProfile(app, global);
  mloop::cli::RegisterPrep(app, global);
  mloop::cli::RegisterTrain(app, global);
  mloop::cli::RegisterModels(app, global);
  mloop::cli::RegisterTune(app, global);
  mloop::cli::RegisterTransform(app, global);
  mloop::cli::RegisterServe(app, global);
  int exit_code = 0;
  mloop::cli::RegisterEval(app, global, &exit_code);
  ResetInheritedFooters(app);
  if (argc == 1) {  // no command: show what there is
    std::fprintf(stderr, "%s", app.help().c_str());
    return 2;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // A bad option value ("--max-trials 0") is about that option, whatever the words before it.
    const bool bad_value = dynamic_cast<const CLI::ValidationError*>(&e) ||
                           dynamic_cast<const CLI::ConversionError*>(&e) ||
                           dynamic_cast<const CLI::ArgumentMismatch*>(&e);
    std::string message = bad_value ? std::string() : UnknownCommandMessage(app, argc, argv);
    if (message.empty()) message = e.what();
    // CLI11 says "--max-errors: At Most 1 required but received 2" for an option given twice.
    const std::string twice = ": At Most 1 required but received ";
    if (const size_t at = message.find(twice); at != std::string::npos) {
      message = message.substr(0, at) + " is given " + message.substr(at + twice.size()) +
                " times; it takes one value (give it once)";
    }
    std::string hint = RepeatTheFlagHint(e, argc, argv);
    if (hint.empty()) hint = "run `mloop --help` or `mloop COMMAND --help`";
    std::fprintf(stderr, "error: %s\nhint: %s\n", message.c_str(), hint.c_str());
    return 2;
  }
  return exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  try {
    return Run(argc, argv);
  } catch (const mloop::Error& e) {
    std::cout.flush();
    std::fprintf(stderr, "error: %s\n", e.what());
    if (!e.hint().empty()) std::fprintf(stderr, "hint: %s\n", e.hint().c_str());
    return e.code() == mloop::ErrorCode::kUsage ? 2 : 1;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "error: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: internal error: %s\nhint: please report this as a bug\n",
                 e.what());
    return 1;
  }
}
