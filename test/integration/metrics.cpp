// One story, checked step by step (no SECTIONs: Catch2 would rerun the setup for each).
// Story: an operator scrapes a node into Prometheus. A one-node deployment is brought to
// healthy; its agent serves GET /metrics on the node's private address (198.18.0.1:8483). The
// text passes `promtool check metrics` (Debian's prometheus package) with no lint warning, holds
// no secret (the database and lease passwords, a join token), and only GET /metrics answers. Then
// a real Prometheus, started inside the node's network namespace (it reaches only the node's
// 198.18.0.0/24 bridge and its own loopback), scrapes the node every second and its HTTP API
// gives back pydio_agent_healthy 1 and a resource's state. Prometheus is stopped by its PID and
// its directories removed, pass or fail.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

constexpr const char* kMetricsUrl = "http://198.18.0.1:8483/metrics";
constexpr int kPrometheusPort = 19090;  // on the node's loopback only

// A Prometheus inside `node`'s namespaces, stopped by PID and its directory removed when the
// guard ends (pass or fail).
class PrometheusInNode {
 public:
  PrometheusInNode(SimNode& node, const std::string& run_dir) : dir_(run_dir + "/prometheus") {
    std::filesystem::create_directories(dir_ + "/data");
    std::ofstream(dir_ + "/prometheus.yml") << "global:\n"
                                               "  scrape_interval: 1s\n"
                                               "  evaluation_interval: 1s\n"
                                               "scrape_configs:\n"
                                               "  - job_name: pydio-agent\n"
                                               "    static_configs:\n"
                                               "      - targets: ['"
                                            << node.address() << ":8483']\n";
    pydio::common::SystemRunner runner;
    // `simnode exec` ends in exec nsenter ... exec prometheus: the PID is Prometheus's own.
    auto pid = runner.spawn_detached(
        {harness_path(), "exec", run_dir, node.name(), "--", "/usr/bin/prometheus",
         "--config.file=" + dir_ + "/prometheus.yml", "--storage.tsdb.path=" + dir_ + "/data",
         "--web.listen-address=127.0.0.1:" + std::to_string(kPrometheusPort)},
        run_dir + "/prometheus.log");
    REQUIRE(pid.has_value());
    pid_ = *pid;
  }
  ~PrometheusInNode() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      if (!eventually([&] { return !alive(); }, std::chrono::seconds(20))) {
        ::kill(pid_, SIGKILL);
        eventually([&] { return !alive(); }, std::chrono::seconds(10));
      }
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  PrometheusInNode(const PrometheusInNode&) = delete;
  PrometheusInNode& operator=(const PrometheusInNode&) = delete;

  bool alive() const {
    std::ifstream stat_file("/proc/" + std::to_string(pid_) + "/stat");
    std::string pid, comm, state;
    if (!(stat_file >> pid >> comm >> state)) return false;
    return state != "Z" && state != "X";
  }

 private:
  std::string dir_;
  int pid_ = -1;
};

// The value Prometheus's API gives for `query` from the node's target; "" when none yet.
std::string query_value(SimNode& node, const std::string& query) {
  auto [code, body] = node.http_get("http://127.0.0.1:" + std::to_string(kPrometheusPort) +
                                    "/api/v1/query?query=" + query);
  if (code != 200) return "";
  const auto answer = nlohmann::json::parse(body, nullptr, false);
  if (answer.is_discarded() || answer.value("status", "") != "success") return "";
  for (const auto& sample : answer["data"]["result"]) {
    if (sample["metric"].value("instance", "") != node.address() + ":8483") continue;
    return sample["value"][1].get<std::string>();
  }
  return "";
}

}  // namespace

