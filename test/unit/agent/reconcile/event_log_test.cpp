#include "agent/reconcile/event_log.hpp"

#include <catch2/catch.hpp>
#include <thread>

using pydio::agent::Event;
using pydio::agent::EventLog;

namespace {

void record(EventLog& log, const std::string& action) {
  Event event;
  event.time = std::chrono::system_clock::now();
  event.resource = "apache-vhost";
  event.action = action;
  event.outcome = "ok";
  log.record(std::move(event));
}

std::vector<std::string> actions(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& event : events) out.push_back(event.action);
  return out;
}

}  // namespace

TEST_CASE("events are numbered in the order they were recorded") {
  EventLog log("");
  record(log, "first");
  record(log, "second");
  const auto events = log.latest(10);
  REQUIRE(events.size() == 2);
  CHECK(events[0].sequence == 1);
  CHECK(events[1].sequence == 2);
  CHECK(pydio::agent::event_to_json(events[1])["seq"] == 2);
}

TEST_CASE("after(n) answers only the events a follower has not seen yet") {
  EventLog log("");
  record(log, "first");
  record(log, "second");
  record(log, "third");
  CHECK(actions(log.after(0)) == std::vector<std::string>{"first", "second", "third"});
  CHECK(actions(log.after(1)) == std::vector<std::string>{"second", "third"});
  CHECK(log.after(3).empty());
  record(log, "fourth");
  CHECK(actions(log.after(3)) == std::vector<std::string>{"fourth"});
}

TEST_CASE("after(n) with a number from before a restart answers every event kept") {
  EventLog log("");
  record(log, "first");
  record(log, "second");
  // A follower that saw event 40 of the daemon's previous run.
  CHECK(actions(log.after(40)) == std::vector<std::string>{"first", "second"});
}

TEST_CASE("numbered from the time: a follower from before a restart misses none of the new run") {
  // The previous run handed out numbers up to `seen`; the next run starts later.
  EventLog before("", 0);
  for (int i = 0; i < 50; ++i) record(before, "old " + std::to_string(i));
  const std::uint64_t seen = before.latest(1).front().sequence;
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  EventLog after_restart("", 0);
  // More events than the follower had seen before the restart, all recorded before it asks.
  for (int i = 0; i < 60; ++i) record(after_restart, "new " + std::to_string(i));
  const auto events = after_restart.after(seen);
  REQUIRE(events.size() == 60);
  CHECK(events.front().action == "new 0");
  CHECK(events.front().sequence > seen);
}

TEST_CASE("after(n) keeps to the events still held when more were recorded than kept") {
  EventLog log("");
  for (std::size_t i = 0; i < EventLog::kCapacity + 5; ++i) record(log, std::to_string(i + 1));
  const auto events = log.after(0);
  REQUIRE(events.size() == EventLog::kCapacity);
  CHECK(events.front().sequence == 6);
  CHECK(events.back().sequence == EventLog::kCapacity + 5);
}
