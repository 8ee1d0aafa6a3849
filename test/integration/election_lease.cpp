// Scenario: three agents contend for the leader lease in one real MariaDB.
// An operator sees exactly one leader at a time; when the leader's machine dies (SIGKILL) or
// its network is cut, another agent takes over within the lease duration plus one retry, and
// the term grows with every change of leader.

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "agent/election/lease.hpp"
#include "agent/host/mysql_account.hpp"
#include "test/integration/support/private_mariadb.hpp"
#include "test/integration/support/tcp_proxy.hpp"
#include "test/integration/support/tenure_check.hpp"

using namespace std::chrono_literals;
using pydio::agent::MysqlSession;
using pydio::test::PrivateMariadb;
using pydio::test::TcpProxy;

namespace {

constexpr auto kLease = 3000ms;
constexpr const char* kPassword = "lease-secret-1";
// Generous: the lease duration plus one retry is the design bound; the machine is shared.
constexpr auto kTakeoverDeadline = kLease + kLease / 3 + 10s;

struct LeaseRow {
  std::string holder;  // "" when nobody holds a live lease
  std::int64_t term = 0;
};

// One contender: a helper process connected through its own cuttable proxy.
struct Contender {
  std::string name;
  std::unique_ptr<TcpProxy> proxy;
  std::string log;
  int pid = -1;
};

// Everything the contenders started, stopped by PID whatever happens.
struct Contenders {
  std::vector<Contender> all;
  ~Contenders() {
    for (auto& contender : all) pydio::test::stop_pid(contender.pid, 5s);
  }
  Contender& named(const std::string& name) {
    for (auto& contender : all) {
      if (contender.name == name) return contender;
    }
    FAIL("no contender " << name);
    return all.front();
  }
};

class LeaseWatcher {
 public:
  explicit LeaseWatcher(std::unique_ptr<MysqlSession> admin) : admin_(std::move(admin)) {}

  // Reads the row; checks on every read that the term never goes back and that a new live
  // holder always comes with a higher term.
  LeaseRow read() {
    auto rows = admin_->query(
        "SELECT holder, term, expires_at > UTC_TIMESTAMP(6) FROM pydio_agent.leader_lease "
        "WHERE name = 'leader'");
    REQUIRE(rows);
    LeaseRow row;
    if (!rows->empty()) {
      const auto& c = rows->front().columns;
      row.term = std::stoll(c[1].value_or("0"));
      if (c[2].value_or("0") == "1") row.holder = c[0].value_or("");
    }
    REQUIRE(row.term >= last_.term);
    if (!row.holder.empty() && !last_live_.holder.empty() && row.holder != last_live_.holder) {
      REQUIRE(row.term > last_live_.term);
    }
    last_ = row;
    if (!row.holder.empty()) last_live_ = row;
    return row;
  }

  // Waits until a live holder satisfies `accept`; returns it.
  template <typename Accept>
  LeaseRow wait_for(std::chrono::steady_clock::duration deadline, Accept accept) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      LeaseRow row = read();
      if (!row.holder.empty() && accept(row)) return row;
      if (std::chrono::steady_clock::now() > until) {
        FAIL("no acceptable leader in time; last holder '" << row.holder << "' term " << row.term);
      }
      std::this_thread::sleep_for(20ms);
    }
  }

 private:
  std::unique_ptr<MysqlSession> admin_;
  LeaseRow last_;
  LeaseRow last_live_;
};

// Every "L <holder> <term> <ns>" line the contenders printed.
std::vector<pydio::test::LeaderSample> leader_samples(const std::vector<Contender>& contenders) {
  std::vector<pydio::test::LeaderSample> samples;
  for (const auto& contender : contenders) {
    std::ifstream in(contender.log);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string kind;
      pydio::test::LeaderSample sample;
      if (fields >> kind && kind == "L" && fields >> sample.holder >> sample.term >> sample.at_ns) {
        samples.push_back(sample);
      }
    }
  }
  return samples;
}

}  // namespace

