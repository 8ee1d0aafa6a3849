// Story: the operator of a running cluster (two storage nodes n1 and n2, the compute node web1)
// wants a new cluster CA, e.g. because a copy of the old CA key may have leaked with a backup.
// On the compute node `agentctl rotate ca` is refused and changes nothing: only storage nodes
// rotate the CA. On n2 it begins: the leader makes a new CA, and every node trusts both. web1's
// agent happens to be stopped: status says the rotation waits for it, and running the command
// again is refused as under way. Once web1 is back, the agents finish on their own: the new CA
// issues, every node renews its certificate under it, the old CA is retired. Afterwards every
// node's ca.crt holds only the new CA and its node.crt is issued by it, the old CA key is gone
// from the storage nodes, the cluster still talks (every node reachable, a change reaches every
// node), a new node joins with the new pin (the old one is refused), a certificate of the old
// CA is refused at the handshake, and a spec cannot bring the old CA back.
#include <signal.h>

#include <catch2/catch.hpp>
#include <fstream>

#include "agent/trust/ca_set.hpp"
#include "agent/trust/pki.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;
namespace trust = pydio::agent::trust;

namespace {

const std::string kPki = "/etc/pydio-agent/pki/";

// Every node of `nodes` answers in the cluster table of `from`.
bool all_reachable_from(SimNode& from, std::size_t count) {
  const nlohmann::json status = cluster_status(from);
  if (!status.is_object() || !status["cluster"].is_object()) return false;
  const auto& rows = status["cluster"]["nodes"];
  if (!rows.is_array() || rows.size() != count) return false;
  for (const auto& row : rows)
    if (!row.value("reachable", false)) return false;
  return true;
}

// `node` is on the CA `pin` alone: ca.crt holds only that CA and node.crt is issued by it.
bool only_on(SimNode& node, const std::string& pin) {
  const auto cas = trust::split_certificates(node.read_file(kPki + "ca.crt"));
  if (cas.size() != 1) return false;
  auto held = trust::spki_pin(cas.front());
  if (!held || *held != pin) return false;
  return static_cast<bool>(trust::verify_signed_by(node.read_file(kPki + "node.crt"), cas.front()));
}

std::string ca_pin_of_status(SimNode& node) {
  const nlohmann::json status = node.status();
  if (!status.is_object() || !status["ca"].is_object()) return "";
  return status["ca"].value("pin", "");
}

}  // namespace

