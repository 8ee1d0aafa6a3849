#include "agent/resources/db_server_resource.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "agent/election/lease.hpp"
#include "agent/host/mariadb_control.hpp"
#include "agent/host/remove_tree.hpp"
#include "agent/host/service_paths.hpp"
#include "agent/host/services.hpp"
#include "agent/resources/db_member_holder.hpp"

namespace pydio::agent {
namespace {

namespace fs = std::filesystem;
using common::Command;
using common::Expected;
using common::Status;

// In the datadir: the one directory mysql is sure to own (an error log it cannot write is
// silently not created, and a state_dir closed to others would stop mariadbd from starting).
constexpr const char* kErrorLogName = "pydio-mariadb.err";
constexpr std::chrono::seconds kInstallTimeout{180};

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

Status init_datadir(const PassContext& ctx, const DbServerDesired& desired) {
  std::error_code error;
  fs::create_directories(desired.datadir, error);
  if (error) return Status::error("mkdir " + desired.datadir + ": " + error.message());
  std::vector<std::string> argv = {"mariadb-install-db"};
  if (!desired.systemd) {
    Status runtime = ensure_mariadb_runtime_dir(*ctx.local);  // the install's tmpdir
    if (!runtime) return runtime;
    // --defaults-file must come first; it keeps Debian's /etc/mysql out of a direct-mode node.
    argv.push_back("--defaults-file=" + mariadb_defaults_file(*ctx.local));
  }
  argv.insert(argv.end(), {"--user=mysql", "--datadir=" + desired.datadir,
                           "--auth-root-authentication-method=socket", "--skip-test-db"});
  Status installed = common::run_checked(*ctx.runner, Command(argv, kInstallTimeout));
  if (installed) return installed;
  // The datadir was empty (plan_db_server initializes no other): what a failed install left,
  // a mysql/ without all its tables, would read as initialized on the next pass. Only the
  // error log, which says why, is kept.
  for (const auto& entry : fs::directory_iterator(desired.datadir, error)) {
    const std::string name = entry.path().filename().string();
    if (name == "lost+found" || name == kErrorLogName) continue;
    Status removed = remove_tree(*ctx.runner, entry.path().string());
    if (!removed) {
      return Status::error(installed.message() + "; removing what it left failed: " +
                           removed.message());
    }
  }
  return installed;
}

}  // namespace

std::string render_direct_mariadb_config(const common::LocalConfig& local,
                                         const std::string& bind_address, int port) {
  // tmpdir is not the shared /tmp: mariadbd removes every "#sql*" file of its tmpdir when it
  // starts, so another server's in-use temporary tables vanished (simulated nodes share the
  // host's /tmp) and mariadb-install-db failed ("Unknown table 'mysql.tmp_proxies_priv'").
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
      << "tmpdir = " << mariadb_runtime_dir(local) << "\n"
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
  if (ctx.desired->database.galera() && ctx.self != nullptr) {
    GaleraDesired galera;
    galera.cluster_name = ctx.desired->cluster_name;
    for (const common::NodeSpec* node : ctx.desired->nodes_with_role(common::Role::kDb)) {
      galera.member_names.push_back(node->name);
      galera.member_addresses.push_back(node->address);
    }
    galera.self_name = ctx.self->name;
    galera.self_address = ctx.self->address;
    galera.tls_dir = kGaleraTlsDir;
    desired.config += render_galera_options(galera);
    desired.galera = std::move(galera);
  }
  return desired;
}

Expected<Plan> plan_db_server(const DbServerDesired& desired,
                              const DbServerObservation& observed) {
  Plan plan;
  if (plan_held_server(observed, plan)) return plan;
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
  auto galera_done = plan_galera_member(desired, observed, plan);
  if (!galera_done) return galera_done.status();
  if (*galera_done) return plan;
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
    } else if (config_changes && !desired.galera) {
      add("restart mariadb to apply " + desired.config_path, RestartMariadb{});
    } else if (config_changes) {
      // A serving Galera member keeps running: the changed line is the member list, which
      // only the first contact of a (re)start reads; the running cluster learns members itself.
      plan.note = "the new Galera member list applies at this server's next start";
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

void announce_start(const PassContext& ctx) {
  // Until the next observation, the other members must not take this one for stopped.
  if (ctx.db_member != nullptr && ctx.self != nullptr && ctx.desired->database.galera())
    ctx.db_member->set(galera_unknown_report(ctx.self->name));
}

bool DbServerResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kDb);
}