SCENARIO("agents elect exactly one leader through the database and fail over", "[election]") {
  PrivateMariadb server;
  {
    pydio::common::Status started = server.start();
    INFO((started.is_ok() ? "" : started.message()));
    REQUIRE(started);
  }

  GIVEN("the lease schema and the lease user, made by the same code the db-server uses") {
    auto admin = MysqlSession::connect(server.admin_endpoint());
    REQUIRE(admin);
    for (const auto& statement : pydio::agent::lease_schema_statements()) {
      auto done = (*admin)->execute(statement);
      INFO((done.status().is_ok() ? "" : done.status().message()));
      REQUIRE(done);
    }
    pydio::agent::AccountSpec lease_user{pydio::agent::kLeaseUser,
                                         {"127.0.0.1"},
                                         pydio::agent::kLeaseDatabase,
                                         pydio::agent::lease_user_privileges()};
    auto before = pydio::agent::observe_account(**admin, lease_user.user, kPassword);
    REQUIRE(before);
    for (const auto& action : pydio::agent::plan_account(lease_user, *before)) {
      auto applied = pydio::agent::apply_account_action(**admin, action, kPassword);
      INFO(action.description << ": " << (applied.is_ok() ? "" : applied.message()));
      REQUIRE(applied);
    }
    auto after = pydio::agent::observe_account(**admin, lease_user.user, kPassword);
    REQUIRE(after);
    REQUIRE(pydio::agent::plan_account(lease_user, *after).empty());

    Contenders contenders;
    pydio::common::SystemRunner runner;
    for (const std::string name : {"node-a", "node-b", "node-c"}) {
      Contender contender;
      contender.name = name;
      contender.proxy = std::make_unique<TcpProxy>(server.port());
      contender.log = server.directory() + "/" + name + ".log";
      auto pid = runner.spawn_detached(
          {PYDIO_LEASE_HELPER, name, std::to_string(contender.proxy->port()), kPassword,
           std::to_string(kLease.count()), std::to_string(::getpid())},
          contender.log);
      REQUIRE(pid);
      contender.pid = *pid;
      contenders.all.push_back(std::move(contender));
    }

    auto watcher_session = MysqlSession::connect(server.admin_endpoint());
    REQUIRE(watcher_session);
    LeaseWatcher watcher(std::move(*watcher_session));

    WHEN("three agents contend") {
      LeaseRow first = watcher.wait_for(kTakeoverDeadline, [](const LeaseRow&) { return true; });
      // Watch a few renewals: the leader stays, nobody else gets in.
      const auto until = std::chrono::steady_clock::now() + 2 * kLease;
      while (std::chrono::steady_clock::now() < until) {
        LeaseRow row = watcher.read();
        REQUIRE(row.holder == first.holder);
        REQUIRE(row.term == first.term);
        std::this_thread::sleep_for(50ms);
      }

      THEN("killing the leader (SIGKILL) hands the lease to another within the deadline") {
        ::kill(contenders.named(first.holder).pid, SIGKILL);
        LeaseRow second = watcher.wait_for(
            kTakeoverDeadline, [&](const LeaseRow& row) { return row.holder != first.holder; });
        REQUIRE(second.term > first.term);

        AND_THEN("cutting the new leader's network hands the lease to the last one") {
          contenders.named(second.holder).proxy->cut();
          LeaseRow third = watcher.wait_for(kTakeoverDeadline, [&](const LeaseRow& row) {
            return row.holder != second.holder && row.holder != first.holder;
          });
          REQUIRE(third.term > second.term);
          // Let the cut node try (and fail) for a while more.
          std::this_thread::sleep_for(kLease);
          REQUIRE(watcher.read().holder == third.holder);

          AND_THEN("the agents' own view never had two leaders at once, terms only grew") {
            for (auto& contender : contenders.all) pydio::test::stop_pid(contender.pid, 5s);
            const auto samples = leader_samples(contenders.all);
            REQUIRE(samples.size() > 10);
            const auto tenures = pydio::test::merge_tenures(samples);
            // The story, for the log: who led, with which term, from when to when (seconds).
            for (const auto& tenure : tenures) {
              std::cout << "leader " << tenure.holder << " term " << tenure.term << " from +"
                        << (tenure.from_ns - tenures.front().from_ns) / 1e9 << "s to +"
                        << (tenure.to_ns - tenures.front().from_ns) / 1e9 << "s\n";
            }
            // Exactly the tenures the database showed, in order, each term one holder, never
            // interleaved. The second leader's network is cut as soon as the database shows it
            // holding the lease; the answer to its winning round may never reach it, so it may
            // never have seen itself lead.
            const auto problems =
                pydio::test::tenure_problems(tenures, {{first.holder, first.term, false},
                                                       {second.holder, second.term, true},
                                                       {third.holder, third.term, false}});
            for (const auto& problem : problems) UNSCOPED_INFO(problem);
            REQUIRE(problems.empty());
          }
        }
      }
    }
  }
}
