// Story: an attacker holds root on a host of the VPC that is not a node of the cluster, and
// tries the one command that used to work: `mount -t glusterfs <node1>:/pydio-config /mnt/x`.
// The volumes admit only the cluster's storage and compute nodes (auth.allow, kept by the
// leader), so nothing is mounted, nothing is read and nothing is written. A compute node that
// joins is admitted as soon as the leader adds it, and loses access when the operator removes
// it. Second attack: root on one node plants a setuid-root copy of `id` on pydio-data; the web
// user on another node runs it and is still the web user (the mounts are nosuid,nodev). A mount
// left without those flags (as the previous version made them) gets them back in place.
#include <catch2/catch.hpp>
#include <fstream>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

const std::vector<std::string> kVolumes = {"pydio-config", "pydio-data"};

// The volume's auth.allow as `gluster volume info` on `node` prints it ("" when unset).
std::string auth_allow(SimNode& node, const std::string& volume) {
  const auto info = node.exec({"gluster", "--mode=script", "volume", "info", volume}, 30s);
  const std::string key = "auth.allow: ";
  const auto at = info.out.find(key);
  if (at == std::string::npos) return "";
  return info.out.substr(at + key.size(), info.out.find('\n', at) - at - key.size());
}

bool auth_allow_everywhere(SimNode& node, const std::string& value) {
  for (const auto& volume : kVolumes)
    if (auth_allow(node, volume) != value) return false;
  return true;
}

// The options field of the mount at `mountpoint` in `node`'s mountinfo ("" when none).
std::string mount_options(SimNode& node, const std::string& mountpoint) {
  const auto out = node.must({"findmnt", "-n", "-o", "OPTIONS", "--mountpoint", mountpoint});
  return out.substr(0, out.find('\n'));
}

bool has_option(const std::string& options, const std::string& option) {
  return ("," + options + ",").find("," + option + ",") != std::string::npos;
}

// The outsider's attempt on `volume`: mount it at /mnt/x-<volume>, then try to read the
// agent's folder and to plant a file. REQUIREs that nothing of the volume was reached.
void outsider_is_refused(SimNode& outsider, SimNode& member, const std::string& volume) {
  const std::string at = "/mnt/x-" + volume;
  outsider.must({"mkdir", "-p", at});
  // GlusterFS 10.3's mount.glusterfs exits 0 here, without a mount: judge by what happened.
  const auto mount = outsider.exec({"mount", "-t", "glusterfs", "198.18.0.1:/" + volume, at}, 90s);
  INFO("mount: exit " << mount.exit_code << " " << mount.out << mount.err);
  CHECK(outsider.fuse_mounts().count(at) == 0);
  // Refused by the bricks' authentication, not by a network problem.
  const std::string log = outsider.read_file("/var/log/glusterfs/mnt-x-" + volume + ".log");
  CHECK_THAT(log, Catch::Contains("Authentication failed"));
  // Nothing read: the directory is the outsider's own, empty one.
  CHECK(outsider.must({"ls", "-A", at}).empty());
  // Nothing written: what it writes there stays on the outsider.
  outsider.write_file(at + "/planted", "owned\n");
  const std::string member_mount = "/mnt/" + volume;
  REQUIRE(member.fuse_mounts().count(member_mount) == 1);
  CHECK(member.file_absent(member_mount + "/planted"));
  outsider.must({"rm", "-f", at + "/planted"});
}

// `program -u` run as www-data on `node`: the effective user id it reports.
std::string effective_uid_as_web_user(SimNode& node, const std::string& program) {
  return node.must(
      {"setpriv", "--reuid=www-data", "--regid=www-data", "--init-groups", program, "-u"});
}

}  // namespace

