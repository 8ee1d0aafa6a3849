#pragma once
// Resource "db-server" (nodes with role db): MariaDB running and listening on the node's
// private address only, plus the agents' own lease schema (database pydio_agent, table
// leader_lease) and lease user pydio_agent@<each allowed host> with Secrets::lease_password
// and privileges on pydio_agent.* only.
//
// Direct mode (no systemd): the agent owns <state_dir>/mariadb.cnf (the only option file
// mariadbd is started with: datadir, socket, pid-file, bind-address, port, user=mysql,
// log-error in the datadir, skip-name-resolve), initializes an EMPTY datadir with mariadb-install-db (a
// non-empty datadir without system tables is refused, never touched), starts mariadbd through
// Services and waits (bounded) until it accepts connections on the socket.
// systemd mode: the agent owns /etc/mysql/mariadb.conf.d/60-pydio-agent.cnf (bind-address,
// port, skip-name-resolve) and starts/restarts the `mariadb` unit.
// A config change on a running server restarts it (bind-address needs a restart).
// The admin connection is root over the unix socket (unix_socket authentication).

#include <memory>
#include <optional>
#include <string>
#include <variant>

#include "agent/host/db_hold.hpp"
#include "agent/host/mysql_account.hpp"
#include "agent/host/restart_guard.hpp"
#include "agent/reconcile/resource.hpp"
#include "agent/resources/db_galera.hpp"

namespace pydio::agent {

inline constexpr const char* kSystemdMariadbConfig = "/etc/mysql/mariadb.conf.d/60-pydio-agent.cnf";

// The resource's own actions (see action.hpp); the lease user's account actions are
// mysql_account.hpp's.
struct WriteMariadbConfig {
  static constexpr const char* kKind = "write-config";
  std::string path;
  std::string content;  // the whole option file
};
struct InitMariadbDatadir {
  static constexpr const char* kKind = "init-datadir";
};
struct StartMariadb {
  static constexpr const char* kKind = "start-server";
};
struct RestartMariadb {
  static constexpr const char* kKind = "restart-server";
  bool new_cluster = false;  // Galera: come back as the first member of a new cluster
};
// Galera (db_galera.hpp): a member stopped by a crash finds its last position in InnoDB.
struct RecoverGaleraPosition {
  static constexpr const char* kKind = "recover-galera-position";
};
// Galera: start this stopped member as the cluster's first (safe_to_bootstrap set first).
struct BootstrapGalera {
  static constexpr const char* kKind = "bootstrap-galera";
};
// Galera: make this running member's non-primary component primary (pc.bootstrap).
struct PromoteGaleraComponent {
  static constexpr const char* kKind = "promote-galera-component";
};
// Galera: the copies of the node's TLS files mariadbd reads (galera_tls.hpp); a running
// member reloads them.
struct WriteGaleraTls {
  static constexpr const char* kKind = "write-galera-tls";
  bool reload = false;
};
// A hold (agent/host/db_hold.hpp) on a running server: a clean shutdown.
struct StopMariadb {
  static constexpr const char* kKind = "stop-server";
};
struct EnsureLeaseSchema {
  static constexpr const char* kKind = "ensure-lease-schema";
};
using DbServerAction =
    std::variant<WriteMariadbConfig, InitMariadbDatadir, StartMariadb, RestartMariadb,
                 EnsureLeaseSchema, RecoverGaleraPosition, BootstrapGalera, PromoteGaleraComponent,
                 WriteGaleraTls, StopMariadb>;

// What the plan compares against (derived from the pass context by desired_db_server()).
struct DbServerDesired {
  bool systemd = false;
  std::string config_path;
  std::string config;       // full file content
  std::string datadir;
  std::string bind_address;
  int port = 3306;
  AccountSpec lease_user;   // hosts = desired database.allowed_hosts
  bool lease_password_set = false;
  std::optional<GaleraDesired> galera;  // three or more db nodes
};

struct DbServerObservation {
  std::optional<std::string> config;  // current file content; nullopt when missing
  bool datadir_initialized = false;   // <datadir>/mysql exists
  bool datadir_empty = true;          // nothing in it but lost+found (or it does not exist)
  bool running = false;               // the service's process is alive
  bool accepting = false;             // the admin connection over the socket worked
  std::string connect_error;          // why it did not, when running
  std::string bind_address;           // @@bind_address, when accepting
  int port = 0;                       // @@port, when accepting
  bool lease_table_present = false;   // pydio_agent.leader_lease exists
  AccountObservation lease_user;      // when accepting
  // Restart backoff (restart_guard.hpp): why a start must wait, "" when it may go ahead.
  std::string start_held_back;
  int start_number = 1;  // the agent's how-many-th start of mariadb this would be
  std::optional<GaleraObservation> galera;  // when desired.galera
  std::optional<DbHold> hold;               // an operator's restore holds this server (db_hold.hpp)
};

// Option files, pure.
std::string render_direct_mariadb_config(const common::LocalConfig& local,
                                         const std::string& bind_address, int port);
std::string render_systemd_mariadb_config(const std::string& bind_address, int port);
// The plan's Galera part (db_server_galera.cpp), after the option file and datadir actions:
// true when it completed `plan` (a member stopped, outside a primary component, or a single
// server turning into the first member), false when the common plan goes on (not Galera, or
// a serving member), an error when going on would destroy data.
// A Galera member about to start publishes "running, state unknown" (db_galera.hpp).
void announce_start(const PassContext& ctx);
common::Expected<bool> plan_galera_member(const DbServerDesired& desired,
                                          const DbServerObservation& observed, Plan& plan);

// The plan of a held server (db_server_hold.cpp): stop it cleanly unless the hold keeps it
// running, then wait for the release; nothing else. False when not held. Pure.
bool plan_held_server(const DbServerObservation& observed, Plan& plan);
// An error when this node's server is held now: what starts or changes the datadir checks it
// again just before acting, as a hold may arrive between the plan and the action.
common::Status refuse_when_held(const PassContext& ctx);

DbServerDesired desired_db_server(const PassContext& ctx, bool systemd);
// Pure. Actions (kind): write-config, init-datadir, start-server, restart-server,
// ensure-lease-schema, and the account actions of plan_account() for the lease user.
common::Expected<Plan> plan_db_server(const DbServerDesired& desired,
                                      const DbServerObservation& observed);

class DbServerResource : public Resource {
 public:
  std::string name() const override { return "db-server"; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

  // Reads the host; changes nothing. Public for tests and diagnostics.
  static common::Expected<DbServerObservation> observe(const PassContext& ctx,
                                                       const DbServerDesired& desired);

 private:
  common::Status apply_step(const PassContext& ctx, const WriteMariadbConfig& step);
  common::Status apply_step(const PassContext& ctx, const InitMariadbDatadir& step);
  common::Status apply_step(const PassContext& ctx, const StartMariadb& step);
  common::Status apply_step(const PassContext& ctx, const RestartMariadb& step);
  common::Status apply_step(const PassContext& ctx, const EnsureLeaseSchema& step);
  common::Status apply_step(const PassContext& ctx, const RecoverGaleraPosition& step);
  common::Status apply_step(const PassContext& ctx, const BootstrapGalera& step);
  common::Status apply_step(const PassContext& ctx, const PromoteGaleraComponent& step);
  common::Status apply_step(const PassContext& ctx, const WriteGaleraTls& step);
  common::Status apply_step(const PassContext& ctx, const StopMariadb& step);

  std::shared_ptr<RestartGuard> restarts_ = std::make_shared<RestartGuard>();  // mariadbd dying right after each start is not restarted in a storm
};

}  // namespace pydio::agent
