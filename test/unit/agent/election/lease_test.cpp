#include <catch2/catch.hpp>

#include "agent/election/lease.hpp"

using namespace std::chrono_literals;
using pydio::agent::effective_safety_margin;
using pydio::agent::lease_valid_until;
using pydio::agent::LeaseClock;
using pydio::agent::renew_interval;

TEST_CASE("a lease counts locally until send time + duration - margin", "[lease]") {
  const LeaseClock::time_point sent{std::chrono::seconds(1000)};

  SECTION("the window starts at the moment the request was sent, not when it was answered") {
    REQUIRE(lease_valid_until(sent, 10s, 2500ms) == sent + 7500ms);
  }
  SECTION("a slow answer shortens the usable window instead of extending it") {
    const auto until = lease_valid_until(sent, 10s, 2500ms);
    const LeaseClock::time_point answered = sent + 8s;
    REQUIRE(answered > until);  // an answer after the window: not leader at all
  }
}

TEST_CASE("the safety margin defaults to a quarter of the lease and leaves a window",
          "[lease]") {
  SECTION("no margin requested: duration / 4") {
    REQUIRE(effective_safety_margin(10s, 0ms) == 2500ms);
  }
  SECTION("a requested margin is used as is") {
    REQUIRE(effective_safety_margin(10s, 1s) == 1s);
  }
  SECTION("a margin as long as the lease is capped so a tenth of it stays usable") {
    REQUIRE(effective_safety_margin(10s, 20s) == 9s);
  }
}

TEST_CASE("renewals happen three times per lease, so two may fail before the window closes",
          "[lease]") {
  REQUIRE(renew_interval(9s) == 3s);
  const auto margin = effective_safety_margin(9s, 0ms);
  // The third renewal attempt still falls inside the local window of the first success.
  REQUIRE(2 * renew_interval(9s) < 9s - margin);
}
