// The inside of batch transform (transform.cpp): the plan a job fixes before it starts (formats,
// filters resolved against the header, output header) and the worker that turns one unit of
// records into output and error lines. Not a public interface.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/batch/json_path.h"
#include "mloop/batch/record_reader.h"
#include "mloop/batch/transform.h"
#include "mloop/model/records.h"

namespace mloop::batch_internal {

enum class InputKind { kCsv, kJson, kTable };

// What every worker shares, read-only, for the whole job.
struct TransformPlan {
  const Predictor* predictor = nullptr;
  TransformOptions options;
  InputKind input = InputKind::kCsv;
  bool csv_out = true;  // else one JSON value per line
  bool join = false;
  JsonPath input_filter, output_filter;
  std::vector<Field> inputs;  // the model's
  // CSV input with a header: fields per record, and model input i -> its field in a record.
  bool header = false;
  int64_t header_width = 0;
  std::vector<int> field_of_input;
  // CSV records whose model inputs are all float64 are parsed straight into columns when they
  // hold plain numbers (any other record takes RecordBatch's way, which decides its errors):
  // field f of a record -> model input field_target[f], or -1; records have fast_width fields.
  bool fast_csv = false;
  std::vector<int> field_target;
  int64_t fast_width = 0;
  // With fast_csv, for a model without a recipe whose encoding reads exactly the inputs:
  // records are encoded straight into feature rows (Encoding::EncodeRow), no table between.
  bool fast_encode = false;
  // A table: the columns given to the model.
  std::vector<std::string> model_columns;
  // Output.
  std::vector<std::string> prediction_names;
  PredictionWriteOptions write_options;
  std::string header_line;            // CSV output header line (with "\n"), or empty
  bool output_indexes_fixed = false;  // CSV: the output filter resolved once (the width is known)
  std::vector<int> output_indexes;
};

// Builds the plan: resolves the filters against the header (`header_text`, the CSV header line;
// null without one) or the table's columns, finds the model's inputs, makes the output header.
// Throws UsageError for options or filters that cannot work, DataError when the header lacks an
// input of the model.
TransformPlan MakePlan(const Predictor& predictor, const TransformOptions& options, InputKind input,
                       const std::string* header_text, const Table* table);

// A run of consecutive records (or table rows) that is read, predicted and written as one piece,
// made of one or more batches as the batch strategy and limits cut them.
struct Unit {
  int64_t seq = 0;
  std::string bytes;              // the records' text (file input)
  std::vector<RecordSpan> spans;  // file input: each record
  int64_t row_begin = 0;          // table input: rows [row_begin, row_end)
  int64_t row_end = 0;
  std::vector<int64_t> batch_ends;  // records (or rows from row_begin) ending each batch
  int64_t end_offset = 0;           // the input position after the unit (a table: row_end)
  int64_t end_line = 0;
  int64_t records() const {
    return spans.empty() ? row_end - row_begin : static_cast<int64_t>(spans.size());
  }
};

struct UnitResult {
  int64_t seq = 0;
  std::string output;  // output lines, in record order
  std::string errors;  // errors file lines, in record order
  int64_t records = 0, predicted = 0, failed = 0;
  // Records not tried: their batch alone had failed more records than --max-errors (the job
  // fails; see PredictAndEmit).
  int64_t untried = 0;
  std::string first_error;  // "line N: reason"
  int64_t end_offset = 0, end_line = 0;
};

// One per thread.
class Worker {
 public:
  explicit Worker(const TransformPlan& plan);
  ~Worker();
  void Process(const Unit& unit, const Table* table, UnitResult* result);

 private:
  struct State;
  std::unique_ptr<State> s_;
};

// The errors file line for a failed record: {"line":N,"reason":"...","text":"..."} ("text_base64"
// instead of "text" when the record is not valid UTF-8).
void AppendErrorLine(int64_t line, std::string_view reason, std::string_view text,
                     std::string* out);

}  // namespace mloop::batch_internal
