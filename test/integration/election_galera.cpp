// Scenario: three agents contend for the leader lease in a MariaDB Galera cluster of three
// members, each on its own simulated node. The agents start knowing only the first member (as
// with one db node) and are then given all three without losing the leader's term. They all
// talk to the first member; when it is SIGKILLed they move to the next one, and back once it
// has rejoined; when it is then cut off the network, the other two form the primary component
// and the agents keep a leader there. Throughout, the database never shows two holders under
// one term, a new holder always comes with a higher term, and the agents' own record never has
// two leaders at once. Last, two agents pinned to two different members race for a lease that
// just expired, many times: never both win (Galera's certification refuses the second write).

#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <future>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "agent/election/lease.hpp"
#include "agent/host/mysql_account.hpp"
#include "test/integration/support/galera_members.hpp"
#include "test/integration/support/private_mariadb.hpp"
#include "test/integration/support/sim_cluster.hpp"
#include "test/integration/support/tenure_check.hpp"

using namespace std::chrono_literals;
using pydio::agent::MysqlSession;
using pydio::test::GaleraMembers;

namespace {

constexpr auto kLease = 3000ms;
constexpr const char* kPassword = "lease-secret-galera-1";
constexpr const char* kHostAddress = "198.18.0.254";  // the host's end of the nodes' bridge
// Generous: a member's failure is noticed after Galera's suspect timeout (~5 s), then the
// lease runs out and is taken; the machine is shared.
constexpr auto kTakeoverDeadline = 60s;

struct LeaseRow {
  std::string holder;  // "" when nobody holds a live lease
  std::int64_t term = 0;
};

// Reads the lease row from whichever member answers (wsrep_sync_wait = 1, like the agents),
// checking on every read that the term never goes back and that a new live holder always comes
// with a higher term. Records every live tenure it saw.
class LeaseWatcher {
 public:
  explicit LeaseWatcher(GaleraMembers& members) : members_(members) {}

  std::optional<LeaseRow> read() {
    for (std::size_t member = 0; member < members_.size(); ++member) {
      if (auto row = read_from(member)) {
        check(*row);
        return row;
      }
    }
    return std::nullopt;
  }

  template <typename Accept>
  LeaseRow wait_for(std::chrono::steady_clock::duration deadline, Accept accept) {
    const auto until = std::chrono::steady_clock::now() + deadline;
    for (;;) {
      auto row = read();
      if (row && !row->holder.empty() && accept(*row)) return *row;
      if (std::chrono::steady_clock::now() > until) {
        FAIL("no acceptable leader in time; last holder '" << last_.holder << "' term "
                                                           << last_.term);
      }
      std::this_thread::sleep_for(20ms);
    }
  }

  // Reads for `span`, REQUIRing a live holder `holder` on every read (no gap, no change).
  void hold_steady(const std::string& holder, std::chrono::steady_clock::duration span) {
    const auto until = std::chrono::steady_clock::now() + span;
    while (std::chrono::steady_clock::now() < until) {
      auto row = read();
      REQUIRE(row);
      INFO("holder '" << row->holder << "' term " << row->term);
      REQUIRE(row->holder == holder);
      std::this_thread::sleep_for(50ms);
    }
  }

  const std::vector<LeaseRow>& tenures() const { return tenures_; }

 private:
  std::optional<LeaseRow> read_from(std::size_t member) {
    auto& session = sessions_[member];
    if (!session) {
      auto connected = MysqlSession::connect(members_.admin_endpoint(member));
      if (!connected) return std::nullopt;
      if (!(*connected)->execute("SET SESSION wsrep_sync_wait = 1")) return std::nullopt;
      session = std::move(*connected);
    }
    auto rows = session->query(
        "SELECT holder, term, expires_at > UTC_TIMESTAMP(6) FROM pydio_agent.leader_lease "
        "WHERE name = 'leader'");
    if (!rows) {
      session.reset();  // killed, or outside the primary component (1047)
      return std::nullopt;
    }
    LeaseRow row;
    if (!rows->empty()) {
      const auto& c = rows->front().columns;
      row.term = std::stoll(c[1].value_or("0"));
      if (c[2].value_or("0") == "1") row.holder = c[0].value_or("");
    }
    return row;
  }

