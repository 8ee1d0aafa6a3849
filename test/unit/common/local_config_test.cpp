#include "common/local_config.hpp"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

using pydio::common::load_local_config;
using pydio::common::load_secrets;
using pydio::common::LocalConfig;
using pydio::common::save_secrets;
using pydio::common::Secrets;
using pydio::common::ServiceManager;

// A private directory under /tmp, removed with its files when the test ends.
class TempDir {
 public:
  TempDir() {
    char name[] = "/tmp/pydio-local-config-test.XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path_ = name;
  }
  ~TempDir() {
    for (const auto& file : files()) ::unlink((path_ + "/" + file).c_str());
    ::rmdir(path_.c_str());
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

  std::string write(const std::string& name, const std::string& text, mode_t mode = 0600) const {
    const std::string file = path_ + "/" + name;
    {
      std::ofstream out(file, std::ios::trunc);
      out << text;
    }
    REQUIRE(::chmod(file.c_str(), mode) == 0);
    return file;
  }

  std::vector<std::string> files() const {
    std::vector<std::string> names;
    DIR* dir = ::opendir(path_.c_str());
    if (dir == nullptr) return names;
    while (const dirent* entry = ::readdir(dir)) {
      const std::string name = entry->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    ::closedir(dir);
    return names;
  }

 private:
  std::string path_;
};

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

bool contains_line(const std::vector<std::string>& lines, const std::string& line) {
  for (const auto& candidate : lines) {
    if (candidate == line) return true;
  }
  return false;
}

mode_t mode_of(const std::string& path) {
  struct stat info {};
  REQUIRE(::stat(path.c_str(), &info) == 0);
  return info.st_mode & 07777;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

TEST_CASE("agent.json: required fields and defaults", "[local_config]") {
  TempDir dir;
  const auto path = dir.write("agent.json", R"({"nodeName": "node1", "address": "198.18.0.1"})");
  const auto config = load_local_config(path);
  INFO((config ? "" : config.status().message()));
  REQUIRE(config);
  CHECK(config->node_name == "node1");
  CHECK(config->address == "198.18.0.1");
  const LocalConfig defaults;
  CHECK(config->health_listen == "0.0.0.0:8480");
  CHECK(config->admin_socket == "/run/pydio-agent/admin.sock");
  CHECK(config->state_dir == "/var/lib/pydio-agent");
  CHECK(config->secrets_path == "/etc/pydio-agent/secrets.json");
  CHECK(config->services == ServiceManager::kAuto);
  CHECK(config->pass_interval_seconds == 60);
  CHECK(config->lease_seconds == 3);
  CHECK(config->apache_config_dir == defaults.apache_config_dir);
  CHECK(config->mysql_datadir == "/var/lib/mysql");
  CHECK(config->mysql_socket == "/run/mysqld/mysqld.sock");
  CHECK(config->install_packages);
  CHECK(config->php_probe_dir == "/var/www/pydio-agent");
  CHECK(config->metrics_listen == "198.18.0.1:8483");  // the private address, not 0.0.0.0
}

TEST_CASE("agent.json: metricsListen moves or turns off the metrics listener", "[local_config]") {
  TempDir dir;
  SECTION("another address and port") {
    const auto config = load_local_config(dir.write(
        "agent.json",
        R"({"nodeName": "n1", "address": "198.18.0.1", "metricsListen": "127.0.0.1:9100"})"));
    REQUIRE(config);
    CHECK(config->metrics_listen == "127.0.0.1:9100");
  }
  SECTION("\"\" turns it off") {
    const auto config = load_local_config(dir.write(
        "agent.json", R"({"nodeName": "n1", "address": "198.18.0.1", "metricsListen": ""})"));
    REQUIRE(config);
    CHECK(config->metrics_listen.empty());
  }
  SECTION("anything else is refused, naming the field") {
    const auto path = dir.write(
        "agent.json", R"({"nodeName": "n1", "address": "198.18.0.1", "metricsListen": "8483"})");
    const auto config = load_local_config(path);
    REQUIRE_FALSE(config);
    CHECK_THAT(config.status().message(),
               Catch::Contains(path + ": metricsListen: must be \"<IPv4 address>:<port>\"") &&
                   Catch::Contains("got \"8483\" (or \"\" for no metrics listener)"));
  }
}

TEST_CASE("agent.json: every field set", "[local_config]") {
  TempDir dir;
  const auto path = dir.write("agent.json", R"({
    "nodeName": "node2", "address": "198.18.0.2", "healthListen": "198.18.0.2:9000",
    "adminSocket": "/run/node2/admin.sock", "stateDir": "/var/lib/node2",
    "secretsPath": "/etc/node2/secrets.json", "services": "direct",
    "passIntervalSeconds": 5, "leaseSeconds": 6, "apacheConfigDir": "/etc/node2/apache2",
    "mysqlDatadir": "/var/lib/node2/mysql", "mysqlSocket": "/run/node2/mysqld.sock",
    "installPackages": false, "phpProbeDir": "/srv/probe"})");
  const auto config = load_local_config(path);
  INFO((config ? "" : config.status().message()));
  REQUIRE(config);
  CHECK(config->node_name == "node2");
  CHECK(config->health_listen == "198.18.0.2:9000");
  CHECK(config->admin_socket == "/run/node2/admin.sock");
  CHECK(config->state_dir == "/var/lib/node2");
  CHECK(config->secrets_path == "/etc/node2/secrets.json");
  CHECK(config->services == ServiceManager::kDirect);
  CHECK(config->pass_interval_seconds == 5);
  CHECK(config->lease_seconds == 6);
  CHECK(config->apache_config_dir == "/etc/node2/apache2");
  CHECK(config->mysql_datadir == "/var/lib/node2/mysql");
  CHECK(config->mysql_socket == "/run/node2/mysqld.sock");
  CHECK_FALSE(config->install_packages);
  CHECK(config->php_probe_dir == "/srv/probe");
}

TEST_CASE("agent.json: every problem is one line naming the file and field", "[local_config]") {
  TempDir dir;
  const auto path = dir.write("agent.json", R"({
    "nodeName": "node 1", "healthListen": "localhost", "adminSocket": "run/admin.sock",
    "stateDir": "/var/lib/../tmp", "services": "upstart", "passIntervalSeconds": 0,
    "leaseSeconds": "10", "mysqlSocket": 3, "dbPassword": "x", "color": "blue"})");
  const auto config = load_local_config(path);
  REQUIRE_FALSE(config);
  const auto lines = lines_of(config.status().message());
  INFO(config.status().message());
  const std::string p = path + ": ";
  CHECK(lines.size() == 11);
  CHECK(contains_line(lines, p + "nodeName: must match [A-Za-z0-9_.-]+, got \"node 1\""));
  CHECK(contains_line(lines, p + "address: required"));
  CHECK(contains_line(lines, p + "healthListen: must be \"<IPv4 address>:<port>\", e.g. "
                                 "0.0.0.0:8480, got \"localhost\""));
  CHECK(contains_line(lines, p + "adminSocket: must be an absolute path without \"..\", got "
                                 "\"run/admin.sock\""));
  CHECK(contains_line(lines, p + "stateDir: must be an absolute path without \"..\", got "
                                 "\"/var/lib/../tmp\""));
  CHECK(contains_line(
      lines, p + "services: must be \"auto\", \"systemd\" or \"direct\", got \"upstart\""));
  CHECK(contains_line(lines, p + "passIntervalSeconds: must be between 1 and 3600"));
  CHECK(contains_line(lines, p + "leaseSeconds: must be an integer, got string"));
  CHECK(contains_line(lines, p + "mysqlSocket: must be a string, got integer"));
  CHECK(contains_line(lines, p + "color: unknown field"));
  CHECK(contains_line(lines, p + "dbPassword: unknown field (secrets belong in the secrets "
                                 "file (secretsPath), not in agent.json)"));
}

TEST_CASE("agent.json: malformed, missing, out of range", "[local_config]") {
  TempDir dir;
  SECTION("malformed JSON names the position") {
    const auto path = dir.write("agent.json", "{\"nodeName\": \"node1\",}");
    const auto config = load_local_config(path);
    REQUIRE_FALSE(config);
    CHECK(config.status().message().rfind(path + ": document: malformed JSON at line 1, column ",
                                          0) == 0);
  }
  SECTION("missing file") {
    const auto config = load_local_config(dir.path() + "/absent.json");
    REQUIRE_FALSE(config);
    CHECK(config.status().message() ==
          "local config: open " + dir.path() + "/absent.json: No such file or directory");
  }
  SECTION("lease bounds") {
    const auto path =
        dir.write("agent.json", R"({"nodeName": "n", "address": "198.18.0.1", "leaseSeconds": 1})");
    const auto config = load_local_config(path);
    REQUIRE_FALSE(config);
    CHECK(config.status().message() == path + ": leaseSeconds: must be between 3 and 300");
  }
}

TEST_CASE("secrets.json: save then load", "[local_config][secrets]") {
  TempDir dir;
  const std::string path = dir.path() + "/secrets.json";
  const Secrets secrets{"db pass \"with\" quotes", "lease-pass"};
  REQUIRE(save_secrets(path, secrets).is_ok());
  CHECK(mode_of(path) == 0600);
  CHECK(dir.files() == std::vector<std::string>{"secrets.json"});  // no temporary file left

  const auto loaded = load_secrets(path);
  INFO((loaded ? "" : loaded.status().message()));
  REQUIRE(loaded);
  CHECK(loaded->db_password == secrets.db_password);
  CHECK(loaded->lease_password == secrets.lease_password);

  SECTION("replacing a file that had loose permissions leaves 0600") {
    dir.write("secrets.json", "{}", 0644);
    const mode_t old_umask = ::umask(0);
    const auto saved = save_secrets(path, Secrets{"", "lease"});
    ::umask(old_umask);
    REQUIRE(saved.is_ok());
    CHECK(mode_of(path) == 0600);
    CHECK(read_text(path) == "{\n  \"leasePassword\": \"lease\"\n}\n");
    const auto reloaded = load_secrets(path);
    REQUIRE(reloaded);
    CHECK(reloaded->lease_password == "lease");
    CHECK(reloaded->db_password.empty());
  }
  SECTION("the join token older versions kept here is read and dropped at the next save") {
    dir.write("secrets.json",
              "{\"joinToken\": \"abcdef.0123456789abcdef\", \"dbPassword\": \"db\"}", 0600);
    const auto old = load_secrets(path);
    INFO((old ? "" : old.status().message()));
    REQUIRE(old);
    CHECK(old->db_password == "db");
    CHECK(old->has_dropped_fields);
    REQUIRE(save_secrets(path, *old).is_ok());
    CHECK(read_text(path).find("abcdef") == std::string::npos);
  }
  SECTION("a missing directory is reported, not silently created elsewhere") {
    const auto saved = save_secrets(dir.path() + "/no/such/secrets.json", secrets);
    REQUIRE_FALSE(saved.is_ok());
    CHECK(saved.message().find("save secrets file " + dir.path() + "/no/such/secrets.json") == 0);
  }
}

TEST_CASE("secrets.json: refused when group or others have any access", "[local_config][secrets]") {
  TempDir dir;
  for (const mode_t mode : {mode_t{0644}, mode_t{0640}, mode_t{0604}, mode_t{0660}, mode_t{0610}}) {
    const auto path = dir.write("secrets.json", R"({"joinToken": "a.b"})", mode);
    const auto loaded = load_secrets(path);
    REQUIRE_FALSE(loaded);
    char octal[8];
    std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(mode));
    CHECK(loaded.status().message() ==
          "secrets file " + path + " has mode " + octal + "; must be 0600 (chmod 600 it)");
  }
  SECTION("0400 is fine") {
    const auto path = dir.write("secrets.json", R"({"joinToken": "a.b"})", 0400);
    CHECK(load_secrets(path));
  }
}

