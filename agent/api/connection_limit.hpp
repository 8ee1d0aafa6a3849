#pragma once
// Caps the connections of one listener. At the cap, the connection that has waited longest
// for a request header (silent, or dribbling one) is evicted to admit the new one: a cap
// alone would let whoever opens connections first hold every slot, and the header timeout
// then only makes them reconnect. A connection with a request in progress (header read,
// body being read, handler running, answer being written) is never evicted; when every
// connection is busy, the new one is refused.
//
// Thread safety: every member may be called from any thread (guarded by mutex_).

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>

namespace pydio::agent::api {

class ConnectionLimit {
 public:
  using Id = std::uint64_t;
  // Closes the evicted connection; must not block (it posts the close to the connection).
  using Evict = std::function<void()>;

  // REQUIRES: max_connections > 0.
  explicit ConnectionLimit(std::size_t max_connections);

  // Admits a connection, idle from now. When the cap is reached, the longest-idle connection
  // is forgotten and its `evict` called (outside the lock, once) before admitting this one.
  // Returns nullopt (nothing changed) when the cap is reached and no connection is idle.
  std::optional<Id> admit(Evict evict);
  // Replaces how an admitted connection is closed (a TLS connection is admitted before its
  // handshake and handed to a session after it). False, and nothing changes, when the id is
  // gone (evicted meanwhile): the caller then closes the connection itself.
  bool set_evict(Id id, Evict evict);
  // The connection started (busy) or finished (idle again, now the youngest idle) a request.
  // Nothing happens for an id already evicted or removed.
  void set_busy(Id id, bool busy);
  // The connection ended.
  void remove(Id id);

  std::size_t max_connections() const { return max_; }
  std::size_t open() const;
  std::uint64_t evicted() const;  // since start
  std::uint64_t refused() const;  // since start

 private:
  struct Entry {
    Evict evict;
    std::optional<std::uint64_t> idle_since;  // key in idle_ while idle
  };

  const std::size_t max_;
  mutable std::mutex mutex_;
  Id next_id_ = 1;                    // guarded by mutex_
  std::uint64_t next_idle_ = 1;       // guarded by mutex_; order in which connections idled
  std::map<Id, Entry> entries_;       // guarded by mutex_
  std::map<std::uint64_t, Id> idle_;  // guarded by mutex_; oldest first
  std::uint64_t evicted_ = 0;         // guarded by mutex_
  std::uint64_t refused_ = 0;         // guarded by mutex_
};

}  // namespace pydio::agent::api