  void check(const LeaseRow& row) {
    REQUIRE(row.term >= last_.term);
    if (!row.holder.empty()) {
      if (!tenures_.empty() && row.holder != tenures_.back().holder) {
        REQUIRE(row.term > tenures_.back().term);
      }
      if (tenures_.empty() || tenures_.back().holder != row.holder ||
          tenures_.back().term != row.term) {
        tenures_.push_back(row);
      }
    }
    last_ = row;
  }

  GaleraMembers& members_;
  std::map<std::size_t, std::unique_ptr<MysqlSession>> sessions_;
  LeaseRow last_;
  std::vector<LeaseRow> tenures_;
};

// One contender: a helper process on the host that reaches the members over the bridge.
struct Contender {
  std::string name;
  std::string log;
  int pid = -1;
};

struct Contenders {
  std::vector<Contender> all;
  ~Contenders() {
    for (auto& contender : all) pydio::test::stop_pid(contender.pid, 5s);
  }
};

// The member a contender last said it talks to ("-" without a session, "" before any line).
std::string member_of(const Contender& contender) {
  std::ifstream in(contender.log);
  std::string line, member;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string kind, holder, value;
    if (fields >> kind >> holder >> value && kind == "M") member = value;
  }
  return member;
}

// True once the contender has applied its later member list (an "S" line).
bool logged_switch(const Contender& contender) {
  std::ifstream in(contender.log);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("S ", 0) == 0) return true;
  }
  return false;
}

bool all_on(const Contenders& contenders, const std::string& member) {
  for (const auto& contender : contenders.all) {
    if (member_of(contender) != member) return false;
  }
  return true;
}

std::string members_in_use(const Contenders& contenders) {
  std::string out;
  for (const auto& contender : contenders.all) {
    out += contender.name + "=" + member_of(contender) + " ";
  }
  return out;
}

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

void create_lease_schema_and_user(GaleraMembers& members) {
  auto admin = MysqlSession::connect(members.admin_endpoint(0));
  REQUIRE(admin);
  for (const auto& statement : pydio::agent::lease_schema_statements()) {
    auto done = (*admin)->execute(statement);
    INFO((done.status().is_ok() ? "" : done.status().message()));
    REQUIRE(done);
  }
  pydio::agent::AccountSpec lease_user{pydio::agent::kLeaseUser,
                                       {kHostAddress},
                                       pydio::agent::kLeaseDatabase,
                                       pydio::agent::lease_user_privileges()};
  auto before = pydio::agent::observe_account(**admin, lease_user.user, kPassword);
  REQUIRE(before);
  for (const auto& action : pydio::agent::plan_account(lease_user, *before)) {
    auto applied = pydio::agent::apply_account_action(**admin, action, kPassword);
    INFO(action.description << ": " << (applied.is_ok() ? "" : applied.message()));
    REQUIRE(applied);
  }
}

// The lease user on one member only: a client that cannot move elsewhere.
pydio::agent::MysqlEndpoint lease_endpoint(const std::string& address) {
  pydio::agent::MysqlEndpoint endpoint;
  endpoint.host = address;
  endpoint.port = 3306;
  endpoint.user = pydio::agent::kLeaseUser;
  endpoint.password = kPassword;
  return endpoint;
}

