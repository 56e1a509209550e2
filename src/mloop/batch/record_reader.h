// Streaming records out of a file for batch transform: one record per line (a CSV record may hold
// line breaks inside quotes), read in blocks, never the whole file, with each record's line
// number and the input offset after it, so that a job can stop after any record and continue
// there. Plain, gzip and zstd files (recognised by their bytes, see io/byte_source.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "mloop/io/byte_source.h"

namespace mloop {

// Where one record's bytes are.
struct RecordSpan {
  size_t offset = 0;      // of its bytes in the caller's buffer
  size_t length = 0;      // bytes kept there (the record without its line end)
  int64_t line = 0;       // 1-based line of the input where it starts
  int64_t lines = 1;      // input lines it spans (more than 1: line breaks inside CSV quotes)
  int64_t size = 0;       // its size in the input, without the line end
  bool oversize = false;  // longer than RecordReaderOptions::max_record_bytes: only the first
                          // RecordReaderOptions::keep_oversize_bytes were kept
};

struct RecordReaderOptions {
  bool csv_quotes = false;  // a line break inside double quotes does not end a CSV record
  int64_t max_record_bytes = int64_t{1} << 30;
  int64_t keep_oversize_bytes = 1024;
  size_t block_bytes = size_t{4} << 20;  // bytes asked of the file per read
};

// Not thread-safe.
class RecordReader {
 public:
  // Throws NotFound / IoError when `path` cannot be opened.
  RecordReader(const std::filesystem::path& path, RecordReaderOptions options);
  ~RecordReader();
  RecordReader(const RecordReader&) = delete;
  RecordReader& operator=(const RecordReader&) = delete;

  const FileInfo& info() const { return info_; }

  // Continues at byte `offset` of the (decompressed) input, whose line number is `line`. A plain
  // file seeks; a compressed one is read again from the start up to there.
  void Seek(int64_t offset, int64_t line);

  // Appends the next record's bytes (a UTF-8 byte order mark at the start of the input and the
  // line end, "\n" or "\r\n", left out) to *out and describes it in *span. Lines holding only
  // spaces and tabs are skipped, and so are empty lines unless KeepEmptyLines. False at the end
  // of the input.
  bool Next(std::string* out, RecordSpan* span);

  // From the next record on, an empty line is a record (of a one-column CSV file: a missing
  // value), as `mloop data import` reads such a file.
  void KeepEmptyLines() { keep_empty_lines_ = true; }

  // Bytes of the (decompressed) input consumed so far: the offset after the last record returned
  // and its line end.
  int64_t offset() const { return offset_; }
  // The line number of the next byte.
  int64_t line() const { return line_; }

 private:
  void Open();
  size_t ReadSome(char* dst, size_t n);
  // Reads more input; false at the end of it.
  bool Refill();

  std::filesystem::path path_;
  RecordReaderOptions options_;
  FileInfo info_;
  int fd_ = -1;                         // plain files
  std::unique_ptr<ByteSource> source_;  // compressed files
  std::unique_ptr<char[]> buf_;
  size_t capacity_ = 0;
  size_t begin_ = 0, end_ = 0;  // unconsumed bytes [begin_, end_) of buf_
  bool eof_ = false;
  bool keep_empty_lines_ = false;
  int64_t offset_ = 0;       // input offset of buf_[begin_]
  int64_t line_ = 1;         // line number of buf_[begin_]
  int64_t read_offset_ = 0;  // input bytes read into buf_ so far (compressed: decompressed)
};

}  // namespace mloop
