// Story: a tutorial cluster built by the previous release (unsigned desired state, one join
// token on every node, volume roots owned by the web user, mounts without nosuid,nodev, no
// auth.allow, no certificates) holds the users' files. The operator upgrades it node by node:
// stop the old agent, start the new one (mounts, bricks and Apache stay up: agents do not own
// them), `agentctl upgrade` on one storage node, `agentctl join` on every other node. No file
// is lost, every node follows the same signed generation, the cluster is locked down as a new
// one is, and a node joins with a token from `agentctl token create`.
#include <signal.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <regex>
#include <sstream>

#include "common/runner.hpp"
#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

const std::vector<std::string> kVolumes = {"pydio-config", "pydio-data"};
const std::vector<std::string> kUserDirs = {"/mnt/pydio-data/public/upgrade",
                                            "/mnt/pydio-config/appdata/upgrade"};

// "sha256  path" of every file under the users' folders, as `node` reads them on its mounts;
// "" when they cannot be read there (yet).
std::string checksums(SimNode& node) {
  std::vector<std::string> lines;
  for (const auto& dir : kUserDirs) {
    const auto found = node.exec({"find", dir, "-type", "f", "-exec", "sha256sum", "{}", "+"});
    if (!found.succeeded()) return "";
    std::istringstream in(found.out);
    for (std::string line; std::getline(in, line);)
      if (!line.empty()) lines.push_back(line);
  }
  std::sort(lines.begin(), lines.end());
  std::string all;
  for (const auto& line : lines) all += line + "\n";
  return all;
}

std::string auth_allow(SimNode& node, const std::string& volume) {
  const auto info = node.exec({"gluster", "--mode=script", "volume", "info", volume}, 30s);
  const std::string key = "auth.allow: ";
  const auto at = info.out.find(key);
  if (at == std::string::npos) return "";
  return info.out.substr(at + key.size(), info.out.find('\n', at) - at - key.size());
}

bool has_option(SimNode& node, const std::string& mountpoint, const std::string& option) {
  const auto out = node.must({"findmnt", "-n", "-o", "OPTIONS", "--mountpoint", mountpoint});
  return ("," + out.substr(0, out.find('\n')) + ",").find("," + option + ",") != std::string::npos;
}

// The generation of the desired state a node's agent persisted (any release writes it there).
long long persisted_generation(SimNode& node) {
  auto document = nlohmann::json::parse(node.read_file("/var/lib/pydio-agent/desired-state.json"),
                                        nullptr, false);
  return document.is_object() ? document.value("generation", 0LL) : 0LL;
}

// The text after `marker` up to the next blank or line end.
std::string word_after(const std::string& text, const std::string& marker) {
  const auto at = text.find(marker);
  if (at == std::string::npos) return "";
  const std::string rest = text.substr(at + marker.size());
  return rest.substr(0, rest.find_first_of(" \n"));
}

}  // namespace

