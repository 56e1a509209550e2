// Records: the rows a deployed model receives (a request body of the server, a batch of
// `mloop transform`), parsed against the model's input schema, and its predictions written back.
//
// Formats (as SageMaker's inference containers take them):
//   CSV         one record per line, no header, one value per input column in the model's order
//               (RFC 4180 quoting; the model's missing-value tokens, an empty field, NA,
//               NULL, ..., are missing values)
//   JSON        one record, or an array of records, or {"instances": [records]}; a record is an
//               object keyed by column name, or an array of values in the model's order
//   JSON Lines  one record per line
// Every record is checked before anything is predicted: a missing, extra or mistyped field is a
// RecordProblem naming the record (1-based) and the field. JSON null is a missing value.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mloop/core/column.h"
#include "mloop/core/error.h"
#include "mloop/core/matrix.h"
#include "mloop/core/table.h"
#include "mloop/train/encoding.h"

namespace mloop {

enum class RecordFormat { kCsv, kJson, kJsonLines };

// "text/csv" -> kCsv; "application/json" -> kJson; "application/jsonlines",
// "application/x-jsonlines", "application/jsonl", "application/x-ndjson" -> kJsonLines. Parameters
// after ';' (charset) and case are ignored. nullopt for anything else.
std::optional<RecordFormat> RecordFormatFromContentType(std::string_view content_type);
// The content type written for `format` ("text/csv", "application/json", "application/jsonlines").
std::string_view ContentTypeOf(RecordFormat format);
// "csv", "json", "jsonl" / "jsonlines" / "ndjson" (file extensions, any case) -> the format;
// nullopt otherwise.
std::optional<RecordFormat> RecordFormatFromName(std::string_view name);

// Why a record cannot be predicted on.
struct RecordProblem {
  int64_t record = 0;   // 1-based, within the body or batch
  std::string field;    // the input column concerned ("" when the record as a whole is wrong)
  std::string message;  // "expected a number, got \"abc\""

  // "record 3, field 'age': expected a number, got \"abc\""
  std::string ToString() const;
};

// DataError thrown by RecordBatch::ParseBody, carrying the problem.
class RecordError : public Error {
 public:
  explicit RecordError(RecordProblem problem)
      : Error(ErrorCode::kDataError, problem.ToString()), problem_(std::move(problem)) {}
  const RecordProblem& problem() const { return problem_; }

 private:
  RecordProblem problem_;
};

// Collects records into a Table with the model's input schema. Each Append* checks a whole
// record first and adds it only when every field is right, so a bad record leaves the batch as
// it was. Not thread-safe: one per request or per batch.
class RecordBatch {
 public:
  // `inputs`: the model's input columns, in the order CSV records and arrays list them.
  // `missing`: the tokens a CSV field is missing for (the model's, Predictor::missing_tokens),
  // which must outlive the batch.
  RecordBatch(std::vector<Field> inputs, const MissingTokens& missing);
  // Encode mode: the inputs are encoding->inputs(), and each record, checked as usual, is encoded
  // straight into a feature row (Encoding::EncodeRow) instead of a table: FinishEncoded returns
  // the rows. What the server does for models without a recipe (Predictor::encodes_records).
  RecordBatch(const Encoding* encoding, const MissingTokens& missing);
  ~RecordBatch();
  RecordBatch(RecordBatch&&) noexcept;
  RecordBatch& operator=(RecordBatch&&) noexcept;

  const std::vector<Field>& inputs() const { return inputs_; }
  int64_t size() const { return rows_; }

  // Batch files (`mloop transform`): a JSON object's members that are not inputs are left out,
  // as a CSV file's other columns are (an id, the label). When an input is then missing, the
  // record's problem names the unknown member nearest to it. The default (serving) refuses them.
  void IgnoreUnknownMembers(bool ignore);
  // Batch files: a JSON string for a number, bool or timestamp input is read as a CSV field of
  // that declared type ("5.1" is 5.1, "46" 46, "true" true), as `mloop predict` reads a JSON
  // Lines file with the model's types. The default (serving's JSON rules) refuses a string for
  // a number or bool input.
  void ReadStringsAsDeclared(bool on);

  // One record from its values as text, in input order (a CSV line already split; batch
  // transform maps a CSV file's header onto the inputs and passes the values it selects).
  // `quoted`, for CSV fields, says which values were quoted: as in `mloop data import`, an
  // unquoted missing-value token (the model's: NA, NULL, the empty field, ...) is missing for every
  // input, and a quoted one is the text itself for a string input. Without it (values from JSON
  // tensors) a string input is missing only when empty.
  std::optional<RecordProblem> AppendValues(const std::vector<std::string_view>& values,
                                            int64_t record,
                                            const std::vector<char>* quoted = nullptr);
  // One CSV line (without its line end).
  std::optional<RecordProblem> AppendCsvLine(std::string_view line, int64_t record);
  // One JSON record: an object keyed by column name or an array of values in input order.
  std::optional<RecordProblem> AppendJson(std::string_view json, int64_t record);

  // Every record of a request body; throws RecordError at the first bad one (nothing is
  // appended then). Returns the number of records appended.
  int64_t ParseBody(std::string_view body, RecordFormat format);

  // The records appended so far as a Table (with the inputs as its schema); empties the batch.
  Table Finish();
  // Encode mode: the encoded rows of the records appended so far; empties the batch.
  DenseMatrix FinishEncoded();

  struct Impl;  // the builders and parser state (records.cpp)

 private:
  std::vector<Field> inputs_;
  std::unique_ptr<Impl> impl_;
  int64_t rows_ = 0;
};

// Splits one CSV line into fields (RFC 4180: quoted fields, doubled quotes; `scratch` keeps
// unquoted copies of fields that had doubled quotes). False on an unterminated quote.
// `quoted`, when given, gets 1 for each field that was quoted, 0 otherwise.
bool SplitCsvLine(std::string_view line, char delimiter, std::vector<std::string_view>* fields,
                  std::vector<std::string>* scratch, std::vector<char>* quoted = nullptr);

// How the `prediction` of a classifier is written in JSON: as the target's type (numbers for an
// int64 target, true/false for a bool one, text otherwise).
struct PredictionWriteOptions {
  DataType label_type = DataType::kString;
};

// Appends the rows of `predictions` (Predictor::Predict's table) to `out`:
//   CSV         one line per record, the columns in order, no header ("1,0.8312\n")
//   JSON        {"predictions": [{"prediction": 1, "probability": 0.8312}, ...]}
//   JSON Lines  one object per line
void WritePredictions(const Table& predictions, RecordFormat format,
                      const PredictionWriteOptions& options, std::string* out);
// One row of `predictions` as a JSON object (as WritePredictions writes it).
void WritePredictionObject(const Table& predictions, int64_t row,
                           const PredictionWriteOptions& options, std::string* out);
// One cell of a predictions table as JSON, as WritePredictionObject writes it: null when
// missing; with `typed_label`, a classifier's label text in its target's type (a number or
// true/false rather than a string).
void WritePredictionCell(const Column& column, int64_t row, bool typed_label, std::string* out);
// One row of an input table as a JSON object {"age": 31, "plan": "basic", ...} (null for
// missing values); data capture logs inputs this way.
void WriteRowObject(const Table& table, int64_t row, std::string* out);

}  // namespace mloop
