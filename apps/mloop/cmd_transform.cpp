// mloop transform: batch transform of a file or a dataset with a model (src/mloop/batch), with
// SageMaker batch transform's data-processing options; prints a summary.
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli.h"
#include "mloop/batch/transform.h"
#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/core/signal_cleanup.h"
#include "mloop/core/strings.h"
#include "mloop/io/atomic_file.h"
#include "mloop/model/bundle.h"
#include "mloop/track/registry.h"

namespace mloop::cli {

namespace {

// Ctrl-C or a SIGTERM stops the job where it is (the checkpoint holds every finished unit), as
// the default action would, after saying how to go on. Only async-signal-safe calls.
extern "C" void SayHowToResume(int sig) {
  static const char kMessage[] =
      "\ninterrupted: the output so far and its checkpoint are kept; run the same command with "
      "--resume to go on\n";
  [[maybe_unused]] const ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof kMessage - 1);
  RemoveRegisteredFiles();  // files being written in place of others, not the output so far
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

struct TransformArgs {
  std::string model, input, output, errors;
  std::string content_type, accept;
  std::string split_type = "Line", batch_strategy = "MultiRecord", join_source = "None";
  std::string input_filter = "$", output_filter = "$";
  int64_t max_records = 10000;
  double max_payload_mb = 6;
  bool no_header = false;
  int64_t max_errors = 100;
  double max_error_rate = -1;  // < 0: not set
  bool resume = false, json = false, quiet = false;
};

int EnvInt(const char* name) {
  const char* v = std::getenv(name);
  return v ? std::atoi(v) : 0;
}

void RunTransformCommand(const GlobalOptions& global, const TransformArgs& a) {
  // Options first: a bad value is a usage error before anything is opened.
  TransformOptions o;
  o.split_type = ParseSplitType(a.split_type);
  o.batch_strategy = ParseBatchStrategy(a.batch_strategy);
  o.join_source = ParseJoinSource(a.join_source);
  o.input_filter = a.input_filter;
  o.output_filter = a.output_filter;
  o.max_records_per_batch = a.max_records;
  // At least one byte, at most 1 TiB: megabytes, fractions allowed.
  if (!(a.max_payload_mb * 1024 * 1024 >= 1) || !(a.max_payload_mb <= 1024 * 1024)) {
    throw UsageError("--max-payload must be from 1 byte (about 1e-6) to 1048576 megabytes, got " +
                     FormatDouble(a.max_payload_mb));
  }
  o.max_payload_bytes = std::llround(a.max_payload_mb * 1024 * 1024);
  o.header = !a.no_header;
  o.max_errors = a.max_errors;
  if (std::isnan(a.max_error_rate)) throw UsageError("--max-error-rate must be between 0 and 1");
  if (a.max_error_rate >= 0) o.max_error_rate = a.max_error_rate;
  o.resume = a.resume;
  std::optional<RecordFormat> content_type, accept;
  if (!a.content_type.empty()) content_type = ParseContentType(a.content_type, "--content-type");
  if (!a.accept.empty()) accept = ParseContentType(a.accept, "--accept");
  if (std::filesystem::is_directory(a.output)) {
    throw UsageError("--output '" + a.output + "' is a directory; give a file name");
  }
  RefuseCompressedOutput(a.output);

  auto ws = OpenWorkspace(global);
  RefuseProtectedOutput(a.output, "--output");
  if (!a.errors.empty()) RefuseProtectedOutput(a.errors, "--errors");
  o.threads = ws->config().threads;
  const ResolvedModel model = ResolveModelRef(*ws, a.model);
  if (const std::string w = RejectedWarning(model); !w.empty()) {
    std::cerr << "warning: " << w << "; transforming with it all the same\n";
  }
  Predictor predictor(LoadBundle(ws->artifacts(), model.model_hash));
  // The workers already predict side by side: one thread each, or the cores are oversubscribed.
  const int workers = o.threads > 0 ? o.threads : DefaultThreads();
  predictor.set_predict_threads(workers > 1 ? 1 : 0);

  TransformJob job;
  job.predictor = &predictor;
  job.model_hash = model.model_hash;
  job.output = a.output;
  job.errors = a.errors;
  Table table;
  if (std::filesystem::exists(a.input)) {
    if (std::filesystem::is_directory(a.input)) {
      throw UsageError("--input '" + a.input + "' is a directory; give a file or a dataset");
    }
    if (!std::filesystem::is_regular_file(a.input)) {
      throw UsageError("--input '" + a.input +
                           "' is a pipe or device; a transform reads a file (it can resume from "
                           "a checkpoint)",
                       "save the input to a file first, or import it: mloop data import FILE");
    }
    job.input_file = a.input;
    if (!content_type) content_type = FormatFromFileName(a.input);
    if (!content_type) {
      throw UsageError("cannot tell the content type of '" + a.input + "' from its name",
                       "pass --content-type text/csv or --content-type application/jsonlines");
    }
  } else {
    // Not a file: a dataset NAME[@VERSION], unless it looks like a path.
    if (a.input.find('/') != std::string::npos || FormatFromFileName(a.input)) {
      throw NotFound("cannot open '" + a.input + "': no such file",
                     "--input takes a CSV or JSON Lines file, or a dataset NAME[@VERSION]");
    }
    if (content_type) {
      throw UsageError("--content-type is for an input file; '" + a.input +
                       "' is a dataset, whose columns are typed already");
    }
    if (a.no_header) {
      throw UsageError("--no-header is for a CSV input file; '" + a.input +
                       "' is a dataset, whose columns are named already");
    }
    const DatasetVersion version = ResolveDataset(*ws, DatasetRefArg(a.input));
    table = LoadDataset(*ws, version);
    job.input_table = &table;
    job.input_table_id =
        version.name + "@" + std::to_string(version.version) + " sha256:" + version.content_hash;
    content_type = RecordFormat::kCsv;
  }
  o.content_type = *content_type;
  if (a.no_header && *content_type != RecordFormat::kCsv) {
    throw UsageError(
        "--no-header is for CSV input; JSON records name their fields or list "
        "values in the model's order");
  }
  if (!accept) {
    // The output's name decides (out.jsonl: JSON Lines), unless the input is joined to the
    // output, which keeps the input's kind.
    const std::optional<RecordFormat> named = FormatFromFileName(a.output);
    const bool joined = o.join_source == JoinSource::kInput && !job.input_table;
    const auto is_csv = [](RecordFormat f) { return f == RecordFormat::kCsv; };
    if (joined && named && is_csv(*named) != is_csv(*content_type)) {
      throw UsageError("--join-source Input writes records of the input's kind (" +
                           std::string(is_csv(*content_type) ? "CSV" : "JSON") + "), but '" +
                           a.output + "' is named as " + (is_csv(*named) ? "CSV" : "JSON Lines"),
                       "name the output after the input's kind (." +
                           std::string(is_csv(*content_type) ? "csv" : "jsonl") + ")");
    }
    accept = named && !joined ? *named : job.input_table ? RecordFormat::kCsv : *content_type;
  }
  o.accept = *accept;
  job.options = o;
  job.hooks.pause_ms = EnvInt("MLOOPTEST_TRANSFORM_PAUSE_MS");
  job.hooks.kill_after_units = EnvInt("MLOOPTEST_TRANSFORM_KILL_AFTER");
  std::signal(SIGINT, SayHowToResume);
  std::signal(SIGTERM, SayHowToResume);

  Progress progress("transforming " + a.input);
  if (!a.quiet && job.input_table == nullptr) {
    job.on_progress = [&](const TransformProgress& p) {
      progress.Update(p.input_bytes, p.input_total);
    };
  }
  job.on_note = [](const std::string& text) { std::fprintf(stderr, "note: %s\n", text.c_str()); };
  job.describe_model = [&ws](const std::string& hash) {
    std::vector<std::string> names;
    for (const auto& v : ws->metadata().ListModelVersions("")) {
      if (v.model_hash == hash) names.push_back(v.name + "/" + std::to_string(v.version));
    }
    return Join(names, ", ");
  };

  TransformSummary s;
  try {
    s = RunTransform(job);
  } catch (const Error& e) {
    // --json: scripts read one document on stdout, a failed job's too (the message also goes to
    // stderr, and the exit status stays the error's).
    if (a.json) {
      const std::filesystem::path errors =
          std::filesystem::path(a.errors.empty() ? a.output + ".errors.jsonl" : a.errors);
      nlohmann::json j = {{"ok", false},
                          {"error", e.what()},
                          {"model", model.description},
                          {"input", a.input},
                          {"output", a.output}};
      if (!e.hint().empty()) j["hint"] = e.hint();
      if (std::filesystem::exists(errors)) j["errors_file"] = errors.string();
      PrintJson(j);
    }
    throw;
  }
  const int64_t here = s.records - s.resumed_at;
  const double per_second = s.seconds > 0 ? static_cast<double>(here) / s.seconds : 0;
  if (a.json) {
    nlohmann::json j;
    j["ok"] = true;
    j["model"] = model.description;
    j["model_hash"] = model.model_hash;
    j["input"] = a.input;
    j["output"] = s.output.string();
    j["errors_file"] = s.errors_file.empty() ? nlohmann::json() : nlohmann::json(s.errors_file);
    j["records"] = s.records;
    j["predicted"] = s.predicted;
    j["errors"] = s.errors;
    j["resumed_at"] = s.resumed_at;
    j["seconds"] = s.seconds;
    j["records_per_second"] = per_second;
    PrintJson(j);
    return;
  }
  std::cout << "Transformed " << HumanCount(s.records) << (s.records == 1 ? " record" : " records")
            << " with " << model.description << ": " << HumanCount(s.predicted) << " predicted, "
            << HumanCount(s.errors) << " failed";
  if (s.resumed_at > 0) std::cout << " (resumed after " << HumanCount(s.resumed_at) << ")";
  std::cout << "\n"
            << "Time: " << HumanSeconds(s.seconds) << ", " << HumanCount(std::llround(per_second))
            << " records/s\n"
            << "Wrote " << s.output.string() << "\n";
  if (!s.errors_file.empty()) {
    std::cout << "Failed records: " << s.errors_file.string() << "\n";
  }
}

}  // namespace

void RegisterTransform(CLI::App& app, GlobalOptions& global) {
  auto a = std::make_shared<TransformArgs>();
  auto* cmd = app.add_subcommand(
      "transform",
      "Batch transform: predict every record of a file or dataset, streaming, on all cores");
  cmd->add_option("-m,--model", a->model,
                  "NAME/VERSION, NAME@ALIAS, NAME@latest, a run id or a model address prefix")
      ->required();
  cmd->add_option("-i,--input", a->input,
                  "A CSV or JSON Lines file (plain, .gz or .zst), or a dataset NAME[@VERSION]")
      ->required();
  cmd->add_option("-o,--output", a->output,
                  "The output file (written as OUTPUT.partial, renamed when complete)")
      ->required();
  cmd->add_option("--content-type", a->content_type,
                  "text/csv | application/jsonlines | application/json (one record per line); "
                  "default: from the input's extension");
  cmd->add_option("--accept", a->accept,
                  "The output's content type (same choices); default: from the output's extension, "
                  "else the input's");
  cmd->add_option("--split-type", a->split_type,
                  "Line: one record per line (default) | None: the whole input is one batch");
  cmd->add_option("--batch-strategy", a->batch_strategy,
                  "MultiRecord: batches of records (default) | SingleRecord: one record at a "
                  "time");
  cmd->add_option("--max-records-per-batch", a->max_records,
                  "Records per batch, at most (default 10000)")
      ->check(CLI::Range(int64_t{1}, int64_t{100000000}));
  cmd->add_option("--max-payload", a->max_payload_mb,
                  "Megabytes of records per batch, at most (default 6); a larger record fails");
  cmd->add_option("--join-source", a->join_source,
                  "None (default) | Input: write each input record with its prediction (CSV: "
                  "columns appended; JSON: under \"SageMakerOutput\")");
  cmd->add_option("--input-filter", a->input_filter,
                  "JSONPath of what the model gets of a record: $[1:], $[0,2], $.features, "
                  "$['a','b'] (default $)");
  cmd->add_option("--output-filter", a->output_filter,
                  "JSONPath of what is written of each (joined) record: $[0,-1], "
                  "$['id','SageMakerOutput'] (default $)");
  cmd->add_flag("--no-header", a->no_header,
                "CSV input has no header row: its values are the model's inputs in order");
  cmd->add_option("--errors", a->errors,
                  "Where failed records go, as JSON Lines (default OUTPUT.errors.jsonl)");
  cmd->add_option("--max-errors", a->max_errors,
                  "Fail the job when more records than this fail (default 100)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-error-rate", a->max_error_rate,
                  "Fail the job when more than this share of the records failed (0-1), checked "
                  "at the end")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--resume", a->resume,
                "Continue an interrupted job from its checkpoint (same input, model and "
                "options)");
  cmd->add_flag("--json", a->json, "Print the summary as JSON");
  cmd->add_flag("-q,--quiet", a->quiet, "No progress line");
  cmd->callback([&global, a] { RunTransformCommand(global, *a); });
}

}  // namespace mloop::cli
