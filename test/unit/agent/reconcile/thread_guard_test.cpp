// Every long-lived thread body runs its rounds through guarded_round (guard.hpp): an exception
// is logged, counted, handed to the daemon's sink (an event) and the thread goes on. Before,
// any of them escaping ended the daemon with std::terminate, which would end this test binary.
// Also the bounded stop the daemon uses on SIGTERM (bounded_stop.hpp).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "agent/daemon/bounded_stop.hpp"
#include "agent/daemon/event_loop_guard.hpp"
#include "agent/health/db_prober.hpp"
#include "agent/reconcile/guard.hpp"
#include "common/metrics.hpp"

using namespace std::chrono_literals;
using pydio::agent::guarded_round;
using pydio::agent::set_thread_exception_sink;

namespace {

// Collects what the guards report while it lives.
struct Reports {
  Reports() {
    set_thread_exception_sink([this](const std::string& thread, const std::string& what) {
      std::lock_guard<std::mutex> lock(mutex);
      seen.push_back(thread + ": " + what);
    });
  }
  ~Reports() { set_thread_exception_sink({}); }
  std::vector<std::string> all() {
    std::lock_guard<std::mutex> lock(mutex);
    return seen;
  }
  std::mutex mutex;
  std::vector<std::string> seen;
};

template <typename Predicate>
bool wait_for(Predicate predicate, std::chrono::seconds deadline = 20s) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

}  // namespace

TEST_CASE("guarded_round reports what escaped a round and says whether it returned", "[guard]") {
  Reports reports;
  CHECK(guarded_round("test thread", [] {}));
  CHECK_FALSE(guarded_round("test thread", [] { throw std::runtime_error("boom"); }));
  CHECK_FALSE(guarded_round("test thread", [] { throw 42; }));
  CHECK(reports.all() ==
        std::vector<std::string>{"test thread: boom", "test thread: unknown exception"});
  const std::string metrics = pydio::common::metrics::process_registry().render();
  CHECK_THAT(metrics,
             Catch::Contains("pydio_agent_thread_exceptions_total{thread=\"test thread\"} 2"));
}

TEST_CASE("the event loop runs on after a handler threw", "[guard]") {
  Reports reports;
  boost::asio::io_context ioc;
  bool after = false;
  boost::asio::post(ioc, [] { throw std::runtime_error("handler bug"); });
  boost::asio::post(ioc, [&] {
    after = true;
    ioc.stop();
  });
  pydio::agent::run_event_loop(ioc);  // before: the exception escaped run()
  CHECK(after);
  CHECK(reports.all() == std::vector<std::string>{"event loop: handler bug"});
}

TEST_CASE("the db prober's thread goes on after a round threw", "[guard]") {
  Reports reports;
  std::atomic<int> calls{0};
  pydio::agent::DbProber prober(
      [&] {
        if (++calls <= 2) throw std::runtime_error("desired state went away");
        return pydio::agent::DbProbeTarget{};  // not a db node: nothing asked
      },
      10ms);
  prober.start();
  REQUIRE(wait_for([&] { return calls.load() >= 4; }));
  prober.stop();
  const auto seen = reports.all();
  REQUIRE(seen.size() == 2);
  CHECK(seen[0] == "db prober: desired state went away");
}

TEST_CASE("stop_in_parallel waits for every stop at once, but not past its deadline", "[guard]") {
  SECTION("quick stops: all returned, each ran") {
    std::atomic<int> ran{0};
    CHECK(pydio::agent::stop_in_parallel({[&] { ++ran; }, [&] { ++ran; }, [&] { ++ran; }},
                                         std::chrono::steady_clock::now() + 20s));
    CHECK(ran == 3);
  }
  SECTION("a stop that hangs: false at the deadline, while it still runs") {
    auto release = std::make_shared<std::atomic<bool>>(false);
    auto hung_done = std::make_shared<std::atomic<bool>>(false);
    std::atomic<int> quick{0};
    const bool all = pydio::agent::stop_in_parallel({[release, hung_done] {
                                                       while (!*release)
                                                         std::this_thread::sleep_for(1ms);
                                                       *hung_done = true;
                                                     },
                                                     [&] { ++quick; }},
                                                    std::chrono::steady_clock::now() + 200ms);
    CHECK_FALSE(all);
    CHECK_FALSE(*hung_done);
    CHECK(quick == 1);
    *release = true;  // lets the detached thread end
    CHECK(wait_for([&] { return hung_done->load(); }));
  }
}
