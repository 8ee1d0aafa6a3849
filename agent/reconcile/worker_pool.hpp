#pragma once
// A fixed set of threads for blocking work (processes, MySQL, host probes). Bounded so that a
// burst of work cannot create threads without limit; every task is itself bounded by the
// runner's or the client's timeout, so a worker is never lost for good. A task that throws is
// logged and the worker goes on.
// Thread-safe.

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace pydio::agent {

class WorkerPool {
 public:
  explicit WorkerPool(std::size_t threads);
  ~WorkerPool();  // finishes queued tasks, then joins
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(std::function<void()> task);

 private:
  void work();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;  // guarded by mutex_
  bool stopping_ = false;                     // guarded by mutex_
  std::vector<std::thread> threads_;
};

}  // namespace pydio::agent
