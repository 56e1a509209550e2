// Batch transform: a model's predictions for every record of a file or a dataset, written to a
// file, in input order, with SageMaker batch transform's data processing (content types, split
// type, batch strategy, payload limits, input and output filters, joining the input).
//
// A file is streamed: a reader thread cuts it into batches of records (never the whole file in
// memory), `threads` workers parse and predict batches side by side, and the calling thread
// writes their results in input order. The unit of this pipeline is a run of whole batches of at
// least 1,024 records or 1 MiB (one batch with the default limits), and at most
// 2 x threads + 3 units are held at once, so memory stays bounded whatever the input's size.
// Records that cannot be predicted (a wrong field count, a mistyped value, malformed JSON, a
// record over the payload limit) go to an errors file as JSON Lines
// {"line": N, "reason": "...", "text": "the record"} and are left out of the output; the job goes
// on until more than `max_errors` records have failed.
//
// The output and the errors file are written to OUTPUT.partial and ERRORS.partial and renamed
// into place only when the job has succeeded. After each unit written, a checkpoint
// (OUTPUT.checkpoint, JSON) records the input's identity, the model, the options and how far the
// job got (records, input offset, output and errors file sizes): a job that was killed continues
// there with `resume` and produces the same bytes as a job never interrupted.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "mloop/core/table.h"
#include "mloop/model/bundle.h"
#include "mloop/model/records.h"

namespace mloop {

enum class SplitType { kLine, kNone };
enum class BatchStrategy { kMultiRecord, kSingleRecord };
enum class JoinSource { kNone, kInput };

// "Line" / "None", "MultiRecord" / "SingleRecord", "None" / "Input" (any case). Throw UsageError
// naming the valid values.
SplitType ParseSplitType(std::string_view text);
BatchStrategy ParseBatchStrategy(std::string_view text);
JoinSource ParseJoinSource(std::string_view text);
// A content type (see RecordFormatFromContentType); UsageError listing the supported ones.
RecordFormat ParseContentType(std::string_view text, std::string_view flag);
// The format a file's name implies: .csv, .jsonl / .jsonlines / .ndjson, .json (after a
// .gz / .zst / .zstd suffix); nullopt for any other name.
std::optional<RecordFormat> FormatFromFileName(const std::filesystem::path& path);

struct TransformOptions {
  RecordFormat content_type = RecordFormat::kCsv;  // of the input file (application/json: one
                                                   // JSON record per line, as JSON Lines)
  RecordFormat accept = RecordFormat::kCsv;  // of the output (application/json: as JSON Lines)
  // kLine: one record per line, batches as below. kNone: the whole input is one batch (it must
  // fit in max_payload_bytes); its records are still its lines.
  SplitType split_type = SplitType::kLine;
  // kMultiRecord: the model predicts a batch at once; kSingleRecord: each record alone.
  BatchStrategy batch_strategy = BatchStrategy::kMultiRecord;
  int64_t max_records_per_batch = 10000;
  // A batch's records (their bytes in the input) never exceed this; one record larger than it
  // is an error record. Not applied to a dataset's rows.
  int64_t max_payload_bytes = int64_t{6} << 20;
  // kInput: each output record is its input record joined with its prediction: CSV -> the
  // input's fields, then the prediction columns; JSON -> the input object with the prediction
  // object added as "SageMakerOutput" (an input that is not an object becomes
  // {"SageMakerInput": input, "SageMakerOutput": prediction}). Needs accept of the input's kind.
  JoinSource join_source = JoinSource::kNone;
  std::string input_filter = "$";   // what the model gets of each record (json_path.h)
  std::string output_filter = "$";  // what is written of each (joined) output record
  // CSV input: the first line names the columns, and the model's inputs are found by name (other
  // columns are not given to the model). Without a header, the (filtered) values of a record are
  // the model's inputs in its order. CSV output has a header line when the input had one.
  bool header = true;
  int64_t max_errors = 100;              // more failed records than this ends the job
  std::optional<double> max_error_rate;  // checked at the end: failed / records read
  int threads = 0;                       // workers; 0: one per core
  // Continue the job recorded in the output's checkpoint (it must be for the same input, model
  // and options); without a checkpoint the job starts from the beginning.
  bool resume = false;

  // The options that decide the output's bytes, as recorded in a checkpoint.
  nlohmann::json OutputAffectingJson() const;
};

// Progress, reported by the writing thread after each unit written.
struct TransformProgress {
  int64_t records = 0;      // read so far (a resumed job counts the earlier ones)
  int64_t input_bytes = 0;  // input consumed so far (decompressed)
  int64_t input_total = 0;  // the input's size (0: unknown, e.g. compressed)
};

// Test hooks, to interrupt a job at a known point.
struct TransformHooks {
  int pause_ms = 0;  // sleep after each unit written
  // After writing the output of this many units (counted in this process), before their
  // checkpoint: SIGKILL this process. 0: never.
  int64_t kill_after_units = 0;
};

struct TransformJob {
  const Predictor* predictor = nullptr;
  std::string model_hash;  // the model's address: recorded in the checkpoint
  // The input: a file, or else a table (a dataset) with a text that identifies its content.
  std::filesystem::path input_file;
  const Table* input_table = nullptr;
  std::string input_table_id;
  std::filesystem::path output;
  std::filesystem::path errors;  // default: OUTPUT.errors.jsonl
  TransformOptions options;
  TransformHooks hooks;
  std::function<void(const TransformProgress&)> on_progress;  // may be empty
  // Told when a checkpoint could not be used and the job starts over ("why").
  std::function<void(const std::string&)> on_note;
  // Names a model by its address in messages ("churn/1"; "" when it has no name). May be empty.
  std::function<std::string(const std::string& hash)> describe_model;
};

struct TransformSummary {
  int64_t records = 0;     // records read (not header rows or blank lines)
  int64_t predicted = 0;   // records written with a prediction
  int64_t errors = 0;      // records in the errors file
  int64_t resumed_at = 0;  // records done by an earlier, interrupted run (0: not resumed)
  double seconds = 0;      // of this run
  std::filesystem::path output;
  std::filesystem::path errors_file;  // empty when no record failed
};

// Runs the job. Job-level failures throw mloop::Error: bad options or filters (UsageError), the
// input or the model's inputs not fitting (InvalidArgument / DataError), too many failed records
// (DataError: the output is not written, the errors file is), a checkpoint that does not fit
// (FailedPrecondition), I/O. After an I/O or unexpected failure the partial files and the
// checkpoint stay, for `resume`.
TransformSummary RunTransform(const TransformJob& job);

// The files a job writes next to `output`.
std::filesystem::path PartialPath(const std::filesystem::path& path);       // PATH.partial
std::filesystem::path CheckpointPath(const std::filesystem::path& output);  // OUTPUT.checkpoint

}  // namespace mloop
