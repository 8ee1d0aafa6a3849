// Story: an operator who wants gluster's own traffic encrypted and its volumes closed to any
// host without a cluster certificate chooses `security.glusterTls: true` at init. Two storage
// nodes come up: every gluster file of TLS is in place (the key root 0600), both volumes carry
// client.ssl, server.ssl and auth.ssl-allow = the nodes' names, mounts work and replicate, and
// the traffic is TLS. Then a host of the VPC tries to mount pydio-config, first with no
// certificate, then with a self-signed one that claims to be n1: refused at the TLS handshake
// of the management port, nothing mounted, nothing written. Finally the operator tries to turn
// TLS off on the running cluster, or to rotate the cluster CA under it: refused with the
// reason, nothing changes. Last, a glusterd that ran before its secure-access file was written
// is reported until it is restarted.
#include <catch2/catch.hpp>
#include <fstream>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

const std::vector<std::string> kVolumes = {"pydio-data", "pydio-config"};

// The value of `key` in `gluster volume info <volume>` on `node` ("" when unset).
std::string volume_option(SimNode& node, const std::string& volume, const std::string& key) {
  const auto info = node.exec({"gluster", "--mode=script", "volume", "info", volume}, 30s);
  const std::string prefix = "\n" + key + ": ";
  const auto at = info.out.find(prefix);
  if (at == std::string::npos) return "";
  const auto start = at + prefix.size();
  return info.out.substr(start, info.out.find('\n', start) - start);
}

bool tls_options_everywhere(SimNode& node, const std::string& ssl_allow) {
  for (const auto& volume : kVolumes) {
    if (volume_option(node, volume, "client.ssl") != "on") return false;
    if (volume_option(node, volume, "server.ssl") != "on") return false;
    if (volume_option(node, volume, "auth.ssl-allow") != ssl_allow) return false;
  }
  return true;
}

// The resource's last error in `node`'s status ("" when none or unknown).
std::string resource_error(SimNode& node, const std::string& resource) {
  const auto status = node.status();
  if (!status.is_object() || !status.contains("resources")) return "";
  for (const auto& entry : status["resources"])
    if (entry.value("name", "") == resource && entry.contains("lastError") &&
        entry["lastError"].is_string())
      return entry["lastError"].get<std::string>();
  return "";
}

// Lines of `node`'s glusterd log that contain `text`.
int glusterd_log_count(SimNode& node, const std::string& text) {
  const auto counted =
      node.exec({"grep", "-c", "-F", "--", text, "/var/log/glusterfs/glusterd.log"}, 10s);
  return counted.out.empty() ? 0 : std::stoi(counted.out);
}

// The outsider's attempt on pydio-config from /mnt/x: nothing mounted, nothing read, and what
// it writes there stays on the outsider. Returns the outsider's mount log.
std::string outsider_mount_refused(SimNode& outsider, SimNode& member) {
  const std::string at = "/mnt/x";
  const std::string log = "/var/log/glusterfs/mnt-x.log";
  outsider.must({"mkdir", "-p", at});
  outsider.must({"rm", "-f", log});
  const auto mount =
      outsider.exec({"mount", "-t", "glusterfs", "198.18.0.1:/pydio-config", at}, 90s);
  INFO("mount: exit " << mount.exit_code << " " << mount.out << mount.err);
  CHECK(outsider.fuse_mounts().count(at) == 0);
  CHECK(outsider.must({"ls", "-A", at}).empty());
  outsider.write_file(at + "/planted", "owned\n");
  REQUIRE(member.fuse_mounts().count("/mnt/pydio-config") == 1);
  CHECK(member.file_absent("/mnt/pydio-config/planted"));
  outsider.must({"rm", "-f", at + "/planted"});
  return outsider.file_exists(log) ? outsider.read_file(log) : "";
}

}  // namespace

