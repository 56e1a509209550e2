// A destination for bytes written in order (a file, an artifact being stored, a buffer).
#pragma once

#include <cstddef>
#include <string>

namespace mloop {

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  // Appends `size` bytes. Throws IoError when they cannot be written.
  virtual void Write(const void* data, size_t size) = 0;
};

// Collects the bytes in memory (tests, small artifacts).
class StringSink : public ByteSink {
 public:
  void Write(const void* data, size_t size) override {
    bytes_.append(static_cast<const char*>(data), size);
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

}  // namespace mloop
