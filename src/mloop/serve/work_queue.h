// A background thread running posted tasks in order, with a bounded queue: Post never blocks
// the caller (a request thread) and refuses work when the queue is full.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace mloop {

class WorkQueue {
 public:
  explicit WorkQueue(size_t max_pending);
  // Runs what is queued, then joins the thread.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False (and `task` dropped) when max_pending tasks are already waiting.
  bool Post(std::function<void()> task);
  // Waits until every task posted so far has run.
  void Flush();

 private:
  void Loop();

  const size_t max_pending_;
  std::mutex mu_;
  std::condition_variable wake_, idle_;
  std::deque<std::function<void()>> tasks_;
  bool running_task_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace mloop
