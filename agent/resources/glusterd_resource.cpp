#include "agent/resources/glusterd_resource.hpp"

#include <algorithm>
#include <thread>

#include "agent/reconcile/pass_cache.hpp"
#include "agent/host/services.hpp"
#include "common/gluster_cli.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

common::Expected<Plan> plan_glusterd(const GlusterdObservation& observed) {
  Plan plan;
  if (!observed.running) {
    if (!observed.start_held_back.empty()) {
      plan.waiting_for = observed.start_held_back;
      return plan;
    }
    std::string description = "start glusterd";
    if (observed.start_number > 1)
      description += " (start " + std::to_string(observed.start_number) + " by this agent)";
    plan.actions.push_back(make_action<GlusterdAction>(description, StartGlusterd{}));
    return plan;
  }
  if (!observed.answering) {
    return observed.answering.with_context("glusterd is running but does not answer");
  }
  return plan;
}

bool GlusterdResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kStorage);
}

common::Expected<Plan> GlusterdResource::observe_and_plan(const PassContext& ctx) const {
  GlusterdObservation observed;
  const auto now = RestartGuard::Clock::now();
  observed.running = ctx.services->is_running(Service::kGlusterd);
  if (observed.running) {
    observed.answering = observed_pool(ctx, kProbeTimeout).status();
  } else {
    observed.start_held_back = restarts_->hold_back("glusterd", now).value_or("");
    observed.start_number = restarts_->next_start_number();
  }
  auto plan = plan_glusterd(observed);
  if (plan && !observed.running) {
    // Seen down: recorded on real passes only (the restart backoff counts from it).
    plan->remember = [guard = restarts_, now] { guard->mark_down(now); };
  }
  return plan;
}

common::Status GlusterdResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<GlusterdAction>(name(), action,
                                      [&](const StartGlusterd&) { return start(ctx); });
}

common::Status GlusterdResource::start(const PassContext& ctx) {
  restarts_->record_start(RestartGuard::Clock::now());
  Status started = ctx.services->start(Service::kGlusterd);
  if (!started) return started.with_context("start glusterd");

  // glusterd takes 2.4-3.4 s before its CLI socket answers (FIELD-NOTES).
  const auto deadline = std::chrono::steady_clock::now() + kReadyTimeout;
  const auto poll = std::chrono::milliseconds(250);
  Status last = Status::error("not probed");
  while (true) {
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) break;
    common::GlusterCli cli(*ctx.runner,
                           std::min<std::chrono::milliseconds>(remaining, kProbeTimeout));
    last = cli.pool_list().status();
    if (last) return Status::ok();
    std::this_thread::sleep_for(poll);
  }
  return last.with_context("start glusterd: no answer within " +
                           std::to_string(kReadyTimeout.count()) + "s");
}

}  // namespace pydio::agent
