#include "agent/daemon/cluster_view_cache.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

using pydio::agent::ClusterViewCache;
using namespace std::chrono_literals;

namespace {

// A clock the test moves by hand.
struct TestClock {
  ClusterViewCache::Clock::time_point now{};
  std::function<ClusterViewCache::Clock::time_point()> function() {
    return [this] { return now; };
  }
};

}  // namespace

TEST_CASE("page loads within the cache age ask the cluster once", "[cluster_view_cache]") {
  TestClock clock;
  int fan_outs = 0;
  ClusterViewCache cache(
      [&] {
        return nlohmann::json{{"fanOut", ++fan_outs}};
      },
      10s, clock.function());

  SECTION("twenty loads in ten seconds: one fan-out, every page the same view") {
    for (int i = 0; i < 20; ++i) {
      const auto view = cache.get();
      CHECK(view.number == 1);
      CHECK(view.report["fanOut"] == 1);
      clock.now += 490ms;
    }
    CHECK(fan_outs == 1);
    CHECK(cache.taken() == 1);
  }

  SECTION("a view as old as the age is taken again, once") {
    cache.get();
    clock.now += 10s;
    CHECK(cache.get().number == 2);
    CHECK(cache.get().number == 2);
    CHECK(fan_outs == 2);
  }

  SECTION("nothing is asked before the first page") { CHECK(fan_outs == 0); }
}

TEST_CASE("pages that load during a fan-out wait for it instead of starting their own",
          "[cluster_view_cache]") {
  std::atomic<int> fan_outs{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<void> began;
  ClusterViewCache cache(
      [&] {
        if (++fan_outs == 1) began.set_value();
        released.wait();  // a slow peer
        return nlohmann::json{{"nodes", nlohmann::json::array()}};
      },
      10s);

  std::vector<std::future<std::uint64_t>> pages;
  pages.push_back(std::async(std::launch::async, [&] { return cache.get().number; }));
  began.get_future().wait();
  for (int i = 0; i < 7; ++i)
    pages.push_back(std::async(std::launch::async, [&] { return cache.get().number; }));
  std::this_thread::sleep_for(50ms);  // let them reach the wait (a late one finds a fresh view)
  release.set_value();
  for (auto& page : pages) CHECK(page.get() == 1);
  CHECK(fan_outs == 1);
}

TEST_CASE("a fan-out that throws is tried again by the next page", "[cluster_view_cache]") {
  TestClock clock;
  int calls = 0;
  ClusterViewCache cache(
      [&]() -> nlohmann::json {
        if (++calls == 1) throw std::runtime_error("no desired state");
        return nlohmann::json::object();
      },
      10s, clock.function());
  CHECK_THROWS_WITH(cache.get(), "no desired state");
  CHECK(cache.taken() == 0);
  CHECK(cache.get().number == 1);
  CHECK(calls == 2);
}

TEST_CASE("pages that waited for a fan-out slower than the cache age take its answer",
          "[cluster_view_cache]") {
  // A hung glusterd can make one fan-out last longer than max_age. The pages that waited for it
  // must not each start another (they would only queue behind the same hung peer).
  std::atomic<ClusterViewCache::Clock::time_point> now{ClusterViewCache::Clock::time_point{}};
  std::atomic<int> clock_reads{0};
  std::atomic<int> fan_outs{0};
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  ClusterViewCache cache(
      [&] {
        if (++fan_outs == 2) released.wait();  // the second fan-out is the slow one
        return nlohmann::json::object();
      },
      10s,
      [&] {
        ++clock_reads;
        return now.load();
      });

  REQUIRE(cache.get().number == 1);  // reads the clock once (when its fan-out began)
  now = now.load() + 10s;            // that view is stale now
  std::vector<std::future<std::uint64_t>> pages;
  // The first page reads the clock twice (stale; its fan-out begins), the 5 others once each
  // before they wait, under the cache's lock: once the count is reached, every one waits.
  for (int i = 0; i < 6; ++i)
    pages.push_back(std::async(std::launch::async, [&] { return cache.get().number; }));
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (clock_reads < 1 + 2 + 5 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  REQUIRE(clock_reads == 1 + 2 + 5);
  now = now.load() + 15s;  // the fan-out outlasts the cache age
  release.set_value();
  for (auto& page : pages) CHECK(page.get() == 2);
  CHECK(fan_outs == 2);
  // A page after it finds the view stale: it asks again.
  CHECK(cache.get().number == 3);
  CHECK(fan_outs == 3);
}
