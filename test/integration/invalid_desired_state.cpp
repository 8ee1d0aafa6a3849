// Story: the node is healthy on generation 1. Someone pushes a broken generation 2 straight to
// the daemon's admin API (bypassing agentctl's own validation). The daemon rejects it with the
// problems by JSON path, nothing on the node changes, status shows the error, and generation 1
// stays in force — also after a restart of the agent.
// Then hostile documents, each aiming root at something it must never touch (/etc as docroot,
// a brick at /etc, the root database account, "%.%", a gluster option "--log-file=...", an
// overflowing generation), are refused the same way, naming the field. Last, the web user
// plants a symlink and then a FIFO where the health file lives: the agent refuses them by
// name, follows neither, and /health keeps answering. After a restart, the web user swaps a
// directory on the docroot's path for a link to /etc: the agent names the link in status,
// creates nothing under /etc, and /health keeps answering.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cstdint>
#include <fstream>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "support/sim_cluster.hpp"

using namespace pydio::test;

namespace {

// POSTs the document in `path` to the daemon's admin API: {body, HTTP code}.
std::pair<std::string, int> push(SimNode& node, const std::string& path) {
  auto pushed = node.exec({"curl", "-s", "-w", "\n%{http_code}", "--unix-socket",
                           "/run/pydio-agent/admin.sock", "-X", "POST", "--data-binary", "@" + path,
                           "http://agent/v1/desired-state"});
  REQUIRE(pushed.succeeded());
  const auto newline = pushed.out.rfind('\n');
  REQUIRE(newline != std::string::npos);
  return {pushed.out.substr(0, newline), std::atoi(pushed.out.c_str() + newline + 1)};
}

// The last error of resource `name` in `agentctl status`, "" when none.
std::string resource_error(SimNode& node, const std::string& name) {
  const nlohmann::json status = node.status();
  if (!status.is_object() || !status.contains("resources")) return "";
  for (const auto& resource : status["resources"]) {
    if (resource.value("name", "") == name && resource["lastError"].is_string()) {
      return resource["lastError"].get<std::string>();
    }
  }
  return "";
}

// Runs `command` inside the node as the web user, as a PHP bug would.
void as_web_user(SimNode& node, const std::string& command) {
  node.must({"su", "-s", "/bin/sh", "www-data", "-c", command});
}

}  // namespace

