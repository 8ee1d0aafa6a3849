// Scenario: an operator installs the pydio-agent package on a Debian 12 machine with systemd
// as PID 1, runs a node with it, upgrades it and purges it.
// The machine is a systemd-nspawn container booted from the tree ./setup caches
// (test/container-tree), through a throwaway overlay; its network is its own namespace (lo and
// a veth pair whose two ends stay inside, 198.18.0.1). The packages are made from binaries
// already built (packaging/build-deb --prebuilt): the previous release's (test/upgrade-build-
// previous, as 0.1.0~prev) and this build's. Shown:
// - `apt-get install ./pydio-agent_*.deb` with no network: the dependencies are resolved from
//   what is installed; /etc/pydio-agent is 0700 root; the unit installed and enabled but not
//   started (no agent.json yet); agentctl and, once packaged, the man pages in place.
// - The unit is active only once the daemon said READY=1 (Type=notify) and its health port
//   answers then. The agent's systemd branch starts glusterd, Apache and MariaDB with
//   systemctl; the node, on directory bricks (no loop devices in the container), is healthy
//   with both volumes FUSE-mounted.
// - An upgrade restarts the agent (a new MainPID); the glusterfs FUSE clients (the same PIDs)
//   and the data stay. `systemctl stop` leaves the FUSE clients and Apache running;
//   `systemctl restart` with Apache answering every request meanwhile. Under systemd the
//   agent's journal entries carry fields (a repair found by RESOURCE= and OUTCOME=, with NODE
//   and PRIORITY). A main process that
//   stops responding (SIGSTOP) is killed by the watchdog and restarted by systemd.
// - `apt-get purge` removes /etc/pydio-agent and /var/lib/pydio-agent, never the bricks, the
//   volumes or the data on them; it stops the agent first (prerm).
// Everything is torn down pass or fail: the container is powered off (or killed) by PID, which
// ends its mount and network namespaces with the overlay in them; temporary files removed.

#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/runner.hpp"
#include "test/integration/support/nspawn_container.hpp"
#include "test/integration/support/sim_cluster.hpp"

using namespace pydio::test;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::string kAddress = "198.18.0.1";
const std::string kHealthUrl = "http://" + kAddress + ":8480/health";
const std::string kCheckUrl = "http://" + kAddress + "/pydio/check.txt";
const std::string kUnit = "pydio-agentd.service";
const std::string kPreviousVersion = "0.1.0~prev";
const std::string kKeptFile = "/mnt/pydio-data/public/kept.txt";
const std::string kKeptText = "written before the upgrade\n";

// A temporary directory on the host, removed pass or fail.
struct HostTemp {
  std::string path;
  HostTemp() {
    char pattern[] = "/tmp/pydio-it-package-debs.XXXXXX";
    REQUIRE(::mkdtemp(pattern) != nullptr);
    path = pattern;
  }
  ~HostTemp() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::string container_tree() {
  pydio::common::SystemRunner runner;
  auto path = runner.run(pydio::common::Command(
      {std::string(PYDIO_SOURCE_DIR) + "/test/container-tree", "path"}, 30s));
  REQUIRE(path.succeeded());
  return path.out.substr(0, path.out.find('\n'));
}

// packaging/build-deb --prebuilt: the .deb of an existing build directory, in `outdir`.
pydio::common::RunResult build_deb(const std::string& build_dir, const std::string& version,
                                   const std::string& outdir) {
  std::vector<std::string> argv = {std::string(PYDIO_SOURCE_DIR) + "/packaging/build-deb",
                                   "--prebuilt", build_dir};
  if (!version.empty()) argv.insert(argv.end(), {"--version", version});
  argv.push_back(outdir);
  pydio::common::SystemRunner runner;
  return runner.run(pydio::common::Command(argv, 600s));
}

// The one pydio-agent_*.deb in `dir`.
std::string deb_in(const std::string& dir) {
  std::vector<std::string> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("pydio-agent_", 0) == 0 && entry.path().extension() == ".deb")
      found.push_back(name);
  }
  INFO(dir);
  REQUIRE(found.size() == 1);
  return found.front();
}

std::map<std::string, std::string> unit_show(NspawnContainer& c, const std::string& unit,
                                             const std::vector<std::string>& properties) {
  std::vector<std::string> argv = {"systemctl", "show", unit};
  for (const auto& property : properties) argv.insert(argv.end(), {"-p", property});
  std::map<std::string, std::string> values;
  std::istringstream lines(c.must(argv, 30s));
  for (std::string line; std::getline(lines, line);) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) values[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return values;
}

