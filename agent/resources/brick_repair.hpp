#pragma once
// The volume resource's answer to a dead brick process. GlusterFS never restarts a brick
// whose glusterfsd died; `gluster volume start VOL force` starts the missing bricks of VOL and
// leaves the running ones alone. It is a cluster-wide transaction (two nodes at once collide on
// glusterd's lock), so only the leader runs it, from the volume resource, when `volume status`
// lists a brick of the started volume offline. The storage node whose brick died notices at
// once (process_watch.hpp) and nudges the leader, so this pass comes within seconds.
// Bricks on a host that is not a connected peer are not restartable from here (the transaction
// would fail): they are only reported.

#include <optional>
#include <string>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "common/gluster_xml.hpp"
#include "common/runner.hpp"

namespace pydio::agent {

// Bricks of the started `volume` that `volume status` does not list online. Asked with a short
// timeout: during a peer cut the status can hang (FIELD-NOTES), and a status that fails is not
// the volume's failure, so it then lists nothing and the next pass asks again.
// Read through the round's cache (one `volume status all` for every volume of the round).
std::vector<std::string> observe_offline_bricks(const PassContext& ctx,
                                                const common::GlusterVolume& volume);

// Pure: endpoints of `volume`'s bricks that `status` does not list online, in volume order.
std::vector<std::string> offline_bricks(const common::GlusterVolume& volume,
                                        const common::GlusterVolumeStatus& status);

struct BrickRepairInput {
  std::string volume;
  std::vector<std::string> offline;  // offline_bricks()
  std::vector<common::GlusterPeer> peers;
  std::string self_address;  // the leader's own address: its bricks are restartable
  std::string held_back;     // restart backoff says wait ("" when a start may go)
  int start_number = 1;      // the how-many-th forced start of this volume's bricks
  std::int64_t leader_term = 0;
};

struct BrickRepair {
  std::optional<Action> action;  // StartOfflineBricks (volume_actions.hpp)
  std::string waiting_for;       // held back by the restart backoff
  std::string note;              // offline bricks that cannot be restarted from here
};

// Pure.
BrickRepair plan_brick_repair(const BrickRepairInput& input);

}  // namespace pydio::agent
