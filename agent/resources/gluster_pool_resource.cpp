#include "agent/resources/gluster_pool_resource.hpp"

#include <algorithm>

#include "agent/reconcile/pass_cache.hpp"
#include "agent/resources/leader_check.hpp"
#include "common/gluster_cli.hpp"

namespace pydio::agent {

namespace {

bool in_pool(const std::vector<common::GlusterPeer>& pool, const std::string& address) {
  return std::any_of(pool.begin(), pool.end(),
                     [&](const common::GlusterPeer& peer) { return peer.known_as(address); });
}

std::vector<std::string> storage_addresses(const common::DesiredState& desired) {
  std::vector<std::string> addresses;
  for (const auto* node : desired.nodes_with_role(common::Role::kStorage))
    addresses.push_back(node->address);
  return addresses;
}

}  // namespace

Plan plan_gluster_pool(const std::vector<std::string>& storage_addresses,
                       const std::string& self_address,
                       const std::vector<common::GlusterPeer>& pool, std::int64_t leader_term) {
  Plan plan;
  for (const auto& address : storage_addresses) {
    if (address == self_address || in_pool(pool, address)) continue;
    plan.actions.push_back(make_action<GlusterPoolAction>(
        "probe " + address + " into the gluster pool", ProbePeer{address, leader_term}));
  }
  return plan;
}

bool GlusterPoolResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kStorage);
}

common::Expected<Plan> GlusterPoolResource::observe_and_plan(const PassContext& ctx) const {
  auto pool = observed_pool(ctx);
  if (!pool) return pool.status();
  return plan_gluster_pool(storage_addresses(*ctx.desired), ctx.self->address, *pool,
                           ctx.leader_term);
}

common::Status GlusterPoolResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = name() + ": " + action.description;
  return visit_action<GlusterPoolAction>(name(), action, [&](const ProbePeer& step) {
    if (common::Status leading = check_leader_action(ctx, step.term, context); !leading)
      return leading;
    common::GlusterCli cli(*ctx.runner);
    auto pool = cli.pool_list();
    if (!pool) return pool.status().with_context(context);
    if (in_pool(*pool, step.address)) return common::Status::ok();
    return cli.peer_probe(step.address);
  });
}

}  // namespace pydio::agent
