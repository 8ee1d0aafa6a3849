#pragma once
// Restart backoff for a process the agent (re)starts: glusterd, Apache, MariaDB, a volume's
// bricks. The process watch notices an exit at once, so a process that dies right after each
// start would otherwise be restarted as fast as it dies. A process first seen down less than
// kStableAfter after its start was a quick failure; after n quick failures in a row the next
// start waits kFirstDelay * 2^(n-1) (capped at kMaxDelay) from the moment it was seen down. A
// process that lived kStableAfter clears the count. Every start is numbered, for the action's
// description (so each restart has its event) and for status.
// Thread-safe: every member is guarded by mutex_ (a dry run may observe while a worker applies).

#include <chrono>
#include <mutex>
#include <optional>
#include <string>

namespace pydio::agent {

class RestartGuard {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::seconds kStableAfter{30};
  static constexpr std::chrono::milliseconds kFirstDelay{1000};
  static constexpr std::chrono::milliseconds kMaxDelay{120000};

  // For a process observed down at `now`: nullopt when a start may go ahead; else why not
  // yet, naming `what` ("glusterd stopped within 2 s of start 3 (2 in a row); next start in
  // 4 s"). Changes nothing (a dry run may ask); mark_down() records the observation.
  std::optional<std::string> hold_back(const std::string& what, Clock::time_point now) const;
  // Records that the process was seen down at `now` (the first call after a start marks when
  // it went down). Called from Plan::remember, i.e. on real passes only.
  void mark_down(Clock::time_point now);
  // The number the next start will get (1 for the agent's first start of it).
  int next_start_number() const;
  // Records a start at `now`; returns its number.
  int record_start(Clock::time_point now);
  int quick_failures() const;

 private:
  // How long the process lived after the last start, if it went down at `down`.
  // REQUIRES: mutex_ held.
  Clock::duration lived(Clock::time_point down) const { return down - last_start_; }
  // Wait from going down to the next start. REQUIRES: mutex_ held.
  std::chrono::milliseconds delay() const;

  mutable std::mutex mutex_;
  int starts_ = 0;                               // guarded by mutex_
  int quick_failures_ = 0;                       // guarded by mutex_
  Clock::time_point last_start_{};               // guarded by mutex_
  std::optional<Clock::time_point> down_since_;  // guarded by mutex_: seen down after last start
};

}  // namespace pydio::agent
