// HAProxy agent-check: the one line the agent answers, and where it listens.

#include "agent/api/agent_check.hpp"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <catch2/catch.hpp>
#include <thread>

#include "agent/daemon/agent_check_endpoint.hpp"

using pydio::agent::agent_check_address;
using pydio::agent::api::agent_check_reply;

TEST_CASE("agent-check answers drain or ready up, never down", "[agent_check][lb]") {
  // A node that cannot serve fails the HTTP check (fall applies); the agent's own "down" would
  // take it out on one slow health round.
  CHECK(agent_check_reply(false) == "ready up\n");
  CHECK(agent_check_reply(true) == "drain\n");
}

TEST_CASE("agent-check says drain for the operator's drain and for the rollout's",
          "[agent_check][lb][rollout]") {
  using pydio::agent::agent_check_draining;
  using pydio::common::RolloutPhase;
  pydio::common::DesiredState desired;
  CHECK_FALSE(agent_check_draining(nullptr, "n1", false));
  CHECK(agent_check_draining(nullptr, "n1", true));
  CHECK_FALSE(agent_check_draining(&desired, "n1", false));

  pydio::common::RolloutSpec rollout;
  rollout.release = "sha256:" + std::string(64, 'b');
  rollout.previous = "sha256:" + std::string(64, 'a');
  rollout.node = "n1";
  for (RolloutPhase phase : {RolloutPhase::kDraining, RolloutPhase::kSwitching}) {
    rollout.phase = phase;
    desired.web.rollout = rollout;
    CHECK(agent_check_draining(&desired, "n1", false));
    CHECK_FALSE(agent_check_draining(&desired, "n2", false));  // only the node being switched
    CHECK(agent_check_draining(&desired, "n2", true));         // the operator's stays
  }
  SECTION("undraining: HAProxy takes the node back") {
    rollout.phase = RolloutPhase::kUndraining;
    desired.web.rollout = rollout;
    CHECK_FALSE(agent_check_draining(&desired, "n1", false));
  }
  SECTION("a stopped rollout drains nobody (the node switched back)") {
    rollout.stopped = "n1: PHP Parse error";
    desired.web.rollout = rollout;
    CHECK_FALSE(agent_check_draining(&desired, "n1", false));
  }
}

TEST_CASE("agent-check listens on compute nodes only when a node has role lb",
          "[agent_check][lb]") {
  pydio::common::DesiredState desired;
  pydio::common::NodeSpec web;
  web.name = "n1";
  web.address = "198.18.0.1";
  web.roles = {pydio::common::Role::kStorage, pydio::common::Role::kCompute};
  pydio::common::NodeSpec storage = web;
  storage.name = "n2";
  storage.address = "198.18.0.2";
  storage.roles = {pydio::common::Role::kStorage};
  desired.nodes = {web, storage};
  CHECK_FALSE(agent_check_address(desired, "n1"));

  pydio::common::NodeSpec lb;
  lb.name = "n4";
  lb.address = "198.18.0.4";
  lb.roles = {pydio::common::Role::kLb};
  desired.nodes.push_back(lb);
  CHECK(agent_check_address(desired, "n1") == std::optional<std::string>("198.18.0.1:8482"));
  CHECK_FALSE(agent_check_address(desired, "n2"));
  CHECK_FALSE(agent_check_address(desired, "n4"));
  CHECK_FALSE(agent_check_address(desired, "nobody"));
  desired.load_balancer.agent_port = 9000;
  CHECK(agent_check_address(desired, "n1") == std::optional<std::string>("198.18.0.1:9000"));
}

TEST_CASE("the agent-check listener writes one line and closes", "[agent_check][lb]") {
  boost::asio::io_context ioc;
  std::atomic<bool> draining{false};
  auto listener = std::make_shared<pydio::agent::api::AgentCheckListener>(
      ioc, [&] { return agent_check_reply(draining); });
  REQUIRE(listener->listen("127.0.0.1:0"));
  REQUIRE(listener->port() != 0);
  auto guard = boost::asio::make_work_guard(ioc);
  std::thread loop([&] { ioc.run(); });
  const auto read_line = [&] {
    boost::asio::io_context client;
    boost::asio::ip::tcp::socket socket(client);
    socket.connect({boost::asio::ip::make_address("127.0.0.1"), listener->port()});
    std::string line;
    boost::system::error_code ec;
    boost::asio::read(socket, boost::asio::dynamic_buffer(line), ec);  // until the agent closes
    CHECK(ec == boost::asio::error::eof);
    return line;
  };
  CHECK(read_line() == "ready up\n");
  draining = true;
  CHECK(read_line() == "drain\n");
  SECTION("a port in use is an error naming the address") {
    auto second = std::make_shared<pydio::agent::api::AgentCheckListener>(
        ioc, [] { return std::string("x\n"); });
    const auto taken = "127.0.0.1:" + std::to_string(listener->port());
    auto status = second->listen(taken);
    REQUIRE_FALSE(status);
    CHECK_THAT(status.message(), Catch::StartsWith("agent-check " + taken + ": "));
  }
  listener->stop();
  guard.reset();
  ioc.stop();
  loop.join();
}