TEST_CASE("Prometheus scrapes a node's metrics", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  const std::string token = create_join_token(node);

  // GET /metrics on the private address: the exposition text, with its content type.
  auto fetched = node.exec({"curl", "-s", "-m", "10", "-D", "/dev/stderr", kMetricsUrl}, 20s);
  INFO(fetched.err);
  REQUIRE(fetched.succeeded());
  CHECK_THAT(fetched.err, Catch::Contains("HTTP/1.1 200") &&
                              Catch::Contains("Content-Type: text/plain; version=0.0.4"));
  const std::string text = fetched.out;
  INFO(text);
  CHECK_THAT(text, Catch::Contains("# TYPE pydio_agent_healthy gauge\npydio_agent_healthy 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_leader 1\n"));
  // Generation 2: the join token's hash went into the desired state.
  CHECK_THAT(text, Catch::Contains("pydio_agent_desired_generation " +
                                   std::to_string(generation_of(node)) + "\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_desired_state_rejected 0\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_build_info{version=\""));
  CHECK_THAT(text, Catch::Contains(
                       "pydio_agent_resource_state{resource=\"glusterd\",state=\"in-sync\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_processes_started_total{program=\"gluster\"}"));
  CHECK_THAT(text,
             Catch::Contains("pydio_agent_command_duration_seconds_count{program=\"gluster\"}"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_actions_applied_total{resource=\"glusterd\""));
  CHECK_THAT(text,
             Catch::Contains(
                 "pydio_agent_mount_probe_duration_seconds_count{mountpoint=\"/mnt/pydio-data\"}"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_lease_renew_duration_seconds_count "));
  // The leader's volume resource saw the volume's one brick online.
  CHECK_THAT(text, Catch::Contains("pydio_agent_volume_bricks{volume=\"pydio-data\"} 1\n"));
  CHECK_THAT(text, Catch::Contains("pydio_agent_volume_bricks_online{volume=\"pydio-data\"} 1\n"));
  CHECK_THAT(text, Catch::Contains(
                       "pydio_agent_resource_state{resource=\"db-server\",state=\"in-sync\"} 1\n"));

  {  // promtool: valid exposition text, no lint warning
    pydio::common::SystemRunner runner;
    pydio::common::Command check({"promtool", "check", "metrics"}, 30s);
    check.stdin_data = text;
    const auto checked = runner.run(check);
    INFO(checked.out << checked.err);
    CHECK(checked.succeeded());
    CHECK(checked.out.empty());
    CHECK(checked.err.empty());
  }

  {  // no secret: neither password of secrets.json nor the join token
    const auto secrets = nlohmann::json::parse(node.read_file("/etc/pydio-agent/secrets.json"));
    const std::string db_password = secrets.value("dbPassword", "");
    const std::string lease_password = secrets.value("leasePassword", "");
    REQUIRE_FALSE(db_password.empty());
    REQUIRE_FALSE(lease_password.empty());
    CHECK(text.find(db_password) == std::string::npos);
    CHECK(text.find(lease_password) == std::string::npos);
    CHECK(text.find(token) == std::string::npos);
    CHECK(text.find(token.substr(token.find('.') + 1)) == std::string::npos);
  }

  {  // only GET /metrics: another path 404, another method 405
    CHECK(node.http_get("http://198.18.0.1:8483/health").first == 404);
    auto posted = node.exec({"curl", "-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}",
                             "-X", "POST", kMetricsUrl},
                            20s);
    CHECK(posted.out == "405");
  }

  {  // a real Prometheus scrapes the node and answers for it over its HTTP API
    PrometheusInNode prometheus(node, cluster.run_dir());
    std::string healthy;
    const bool scraped = eventually(
        [&] {
          healthy = query_value(node, "pydio_agent_healthy");
          return healthy == "1";
        },
        std::chrono::seconds(60));
    INFO("prometheus log: " << node.read_file(cluster.run_dir() + "/prometheus.log"));
    CHECK(prometheus.alive());
    REQUIRE(scraped);
    CHECK(query_value(node, "up") == "1");
    CHECK(
        query_value(
            node,
            "pydio_agent_resource_state%7Bresource%3D%22glusterd%22%2Cstate%3D%22in-sync%22%7D") ==
        "1");
    CHECK(query_value(node, "pydio_agent_volume_bricks_online%7Bvolume%3D%22pydio-data%22%7D") ==
          "1");
  }
}
