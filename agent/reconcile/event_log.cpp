#include "agent/reconcile/event_log.hpp"

#include "agent/logging/log_context.hpp"

#include <spdlog/spdlog.h>

#include <ctime>
#include <fstream>

namespace pydio::agent {

std::string iso8601_utc(std::chrono::system_clock::time_point time, bool with_milliseconds) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[40];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &utc);
  if (!with_milliseconds) return std::string(buffer) + "Z";
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()) % 1000;
  char out[48];
  std::snprintf(out, sizeof out, "%s.%03dZ", buffer, static_cast<int>(millis.count()));
  return out;
}

nlohmann::json event_to_json(const Event& event) {
  nlohmann::json out = {{"time", iso8601_utc(event.time, true)},
                        {"resource", event.resource},
                        {"action", event.action},
                        {"outcome", event.outcome},
                        {"durationMs", event.duration.count()},
                        {"message", event.message}};
  if (event.leader_term > 0) out["leaderTerm"] = event.leader_term;
  if (event.sequence > 0) out["seq"] = event.sequence;
  return out;
}

namespace {

std::uint64_t microseconds_since_epoch() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

EventLog::EventLog(std::string file_path, std::uint64_t first_sequence)
    : file_path_(std::move(file_path)),
      last_sequence_((first_sequence == 0 ? microseconds_since_epoch() : first_sequence) - 1) {}

void EventLog::record_step(const std::string& resource, const std::string& action,
                           const std::string& error, std::int64_t leader_term) {
  Event event;
  event.time = std::chrono::system_clock::now();
  event.resource = resource;
  event.action = action;
  event.outcome = error.empty() ? "ok" : "error";
  event.message = error;
  event.leader_term = leader_term;
  {
    logging::ScopedLogContext context({resource, action, event.outcome, leader_term});
    if (error.empty()) {
      spdlog::info("{}", action);
    } else {
      spdlog::warn("{}: {}", action, error);
    }
  }
  record(std::move(event));
}

void EventLog::record(Event event) {
  const std::string term =
      event.leader_term > 0 ? " [leader term " + std::to_string(event.leader_term) + "]" : "";
  {
    logging::ScopedLogContext context(
        {event.resource, event.action, event.outcome, event.leader_term});
    if (event.outcome == "ok") {
      spdlog::info("{}: {} ({} ms){}", event.resource, event.action, event.duration.count(), term);
    } else {
      spdlog::warn("{}: {} failed after {} ms{}: {}", event.resource, event.action,
                   event.duration.count(), term, event.message);
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  event.sequence = ++last_sequence_;
  if (!file_path_.empty()) {
    std::ofstream out(file_path_, std::ios::app);
    // Messages quote command output, which need not be UTF-8: replace, never throw here.
    if (out)
      out << event_to_json(event).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
          << '\n';
  }
  events_.push_back(std::move(event));
  while (events_.size() > kCapacity) events_.pop_front();
}

std::vector<Event> EventLog::latest(std::size_t count) const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t first = events_.size() > count ? events_.size() - count : 0;
  return {events_.begin() + static_cast<std::ptrdiff_t>(first), events_.end()};
}

std::vector<Event> EventLog::after(std::uint64_t sequence) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (sequence > last_sequence_) return {events_.begin(), events_.end()};
  std::vector<Event> out;
  for (const auto& event : events_)
    if (event.sequence > sequence) out.push_back(event);
  return out;
}

}  // namespace pydio::agent
