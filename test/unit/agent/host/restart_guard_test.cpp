// Restart backoff (pure: the clock is passed in).

#include "agent/host/restart_guard.hpp"

#include <catch2/catch.hpp>

using namespace pydio;
using namespace std::chrono_literals;
using agent::RestartGuard;

TEST_CASE("a process that dies right after each start is started less and less often",
          "[restart_guard]") {
  RestartGuard guard;
  const auto t0 = RestartGuard::Clock::time_point{} + 1000s;

  SECTION("the first start, and a restart after a long life, go ahead at once") {
    CHECK_FALSE(guard.hold_back("glusterd", t0));
    CHECK(guard.next_start_number() == 1);
    CHECK(guard.record_start(t0) == 1);
    CHECK_FALSE(guard.hold_back("glusterd", t0 + RestartGuard::kStableAfter));
    CHECK(guard.record_start(t0 + RestartGuard::kStableAfter) == 2);
    CHECK(guard.quick_failures() == 0);
  }
  SECTION("quick deaths in a row: waits of 1 s, 2 s, 4 s ... after each, capped") {
    auto now = t0;
    guard.record_start(now);
    std::chrono::milliseconds expected = RestartGuard::kFirstDelay;
    for (int round = 0; round < 12; ++round) {
      const auto down = now + 100ms;  // it died right after the start
      guard.mark_down(down);
      const auto held = guard.hold_back("Apache", down);
      REQUIRE(held);
      CHECK(held->find("Apache stopped within 1 s of start " + std::to_string(round + 1)) == 0);
      CHECK(guard.hold_back("Apache", down + expected - 1ms));
      CHECK_FALSE(guard.hold_back("Apache", down + expected));
      now = down + expected;
      guard.record_start(now);
      CHECK(guard.quick_failures() == round + 1);
      expected = std::min(expected * 2, std::chrono::milliseconds(RestartGuard::kMaxDelay));
    }
    CHECK(expected == RestartGuard::kMaxDelay);
    CHECK(guard.next_start_number() == 14);
  }
  SECTION("a start that then lived kStableAfter clears the count") {
    guard.record_start(t0);
    guard.record_start(t0 + 1s);
    guard.record_start(t0 + 3s);
    CHECK(guard.quick_failures() == 2);
    const auto later = t0 + 3s + RestartGuard::kStableAfter;
    CHECK_FALSE(guard.hold_back("mariadb", later));
    guard.record_start(later);
    CHECK(guard.quick_failures() == 0);
    // The next quick death waits 1 s again, counted from when it was seen down.
    guard.mark_down(later + 100ms);
    CHECK(guard.hold_back("mariadb", later + 100ms));
    CHECK(guard.hold_back("mariadb", later + 1s));
    CHECK_FALSE(guard.hold_back("mariadb", later + 100ms + RestartGuard::kFirstDelay));
  }
  SECTION("asking (as a dry run does) records nothing: only mark_down starts the wait") {
    guard.record_start(t0);
    CHECK(guard.hold_back("glusterd", t0 + 100ms));
    // Never marked down: asked again much later, the wait counts from that later moment.
    CHECK(guard.hold_back("glusterd", t0 + 10s));
    guard.mark_down(t0 + 10s);
    CHECK_FALSE(guard.hold_back("glusterd", t0 + 10s + RestartGuard::kFirstDelay));
  }
  SECTION("waiting out a long backoff does not count as a long life") {
    guard.record_start(t0);
    auto now = t0;
    for (int round = 0; round < 8; ++round) {  // backoff grows past kStableAfter
      const auto down = now + 100ms;
      guard.mark_down(down);
      now = down + RestartGuard::kMaxDelay;
      CHECK_FALSE(guard.hold_back("brick", now));
      guard.record_start(now);
    }
    CHECK(guard.quick_failures() == 8);
  }
}
