#include "mloop/serve/work_queue.h"

namespace mloop {

WorkQueue::WorkQueue(size_t max_pending) : max_pending_(max_pending), thread_([this] { Loop(); }) {}

WorkQueue::~WorkQueue() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

bool WorkQueue::Post(std::function<void()> task) {
  {
    std::lock_guard lock(mu_);
    if (tasks_.size() >= max_pending_) return false;
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void WorkQueue::Flush() {
  std::unique_lock lock(mu_);
  idle_.wait(lock, [this] { return tasks_.empty() && !running_task_; });
}

void WorkQueue::Loop() {
  std::unique_lock lock(mu_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
    if (tasks_.empty()) return;  // stopping, and everything has run
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    running_task_ = true;
    lock.unlock();
    try {
      task();
    } catch (...) {
      // A background task's failure is its own business: it counts it; the queue goes on.
    }
    lock.lock();
    running_task_ = false;
    if (tasks_.empty()) idle_.notify_all();
  }
}

}  // namespace mloop
