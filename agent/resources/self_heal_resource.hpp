#pragma once
// Resource "self-heal" (leader only, on a storage node): when a peer that was seen
// disconnected is connected again and a replicated volume has a heal backlog, start an index
// heal (`gluster volume heal VOL`) at once. FIELD-NOTES: after a short cut the self-heal daemon
// sometimes never noticed, and pending heals waited for the 600 s heal-timeout crawl; an index
// heal cleared them in 1.6 s.
//
// The resource remembers which peers it saw disconnected (memory only: after an agent restart
// the next reconnect is the trigger). `heal info summary` runs only after a reconnect, never
// on an idle pass.

#include <set>
#include <string>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "common/gluster_xml.hpp"

namespace pydio::agent {

// Pure: total entries waiting to heal, over the bricks that answered.
int heal_backlog(const std::vector<common::GlusterHealBrick>& bricks);

class SelfHealResource : public Resource {
 public:
  explicit SelfHealResource(std::vector<std::string> volumes) : volumes_(std::move(volumes)) {}

  std::string name() const override { return "self-heal"; }
  std::vector<std::string> depends_on() const override;
  bool leader_only() const override { return true; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

 private:
  std::vector<std::string> volumes_;
  // Touched only by observe_and_plan/apply, which the reconciler never runs concurrently for
  // one resource.
  std::set<std::string> seen_disconnected_;  // peer uuids
  bool check_pending_ = false;
};

}  // namespace pydio::agent
