#include "test/integration/support/galera_members.hpp"

#include <signal.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "test/integration/support/private_mariadb.hpp"

namespace pydio::test {

namespace {

constexpr const char* kDataDir = "/var/lib/mysql/data";
constexpr const char* kConfig = "/var/lib/mysql/galera.cnf";
constexpr const char* kSocketDir = "/run/mysqld";
constexpr const char* kErrorLog = "/var/lib/mysql/error.log";

// The member's my.cnf (FIELD-NOTES "MariaDB Galera"): the rsync SST script reads it too, so
// the options live in a file rather than on the command line.
std::string member_config(const std::string& address, const std::string& cluster_address) {
  std::ostringstream out;
  out << "[mysqld]\n"
      << "user=mysql\n"
      << "datadir=" << kDataDir << "\n"
      << "socket=" << kSocketDir << "/mysqld.sock\n"
      << "pid-file=" << kSocketDir << "/mysqld.pid\n"
      << "port=3306\n"
      << "bind-address=" << address << "\n"
      << "skip-name-resolve\n"
      << "log-error=" << kErrorLog << "\n"
      << "innodb_buffer_pool_size=32M\n"
      << "binlog_format=ROW\n"
      << "default_storage_engine=InnoDB\n"
      << "innodb_autoinc_lock_mode=2\n"
      << "wsrep_on=ON\n"
      << "wsrep_provider=/usr/lib/galera/libgalera_smm.so\n"
      << "wsrep_cluster_name=pydio-it-galera\n"
      << "wsrep_cluster_address=gcomm://" << cluster_address << "\n"
      << "wsrep_node_address=" << address << "\n"
      << "wsrep_node_name=" << address << "\n"
      << "wsrep_sst_method=rsync\n";
  return out.str();
}

}  // namespace

GaleraMembers::GaleraMembers(const SimCluster& cluster, std::vector<SimNode*> nodes)
    : run_dir_(cluster.run_dir()), nodes_(std::move(nodes)), pids_(nodes_.size(), -1) {}

GaleraMembers::~GaleraMembers() {
  for (int pid : pids_) stop_pid(pid, std::chrono::seconds(20));
}

common::Status GaleraMembers::install(std::size_t member) {
  SimNode& node = *nodes_[member];
  std::string cluster_address;
  for (const SimNode* other : nodes_) {
    cluster_address += (cluster_address.empty() ? "" : ",") + other->address();
  }
  node.write_file(kConfig, member_config(node.address(), cluster_address));
  for (const std::vector<std::string>& argv :
       {std::vector<std::string>{"mkdir", "-p", kSocketDir},
        std::vector<std::string>{"chown", "mysql:mysql", kSocketDir, "/var/lib/mysql"},
        // Without the Galera options: the system tables are made by a plain bootstrap.
        std::vector<std::string>{"mariadb-install-db", "--no-defaults", "--user=mysql",
                                 std::string("--datadir=") + kDataDir,
                                 "--auth-root-authentication-method=socket", "--skip-test-db"}}) {
    common::RunResult result = node.exec(argv, std::chrono::seconds(180));
    if (!result.succeeded()) {
      return common::Status::error(node.name() + ": " + result.describe_failure(argv));
    }
  }
  return common::Status::ok();
}

common::Status GaleraMembers::spawn(std::size_t member, bool bootstrap) {
  SimNode& node = *nodes_[member];
  std::vector<std::string> argv = {harness_path(),
                                   "exec",
                                   run_dir_,
                                   node.name(),
                                   "--",
                                   "mariadbd",
                                   std::string("--defaults-file=") + kConfig};
  if (bootstrap) argv.push_back("--wsrep-new-cluster");
  // simnode exec ends in `exec nsenter`, which execs mariadbd: the PID is mariadbd's own.
  auto pid = runner_.spawn_detached(argv, run_dir_ + "/" + node.name() + "-mariadbd.out");
  if (!pid) return pid.status();
  pids_[member] = *pid;
  return common::Status::ok();
}

common::Status GaleraMembers::start() {
  for (std::size_t member = 0; member < nodes_.size(); ++member) {
    if (common::Status installed = install(member); !installed) return installed;
  }
  if (common::Status started = spawn(0, true); !started) return started;
  if (!wait_serving(0, 1)) {
    return common::Status::error("the first Galera member did not bootstrap: " + error_log_tail(0));
  }
  // One joiner at a time: the first member is the only donor and serves one SST at a time.
  for (std::size_t member = 1; member < nodes_.size(); ++member) {
    if (common::Status started = spawn(member, false); !started) return started;
    if (!wait_serving(member, static_cast<int>(member) + 1)) {
      return common::Status::error(nodes_[member]->name() +
                                   " did not join the component: " + error_log_tail(member));
    }
  }
  return common::Status::ok();
}

void GaleraMembers::kill(std::size_t member) {
  const int pid = pids_.at(member);
  if (pid <= 0) return;
  ::kill(pid, SIGKILL);
  stop_pid(pid, std::chrono::seconds(0));  // waits until gone (a zombie counts as gone)
  pids_[member] = -1;
}

common::Status GaleraMembers::restart(std::size_t member) { return spawn(member, false); }

void GaleraMembers::cut(std::size_t member) {
  nodes_.at(member)->must({"ip", "link", "set", "eth0", "down"});
}

void GaleraMembers::reconnect(std::size_t member) {
  nodes_.at(member)->must({"ip", "link", "set", "eth0", "up"});
}

agent::MysqlEndpoint GaleraMembers::admin_endpoint(std::size_t member) const {
  agent::MysqlEndpoint endpoint;
  endpoint.socket_path =
      run_dir_ + "/nodes/" + nodes_.at(member)->name() + "/fs" + kSocketDir + "/mysqld.sock";
  endpoint.user = "root";
  endpoint.connect_timeout = endpoint.read_timeout = endpoint.write_timeout =
      std::chrono::seconds(5);
  return endpoint;
}

common::Expected<agent::GaleraState> GaleraMembers::state(std::size_t member) const {
  auto session = agent::MysqlSession::connect(admin_endpoint(member));
  if (!session) return session.status();
  return agent::read_galera_state(**session);
}

bool GaleraMembers::wait_serving(std::size_t member, int size,
                                 std::chrono::seconds deadline) const {
  return eventually(
      [&] {
        auto now = state(member);
        return now && now->wsrep_on && agent::galera_serving(*now) && now->cluster_size == size;
      },
      deadline);
}

std::string GaleraMembers::error_log_tail(std::size_t member) const {
  std::ifstream in(run_dir_ + "/nodes/" + nodes_.at(member)->name() + "/fs" + kErrorLog);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return text.size() > 3000 ? text.substr(text.size() - 3000) : text;
}

}  // namespace pydio::test
