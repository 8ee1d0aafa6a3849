// One story, checked step by step (no SECTIONs: Catch2 would rerun the setup for each).
// Story: on a one-node cluster the agent runs Apache's PHP with the tutorial's settings from
// its own conf.d drop-in, and its health verdict asks a PHP probe page. The operator lowers
// the upload limit (a graceful reload, same Apache), tries an impossible pair of limits (refused,
// nothing changes), an extension's conf.d link disappears (the agent puts it back), and PHP's
// Apache module goes away (the node says "php: ..." with 503 until the agent repairs it).
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/runner.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* kDropin = "/etc/php/8.2/apache2/conf.d/99-pydio-agent.ini";
constexpr const char* kIntl = "/etc/php/8.2/apache2/conf.d/20-intl.ini";

// The probe page as the agent's own request sees it (it answers local requests only).
nlohmann::json probe(SimNode& node) {
  auto result =
      node.exec({"curl", "-s", "--max-time", "20", "http://127.0.0.1/.pydio-agent/probe.php"}, 30s);
  if (!result.succeeded()) return nullptr;
  auto parsed = nlohmann::json::parse(result.out, nullptr, false);
  return parsed.is_discarded() ? nlohmann::json() : parsed;
}

std::string probe_ini(SimNode& node, const std::string& key) {
  auto answer = probe(node);
  if (!answer.is_object() || !answer.contains("ini")) return "";
  return answer["ini"].value(key, "");
}

bool probe_has_extension(SimNode& node, const std::string& name) {
  auto answer = probe(node);
  if (!answer.is_object() || !answer.contains("extensions")) return false;
  for (const auto& extension : answer["extensions"])
    if (extension == name) return true;
  return false;
}

// GET from the test's own (root) namespace: {code, body}.
std::pair<int, std::string> outside_get(const std::string& url) {
  pydio::common::SystemRunner runner;
  auto result = runner.run(pydio::common::Command(
      {"curl", "-s", "-m", "5", "-o", "-", "-w", "\n%{http_code}", url}, 10s));
  auto newline = result.out.rfind('\n');
  if (newline == std::string::npos) return {0, ""};
  return {std::atoi(result.out.c_str() + newline + 1), result.out.substr(0, newline)};
}

// The php resource in sync with its version note: it checked Apache's PHP after the last
// reload and plans nothing until something changes.
bool php_settled(SimNode& node) {
  auto status = node.status();
  if (!status.is_object()) return false;
  for (const auto& resource : status["resources"]) {
    if (resource.value("name", "") != "php") continue;
    return resource.value("state", "") == "in-sync" &&
           resource.value("waitingFor", "").find("ini current") != std::string::npos;
  }
  return false;
}

// `agentctl apply` of the node's document in force with web.php replaced by `php`.
pydio::common::RunResult apply_php(SimCluster& cluster, SimNode& node, const nlohmann::json& php) {
  auto document = nlohmann::json::parse(node.read_file("/var/lib/pydio-agent/desired-state.json"));
  document["web"]["php"] = php;  // an edit of the one in force: its generation is the base
  const std::string path = cluster.run_dir() + "/php-" +
                           std::to_string(document["generation"].get<long long>()) + ".json";
  std::ofstream(path) << document.dump(2);
  return node.agentctl({"apply", "--spec", path}, 60s);
}

}  // namespace

