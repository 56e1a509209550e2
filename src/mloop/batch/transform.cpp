#include "mloop/batch/transform.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include "mloop/batch/checkpoint.h"
#include "mloop/batch/record_reader.h"
#include "mloop/batch/worker.h"
#include "mloop/core/error.h"
#include "mloop/core/parallel.h"
#include "mloop/core/strings.h"
#include "mloop/io/atomic_file.h"
#include "mloop/io/csv_reader.h"

namespace mloop {

using batch_internal::InputKind;
using batch_internal::TransformPlan;
using batch_internal::Unit;
using batch_internal::UnitResult;

namespace {

template <class T>
T ParseChoice(std::string_view text, std::string_view flag,
              const std::vector<std::pair<std::string, T>>& choices) {
  std::vector<std::string> names;
  for (const auto& [name, value] : choices) {
    if (AsciiLower(name) == AsciiLower(text)) return value;
    names.push_back(name);
  }
  throw UsageError(std::string(flag) + ": unknown value '" + std::string(text) + "'" +
                       DidYouMean(std::string(text), names),
                   "values: " + Join(names, ", "));
}

}  // namespace

SplitType ParseSplitType(std::string_view text) {
  return ParseChoice<SplitType>(text, "--split-type",
                                {{"Line", SplitType::kLine}, {"None", SplitType::kNone}});
}

BatchStrategy ParseBatchStrategy(std::string_view text) {
  return ParseChoice<BatchStrategy>(text, "--batch-strategy",
                                    {{"MultiRecord", BatchStrategy::kMultiRecord},
                                     {"SingleRecord", BatchStrategy::kSingleRecord}});
}

JoinSource ParseJoinSource(std::string_view text) {
  return ParseChoice<JoinSource>(text, "--join-source",
                                 {{"None", JoinSource::kNone}, {"Input", JoinSource::kInput}});
}

RecordFormat ParseContentType(std::string_view text, std::string_view flag) {
  if (auto f = RecordFormatFromContentType(text)) return *f;
  throw UsageError(std::string(flag) + ": unsupported content type '" + std::string(text) + "'",
                   "supported: text/csv, application/jsonlines (also application/x-jsonlines, "
                   "application/jsonl), application/json (one JSON record per line)");
}

std::optional<RecordFormat> FormatFromFileName(const std::filesystem::path& path) {
  std::filesystem::path p = path.filename();
  std::string ext = AsciiLower(p.extension().string());
  if (ext == ".gz" || ext == ".zst" || ext == ".zstd") {
    p = p.stem();
    ext = AsciiLower(p.extension().string());
  }
  if (ext.empty()) return std::nullopt;
  return RecordFormatFromName(std::string_view(ext).substr(1));  // without the dot
}

nlohmann::json TransformOptions::OutputAffectingJson() const {
  auto format = [](RecordFormat f) { return std::string(ContentTypeOf(f)); };
  nlohmann::json j;
  j["content_type"] = format(content_type);
  j["accept"] = format(accept);
  j["split_type"] = split_type == SplitType::kLine ? "Line" : "None";
  j["batch_strategy"] =
      batch_strategy == BatchStrategy::kMultiRecord ? "MultiRecord" : "SingleRecord";
  j["max_records_per_batch"] = max_records_per_batch;
  j["max_payload_bytes"] = max_payload_bytes;
  j["join_source"] = join_source == JoinSource::kInput ? "Input" : "None";
  j["input_filter"] = input_filter;
  j["output_filter"] = output_filter;
  j["header"] = header;
  return j;
}

std::filesystem::path PartialPath(const std::filesystem::path& path) {
  return path.string() + ".partial";
}

std::filesystem::path CheckpointPath(const std::filesystem::path& output) {
  return output.string() + ".checkpoint";
}

namespace {

// --max-payload as the user gave it: megabytes of 2^20 bytes, as SageMaker's MaxPayloadInMB,
// in the fewest digits that give back the same bytes (0.01 rather than 0.0100002).
std::string FormatMegabytes(int64_t bytes) {
  const double mb = static_cast<double>(bytes) / (1 << 20);
  char text[40];
  for (int digits = 0; digits <= 17; ++digits) {  // decimals: 10, 6.5, 0.01
    std::snprintf(text, sizeof text, "%.*f", digits, mb);
    if (std::llround(std::strtod(text, nullptr) * (1 << 20)) == bytes) break;
  }
  return std::string(text) + " MB";
}

// Records per unit and input bytes per unit, at least (batches are never split across units):
// enough to keep the workers' hand-offs and the checkpoints cheap.
constexpr int64_t kUnitRecords = 1024;
constexpr int64_t kUnitBytes = int64_t{1} << 20;

// A file appended to through a descriptor, locked against a second job writing it.
class AppendFile {
 public:
  AppendFile() = default;
  ~AppendFile() { Close(); }
  AppendFile(const AppendFile&) = delete;
  AppendFile& operator=(const AppendFile&) = delete;

