// Resource db-server, its Galera part: the plan for a member that is stopped, outside a
// primary component, or a single server becoming the first member, and the actions only a
// Galera member takes. Which member may start a cluster is common/galera_bootstrap.hpp's call.

#include "agent/host/galera_position.hpp"
#include "agent/host/mariadb_control.hpp"
#include "agent/host/service_paths.hpp"
#include "agent/resources/db_server_resource.hpp"

namespace pydio::agent {

using common::Expected;
using common::GaleraStartKind;
using common::Status;

namespace {

Expected<bool> plan_stopped_member(const DbServerObservation& observed, Plan& plan) {
  const GaleraObservation& galera = *observed.galera;
  auto add = [&plan](std::string description, auto step) {
    plan.actions.push_back(make_action<DbServerAction>(std::move(description), std::move(step)));
  };
  if (!observed.start_held_back.empty()) {
    plan.waiting_for = observed.start_held_back;
  } else if (galera.decision.kind == GaleraStartKind::kJoin) {
    add("start mariadb and join the Galera cluster (" + galera.decision.reason + ")",
        StartMariadb{});
  } else if (galera.needs_recovery) {
    add("recover this member's Galera position (mariadbd --wsrep-recover): it stopped without "
        "saving it",
        RecoverGaleraPosition{});
  } else if (galera.decision.kind == GaleraStartKind::kBootstrap) {
    add("bootstrap the Galera cluster from this node: " + galera.decision.reason,
        BootstrapGalera{});
  } else {
    plan.waiting_for = galera.decision.reason;
  }
  return true;
}

Expected<bool> plan_single_server(const DbServerObservation& observed, Plan& plan) {
  const common::GaleraStart& decision = observed.galera->decision;
  switch (decision.kind) {
    case GaleraStartKind::kBootstrap:
      plan.actions.push_back(make_action<DbServerAction>(
          "restart mariadb as the first member of a new Galera cluster, with its data (" +
              decision.reason + ")",
          RestartMariadb{true}));
      return true;
    case GaleraStartKind::kJoin:
      // Joining would replace this server's own data with a copy of the cluster's.
      return Status::error(
          "this server runs without Galera and holds its own data, but " + decision.reason +
          ": joining would replace its data by a state transfer; copy the data into the cluster "
          "first (docs/operations.md, \"The database tier\")");
    case GaleraStartKind::kWait:
      plan.waiting_for = "to become a Galera member: " + decision.reason;
      return true;
  }
  return true;
}

}  // namespace

Expected<bool> plan_galera_member(const DbServerDesired& desired,
                                  const DbServerObservation& observed, Plan& plan) {
  if (!desired.galera || !observed.galera) return false;
  const GaleraObservation& galera = *observed.galera;
  if (!desired.galera->tls_dir.empty()) {
    if (!galera.tls_want) {
      plan.waiting_for = "this node's certificate (agentctl join), for Galera's TLS";
      return true;
    }
    if (galera.tls_want != galera.tls_have) {
      const bool reload = observed.running && galera.live && galera.live->wsrep_on;
      plan.actions.push_back(make_action<DbServerAction>(
          std::string(galera.tls_have ? "renew" : "write") + " Galera's TLS files in " +
              desired.galera->tls_dir + (reload ? " and reload them" : ""),
          WriteGaleraTls{reload}));
    }
  }
  if (!observed.running) return plan_stopped_member(observed, plan);
  if (!observed.accepting || !galera.live) return false;  // the common plan says why
  if (!galera.live->wsrep_on) return plan_single_server(observed, plan);
  if (galera_serving(*galera.live)) return false;
  const std::string where = galera_serving_problem(*galera.live);
  if (galera.live->primary) {
    // In the primary component but not synced: a donor or joiner during a state transfer.
    plan.waiting_for = "Galera state transfer (" + where + ")";
    return true;
  }
  switch (galera.decision.kind) {
    case GaleraStartKind::kBootstrap:
      plan.actions.push_back(
          make_action<DbServerAction>("make this member's component primary (pc.bootstrap; it is " +
                                          where + "): " + galera.decision.reason,
                                      PromoteGaleraComponent{}));
      break;
    case GaleraStartKind::kJoin:
      plan.waiting_for = "Galera to finish joining (" + where + "; " + galera.decision.reason + ")";
      break;
    case GaleraStartKind::kWait:
      plan.waiting_for = where + ": " + galera.decision.reason;
      break;
  }
  return true;
}

Status DbServerResource::apply_step(const PassContext& ctx, const RecoverGaleraPosition&) {
  if (Status held = refuse_when_held(ctx); !held) return held;
  const std::string defaults =
      ctx.services->uses_systemd() ? "" : mariadb_defaults_file(*ctx.local);
  return recover_position(*ctx.runner, defaults, ctx.local->mysql_datadir).status();
}

Status DbServerResource::apply_step(const PassContext& ctx, const BootstrapGalera&) {
  if (Status held = refuse_when_held(ctx); !held) return held;
  // Galera refuses a member that was not the last to leave unless it says safe_to_bootstrap;
  // the decision (every member answered, or an operator forced it) is what makes it safe.
  auto state = read_grastate(ctx.local->mysql_datadir);
  if (state && !state->safe_to_bootstrap) {
    Status marked = mark_safe_to_bootstrap(ctx.local->mysql_datadir);
    if (!marked) return marked;
  }
  restarts_->record_start(RestartGuard::Clock::now());
  announce_start(ctx);
  return start_mariadb(*ctx.services, *ctx.runner, *ctx.local, MariadbStart::kNewCluster);
}

Status DbServerResource::apply_step(const PassContext& ctx, const WriteGaleraTls& step) {
  auto files = read_node_tls(ctx.local->pki_dir);
  if (!files) return files.status();
  if (!*files) return Status::error("no node certificate in " + ctx.local->pki_dir);
  Status written = write_galera_tls(kGaleraTlsDir, **files);
  if (!written || !step.reload) return written;
  auto session = MysqlSession::connect(mariadb_admin_endpoint(*ctx.local));
  if (!session) return session.status();
  return (*session)->execute("SET GLOBAL wsrep_provider_options = 'socket.ssl_reload=1'").status();
}

Status DbServerResource::apply_step(const PassContext& ctx, const PromoteGaleraComponent&) {
  if (Status held = refuse_when_held(ctx); !held) return held;
  auto session = MysqlSession::connect(mariadb_admin_endpoint(*ctx.local));
  if (!session) return session.status();
  return (*session)->execute("SET GLOBAL wsrep_provider_options = 'pc.bootstrap=YES'").status();
}

}  // namespace pydio::agent
