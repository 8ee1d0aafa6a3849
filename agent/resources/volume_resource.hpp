#pragma once
// Resource "volume/<name>": one gluster volume of the desired state exists with the desired
// replica/arbiter layout and options, and is started. Leader-only; runs on a storage node
// (the leader drives gluster through its local glusterd).
//
// Bricks are used in whole replica sets only: at creation the first complete sets, later
// (scale-out) each newly complete set is added with `add-brick`, followed by a rebalance;
// until a set is complete the plan says how many storage nodes it waits for. A brick is used
// only once its host is a connected peer, no peer is still joining the pool ("Peer in Cluster"
// not reached: pool_hold.hpp) and the brick's own agent reports it ready.
// An add-brick that fails on a peer ("Commit failed on <peer>") has been committed on this node
// already: the next pass finds the bricks in `volume info` and does not add them again; apply()
// then marks the rebalance due, and the bricks, offline where the commit failed, go to the
// brick repair below.
// A brick process that died is started again with `volume start VOL force` (brick_repair.hpp).
// What it never does: recreate, delete or re-layout an existing volume, or remove a brick;
// such differences are reported, not acted on.
// Options are not changed while a peer of the pool is disconnected or still joining, or a brick
// host is not in the pool yet (pool_hold.hpp): FIELD-NOTES saw a `volume set` during a peer
// outage leave that peer's volfiles inconsistent, and a joining peer misses it the same way.
//
// Access: `auth.allow` (and with security.glusterTls `auth.ssl-allow`, client.ssl and
// server.ssl) is managed, not an operator option (validation refuses it): volume_access.hpp.
// A change of the access lists on an existing volume is deferred (a note, not a wait: the
// volume keeps serving and its dependents go on) on the same condition.
//
// Plan order for a missing volume: create, set each desired option, start (options set
// before the first start need no graph switch in running bricks).

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "agent/host/restart_guard.hpp"
#include "agent/reconcile/resource.hpp"
#include "agent/reconcile/resource_memory.hpp"
#include "agent/resources/volume_access.hpp"
#include "agent/resources/volume_actions.hpp"
#include "common/desired_state.hpp"
#include "common/gluster_xml.hpp"

namespace pydio::agent {

// The desired volume as gluster needs it, derived from the document.
struct VolumeTarget {
  std::string name;
  int replica = 1;
  int arbiter = 0;
  std::vector<std::string> bricks;  // "address:path" in node order
  std::map<std::string, std::string> options;
  // True when a brick is a directory on the root partition, explicitly allowed by the
  // document (allowRootPartition): gluster refuses such a brick without "force".
  bool force = false;
  std::string self_address;  // the leader's own address
  // The managed auth.allow value (addresses of the storage and compute nodes, comma-separated,
  // in desired-state order); "" leaves the option alone.
  std::string auth_allow;
  // The managed auth.ssl-allow value (their names), "" when glusterTls is off.
  std::string ssl_allow;
};

// REQUIRES: `volume` belongs to `desired`.
VolumeTarget volume_target(const common::DesiredState& desired, const common::VolumeSpec& volume,
                           const std::string& self_address);

struct VolumeObservation {
  std::optional<common::GlusterVolume> volume;  // nullopt: gluster says it does not exist
  // `pool list`, including "localhost"; empty when it was not read.
  std::vector<common::GlusterPeer> peers;
  // Brick hosts whose own agent reports the brick resource in sync (asked over the peer API).
  std::set<std::string> ready_hosts;
  // Bricks were added and the rebalance has not been started successfully yet (the resource's
  // memory, written by apply(): a `rebalance start` that failed or timed out is tried again).
  bool rebalance_due = false;
  // Bricks of the started volume that `volume status` does not list online (brick_repair.hpp),
  // the restart backoff's verdict on forcing them up ("" when it may go), and the number that
  // forced start would get.
  std::vector<std::string> offline_bricks;
  std::string bricks_held_back;
  int brick_start_number = 1;
};

// Pure. Actions (volume_actions.hpp): CreateVolume, SetVolumeOption, StartVolume,
// StartOfflineBricks (offline bricks of a started volume), AddBricks, RebalanceVolume, each
// with the leader term it was planned under. An existing volume with another
// layout is an error; bricks on hosts that are not connected peers, or not reported ready, or a
// peer still joining the pool make it wait.
common::Expected<Plan> plan_volume(const VolumeTarget& target, const VolumeObservation& observed,
                                   std::int64_t leader_term);

class VolumeResource : public Resource {
 public:
  static constexpr std::chrono::seconds kRebalanceStartTimeout{120};

  // `brick_resources`: names of the brick resources that must be in sync first, i.e.
  // {brick_resource_name(volume.brick)}.
  VolumeResource(std::string volume_name, std::vector<std::string> brick_resources)
      : volume_name_(std::move(volume_name)), brick_resources_(std::move(brick_resources)) {}

  std::string name() const override { return "volume/" + volume_name_; }
  std::vector<std::string> depends_on() const override {
    std::vector<std::string> names = {"glusterd"};
    names.insert(names.end(), brick_resources_.begin(), brick_resources_.end());
    return names;
  }
  bool leader_only() const override { return true; }
  // The volume is in the desired state and this node is a storage node (it has a glusterd).
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  // Re-reads the volume before creating or starting it, so a duplicate or stale action is a
  // no-op rather than an error. Refuses to act when this node is no longer the leader.
  common::Status apply(const PassContext& ctx, const Action& action) override;
  // Takes over "a rebalance is due" from the object this one replaces.
  void carry_over(const Resource& previous) override;

 private:
  // `context`: "volume/<name>: <the action's description>", for errors that need it.
  common::Status apply_step(const PassContext& ctx, const CreateVolume& step,
                            const std::string& context);
  common::Status apply_step(const PassContext& ctx, const SetVolumeOption& step,
                            const std::string& context);
  common::Status apply_step(const PassContext& ctx, const StartVolume& step,
                            const std::string& context);
  common::Status apply_step(const PassContext& ctx, const StartOfflineBricks& step,
                            const std::string& context);
  common::Status apply_step(const PassContext& ctx, const AddBricks& step,
                            const std::string& context);
  common::Status apply_step(const PassContext& ctx, const RebalanceVolume& step,
                            const std::string& context);

  std::string volume_name_;
  std::vector<std::string> brick_resources_;
  // VolumeObservation::rebalance_due, written only by apply() (add-bricks, rebalance-volume).
  std::shared_ptr<ResourceMemory<bool>> rebalance_due_ = std::make_shared<ResourceMemory<bool>>();
  std::shared_ptr<RestartGuard> brick_restarts_ =
      std::make_shared<RestartGuard>();  // bricks dying right after each forced start: backoff
};

}  // namespace pydio::agent
