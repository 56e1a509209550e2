// Minimal data parallelism: run fn(i) for i in [0, n) on up to `threads` threads and wait.
// The first exception thrown by any task is rethrown on the calling thread.
#pragma once

#include <functional>

namespace mloop {

// Hardware threads available to this process (at least 1).
int DefaultThreads();

void ParallelFor(int n, int threads, const std::function<void(int)>& fn);

}  // namespace mloop
