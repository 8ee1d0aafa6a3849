// Story: the node is healthy. Then people and accidents undo parts of it: someone unmounts the
// data volume, deletes the vhost, stops Apache, chowns a Pydio directory to root, deletes
// check.txt, freezes the FUSE client of the config volume. Without anyone running a command,
// the agent's next passes put each back and log one event per action; an operator running
// `agentctl events --follow` sees the vhost's repair arrive while it runs.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

// The glusterfs FUSE client serving `mountpoint` in the node whose agent is `agent_pid` (same
// mount namespace; the nodes share the host's PID namespace), else 0.
int fuse_client_pid(int agent_pid, const std::string& mountpoint) {
  namespace fs = std::filesystem;
  std::error_code ignored;
  const fs::path node_ns = fs::read_symlink("/proc/" + std::to_string(agent_pid) + "/ns/mnt", ignored);
  for (const auto& entry : fs::directory_iterator("/proc", ignored)) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream file(entry.path() / "cmdline");
    std::string cmdline((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    std::vector<std::string> argv;
    for (size_t at = 0, end; at < cmdline.size(); at = end + 1) {
      end = cmdline.find('\0', at);
      if (end == std::string::npos) end = cmdline.size();
      argv.push_back(cmdline.substr(at, end - at));
    }
    if (argv.size() < 2 || fs::path(argv.front()).filename() != "glusterfs" ||
        argv.back() != mountpoint)
      continue;
    if (fs::read_symlink(entry.path() / "ns" / "mnt", ignored) == node_ns) return std::stoi(pid);
  }
  return 0;
}

// 'T' while the process is stopped by a signal.
char process_state(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const size_t after_name = stat.rfind(')');
  return after_name == std::string::npos || after_name + 2 >= stat.size() ? '?'
                                                                           : stat[after_name + 2];
}


// The JSON lines `agentctl events --follow -o json` wrote to `path` so far (other lines, such as
// a note on stderr, are skipped).
std::vector<nlohmann::json> followed_events(const std::string& path) {
  std::vector<nlohmann::json> events;
  std::ifstream file(path);
  for (std::string line; std::getline(file, line);) {
    auto event = nlohmann::json::parse(line, nullptr, false);
    if (event.is_object()) events.push_back(std::move(event));
  }
  return events;
}

}  // namespace

TEST_CASE("drift is repaired by the next passes, each repair with its event", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  // Each repair must add its event: the bring-up logged the same actions once already.
  auto new_event = [&](const std::string& resource, const std::string& text) {
    const int before = count_events(node, resource, text);
    return [&node, resource, text, before] {
      return eventually([&] { return count_events(node, resource, text) > before; }, 60s);
    };
  };

  {  // the data volume is unmounted
    auto mounted_again = new_event("fuse-mount/pydio-data", "mount");
    node.must({"umount", "/mnt/pydio-data"});
    // (Not the mount id: the kernel hands a freed id to the next mount.)
    CHECK(eventually([&] { return node.fuse_mounts().count("/mnt/pydio-data") == 1; }));
    CHECK(mounted_again());
  }

  {  // an operator watches with `agentctl events --follow` while the vhost file is deleted
    const std::string output = cluster.run_dir() + "/events-follow.jsonl";
    pydio::common::SystemRunner runner;
    auto follower = runner.spawn_detached({harness_path(), "exec", cluster.run_dir(), node.name(),
                                           "--", agentctl_path(), "events", "--follow", "-n", "1",
                                           "-o", "json"},
                                          output);
    REQUIRE(follower.has_value());
    const int follower_pid = *follower;
    struct StopFollower {  // by PID, pass or fail
      int pid;
      ~StopFollower() {
        ::kill(pid, SIGTERM);
        eventually([&] { return ::kill(pid, 0) != 0 || process_state(pid) == 'Z'; }, 20s);
      }
    } stop_follower{follower_pid};
    // The newest event is printed first: from then on the follower is polling.
    REQUIRE(eventually([&] { return !followed_events(output).empty(); }));
    const std::uint64_t first_seq = followed_events(output).front().value("seq", 0ULL);
    REQUIRE(first_seq > 0);

    auto rewritten = new_event("apache-vhost", "pydio.conf");
    node.must({"rm", "/etc/apache2/sites-available/pydio.conf"});
    CHECK(eventually([&] { return node.file_exists("/etc/apache2/sites-available/pydio.conf"); }));
    CHECK(rewritten());
    // The repair reaches the follower as a new line, after the one it started with, while it
    // keeps running.
    CHECK(eventually([&] {
      for (const auto& event : followed_events(output)) {
        if (event.value("seq", 0ULL) > first_seq && event.value("resource", "") == "apache-vhost" &&
            event.value("action", "").find("pydio.conf") != std::string::npos)
          return true;
      }
      return false;
    }));
    CHECK(process_state(follower_pid) != 'Z');
    CHECK(::kill(follower_pid, 0) == 0);
  }

  {  // Apache is stopped (by its PID, as an operator would)
    auto started = new_event("apache-vhost", "start Apache");
    const int old_pid = apache_pid(node);
    REQUIRE(old_pid > 0);
    node.must({"kill", "-TERM", std::to_string(old_pid)});
    // The agent may start Apache again before a poll could see it down (that is its job), so
    // what is awaited is the end state: another Apache process serves.
    CHECK(eventually([&] {
      const int pid = apache_pid(node);
      return pid > 0 && pid != old_pid;
    }));
    CHECK(eventually(
        [&] { return node.http_get("http://198.18.0.1/pydio/check.txt").first == 200; }));
    CHECK(started());
  }

  {  // a layout directory is chowned to root
    auto repaired = new_event("pydio-layout", "/mnt/pydio-data/public");
    node.must({"chown", "root:root", "/mnt/pydio-data/public"});
    CHECK(eventually([&] {
      return node.must({"stat", "-c", "%U", "/mnt/pydio-data/public"}) == "www-data\n";
    }));
    CHECK(repaired());
  }

  {  // check.txt is deleted
    // From a healthy node: the Apache restart above may have made the health verdict flap, and
    // check-file removes check.txt by itself while the node is unhealthy.
    REQUIRE(wait_healthy(node));
    REQUIRE(eventually([&] { return node.file_exists("/var/www/pydio/check.txt"); }));
    auto recreated = new_event("check-file", "check.txt");
    node.must({"rm", "/var/www/pydio/check.txt"});
    CHECK(eventually([&] { return node.file_exists("/var/www/pydio/check.txt"); }));
    CHECK(recreated());
  }

  {  // the FUSE client of pydio-config freezes (SIGSTOP): a stat there never returns
    const int client = fuse_client_pid(node.agent_pid(), "/mnt/pydio-config");
    REQUIRE(client > 0);
    auto remounted = new_event("fuse-mount/pydio-config", "remount");
    REQUIRE(::kill(client, SIGSTOP) == 0);
    // The agent finds it hung, detaches it (umount -l) and mounts the volume again; the new
    // mount is probed on its own, so the node is healthy while the old client is still frozen.
    CHECK(eventually([&] { return count_events(node, "fuse-mount/pydio-config", "remount") > 0; },
                     180s));
    CHECK(remounted());
    CHECK(eventually([&] { return health_of(node).first == 200; }, 180s));
    CHECK(node.exec({"stat", "/mnt/pydio-config/appdata"}, 10s).succeeded());
    CHECK(process_state(client) == 'T');
    ::kill(client, SIGCONT);  // the detached client may now finish and exit
  }

  CHECK(eventually([&] { return health_of(node).first == 200; }));
}
