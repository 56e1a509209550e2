// Cache hints for loops whose loads or stores land at random places in buffers far larger
// than the cache (a sort's scatter, ranks or labels written or read by row). Fetching a line
// some iterations ahead keeps many misses in flight instead of stalling on each.
//
// Inline assembly on x86-64: GCC 12 drops __builtin_prefetch from some loops (an address
// loaded from a packed struct, behind a lambda), silently. The address is only a hint: it may
// lie outside any buffer (a prefetch never faults), so it is passed as an integer.
#pragma once

#include <cstdint>

namespace mloop {

// The line holding address `p`, for a read soon.
inline void PrefetchForRead(uintptr_t p) {
#if defined(__x86_64__)
  asm volatile("prefetcht0 (%0)" : : "r"(p));
#else
  __builtin_prefetch(reinterpret_cast<const void*>(p), 0, 3);
#endif
}

// The line holding address `p`, for a write soon that would otherwise stall on the miss.
inline void PrefetchForWrite(uintptr_t p) {
#if defined(__x86_64__)
  // prefetchnta measured as fast as prefetcht0 and prefetchw here (bench/RESULTS.md, session 23).
  asm volatile("prefetchnta (%0)" : : "r"(p));
#else
  __builtin_prefetch(reinterpret_cast<const void*>(p), 1, 0);
#endif
}

}  // namespace mloop
