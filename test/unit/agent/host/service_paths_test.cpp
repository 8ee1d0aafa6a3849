// Where directly started services keep pid and option files.
#include <catch2/catch.hpp>

#include "agent/host/service_paths.hpp"
#include "agent/host/services.hpp"

using namespace pydio::agent;

TEST_CASE("pid and option file locations", "[services]") {
  pydio::common::LocalConfig local;
  CHECK(apache_pid_file("/etc/apache2") == "/run/apache2/apache2.pid");
  CHECK(apache_pid_file("/etc/apache2-node1") == "/run/apache2-node1/apache2.pid");
  CHECK(mariadb_pid_file(local) == "/run/mysqld/mysqld.pid");
  CHECK(mariadb_runtime_dir(local) == "/run/mysqld");
  local.mysql_socket = "/tmp/db/mysqld.sock";
  CHECK(mariadb_pid_file(local) == "/tmp/db/mysqld.pid");
  CHECK(mariadb_runtime_dir(local) == "/tmp/db");
  local.mysql_socket = "/mysqld.sock";
  CHECK(mariadb_pid_file(local) == "/mysqld.pid");
  local.state_dir = "/var/lib/pydio-agent";
  CHECK(mariadb_defaults_file(local) == "/var/lib/pydio-agent/mariadb.cnf");
  CHECK(service_name(Service::kApache) == "apache2");
  CHECK(service_name(Service::kMariadb) == "mariadb");
  CHECK(service_name(Service::kGlusterd) == "glusterd");
}

TEST_CASE("pid files are parsed strictly", "[services]") {
  CHECK(parse_pid_file("1234\n") == 1234);
  CHECK(parse_pid_file("  77 ") == 77);
  CHECK_FALSE(parse_pid_file("").has_value());
  CHECK_FALSE(parse_pid_file("0\n").has_value());
  CHECK_FALSE(parse_pid_file("-5").has_value());
  CHECK_FALSE(parse_pid_file("12 34").has_value());
  CHECK_FALSE(parse_pid_file("99999999999").has_value());
}
