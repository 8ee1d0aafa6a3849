// Story: a node is cut off the network (its link goes down). Its health turns 503 and stays
// so while it is cut off - it can no longer serve users correctly - while the other node,
// after the ping-timeout, answers 200 again and keeps taking writes. When the link comes back the
// cut node converges with no manual step: health 200 again, and the files written during the cut
// reach its brick (the leader starts an index heal instead of leaving it to the 10-minute crawl).
// Nobody runs `agentctl status` meanwhile, yet the leader's GET /metrics follows the heal backlog
// (its periodic `heal info summary`): above 0 during the cut, 0 again once healed.
#include <catch2/catch.hpp>
#include <optional>
#include <sstream>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

// pydio_agent_volume_heal_pending_entries for pydio-data in n1's GET /metrics, if shown.
std::optional<double> heal_pending_on_n1(SimNode& n1) {
  auto [code, body] = n1.http_get("http://198.18.0.1:8483/metrics");
  if (code != 200) return std::nullopt;
  const std::string series = "pydio_agent_volume_heal_pending_entries{volume=\"pydio-data\"} ";
  std::istringstream lines(body);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(series, 0) == 0) return std::stod(line.substr(series.size()));
  return std::nullopt;
}

}  // namespace

TEST_CASE("a node cut off the network turns 503 and converges again once it is back",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOnFirstNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;

  n2.must({"ip", "link", "set", "eth0", "down"});
  CHECK(eventually([&] { return health_of(n2).first == 503; }, 120s));
  INFO("n2 health while cut: " << health_of(n2).second);
  CHECK(eventually([&] { return health_of(n1).first == 200; }, 120s));
  // The cut node stays out while it is cut off: its mounts answer again after the
  // ping-timeout (its own brick), but it reaches only a minority of the cluster.
  CHECK(eventually(
      [&] {
        auto [code, body] = health_of(n2);
        return code == 503 && body.find("cut off from the cluster") != std::string::npos;
      },
      60s));
  // The node that still has the first brick of each replica set keeps taking writes.
  CHECK(eventually(
      [&] {
        return n1.exec({"cp", "/etc/hostname", "/mnt/pydio-data/common/written-during-cut"}, 30s)
            .succeeded();
      },
      60s));

  // Still out, long after the ping-timeout.
  CHECK(health_of(n2).first == 503);
  // n1 leads now (n2 cannot reach the database); its gauge shows the write waiting to heal.
  CHECK(eventually(
      [&] {
        auto pending = heal_pending_on_n1(n1);
        return pending && *pending >= 1;
      },
      150s));

  n2.must({"ip", "link", "set", "eth0", "up"});
  CHECK(wait_healthy(n2, 180s));
  // The file written during the cut is healed onto n2's own brick.
  CHECK(eventually(
      [&] { return n2.file_exists("/srv/pydio/pydio-data/common/written-during-cut"); }, 180s));
  CHECK(health_of(n1).first == 200);
  CHECK(eventually([&] { return heal_pending_on_n1(n1) == std::optional<double>(0); }, 300s));
  // The self-heal daemon usually heals on reconnect by itself, before the leader looks; the
  // leader's index heal is its backup (FIELD-NOTES: sometimes the daemon never noticed), so
  // whether it ran here is reported, not asserted.
  WARN("leader started an index heal: " << (has_event(n1, "self-heal", "index heal") ? "yes"
                                                                                     : "no"));
}
