#include <catch2/catch.hpp>

#include "agent/resources/db_server_resource.hpp"

using pydio::agent::action_step;
using pydio::agent::DbServerAction;
using pydio::agent::DbServerDesired;
using pydio::agent::DbServerObservation;
using pydio::agent::plan_db_server;
using pydio::agent::render_direct_mariadb_config;
using pydio::agent::WriteMariadbConfig;

namespace {

pydio::common::LocalConfig node_config() {
  pydio::common::LocalConfig local;
  local.state_dir = "/var/lib/pydio-agent";
  local.mysql_datadir = "/var/lib/mysql";
  local.mysql_socket = "/run/mysqld/mysqld.sock";
  return local;
}

DbServerDesired desired() {
  DbServerDesired d;
  d.config_path = "/var/lib/pydio-agent/mariadb.cnf";
  d.config = render_direct_mariadb_config(node_config(), "198.18.0.1", 3306);
  d.datadir = "/var/lib/mysql";
  d.bind_address = "198.18.0.1";
  d.port = 3306;
  d.lease_user = {"pydio_agent", {"198.18.0.%"}, "pydio_agent", {"SELECT", "INSERT", "UPDATE"}};
  d.lease_password_set = true;
  return d;
}

// A converged server as observe() reports it.
DbServerObservation converged() {
  DbServerObservation o;
  o.config = desired().config;
  o.datadir_initialized = true;
  o.datadir_empty = false;
  o.running = true;
  o.accepting = true;
  o.bind_address = "198.18.0.1";
  o.port = 3306;
  o.lease_table_present = true;
  o.lease_user.hosts.push_back(
      {"198.18.0.%", true,
       {"GRANT USAGE ON *.* TO `pydio_agent`@`198.18.0.%` IDENTIFIED BY PASSWORD '*D8'",
        "GRANT SELECT, INSERT, UPDATE ON `pydio\\_agent`.* TO `pydio_agent`@`198.18.0.%`"}});
  return o;
}

std::vector<std::string> kinds(const pydio::agent::Plan& plan) {
  std::vector<std::string> out;
  for (const auto& action : plan.actions) out.push_back(action.kind);
  return out;
}

}  // namespace

TEST_CASE("the direct-mode option file binds the private address only", "[db-server]") {
  const std::string config = render_direct_mariadb_config(node_config(), "198.18.0.1", 3306);
  REQUIRE(config.find("bind-address = 198.18.0.1\n") != std::string::npos);
  REQUIRE(config.find("pid-file = /run/mysqld/mysqld.pid\n") != std::string::npos);
  REQUIRE(config.find("user = mysql\n") != std::string::npos);
  REQUIRE(config.find("log-error = /var/lib/mysql/pydio-mariadb.err\n") !=
          std::string::npos);
  REQUIRE(config.find("skip-name-resolve\n") != std::string::npos);
  // Its own tmpdir: a starting mariadbd empties its tmpdir of "#sql*" files, another's too.
  REQUIRE(config.find("tmpdir = /run/mysqld\n") != std::string::npos);
}

TEST_CASE("db-server plans from bare node to converged", "[db-server]") {
  SECTION("bare node: config, datadir, start, lease schema and user, in that order") {
    DbServerObservation bare;
    auto plan = plan_db_server(desired(), bare);
    REQUIRE(plan);
    REQUIRE(kinds(*plan) == std::vector<std::string>{"write-config", "init-datadir",
                                                    "start-server", "ensure-lease-schema",
                                                    "create-user", "grant"});
  }
  SECTION("converged: empty plan") {
    auto plan = plan_db_server(desired(), converged());
    REQUIRE(plan);
    REQUIRE(plan->actions.empty());
  }
  SECTION("listening everywhere: rewrite the file and restart") {
    DbServerObservation o = converged();
    o.config = "[mysqld]\nbind-address = 0.0.0.0\n";
    o.bind_address = "0.0.0.0";
    auto plan = plan_db_server(desired(), o);
    REQUIRE(plan);
    REQUIRE(kinds(*plan) == std::vector<std::string>{"write-config", "restart-server"});
    const auto* write = action_step<DbServerAction, WriteMariadbConfig>(plan->actions[0]);
    REQUIRE(write);
    CHECK(write->path == desired().config_path);
    CHECK(write->content == desired().config);
    REQUIRE(plan->actions[1].description ==
            "restart mariadb (listening on 0.0.0.0:3306, want 198.18.0.1:3306)");
  }
  SECTION("stopped server with everything else in place: start it only (and re-ensure)") {
    DbServerObservation o = converged();
    o.running = false;
    o.accepting = false;
    auto plan = plan_db_server(desired(), o);
    REQUIRE(plan);
    REQUIRE(plan->actions.front().kind == "start-server");
  }
  SECTION("a non-empty datadir without system tables is refused, never initialized") {
    DbServerObservation o;
    o.datadir_empty = false;
    auto plan = plan_db_server(desired(), o);
    REQUIRE_FALSE(plan);
    REQUIRE(plan.status().message().find("refusing") != std::string::npos);
  }
  SECTION("no lease password yet: the lease user waits, the server does not") {
    DbServerDesired d = desired();
    d.lease_password_set = false;
    DbServerObservation o = converged();
    o.lease_user.hosts.clear();
    auto plan = plan_db_server(d, o);
    REQUIRE(plan);
    REQUIRE(plan->actions.empty());
    REQUIRE(plan->waiting_for == "lease_password in the secrets file");
  }
}

