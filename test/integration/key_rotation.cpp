// Story: the operator suspects the cluster's desired-state signing key leaked (a storage node's
// backup was stolen), so they rotate it with one command on a storage node that does not lead:
// `agentctl rotate signing-key`. A compute node is switched off at that moment. The leader signs
// the next generation with a new key that the old one vouches for; every running node moves to
// it, the other storage node fetches the new private key, and the old private key is gone from
// every disk. The compute node comes back and moves too. Then the thief, with root on the
// compute node, plants a newer document signed with the stolen key: every node refuses it and
// nothing changes. A compute node cannot rotate the key.
#include <signal.h>

#include <catch2/catch.hpp>

#include "agent/cluster/signing.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

constexpr const char* kPki = "/etc/pydio-agent/pki/";
constexpr const char* kPublished = "/mnt/pydio-config/pydio-agent/desired-state.json";
constexpr const char* kSignature = "/mnt/pydio-config/pydio-agent/desired-state.json.sig";

std::string signing_field(SimNode& node, const char* field) {
  const nlohmann::json status = node.status();
  if (!status.is_object() || !status["signing"].is_object()) return "";
  const nlohmann::json& value = status["signing"][field];
  return value.is_string() ? value.get<std::string>() : value.dump();
}

// The refusals `node` recorded as events whose message names `text`.
int refusals(SimNode& node, const std::string& text) {
  auto answer = node.agentctl({"events", "-n", "1000", "-o", "json"});
  auto events = nlohmann::json::parse(answer.out, nullptr, false);
  int count = 0;
  if (!events.is_array()) return 0;
  for (const auto& event : events)
    if (event.value("resource", "") == "desired-state" && event.value("outcome", "") == "error" &&
        event.value("message", "").find(text) != std::string::npos)
      ++count;
  return count;
}

}  // namespace

