#include "agent/daemon/metrics_report.hpp"

#include <catch2/catch.hpp>

using namespace pydio::agent;

namespace {
NodeMetricsInputs healthy_leader() {
  NodeMetricsInputs in;
  in.version = "1.2.3";
  auto desired = std::make_shared<pydio::common::DesiredState>();
  desired->generation = 7;
  in.desired = desired;
  in.leader.campaigning = true;
  in.leader.lease.leader = true;
  in.leader.lease.term = 4;
  ResourceStatus volumes;
  volumes.name = "volumes";
  volumes.state = ResourceState::kInSync;
  volumes.last_change = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  ResourceStatus hidden;
  hidden.name = "haproxy";
  hidden.state = ResourceState::kNotApplicable;
  in.resources = {volumes, hidden};
  in.verdict.healthy = true;
  return in;
}
}  // namespace

TEST_CASE("node metrics: build, desired state, leader, resources, health", "[metrics]") {
  const std::string text = render_node_metrics(healthy_leader());
  CHECK_THAT(text, Catch::Contains("# TYPE pydio_agent_build_info gauge\n"
                                   "pydio_agent_build_info{version=\"1.2.3\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_desired_generation 7\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_desired_state_rejected 0\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_leader 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_leader_term 4\n"));
  // The enum pattern: one series per state, 1 for the state the resource is in.
  CHECK_THAT(text, Catch::Contains(
                       "pydio_agent_resource_state{resource=\"volumes\",state=\"in-sync\"} 1\n"));
  CHECK_THAT(text, Catch::Contains(
                       "pydio_agent_resource_state{resource=\"volumes\",state=\"error\"} 0\n"));
  CHECK_THAT(
      text,
      Catch::Contains(
          "pydio_agent_resource_last_change_timestamp_seconds{resource=\"volumes\"} 1700000000\n"));
  CHECK_THAT(text, !Catch::Contains("haproxy"));  // not applicable here: not shown, as in status
  CHECK_THAT(text, Catch::Contains("pydio_agent_healthy 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_health_reason{reason=\"mount_hung\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_web_rollout_in_progress 0\n"));
  CHECK_THAT(text, !Catch::Contains("pydio_agent_db_"));  // not a db node
}

TEST_CASE("node metrics: an unhealthy, drained follower with a refused document", "[metrics]") {
  NodeMetricsInputs in = healthy_leader();
  in.leader.lease.leader = false;
  in.desired_rejected = true;
  in.verdict.healthy = false;
  in.verdict.reasons = {"mount /mnt/pydio-data: hung (no answer for 2s)"};
  in.verdict.reason_codes = {"mount_hung"};
  in.draining = true;  // the drain /health counts although the verdict predates it
  const std::string text = render_node_metrics(in);
  CHECK_THAT(text, Catch::Contains("pydio_agent_leader 0\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_desired_state_rejected 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_healthy 0\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_health_reason{reason=\"mount_hung\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_health_reason{reason=\"draining\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_health_reason{reason=\"apache\"} 0\n"));
  CHECK_THAT(text, !Catch::Contains("no answer"));  // reasons' free text never in a label
}

TEST_CASE("node metrics: web and database tiers where this node has them", "[metrics]") {
  NodeMetricsInputs in = healthy_leader();
  auto desired = std::make_shared<pydio::common::DesiredState>(*in.desired);
  desired->web.rollout = pydio::common::RolloutSpec{};
  in.desired = desired;
  NodeReleaseReport release;
  release.release_mode = true;
  release.current = std::string(64, 'a');
  release.version = "fixture-2";
  in.release = release;
  pydio::common::DbMemberReport db;
  db.running = true;
  db.galera = true;
  db.primary = true;
  db.state = "Synced";
  db.cluster_size = 3;
  in.db = db;
  in.newest_backup_at = 1700000100;
  const std::string text = render_node_metrics(in);
  CHECK_THAT(text, Catch::Contains("pydio_agent_web_release_info{version=\"fixture-2\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_web_rollout_in_progress 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_db_running 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_db_galera_state{state=\"Synced\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_db_galera_state{state=\"Joining\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_db_galera_state{state=\"other\"} 0\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_db_galera_cluster_size 3\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_db_galera_primary 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_db_backup_newest_timestamp_seconds 1700000100\n"));

  in.db->state = "Something new";  // a state MariaDB may add later: bounded as "other"
  CHECK_THAT(render_node_metrics(in),
             Catch::Contains("pydio_agent_db_galera_state{state=\"other\"} 1\n") &&
                 !Catch::Contains("Something new"));
}
