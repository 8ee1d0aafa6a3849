// Story: the web application on a compute node is compromised. First the attacker runs as the
// web user (www-data): they try to rename the agents' folder on pydio-config away and to plant
// a newer desired state whose docroot is /etc. The permissions refuse both. Then they get root
// on that compute node, which holds only the cluster's public signing key: they plant a newer
// document signed with a key of their own, then one without a signature. Every agent that reads
// pydio-config refuses both, says so in its status and its events, and nothing changes: the
// generation in force and the docroot stay what the operator wrote, on every node.
#include <catch2/catch.hpp>

#include "agent/cluster/signing.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

constexpr const char* kFolder = "/mnt/pydio-config/pydio-agent";
constexpr const char* kPublished = "/mnt/pydio-config/pydio-agent/desired-state.json";
constexpr const char* kSignature = "/mnt/pydio-config/pydio-agent/desired-state.json.sig";

// `command` run by the web user inside `node`. The command is the test's own text.
pydio::common::RunResult as_www_data(SimNode& node, const std::string& command) {
  return node.exec({"su", "-s", "/bin/sh", "www-data", "-c", command});
}

std::string owner_and_mode(SimNode& node, const std::string& path) {
  auto result = node.exec({"stat", "-c", "%U:%G %a", path});
  return result.succeeded() ? result.out : "stat failed: " + result.err;
}

// The refusals `node` recorded as events that name `text`.
int refusals(SimNode& node, const std::string& text) {
  auto answer = node.agentctl({"events", "-n", "1000", "-o", "json"});
  auto events = nlohmann::json::parse(answer.out, nullptr, false);
  int count = 0;
  if (!events.is_array()) return 0;
  for (const auto& event : events)
    if (event.value("resource", "") == "desired-state" && event.value("outcome", "") == "error" &&
        event.value("action", "").find("from pydio-config") != std::string::npos &&
        event.value("message", "").find(text) != std::string::npos)
      ++count;
  return count;
}

std::string docroot_in_force(SimNode& node) {
  auto stored = nlohmann::json::parse(node.read_file("/var/lib/pydio-agent/desired-state.json"),
                                      nullptr, false);
  return stored.is_object() ? stored["web"].value("docroot", "") : "";
}

}  // namespace

