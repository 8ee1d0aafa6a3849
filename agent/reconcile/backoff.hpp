#pragma once
// Per-resource exponential backoff after a failure: 500 ms doubling, capped at 2 minutes,
// with +-20% jitter so that nodes failing together do not retry in lockstep. Backing off is
// the normal way a resource waits for something outside it; it is not logged as a failure.
// Not thread-safe: owned by the reconciler's scheduler.

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
