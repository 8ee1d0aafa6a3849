#include "agent/resources/db_server_resource.hpp"

#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "agent/election/lease.hpp"
#include "agent/host/service_paths.hpp"
#include "agent/host/services.hpp"

namespace pydio::agent {
namespace {

namespace fs = std::filesystem;
using common::Command;
using common::Expected;
using common::Status;

// In the datadir: the one directory mysql is sure to own (an error log it cannot write is
// silently not created, and a state_dir closed to others would stop mariadbd from starting).
constexpr const char* kErrorLogName = "pydio-mariadb.err";
constexpr std::chrono::seconds kAdminTimeout{5};
// mariadbd was ready 0.24 s after start on the reference VM; a crash-recovering InnoDB can
// take much longer, but the reconciler retries with backoff, so the wait stays bounded.
constexpr std::chrono::seconds kReadyTimeout{60};
constexpr std::chrono::seconds kStopTimeout{60};
constexpr std::chrono::seconds kInstallTimeout{180};
constexpr std::chrono::seconds kSystemctlTimeout{120};

std::string parent_dir(const std::string& path) {
  fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? std::string("/") : parent.string();
}


std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Status write_file_atomically(const std::string& path, const std::string& content) {
  std::error_code error;
  fs::create_directories(parent_dir(path), error);
  if (error) return Status::error("write " + path + ": " + error.message());
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) return Status::error("write " + temp + ": " + std::strerror(errno));
  }
  ::chmod(temp.c_str(), 0644);
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    return Status::error("rename " + temp + " to " + path + ": " + std::strerror(errno));
  }
  return Status::ok();
}

// mariadbd drops to `mysql` before it creates its socket, pid file and error log, so their
// directories must be mysql's (an unwritable log-error is silently not created at all).
Status ensure_mysql_dir(const std::string& path) {
  std::error_code error;
  fs::create_directories(path, error);
  if (error) return Status::error("mkdir " + path + ": " + error.message());
  struct passwd entry {};
  struct passwd* found = nullptr;
  char buffer[4096];
  if (getpwnam_r("mysql", &entry, buffer, sizeof buffer, &found) != 0 || found == nullptr) {
    return Status::error("chown " + path + ": no user mysql");
  }
  if (::chown(path.c_str(), entry.pw_uid, entry.pw_gid) != 0) {
    return Status::error("chown " + path + " mysql: " + std::strerror(errno));
  }
  return Status::ok();
}

MysqlEndpoint admin_endpoint(const common::LocalConfig& local) {
  MysqlEndpoint endpoint;
  endpoint.socket_path = local.mysql_socket;
  endpoint.user = "root";  // unix_socket authentication: the agent runs as OS root
  endpoint.connect_timeout = kAdminTimeout;
  endpoint.read_timeout = kAdminTimeout;
  endpoint.write_timeout = kAdminTimeout;
  return endpoint;
}

