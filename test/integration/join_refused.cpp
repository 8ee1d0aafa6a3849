// Story: someone tries to add a machine to a running cluster without the right credentials,
// with a CA pin that is not the cluster's, or through an address where no agent answers. Every
// attempt fails with a message that says what is wrong, and nothing changes anywhere: the new
// machine stays blank, the cluster's desired state keeps its generation and its node list.
#include <catch2/catch.hpp>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

TEST_CASE(
    "joins with a wrong, missing or malformed token or pin, or to an unknown peer, change "
    "nothing",
    "[integration]") {
  SimCluster cluster;
  SimNode& n1 = bring_up_healthy_single_node(cluster);
  const auto secrets = nlohmann::json::parse(n1.read_file("/etc/pydio-agent/secrets.json"));
  const std::string token = secrets["joinToken"];
  const std::string pin = ca_cert_hash(n1);
  const long long generation = generation_of(n1);
  REQUIRE(generation == 1);

  SimNode& n2 = add_started_node(cluster, "n2", 2);

  {  // a well-formed token that is not the cluster's
    auto wrong = n2.agentctl({"join", n1.address(), "--token", "abcdef.0123456789abcdef",
                              "--ca-cert-hash", pin, "--roles", "compute"});
    CHECK(wrong.exit_code == 1);
    CHECK_THAT(wrong.err, Catch::Contains("refused the token (401)"));
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

  // Nothing changed anywhere.
  CHECK(n2.file_absent("/etc/pydio-agent/secrets.json"));
  CHECK(n2.file_absent("/etc/pydio-agent/pki/node.crt"));
  CHECK(generation_of(n2) == 0);
  CHECK(generation_of(n1) == generation);
  const auto stored =
      nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
  CHECK(stored["nodes"].size() == 1);
  CHECK(health_of(n1).first == 200);
}
