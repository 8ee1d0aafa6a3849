// Story: node certificates live one year and the agents renew them on their own, in the last
// third of their lifetime. To see it without waiting months, the operator (root on the storage
// node, with the cluster's CA key and openssl) signs for the compute node web1 a certificate
// that began 20 days ago and ends in 5: inside the renewal window. While the storage node's
// agent is stopped, web1's agent starts with it, cannot renew and says why (status, /health
// warning). Once the storage node is back and web1's agent is restarted, web1 makes a new key
// and gets a fresh certificate (new serial, a year long) from the storage node, and both still
// talk to each other over mutual TLS. The storage node, which holds the CA key, renews its own
// the same way. Root on web1 then asks the storage node for a certificate in the storage node's
// name: refused (403), nothing issued; asking for its own again and again gets one a minute
// at most (429). Last, a certificate that has already expired cannot be
// renewed by a compute node (the peers refuse it): status says so, and joining again fixes it.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <ctime>
#include <sstream>

#include "agent/trust/pki.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;
namespace trust = pydio::agent::trust;

namespace {

const std::string kPki = "/etc/pydio-agent/pki/";

// "20261110000000Z" for now + `offset` (openssl ca -startdate/-enddate).
std::string openssl_time(std::chrono::hours offset) {
  const std::time_t when = std::time(nullptr) + offset.count() * 3600;
  std::tm parts{};
  ::gmtime_r(&when, &parts);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d%H%M%SZ", &parts);
  return text;
}

// What the operator does on `signer` (a storage node, as root, with the cluster CA's key): sign
// for the key `node` holds now a certificate that began 20 days ago and ends in 5 days, with the
// name, address and usages the agents give their own (or other dates, in days from now).
// Returns it (PEM).
std::string near_expiry_certificate(SimNode& signer, SimNode& node, const std::string& tag,
                                    int start_days = -20, int end_days = 5) {
  const std::string csr = node.must(
      {"openssl", "req", "-new", "-key", kPki + "node.key", "-subj", "/CN=" + node.name()});
  const std::string dir = "/run/operator-ca-" + tag;
  signer.must({"mkdir", "-p", dir});
  signer.write_file(dir + "/index.txt", "");
  signer.write_file(dir + "/request.csr", csr);
  std::ostringstream config;  // `openssl ca` with the agents' own extensions
  config << "[ca]\ndefault_ca = operator\n[operator]\n"
         << "database = " << dir << "/index.txt\nnew_certs_dir = " << dir << "\n"
         << "serial = " << dir << "/serial\ncertificate = " << kPki << "ca.crt\n"
         << "private_key = " << kPki << "ca.key\n"
         << "default_md = sha256\npolicy = any\nunique_subject = no\n"
         << "[any]\ncommonName = supplied\n"
         << "[node]\nbasicConstraints = critical,CA:FALSE\n"
         << "keyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth,clientAuth\n"
         << "subjectAltName = IP:" << node.address() << "\n"
         << "authorityKeyIdentifier = keyid:always\n";
  signer.write_file(dir + "/ca.cnf", config.str());
  signer.must({"openssl", "ca", "-batch", "-config", dir + "/ca.cnf", "-extensions", "node",
               "-rand_serial", "-startdate", openssl_time(std::chrono::hours(start_days * 24)),
               "-enddate", openssl_time(std::chrono::hours(end_days * 24)), "-notext", "-in",
               dir + "/request.csr", "-out", dir + "/node.crt"});
  return signer.read_file(dir + "/node.crt");
}

// Stops the node's agent, puts `cert` in place of its node.crt and starts it again.
void restart_with_certificate(SimNode& node, const std::string& cert) {
  node.stop_agent(SIGTERM);
  node.write_file(kPki + "node.crt", cert);
  node.start_agent();
  REQUIRE(node.wait_agent_ready());
}

trust::CertificateInfo info_of(const std::string& cert) {
  auto info = trust::certificate_info(cert);
  REQUIRE(info);
  return *info;
}

std::string certificate_field(SimNode& node, const char* field) {
  const nlohmann::json status = node.status();
  if (!status.is_object() || !status["certificate"].is_object()) return "";
  const auto& value = status["certificate"][field];
  return value.is_string() ? value.get<std::string>() : "";
}

// Waits until `node` serves with a certificate other than `planted` (its agent renewed it), then
// shows the renewed one is a year long, of the cluster CA, for the node's name and address, on a
// new key stored 0600 root, and that status no longer calls it due.
void check_renewed(SimNode& node, const std::string& planted, const std::string& old_key) {
  const trust::CertificateInfo before = info_of(planted);
  REQUIRE(eventually([&] {
    const std::string serial = certificate_field(node, "serial");
    return !serial.empty() && serial != before.serial;
  }));
  const std::string cert = node.read_file(kPki + "node.crt");
  const trust::CertificateInfo after = info_of(cert);
  CHECK(after.serial == certificate_field(node, "serial"));
  CHECK(after.not_after - before.not_after > std::chrono::hours(300 * 24));
  CHECK(trust::verify_signed_by(cert, node.read_file(kPki + "ca.crt")));
  CHECK(trust::common_name(cert).value() == node.name());
  CHECK(trust::names_address(cert, node.address()));
  const std::string key = node.read_file(kPki + "node.key");
  CHECK(key != old_key);
  CHECK(trust::key_matches(key, cert));
  CHECK(node.must({"stat", "-c", "%a %U", kPki + "node.key"}) == "600 root\n");
  CHECK(node.file_absent(kPki + "node.crt.next"));
  CHECK(certificate_field(node, "renewal") == "not yet");
  CHECK(certificate_field(node, "error").empty());
}

// The serial of the certificate the agent at `address`:8481 presents, read from `client`.
std::string served_serial(SimNode& client, const std::string& address) {
  const auto hello =
      client.exec({"openssl", "s_client", "-connect", address + ":8481", "-CAfile", kPki + "ca.crt",
                   "-cert", kPki + "node.crt", "-key", kPki + "node.key"},
                  30s, "");
  const auto serial = client.exec({"openssl", "x509", "-noout", "-serial"}, 30s, hello.out);
  return serial.out.rfind("serial=", 0) == 0 ? serial.out.substr(7, serial.out.size() - 8) : "";
}

// Error events of the node certificate whose action contains `action` and whose message
// contains `message` (count_events counts successes only).
int failed_events(SimNode& node, const std::string& action, const std::string& message) {
  const auto events = node.agentctl({"events", "-n", "1000", "-o", "json"});
  REQUIRE(events.succeeded());
  int count = 0;
  for (const auto& event : nlohmann::json::parse(events.out)) {
    if (event.value("resource", "") == "node-certificate" &&
        event.value("outcome", "") == "error" &&
        event.value("action", "").find(action) != std::string::npos &&
        event.value("message", "").find(message) != std::string::npos)
      ++count;
  }
  return count;
}

// Both nodes answer each other's peer API: the cluster table asks every node.
bool all_reachable_from(SimNode& node) {
  const nlohmann::json status = cluster_status(node);
  if (!status.is_object() || !status["cluster"].is_object()) return false;
  const auto& nodes = status["cluster"]["nodes"];
  if (!nodes.is_array() || nodes.size() != 2) return false;
  for (const auto& row : nodes)
    if (!row.value("reachable", false)) return false;
  return true;
}

}  // namespace