int main_pid(NspawnContainer& c, const std::string& unit) {
  return std::atoi(unit_show(c, unit, {"MainPID"})["MainPID"].c_str());
}

std::string active_state(NspawnContainer& c, const std::string& unit) {
  return unit_show(c, unit, {"ActiveState"})["ActiveState"];
}

// The HTTP status `url` answered with inside the container's network; 0: no answer.
int http_code(NspawnContainer& c, const std::string& url) {
  auto result = c.run_in_network(
      {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", url}, 15s);
  return std::atoi(result.out.c_str());
}

// mountpoint -> PID of the glusterfs FUSE client serving it.
std::map<std::string, int> fuse_clients(NspawnContainer& c) {
  std::map<std::string, int> clients;
  std::istringstream lines(c.must({"ps", "-e", "-o", "pid=,args="}));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    int pid = 0;
    std::string program, word, last;
    if (!(words >> pid >> program) || program != "/usr/sbin/glusterfs") continue;
    bool fuse = false;
    while (words >> word) {
      if (word == "fuse") fuse = true;  // --process-name fuse
      last = word;
    }
    if (fuse) clients[last] = pid;
  }
  return clients;
}

std::set<std::string> fuse_mounts(NspawnContainer& c) {
  std::set<std::string> mounts;
  std::istringstream lines(
      c.run({"findmnt", "-n", "-l", "-t", "fuse.glusterfs", "-o", "TARGET"}).out);
  for (std::string line; std::getline(lines, line);) mounts.insert(line);
  return mounts;
}

nlohmann::json directory_brick_spec() {
  const nlohmann::json web = {
      {"docroot", "/var/www/pydio"}, {"alias", "/pydio"},
      {"healthFile", "check.txt"},   {"user", "www-data"},
      {"group", "www-data"},         {"publicUrl", "http://" + kAddress + "/pydio"}};
  return {
      {"apiVersion", "pydio-agent/v1"},
      {"generation", 1},
      {"cluster", {{"name", "pydio"}}},
      {"nodes",
       {{{"name", "node1"},
         {"address", kAddress},
         {"roles", {"storage", "compute", "db"}},
         // The container has no loop devices: directory bricks on its root filesystem.
         {"bricks",
          {{{"name", "data"}, {"directory", "/srv/pydio/data-brick"}, {"allowRootPartition", true}},
           {{"name", "config"},
            {"directory", "/srv/pydio/config-brick"},
            {"allowRootPartition", true}}}}}}},
      {"volumes",
       {{{"name", "pydio-data"},
         {"replica", 1},
         {"brick", "data"},
         {"mountpoint", "/mnt/pydio-data"}},
        {{"name", "pydio-config"},
         {"replica", 1},
         {"brick", "config"},
         {"mountpoint", "/mnt/pydio-config"}}}},
      {"web", web},
      {"database",
       {{"host", kAddress},
        {"name", "pydio"},
        {"user", "pydio"},
        {"allowedHosts", {"198.18.0.%"}}}}};
}

std::string agent_journal(NspawnContainer& c) {
  return c.run({"journalctl", "-u", kUnit, "--no-pager", "-n", "60"}).out;
}

bool wait_healthy(NspawnContainer& c, std::chrono::seconds deadline) {
  return eventually([&] { return http_code(c, kHealthUrl) == 200; }, deadline);
}

// Apache answering (any HTTP status) every ~100 ms on a thread of its own, until stopped.
class ApacheProbe {
 public:
  explicit ApacheProbe(NspawnContainer& c)
      : thread_([this, &c] {
          while (!stop_) {
            (http_code(c, kCheckUrl) > 0 ? answered_ : unanswered_)++;
            std::this_thread::sleep_for(100ms);
          }
        }) {}
  ~ApacheProbe() { finish(); }
  void finish() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int answered() const { return answered_; }
  int unanswered() const { return unanswered_; }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<int> answered_{0};
  std::atomic<int> unanswered_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("the package installed, upgraded and purged on a machine with systemd as PID 1",
          "[integration][package]") {
  const std::string previous_build = previous_release_binaries(PYDIO_PREVIOUS_RELEASE_DIR);
  NspawnContainer c(container_tree());
  c.boot();

  // The two packages are built while the container boots.
  HostTemp debs;
  fs::create_directories(debs.path + "/previous");
  fs::create_directories(debs.path + "/current");
  pydio::common::RunResult previous_deb, current_deb;
  {
    std::thread previous([&] {
      previous_deb = build_deb(previous_build, kPreviousVersion, debs.path + "/previous");
    });
    current_deb = build_deb(PYDIO_BUILD_DIR, "", debs.path + "/current");
    previous.join();
  }
  for (const auto* built : {&previous_deb, &current_deb}) {
    const std::string& err = built->err;
    INFO("build-deb: " << built->describe_failure({"build-deb"}) << "\n"
                       << err.substr(err.size() > 3000 ? err.size() - 3000 : 0));
    REQUIRE(built->succeeded());
  }
  const std::string previous_name = deb_in(debs.path + "/previous");
  const std::string current_name = deb_in(debs.path + "/current");
  CHECK(previous_name.find("_" + kPreviousVersion + "_") != std::string::npos);

  REQUIRE(c.wait_booted(120s));
  c.add_address(kAddress);
  fs::create_directories(c.host_path("/root/debs"));
  fs::copy_file(debs.path + "/previous/" + previous_name,
                c.host_path("/root/debs/" + previous_name));
  fs::copy_file(debs.path + "/current/" + current_name, c.host_path("/root/debs/" + current_name));

  {  // install with no network: every dependency is already on the machine
    auto install = c.run({"apt-get", "install", "-y", "/root/debs/" + previous_name}, 300s);
    INFO("apt-get install:\n" << install.out << install.err);
    REQUIRE(install.succeeded());
    CHECK_THAT(install.out, Catch::Contains("0 upgraded, 1 newly installed, 0 to remove"));
    CHECK_THAT(install.out, Catch::Contains("Setting up pydio-agent (" + kPreviousVersion + ")"));
    // postinst: nothing to start before the operator wrote agent.json, and it says so.
    CHECK_THAT(install.out + install.err, Catch::Contains("write /etc/pydio-agent/agent.json"));
    WARN("the package's Depends: " << c.must({"dpkg-query", "-W", "-f=${Depends}", "pydio-agent"}));
    CHECK(c.run({"apt-get", "check"}).succeeded());  // every dependency satisfied
    CHECK(c.must({"dpkg-query", "-W", "-f=${Status} ${Version}", "pydio-agent"}) ==
          "install ok installed " + kPreviousVersion);

    CHECK(c.must({"stat", "-c", "%a %U:%G", "/etc/pydio-agent"}) == "700 root:root\n");
    const std::string files = c.must({"dpkg", "-L", "pydio-agent"});
    CHECK_THAT(files, Catch::Contains("/lib/systemd/system/pydio-agentd.service"));
    CHECK(c.must({"systemctl", "is-enabled", kUnit}) == "enabled\n");
    CHECK(active_state(c, kUnit) == "inactive");
    CHECK(c.run({"agentctl", "--help"}).succeeded());
    for (const char* page :
         {"/usr/share/man/man8/agentctl.8.gz", "/usr/share/man/man8/pydio-agentd.8.gz"}) {
      if (files.find(page) == std::string::npos) {
        WARN(page << " is not in the package (no man pages packaged yet): not checked");
      } else {
        CHECK(c.run({"test", "-s", page}).succeeded());
      }
    }
  }

  c.write_file("/etc/pydio-agent/agent.json", "{\"nodeName\": \"node1\", \"address\": \"" +
                                                  kAddress + "\", \"healthListen\": \"" + kAddress +
                                                  ":8480\", \"passIntervalSeconds\": 10}\n");

  {  // Type=notify: activating until READY=1, and the health port answers once it is active
    const auto properties =
        unit_show(c, kUnit, {"Type", "NotifyAccess", "WatchdogUSec", "KillMode"});
    CHECK(properties.at("Type") == "notify");
    CHECK(properties.at("KillMode") == "process");
    c.must({"systemctl", "start", "--no-block", kUnit});
    std::vector<std::string> seen;
    const bool active = eventually(
        [&] {
          auto state = unit_show(c, kUnit, {"ActiveState", "SubState"});
          const std::string now = state["ActiveState"] + "/" + state["SubState"];
          if (seen.empty() || seen.back() != now) seen.push_back(now);
          return state["ActiveState"] == "active";
        },
        60s);
    std::string states;
    for (const auto& s : seen) states += s + " ";
    INFO("states seen: " << states << "\n" << agent_journal(c));
    REQUIRE(active);
    CHECK(http_code(c, kHealthUrl) != 0);
    const auto times =
        unit_show(c, kUnit, {"ExecMainStartTimestampMonotonic", "ActiveEnterTimestampMonotonic"});
    const long long exec_start = std::atoll(times.at("ExecMainStartTimestampMonotonic").c_str());
    const long long ready = std::atoll(times.at("ActiveEnterTimestampMonotonic").c_str());
    CHECK(ready > exec_start);
    WARN("unit states seen: " << states << "; READY=1 " << (ready - exec_start) / 1000
                              << " ms after the daemon was started");
  }

  {  // agentctl init: the agent starts glusterd, Apache and MariaDB with systemctl
    c.write_file("/root/spec.json", directory_brick_spec().dump(2));
    auto init = c.run({"agentctl", "init", "--spec", "/root/spec.json"}, 120s);
    INFO(init.out << init.err);
    REQUIRE(init.succeeded());
    const bool healthy = wait_healthy(c, 300s);
    INFO("status:\n" << c.run({"agentctl", "status"}).out << "\njournal:\n" << agent_journal(c));
    REQUIRE(healthy);
    for (const char* service : {"glusterd", "apache2", "mariadb"}) {
      INFO(service);
      CHECK(active_state(c, service) == "active");
      CHECK(main_pid(c, service) > 0);
    }
    CHECK(fuse_mounts(c) == std::set<std::string>{"/mnt/pydio-config", "/mnt/pydio-data"});
  }
  REQUIRE(c.run({"tee", kKeptFile}, 30s, kKeptText).succeeded());
  CHECK(c.read_file("/srv/pydio/data-brick/public/kept.txt") == kKeptText);

  const auto clients = fuse_clients(c);
  REQUIRE(clients.size() == 2);
  for (const auto& [mountpoint, pid] : clients) {
    // The mount command ran as the agent's child: its FUSE client lives in the agent's cgroup,
    // where KillMode=control-group would kill it at every stop.
    INFO(mountpoint << " client " << pid);
    CHECK_THAT(c.must({"cat", "/proc/" + std::to_string(pid) + "/cgroup"}), Catch::Contains(kUnit));
  }
  const auto same_clients = [&] {
    auto now = fuse_clients(c);
    INFO("clients before: " << clients.size() << ", now: " << now.size());
    CHECK(now == clients);
    CHECK(fuse_mounts(c) == std::set<std::string>{"/mnt/pydio-config", "/mnt/pydio-data"});
    CHECK(c.must({"cat", kKeptFile}) == kKeptText);
  };

  {  // upgrade: a restarted agent, the same FUSE clients, the data there
    const int before = main_pid(c, kUnit);
    auto upgrade = c.run({"apt-get", "install", "-y", "/root/debs/" + current_name}, 300s);
    INFO("apt-get install (upgrade):\n" << upgrade.out << upgrade.err);
    REQUIRE(upgrade.succeeded());
    CHECK_THAT(upgrade.out, Catch::Contains("over (" + kPreviousVersion + ")"));
    CHECK(c.must({"dpkg-query", "-W", "-f=${Version}", "pydio-agent"}) != kPreviousVersion);
    CHECK(eventually(
        [&] { return active_state(c, kUnit) == "active" && main_pid(c, kUnit) != before; }, 60s));
    CHECK(main_pid(c, kUnit) > 0);
    INFO(agent_journal(c));
    CHECK(wait_healthy(c, 120s));
    same_clients();
  }

  {  // the journal: the agent's entries carry fields an operator filters on
    c.must({"rm", "/etc/apache2/sites-available/pydio.conf"});
    std::string entries;
    const bool logged = eventually(
        [&] {
          entries = c.run({"journalctl", "-u", kUnit, "--no-pager", "-o", "json",
                           "RESOURCE=apache-vhost", "OUTCOME=ok"})
                        .out;
          return entries.find("pydio.conf") != std::string::npos;
        },
        120s);
    INFO("journalctl RESOURCE=apache-vhost OUTCOME=ok:\n" << entries << "\n" << agent_journal(c));
    REQUIRE(logged);
    bool one_with_every_field = false;
    std::istringstream lines(entries);
    for (std::string line; std::getline(lines, line);) {
      const auto entry = nlohmann::json::parse(line, nullptr, false);
      if (!entry.is_object() || entry.value("ACTION", "").find("pydio.conf") == std::string::npos)
        continue;
      one_with_every_field = entry.value("NODE", "") == "node1" &&
                             entry.value("PRIORITY", "") == "6" &&
                             entry.value("SYSLOG_IDENTIFIER", "") == "pydio-agentd";
      if (one_with_every_field) break;
    }
    CHECK(one_with_every_field);
    CHECK(eventually([&] { return c.run({"test", "-f", "/etc/apache2/sites-available/pydio.conf"})
                                      .succeeded(); }));
  }

  {  // stop: only the agent; the FUSE clients and Apache keep serving
    const int apache = main_pid(c, "apache2.service");
    c.must({"systemctl", "stop", kUnit}, 90s);
    CHECK(active_state(c, kUnit) == "inactive");
    same_clients();
    CHECK(main_pid(c, "apache2.service") == apache);
    CHECK(http_code(c, kCheckUrl) == 200);
    CHECK(active_state(c, "glusterd.service") == "active");
  }

  // From here a short watchdog (the unit's 30 s would make the test wait that long): a drop-in
  // in the container's /etc, as an operator would add one.
  c.write_file("/etc/systemd/system/pydio-agentd.service.d/50-test-watchdog.conf",
               "[Service]\nWatchdogSec=6s\n");
  c.must({"systemctl", "daemon-reload"});
  c.must({"systemctl", "start", kUnit}, 90s);
  REQUIRE(wait_healthy(c, 120s));

  {  // restart: Apache answers every request meanwhile; a new agent process
    const int before = main_pid(c, kUnit);
    ApacheProbe probe(c);
    std::this_thread::sleep_for(1s);
    c.must({"systemctl", "restart", kUnit}, 90s);
    CHECK(wait_healthy(c, 120s));
    probe.finish();
    WARN("Apache answered " << probe.answered() << " requests during the restart, "
                            << probe.unanswered() << " unanswered");
    CHECK(probe.unanswered() == 0);
    CHECK(probe.answered() >= 5);
    CHECK(main_pid(c, kUnit) != before);
    same_clients();
  }

  {  // watchdog: a main process that stops answering is killed and restarted by systemd
    const int hung = main_pid(c, kUnit);
    REQUIRE(hung > 0);
    c.must({"kill", "-STOP", std::to_string(hung)});
    const bool replaced = eventually(
        [&] { return main_pid(c, kUnit) != hung && active_state(c, kUnit) == "active"; }, 90s);
    const std::string journal = agent_journal(c);
    INFO(journal);
    CHECK(replaced);
    CHECK_THAT(journal, Catch::Contains("Watchdog timeout"));
    CHECK(std::atoi(unit_show(c, kUnit, {"NRestarts"})["NRestarts"].c_str()) >= 1);
    CHECK(wait_healthy(c, 120s));
    same_clients();
  }

  {  // purge: what the package added goes; bricks, volumes and data stay
    auto purge = c.run({"apt-get", "purge", "-y", "pydio-agent"}, 300s);
    INFO("apt-get purge:\n" << purge.out << purge.err);
    REQUIRE(purge.succeeded());
    for (const char* path : {"/etc/pydio-agent", "/var/lib/pydio-agent", "/usr/sbin/pydio-agentd",
                             "/usr/sbin/agentctl", "/lib/systemd/system/pydio-agentd.service"}) {
      INFO(path);
      CHECK_FALSE(fs::exists(c.host_path(path)));
    }
    CHECK(c.run({"dpkg-query", "-W", "-f=${Status}", "pydio-agent"}).out.find("installed") ==
          std::string::npos);
    // The agent was stopped before its files went (prerm), not left running a deleted binary.
    CHECK(active_state(c, kUnit) == "inactive");
    CHECK(c.must({"ps", "-e", "-o", "comm="}).find("pydio-agentd") == std::string::npos);
    same_clients();
    CHECK(c.read_file("/srv/pydio/data-brick/public/kept.txt") == kKeptText);
    for (const char* volume : {"pydio-data", "pydio-config"}) {
      INFO(volume);
      CHECK_THAT(c.must({"gluster", "--mode=script", "volume", "info", volume}),
                 Catch::Contains("Status: Started"));
    }
    CHECK(active_state(c, "apache2.service") == "active");
  }
}