  // `shown` is the file the job is writing, for the message when another job holds it.
  void Open(const std::filesystem::path& path, const std::filesystem::path& shown) {
    path_ = path;
    fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    created_ = fd_ >= 0;
    if (fd_ < 0 && errno == EEXIST) fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoErrorFromErrno("cannot create", path.string());
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      Close();
      throw Error(ErrorCode::kUnavailable, "another mloop transform is writing " + shown.string() +
                                               " (" + path.string() + " is locked)");
    }
  }
  // Removes the file when this job created it and wrote nothing: a job refused before it began
  // leaves no empty .partial behind.
  void DiscardIfUnused() {
    struct stat st {};
    if (fd_ >= 0 && created_ && ::fstat(fd_, &st) == 0 && st.st_size == 0) {
      ::unlink(path_.c_str());
    }
    Close();
  }
  // Removes the file when this job created it, whatever it holds: a job that failed before its
  // first checkpoint has nothing to resume from.
  void DiscardIfCreated() {
    if (fd_ >= 0 && created_) ::unlink(path_.c_str());
    Close();
  }
  // Cuts the file to `size` bytes and appends from there.
  void Truncate(int64_t size) {
    if (::ftruncate(fd_, size) != 0 || ::lseek(fd_, size, SEEK_SET) < 0) {
      throw IoErrorFromErrno("cannot truncate", path_.string());
    }
  }
  void Append(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(fd_, data.data(), data.size());
      if (n < 0) {
        if (errno == EINTR) continue;
        throw IoErrorFromErrno("cannot write", path_.string());
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
  }
  void Sync() {
    if (::fsync(fd_) != 0) throw IoErrorFromErrno("cannot sync", path_.string());
  }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  std::filesystem::path path_;
  int fd_ = -1;
  bool created_ = false;
};

void SyncDirectory(const std::filesystem::path& file) {
  std::filesystem::path dir = std::filesystem::absolute(file).parent_path();
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

void RenameFile(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (std::rename(from.c_str(), to.c_str()) != 0) {
    throw IoErrorFromErrno("cannot rename " + from.string() + " to", to.string());
  }
}

void RemoveIfThere(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove(path, ec);
}

// Objects handed back after use, so that their buffers are not allocated (and their pages
// faulted in) again for every unit.
template <class T>
class Pool {
 public:
  T Take() {
    std::lock_guard lock(mu_);
    if (free_.empty()) return T();
    T t = std::move(free_.back());
    free_.pop_back();
    return t;
  }
  void Give(T&& t) {
    std::lock_guard lock(mu_);
    if (free_.size() < 256) free_.push_back(std::move(t));
  }

 private:
  std::mutex mu_;
  std::vector<T> free_;
};

// Cuts the input into units of whole batches.
class UnitSource {
 public:
  virtual ~UnitSource() = default;
  // Fills *unit (its seq aside); false at the end of the input.
  virtual bool Next(Unit* unit) = 0;
};

class FileUnits : public UnitSource {
 public:
  FileUnits(RecordReader& reader, const TransformOptions& options)
      : reader_(reader), options_(options) {}

  bool Next(Unit* u) override {
    u->bytes.clear();
    u->spans.clear();
    u->batch_ends.clear();
    int64_t batch_records = 0, batch_bytes = 0, unit_bytes = 0;
    const bool single = options_.batch_strategy == BatchStrategy::kSingleRecord;
    const bool whole = options_.split_type == SplitType::kNone;
    auto close_batch = [&] {
      if (batch_records == 0) return;
      u->batch_ends.push_back(static_cast<int64_t>(u->spans.size()));
      batch_records = batch_bytes = 0;
    };
    auto unit_full = [&] {
      return static_cast<int64_t>(u->spans.size()) >= kUnitRecords || unit_bytes >= kUnitBytes;
    };
    auto end_here = [&] {
      u->end_offset = reader_.offset();
      u->end_line = reader_.line();
      return true;
    };
    while (true) {
      RecordSpan span;
      int64_t before_offset = 0, before_line = 0;
      if (has_pending_) {
        span = pending_span_;
        span.offset = u->bytes.size();
        u->bytes += pending_bytes_;
        before_offset = pending_offset_;
        before_line = pending_line_;
        has_pending_ = false;
      } else {
        before_offset = reader_.offset();
        before_line = reader_.line();
        if (!reader_.Next(&u->bytes, &span)) break;
      }
      auto add = [&] {
        u->spans.push_back(span);
        ++batch_records;
        batch_bytes += span.size;
        unit_bytes += span.size;
      };
      if (whole) {
        whole_bytes_ += span.size;
        if (span.oversize || whole_bytes_ > options_.max_payload_bytes) {
          throw DataError(
              "with --split-type None the whole input is one batch, and it is larger "
              "than --max-payload (" +
                  FormatMegabytes(options_.max_payload_bytes) + ")",
              "use --split-type Line, or raise --max-payload");
        }
        add();
        continue;
      }
      if (single || span.oversize) {  // a batch of its own
        close_batch();
        add();
        close_batch();
        if (unit_full()) return end_here();
        continue;
      }
      if (batch_records > 0 && batch_bytes + span.size > options_.max_payload_bytes) {
        close_batch();
        if (unit_full()) {
          // This record starts the next unit.
          pending_bytes_.assign(u->bytes, span.offset, std::string::npos);
          u->bytes.resize(span.offset);
          pending_span_ = span;
          pending_offset_ = before_offset;
          pending_line_ = before_line;
          has_pending_ = true;
          u->end_offset = before_offset;
          u->end_line = before_line;
          return true;
        }
      }
      add();
      if (batch_records >= options_.max_records_per_batch) {
        close_batch();
        if (unit_full()) return end_here();
      }
    }
    close_batch();
    end_here();
    return !u->spans.empty();
  }

 private:
  RecordReader& reader_;
  const TransformOptions& options_;
  bool has_pending_ = false;
  std::string pending_bytes_;
  RecordSpan pending_span_;
  int64_t pending_offset_ = 0, pending_line_ = 0;
  int64_t whole_bytes_ = 0;
};

class TableUnits : public UnitSource {
 public:
  TableUnits(int64_t rows, int64_t first_row, const TransformOptions& options)
      : rows_(rows), next_(first_row), options_(options) {}

  bool Next(Unit* u) override {
    if (next_ >= rows_) return false;
    u->batch_ends.clear();
    u->row_begin = next_;
    const int64_t left = rows_ - next_;
    if (options_.split_type == SplitType::kNone) {
      u->batch_ends.push_back(left);
    } else if (options_.batch_strategy == BatchStrategy::kSingleRecord) {
      const int64_t n = std::min(left, kUnitRecords);
      for (int64_t i = 1; i <= n; ++i) u->batch_ends.push_back(i);
    } else {
      int64_t n = 0;
      while (n < left && n < kUnitRecords) {
        n = std::min(left, n + options_.max_records_per_batch);
        u->batch_ends.push_back(n);
      }
    }
    u->row_end = next_ + u->batch_ends.back();
    u->end_offset = u->row_end;
    u->end_line = u->row_end + 1;
    next_ = u->row_end;
    return true;
  }

 private:
  int64_t rows_, next_;
  const TransformOptions& options_;
};

// True when `path` holds what an errors file of a transform holds (JSON Lines of failed records,
// {"line": N, ...}) or nothing: a file a user named by mistake is never deleted.
bool LooksLikeErrorsFile(const std::filesystem::path& path) {
  return IsMissingEmptyOrStartsWith(path, "{\"line\":");
}

void CheckOptions(const TransformJob& job) {
  const TransformOptions& o = job.options;
  if (!job.predictor) throw Internal("RunTransform without a model");
  if (job.input_file.empty() == (job.input_table == nullptr)) {
    throw Internal("RunTransform needs one input: a file or a table");
  }
  if (job.output.empty()) throw UsageError("--output: a file name is needed");
  if (o.max_records_per_batch < 1) throw UsageError("--max-records-per-batch must be at least 1");
  if (o.max_payload_bytes < 1) throw UsageError("--max-payload must be more than 0");
  if (o.max_errors < 0) throw UsageError("--max-errors must be 0 or more");
  if (o.max_error_rate && (*o.max_error_rate < 0 || *o.max_error_rate > 1)) {
    throw UsageError("--max-error-rate must be between 0 and 1");
  }
  if (job.output == "-") {
    throw UsageError(
        "--output -: a transform writes a file (it can resume from a checkpoint), "
        "not stdout",
        "name a file, e.g. --output predictions.csv");
  }
  for (const auto& [flag, path] :
       {std::pair<const char*, const std::filesystem::path&>{"--output", job.output},
        {"--errors", job.errors}}) {
    if (!path.empty() && IsSpecialFile(OutputTarget(path))) {
      throw UsageError(std::string(flag) + " " + path.string() +
                           " is not a regular file (a device, pipe or descriptor); a transform "
                           "writes a file it can resume",
                       "name a file");
    }
  }
  CheckOutputPath(job.output, "--output");  // its directory exists and is writable
  if (!job.errors.empty()) CheckOutputPath(job.errors, "--errors");
  RefuseOverwritingInput(job.output, job.input_file, "--output");
  RefuseOverwritingInput(job.errors, job.input_file, "--errors");
  if (!job.errors.empty() &&
      OutputTarget(std::filesystem::absolute(job.errors)).lexically_normal() ==
          OutputTarget(std::filesystem::absolute(job.output)).lexically_normal()) {
    throw UsageError("--errors and --output name the same file", "name two files");
  }
  // Failed records would replace it: a file that is not an errors file is never replaced.
  const std::filesystem::path errors =
      job.errors.empty() ? std::filesystem::path(job.output.string() + ".errors.jsonl")
                         : job.errors;
  if (!LooksLikeErrorsFile(errors)) {
    throw UsageError((job.errors.empty() ? "the errors file " : "--errors ") + errors.string() +
                         " exists and is not an errors file of a transform (which starts with "
                         "{\"line\":); failed records would replace it",
                     job.errors.empty() ? "name another file with --errors, or move this one"
                                        : "name another file, or move this one");
  }
}

}  // namespace

TransformSummary RunTransform(const TransformJob& job) {
  CheckOptions(job);
  const auto start = std::chrono::steady_clock::now();
  const TransformOptions& opt = job.options;
  const int threads = opt.threads > 0 ? opt.threads : DefaultThreads();
  // Through symbolic links: the renames at the end replace the file a link names, not the link.
  const std::filesystem::path output = OutputTarget(job.output);
  const std::filesystem::path errors_path = OutputTarget(
      job.errors.empty() ? std::filesystem::path(output.string() + ".errors.jsonl") : job.errors);
  auto note = [&](const std::string& text) {
    if (job.on_note) job.on_note(text);
  };

  // The input, its header and the plan: every option and filter is checked before anything is
  // written.
  std::unique_ptr<RecordReader> reader;
  InputKind kind = InputKind::kTable;
  std::string header;
  bool has_header = false;
  nlohmann::json identity;
  if (job.input_table) {
    identity = {{"dataset", job.input_table_id}, {"rows", job.input_table->num_rows()}};
  } else {
    kind = opt.content_type == RecordFormat::kCsv ? InputKind::kCsv : InputKind::kJson;
    RecordReaderOptions ro;
    ro.csv_quotes = kind == InputKind::kCsv;
    ro.max_record_bytes = opt.max_payload_bytes;
    reader = std::make_unique<RecordReader>(job.input_file, ro);
    identity = FileIdentity(job.input_file);
    if (kind == InputKind::kCsv && opt.header) {
      RecordSpan span;
      if (!reader->Next(&header, &span)) {
        throw DataError(job.input_file.string() + " is empty: there is no header row",
                        "pass --no-header for CSV records without one");
      }
      if (span.oversize) {
        throw DataError(job.input_file.string() + ": the header row is longer than --max-payload");
      }
      // A carriage return inside the first line (not ending it): classic Mac OS line ends, the
      // whole file one line. Said as `mloop data import` says it.
      const size_t cr = header.find('\r');
      if (cr != std::string::npos && cr + 1 < header.size()) {
        throw CarriageReturnLinesError(job.input_file);
      }
      has_header = true;
    }
  }
  const TransformPlan plan = batch_internal::MakePlan(
      *job.predictor, opt, kind, has_header ? &header : nullptr, job.input_table);
  // A one-column CSV file: an empty line is a record whose value is missing, as `mloop data
  // import` and `predict` read it (pandas writes NaN so); skipped, the output would lose a row.
  if (kind == InputKind::kCsv &&
      (plan.header ? plan.header_width == 1
                   : plan.inputs.size() == 1 && plan.input_filter.is_root())) {
    reader->KeepEmptyLines();
  }

  // Resume, or start from the beginning.
  const std::filesystem::path checkpoint_path = CheckpointPath(output);
  const std::filesystem::path out_partial = PartialPath(output);
  const std::filesystem::path err_partial = PartialPath(errors_path);
  // Locked first: a second job on the same output stops here, before it reads the checkpoint.
  AppendFile out, err;
  // Until the job begins, a refusal (another job holds a file, --resume does not match) removes
  // the partial files it created.
  struct DiscardUnlessBegun {
    AppendFile& out;
    AppendFile& err;
    bool begun = false;
    ~DiscardUnlessBegun() {
      if (begun) return;
      out.DiscardIfUnused();
      err.DiscardIfUnused();
    }
  } discard{out, err};
  out.Open(out_partial, output);
  err.Open(err_partial, errors_path);
  TransformCheckpoint state;
  state.input = identity;
  state.model = job.model_hash;
  state.options = opt.OutputAffectingJson();
  state.options["output"] = std::filesystem::absolute(output).lexically_normal().string();
  state.options["errors"] = std::filesystem::absolute(errors_path).lexically_normal().string();
  std::optional<TransformCheckpoint> recorded;
  try {
    recorded = ReadCheckpoint(checkpoint_path);
  } catch (const Error& e) {
    if (opt.resume) {
      throw FailedPrecondition("cannot resume: " + std::string(e.what()),
                               "run without --resume to start from the beginning");
    }
    note("starting from the beginning: " + std::string(e.what()));
  }
  bool resuming = false;
  if (recorded && opt.resume) {
    const std::string hint = "run without --resume to start from the beginning";
    if (auto d = DescribeDifference(recorded->input, state.input); !d.empty()) {
      throw FailedPrecondition(
          "cannot resume: the input changed since the interrupted run (" + d + ")", hint);
    }
    if (recorded->model != state.model) {
      auto name = [&](const std::string& hash) {
        const std::string described = job.describe_model ? job.describe_model(hash) : "";
        return described.empty() ? hash : described + " (" + hash.substr(0, 12) + ")";
      };
      throw FailedPrecondition("cannot resume: the interrupted run used model " +
                                   name(recorded->model) + ", this one is " + name(state.model),
                               "an alias may have moved since: give the interrupted run's model "
                               "to resume it, or " +
                                   hint);
    }
    if (auto d = DescribeDifference(recorded->options, state.options); !d.empty()) {
      throw FailedPrecondition(
          "cannot resume: the options differ from the interrupted run's (" + d + ")", hint);
    }
    std::error_code ec1, ec2;
    const auto out_size = std::filesystem::file_size(out_partial, ec1);
    const auto err_size = std::filesystem::file_size(err_partial, ec2);
    if (ec1 || ec2 || static_cast<int64_t>(out_size) < recorded->output_bytes ||
        static_cast<int64_t>(err_size) < recorded->errors_bytes) {
      throw FailedPrecondition("cannot resume: " + out_partial.string() + " or " +
                                   err_partial.string() +
                                   " is missing or shorter than the checkpoint says",
                               hint);
    }
    state = *recorded;
    resuming = true;
  } else if (recorded) {
    note("starting from the beginning: the checkpoint of an interrupted run (" +
         std::to_string(recorded->records) + " records done) is discarded; --resume continues it");
  } else if (opt.resume) {
    note("nothing to resume (no " + checkpoint_path.string() + "): starting from the beginning");
  }

  if (resuming) {
    out.Truncate(state.output_bytes);
    err.Truncate(state.errors_bytes);
    if (reader) reader->Seek(state.input_offset, state.next_line);
  } else {
    RemoveIfThere(checkpoint_path);
    out.Truncate(0);
    err.Truncate(0);
    out.Append(plan.header_line);
    state.output_bytes = static_cast<int64_t>(plan.header_line.size());
    state.input_offset = reader ? reader->offset() : 0;
    state.next_line = reader ? reader->line() : 1;
  }
  const int64_t resumed_at = resuming ? state.records : 0;
  discard.begun = true;

  std::unique_ptr<UnitSource> units;
  if (reader) {
    units = std::make_unique<FileUnits>(*reader, opt);
  } else {
    units = std::make_unique<TableUnits>(job.input_table->num_rows(), state.input_offset, opt);
  }
  TransformProgress progress;
  if (reader && reader->info().compression == Compression::kNone) {
    progress.input_total = reader->info().size;
  } else if (!reader) {
    progress.input_total = job.input_table->num_rows();
  }

  // The pipeline: one reader thread -> `threads` workers -> this thread writing in order.
  std::mutex mu;
  std::condition_variable cv_work, cv_done, cv_space;
  std::deque<Unit> work;
  std::map<int64_t, UnitResult> done;
  int64_t in_flight = 0, units_total = 0;
  bool reader_done = false, stop = false;
  std::exception_ptr failure;
  const int64_t limit = 2 * static_cast<int64_t>(threads) + 2;
  auto fail = [&](std::exception_ptr e) {
    std::lock_guard lock(mu);
    if (!failure) failure = e;
    stop = true;
    cv_work.notify_all();
    cv_done.notify_all();
    cv_space.notify_all();
  };

  Pool<Unit> unit_pool;
  Pool<UnitResult> result_pool;
  std::vector<std::thread> pool;
  pool.emplace_back([&] {
    try {
      int64_t seq = 0;
      while (true) {
        Unit u = unit_pool.Take();
        if (!units->Next(&u)) break;
        u.seq = seq++;
        std::unique_lock lock(mu);
        cv_space.wait(lock, [&] { return in_flight < limit || stop; });
        if (stop) return;
        ++in_flight;
        work.push_back(std::move(u));
        cv_work.notify_one();
      }
      std::lock_guard lock(mu);
      reader_done = true;
      units_total = seq;
      cv_work.notify_all();
      cv_done.notify_all();
    } catch (...) {
      fail(std::current_exception());
    }
  });
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      try {
        batch_internal::Worker worker(plan);
        while (true) {
          Unit u;
          {
            std::unique_lock lock(mu);
            cv_work.wait(lock, [&] { return !work.empty() || stop || reader_done; });
            if (stop || work.empty()) return;
            u = std::move(work.front());
            work.pop_front();
          }
          UnitResult r = result_pool.Take();
          r.output.clear();
          r.errors.clear();
          r.first_error.clear();
          r.records = r.predicted = r.failed = 0;
          worker.Process(u, job.input_table, &r);
          unit_pool.Give(std::move(u));
          std::lock_guard lock(mu);
          done.emplace(r.seq, std::move(r));
          cv_done.notify_all();
        }
      } catch (...) {
        fail(std::current_exception());
      }
    });
  }
  auto join_all = [&] {
    {
      std::lock_guard lock(mu);
      stop = true;
      cv_work.notify_all();
      cv_space.notify_all();
    }
    for (auto& t : pool) {
      if (t.joinable()) t.join();
    }
  };

  bool over_budget = false;
  int64_t untried = 0;  // records of the last unit left untried (UnitResult::untried)
  int64_t written_here = 0;
  try {
    for (int64_t next = 0;; ++next) {
      UnitResult r;
      {
        std::unique_lock lock(mu);
        cv_done.wait(
            lock, [&] { return done.count(next) || stop || (reader_done && next == units_total); });
        if (stop) break;
        auto it = done.find(next);
        if (it == done.end()) break;  // every unit written
        r = std::move(it->second);
        done.erase(it);
      }
      out.Append(r.output);
      err.Append(r.errors);
      ++state.units;
      state.records += r.records;
      state.predicted += r.predicted;
      state.errors += r.failed;
      untried += r.untried;
      state.input_offset = r.end_offset;
      state.next_line = r.end_line;
      state.output_bytes += static_cast<int64_t>(r.output.size());
      state.errors_bytes += static_cast<int64_t>(r.errors.size());
      if (state.first_error.empty()) state.first_error = r.first_error;
      result_pool.Give(std::move(r));
      if (state.errors > opt.max_errors) {
        over_budget = true;
        break;
      }
      if (job.hooks.kill_after_units > 0 && ++written_here == job.hooks.kill_after_units) {
        ::raise(SIGKILL);
      }
      WriteCheckpoint(checkpoint_path, state);
      if (job.on_progress) {
        progress.records = state.records;
        progress.input_bytes = state.input_offset;
        job.on_progress(progress);
      }
      if (job.hooks.pause_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(job.hooks.pause_ms));
      }
      std::lock_guard lock(mu);
      --in_flight;
      cv_space.notify_one();
    }
  } catch (...) {
    fail(std::current_exception());
  }
  join_all();
  if (failure) {
    // Before the first checkpoint (a record beyond --max-payload, an unreadable input): nothing
    // to resume, so no partial files are left (a later --resume said "nothing to resume").
    if (std::error_code ec; !std::filesystem::exists(checkpoint_path, ec)) {
      out.DiscardIfCreated();
      err.DiscardIfCreated();
    }
    try {
      std::rethrow_exception(failure);
    } catch (const Error& e) {
      // The partial files and the checkpoint stay: say how to go on.
      if (e.hint().empty() && std::filesystem::exists(checkpoint_path)) {
        throw Error(e.code(), e.what(),
                    "what was done is kept in " + out_partial.string() +
                        " and its checkpoint: if the problem was outside the input (a full "
                        "disk, a killed process), fix it and run again with --resume; a "
                        "corrected input file starts anew, without --resume");
      }
      throw;
    }
  }

  const double rate = state.records > 0
                          ? static_cast<double>(state.errors) / static_cast<double>(state.records)
                          : 0.0;
  const bool all_failed = state.predicted == 0 && state.errors > 0 && untried == 0;
  std::string budget_message;
  if (over_budget) {
    budget_message = "more than --max-errors " + std::to_string(opt.max_errors) +
                     " records failed (" + std::to_string(state.errors) + " of the first " +
                     std::to_string(state.records) + " records" +
                     (untried > 0 ? "; " + std::to_string(untried) +
                                        " other records of the last batch were not tried"
                                  : std::string()) +
                     ")";
  } else if (opt.max_error_rate && rate > *opt.max_error_rate) {
    char buf[128];
    std::snprintf(buf, sizeof buf,
                  "%.4g%% of the records failed (%lld of %lld), more than "
                  "--max-error-rate %g",
                  100 * rate, static_cast<long long>(state.errors),
                  static_cast<long long>(state.records), *opt.max_error_rate);
    budget_message = buf;
  } else if (all_failed) {
    budget_message = "every record failed (" + std::to_string(state.errors) + ")";
  }
  if (!budget_message.empty()) {
    // The job failed: no output; the errors file says why.
    err.Sync();
    err.Close();
    out.Close();
    RemoveIfThere(checkpoint_path);
    RemoveIfThere(out_partial);
    RenameFile(err_partial, errors_path);
    // An output of an earlier run stays where it was: said, so that it is not taken for this one.
    std::error_code ec;
    const std::string earlier = std::filesystem::exists(output, ec)
                                    ? " (" + output.string() + " is left from an earlier run)"
                                    : "";
    throw DataError(
        budget_message + "; the first: " + state.first_error + "; no output written" + earlier,
        "the failed records are in " + errors_path.string() +
            (all_failed ? "; when every record fails, the input and the model do not fit (its "
                          "columns and types)"
                        : "; --max-errors / --max-error-rate allow more"));
  }

  out.Sync();
  if (state.errors > 0) err.Sync();
  out.Close();
  err.Close();
  RemoveIfThere(checkpoint_path);
  if (state.errors > 0) {
    RenameFile(err_partial, errors_path);
  } else {
    RemoveIfThere(err_partial);
    if (LooksLikeErrorsFile(errors_path)) RemoveIfThere(errors_path);  // an earlier run's
  }
  RenameFile(out_partial, output);
  SyncDirectory(output);

  TransformSummary summary;
  summary.records = state.records;
  summary.predicted = state.predicted;
  summary.errors = state.errors;
  summary.resumed_at = resumed_at;
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  summary.output = output;
  if (state.errors > 0) summary.errors_file = errors_path;
  return summary;
}

}  // namespace mloop
