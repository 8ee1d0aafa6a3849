// Story: while the agent of a storage node restarts, a local user of that node binds the peer
// port 8481 first: a plain TCP listener that records every byte it is sent, then a TLS server
// with a self-signed certificate (and holds the health port 8480 too, answering nothing). The other agents talk to it and it learns no secret (no
// token, no password, no key); a new machine that runs `agentctl join <that node>` with the
// cluster's pin is refused with a message naming both CA hashes. The real agent says in its
// log that the ports are taken, keeps trying (never exits) and serves both as soon as the
// squatter leaves. Then, with
// the cluster's own certificates: a compute node's certificate reads but cannot change the
// desired state (403), and a certificate from another CA is refused at the handshake. A new
// machine sent to the compute node by mistake never sends it its token: only a storage node's
// certificate says OU=storage.
#include <signal.h>

#include <catch2/catch.hpp>
#include <future>
#include <sstream>
#include <thread>

#include "agent/trust/pki.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;
namespace trust = pydio::agent::trust;

namespace {

// Runs as nobody in the node: binds <address>:8480 (and never accepts) and <address>:8481, and
// appends what every connection sends to
// <dir>/received, in clear until <dir>/tls exists, then over TLS with <dir>/cert.pem; exits
// when <dir>/stop exists.
constexpr const char* kSquatter = R"(
import os, socket, ssl, sys
address, d = sys.argv[1], sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((address, 8481))
s.listen(64)
s.settimeout(0.5)
h = socket.socket()
h.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
h.bind((address, 8480))
h.listen(8)
open(d + "/listening", "w").close()
received = open(d + "/received", "ab")
ctx = None
while not os.path.exists(d + "/stop"):
    if ctx is None and os.path.exists(d + "/tls"):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(d + "/cert.pem", d + "/key.pem")
        open(d + "/tls-ready", "w").close()
    try:
        c, _ = s.accept()
    except socket.timeout:
        continue
    c.settimeout(2)
    try:
        if ctx is not None:
            c = ctx.wrap_socket(c, server_side=True)
        open(d + "/connected", "w").close()
        while True:
            data = c.recv(65536)
            if not data:
                break
            received.write(data)
            received.flush()
    except Exception as e:
        received.write(("\n[squatter: " + type(e).__name__ + "]\n").encode())
        received.flush()
    finally:
        c.close()
)";

constexpr const char* kDir = "/run/squatter";

// The body lines of every PEM private key in `pem_text` (what a leaked key would show).
std::vector<std::string> key_lines(const std::string& pem_text) {
  std::vector<std::string> lines;
  std::istringstream in(pem_text);
  for (std::string line; std::getline(in, line);)
    if (line.size() > 40 && line.find("-----") == std::string::npos) lines.push_back(line);
  return lines;
}

}  // namespace

