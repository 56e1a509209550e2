// Shared pieces of the mloop command line: global options, opening the workspace, output.
#pragma once

#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mloop/core/strings.h"  // HumanBytes, Join, DidYouMean
#include "mloop/data/datasets.h"
#include "mloop/store/workspace.h"

namespace mloop::cli {

struct GlobalOptions {
  std::string workspace;  // --workspace DIR (or MLOOP_WORKSPACE)
  int threads = -1;       // --threads N; -1: from the configuration
};

// Opens the workspace named by --workspace / MLOOP_WORKSPACE, or the nearest one above the
// current directory, with flags applied over the configuration.
std::unique_ptr<Workspace> OpenWorkspace(const GlobalOptions& global);
// Whether a DATASET argument of train or profile names a data file to import: a regular file,
// unless the argument is a plain name (no '/' or '.') of a stored dataset: `train iris` means the
// dataset iris even beside a stray file 'iris' (importing it would move iris's latest version).
bool IsDataFileArg(Workspace& ws, const std::string& arg);

// OpenWorkspace's, or null when no workspace is here or above and none was named: for commands
// that record nothing (tuning an external command, evaluating a predictions file).
std::unique_ptr<Workspace> OptionalWorkspace(const GlobalOptions& global);

// A dataset reference typed on the command line; a malformed one is a usage error (exit 2).
DatasetRef DatasetRefArg(const std::string& text);
// A stored dataset version named on the command line, for commands that take no file: a file
// given instead is named as such, with the import command as hint.
DatasetVersion StoredDatasetArg(Workspace& ws, const std::string& text);
// --data of predict and eval: a data file (CSV or JSON Lines) when one of that name exists, read
// with the workspace's ingest settings (ReadDataFile) and the model's missing-value tokens
// (`missing`, when given), otherwise a dataset NAME[@VERSION].
// `others_as_text`: a CSV file's columns not in `expected` are read as strings, as written.
Table LoadTableArg(Workspace& ws, const std::string& data, const std::vector<Field>& expected = {},
                   bool others_as_text = false, const MissingTokens* missing = nullptr);

// A compressed output name (.gz, .zst, .zstd, any case) is a usage error: outputs are written
// uncompressed.
void RefuseCompressedOutput(const std::string& path);
// Whether an output file named `path` is JSON Lines (.jsonl, .ndjson, .json, any case) rather
// than CSV, by the rule the readers use (after RefuseCompressedOutput).
bool OutputIsJsonLines(const std::string& path);

// After an import or a recipe found its content already stored as `v`, an older version, which
// is now the latest again (`before`: the latest before): a note on stdout that NAME means it.
void NoteLatestAgain(const std::optional<DatasetVersion>& before, const DatasetVersion& v);

// A data file given where a dataset goes (`train FILE`, `profile FILE`): imported as a dataset
// named after the file (default import options), announced on stderr when `announce`
// ("imported FILE as NAME@V (N rows)", or "already stored: ..." and, when that made an older
// version the latest again, that NAME now means it).
ImportResult ImportDataFile(Workspace& ws, const std::string& file, bool announce);
// The same for a request made by FileImportRequest (a tuning job's data file); `file` as the
// user gave it.
ImportResult ImportDataFile(Workspace& ws, const std::string& file, const ImportRequest& request,
                            bool announce);

// For the rest of the process, a reader that went away (`mloop train ... | head -1`) fails
// writes to it instead of killing mloop (SIGPIPE): a long command that records what it does
// (train, tune) loses the rest of its output but finishes, rather than dying halfway.
void IgnoreBrokenPipe();

// While alive, Ctrl-C (SIGINT) and SIGTERM set flag() instead of ending mloop, so that a long
// command (train, tune) stops at its next step and records what it did; a second signal ends
// mloop at once. The previous handlers come back on destruction. One at a time.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  const std::atomic<bool>* flag() const;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

// Checks a --seed: a whole number from 0 to 2^64 - 1 (CLI11 alone wraps -1 and clamps larger
// numbers without a word).
CLI::Validator SeedValidator();
// A count option (--rows): a whole number, 0 or more.
CLI::Validator CountValidator();
// A run id argument (runs show, runs compare): a whole number from 1, also written `run:N` as
// model references take it; a transform, so `run:` is gone before CLI11 converts the number.
CLI::Validator RunIdValidator();

// The KEY=VALUE texts of a repeatable option (`--param`, `--tag`) as a map. kUsage, naming
// `option`, for text without '=' or with nothing before it, and for a KEY given twice.
std::map<std::string, std::string> ParseKeyValues(const std::string& option,
                                                  const std::vector<std::string>& texts);

// Each command group registers its subcommands on `app`.
void RegisterInit(CLI::App& app, GlobalOptions& global);
void RegisterData(CLI::App& app, GlobalOptions& global);
// `profile`, and `data diff` into the `data` group: call after RegisterData.
void RegisterProfile(CLI::App& app, GlobalOptions& global);
void RegisterTrain(CLI::App& app, GlobalOptions& global);
void RegisterPrep(CLI::App& app, GlobalOptions& global);
void RegisterModels(CLI::App& app, GlobalOptions& global);
// `tune FILE`: hyperparameter tuning jobs.
void RegisterTune(CLI::App& app, GlobalOptions& global);
void RegisterTransform(CLI::App& app, GlobalOptions& global);
// `serve` (and `serve keys`): the inference server.
void RegisterServe(CLI::App& app, GlobalOptions& global);
// `eval` sets *exit_code to 3 when a quality gate misses.
void RegisterEval(CLI::App& app, GlobalOptions& global, int* exit_code);

// Output helpers. Human output goes to stdout; progress and messages to stderr.
void PrintJson(const nlohmann::json& j);
// Prints rows as an aligned text table with a header line. Cells are shown printable (control
// characters escaped); bold_first_cell[i] shows row i's first cell in bold (a terminal's escape).
void PrintTable(const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows, const std::string& indent = "",
                const std::vector<bool>& bold_first_cell = {});
std::string HumanCount(int64_t n);   // 1234567 -> "1,234,567"
std::string HumanSeconds(double s);  // "0.42 s", "3.1 s"
// `digits` significant digits, as printf's %g: 2821.18, 0.000117316, 1.5e+32; "nan", "inf".
std::string SignificantText(double v, int digits);
// A metric for a table: `decimals` places (0.9881), or `decimals` significant digits in
// scientific notation when that would hide the value (1.75e+32, 2.5e-11); "nan", "inf".
std::string MetricText(double v, int decimals = 4);

// A progress reporter for long reads: draws on stderr only when it is a terminal.
class Progress {
 public:
  explicit Progress(std::string label);
  ~Progress();
  void Update(int64_t done, int64_t total);

 private:
  std::string label_;
  bool enabled_;
  bool drawn_ = false;
  int last_percent_ = -1;
};

}  // namespace mloop::cli