TEST_CASE("agentctl rotate signing-key: every node moves to the new key; the old one signs nothing",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOwnNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;
  SimNode& db = *tutorial.db;
  SimNode& web = add_started_node(cluster, "web1", 4);
  join_cluster(web, n1, tutorial.token, {"--roles", "compute"});
  REQUIRE(wait_healthy(web));
  std::vector<SimNode*> everyone = {&n1, &n2, &db, &web};
  const std::vector<SimNode*> storage = {&n1, &n2};

  long long before = 0;
  REQUIRE(eventually(
      [&] {
        before = generation_of(n1);
        for (SimNode* node : everyone)
          if (generation_of(*node) != before) return false;
        return before > 0 && web.file_exists(kSignature);
      },
      120s));
  const std::string old_key = signing_field(n1, "keyId");
  REQUIRE(old_key.size() == 16);
  for (SimNode* node : everyone) CHECK(signing_field(*node, "keyId") == old_key);
  // What a thief took before the rotation: both halves of the old key.
  const pydio::agent::SigningKeys stolen{n2.read_file(std::string(kPki) + "signing.pub"),
                                         n2.read_file(std::string(kPki) + "signing.key"), ""};
  REQUIRE(pydio::agent::check_key_pair(stolen));

  {  // a compute node may not rotate: refused, nothing changed
    auto refused = web.agentctl({"rotate", "signing-key"});
    CHECK(refused.exit_code != 0);
    CHECK_THAT(refused.err, Catch::Contains("only storage nodes hold the signing key"));
    CHECK(generation_of(n1) == before);
    CHECK(signing_field(n1, "keyId") == old_key);
  }

  web.stop_agent(SIGTERM);  // away during the rotation

  // On the storage node that does not lead, so that the request travels to the leader.
  const std::string leader = current_leader(storage);
  REQUIRE_FALSE(leader.empty());
  SimNode& asked = leader == n1.name() ? n2 : n1;
  auto rotated = asked.agentctl({"rotate", "signing-key"});
  INFO(rotated.out << rotated.err);
  REQUIRE(rotated.exit_code == 0);
  CHECK_THAT(rotated.out, Catch::Contains("signing key rotated") &&
                              Catch::Contains("succeeds key " + old_key));
  // The command waits until both storage nodes can sign with the new key (only then can the
  // leader's loss not leave the cluster without a signer).
  CHECK_THAT(rotated.out, Catch::Contains("n1: holds the new private key") &&
                              Catch::Contains("n2: holds the new private key"));
  const long long after = generation_of(asked);
  CHECK(after == before + 1);
  const std::string new_key = signing_field(asked, "keyId");
  REQUIRE(new_key.size() == 16);
  CHECK(new_key != old_key);

  {  // every running node moves; both storage nodes can sign again; old private key gone
    const std::vector<SimNode*> running = {&n1, &n2, &db};
    CHECK(eventually(
        [&] {
          for (SimNode* node : running)
            if (signing_field(*node, "keyId") != new_key || generation_of(*node) != after)
              return false;
          for (SimNode* node : storage)
            if (signing_field(*node, "canSign") != "true" ||
                signing_field(*node, "missingPrivateKey") != "false")
              return false;
          return true;
        },
        120s));
    for (SimNode* node : storage) {
      INFO(node->name());
      const std::string held = node->read_file(std::string(kPki) + "signing.key");
      CHECK(held != stolen.private_pem);
      CHECK(pydio::agent::key_id(node->read_file(std::string(kPki) + "signing.pub")) == new_key);
      CHECK(node->file_exists(std::string(kPki) + "signing.succession"));
      CHECK(has_event(*node, "signing-key", new_key));
    }
    CHECK(db.file_absent(std::string(kPki) + "signing.key"));
    CHECK(pydio::agent::key_id(db.read_file(std::string(kPki) + "signing.pub")) == new_key);
  }

  {  // the compute node that was away catches up through the succession
    web.start_agent();
    REQUIRE(web.wait_agent_ready());
    CHECK(eventually(
        [&] { return signing_field(web, "keyId") == new_key && generation_of(web) == after; },
        120s));
    CHECK(web.file_absent(std::string(kPki) + "signing.key"));
    CHECK(has_event(web, "signing-key", "trust the rotated signing key " + new_key));
  }

  SimNode* web2 = nullptr;
  {  // changes go on: a token made on the storage node that does not lead, followed everywhere
    const std::string token = create_join_token(asked);
    CHECK_FALSE(token.empty());
    CHECK(eventually(
        [&] {
          for (SimNode* node : everyone)
            if (generation_of(*node) != after + 1) return false;
          return true;
        },
        120s));
    // A new node joins with the new key, its token read from standard input (never in argv).
    web2 = &add_started_node(cluster, "web2", 5);
    auto joined = web2->exec({agentctl_path(), "join", asked.address(), "--token-file", "-",
                             "--ca-cert-hash", ca_cert_hash(asked), "--roles", "compute"},
                            90s, token + "\n");
    INFO(joined.out << joined.err);
    REQUIRE(joined.succeeded());
    CHECK(eventually([&] { return signing_field(*web2, "keyId") == new_key; }, 60s));
    everyone.push_back(web2);
    CHECK(eventually(
        [&] {
          for (SimNode* node : everyone)
            if (generation_of(*node) != generation_of(n1)) return false;
          return true;
        },
        120s));
  }

  // The thief, root on the compute node, plants a newer document signed with the stolen key
  // (until every reader of pydio-config refused it: the leader puts the genuine one back).
  const long long in_force = generation_of(n1);
  auto forged = nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
  forged["generation"] = in_force + 1;
  forged["web"]["docroot"] = "/etc";
  const std::string forged_text = forged.dump();
  auto forged_signature = pydio::agent::sign_document(stolen, forged_text);
  REQUIRE(forged_signature);
  CHECK(eventually(
      [&] {
        if (web.read_file(kPublished) != forged_text) {
          web.write_file(kSignature, *forged_signature);
          web.write_file(kPublished, forged_text);
        }
        // A reader that caught the plant between its two writes (the forged signature beside
        // the genuine document) refuses that as "signed by another key": plant again until
        // each one read the forgery whole. The compute node knew the old key and names it.
        for (SimNode* node : {&n1, &n2})
          if (refusals(*node, "retired at the last rotation") == 0 &&
              refusals(*node, "signed by another key") == 0)
            return false;
        return refusals(web, "retired at the last rotation") > 0;
      },
      120s));

  {  // nothing changed anywhere
    CHECK(eventually([&] { return web.read_file(kPublished) != forged_text; }, 60s));
    for (SimNode* node : everyone) {
      INFO(node->name());
      CHECK(generation_of(*node) == in_force);
      CHECK(signing_field(*node, "keyId") == new_key);
    }
    CHECK(web.read_file("/etc/apache2/sites-available/pydio.conf").find("/etc\"") ==
          std::string::npos);
    CHECK(health_of(web).first == 200);
  }

  // web2 is off through two more rotations: it refuses the newest document (its key is two
  // steps behind) until it joins again with --replace-signing-key.
  REQUIRE(web2 != nullptr);
  web2->stop_agent(SIGTERM);
  for (int rotation = 0; rotation < 2; ++rotation) {
    auto again = asked.agentctl({"rotate", "signing-key"});
    INFO(again.out << again.err);
    REQUIRE(again.exit_code == 0);
  }
  const std::string third_key = signing_field(asked, "keyId");
  CHECK(third_key != new_key);
  web2->start_agent();
  REQUIRE(web2->wait_agent_ready());
  CHECK(eventually(
      [&] {
        const nlohmann::json status = web2->status();
        return status.is_object() && status["desiredError"].is_string() &&
               status["desiredError"].get<std::string>().find("--replace-signing-key") !=
                   std::string::npos;
      },
      60s));
  CHECK(signing_field(*web2, "keyId") == new_key);  // it moved nowhere on its own
  const std::string token = create_join_token(asked);
  const std::vector<std::string> rejoin = {"join", asked.address(), "--token", token,
                                           "--ca-cert-hash", ca_cert_hash(asked)};
  auto refused = web2->agentctl(rejoin, 90s);
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("--replace-signing-key"));
  std::vector<std::string> replacing = rejoin;
  replacing.push_back("--replace-signing-key");
  auto rejoined = web2->agentctl(replacing, 90s);
  INFO(rejoined.out << rejoined.err);
  CHECK(rejoined.succeeded());
  CHECK(eventually(
      [&] {
        return signing_field(*web2, "keyId") == third_key &&
               generation_of(*web2) == generation_of(asked);
      },
      120s));
}