TEST_CASE("www-data, and root on a compute node, cannot steer the desired state", "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOwnNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;
  SimNode& db = *tutorial.db;
  SimNode& web = add_started_node(cluster, "web1", 4);
  join_cluster(web, n1, tutorial.token, {"--roles", "compute"});
  REQUIRE(wait_healthy(web));
  const std::vector<SimNode*> everyone = {&n1, &n2, &db, &web};
  const std::vector<SimNode*> readers = {&n1, &n2, &web};  // the nodes that mount pydio-config

  long long in_force = 0;
  REQUIRE(eventually(
      [&] {
        in_force = generation_of(n1);
        for (SimNode* node : everyone)
          if (generation_of(*node) != in_force) return false;
        return in_force > 0 && web.file_exists(kSignature);
      },
      120s));
  const std::string docroot = docroot_in_force(n1);
  REQUIRE(docroot == "/var/www/pydio");

  {  // the compute node holds only the public key; the storage nodes hold both
    CHECK(web.file_exists("/etc/pydio-agent/pki/signing.pub"));
    CHECK_FALSE(web.file_exists("/etc/pydio-agent/pki/signing.key"));
    CHECK_FALSE(db.file_exists("/etc/pydio-agent/pki/signing.key"));
    CHECK(n2.file_exists("/etc/pydio-agent/pki/signing.key"));
    CHECK(owner_and_mode(n2, "/etc/pydio-agent/pki/signing.key") == "root:root 600\n");
    CHECK_THAT(web.agentctl({"status"}).out, Catch::Contains("(verifies only)"));
  }

  {  // the tree on pydio-config: roots root's, the web user owns only the Pydio folders
    CHECK(eventually(
        [&] {
          return owner_and_mode(web, "/mnt/pydio-config") == "root:root 755\n" &&
                 owner_and_mode(web, "/mnt/pydio-data") == "root:root 755\n" &&
                 owner_and_mode(web, kFolder) == "root:root 700\n";
        },
        60s));
    CHECK_THAT(owner_and_mode(web, "/mnt/pydio-data/public"), Catch::StartsWith("www-data:"));
    CHECK_THAT(owner_and_mode(web, "/mnt/pydio-config/appdata"), Catch::StartsWith("www-data:"));
  }

  const std::string genuine_text = web.read_file(kPublished);
  auto forged = nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
  forged["generation"] = in_force + 1;
  forged["web"]["docroot"] = "/etc";
  const std::string forged_text = forged.dump();

  {  // as www-data: the folder cannot be renamed away, replaced or written into
    web.write_file("/tmp/www-data-attack.json", forged_text);
    web.must({"chmod", "0644", "/tmp/www-data-attack.json"});
    auto rename = as_www_data(web, "mv /mnt/pydio-config/pydio-agent /mnt/pydio-config/moved");
    CHECK(rename.exit_code != 0);
    CHECK_THAT(rename.err, Catch::Contains("Permission denied"));
    auto replace = as_www_data(web, "mkdir /mnt/pydio-config/pydio-agent.new");
    CHECK(replace.exit_code != 0);
    auto plant = as_www_data(
        web, "cp /tmp/www-data-attack.json /mnt/pydio-config/pydio-agent/desired-state.json");
    CHECK(plant.exit_code != 0);
    CHECK_THAT(plant.err, Catch::Contains("Permission denied"));
    // The web user still writes where Pydio needs it.
    CHECK(as_www_data(web, "touch /mnt/pydio-config/appdata/written-by-pydio").exit_code == 0);
    web.exec(
        {"rm", "-f", "/tmp/www-data-attack.json", "/mnt/pydio-config/appdata/written-by-pydio"});
    CHECK(owner_and_mode(web, kFolder) == "root:root 700\n");
    CHECK(web.read_file(kPublished) == genuine_text);
  }

  // As root on the compute node: plant each forgery until every node that reads pydio-config
  // has refused it (the leader puts the genuine document back at once, so one plant may be
  // replaced before a node's next look).
  const auto plant_until_refused = [&](const std::string& text, const std::string& signature,
                                       const std::string& reason) {
    return eventually(
        [&] {
          if (web.read_file(kPublished) != text) {
            if (signature.empty())
              web.exec({"rm", "-f", kSignature});
            else
              web.write_file(kSignature, signature);
            web.write_file(kPublished, text);
          }
          for (SimNode* node : readers)
            if (refusals(*node, reason) == 0) return false;
          return true;
        },
        120s);
  };

  {  // a newer document signed with a fresh random key
    auto attacker = pydio::agent::generate_signing_keys();
    REQUIRE(attacker);
    auto signature = pydio::agent::sign_document(*attacker, forged_text);
    REQUIRE(signature);
    CHECK(plant_until_refused(forged_text, *signature, "signed by another key"));
    // Each one's status line names the source and the last refusal: "signed by another key",
    // or "bad signature" when the leader put the genuine signature back between the two writes
    // of a plant (the events checked above show "signed by another key" on every reader).
    for (SimNode* node : readers) {
      const nlohmann::json status = node->status();
      INFO(node->name() << ": " << status.dump());
      REQUIRE(status.is_object());
      REQUIRE(status["desiredError"].is_string());
      CHECK_THAT(status["desiredError"].get<std::string>(),
                 Catch::Contains("from pydio-config: signed by another key") ||
                     Catch::Contains("from pydio-config: bad signature"));
    }
    CHECK_THAT(web.agentctl({"status"}).out,
               Catch::Contains("last document rejected: from pydio-config: signed by another key") ||
                   Catch::Contains("last document rejected: from pydio-config: bad signature"));
  }

  {  // a newer document without a signature
    forged["generation"] = in_force + 2;
    CHECK(plant_until_refused(forged.dump(), "", "unsigned"));
    // The status line names the last refusal: "unsigned", or "bad signature" when the leader put
    // the genuine signature back between the removal and the plant (each was refused; the
    // events above show "unsigned" on every reader).
    const nlohmann::json error = web.status()["desiredError"];
    REQUIRE(error.is_string());
    CHECK_THAT(error.get<std::string>(), Catch::Contains("from pydio-config: unsigned") ||
                                             Catch::Contains("from pydio-config: bad signature"));
  }

  {  // nothing changed, on any node: generation, docroot, Apache; the genuine document is back
    CHECK(eventually([&] { return web.read_file(kPublished) == genuine_text; }, 60s));
    for (SimNode* node : everyone) {
      INFO(node->name());
      CHECK(generation_of(*node) == in_force);
      CHECK(docroot_in_force(*node) == docroot);
    }
    for (SimNode* node : readers) {
      INFO(node->name());
      CHECK(node->read_file("/etc/apache2/sites-available/pydio.conf").find("/etc\"") ==
            std::string::npos);
      CHECK(health_of(*node).first == 200);
    }
  }
}
