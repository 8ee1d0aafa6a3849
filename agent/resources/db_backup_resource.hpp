#pragma once
// Resource "db-backup" (leader only, with database.backup): asks one serving db member to take
// a backup when one is due (db_backup_schedule.hpp decides; the member's DbBackupWorker takes
// it). In sync in between, with a note saying when the last one finished and when the next is
// due. The time of its last request is kept in memory only: after a leader change the new
// leader may ask once more, which costs one extra backup at most.

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "agent/reconcile/resource.hpp"
#include "agent/reconcile/resource_memory.hpp"

namespace pydio::agent {

struct StartDbBackup {
  static constexpr const char* kKind = "start-db-backup";
  std::string node;
  std::string address;
  std::int64_t term = 0;  // the leader term it was planned under
};
using DbBackupAction = std::variant<StartDbBackup>;

class DbBackupResource : public Resource {
 public:
  std::string name() const override { return "db-backup"; }
  bool leader_only() const override { return true; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
  void carry_over(const Resource& previous) override;

 private:
  // When this leader last asked a member (UTC seconds), 0 never.
  std::shared_ptr<ResourceMemory<std::int64_t>> last_request_ =
      std::make_shared<ResourceMemory<std::int64_t>>();
};

}  // namespace pydio::agent