TEST_CASE("agentctl rotate ca replaces the cluster CA without a gap in peer traffic",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOnFirstNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;
  SimNode& web = add_started_node(cluster, "web1", 3);
  join_cluster(web, n1, tutorial.token, {"--roles", "compute"});
  REQUIRE(wait_healthy(web));
  std::vector<SimNode*> nodes = {&n1, &n2, &web};

  const std::string old_pin = ca_cert_hash(n1);
  const std::string old_ca = n1.read_file(kPki + "ca.crt");
  const std::string old_ca_key = n1.read_file(kPki + "ca.key");
  // web1's certificate of the old CA, kept to show later that peers refuse it.
  web.must({"cp", kPki + "node.crt", "/run/old-node.crt"});
  web.must({"cp", kPki + "node.key", "/run/old-node.key"});

  {  // on the compute node: refused, nothing changed
    const long long generation = generation_of(n1);
    const auto refused = web.agentctl({"rotate", "ca"}, 60s);
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("the cluster CA is rotated from a storage node"));
    CHECK_THAT(refused.err, Catch::Contains("nothing changed"));
    CHECK(generation_of(n1) == generation);
    for (SimNode* node : nodes) CHECK(ca_cert_hash(*node) == old_pin);
    CHECK(n1.file_absent(kPki + "ca-next.key"));
  }

  web.stop_agent(SIGTERM);  // web1 is down when the rotation begins
  {                         // on a storage node: begun by the leader
    const auto begun = n2.agentctl({"rotate", "ca"}, 60s);
    INFO(begun.out << begun.err);
    REQUIRE(begun.succeeded());
    CHECK_THAT(begun.out, Catch::Contains("CA rotation begun"));
    CHECK_THAT(begun.out, Catch::Contains("trusted next to " + old_pin));
  }
  {  // it waits for web1 and says so; running it again changes nothing
    CHECK(eventually(
        [&] {
          return n1.agentctl({"status"}, 60s)
                     .out.find("CA rotation: 2 of 3 nodes trust the new CA; waiting for web1") !=
                 std::string::npos;
        },
        120s));
    const long long generation = generation_of(n1);
    const auto again = n1.agentctl({"rotate", "ca"}, 60s);
    INFO(again.out << again.err);
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("a CA rotation is already under way"));
    CHECK(generation_of(n1) == generation);
    // both CAs trusted on the storage nodes; the old one still issues (the pin is unchanged)
    for (SimNode* node : {&n1, &n2}) {
      CHECK(eventually(
          [&] { return trust::split_certificates(node->read_file(kPki + "ca.crt")).size() == 2; }));
      CHECK(ca_cert_hash(*node) == old_pin);
    }
  }

  web.start_agent();
  REQUIRE(web.wait_agent_ready());
  // Done when every node is on one new CA (generous: each step waits for every node).
  std::string new_pin;
  REQUIRE(eventually(
      [&] {
        new_pin = ca_cert_hash(n1);
        if (new_pin == old_pin) return false;
        for (SimNode* node : nodes)
          if (!only_on(*node, new_pin)) return false;
        return true;
      },
      300s));
  {  // the storage nodes hold the new CA key only; web1 holds none
    for (SimNode* node : {&n1, &n2}) {
      const std::string key = node->read_file(kPki + "ca.key");
      CHECK(trust::key_matches(key, node->read_file(kPki + "ca.crt")));
      CHECK(key != old_ca_key);
      CHECK(node->file_absent(kPki + "ca-next.key"));
      CHECK(node->must({"stat", "-c", "%a", kPki + "ca.key"}) == "600\n");
    }
    CHECK(web.file_absent(kPki + "ca.key"));
    CHECK(ca_pin_of_status(web) == new_pin);
    CHECK_THAT(n2.agentctl({"status"}, 60s).out, Catch::Contains("cluster CA: " + new_pin));
  }
  {  // every step is an event: begun, the new CA issues, the old one retired, renewals
    const std::string leader = current_leader({&n1, &n2});
    SimNode& lead = leader == "n2" ? n2 : n1;
    CHECK(has_event(lead, "cluster-ca", "CA rotation begun"));
    CHECK(eventually([&] { return has_event(lead, "cluster-ca", "it issues now"); }));
    CHECK(eventually([&] { return has_event(lead, "cluster-ca", "the old CA is retired"); }));
    CHECK(has_event(web, "node-certificate", "the cluster CA changed"));
    // the other storage node fetched the new key from the leader, and deleted the old one
    SimNode& other = leader == "n2" ? n1 : n2;
    CHECK(has_event(other, "cluster-ca", "fetched the key of CA " + new_pin));
    CHECK(has_event(lead, "cluster-ca",
                    "hand the key of CA " + new_pin + " to storage node " + other.name()));
    CHECK(has_event(other, "cluster-ca", "the old CA key is deleted"));
  }

  {  // the cluster still talks: every node reachable, a change reaches every node
    CHECK(eventually([&] { return all_reachable_from(n1, 3); }, 90s));
    CHECK(eventually([&] { return all_reachable_from(web, 3); }, 90s));
    auto document = nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
    document["web"]["publicUrl"] = "https://files.example.com";
    const long long changed = document["generation"].get<long long>() + 1;
    const std::string path = cluster.run_dir() + "/after-rotation.json";
    std::ofstream(path) << document.dump(2);
    const auto applied = n2.agentctl({"apply", "--spec", path}, 60s);
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
    for (SimNode* node : nodes)
      CHECK(eventually([&] { return generation_of(*node) == changed; }, 90s));

    // a spec cannot bring the old CA back: caCertificates belongs to agentctl rotate ca
    document["generation"] = changed;  // an edit of the document now in force
    document["security"]["caCertificates"] = {n1.read_file(kPki + "ca.crt"), old_ca};
    std::ofstream(path) << document.dump(2);
    const auto refused = n2.agentctl({"apply", "--spec", path}, 60s);
    INFO(refused.out << refused.err);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("managed by agentctl rotate ca"));
    CHECK(generation_of(n1) == changed);
  }

  {  // a new node joins with the new pin; the old pin is refused before any token is sent
    const std::string token = create_join_token(n1, {"--description", "web2"});
    SimNode& web2 = add_started_node(cluster, "web2", 4);
    const auto old = web2.agentctl(
        {"join", n1.address(), "--token", token, "--ca-cert-hash", old_pin, "--roles", "compute"},
        90s);
    CHECK(old.exit_code != 0);
    CHECK_THAT(old.err, Catch::Contains("not the pinned " + old_pin));
    join_cluster(web2, n1, token, {"--roles", "compute"});
    CHECK(only_on(web2, new_pin));
    REQUIRE(wait_healthy(web2));
    CHECK(eventually([&] { return all_reachable_from(n2, 4); }, 90s));
  }

  {  // a certificate of the old CA is refused at the handshake (no HTTP answer at all)
    for (SimNode* server : {&n1, &n2}) {
      const auto asked =
          web.exec({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                    "--cacert", kPki + "ca.crt", "--cert", "/run/old-node.crt", "--key",
                    "/run/old-node.key", "https://" + server->address() + ":8481/v1/peer/node"});
      INFO(server->name() << ": " << asked.out << asked.err);
      CHECK(asked.exit_code != 0);
      CHECK(asked.out == "000");
    }
    // while web1's own, new certificate is admitted
    const auto current =
        web.exec({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "10",
                  "--cacert", kPki + "ca.crt", "--cert", kPki + "node.crt", "--key",
                  kPki + "node.key", "https://" + n1.address() + ":8481/v1/peer/node"});
    CHECK(current.out == "200");
  }
}