Status wait_until_accepting(const common::LocalConfig& local) {
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  std::string last_error;
  while (std::chrono::steady_clock::now() < deadline) {
    auto session = MysqlSession::connect(admin_endpoint(local));
    if (session) return Status::ok();
    last_error = session.status().message();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return Status::error("mariadb not accepting connections after " +
                       std::to_string(kReadyTimeout.count()) + "s: " + last_error);
}

Status start_server(const PassContext& ctx) {
  if (!ctx.services->uses_systemd()) {
    Status made = ensure_mysql_dir(parent_dir(ctx.local->mysql_socket));
    if (!made) return made;
  }
  Status started = ctx.services->start(Service::kMariadb);
  if (!started) return started;
  return wait_until_accepting(*ctx.local);
}

Status restart_server(const PassContext& ctx) {
  if (ctx.services->uses_systemd()) {
    Status restarted = common::run_checked(
        *ctx.runner, Command({"systemctl", "restart", "mariadb"}, kSystemctlTimeout));
    if (!restarted) return restarted;
    return wait_until_accepting(*ctx.local);
  }
  // Direct mode: a clean SHUTDOWN over the admin connection, then a normal start.
  {
    auto session = MysqlSession::connect(admin_endpoint(*ctx.local));
    if (!session) return session.status();
    auto shutdown = (*session)->execute("SHUTDOWN");
    if (!shutdown) return shutdown.status();
  }
  const auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  while (ctx.services->is_running(Service::kMariadb)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      return Status::error("mariadb still running " + std::to_string(kStopTimeout.count()) +
                           "s after SHUTDOWN");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return start_server(ctx);
}

Status init_datadir(const PassContext& ctx, const DbServerDesired& desired) {
  std::error_code error;
  fs::create_directories(desired.datadir, error);
  if (error) return Status::error("mkdir " + desired.datadir + ": " + error.message());
  std::vector<std::string> argv = {"mariadb-install-db"};
  if (!desired.systemd) {
    // --defaults-file must come first; it keeps Debian's /etc/mysql out of a direct-mode node.
    argv.push_back("--defaults-file=" + mariadb_defaults_file(*ctx.local));
  }
  argv.insert(argv.end(), {"--user=mysql", "--datadir=" + desired.datadir,
                           "--auth-root-authentication-method=socket", "--skip-test-db"});
  return common::run_checked(*ctx.runner, Command(argv, kInstallTimeout));
}

}  // namespace

std::string render_direct_mariadb_config(const common::LocalConfig& local,
                                         const std::string& bind_address, int port) {
  std::ostringstream out;
  out << "# Written by pydio-agent (resource db-server); local changes are overwritten.\n"
      << "[mysqld]\n"
      << "user = mysql\n"
      << "datadir = " << local.mysql_datadir << "\n"
      << "socket = " << local.mysql_socket << "\n"
      << "pid-file = " << mariadb_pid_file(local) << "\n"
      << "bind-address = " << bind_address << "\n"
      << "port = " << port << "\n"
      << "log-error = " << local.mysql_datadir << "/" << kErrorLogName << "\n"
      << "skip-name-resolve\n";
  return out.str();
}

std::string render_systemd_mariadb_config(const std::string& bind_address, int port) {
  std::ostringstream out;
  out << "# Written by pydio-agent (resource db-server); local changes are overwritten.\n"
      << "[mysqld]\n"
      << "bind-address = " << bind_address << "\n"
      << "port = " << port << "\n"
      << "skip-name-resolve\n";
  return out.str();
}

DbServerDesired desired_db_server(const PassContext& ctx, bool systemd) {
  DbServerDesired desired;
  desired.systemd = systemd;
  desired.bind_address = ctx.self != nullptr ? ctx.self->address : "";
  desired.port = ctx.desired->database.port;
  desired.datadir = ctx.local->mysql_datadir;
  if (systemd) {
    desired.config_path = kSystemdMariadbConfig;
    desired.config = render_systemd_mariadb_config(desired.bind_address, desired.port);
  } else {
    desired.config_path = mariadb_defaults_file(*ctx.local);
    desired.config =
        render_direct_mariadb_config(*ctx.local, desired.bind_address, desired.port);
  }
  desired.lease_user.user = kLeaseUser;
  desired.lease_user.hosts = ctx.desired->database.allowed_hosts;
  desired.lease_user.database = kLeaseDatabase;
  desired.lease_user.privileges = lease_user_privileges();
  desired.lease_password_set = ctx.secrets != nullptr && !ctx.secrets->lease_password.empty();
  return desired;
}

Expected<Plan> plan_db_server(const DbServerDesired& desired,
                              const DbServerObservation& observed) {
  Plan plan;
  auto add = [&plan](std::string description, auto step) {
    plan.actions.push_back(make_action<DbServerAction>(std::move(description), std::move(step)));
  };
  const bool config_changes = observed.config != desired.config;
  if (config_changes) {
    add((observed.config ? "rewrite " : "write ") + desired.config_path + " (bind-address " +
            desired.bind_address + ", port " + std::to_string(desired.port) + ")",
        WriteMariadbConfig{desired.config_path, desired.config});
  }
  if (!observed.datadir_initialized) {
    if (!observed.datadir_empty) {
      return Status::error("datadir " + desired.datadir +
                           " is not empty but holds no MariaDB system tables (no mysql/): "
                           "refusing to initialize it");
    }
    add("initialize MariaDB datadir " + desired.datadir, InitMariadbDatadir{});
  }
  const std::string want = desired.bind_address + ":" + std::to_string(desired.port);
  if (!observed.running && !observed.start_held_back.empty()) {
    plan.waiting_for = observed.start_held_back;
    return plan;
  } else if (!observed.running) {
    std::string description = "start mariadb (listening on " + want + ")";
    if (observed.start_number > 1)
      description += " (start " + std::to_string(observed.start_number) + " by this agent)";
    add(description, StartMariadb{});
  } else if (!observed.accepting) {
    return Status::error("mariadb is running but does not accept connections: " +
                         observed.connect_error);
  } else {
    const std::string have = observed.bind_address + ":" + std::to_string(observed.port);
    if (have != want) {
      add("restart mariadb (listening on " + have + ", want " + want + ")", RestartMariadb{});
    } else if (config_changes) {
      add("restart mariadb to apply " + desired.config_path, RestartMariadb{});
    }
  }
  if (!observed.accepting || !observed.lease_table_present) {
    add(std::string("create lease table ") + kLeaseDatabase + "." + kLeaseTable,
        EnsureLeaseSchema{});
  }
  if (!desired.lease_password_set) {
    if (plan.actions.empty()) plan.waiting_for = "lease_password in the secrets file";
    return plan;
  }
  // A stopped server is planned as if the user were missing: creating it is idempotent.
  const AccountObservation none;
  for (auto& action :
       plan_account(desired.lease_user, observed.accepting ? observed.lease_user : none)) {
    plan.actions.push_back(std::move(action));
  }
  return plan;
}

bool DbServerResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kDb);
}