// Two fresh clients, each pinned to a different member of the primary component, run their
// round at the same instant for a lease that just expired: Galera's certification (or the
// row already taken) lets at most one of them lead, and the row names that one.
void race_on_two_members(GaleraMembers& members) {
  using pydio::agent::LeaseClient;
  constexpr int kTrials = 50;
  auto admin = MysqlSession::connect(members.admin_endpoint(1));
  REQUIRE(admin);
  REQUIRE((*admin)->execute("SET SESSION wsrep_sync_wait = 1"));
  int won = 0, conflicts = 0, none = 0;
  for (int trial = 0; trial < kTrials; ++trial) {
    // Connected first, while somebody else holds the lease, so both rounds start together.
    REQUIRE(
        (*admin)->execute("UPDATE pydio_agent.leader_lease SET holder = 'warm-up', "
                          "term = term + 1, expires_at = UTC_TIMESTAMP(6) + INTERVAL 1 HOUR "
                          "WHERE name = 'leader'"));
    LeaseClient x("race-x", lease_endpoint(members.address(1)), kLease);
    LeaseClient y("race-y", lease_endpoint(members.address(2)), kLease);
    REQUIRE(x.try_acquire_or_renew());
    REQUIRE(y.try_acquire_or_renew());
    REQUIRE_FALSE(x.is_leader_now());
    REQUIRE_FALSE(y.is_leader_now());
    REQUIRE(
        (*admin)->execute("UPDATE pydio_agent.leader_lease SET expires_at = "
                          "UTC_TIMESTAMP(6) WHERE name = 'leader'"));

    std::promise<void> go;
    std::shared_future<void> start = go.get_future().share();
    pydio::common::Status x_status = pydio::common::Status::ok();
    std::thread racer([&] {
      start.wait();
      x_status = x.try_acquire_or_renew();
    });
    go.set_value();
    const pydio::common::Status y_status = y.try_acquire_or_renew();
    racer.join();

    const bool x_leads = x.is_leader_now();
    const bool y_leads = y.is_leader_now();
    INFO("trial " << trial << ": race-x " << (x_status ? "ok" : x_status.message()) << "; race-y "
                  << (y_status ? "ok" : y_status.message()));
    REQUIRE_FALSE((x_leads && y_leads));
    auto rows = (*admin)->query(
        "SELECT holder, expires_at > UTC_TIMESTAMP(6) FROM pydio_agent.leader_lease "
        "WHERE name = 'leader'");
    REQUIRE(rows);
    REQUIRE(rows->size() == 1);
    if (x_leads || y_leads) {
      ++won;
      REQUIRE(rows->front().columns[0].value_or("") == (x_leads ? "race-x" : "race-y"));
    } else {
      ++none;
    }
    auto lost_race = [](const pydio::common::Status& status) {
      return !status && status.message().find("lost the race") != std::string::npos;
    };
    conflicts += (lost_race(x_status) ? 1 : 0) + (lost_race(y_status) ? 1 : 0);
  }
  std::cout << "race on two members: " << kTrials << " trials, " << won << " won by exactly one, "
            << none << " won by none, " << conflicts
            << " certification conflicts (1213) answered as a lost race\n";
  // Each trial has a winner unless both writes lost; a round that always loses is a defect.
  REQUIRE(won > 0);
}

}  // namespace

