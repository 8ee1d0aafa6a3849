#include "agent/api/connection_limit.hpp"

#include <catch2/catch.hpp>
#include <vector>

using pydio::agent::api::ConnectionLimit;

namespace {

// Records which connections were evicted, by the number given at admission.
struct Evictions {
  std::vector<int> closed;
  ConnectionLimit::Evict of(int connection) {
    return [this, connection] { closed.push_back(connection); };
  }
};

}  // namespace

TEST_CASE("connection limit: at the cap the longest-idle connection makes room",
          "[connection_limit]") {
  ConnectionLimit limit(3);
  Evictions evictions;
  const auto first = limit.admit(evictions.of(1));
  const auto second = limit.admit(evictions.of(2));
  const auto third = limit.admit(evictions.of(3));
  REQUIRE(first);
  REQUIRE(second);
  REQUIRE(third);
  CHECK(limit.open() == 3);

  SECTION("all idle: the oldest goes") {
    CHECK(limit.admit(evictions.of(4)));
    CHECK(evictions.closed == std::vector<int>{1});
    CHECK(limit.open() == 3);
    CHECK(limit.evicted() == 1);
  }
  SECTION("a connection with a request in progress is never evicted") {
    limit.set_busy(*first, true);
    CHECK(limit.admit(evictions.of(4)));
    CHECK(evictions.closed == std::vector<int>{2});
  }
  SECTION("idle again after a request: now the youngest idle") {
    limit.set_busy(*first, true);
    limit.set_busy(*first, false);
    CHECK(limit.admit(evictions.of(4)));
    CHECK(limit.admit(evictions.of(5)));
    CHECK(evictions.closed == std::vector<int>{2, 3});
  }
  SECTION("a connection handed on (TLS: handshake, then session) is closed its new way") {
    CHECK(limit.set_evict(*first, evictions.of(10)));
    CHECK(limit.admit(evictions.of(4)));
    CHECK(evictions.closed == std::vector<int>{10});
    // Evicted before it was handed on: the new owner learns it must close the connection.
    CHECK_FALSE(limit.set_evict(*first, evictions.of(11)));
    CHECK(limit.open() == 3);
  }
  SECTION("every connection busy: the new one is refused, nothing evicted") {
    for (const auto& id : {first, second, third}) limit.set_busy(*id, true);
    CHECK_FALSE(limit.admit(evictions.of(4)));
    CHECK(evictions.closed.empty());
    CHECK(limit.refused() == 1);
    CHECK(limit.open() == 3);
    limit.remove(*second);
    CHECK(limit.admit(evictions.of(5)));
    CHECK(limit.open() == 3);
  }
  SECTION("an evicted connection's later calls change nothing") {
    CHECK(limit.admit(evictions.of(4)));  // evicts 1
    limit.set_busy(*first, false);
    limit.remove(*first);
    CHECK(limit.open() == 3);
    CHECK(limit.admit(evictions.of(5)));
    CHECK(evictions.closed == std::vector<int>{1, 2});
  }
}

TEST_CASE("connection limit: a flood of connections stays at the cap", "[connection_limit]") {
  ConnectionLimit limit(512);
  Evictions evictions;
  for (int i = 0; i < 2000; ++i) CHECK(limit.admit(evictions.of(i)));
  CHECK(limit.open() == 512);
  CHECK(limit.evicted() == 2000 - 512);
  CHECK(evictions.closed.front() == 0);
  CHECK(evictions.closed.back() == 2000 - 512 - 1);
}
