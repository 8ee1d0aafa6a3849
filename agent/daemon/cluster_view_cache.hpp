#pragma once
// The cluster table the status page shows, kept for a while so that pages refreshing
// themselves never fan out to every node: a page asks get(); a view younger than `max_age` is
// answered as it is, an older one is taken again by the first caller while the others that ask
// meanwhile wait for that same answer (single flight). However many pages are open, the peers
// are asked at most once per `max_age` (plus the time one fan-out takes).
// `agentctl status` does not use it: an operator typing a command gets a fresh table.
// Thread-safe: every member is guarded by mutex_.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>

namespace pydio::agent {

class ClusterViewCache {
 public:
  using Clock = std::chrono::steady_clock;

  struct View {
    nlohmann::json report;     // what `take` returned (null: no desired state yet)
    Clock::time_point taken;   // when the fan-out that made it began
    std::uint64_t number = 0;  // 1 for the first view taken, 2 for the next, ...
  };

  // `take` asks the cluster (ClusterReport::report); it may block for its bounded time.
  // `now` is the clock (a test's own in unit tests).
  ClusterViewCache(std::function<nlohmann::json()> take, Clock::duration max_age,
                   std::function<Clock::time_point()> now = Clock::now);

  // The current view, taken again first when it is older than max_age (or there is none yet).
  // When `take` throws, that caller gets the exception; callers that waited on it try again,
  // one at a time.
  View get();
  Clock::duration max_age() const { return max_age_; }
  // How many fan-outs were made (View::number of the newest).
  std::uint64_t taken() const;

 private:
  const std::function<nlohmann::json()> take_;
  const Clock::duration max_age_;
  const std::function<Clock::time_point()> now_;
  mutable std::mutex mutex_;
  std::condition_variable done_;
  View view_;               // guarded by mutex_; number 0 until the first view
  bool in_flight_ = false;  // guarded by mutex_: a caller is taking a view now
};

}  // namespace pydio::agent
