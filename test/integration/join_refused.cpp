// Story: someone tries to add a machine to a running cluster without the right credentials:
// a token that is not the cluster's, none, a malformed one, one the operator deleted, one that
// expired, a CA pin that is not the cluster's, or an address where no agent answers. Every
// attempt fails with a message that says what is wrong, and nothing changes anywhere: the new
// machine stays blank, the cluster's desired state keeps its node list; applying an old copy of
// the document does not bring a deleted token back. The tokens the operator makes are printed
// once and are nowhere on disk; `agentctl token list` never shows a secret.
// A valid token used from another address than the one the join names is refused (403). Then a
// fresh token admits the machine.
#include <catch2/catch.hpp>
#include <fstream>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {
std::string id_of(const std::string& token) { return token.substr(0, 6); }
std::string secret_of(const std::string& token) { return token.substr(7); }
}  // namespace

TEST_CASE(
    "joins with a wrong, missing, malformed, deleted or expired token or a wrong pin, or to an "
    "unknown peer, change nothing; a fresh token admits",
    "[integration]") {
  SimCluster cluster;
  SimNode& n1 = bring_up_healthy_single_node(cluster);
  const std::string pin = ca_cert_hash(n1);
  REQUIRE(generation_of(n1) == 1);
  // The operator makes the tokens of this story on the storage node: the short-lived one
  // first, so that its minute runs while the other attempts are made.
  const std::string short_lived =
      create_join_token(n1, {"--ttl", "1m", "--description", "short-lived"});
  const std::string revoked = create_join_token(n1, {"--description", "to revoke"});
  const std::string token = create_join_token(n1, {"--ttl", "2h", "--description", "for n2"});
  // Each token is a change of the signed desired state.
  CHECK(generation_of(n1) == 4);

  SimNode& n2 = add_started_node(cluster, "n2", 2);

  {  // a --ttl out of bounds is refused before anything changes, naming the flag
    for (const char* ttl : {"30s", "721h", "1d"}) {
      auto refused = n1.agentctl({"token", "create", "--ttl", ttl});
      INFO(ttl << ": " << refused.err);
      CHECK(refused.exit_code == 1);
      CHECK_THAT(refused.err, Catch::Contains(std::string("--ttl ") + ttl + ":"));
    }
    CHECK(generation_of(n1) == 4);
  }
  {  // token list: ids, expiry and descriptions, never a secret; a compute node may not manage
    auto list = n1.agentctl({"token", "list"});
    INFO(list.out << list.err);
    REQUIRE(list.succeeded());
    for (const std::string* made : {&short_lived, &revoked, &token}) {
      CHECK_THAT(list.out, Catch::Contains(id_of(*made)));
      CHECK(list.out.find(secret_of(*made)) == std::string::npos);
    }
    CHECK_THAT(list.out, Catch::Contains("created by agentctl init"));
    CHECK_THAT(list.out, Catch::Contains("to revoke"));
  }
  {  // a well-formed token that is not the cluster's
    auto wrong = n2.agentctl({"join", n1.address(), "--token", "abcdef.0123456789abcdef",
                              "--ca-cert-hash", pin, "--roles", "compute"});
    CHECK(wrong.exit_code == 1);
    CHECK_THAT(wrong.err, Catch::Contains("refused the token (401)"));
    CHECK_THAT(wrong.err, Catch::Contains("join token abcdef is not valid"));
  }
  {  // no token at all: agentctl refuses, and so does the peer API itself
    auto missing = n2.agentctl({"join", n1.address(), "--ca-cert-hash", pin, "--roles", "compute"});
    CHECK(missing.exit_code != 0);
    CHECK_THAT(missing.err, Catch::Contains("--token"));
    // The peer API speaks TLS only (-k: curl does not know the cluster CA).
    pydio::common::RunResult raw =
        n2.exec({"curl", "-sk", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d",
                 R"({"name":"n2","address":"198.18.0.2","roles":["compute"]})",
                 "https://198.18.0.1:8481/v1/peer/join"});
    CHECK(raw.out == "401");
    pydio::common::RunResult plain =
        n2.exec({"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-d", "{}",
                 "http://198.18.0.1:8481/v1/peer/join"});
    CHECK(plain.out == "000");  // no HTTP answer in clear
  }
  {  // no pin, or a pin that is not this cluster's CA: the token is never sent
    auto unpinned = n2.agentctl({"join", n1.address(), "--token", token, "--roles", "compute"});
    CHECK(unpinned.exit_code != 0);
    CHECK_THAT(unpinned.err, Catch::Contains("--ca-cert-hash"));
    const std::string wrong_pin = "sha256:" + std::string(64, 'a');
    auto mismatch = n2.agentctl({"join", n1.address(), "--token", token, "--ca-cert-hash",
                                 wrong_pin, "--roles", "compute"});
    CHECK(mismatch.exit_code == 1);
    CHECK_THAT(mismatch.err, Catch::Contains("presents CA " + pin));
    CHECK_THAT(mismatch.err, Catch::Contains("not the pinned " + wrong_pin));
  }
  {  // a malformed token is named as such before anything is sent
    auto malformed = n2.agentctl(
        {"join", n1.address(), "--token", "letmein", "--ca-cert-hash", pin, "--roles", "compute"});
    CHECK(malformed.exit_code == 1);
    CHECK_THAT(malformed.err, Catch::Contains("token: expected the form"));
  }
  {  // an address where no agent answers
    auto unknown = n2.agentctl(
        {"join", "198.18.0.99", "--token", token, "--ca-cert-hash", pin, "--roles", "compute"},
        90s);
    CHECK(unknown.exit_code == 1);
    CHECK_THAT(unknown.err, Catch::Contains("cannot join"));
    CHECK_THAT(unknown.err, Catch::Contains("198.18.0.99"));
  }
  {  // the operator deletes a token: it admits nobody any more, and is gone from the list
    const std::string stored_before = n1.read_file("/var/lib/pydio-agent/desired-state.json");
    CHECK(stored_before.find(id_of(revoked)) != std::string::npos);  // listed there, hashed
    auto deleted = n1.agentctl({"token", "delete", id_of(revoked)});
    INFO(deleted.out << deleted.err);
    REQUIRE(deleted.succeeded());
    CHECK(generation_of(n1) == 5);
    CHECK(n1.agentctl({"token", "list"}).out.find(id_of(revoked)) == std::string::npos);
    auto refused = n2.agentctl(
        {"join", n1.address(), "--token", revoked, "--ca-cert-hash", pin, "--roles", "compute"});
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("refused the token (401)"));
    CHECK_THAT(refused.err, Catch::Contains("join token " + id_of(revoked) + " is not valid"));
    auto again = n1.agentctl({"token", "delete", id_of(revoked)});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("no join token"));

    // An edited copy of the document from before the delete does not bring the token back:
    // its token list is not the one in force, and the apply is refused, naming it.
    auto old_copy = nlohmann::json::parse(stored_before);
    old_copy["generation"] = 5;  // as if it were an edit of the document in force
    const std::string path = cluster.run_dir() + "/old-copy.json";
    std::ofstream(path) << old_copy.dump(2);
    auto refused_apply = n1.agentctl({"apply", "--spec", path});
    INFO(refused_apply.out << refused_apply.err);
    CHECK(refused_apply.exit_code == 1);
    CHECK_THAT(refused_apply.err, Catch::Contains("joinTokens: managed with agentctl token"));
    CHECK_THAT(refused_apply.err, Catch::Contains("not in force: " + id_of(revoked)));
    CHECK(generation_of(n1) == 5);
    // Without the member, the same copy is the document in force: nothing to apply, and the
    // tokens in force stay.
    old_copy.erase("joinTokens");
    std::ofstream(path) << old_copy.dump(2);
    auto applied = n1.agentctl({"apply", "--spec", path});
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
    CHECK_THAT(applied.out + applied.err, Catch::Contains("no change"));
    CHECK(generation_of(n1) == 5);
    CHECK(n1.agentctl({"token", "list"}).out.find(id_of(token)) != std::string::npos);
    CHECK(n1.agentctl({"token", "list"}).out.find(id_of(revoked)) == std::string::npos);
    auto still = n2.agentctl(
        {"join", n1.address(), "--token", revoked, "--ca-cert-hash", pin, "--roles", "compute"});
    CHECK(still.exit_code == 1);
    CHECK_THAT(still.err, Catch::Contains("join token " + id_of(revoked) + " is not valid"));
  }
  {  // the short-lived token expires: list says so, and its holder is told since when
    const std::string id = id_of(short_lived);
    const bool expired = eventually(
        [&] {
          return n1.agentctl({"token", "list"}).out.find(id + "  expired") != std::string::npos;
        },
        180s);
    INFO(n1.agentctl({"token", "list"}).out);
    REQUIRE(expired);
    auto refused = n2.agentctl({"join", n1.address(), "--token", short_lived, "--ca-cert-hash", pin,
                                "--roles", "compute"});
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("refused the token (401)"));
    CHECK_THAT(refused.err, Catch::Contains("join token " + id + " expired at "));
  }

  {  // a holder of a valid token asks from n2 for a certificate of n1's name and address (a
     // storage node's, with the cluster's keys in the answer): refused before anything is signed
    const nlohmann::json body = {{"name", "node1"},
                                 {"address", n1.address()},
                                 {"roles", {"storage", "compute"}},
                                 {"token", token}};
    const pydio::common::RunResult raw = n2.exec(
        {"curl", "-sk", "-w", "\n%{http_code}", "-X", "POST", "-H", "Content-Type: application/json",
         "-d", body.dump(), "https://" + n1.address() + ":8481/v1/peer/join"});
    INFO(raw.out << raw.err);
    CHECK_THAT(raw.out, Catch::EndsWith("\n403"));
    CHECK_THAT(raw.out, Catch::Contains("must come from that address, not from " + n2.address()));
    CHECK_THAT(raw.out, !Catch::Contains("PRIVATE KEY"));
  }

  // Nothing changed anywhere.
  CHECK(n2.file_absent("/etc/pydio-agent/secrets.json"));
  CHECK(n2.file_absent("/etc/pydio-agent/pki/node.crt"));
  CHECK(generation_of(n2) == 0);
  CHECK(generation_of(n1) == 5);
  {
    const auto stored =
        nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
    CHECK(stored["nodes"].size() == 1);
  }
  CHECK(health_of(n1).first == 200);

  // A fresh token admits n2.
  join_cluster(n2, n1, token, {"--roles", "compute"});
  CHECK(eventually([&] { return generation_of(n1) == 6 && generation_of(n2) == 6; }, 60s));

  // No secret of a token is on disk on any node (agent config, keys, state, the shared
  // pydio-config volume) or in the agents' logs: the desired state holds only hashes.
  REQUIRE(eventually([&] { return n1.file_exists("/mnt/pydio-config/pydio-agent"); }, 60s));
  for (SimNode* node : {&n1, &n2}) {
    std::vector<std::string> grep = {"grep", "-rqF"};
    for (const std::string* made : {&short_lived, &revoked, &token}) {
      grep.push_back("-e");
      grep.push_back(secret_of(*made));
    }
    grep.insert(grep.end(), {"--", "/etc/pydio-agent", "/var/lib/pydio-agent"});
    if (node->file_exists("/mnt/pydio-config/pydio-agent")) grep.push_back("/mnt/pydio-config");
    const auto found = node->exec(grep);
    INFO(node->name() << ": grep exit " << found.exit_code << " " << found.err);
    CHECK(found.exit_code == 1);  // 1: read everything, matched nothing
    const std::string log = agent_log(cluster, *node);
    for (const std::string* made : {&short_lived, &revoked, &token})
      CHECK(log.find(secret_of(*made)) == std::string::npos);
  }
}
