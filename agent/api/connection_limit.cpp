#include "agent/api/connection_limit.hpp"

#include <utility>

namespace pydio::agent::api {

ConnectionLimit::ConnectionLimit(std::size_t max_connections) : max_(max_connections) {}

std::optional<ConnectionLimit::Id> ConnectionLimit::admit(Evict evict) {
  Evict victim;
  Id id = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (entries_.size() >= max_) {
      if (idle_.empty()) {
        ++refused_;
        return std::nullopt;
      }
      const auto oldest = idle_.begin();
      const auto entry = entries_.find(oldest->second);
      victim = std::move(entry->second.evict);
      entries_.erase(entry);
      idle_.erase(oldest);
      ++evicted_;
    }
    id = next_id_++;
    const std::uint64_t order = next_idle_++;
    entries_.emplace(id, Entry{std::move(evict), order});
    idle_.emplace(order, id);
  }
  if (victim) victim();
  return id;
}

bool ConnectionLimit::set_evict(Id id, Evict evict) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto entry = entries_.find(id);
  if (entry == entries_.end()) return false;
  entry->second.evict = std::move(evict);
  return true;
}

void ConnectionLimit::set_busy(Id id, bool busy) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto entry = entries_.find(id);
  if (entry == entries_.end()) return;
  auto& idle_since = entry->second.idle_since;
  if (idle_since) {
    idle_.erase(*idle_since);
    idle_since.reset();
  }
  if (!busy) {
    idle_since = next_idle_++;
    idle_.emplace(*idle_since, id);
  }
}

void ConnectionLimit::remove(Id id) {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto entry = entries_.find(id);
  if (entry == entries_.end()) return;
  if (entry->second.idle_since) idle_.erase(*entry->second.idle_since);
  entries_.erase(entry);
}

std::size_t ConnectionLimit::open() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return entries_.size();
}

std::uint64_t ConnectionLimit::evicted() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return evicted_;
}

std::uint64_t ConnectionLimit::refused() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return refused_;
}

}  // namespace pydio::agent::api