TEST_CASE("a squatter on the peer port learns nothing, and the agent takes the port back",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOnFirstNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;
  const std::string pin = ca_cert_hash(n1);
  const auto secrets = nlohmann::json::parse(n1.read_file("/etc/pydio-agent/secrets.json"));
  SimNode& web1 = add_started_node(cluster, "web1", 4);

  // n2's agent stops for a restart; a local user binds its peer port first.
  n2.stop_agent(SIGTERM);
  n2.must({"mkdir", "-p", kDir});
  n2.must({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-nodes", "-subj", "/CN=n2", "-days", "1", "-keyout", std::string(kDir) + "/key.pem",
           "-out", std::string(kDir) + "/cert.pem"});
  n2.must({"chown", "-R", "nobody:nogroup", kDir});
  auto squatter = std::async(std::launch::async, [&] {
    return n2.exec({"setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    "/usr/bin/python3", "-c", kSquatter, n2.address(), kDir},
                   600s);
  });
  struct StopSquatter {  // pass or fail, the squatter leaves before the cluster is torn down
    SimNode& node;
    std::future<pydio::common::RunResult>& run;
    ~StopSquatter() {
      if (!run.valid()) return;
      node.exec({"touch", std::string(kDir) + "/stop"});
      run.wait();
    }
  } stop_squatter{n2, squatter};
  const bool listening =
      eventually([&] { return n2.file_exists(std::string(kDir) + "/listening"); }, 30s);
  if (!listening && squatter.wait_for(0s) == std::future_status::ready) {
    const auto ended = squatter.get();
    FAIL("the squatter did not start: exit " << ended.exit_code << ": " << ended.err);
  }
  REQUIRE(listening);

  {  // in clear: the other agents connect (the cluster table asks every node) and get nothing
    cluster_status(n1);
    REQUIRE(eventually([&] { return n2.file_exists(std::string(kDir) + "/connected"); }, 60s));
    auto join = web1.agentctl({"join", n2.address(), "--token", tutorial.token, "--ca-cert-hash",
                               pin, "--roles", "compute"},
                              90s);
    INFO(join.out << join.err);
    CHECK(join.exit_code == 1);
    CHECK_THAT(join.err, Catch::Contains("did not complete a TLS handshake"));
  }
  {  // over TLS with its own certificate: the join names both hashes and sends no token
    n2.must({"touch", std::string(kDir) + "/tls"});
    REQUIRE(eventually([&] { return n2.file_exists(std::string(kDir) + "/tls-ready"); }, 30s));
    auto theirs = trust::spki_pin(n2.read_file(std::string(kDir) + "/cert.pem"));
    REQUIRE(theirs);
    cluster_status(n1);
    auto join = web1.agentctl({"join", n2.address(), "--token", tutorial.token, "--ca-cert-hash",
                               pin, "--roles", "compute"},
                              90s);
    INFO(join.out << join.err);
    CHECK(join.exit_code == 1);
    CHECK_THAT(join.err, Catch::Contains("presents CA " + *theirs + ", not the pinned " + pin));
    CHECK(web1.file_absent("/etc/pydio-agent/secrets.json"));
  }

  // The real agent starts while the port is taken: it says so and keeps trying.
  const std::size_t log_before = agent_log(cluster, n2).size();
  n2.start_agent();
  REQUIRE(n2.wait_agent_ready());
  REQUIRE(eventually(
      [&] {
        return agent_log(cluster, n2).find("the port is taken by another process", log_before) !=
               std::string::npos;
      },
      60s));
  REQUIRE(eventually(
      [&] {
        const std::string log = agent_log(cluster, n2);
        const std::size_t at = log.find("health endpoint: ", log_before);
        return at != std::string::npos && log.find("trying again every 2 s", at) != std::string::npos;
      },
      60s));
  std::this_thread::sleep_for(5s);  // several retries
  CHECK(n2.agent_alive());

  // The squatter leaves; the agent binds and serves.
  n2.must({"touch", std::string(kDir) + "/stop"});
  squatter.wait();
  REQUIRE(eventually(
      [&] {
        return agent_log(cluster, n2).find("peer API: bound", log_before) != std::string::npos;
      },
      60s));
  CHECK(eventually([&] { return health_of(n2).first == 200; }, 120s));
  CHECK(n2.agent_alive());

  // What the squatter collected holds no secret.
  const std::string received = n2.read_file(std::string(kDir) + "/received");
  CHECK_FALSE(received.empty());  // the agents did talk to it
  for (const char* name : {"dbPassword", "leasePassword"}) {
    const std::string secret = secrets[name];
    INFO(name);
    CHECK(received.find(secret) == std::string::npos);
  }
  CHECK(received.find(tutorial.token) == std::string::npos);
  CHECK(received.find("PRIVATE KEY") == std::string::npos);
  for (SimNode* node : {&n1, &n2}) {
    for (const char* key : {"/etc/pydio-agent/pki/node.key", "/etc/pydio-agent/pki/ca.key"}) {
      for (const auto& line : key_lines(node->read_file(key)))
        CHECK(received.find(line) == std::string::npos);
    }
  }

  // The same new machine joins through n2 now that its agent holds the port again.
  join_cluster(web1, n2, tutorial.token, {"--roles", "compute"});
  CHECK(web1.file_absent("/etc/pydio-agent/pki/ca.key"));  // compute: no CA key
  CHECK(n2.file_exists("/etc/pydio-agent/pki/ca.key"));    // storage: may sign

  const std::string pki = "/etc/pydio-agent/pki/";
  auto as_web1 = [&](const std::string& cert, const std::string& key,
                     const std::vector<std::string>& request) {
    std::vector<std::string> argv = {"curl",   "-s",           "-o",       "/dev/null",
                                     "-w",     "%{http_code}", "--cacert", pki + "ca.crt",
                                     "--cert", cert,           "--key",    key};
    argv.insert(argv.end(), request.begin(), request.end());
    return web1.exec(argv).out;
  };
  {  // a compute node's certificate reads, but cannot change the desired state
    // 200 once n1 follows the generation that lists web1 (pushed by the leader).
    REQUIRE(eventually(
        [&] {
          return as_web1(pki + "node.crt", pki + "node.key",
                         {"https://198.18.0.1:8481/v1/peer/node"}) == "200";
        },
        60s));
    const long long generation = generation_of(n1);
    const std::string document = n1.read_file("/var/lib/pydio-agent/desired-state.json");
    auto changed = nlohmann::json::parse(document);
    changed["generation"] = generation + 1;
    const std::string body = nlohmann::json{{"document", changed.dump()}}.dump();
    CHECK(as_web1(pki + "node.crt", pki + "node.key",
                  {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary", body,
                   "https://198.18.0.1:8481/v1/peer/desired-state"}) == "403");
    CHECK(generation_of(n1) == generation);
  }
  {  // a certificate from another CA, for the same name and address: refused at the handshake
    auto other = trust::make_ca("other");
    REQUIRE(other);
    auto key = trust::generate_key().value();
    auto cert = trust::sign_node_certificate(*other, trust::make_csr(key, "web1").value(), "web1",
                                             web1.address(), trust::CertificateRole::kNode);
    REQUIRE(cert);
    web1.write_file("/run/other.crt", *cert);
    web1.write_file("/run/other.key", key);
    CHECK(as_web1("/run/other.crt", "/run/other.key", {"https://198.18.0.1:8481/v1/peer/node"}) ==
          "000");
  }
  {  // a new machine sent to the compute node by mistake: web1 holds a certificate of the
     // pinned CA, but not a storage node's, so the token is never sent to it
    SimNode& web2 = add_started_node(cluster, "web2", 5);
    auto join = web2.agentctl({"join", web1.address(), "--token", tutorial.token,
                               "--ca-cert-hash", pin, "--roles", "compute"},
                              90s);
    INFO(join.out << join.err);
    CHECK(join.exit_code == 1);
    CHECK_THAT(join.err, Catch::Contains("not a storage node"));
    CHECK_THAT(join.err, Catch::Contains("refusing to send the join token"));
    CHECK(web2.file_absent("/etc/pydio-agent/secrets.json"));
  }
}