TEST_CASE("agents renew their certificates before they end, each only for itself",
          "[integration]") {
  SimCluster cluster;
  SimNode& n1 = bring_up_healthy_single_node(cluster);
  const std::string token = create_join_token(n1, {"--description", "web1"});
  SimNode& web = add_started_node(cluster, "web1", 2);
  join_cluster(web, n1, token, {"--roles", "compute"});
  REQUIRE(wait_healthy(web));

  {  // a fresh certificate: a year long, renewal not due; status says until when
    CHECK(certificate_field(web, "renewal") == "not yet");
    CHECK_THAT(web.agentctl({"status"}).out, Catch::Contains("node cert:  valid until"));
  }

  const std::string planted = near_expiry_certificate(n1, web, "web1");
  REQUIRE(trust::key_matches(web.read_file(kPki + "node.key"), planted));
  const std::string old_key = web.read_file(kPki + "node.key");

  {  // the storage node's agent is down: web1 cannot renew, and says so
    n1.stop_agent(SIGTERM);
    restart_with_certificate(web, planted);
    REQUIRE(eventually([&] { return !certificate_field(web, "error").empty(); }, 90s));
    CHECK(certificate_field(web, "serial") == info_of(planted).serial);
    CHECK(certificate_field(web, "renewal") == "due");
    CHECK_THAT(certificate_field(web, "error"), Catch::Contains("no storage node renewed it"));
    const nlohmann::json status = web.status();
    CHECK_THAT(status["health"]["warnings"].dump(), Catch::Contains("renewal failed"));
    CHECK_THAT(web.agentctl({"status"}).out, Catch::Contains("renewal failed"));
    CHECK(failed_events(web, "renew the node certificate", "no storage node renewed it") >= 1);
    CHECK(web.read_file(kPki + "node.crt") == planted);  // nothing half-replaced
  }

  {  // the storage node is back; the operator restarts web1's agent (or waits 5 minutes)
    n1.start_agent();
    REQUIRE(n1.wait_agent_ready());
    const int issued_before =
        count_events(n1, "node-certificate", "issue a renewed certificate for node web1");
    web.stop_agent(SIGTERM);
    web.start_agent();
    REQUIRE(web.wait_agent_ready());
    check_renewed(web, planted, old_key);
    CHECK(count_events(n1, "node-certificate", "issue a renewed certificate for node web1") >
          issued_before);
    CHECK(has_event(web, "node-certificate", "by node1 198.18.0.1: new serial"));
  }

  {  // and still talks to its peer, both ways, with the new certificate
    const std::string serial = certificate_field(web, "serial");
    CHECK(eventually([&] { return served_serial(n1, web.address()) == serial; }, 60s));
    CHECK(eventually([&] { return all_reachable_from(n1); }, 90s));
    CHECK(eventually([&] { return all_reachable_from(web); }, 90s));
    CHECK(eventually([&] { return health_of(web).first == 200; }, 90s));
  }

  {  // the storage node holds the CA key: it renews its own certificate itself
    const std::string own = near_expiry_certificate(n1, n1, "node1");
    const std::string n1_key = n1.read_file(kPki + "node.key");
    restart_with_certificate(n1, own);
    check_renewed(n1, own, n1_key);
    CHECK(has_event(n1, "node-certificate", "with this node's CA key: new serial"));
    CHECK(eventually([&] { return all_reachable_from(web); }, 90s));
  }

  {  // attack: root on web1 asks for a certificate in node1's name, with web1's own certificate
    const std::string n1_cert = n1.read_file(kPki + "node.crt");
    const int refused_before = failed_events(n1, "for node web1", "a node speaks only for itself");
    auto ask = [&](const std::string& csr_name, const nlohmann::json& extra, bool with_cert) {
      web.must({"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-nodes", "-keyout", "/run/attack.key", "-subj", "/CN=" + csr_name, "-out",
                "/run/attack.csr"});
      nlohmann::json body = extra;
      body["csr"] = web.read_file("/run/attack.csr");
      std::vector<std::string> argv = {"curl", "-s",           "-o",       "/run/answer",
                                       "-w",   "%{http_code}", "--cacert", kPki + "ca.crt"};
      if (with_cert)
        argv.insert(argv.end(), {"--cert", kPki + "node.crt", "--key", kPki + "node.key"});
      argv.insert(argv.end(),
                  {"-X", "POST", "-H", "Content-Type: application/json", "--data-binary",
                   body.dump(), "https://" + n1.address() + ":8481/v1/peer/certificate"});
      const std::string code = web.exec(argv).out;
      return std::make_pair(code, web.read_file("/run/answer"));
    };
    {
      const auto [code, answer] = ask("node1", nlohmann::json::object(), true);
      INFO(answer);
      CHECK(code == "403");
      CHECK_THAT(answer,
                 Catch::Contains("a node speaks only for itself: node web1 asked for a certificate "
                                 "of node node1"));
      CHECK_THAT(answer, !Catch::Contains("BEGIN CERTIFICATE"));
    }
    {  // the CSR names web1, the body names node1
      const auto [code, answer] = ask("web1", nlohmann::json{{"node", "node1"}}, true);
      INFO(answer);
      CHECK(code == "403");
      CHECK_THAT(answer, Catch::Contains("a node speaks only for itself"));
    }
    {  // no certificate at all
      const auto [code, answer] = ask("node1", nlohmann::json::object(), false);
      INFO(answer);
      CHECK(code == "401");
    }
    {  // its own name, again and again: one certificate a minute at most, the rest 429
      const auto first = ask("web1", nlohmann::json::object(), true);
      INFO(first.second);
      CHECK((first.first == "200" || first.first == "429"));  // 429: its renewal was recent
      const auto [code, answer] = ask("web1", nlohmann::json::object(), true);
      INFO(answer);
      CHECK(code == "429");
      CHECK_THAT(answer, Catch::Contains("less than a minute ago"));
      CHECK_THAT(answer, !Catch::Contains("BEGIN CERTIFICATE"));
    }
    // The refusal the signer itself decided (the CSR's name) is an event on node1; nothing was
    // issued, node1's own certificate is untouched.
    CHECK(failed_events(n1, "for node web1", "a node speaks only for itself") ==
          refused_before + 1);
    CHECK(n1.read_file(kPki + "node.crt") == n1_cert);
  }

  {  // a certificate that ended yesterday: the peers refuse it, status says to join again, and
     // joining again through the storage node gives web1 a new key and certificate
    const std::string expired = near_expiry_certificate(n1, web, "expired", -30, -1);
    restart_with_certificate(web, expired);
    REQUIRE(eventually([&] { return !certificate_field(web, "error").empty(); }, 90s));
    CHECK(certificate_field(web, "renewal") == "expired");
    CHECK_THAT(certificate_field(web, "error"), Catch::Contains("join this node again"));
    CHECK_THAT(web.status()["health"]["warnings"].dump(),
               Catch::Contains("node certificate expired"));
    join_cluster(web, n1, token, {"--roles", "compute"});
    const trust::CertificateInfo rejoined = info_of(web.read_file(kPki + "node.crt"));
    CHECK(rejoined.not_after - info_of(expired).not_after > std::chrono::hours(300 * 24));
    CHECK(eventually([&] { return certificate_field(web, "renewal") == "not yet"; }, 60s));
    CHECK(eventually([&] { return all_reachable_from(n1); }, 90s));
  }
}
