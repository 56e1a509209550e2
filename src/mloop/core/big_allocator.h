// An allocator for large column buffers. Buffers of 1 MiB and more are aligned to 2 MiB and
// advised for transparent huge pages, so filling a column of hundreds of megabytes takes a few
// hundred page faults instead of tens of thousands (a page fault costs microseconds in a VM).
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace mloop {

template <typename T>
struct BigAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = size_t{2} << 20;
  static constexpr size_t kThreshold = size_t{1} << 20;

  BigAllocator() = default;
  template <typename U>
  BigAllocator(const BigAllocator<U>&) {}

  T* allocate(size_t n) {
    size_t bytes = n * sizeof(T);
    void* p;
    if (bytes >= kThreshold) {
      size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
      p = std::aligned_alloc(kHugePage, rounded);
      if (p) madvise(p, rounded, MADV_HUGEPAGE);
    } else {
      p = std::malloc(bytes ? bytes : 1);
    }
    if (!p) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }

  // resize() leaves new elements default-initialised (not zeroed): buffers about to be filled by
  // a read or a parse are not written twice.
  template <typename U>
  void construct(U* p) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(p)) U;
  }
  template <typename U, typename... Args>
  void construct(U* p, Args&&... args) {
    ::new (static_cast<void*>(p)) U(std::forward<Args>(args)...);
  }

  template <typename U>
  bool operator==(const BigAllocator<U>&) const {
    return true;
  }
};

// The storage type of column values.
template <typename T>
using BigVector = std::vector<T, BigAllocator<T>>;

}  // namespace mloop