SCENARIO("the lease keeps one leader on three Galera members, one killed and one cut off",
         "[election][galera]") {
  pydio::test::SimCluster cluster;
  std::vector<pydio::test::SimNode*> nodes = {
      &cluster.add_node("g1", 1), &cluster.add_node("g2", 2), &cluster.add_node("g3", 3)};
  GaleraMembers members(cluster, nodes);
  {
    pydio::common::Status started = members.start();
    INFO((started.is_ok() ? "" : started.message()));
    REQUIRE(started);
  }
  const std::string first = members.address(0) + ":3306";
  const std::string second = members.address(1) + ":3306";

  GIVEN("the lease schema and user, replicated to every member, and three contenders") {
    create_lease_schema_and_user(members);
    std::string servers;
    for (std::size_t m = 0; m < members.size(); ++m) {
      servers += (servers.empty() ? "" : ",") + members.address(m) + ":3306";
    }
    Contenders contenders;
    pydio::common::SystemRunner runner;
    for (const std::string name : {"node-a", "node-b", "node-c"}) {
      Contender contender{name, cluster.run_dir() + "/" + name + ".log", -1};
      // They start knowing the first member only, as with one db node; SIGUSR1 hands them
      // all three (set_members), as when the desired state grows to three db nodes.
      auto pid = runner.spawn_detached(
          {PYDIO_LEASE_HELPER, name, first, kPassword, std::to_string(kLease.count()),
           std::to_string(::getpid()), servers},
          contender.log);
      REQUIRE(pid);
      contender.pid = *pid;
      contenders.all.push_back(contender);
    }
    LeaseWatcher watcher(members);

    WHEN("all members serve") {
      const LeaseRow leader =
          watcher.wait_for(kTakeoverDeadline, [](const LeaseRow&) { return true; });
      THEN("there is one leader and every agent talks to the first member") {
        const bool on_first =
            pydio::test::eventually([&] { return all_on(contenders, first); }, 30s);
        INFO("members in use: " << members_in_use(contenders));
        REQUIRE(on_first);
        watcher.hold_steady(leader.holder, 2 * kLease);

        AND_WHEN("the desired state names all three members (one db node grew to three)") {
          for (const auto& contender : contenders.all) ::kill(contender.pid, SIGUSR1);
          THEN("the running agents take the new list without losing the leader or its term") {
            const bool switched = pydio::test::eventually(
                [&] {
                  for (const auto& contender : contenders.all) {
                    if (!logged_switch(contender)) return false;
                  }
                  return true;
                },
                30s);
            REQUIRE(switched);
            watcher.hold_steady(leader.holder, 2 * kLease);
            auto row = watcher.read();
            REQUIRE(row);
            REQUIRE(row->term == leader.term);

            AND_WHEN("the first member is SIGKILLed") {
              members.kill(0);
              THEN("the agents move to the second member and keep one leader there") {
                const bool on_second =
                    pydio::test::eventually([&] { return all_on(contenders, second); }, 60s);
                INFO("members in use: " << members_in_use(contenders));
                REQUIRE(on_second);
                const LeaseRow after_kill =
                    watcher.wait_for(kTakeoverDeadline, [](const LeaseRow&) { return true; });
                REQUIRE(after_kill.term >= leader.term);
                std::cout << "after the kill: leader " << after_kill.holder << " term "
                          << after_kill.term << "\n";

                AND_WHEN("it rejoins, then is cut off the network") {
                  REQUIRE(members.restart(0));
                  {
                    INFO(members.error_log_tail(0));
                    REQUIRE(members.wait_serving(0, 3));
                  }
                  // The agents move back to the preferred member once it serves again.
                  {
                    const bool back_on_first =
                        pydio::test::eventually([&] { return all_on(contenders, first); }, 60s);
                    INFO("members in use: " << members_in_use(contenders));
                    REQUIRE(back_on_first);
                  }
                  const LeaseRow before_cut =
                      watcher.wait_for(kTakeoverDeadline, [](const LeaseRow&) { return true; });
                  members.cut(0);

                  THEN("the two others form the primary component and the agents keep a leader") {
                    REQUIRE(members.wait_serving(1, 2, 120s));
                    REQUIRE(members.wait_serving(2, 2, 120s));
                    {
                      auto cut_state = members.state(0);
                      REQUIRE(cut_state);
                      INFO("cut member: " << pydio::agent::galera_serving_problem(*cut_state));
                      REQUIRE(pydio::test::eventually(
                          [&] {
                            auto now = members.state(0);
                            return now && !now->primary;
                          },
                          60s));
                    }
                    {
                      const bool on_second_after_cut =
                          pydio::test::eventually([&] { return all_on(contenders, second); }, 60s);
                      INFO("members in use: " << members_in_use(contenders));
                      REQUIRE(on_second_after_cut);
                    }
                    const LeaseRow after_cut = watcher.wait_for(
                        kTakeoverDeadline,
                        [&](const LeaseRow& row) { return row.term >= before_cut.term; });
                    watcher.hold_steady(after_cut.holder, 3 * kLease);
                    std::cout << "after the cut: leader " << after_cut.holder << " term "
                              << after_cut.term << "\n";

                    AND_THEN(
                        "the agents' own record never had two leaders at once, terms only grew") {
                      for (auto& contender : contenders.all)
                        pydio::test::stop_pid(contender.pid, 5s);
                      const auto samples = leader_samples(contenders.all);
                      REQUIRE(samples.size() > 10);
                      const auto tenures = pydio::test::merge_tenures(samples);
                      for (const auto& tenure : tenures) {
                        std::cout << "leader " << tenure.holder << " term " << tenure.term
                                  << " from +" << (tenure.from_ns - tenures.front().from_ns) / 1e9
                                  << "s to +" << (tenure.to_ns - tenures.front().from_ns) / 1e9
                                  << "s\n";
                      }
                      // Every tenure the database showed (the watcher's reads); the first one the
                      // agents must have seen, later ones may fall into a gap of the watcher's.
                      std::vector<pydio::test::ExpectedTenure> expected;
                      for (const auto& row : watcher.tenures()) {
                        expected.push_back({row.holder, row.term, !expected.empty()});
                      }
                      const auto problems = pydio::test::tenure_problems(tenures, expected);
                      for (const auto& problem : problems) UNSCOPED_INFO(problem);
                      REQUIRE(problems.empty());

                      AND_THEN("two agents racing on two members for a free lease never both win") {
                        race_on_two_members(members);
                      }
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
}
