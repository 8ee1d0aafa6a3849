#include "test/integration/support/private_mariadb.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

namespace pydio::test {

namespace {

bool gone(int pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  // A zombie waiting for a reaper that may never come (PID 1 in a container) is gone too.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  auto paren = text.rfind(')');
  return paren == std::string::npos || (paren + 2 < text.size() && text[paren + 2] == 'Z');
}

}  // namespace

int free_local_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  socklen_t length = sizeof address;
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  ::close(fd);
  return ntohs(address.sin_port);
}

void stop_pid(int pid, std::chrono::milliseconds grace) {
  if (pid <= 0 || gone(pid)) return;
  ::kill(pid, SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + grace;
  while (!gone(pid) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  if (!gone(pid)) {
    ::kill(pid, SIGKILL);
    while (!gone(pid)) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

common::Status PrivateMariadb::start() {
  using common::Status;
  char pattern[] = "/tmp/pydio-it-mariadb.XXXXXX";
  if (::mkdtemp(pattern) == nullptr) return Status::error("mkdtemp: " + std::string(strerror(errno)));
  dir_ = pattern;
  socket_ = dir_ + "/mysqld.sock";
  struct passwd* mysql = ::getpwnam("mysql");
  if (mysql == nullptr) return Status::error("no user mysql");
  if (::chown(dir_.c_str(), mysql->pw_uid, mysql->pw_gid) != 0) {
    return Status::error("chown " + dir_ + ": " + strerror(errno));
  }
  // tmpdir: its own, not the shared /tmp (a starting mariadbd removes every "#sql*" file of
  // its tmpdir, another server's temporary tables included: db_server_resource.cpp).
  common::Command install(
      {"mariadb-install-db", "--no-defaults", "--user=mysql", "--datadir=" + dir_ + "/data",
       "--tmpdir=" + dir_, "--auth-root-authentication-method=socket", "--skip-test-db"},
      std::chrono::seconds(120));
  common::RunResult installed = runner_.run(install);
  if (!installed.succeeded()) return Status::error(installed.describe_failure(install.argv));

  port_ = free_local_port();
  auto pid = runner_.spawn_detached(
      {"mariadbd", "--no-defaults", "--user=mysql", "--datadir=" + dir_ + "/data",
       "--socket=" + socket_, "--pid-file=" + dir_ + "/mysqld.pid", "--tmpdir=" + dir_,
       "--port=" + std::to_string(port_), "--bind-address=127.0.0.1", "--skip-name-resolve",
       "--log-error=" + dir_ + "/error.log", "--innodb-buffer-pool-size=32M"},
      dir_ + "/mariadbd.out");
  if (!pid) return pid.status();
  pid_ = *pid;

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    auto session = agent::MysqlSession::connect(admin_endpoint());
    if (session) return Status::ok();
    last_error = session.status().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Status::error("private mariadbd did not accept connections: " + last_error);
}

PrivateMariadb::~PrivateMariadb() {
  stop_pid(pid_, std::chrono::seconds(30));
  std::error_code ignored;
  if (!dir_.empty()) std::filesystem::remove_all(dir_, ignored);
}

agent::MysqlEndpoint PrivateMariadb::admin_endpoint() const {
  agent::MysqlEndpoint endpoint;
  endpoint.socket_path = socket_;
  endpoint.user = "root";
  return endpoint;
}

}  // namespace pydio::test