namespace {

DbServerDesired galera_desired() {
  DbServerDesired d = desired();
  pydio::agent::GaleraDesired galera;
  galera.cluster_name = "pydio";
  galera.member_names = {"db1", "db2", "db3"};
  galera.member_addresses = {"198.18.0.1", "198.18.0.2", "198.18.0.3"};
  galera.self_name = "db1";
  galera.self_address = "198.18.0.1";
  d.config += pydio::agent::render_galera_options(galera);
  d.galera = galera;
  return d;
}

pydio::agent::GaleraObservation galera_seen(pydio::common::GaleraStartKind kind) {
  pydio::agent::GaleraObservation seen;
  seen.decision = {kind, "because"};
  return seen;
}

}  // namespace

TEST_CASE("the Galera options name every member and rsync state transfers", "[db-server][galera]") {
  const std::string config = galera_desired().config;
  CHECK(config.find("wsrep_cluster_address = gcomm://198.18.0.1,198.18.0.2,198.18.0.3\n") !=
        std::string::npos);
  CHECK(config.find("wsrep_node_address = 198.18.0.1\n") != std::string::npos);
  CHECK(config.find("wsrep_sst_method = rsync\n") != std::string::npos);
  CHECK(config.find("binlog_format = ROW\n") != std::string::npos);
  CHECK(config.find("bind-address = 198.18.0.1\n") != std::string::npos);
}

TEST_CASE("a joiner asks the members the proxies do not use for its state transfer first",
          "[db-server][galera]") {
  pydio::agent::GaleraDesired galera = *galera_desired().galera;
  CHECK(pydio::agent::preferred_sst_donors(galera) == "db3,db2,");
  CHECK(galera_desired().config.find("wsrep_sst_donor = db3,db2,\n") != std::string::npos);
  galera.self_name = "db2";
  CHECK(pydio::agent::preferred_sst_donors(galera) == "db3,");
  galera.self_name = "db3";
  CHECK(pydio::agent::preferred_sst_donors(galera) == "db2,");
  galera.member_names = {"db1", "db2", "db3", "db4", "db5"};
  CHECK(pydio::agent::preferred_sst_donors(galera) == "db5,db4,db2,");
  galera.member_names = {"db3"};
  CHECK(pydio::agent::preferred_sst_donors(galera).empty());
  CHECK(pydio::agent::render_galera_options(galera).find("wsrep_sst_donor") == std::string::npos);
}

TEST_CASE("a stopped Galera member starts only as the decision says", "[db-server][galera]") {
  using Kind = pydio::common::GaleraStartKind;
  DbServerObservation o = converged();
  o.config = galera_desired().config;
  o.running = o.accepting = false;

  o.galera = galera_seen(Kind::kWait);
  auto waiting = plan_db_server(galera_desired(), o);
  REQUIRE(waiting);
  CHECK(waiting->actions.empty());
  CHECK(waiting->waiting_for == "because");

  o.galera = galera_seen(Kind::kBootstrap);
  auto bootstrap = plan_db_server(galera_desired(), o);
  REQUIRE(bootstrap);
  CHECK(kinds(*bootstrap) == std::vector<std::string>{"bootstrap-galera"});

  o.galera = galera_seen(Kind::kBootstrap);
  o.galera->needs_recovery = true;  // its position first: the decision may change with it
  auto recover = plan_db_server(galera_desired(), o);
  REQUIRE(recover);
  CHECK(kinds(*recover) == std::vector<std::string>{"recover-galera-position"});

  o.galera = galera_seen(Kind::kJoin);
  o.galera->needs_recovery = true;  // a joiner gets its state from the cluster
  auto join = plan_db_server(galera_desired(), o);
  REQUIRE(join);
  CHECK(kinds(*join) == std::vector<std::string>{"start-server"});

  o.start_held_back = "mariadb died right after its last start";
  auto held = plan_db_server(galera_desired(), o);
  REQUIRE(held);
  CHECK(held->actions.empty());
  CHECK(held->waiting_for == o.start_held_back);
}

TEST_CASE("a running Galera member outside a primary component", "[db-server][galera]") {
  using Kind = pydio::common::GaleraStartKind;
  DbServerObservation o = converged();
  o.config = galera_desired().config;
  pydio::agent::GaleraState cut_off;
  cut_off.wsrep_on = true;
  cut_off.cluster_status = "non-Primary";
  cut_off.state_comment = "Initialized";
  o.galera = galera_seen(Kind::kWait);
  o.galera->live = cut_off;
  auto waiting = plan_db_server(galera_desired(), o);
  REQUIRE(waiting);
  CHECK(waiting->actions.empty());
  CHECK(waiting->waiting_for.find("non-Primary") != std::string::npos);

  o.galera->decision = {Kind::kBootstrap, "highest seqno"};
  auto promote = plan_db_server(galera_desired(), o);
  REQUIRE(promote);
  CHECK(kinds(*promote) == std::vector<std::string>{"promote-galera-component"});
}

