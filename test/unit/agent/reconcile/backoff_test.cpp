#include "agent/reconcile/backoff.hpp"

#include <catch2/catch.hpp>

using pydio::agent::Backoff;
using namespace std::chrono_literals;

TEST_CASE("backoff doubles from 500 ms with jitter and caps near two minutes", "[backoff]") {
  std::mt19937 random(42);
  Backoff backoff;
  auto first = backoff.next_delay(random);
  CHECK(first >= 400ms);
  CHECK(first <= 600ms);
  auto second = backoff.next_delay(random);
  CHECK(second >= 800ms);
  CHECK(second <= 1200ms);
  for (int i = 0; i < 20; ++i) backoff.next_delay(random);
  auto capped = backoff.next_delay(random);
  CHECK(capped >= 96s);
  CHECK(capped <= 144s);

  SECTION("reset starts over") {
    backoff.reset();
    CHECK(backoff.next_delay(random) <= 600ms);
  }
}