Expected<DbServerObservation> DbServerResource::observe(const PassContext& ctx,
                                                        const DbServerDesired& desired) {
  DbServerObservation observed;
  observed.config = read_file(desired.config_path);
  std::error_code error;
  observed.datadir_initialized = fs::is_directory(fs::path(desired.datadir) / "mysql", error);
  observed.datadir_empty = true;
  if (fs::is_directory(desired.datadir, error)) {
    for (const auto& entry : fs::directory_iterator(desired.datadir, error)) {
      const std::string name = entry.path().filename().string();
      if (name != "lost+found" && name != kErrorLogName) observed.datadir_empty = false;
    }
  }
  observed.running = ctx.services->is_running(Service::kMariadb);
  if (!observed.running) return observed;

  auto session = MysqlSession::connect(admin_endpoint(*ctx.local));
  if (!session) {
    observed.connect_error = session.status().message();
    return observed;
  }
  observed.accepting = true;
  auto listening = (*session)->query("SELECT @@bind_address, @@port");
  if (!listening) return listening.status().with_context("observe db-server");
  if (!listening->empty()) {
    observed.bind_address = listening->front().columns.at(0).value_or("");
    observed.port = std::stoi(listening->front().columns.at(1).value_or("0"));
  }
  auto table = (*session)->query(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
      {std::string(kLeaseDatabase), std::string(kLeaseTable)});
  if (!table) return table.status().with_context("observe db-server");
  observed.lease_table_present =
      !table->empty() && table->front().columns.at(0).value_or("0") != "0";
  const std::string password = ctx.secrets != nullptr ? ctx.secrets->lease_password : "";
  auto account = observe_account(**session, kLeaseUser, password);
  if (!account) return account.status().with_context("observe db-server");
  observed.lease_user = std::move(*account);
  return observed;
}

Expected<Plan> DbServerResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.services == nullptr || ctx.local == nullptr) {
    return Status::error("db-server: no services or local config in the pass context");
  }
  const DbServerDesired desired = desired_db_server(ctx, ctx.services->uses_systemd());
  auto observed = observe(ctx, desired);
  if (!observed) return observed.status();
  const auto now = RestartGuard::Clock::now();
  if (!observed->running) {
    observed->start_held_back = restarts_->hold_back("mariadb", now).value_or("");
    observed->start_number = restarts_->next_start_number();
  }
  auto plan = plan_db_server(desired, *observed);
  if (plan && !observed->running) {
    // Seen down: recorded on real passes only (the restart backoff counts from it).
    plan->remember = [guard = restarts_, now] { guard->mark_down(now); };
  }
  return plan;
}

Status DbServerResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = "db-server " + action.kind;
  // Which action it is comes first: one that is not ours needs no session to be refused.
  if (is_account_action(action)) {
    auto session = MysqlSession::connect(admin_endpoint(*ctx.local));
    if (!session) return session.status().with_context(context);
    const std::string password = ctx.secrets != nullptr ? ctx.secrets->lease_password : "";
    return apply_account_action(**session, action, password).with_context(context);
  }
  return visit_action<DbServerAction>(name(), action, [&](const auto& step) {
    return apply_step(ctx, step).with_context(context);
  });
}

Status DbServerResource::apply_step(const PassContext&, const WriteMariadbConfig& step) {
  return write_file_atomically(step.path, step.content);
}

Status DbServerResource::apply_step(const PassContext& ctx, const InitMariadbDatadir&) {
  return init_datadir(ctx, desired_db_server(ctx, ctx.services->uses_systemd()));
}

Status DbServerResource::apply_step(const PassContext& ctx, const StartMariadb&) {
  restarts_->record_start(RestartGuard::Clock::now());
  return start_server(ctx);
}

Status DbServerResource::apply_step(const PassContext& ctx, const RestartMariadb&) {
  return restart_server(ctx);
}

Status DbServerResource::apply_step(const PassContext& ctx, const EnsureLeaseSchema&) {
  auto session = MysqlSession::connect(admin_endpoint(*ctx.local));
  if (!session) return session.status();
  for (const auto& statement : lease_schema_statements()) {
    auto done = (*session)->execute(statement);
    if (!done) return done.status();
  }
  return Status::ok();
}

}  // namespace pydio::agent
