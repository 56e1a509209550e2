#include "mloop/batch/record_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "mloop/core/error.h"
#include "mloop/io/csv_record.h"

namespace mloop {

RecordReader::RecordReader(const std::filesystem::path& path, RecordReaderOptions options)
    : path_(path), options_(options) {
  Open();
}

RecordReader::~RecordReader() {
  if (fd_ >= 0) ::close(fd_);
}

void RecordReader::Open() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  source_ = OpenByteSource(path_, &info_);
  if (info_.compression == Compression::kNone) {
    source_.reset();
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw IoErrorFromErrno("cannot open", path_.string());
  }
  begin_ = end_ = 0;
  eof_ = false;
  offset_ = 0;
  read_offset_ = 0;
  line_ = 1;
}

size_t RecordReader::ReadSome(char* dst, size_t n) {
  if (source_) return source_->Read(dst, n);
  while (true) {
    const ssize_t got = ::read(fd_, dst, n);
    if (got >= 0) return static_cast<size_t>(got);
    if (errno != EINTR) throw IoErrorFromErrno("cannot read", path_.string());
  }
}

bool RecordReader::Refill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buf_.get(), buf_.get() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (capacity_ - end_ < options_.block_bytes) {
    // Not zeroed first: a read touches only the pages it fills (a small file, a few pages).
    const size_t capacity = std::max(capacity_ * 2, end_ + options_.block_bytes);
    auto grown = std::make_unique_for_overwrite<char[]>(capacity);
    if (end_ > 0) std::memcpy(grown.get(), buf_.get(), end_);
    buf_ = std::move(grown);
    capacity_ = capacity;
  }
  const size_t got = ReadSome(buf_.get() + end_, capacity_ - end_);
  if (got == 0) {
    eof_ = true;
    return false;
  }
  end_ += got;
  read_offset_ += static_cast<int64_t>(got);
  return true;
}

void RecordReader::Seek(int64_t offset, int64_t line) {
  if (fd_ >= 0) {
    if (::lseek(fd_, offset, SEEK_SET) < 0)
      throw IoErrorFromErrno("cannot seek in", path_.string());
    begin_ = end_ = 0;
    eof_ = false;
    offset_ = read_offset_ = offset;
    line_ = line;
    return;
  }
  if (offset < offset_) Open();
  // Compressed: read up to there.
  while (offset_ < offset) {
    if (begin_ == end_ && !Refill()) {
      throw DataError(path_.string() + " is shorter than " + std::to_string(offset) +
                      " bytes: it changed since the interrupted run");
    }
    const size_t take = static_cast<size_t>(std::min<int64_t>(end_ - begin_, offset - offset_));
    begin_ += take;
    offset_ += static_cast<int64_t>(take);
  }
  line_ = line;
}

bool RecordReader::Next(std::string* out, RecordSpan* span) {
  if (offset_ == 0 && begin_ == 0) {
    // A UTF-8 byte order mark is not part of the first record.
    while (end_ < 3 && Refill()) {
    }
    if (end_ >= 3 && std::memcmp(buf_.get(), "\xEF\xBB\xBF", 3) == 0) {
      begin_ = 3;
      offset_ = 3;
    }
  }
  while (true) {
    if (begin_ == end_ && !Refill()) return false;
    // Find the record's end: the first '\n' (JSON Lines), or where the import's CSV reader ends
    // the record (CsvRecordScanner: line breaks inside quoted fields belong to the record).
    size_t scan = begin_;
    CsvRecordScanner csv(',');
    int64_t dropped = 0;  // bytes of an oversize record already let go
    std::string head;     // the first bytes of an oversize record
    const int64_t start_line = line_;
    size_t nl = std::string::npos;
    while (true) {
      const char* base = buf_.get();
      const char* after =
          options_.csv_quotes
              ? csv.Advance(base + scan, base + end_)
              : static_cast<const char*>(std::memchr(base + scan, '\n', end_ - scan));
      if (after) {
        nl = static_cast<size_t>(after - base) - (options_.csv_quotes ? 1 : 0);
        break;
      }
      scan = end_;
      const int64_t have = static_cast<int64_t>(end_ - begin_);
      if (dropped + have > options_.max_record_bytes) {
        // Too long to keep: hold on to its first bytes and let the rest go as it is read.
        if (head.empty() && dropped == 0) {
          head.assign(buf_.get() + begin_,
                      static_cast<size_t>(std::min(have, options_.keep_oversize_bytes)));
        }
        dropped += have;
        offset_ += have;
        begin_ = scan = end_;
      }
      const size_t before = begin_;
      if (!Refill()) break;  // the last record has no line end
      scan -= before - begin_;
    }
    const int64_t inner_lines = csv.quoted_line_breaks();
    const size_t stop = nl == std::string::npos ? end_ : nl;
    size_t length = stop - begin_;
    const size_t next = nl == std::string::npos ? end_ : nl + 1;
    const bool oversize = dropped > 0 || static_cast<int64_t>(length) > options_.max_record_bytes;
    if (length > 0 && buf_[begin_ + length - 1] == '\r') --length;
    const char* text = buf_.get() + begin_;
    offset_ += static_cast<int64_t>(next - begin_);
    line_ += inner_lines + (nl == std::string::npos ? 0 : 1);
    begin_ = next;
    if (!oversize && !(keep_empty_lines_ && length == 0)) {
      bool blank = true;
      for (size_t i = 0; i < length && blank; ++i) blank = text[i] == ' ' || text[i] == '\t';
      if (blank) continue;
    }
    span->offset = out->size();
    span->line = start_line;
    // At the end of an input that ends inside quotes, the final line end opens no line.
    span->lines =
        inner_lines + 1 -
        (nl == std::string::npos && inner_lines > 0 && length > 0 && text[length - 1] == '\n');
    span->size = dropped + static_cast<int64_t>(length);
    span->oversize = oversize;
    if (oversize) {
      if (head.empty()) {
        head.assign(text, static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(length),
                                                                options_.keep_oversize_bytes)));
      }
      out->append(head);
      span->length = head.size();
    } else {
      out->append(text, length);
      span->length = length;
    }
    return true;
  }
}

}  // namespace mloop
