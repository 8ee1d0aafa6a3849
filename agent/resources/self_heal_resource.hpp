#pragma once
// Resource "self-heal" (leader only, on a storage node): when a peer that was seen
// disconnected is connected again and a replicated volume has a heal backlog, start an index
// heal (`gluster volume heal VOL`) at once. FIELD-NOTES: after a short cut the self-heal daemon
// sometimes never noticed, and pending heals waited for the 600 s heal-timeout crawl; an index
// heal cleared them in 1.6 s.
//
// The resource remembers which peers it saw disconnected (memory only: after an agent restart
// the next reconnect is the trigger). It learns them only on real passes (Plan::remember): a
// dry run sees the same pool and changes nothing. `heal info summary` runs after a reconnect,
// and otherwise at most once per kHealPollInterval, connected peers or not: that periodic
// look only refreshes the heal-backlog and split-brain gauges of GET /metrics (the self-heal
// daemon works through a backlog by itself; the index heal is for the reconnect case above).

#include <chrono>
#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "agent/reconcile/resource_memory.hpp"
#include "common/gluster_xml.hpp"

namespace pydio::agent {

// The action (see action.hpp).
struct HealVolume {
  static constexpr const char* kKind = "heal-volume";
  std::string volume;
  std::int64_t term = 0;  // the leader term it was planned under
};
using SelfHealAction = std::variant<HealVolume>;

// Pure: total entries waiting to heal, over the bricks that answered.
int heal_backlog(const std::vector<common::GlusterHealBrick>& bricks);

// Often enough for the gauges never to go stale (common::kVolumeStaleAfter is 5 min) and for a
// 15-minute trend; rare enough to cost nothing (one glfsheal per replicated volume a minute).
// Below the 60 s timer pass (passIntervalSeconds) on purpose: the look happens on a pass, and an
// interval of exactly 60 s would, with the timer's jitter, skip every other pass (2 min).
inline constexpr std::chrono::seconds kHealPollInterval{50};

struct SelfHealMemory {
  std::set<std::string> seen_disconnected;  // peer uuids
  bool check_pending = false;               // a peer came back: look at the heal backlog
  std::chrono::steady_clock::time_point last_poll{};  // last periodic `heal info summary`
};

// Pure: whether the periodic look at the heal backlog is due at `now`.
bool heal_poll_due(const SelfHealMemory& memory, std::chrono::steady_clock::time_point now);

// Pure: what the resource remembers after seeing `pool`. A peer seen disconnected before and
// connected now sets check_pending. A peer known by one of `unreachable` (addresses the
// agent's own reachability round could not reach) counts as disconnected even while glusterd
// still lists it connected: glusterd notices a cut only after 19-26 s, and a cut shorter than
// that would otherwise never be seen.
SelfHealMemory remember_pool(SelfHealMemory memory, const std::vector<common::GlusterPeer>& pool,
                             const std::set<std::string>& unreachable = {});

class SelfHealResource : public Resource {
 public:
  explicit SelfHealResource(std::vector<std::string> volumes) : volumes_(std::move(volumes)) {}

  std::string name() const override { return "self-heal"; }
  std::vector<std::string> depends_on() const override;
  bool leader_only() const override { return true; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
  void carry_over(const Resource& previous) override;

 private:
  // The resource's volumes that the desired state replicates (heal info needs a replica).
  std::vector<std::string> replicated_volumes(const PassContext& ctx) const;

  std::vector<std::string> volumes_;
  // Written by Plan::remember (real passes only) and by apply().
  std::shared_ptr<ResourceMemory<SelfHealMemory>> memory_ =
      std::make_shared<ResourceMemory<SelfHealMemory>>();
};

}  // namespace pydio::agent
