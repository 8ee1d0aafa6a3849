// Story: the node is healthy. An operator leaves a broken file in Apache's conf-enabled (an edit
// half done), then changes the desired state so that the Pydio vhost must be written anew (the
// site gets a ServerName). Apache's configtest rejects the configuration with the new vhost:
// the agent puts the previous vhost back, Apache keeps serving with the configuration it has
// (neither reloaded nor restarted), and `agentctl status` says what configtest refused. Once the
// operator removes the broken file, the next attempt puts the new vhost in and reloads Apache.
#include <catch2/catch.hpp>
#include <fstream>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

const std::string kVhost = "/etc/apache2/sites-available/pydio.conf";
const std::string kBrokenEdit = "/etc/apache2/conf-enabled/zz-operator-edit.conf";
const std::string kNewServerName = "ServerName files.example.test";

// The apache-vhost resource's entry in `agentctl status -o json`; null when not listed.
nlohmann::json vhost_status(SimNode& node) {
  const nlohmann::json status = node.status();
  if (!status.is_object()) return nullptr;
  for (const auto& resource : status["resources"])
    if (resource.value("name", "") == "apache-vhost") return resource;
  return nullptr;
}

bool serves_check_file(SimNode& node) {
  return node.http_get("http://198.18.0.1/pydio/check.txt").first == 200;
}

}  // namespace

TEST_CASE("a vhost Apache's configtest rejects never replaces the working one", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  const std::string vhost_before = node.must({"cat", kVhost});
  REQUIRE_THAT(vhost_before, !Catch::Contains(kNewServerName));
  const int apache_before = apache_pid(node);
  REQUIRE(apache_before > 0);
  REQUIRE(serves_check_file(node));
  const int reloads_before = count_events(node, "apache-vhost", "reload Apache");
  const int writes_before = count_events(node, "apache-vhost", "pydio.conf (changed)");

  // The operator's broken edit: from now on configtest fails, whatever the vhost says.
  node.write_file(kBrokenEdit, "ThisIsNotADirective on\n");
  REQUIRE(node.exec({"apache2ctl", "configtest"}).exit_code != 0);

  {  // generation 2 gives the site a name: the vhost must be written anew
    auto spec =
        nlohmann::json::parse(node.must({"cat", "/var/lib/pydio-agent/desired-state.json"}));
    REQUIRE(spec["generation"] == 1);  // an edit of generation 1, applied as 2
    spec["web"]["serverName"] = "files.example.test";
    const std::string path = cluster.run_dir() + "/spec2.json";
    std::ofstream(path) << spec.dump(2);
    auto applied = node.agentctl({"apply", "--spec", path});
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
  }

  {  // rejected: status names configtest's complaint, the previous vhost stays, Apache serves
    std::string error;
    CHECK(eventually(
        [&] {
          const nlohmann::json vhost = vhost_status(node);
          error = vhost.is_object() && vhost["lastError"].is_string()
                      ? vhost["lastError"].get<std::string>()
                      : "";
          return error.find("rejected") != std::string::npos;
        },
        60s));
    CHECK_THAT(error, Catch::Contains("previous configuration kept"));
    CHECK_THAT(error, Catch::Contains("apache2ctl configtest"));
    CHECK_THAT(error, Catch::Contains("ThisIsNotADirective"));
    CHECK_THAT(node.agentctl({"status"}).out, Catch::Contains("apache2ctl configtest"));
    CHECK(generation_of(node) == 2);
    // (Eventually: each retry puts the new file in place for as long as configtest runs.)
    CHECK(eventually([&] { return node.must({"cat", kVhost}) == vhost_before; }, 30s));
    CHECK(apache_pid(node) == apache_before);
    CHECK(serves_check_file(node));
    CHECK(count_events(node, "apache-vhost", "reload Apache") == reloads_before);
  }

  {  // the operator removes the broken edit: the new vhost goes in, Apache reloads gracefully
    node.must({"rm", kBrokenEdit});
    CHECK(eventually(
        [&] {
          const nlohmann::json vhost = vhost_status(node);
          return vhost.is_object() && vhost["state"] == "in-sync";
        },
        180s));
    CHECK_THAT(node.must({"cat", kVhost}), Catch::Contains(kNewServerName));
    CHECK(count_events(node, "apache-vhost", "pydio.conf (changed)") > writes_before);
    CHECK(eventually(
        [&] { return count_events(node, "apache-vhost", "reload Apache") > reloads_before; }, 60s));
    CHECK(apache_pid(node) == apache_before);  // a graceful reload keeps the main process
    CHECK(serves_check_file(node));
  }
}
