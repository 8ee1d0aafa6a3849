#pragma once
// Per-volume gauges for GET /metrics, set where the agent already asks gluster: the leader's
// volume resource (the round's `volume status all`, every pass of a started volume), the
// self-heal resource (once a minute) and `agentctl status --cluster` (`volume heal VOL info
// summary`). A value not observed again for
// kVolumeStaleAfter is no longer shown: after leadership moved, the new leader's node has them.
// Volume names come from the desired state (validated), so the series are bounded. Thread-safe.

#include <chrono>
#include <string>

namespace pydio::common {

inline constexpr std::chrono::seconds kVolumeStaleAfter{300};

// pydio_agent_volume_bricks{volume} and pydio_agent_volume_bricks_online{volume}.
void record_volume_bricks(const std::string& volume, int online, int total);
// pydio_agent_volume_heal_pending_entries{volume}, pydio_agent_volume_split_brain_entries{volume}:
// summed over the bricks that answered.
void record_volume_heal(const std::string& volume, int pending, int split_brain);

}  // namespace pydio::common