TEST_CASE(
    "gluster TLS chosen at init: encrypted, replicated, closed to hosts without a cluster "
    "certificate",
    "[integration]") {
  // The host's own gluster TLS files are never touched (the nodes have their own /etc and
  // /usr/lib/ssl): remember whether they exist to show it at the end.
  const bool host_had_pem = std::ifstream("/usr/lib/ssl/glusterfs.pem").good();
  const bool host_had_key = std::ifstream("/etc/ssl/glusterfs.key").good();

  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& n2 = cluster.add_node("n2", 2);
  const std::string disk1 = n1.create_loop_device(400);
  const std::string disk2 = n2.create_loop_device(400);
  for (SimNode* node : {&n1, &n2}) {
    node->start_agent();
    REQUIRE(node->wait_agent_ready());
  }
  nlohmann::json spec = cluster_spec(
      {{&n1, {"storage", "compute", "db"}, disk1}, {&n2, {"storage", "compute"}, disk2}}, 2);
  spec["security"] = {{"glusterTls", true}};
  const std::string token = init_cluster(cluster, n1, spec);
  join_cluster(n2, n1, token);
  REQUIRE(wait_healthy(n1));
  REQUIRE(wait_healthy(n2));
  REQUIRE(wait_layout(n1));

  // Status says so, and the TLS files are this node's certificate, key and CA.
  for (SimNode* node : {&n1, &n2}) {
    INFO(node->name());
    const auto status = node->status();
    CHECK(status.value("glusterTls", false));
    CHECK(node->resource_state("gluster-tls") == "in-sync");
    CHECK(node->read_file("/etc/ssl/glusterfs.pem") ==
          node->read_file("/etc/pydio-agent/pki/node.crt"));
    CHECK(node->read_file("/etc/ssl/glusterfs.ca") ==
          node->read_file("/etc/pydio-agent/pki/ca.crt"));
    CHECK(node->must({"stat", "-c", "%a %U", "/etc/ssl/glusterfs.key"}) == "600 root\n");
    CHECK(node->must({"readlink", "/usr/lib/ssl/glusterfs.key"}) == "/etc/ssl/glusterfs.key\n");
    CHECK(node->file_exists("/var/lib/glusterd/secure-access"));
  }
  const std::string status_text = n1.agentctl({"status"}).out;
  CHECK_THAT(status_text, Catch::Contains("TLS on"));

  // Both volumes: TLS on both sides, admitted certificates = the nodes' names.
  CHECK(eventually([&] { return tls_options_everywhere(n1, "n1,n2"); }, 120s));
  CHECK(volume_option(n1, "pydio-config", "auth.allow") == "198.18.0.1,198.18.0.2");

  // Mounts work and replicate: written on n1, read on n2, on n2's own brick too.
  n1.write_file("/mnt/pydio-data/public/report.txt", "quarterly\n");
  CHECK(eventually(
      [&] {
        return n2.exec({"cat", "/mnt/pydio-data/public/report.txt"}, 30s).out == "quarterly\n";
      },
      60s));
  CHECK(eventually([&] { return n2.file_exists("/srv/pydio/pydio-data/public/report.txt"); }, 60s));
  // ... over TLS: the FUSE client says so for management and I/O.
  CHECK_THAT(n2.read_file("/var/log/glusterfs/mnt-pydio-data.log"),
             Catch::Contains("SSL support for MGMT is ENABLED IO path is ENABLED"));

  // A host of the VPC, root there, no cluster certificate.
  SimNode& outsider = cluster.add_node("outsider", 9);
  {
    INFO("no certificate, no secure-access: a plain connection to a TLS port");
    const int before = glusterd_log_count(n1, "wrong version number");
    outsider_mount_refused(outsider, n1);
    // n1's glusterd saw a client that does not speak TLS.
    CHECK(eventually([&] { return glusterd_log_count(n1, "wrong version number") > before; }, 30s));
  }
  {
    INFO("a self-signed certificate that claims to be n1, with secure-access");
    outsider.must({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=n1", "-days", "1", "-keyout",
                   "/etc/ssl/glusterfs.key", "-out", "/etc/ssl/glusterfs.pem"});
    // It trusts the real cluster CA (a certificate is public: anyone may hold it), so the
    // refusal below is n1's, not the outsider's own client declining n1.
    outsider.write_file("/etc/ssl/glusterfs.ca", n1.read_file("/etc/pydio-agent/pki/ca.crt"));
    for (const char* file : {"glusterfs.pem", "glusterfs.key", "glusterfs.ca"})
      outsider.must(
          {"ln", "-sf", std::string("/etc/ssl/") + file, std::string("/usr/lib/ssl/") + file});
    outsider.write_file("/var/lib/glusterd/secure-access", "");
    const int before = glusterd_log_count(n1, "certificate verify failed");
    const std::string log = outsider_mount_refused(outsider, n1);
    // Refused at the TLS handshake of the management port by n1's glusterd, which does not
    // know the issuer: the client never got a volfile, let alone a brick.
    CHECK(eventually([&] { return glusterd_log_count(n1, "certificate verify failed") > before; },
                     30s));
    CHECK_THAT(log, Catch::Contains("Exhausted all volfile servers"));
    CHECK_THAT(log, !Catch::Contains("SETVOLUME"));
  }

  // Turning TLS off on the running cluster is refused, and nothing changes.
  {
    auto document = nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
    const long long generation = document["generation"].get<long long>();
    document["security"]["glusterTls"] = false;
    const std::string path = cluster.run_dir() + "/tls-off.json";
    std::ofstream(path) << document.dump(2);
    const auto applied = n1.agentctl({"apply", "--spec", path});
    INFO(applied.out << applied.err);
    CHECK_FALSE(applied.succeeded());
    CHECK_THAT(applied.out + applied.err,
               Catch::Contains("security.glusterTls: cannot change from true to false"));
    CHECK(generation_of(n1) == generation);
    CHECK(tls_options_everywhere(n1, "n1,n2"));

    // agentctl rotate ca would change the CA under gluster's TLS: refused, nothing changes
    const std::string ca = n1.read_file("/etc/pydio-agent/pki/ca.crt");
    const auto rotated = n1.agentctl({"rotate", "ca"}, 60s);
    INFO(rotated.out << rotated.err);
    CHECK(rotated.exit_code == 1);
    CHECK_THAT(rotated.err, Catch::Contains("security.glusterTls is on"));
    CHECK_THAT(rotated.err, Catch::Contains("nothing changed"));
    CHECK(generation_of(n1) == generation);
    CHECK(n1.read_file("/etc/pydio-agent/pki/ca.crt") == ca);
    CHECK(n1.file_absent("/etc/pydio-agent/pki/ca-next.key"));
  }

  {  // a glusterd that runs since before secure-access (as Debian's package starts it) is
     // reported with the way out; once restarted, all is in sync again
    n2.must({"touch", "/var/lib/glusterd/secure-access"});
    CHECK(eventually(
        [&] {
          return resource_error(n2, "gluster-tls").find("restart glusterd once") !=
                 std::string::npos;
        },
        120s));
    const std::string pid = n2.read_file("/run/glusterd.pid");
    n2.must({"kill", pid.substr(0, pid.find('\n'))});
    CHECK(eventually([&] { return n2.resource_state("gluster-tls") == "in-sync"; }, 120s));
    CHECK(eventually([&] { return n2.resource_state("glusterd") == "in-sync"; }, 120s));
    CHECK(n2.read_file("/mnt/pydio-data/public/report.txt") == "quarterly\n");
  }

  CHECK(std::ifstream("/usr/lib/ssl/glusterfs.pem").good() == host_had_pem);
  CHECK(std::ifstream("/etc/ssl/glusterfs.key").good() == host_had_key);
}
