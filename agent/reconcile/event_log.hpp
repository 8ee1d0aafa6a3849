#pragma once
// One structured event per action the agent takes: time, resource, action, outcome, duration.
// Kept in memory (the most recent kCapacity) for `agentctl events` and appended as JSON lines
// to a file in the state dir, so an operator can read the history after a restart.
// Thread-safe: every member is guarded by mutex_.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace pydio::agent {

struct Event {
  std::chrono::system_clock::time_point time;
  std::string resource;
  std::string action;   // the action's description, e.g. "mount /dev/loop3 at /data"
  std::string outcome;  // "ok" or "error"
  std::chrono::milliseconds duration{0};
  std::string message;           // the error, empty on success
  std::int64_t leader_term = 0;  // leader-only actions: the term they ran under; else 0
  // Set by EventLog::record, in the order events were recorded (agentctl events --follow asks
  // for the events after the last one it printed). See EventLog's constructor for the first.
  std::uint64_t sequence = 0;
};

nlohmann::json event_to_json(const Event& event);

// "2024-05-01T12:00:00Z", or "2024-05-01T12:00:00.123Z" with milliseconds.
std::string iso8601_utc(std::chrono::system_clock::time_point time, bool with_milliseconds);

class EventLog {
 public:
  static constexpr std::size_t kCapacity = 1000;
  // file_path may be empty: then events are kept in memory only. The first event is numbered
  // `first_sequence`; 0 means "the time now in microseconds since 1970", which the daemon uses
  // so that numbers keep growing across restarts: a follower that asks for the events after the
  // last one it saw, from before a restart, then gets every event of the new run, however many
  // it recorded before the follower came back (fewer than one per microsecond since the last).
  explicit EventLog(std::string file_path, std::uint64_t first_sequence = 1);
  void record(Event event);
  // A step taken outside the reconciler (a leader's rotation or rollout step, a publish): logged
  // (info, or warn with the error) and recorded now, outcome "ok" when `error` is empty.
  void record_step(const std::string& resource, const std::string& action, const std::string& error,
                   std::int64_t leader_term = 0);
  // The newest `count` events, oldest first.
  std::vector<Event> latest(std::size_t count) const;
  // The events recorded after the one numbered `sequence`, oldest first (at most kCapacity).
  // A number this run never handed out comes from before a restart: every event is new then.
  std::vector<Event> after(std::uint64_t sequence) const;

 private:
  const std::string file_path_;
  mutable std::mutex mutex_;
  std::deque<Event> events_;  // guarded by mutex_
  std::uint64_t last_sequence_ = 0;  // guarded by mutex_
};

}  // namespace pydio::agent