TEST_CASE("PHP settings from web.php, the PHP probe in the health verdict", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);

  {  // the tutorial's settings, as Apache's PHP runs them
    REQUIRE(eventually([&] { return probe_ini(node, "upload_max_filesize") == "200M"; }, 120s));
    auto answer = probe(node);
    INFO(answer.dump());
    CHECK(answer["ini"]["post_max_size"] == "200M");
    CHECK(answer["ini"]["output_buffering"] == "");  // Off
    CHECK(answer["ini"]["upload_tmp_dir"] == "/var/cache/pydio/tmp");
    CHECK(answer["sapi"] == "apache2handler");
    CHECK(answer["user"] == "www-data");
    CHECK(answer["volumes"]["/mnt/pydio-data"] == "ok");
    CHECK(answer["volumes"]["/mnt/pydio-config"] == "ok");
    // PYDIO_RECORD_PHP_PROBE=FILE keeps the page's answer as it came (test/data/php/probe-ok.json).
    if (const char* record = std::getenv("PYDIO_RECORD_PHP_PROBE"))
      std::ofstream(record) << node.must({"curl", "-s", "http://127.0.0.1/.pydio-agent/probe.php"});
    CHECK_THAT(node.read_file(kDropin), Catch::Contains("upload_max_filesize = 200M") &&
                                            Catch::Contains("output_buffering = Off"));
    CHECK(node.must({"stat", "-c", "%U %a", "/var/cache/pydio/tmp"}) == "www-data 700\n");
    CHECK(node.must({"stat", "-c", "%U %a", "/var/www/pydio-agent/probe.php"}) == "root 644\n");
    // Not for anyone but the node itself (asked from the root namespace, over the bridge),
    // and not in the access log.
    CHECK(outside_get("http://198.18.0.1/.pydio-agent/probe.php").first == 403);
    node.http_get("http://198.18.0.1/pydio/not-a-probe.txt");
    CHECK(eventually(
        [&] {
          return node.read_file("/var/log/apache2/pydio-access.log").find("not-a-probe.txt") !=
                 std::string::npos;
        },
        30s));
    CHECK(node.read_file("/var/log/apache2/pydio-access.log").find("127.0.0.1") ==
          std::string::npos);
    // The version, and that Pydio 8 wants PHP 7.x, in the status.
    CHECK(eventually(
        [&] { return node.agentctl({"status"}).out.find("predates PHP 8") != std::string::npos; },
        60s));
    CHECK(node.resource_state("php") == "in-sync");
    CHECK(node.resource_state("packages") == "in-sync");
  }

  const int apache_before = apache_pid(node);
  REQUIRE(apache_before > 0);

  {  // a lower upload limit: the drop-in is rewritten and Apache reloaded gracefully
    auto applied = apply_php(cluster, node, {{"uploadMaxFilesize", "100M"}});
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
    CHECK(eventually([&] { return probe_ini(node, "upload_max_filesize") == "100M"; }, 120s));
    CHECK_THAT(node.read_file(kDropin), Catch::Contains("upload_max_filesize = 100M"));
    CHECK(apache_pid(node) == apache_before);
    CHECK(has_event(node, "php", "reload Apache gracefully"));
    CHECK(eventually([&] { return node.resource_state("php") == "in-sync"; }, 60s));
  }

  {  // post_max_size below upload_max_filesize: refused naming the field, nothing changes
    const long long generation = generation_of(node);
    const std::string dropin = node.read_file(kDropin);
    auto refused =
        apply_php(cluster, node, {{"uploadMaxFilesize", "100M"}, {"postMaxSize", "50M"}});
    CHECK_FALSE(refused.succeeded());
    CHECK_THAT(refused.out + refused.err, Catch::Contains("web.php.postMaxSize"));
    std::this_thread::sleep_for(3s);
    CHECK(generation_of(node) == generation);
    CHECK(node.read_file(kDropin) == dropin);
    CHECK(probe_ini(node, "post_max_size") == "200M");
  }

  {  // an extension's conf.d link removed: the agent names it and enables it again
    const int before = count_events(node, "php", "extension intl");
    node.must({"rm", "-f", kIntl});
    CHECK(eventually([&] { return count_events(node, "php", "extension intl") > before; }, 120s));
    CHECK(eventually([&] { return node.file_exists(kIntl); }, 60s));
    CHECK(eventually([&] { return probe_has_extension(node, "intl"); }, 60s));
    CHECK(apache_pid(node) == apache_before);
  }

  {  // Apache's PHP module disabled and Apache reloaded: 503 "php: ...", repaired, 200 again
    // The agent again, with passes only on events (no timer pass can repair the module before
    // the health verdict has seen PHP fail), once it has checked the last reload; then the module
    // goes and Apache reloads in one step, as `a2dismod php8.2 && apachectl graceful` would
    // (fixed text: nothing from a document goes through this shell).
    node.stop_agent(SIGTERM);
    node.start_agent(3600);
    REQUIRE(node.wait_agent_ready());
    // Its start's passes (taking the lease is one) are over once it leads and PHP is checked.
    REQUIRE(eventually(
        [&] {
          auto status = node.status();
          return status.is_object() && status["leader"].value("isLeader", false) &&
                 php_settled(node);
        },
        60s));
    std::this_thread::sleep_for(3s);
    REQUIRE(php_settled(node));
    node.must({"sh", "-c",
               "mv /etc/apache2/mods-enabled/php8.2.load /etc/apache2/php8.2.load.away && "
               "apache2ctl graceful"});
    bool seen = false;
    std::string body;
    const auto until = std::chrono::steady_clock::now() + 90s;
    while (!seen && std::chrono::steady_clock::now() < until) {
      auto [code, text] = outside_get("http://198.18.0.1:8480/health");
      seen = code == 503 && text.find("php: ") != std::string::npos;
      if (seen) body = text;
      std::this_thread::sleep_for(20ms);
    }
    INFO("status: " << node.agentctl({"status"}).out);
    INFO("agent log: " << agent_log(cluster, node)
                              .substr(std::max<std::size_t>(agent_log(cluster, node).size(), 6000) -
                                      6000));
    CHECK(seen);
    CHECK_THAT(body, Catch::Contains("not loaded"));
    CHECK(eventually([&] { return health_of(node).first == 200; }, 120s));
    CHECK(node.exec({"test", "-L", "/etc/apache2/mods-enabled/php8.2.load"}).exit_code == 0);
    CHECK(has_event(node, "php", "enable Apache module php8.2"));
    CHECK(apache_pid(node) == apache_before);
  }
}