TEST_CASE("a single server becomes the first member with its data, never a joiner",
          "[db-server][galera]") {
  using Kind = pydio::common::GaleraStartKind;
  DbServerObservation o = converged();  // running without Galera, with the old option file
  o.galera = galera_seen(Kind::kBootstrap);
  o.galera->live = pydio::agent::GaleraState{};
  auto grow = plan_db_server(galera_desired(), o);
  REQUIRE(grow);
  CHECK(kinds(*grow) == std::vector<std::string>{"write-config", "restart-server"});
  const auto* restart = action_step<DbServerAction, pydio::agent::RestartMariadb>(grow->actions.back());
  REQUIRE(restart != nullptr);
  CHECK(restart->new_cluster);

  o.galera->decision = {Kind::kJoin, "db2 is in a primary component"};
  auto join = plan_db_server(galera_desired(), o);
  REQUIRE_FALSE(join);
  CHECK(join.status().message().find("replace its data") != std::string::npos);
}

TEST_CASE("Galera's TLS files come before any start, and a running member reloads them",
          "[db-server][galera]") {
  using Kind = pydio::common::GaleraStartKind;
  DbServerDesired d = galera_desired();
  d.galera->tls_dir = "/etc/mysql/pydio-agent-tls";
  d.config = render_direct_mariadb_config(node_config(), "198.18.0.1", 3306) +
             pydio::agent::render_galera_options(*d.galera);
  CHECK(d.config.find("wsrep_provider_options = \"socket.ssl_key=/etc/mysql/pydio-agent-tls/"
                      "key.pem;socket.ssl_cert=/etc/mysql/pydio-agent-tls/cert.pem;"
                      "socket.ssl_ca=/etc/mysql/pydio-agent-tls/ca.pem\"\n") != std::string::npos);
  DbServerObservation o = converged();
  o.config = d.config;
  o.running = o.accepting = false;
  o.galera = galera_seen(Kind::kBootstrap);

  auto no_certificate = plan_db_server(d, o);
  REQUIRE(no_certificate);
  CHECK(no_certificate->actions.empty());
  CHECK(no_certificate->waiting_for.find("certificate") != std::string::npos);

  o.galera->tls_want = pydio::agent::GaleraTlsFiles{"CERT", "KEY", "CA"};
  auto first = plan_db_server(d, o);
  REQUIRE(first);
  CHECK(kinds(*first) == std::vector<std::string>{"write-galera-tls", "bootstrap-galera"});

  o.galera->tls_have = o.galera->tls_want;
  o.galera->tls_want->cert = "RENEWED";
  o.running = o.accepting = true;
  pydio::agent::GaleraState synced;
  synced.wsrep_on = synced.ready = synced.primary = synced.synced = true;
  o.galera->live = synced;
  auto renewed = plan_db_server(d, o);
  REQUIRE(renewed);
  REQUIRE(kinds(*renewed) == std::vector<std::string>{"write-galera-tls"});
  const auto* write =
      action_step<DbServerAction, pydio::agent::WriteGaleraTls>(renewed->actions.front());
  REQUIRE(write != nullptr);
  CHECK(write->reload);
}

TEST_CASE("a held server is stopped and nothing starts it until released",
          "[db-server][db_restore]") {
  pydio::agent::DbHold hold;
  hold.reason = "restore of backup 20261201T003000Z-db1";
  SECTION("running: a clean stop, and nothing else even when more would be planned") {
    DbServerObservation o = converged();
    o.config = std::nullopt;  // the option file would be written, were it not held
    o.hold = hold;
    auto plan = plan_db_server(desired(), o);
    REQUIRE(plan);
    CHECK(kinds(*plan) == std::vector<std::string>{"stop-server"});
    CHECK(plan->actions.front().description ==
          "stop mariadb cleanly (held: restore of backup 20261201T003000Z-db1)");
  }
  SECTION("stopped, its datadir set aside (empty): it waits, it neither initializes nor starts") {
    DbServerObservation o;
    o.hold = hold;
    auto plan = plan_db_server(desired(), o);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "held: restore of backup 20261201T003000Z-db1");
  }
  SECTION("a Galera member the decision would bootstrap: it waits") {
    DbServerObservation o = converged();
    o.config = galera_desired().config;
    o.running = o.accepting = false;
    o.galera = galera_seen(pydio::common::GaleraStartKind::kBootstrap);
    o.hold = hold;
    auto plan = plan_db_server(galera_desired(), o);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "held: restore of backup 20261201T003000Z-db1");
  }
  SECTION("a hold that keeps it running (the restore started it): left alone") {
    DbServerObservation o = converged();
    hold.keep_running = true;
    o.hold = hold;
    auto plan = plan_db_server(desired(), o);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "held: restore of backup 20261201T003000Z-db1");
  }
}
