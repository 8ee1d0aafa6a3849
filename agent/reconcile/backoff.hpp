#pragma once
// Per-resource exponential backoff after a failure (an observation or an action that failed):
// 500 ms doubling, capped at 2 minutes, with +-20% jitter so that nodes failing together do not
// retry in lockstep. For failures only: a resource that waits for something outside it (its
// plan says waiting_for, or it needs the lease) is not failing and is never backed off; the
// reconciler plans it again at a fixed short interval and at once on request_pass(). The first
// plan that succeeds resets the backoff.
// Not thread-safe: owned by the reconciler (guarded by its mutex).

#include <chrono>
#include <random>

namespace pydio::agent {

class Backoff {
 public:
  static constexpr std::chrono::milliseconds kInitial{500};
  static constexpr std::chrono::milliseconds kMax{120000};

  // Delay before the next attempt after one more consecutive failure.
  std::chrono::milliseconds next_delay(std::mt19937& random);
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }

 private:
  int failures_ = 0;
};

}  // namespace pydio::agent