TEST_CASE("a tutorial cluster of the previous release is upgraded node by node, no file lost",
          "[integration]") {
  const std::string old_bin = previous_release_binaries(PYDIO_PREVIOUS_RELEASE_DIR);
  const std::string old_agentd = old_bin + "/pydio-agentd";
  const std::string old_agentctl = old_bin + "/agentctl";

  SimCluster cluster;
  SimNode& n1 = cluster.add_node("n1", 1);
  SimNode& n2 = cluster.add_node("n2", 2);
  SimNode& db = cluster.add_node("db", 3);
  const std::string disk1 = n1.create_loop_device(400);
  const std::string disk2 = n2.create_loop_device(400);

  // --- the cluster as the previous release built it ---------------------------------------
  for (SimNode* node : {&n1, &n2, &db}) {
    node->start_agent(10, old_agentd);
    REQUIRE(node->wait_agent_ready());
  }
  const std::string spec_path = cluster.run_dir() + "/cluster-spec.json";
  std::ofstream(spec_path) << cluster_spec({{&n1, {"storage", "compute"}, disk1},
                                            {&n2, {"storage", "compute"}, disk2},
                                            {&db, {"db"}, ""}},
                                           /*replica=*/2)
                                  .dump(2);
  auto init = n1.exec({old_agentctl, "init", "--spec", spec_path}, 120s);
  INFO(init.out << init.err);
  REQUIRE(init.succeeded());
  const std::string old_token = word_after(init.out, "--token ");
  REQUIRE_FALSE(old_token.empty());
  for (SimNode* node : {&db, &n2}) {
    auto joined = node->exec({old_agentctl, "join", n1.address(), "--token", old_token}, 120s);
    INFO(node->name() << ": " << joined.out << joined.err);
    REQUIRE(joined.succeeded());
  }
  REQUIRE(wait_healthy(n1));
  REQUIRE(wait_healthy(n2));
  REQUIRE(wait_layout(n1));
  REQUIRE(wait_layout(n2));
  const long long old_generation = persisted_generation(n1);
  REQUIRE(old_generation > 0);
  CHECK(eventually([&] { return persisted_generation(db) == old_generation; }, 120s));

  // What the old release left that the new one changes (so the checks below can fail).
  CHECK(n1.must({"stat", "-c", "%U", "/mnt/pydio-data"}) == "www-data\n");
  CHECK_FALSE(has_option(n1, "/mnt/pydio-data", "nosuid"));
  CHECK(auth_allow(n1, "pydio-data").empty());
  CHECK_THAT(n2.read_file("/etc/pydio-agent/secrets.json"), Catch::Contains("joinToken"));
  CHECK(n1.file_absent("/etc/pydio-agent/pki"));

  // The users' files, written through Pydio's paths (the FUSE mounts), read over HTTP.
  n1.must({"mkdir", "-p", kUserDirs[0] + "/alice", kUserDirs[1]});
  n1.write_file(kUserDirs[0] + "/hello.txt", "hello from the previous release\n");
  n1.write_file(kUserDirs[1] + "/bootstrap.json", "{\"installed\": true}\n");
  n1.must({"dd", "if=/dev/urandom", "of=" + kUserDirs[0] + "/alice/photo.bin", "bs=64k", "count=32",
           "status=none"});
  n2.write_file(kUserDirs[0] + "/alice/notes.txt", "written on n2\n");
  n2.must({"ln", "-s", "/mnt/pydio-data/public", "/var/www/pydio/public"});
  {
    auto [code, body] = n2.http_get("http://198.18.0.2/pydio/public/upgrade/hello.txt");
    CHECK(code == 200);
    CHECK(body == "hello from the previous release\n");
  }
  std::string before;
  REQUIRE(eventually(
      [&] {
        before = checksums(n1);
        return before == checksums(n2) && before.find("notes.txt") != std::string::npos;
      },
      60s));
  const auto mounts_n1 = n1.fuse_mounts();
  const auto mounts_n2 = n2.fuse_mounts();
  const int apache_n1 = apache_pid(n1);
  const int apache_n2 = apache_pid(n2);
  CHECK(apache_n1 > 0);
  CHECK(apache_n2 > 0);

  // --- n1: the new agent, then `agentctl upgrade` -------------------------------------------
  n1.stop_agent(SIGTERM);
  n1.start_agent();
  REQUIRE(n1.wait_agent_ready());
  CHECK(generation_of(n1) == old_generation);  // the legacy copy is in force, unsigned
  CHECK(n1.file_absent("/etc/pydio-agent/pki"));
  // The old join token left secrets.json when the new agent started.
  CHECK(n1.read_file("/etc/pydio-agent/secrets.json").find("joinToken") == std::string::npos);

  auto upgraded = n1.agentctl({"upgrade"}, 60s);
  INFO(upgraded.out << upgraded.err);
  REQUIRE(upgraded.succeeded());
  CHECK_THAT(upgraded.out, Catch::Contains("agentctl join 198.18.0.1 --token "));
  std::smatch match;
  static const std::regex kTokenLine("\n  ([a-z0-9]{6}\\.[a-z0-9]{16})\n");
  REQUIRE(std::regex_search(upgraded.out, match, kTokenLine));
  const std::string token = match[1];
  const long long new_generation = old_generation + 1;
  CHECK(generation_of(n1) == new_generation);
  CHECK(n1.file_exists("/var/lib/pydio-agent/desired-state.json.sig"));
  const std::string pin = ca_cert_hash(n1);
  CHECK_THAT(upgraded.out, Catch::Contains(pin));

  {  // a second upgrade is refused and changes nothing
    auto again = n1.agentctl({"upgrade"});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("already follows the signed model"));
    CHECK(generation_of(n1) == new_generation);
  }

  {  // mixed for a while (n1 new, n2 and db old): the files still replicate both ways
    n2.write_file(kUserDirs[0] + "/during.txt", "written while mixed\n");
    CHECK(eventually(
        [&] { return n1.read_file(kUserDirs[0] + "/during.txt") == "written while mixed\n"; },
        60s));
    n1.must({"rm", kUserDirs[0] + "/during.txt"});
  }

  // --- n2: the new agent, then a re-join through n1 ----------------------------------------
  n2.stop_agent(SIGTERM);
  n2.start_agent();
  REQUIRE(n2.wait_agent_ready());
  CHECK(generation_of(n2) == old_generation);
  join_cluster(n2, n1, token);
  CHECK(generation_of(n2) == new_generation);

  // --- db: the new agent; upgrade is refused there; it re-joins ----------------------------
  db.stop_agent(SIGTERM);
  db.start_agent();
  REQUIRE(db.wait_agent_ready());
  {
    auto refused = db.agentctl({"upgrade"});
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("is not a storage node"));
    CHECK(generation_of(db) == old_generation);
    CHECK(db.file_absent("/etc/pydio-agent/pki"));
  }
  join_cluster(db, n1, token);

  // --- the upgraded cluster -----------------------------------------------------------------
  for (SimNode* node : {&n1, &n2, &db}) {
    INFO(node->name());
    CHECK(eventually([&] { return generation_of(*node) == new_generation; }, 60s));
    CHECK(node->file_exists("/var/lib/pydio-agent/desired-state.json.sig"));
    CHECK(node->read_file("/etc/pydio-agent/secrets.json").find("joinToken") == std::string::npos);
  }
  CHECK(wait_healthy(n1));
  CHECK(wait_healthy(n2));
  CHECK(eventually([&] { return !current_leader({&n1, &n2}).empty(); }, 120s));
  CHECK(eventually(
      [&] {
        auto published = nlohmann::json::parse(
            n2.read_file("/mnt/pydio-config/pydio-agent/desired-state.json"), nullptr, false);
        return published.is_object() && published.value("generation", 0LL) == new_generation &&
               n2.file_exists("/mnt/pydio-config/pydio-agent/desired-state.json.sig");
      },
      120s));

  {  // locked down as a new cluster is: roots root's, mounts nosuid,nodev, auth.allow
    for (SimNode* node : {&n1, &n2}) {
      for (const auto& volume : kVolumes) {
        const std::string mountpoint = "/mnt/" + volume;
        INFO(node->name() << " " << mountpoint);
        CHECK(eventually(
            [&] {
              return node->must({"stat", "-c", "%U:%G %a", mountpoint}) == "root:root 755\n";
            },
            120s));
        CHECK(eventually(
            [&] {
              return has_option(*node, mountpoint, "nosuid") &&
                     has_option(*node, mountpoint, "nodev");
            },
            120s));
      }
    }
    for (const auto& volume : kVolumes) {
      INFO(volume);
      CHECK(eventually([&] { return auth_allow(n1, volume) == "198.18.0.1,198.18.0.2"; }, 120s));
    }
  }

  {  // nothing lost, nothing restarted: the same files on both nodes, the same mounts and Apache
    CHECK(checksums(n1) == before);
    CHECK(checksums(n2) == before);
    auto [code, body] = n2.http_get("http://198.18.0.2/pydio/public/upgrade/hello.txt");
    CHECK(code == 200);
    CHECK(body == "hello from the previous release\n");
    CHECK(n1.fuse_mounts() == mounts_n1);
    CHECK(n2.fuse_mounts() == mounts_n2);
    CHECK(apache_pid(n1) == apache_n1);
    CHECK(apache_pid(n2) == apache_n2);
  }

  {  // a new node joins with a token from `agentctl token create`
    const std::string fresh = create_join_token(n2, {"--description", "after the upgrade"});
    SimNode& web = add_started_node(cluster, "web", 4);
    join_cluster(web, n1, fresh, {"--roles", "compute"});
    CHECK(eventually([&] { return generation_of(web) == generation_of(n1); }, 60s));
    REQUIRE(wait_healthy(web));
    CHECK(eventually([&] { return checksums(web) == before; }, 60s));
  }
}