TEST_CASE("secrets.json: strict content without echoing secrets", "[local_config][secrets]") {
  TempDir dir;
  SECTION("unknown fields, wrong types, empty values") {
    const auto path =
        dir.write("secrets.json", R"({"joinToken": "", "dbPassword": 12, "password": "hunter2"})");
    const auto loaded = load_secrets(path);
    REQUIRE_FALSE(loaded);
    const auto lines = lines_of(loaded.status().message());
    const std::string p = "secrets file " + path + ": ";
    INFO(loaded.status().message());
    CHECK(lines.size() == 3);
    CHECK(contains_line(lines, p + "joinToken: must not be empty (omit the field instead)"));
    CHECK(contains_line(lines, p + "dbPassword: must be a string, got integer"));
    CHECK(contains_line(lines, p + "password: unknown field"));
    CHECK(loaded.status().message().find("hunter2") == std::string::npos);
  }
  SECTION("malformed JSON does not quote the text near the error") {
    const auto path = dir.write("secrets.json", R"({"dbPassword": "s3cr3t-value" "x"})");
    const auto loaded = load_secrets(path);
    REQUIRE_FALSE(loaded);
    INFO(loaded.status().message());
    CHECK(loaded.status().message().rfind(
              "secrets file " + path + ": document: malformed JSON at line 1", 0) == 0);
    CHECK(loaded.status().message().find("s3cr3t") == std::string::npos);
  }
  SECTION("missing file") {
    const auto loaded = load_secrets(dir.path() + "/absent.json");
    REQUIRE_FALSE(loaded);
    CHECK(loaded.status().message() ==
          "secrets file " + dir.path() + "/absent.json: No such file or directory");
  }
}