TEST_CASE("an invalid desired state is never acted upon", "[integration]") {
  SimCluster cluster;
  SimNode& node = bring_up_healthy_single_node(cluster);
  const std::string fstab_before = node.read_file("/etc/fstab");
  const std::string vhost_before = node.read_file("/etc/apache2/sites-available/pydio.conf");
  const auto mounts_before = node.fuse_mounts();
  // Read back below: an empty read now would make those comparisons pass whatever happens.
  REQUIRE_FALSE(fstab_before.empty());
  REQUIRE_FALSE(vhost_before.empty());
  REQUIRE(mounts_before.size() == 2);

  nlohmann::json broken = single_node_spec(node, "/dev/loop-unused", 2);
  broken["volumes"][0]["replica"] = 0;
  broken["web"]["alias"] = "pydio-without-slash";
  broken["nodes"][0]["roles"].push_back("mainframe");
  const std::string path = cluster.run_dir() + "/broken.json";
  std::ofstream(path) << broken.dump(2);

  {  // agentctl validate names every problem by its JSON path and exits 1
    auto validated = node.agentctl({"validate", path});
    CHECK(validated.exit_code == 1);
    CHECK_THAT(validated.out + validated.err, Catch::Contains("volumes[0].replica"));
    CHECK_THAT(validated.out + validated.err, Catch::Contains("web.alias"));
    CHECK_THAT(validated.out + validated.err, Catch::Contains("nodes[0].roles[3]"));
  }

  {  // pushed directly to the daemon: 422 with the problems
    auto pushed = node.exec({"curl", "-s", "-w", "\n%{http_code}", "--unix-socket",
                             "/run/pydio-agent/admin.sock", "-X", "POST", "--data-binary",
                             "@" + path, "http://agent/v1/desired-state"});
    REQUIRE(pushed.succeeded());
    CHECK_THAT(pushed.out, Catch::EndsWith("422"));
    CHECK_THAT(pushed.out, Catch::Contains("volumes[0].replica"));
  }

  {  // status says why; generation 1 stays in force; the node stays healthy and unchanged
    auto status = node.status();
    REQUIRE(status.is_object());
    CHECK(status["generation"] == 1);
    REQUIRE(status["desiredError"].is_string());
    CHECK_THAT(status["desiredError"].get<std::string>(), Catch::Contains("volumes[0].replica"));
    auto [code, body] = health_of(node);
    CHECK(code == 200);
    CHECK_THAT(body, Catch::Contains("volumes[0].replica"));  // a warning in the health body
    CHECK(node.read_file("/etc/fstab") == fstab_before);
    CHECK(node.read_file("/etc/apache2/sites-available/pydio.conf") == vhost_before);
    CHECK(node.fuse_mounts() == mounts_before);
  }

  {  // hostile documents: each refused, naming the field; nothing changes
    const std::string volumes_before =
        node.must({"gluster", "--mode=script", "volume", "info", "all"});
    REQUIRE_THAT(volumes_before, Catch::Contains("/srv/pydio/config-brick"));
    const std::string ports_before = node.read_file("/etc/apache2/ports.conf");
    REQUIRE_FALSE(ports_before.empty());
    struct Hostile {
      const char* pointer;
      nlohmann::json value;
      std::string error;  // the start of the error line
    };
    std::vector<Hostile> hostile = {
        {"/web/docroot", "/etc", "web.docroot: must not be under /etc"},
        {"/web/healthFile", "../etc/shadow", "web.healthFile: must be a plain file name"},
        {"/volumes/1/mountpoint", "/etc/apache2/conf-enabled",
         "volumes[1].mountpoint: must not be under /etc"},
        {"/nodes/0/bricks/1/directory", "/etc", "nodes[0].bricks[1].directory: must not be under"},
        {"/nodes/0/bricks/0/mountpoint", "/var/lib/mysql",
         "nodes[0].bricks[0].mountpoint: must not be under /var/lib/mysql"},
        {"/web/user", "root", "web.user: \"root\" is reserved"},
        {"/web/group", "mysql", "web.group: \"mysql\" is reserved"},
        {"/database/user", "root", "database.user: \"root\" is reserved"},
        {"/database/user", "pydio_agent", "database.user: \"pydio_agent\" is reserved"},
        {"/database/name", "mysql", "database.name: \"mysql\" is reserved"},
        {"/database/allowedHosts", {"%.%"}, "database.allowedHosts[0]: \"%.%\" would allow"},
        {"/volumes/0/options/network.ping-timeout", "--log-file=/etc/pwned",
         "volumes[0].options.network.ping-timeout: must not start with \"-\""},
        {"/generation", std::numeric_limits<std::int64_t>::max(),
         "generation: must be at most 9007199254740991"},
    };
    // Every directory, account and schema the issue names, written out here (not taken from
    // the validator's own lists: a name dropped from them fails this test).
    for (std::string dir : {"/usr", "/bin", "/sbin", "/lib", "/lib64", "/boot", "/proc", "/sys",
                            "/dev", "/run", "/var/lib/mysql", "/var/lib/glusterd",
                            "/var/lib/pydio-agent"})  // (/etc/pydio-agent: under /etc, above)
      hostile.push_back({"/web/docroot", dir + "/pydio", "web.docroot: must not be under " + dir});
    for (std::string user : {"root", "mariadb.sys", "mysql", "pydio_agent"})
      hostile.push_back({"/database/user", user, "database.user: \"" + user + "\" is reserved"});
    for (std::string schema :
         {"mysql", "information_schema", "performance_schema", "sys", "pydio_agent"})
      hostile.push_back(
          {"/database/name", schema, "database.name: \"" + schema + "\" is reserved"});
    for (const auto& attempt : hostile) {
      nlohmann::json document = single_node_spec(node, "/dev/loop-unused", 2);
      document[nlohmann::json::json_pointer(attempt.pointer)] = attempt.value;
      const std::string hostile_path = cluster.run_dir() + "/hostile.json";
      std::ofstream(hostile_path) << document.dump(2);
      auto [body, code] = push(node, hostile_path);
      INFO(attempt.pointer << " = " << attempt.value.dump() << ": " << body);
      CHECK(code == 422);
      const auto answer = nlohmann::json::parse(body, nullptr, false);
      REQUIRE(answer.is_object());
      REQUIRE(answer["errors"].is_array());
      CHECK(answer["errors"].size() == 1);  // the hostile field, and only it
      CHECK_THAT(answer["errors"][0].get<std::string>(), Catch::StartsWith(attempt.error));
      auto status = node.status();
      REQUIRE(status.is_object());
      CHECK(status["generation"] == 1);
      REQUIRE(status["desiredError"].is_string());
      CHECK_THAT(status["desiredError"].get<std::string>(), Catch::Contains(attempt.error));
    }
    CHECK(health_of(node).first == 200);
    CHECK(node.must({"gluster", "--mode=script", "volume", "info", "all"}) == volumes_before);
    CHECK(node.file_absent("/etc/check.txt"));
    CHECK(node.file_absent("/etc/pwned"));
    CHECK(node.read_file("/etc/apache2/ports.conf") == ports_before);
    CHECK(node.read_file("/etc/fstab") == fstab_before);
    CHECK(node.read_file("/etc/apache2/sites-available/pydio.conf") == vhost_before);
    CHECK(node.fuse_mounts() == mounts_before);
  }

  {  // the web user plants a symlink, then a FIFO, where the health file lives
    const std::string check = "/var/www/pydio/check.txt";
    const std::string target = "/etc/apache2/ports.conf";
    const std::string target_before = node.read_file(target);
    REQUIRE(node.read_file(check) == "OK\n");
    // A Pydio install gives the web user its docroot.
    node.must({"chown", "www-data:www-data", "/var/www/pydio"});
    as_web_user(node, "rm -f " + check + " && ln -s " + target + " " + check);

    CHECK(eventually([&] {
      return resource_error(node, "check-file").find(check + ": a symbolic link is in the way") !=
             std::string::npos;
    }));
    INFO("check-file: " << resource_error(node, "check-file"));
    CHECK(node.read_file(target) == target_before);
    CHECK(node.must({"readlink", check}) == target + "\n");  // neither followed nor removed
    CHECK(health_of(node).first != 0);                       // /health keeps answering

    as_web_user(node, "rm -f " + check + " && mkfifo " + check);
    CHECK(eventually([&] {
      return resource_error(node, "check-file").find(check + ": a FIFO is in the way") !=
             std::string::npos;
    }));
    CHECK(node.must({"stat", "-c", "%F", check}) == "fifo\n");
    CHECK(health_of(node).first != 0);

    // Once the web user clears the way, the agent (never stuck on the FIFO) writes it again.
    as_web_user(node, "rm -f " + check);
    CHECK(eventually([&] { return node.file_exists(check) && node.read_file(check) == "OK\n"; }));
    CHECK(node.must({"stat", "-c", "%U %F", check}) == "root regular file\n");
    CHECK(node.read_file(target) == target_before);
  }

  {  // after a restart the persisted generation 1 is still the one in force
    node.stop_agent(SIGTERM);
    node.start_agent();
    REQUIRE(node.wait_agent_ready());
    CHECK(eventually([&] { return health_of(node).first == 200; }));
    CHECK(node.status()["generation"] == 1);
  }

  {  // the web user swaps a directory on the docroot's path for a link to /etc
    auto document =
        nlohmann::json::parse(node.read_file("/var/lib/pydio-agent/desired-state.json"));
    document["web"]["docroot"] = "/var/www/pydio/app/public";  // below the web user's directory
    const std::string path = cluster.run_dir() + "/deeper-docroot.json";
    std::ofstream(path) << document.dump(2);
    const auto applied = node.agentctl({"apply", "--spec", path});
    INFO(applied.out << applied.err);
    REQUIRE(applied.succeeded());
    const std::string check = "/var/www/pydio/app/public/check.txt";
    REQUIRE(eventually([&] { return node.file_exists(check); }));  // created as root, 0755

    as_web_user(node, "cd /var/www/pydio && mv app app.away && ln -s /etc app");
    const std::string named = "/var/www/pydio/app is a symbolic link to /etc, not a directory";
    // apache-vhost names it (check-file, which depends on it, waits meanwhile).
    CHECK(eventually([&] {
      return resource_error(node, "apache-vhost").find(named) != std::string::npos;
    }));
    INFO("apache-vhost: " << resource_error(node, "apache-vhost"));
    CHECK(node.file_absent("/etc/public"));  // nothing made through the link
    CHECK(node.file_absent("/etc/check.txt"));
    CHECK(health_of(node).first != 0);  // /health keeps answering

    // Once the web user removes the link, the agent carries on there: it makes the docroot's
    // directories again itself. (Moving app.away back raced the agent, which may make app/
    // between the web user's rm and mv: the mv then failed, seen in a fresh-clone run.)
    as_web_user(node, "cd /var/www/pydio && rm app");
    CHECK(eventually([&] {
      return resource_error(node, "apache-vhost").empty() &&
             resource_error(node, "check-file").empty() && node.file_exists(check) &&
             health_of(node).first == 200;
    }));
    CHECK(node.file_absent("/etc/public"));
  }
}