TEST_CASE("a host outside the cluster cannot mount the volumes; setuid on them does nothing",
          "[integration]") {
  SimCluster cluster;
  TutorialCluster tutorial = bring_up_tutorial_cluster(cluster, DbPlacement::kOnFirstNode);
  SimNode& n1 = *tutorial.n1;
  SimNode& n2 = *tutorial.n2;

  // Both volumes admit exactly the two storage+compute nodes.
  CHECK(eventually([&] { return auth_allow_everywhere(n1, "198.18.0.1,198.18.0.2"); }, 120s));
  n1.write_file("/mnt/pydio-data/public/report.txt", "quarterly\n");

  // A host of the VPC, root there, in no desired state and no gluster pool.
  SimNode& outsider = cluster.add_node("outsider", 9);
  for (const auto& volume : kVolumes) {
    INFO("the outsider mounts " << volume);
    outsider_is_refused(outsider, n1, volume);
  }

  // A compute node joins: the leader admits its address, and its mounts work.
  SimNode& web = add_started_node(cluster, "web", 3);
  join_cluster(web, n1, tutorial.token, {"--roles", "compute"});
  REQUIRE(wait_healthy(web));
  CHECK(eventually([&] { return auth_allow_everywhere(n1, "198.18.0.1,198.18.0.2,198.18.0.3"); },
                   120s));
  CHECK(web.read_file("/mnt/pydio-data/public/report.txt") == "quarterly\n");
  // ... while the outsider still cannot.
  outsider_is_refused(outsider, n1, "pydio-config");

  // Every FUSE mount of the cluster is nosuid,nodev.
  for (SimNode* node : {&n1, &n2, &web}) {
    for (const auto& volume : kVolumes) {
      const std::string options = mount_options(*node, "/mnt/" + volume);
      INFO(node->name() << " /mnt/" << volume << ": " << options);
      CHECK(has_option(options, "nosuid"));
      CHECK(has_option(options, "nodev"));
    }
  }

  {  // root on n1 plants a setuid-root `id` on pydio-data; www-data on web runs it
    const std::string planted = "/mnt/pydio-data/public/id-suid";
    n1.must({"cp", "/usr/bin/id", planted});
    n1.must({"chown", "root:root", planted});
    n1.must({"chmod", "4755", planted});
    // web sees a setuid-root file ...
    CHECK(web.must({"stat", "-c", "%a %u", planted}) == "4755 0\n");
    // ... whose setuid bit does nothing there: it runs as www-data.
    CHECK(effective_uid_as_web_user(web, planted) == "33\n");
    // Control: the same file where setuid is honoured (the node's own /srv) runs as root, so
    // the check above can fail.
    web.must({"cp", "-p", planted, "/srv/id-suid"});
    CHECK(effective_uid_as_web_user(web, "/srv/id-suid") == "0\n");
    web.must({"rm", "-f", "/srv/id-suid"});
    n1.must({"rm", "-f", planted});
  }

  {  // a mount as the previous version made it (suid,dev) gets nosuid,nodev back in place
    const int id_before = web.fuse_mounts().at("/mnt/pydio-data");
    const int restored_before = count_events(web, "fuse-mount/pydio-data", "add nosuid,nodev");
    // The agent reacts to the mount table change at once, so the stripped state is not checked
    // here: the event below exists only if the agent saw the mount without the flags.
    web.must({"mount", "-i", "--options-source=disable", "-o", "remount,bind,suid,dev",
              "/mnt/pydio-data"});
    CHECK(eventually(
        [&] {
          const std::string options = mount_options(web, "/mnt/pydio-data");
          return has_option(options, "nosuid") && has_option(options, "nodev") &&
                 count_events(web, "fuse-mount/pydio-data", "add nosuid,nodev") > restored_before;
        },
        120s));
    CHECK(web.fuse_mounts().at("/mnt/pydio-data") == id_before);  // never unmounted
    CHECK(web.read_file("/mnt/pydio-data/public/report.txt") == "quarterly\n");
  }

  {  // the operator removes web from the desired state: its address leaves auth.allow, and
     // its existing mount loses the volume
    auto document = nlohmann::json::parse(n1.read_file("/var/lib/pydio-agent/desired-state.json"));
    nlohmann::json kept = nlohmann::json::array();
    for (const auto& node : document["nodes"])
      if (node["name"] != "web") kept.push_back(node);
    REQUIRE(kept.size() + 1 == document["nodes"].size());
    document["nodes"] = kept;
    const std::string path = cluster.run_dir() + "/without-web.json";
    std::ofstream(path) << document.dump(2);
    const auto applied = n1.agentctl({"apply", "--spec", path});
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
    CHECK(eventually([&] { return auth_allow_everywhere(n1, "198.18.0.1,198.18.0.2"); }, 120s));
    CHECK(eventually(
        [&] {
          return web.exec({"cat", "/mnt/pydio-data/public/report.txt"}, 30s).exit_code != 0;
        },
        120s));
  }
}