Expected<DbServerObservation> DbServerResource::observe(const PassContext& ctx,
                                                        const DbServerDesired& desired) {
  DbServerObservation observed;
  auto hold = read_db_hold(ctx.local->state_dir);
  if (!hold) return hold.status().with_context("observe db-server");
  observed.hold = *hold;
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
  std::unique_ptr<MysqlSession> session;
  std::optional<GaleraState> live;
  if (observed.running) {
    auto connected = MysqlSession::connect(mariadb_admin_endpoint(*ctx.local));
    if (connected) {
      session = std::move(*connected);
      auto state = read_galera_state(*session);
      if (!state) return state.status().with_context("observe db-server");
      live = *state;
    } else {
      observed.connect_error = connected.status().message();
    }
  }
  if (desired.galera) {
    observed.galera = observe_galera(ctx, *desired.galera, observed.running, live);
  }
  if (!session) return observed;
  observed.accepting = true;
  // SHOW, not SELECT @@: a Galera member outside a primary component refuses SELECTs.
  auto listening =
      session->query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('bind_address', 'port')");
  if (!listening) return listening.status().with_context("observe db-server");
  for (const SqlRow& row : *listening) {
    if (row.columns.size() < 2) continue;
    const std::string name = row.columns[0].value_or("");
    if (name == "bind_address") observed.bind_address = row.columns[1].value_or("");
    if (name == "port") observed.port = std::stoi(row.columns[1].value_or("0"));
  }
  // The rest needs a member that serves (a non-primary one refuses queries).
  if (live && !galera_serving(*live)) return observed;
  auto table = session->query(
      "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
      {std::string(kLeaseDatabase), std::string(kLeaseTable)});
  if (!table) return table.status().with_context("observe db-server");
  observed.lease_table_present =
      !table->empty() && table->front().columns.at(0).value_or("0") != "0";
  const std::string password = ctx.secrets != nullptr ? ctx.secrets->lease_password : "";
  auto account = observe_account(*session, kLeaseUser, password);
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
  if (!plan) return plan;
  // Recorded on real passes only: the restart backoff counts from a server seen down, and the
  // other db nodes decide a Galera bootstrap from this node's report.
  std::optional<common::DbMemberReport> report;
  if (observed->galera) report = observed->galera->self;
  plan->remember = [guard = restarts_, now, running = observed->running, report,
                    holder = ctx.db_member] {
    if (!running) guard->mark_down(now);
    if (holder == nullptr || !report) return;
    if (report->primary) holder->set_forced(false);  // the forced bootstrap is done
    holder->set(*report);
  };
  return plan;
}

Status DbServerResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = "db-server " + action.kind;
  // Which action it is comes first: one that is not ours needs no session to be refused.
  if (is_account_action(action)) {
    auto session = MysqlSession::connect(mariadb_admin_endpoint(*ctx.local));
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
  if (Status held = refuse_when_held(ctx); !held) return held;
  return init_datadir(ctx, desired_db_server(ctx, ctx.services->uses_systemd()));
}

Status DbServerResource::apply_step(const PassContext& ctx, const StartMariadb&) {
  if (Status held = refuse_when_held(ctx); !held) return held;
  restarts_->record_start(RestartGuard::Clock::now());
  announce_start(ctx);
  return start_mariadb(*ctx.services, *ctx.runner, *ctx.local, MariadbStart::kNormal);
}

Status DbServerResource::apply_step(const PassContext& ctx, const RestartMariadb& step) {
  if (Status held = refuse_when_held(ctx); !held) return held;
  announce_start(ctx);
  return restart_mariadb(*ctx.services, *ctx.runner, *ctx.local,
                         step.new_cluster ? MariadbStart::kNewCluster : MariadbStart::kNormal);
}

Status DbServerResource::apply_step(const PassContext& ctx, const EnsureLeaseSchema&) {
  auto session = MysqlSession::connect(mariadb_admin_endpoint(*ctx.local));
  if (!session) return session.status();
  for (const auto& statement : lease_schema_statements()) {
    auto done = (*session)->execute(statement);
    if (!done) return done.status();
  }
  return Status::ok();
}

}  // namespace pydio::agent
