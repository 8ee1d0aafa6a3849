// Story: an operator installs Pydio on the node by hand, but its bootstrap_context.php was
// already changed by someone (AJXP_DATA_PATH points to "/srv/elsewhere"). The agent refuses to
// wire it: the resource's error names the file, the line and what it found, and not one byte of
// Pydio's files changes (no backup copy either). The operator fixes the line; the next passes
// wire Pydio into the volumes.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <thread>

#include "support/pydio_fixture.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

constexpr const char* kInstall = "/var/www/pydio";

nlohmann::json resource_of(SimNode& node, const std::string& name) {
  nlohmann::json status = node.status();
  if (!status.is_object() || !status.contains("resources")) return nullptr;
  for (const auto& resource : status["resources"])
    if (resource.value("name", "") == name) return resource;
  return nullptr;
}

std::string text_of(const nlohmann::json& resource, const char* field) {
  if (!resource.is_object() || !resource.contains(field) || !resource[field].is_string()) return "";
  return resource[field].get<std::string>();
}

// sha256 of every file of the installed Pydio (check.txt is the agent's, not Pydio's).
std::string pydio_hashes(SimNode& node) {
  return node.must(
      {"find", kInstall, "-type", "f", "!", "-name", "check.txt", "-exec", "sha256sum", "{}", "+"});
}

}  // namespace

TEST_CASE("an unexpected Pydio file is refused by name and line, nothing changes",
          "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);

  // No Pydio yet: the resource waits and says what the operator has to do.
  CHECK(eventually([&] {
    return text_of(resource_of(node, "pydio-wiring"), "waitingFor")
               .find("no Pydio at /var/www/pydio: install Pydio there") == 0;
  }));

  unpack_pydio_fixture(node, build_pydio_fixture(cluster.run_dir(), FixtureVariant::kUnexpected),
                       kInstall);
  const std::string before = pydio_hashes(node);
  node.agentctl({"reconcile"});

  const std::string expected_error =
      "/var/www/pydio/conf/bootstrap_context.php:45: expected define(\"AJXP_DATA_PATH\", "
      "AJXP_INSTALL_PATH.\"/data\"); or define(\"AJXP_DATA_PATH\", \"/mnt/pydio-config/appdata\"); "
      "// pydio-agent: AJXP_DATA_PATH, found define(\"AJXP_DATA_PATH\", \"/srv/elsewhere\"); "
      "nothing changed";
  nlohmann::json failed;
  CHECK(eventually([&] {
    failed = resource_of(node, "pydio-wiring");
    return text_of(failed, "state") == "error" &&
           text_of(failed, "lastError").find(expected_error) != std::string::npos;
  }));
  INFO("pydio-wiring: " << failed.dump());
  // More passes over the same files (the pass interval is 10 s), then compare every byte.
  node.agentctl({"reconcile"});
  std::this_thread::sleep_for(15s);
  CHECK(text_of(resource_of(node, "pydio-wiring"), "state") == "error");
  CHECK(pydio_hashes(node) == before);
  CHECK(node.must({"find", kInstall, "-name", "*.pydio-agent-orig"}).empty());
  CHECK(node.file_absent("/var/cache/pydio/plugins_bootstrap.php"));

  // The operator puts Pydio's line back: the agent wires Pydio into the volumes.
  std::string context = node.read_file("/var/www/pydio/conf/bootstrap_context.php");
  const std::string unexpected = kUnexpectedDataPathLine;
  REQUIRE(context.find(unexpected) != std::string::npos);
  context.replace(context.find(unexpected), unexpected.size(),
                  "define(\"AJXP_DATA_PATH\", AJXP_INSTALL_PATH.\"/data\");");
  node.write_file("/var/www/pydio/conf/bootstrap_context.php", context);
  node.agentctl({"reconcile"});
  CHECK(eventually([&] {
    auto resource = resource_of(node, "pydio-wiring");
    return text_of(resource, "state") == "in-sync" &&
           text_of(resource, "waitingFor")
                   .find(
                       "operator-installed Pydio fixture-1 at /var/www/pydio: wired; the agent "
                       "never installs or upgrades it") == 0;
  }));
  CHECK(node.file_exists("/var/www/pydio/conf/bootstrap_context.php.pydio-agent-orig"));
  auto [code, body] = node.http_get("http://127.0.0.1/pydio/index.php");
  INFO("index.php: " << code << " " << body);
  REQUIRE(code == 200);
  const auto page = nlohmann::json::parse(body);
  CHECK(page["AJXP_DATA_PATH"] == "/mnt/pydio-config/appdata");
  CHECK(page["AJXP_CACHE_DIR"] == "/var/cache/pydio");
}
