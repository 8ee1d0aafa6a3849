#include "agent/reconcile/worker_pool.hpp"

#include <spdlog/spdlog.h>

#include "agent/reconcile/guard.hpp"

namespace pydio::agent {

WorkerPool::WorkerPool(std::size_t threads) {
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& thread : threads_) thread.join();
}

void WorkerPool::submit(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
}

void WorkerPool::work() {
  while (true) {
    std::function<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    // Tasks guard themselves; an exception that still escapes must not end the daemon.
    if (auto what = exception_from(task)) {
      exception_from(
          [&] { spdlog::error("worker pool: a task ended with an exception: {}", *what); });
    }
  }
}

}  // namespace pydio::agent
