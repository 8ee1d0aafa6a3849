#include "agent/host/restart_guard.hpp"

#include <algorithm>

namespace pydio::agent {



std::chrono::milliseconds RestartGuard::delay() const {
  std::chrono::milliseconds delay = kFirstDelay;
  for (int i = 0; i < quick_failures_ && delay < kMaxDelay; ++i) delay *= 2;
  return std::min(delay, std::chrono::milliseconds(kMaxDelay));
}

void RestartGuard::mark_down(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (starts_ > 0 && !down_since_) down_since_ = now;
}

std::optional<std::string> RestartGuard::hold_back(const std::string& what,
                                                   Clock::time_point now) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (starts_ == 0) return std::nullopt;  // not started by this agent: nothing to hold back
  const Clock::time_point down = down_since_.value_or(now);
  if (lived(down) >= kStableAfter) return std::nullopt;
  const std::chrono::milliseconds wait = delay();
  const auto down_for = now - down;
  if (down_for >= wait) return std::nullopt;
  const auto lived_s = std::chrono::duration_cast<std::chrono::seconds>(lived(down)).count() + 1;
  const auto left_s = std::chrono::duration_cast<std::chrono::seconds>(wait - down_for).count() + 1;
  return what + " stopped within " + std::to_string(lived_s) + " s of start " +
         std::to_string(starts_) + " (" + std::to_string(quick_failures_ + 1) +
         " in a row); next start in " + std::to_string(left_s) + " s";
}

int RestartGuard::next_start_number() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return starts_ + 1;
}

int RestartGuard::record_start(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  // Never seen down (a start retried after a failed one): judged by the time since the last.
  const Clock::duration life = down_since_ ? lived(*down_since_) : now - last_start_;
  quick_failures_ = starts_ > 0 && life < kStableAfter ? quick_failures_ + 1 : 0;
  last_start_ = now;
  down_since_.reset();
  return ++starts_;
}

int RestartGuard::quick_failures() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return quick_failures_;
}

}  // namespace pydio::agent
