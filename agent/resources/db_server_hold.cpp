// Resource db-server, while an operator's restore holds the server (agent/host/db_hold.hpp):
// it is stopped cleanly and nothing starts it, initializes its datadir or bootstraps from it
// until the hold is released.

#include "agent/host/mariadb_control.hpp"
#include "agent/resources/db_server_resource.hpp"

namespace pydio::agent {

using common::Status;

bool plan_held_server(const DbServerObservation& observed, Plan& plan) {
  if (!observed.hold) return false;
  const std::string held = "held: " + observed.hold->reason;
  if (observed.running && !observed.hold->keep_running) {
    plan.actions.push_back(
        make_action<DbServerAction>("stop mariadb cleanly (" + held + ")", StopMariadb{}));
    return true;
  }
  plan.waiting_for = held;
  return true;
}

Status refuse_when_held(const PassContext& ctx) {
  auto hold = read_db_hold(ctx.local->state_dir);
  if (!hold) return hold.status();
  if (*hold) return Status::error("not acting: the server is held (" + (*hold)->reason + ")");
  return Status::ok();
}

Status DbServerResource::apply_step(const PassContext& ctx, const StopMariadb&) {
  return stop_mariadb(*ctx.services, *ctx.runner, *ctx.local);
}

}  // namespace pydio::agent
