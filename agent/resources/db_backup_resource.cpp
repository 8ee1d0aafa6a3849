#include "agent/resources/db_backup_resource.hpp"

#include "agent/cluster/cluster_view.hpp"
#include "agent/resources/db_backup_schedule.hpp"
#include "agent/resources/leader_check.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

bool DbBackupResource::applies_to(const PassContext& ctx) const {
  return ctx.desired->database.backup.has_value() &&
         !ctx.desired->nodes_with_role(common::Role::kDb).empty();
}

void DbBackupResource::carry_over(const Resource& previous) {
  if (const auto* old = dynamic_cast<const DbBackupResource*>(&previous))
    last_request_ = old->last_request_;
}

common::Expected<Plan> DbBackupResource::observe_and_plan(const PassContext& ctx) const {
  Plan plan;
  if (ctx.cluster == nullptr) {
    plan.waiting_for = "the other agents' reports";
    return plan;
  }
  const auto db_nodes = ctx.desired->nodes_with_role(common::Role::kDb);
  std::vector<std::string> addresses;
  for (const common::NodeSpec* node : db_nodes) addresses.push_back(node->address);
  const auto reports = ctx.cluster->node_reports(addresses);
  const std::int64_t now = common::utc_now_seconds();
  std::vector<BackupMemberView> members;
  for (std::size_t i = 0; i < db_nodes.size(); ++i) {
    const nlohmann::json* report = reports[i] ? &*reports[i] : nullptr;
    members.push_back(backup_member_view(db_nodes[i]->name, db_nodes[i]->address, report, now));
  }
  const BackupDecision decision =
      decide_db_backup(*ctx.desired->database.backup, members, now, last_request_->get());
  if (decision.start_on) {
    plan.actions.push_back(make_action<DbBackupAction>(
        "ask " + decision.start_on->name + " to take a database backup (due)",
        StartDbBackup{decision.start_on->name, decision.start_on->address, ctx.leader_term}));
  }
  plan.waiting_for = decision.waiting_for;
  plan.note = decision.note;
  return plan;
}

common::Status DbBackupResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = name() + ": " + action.description;
  return visit_action<DbBackupAction>(name(), action, [&](const StartDbBackup& step) {
    if (common::Status leading = check_leader_action(ctx, step.term, context); !leading)
      return leading;
    last_request_->set(common::utc_now_seconds());
    if (ctx.cluster == nullptr) return common::Status::error(context + ": no cluster view");
    auto started = ctx.cluster->start_db_backup(step.address);
    if (!started) return started.status().with_context(context);
    return common::Status::ok();
  });
}

}  // namespace pydio::agent
