#pragma once
// Which gluster peers hold back a volume transaction of the leader (create, set, add-brick).
// glusterd runs such a transaction only on the peers it sees connected and "Peer in Cluster"
// and leaves the others out, which then keep the old volume files:
// - a disconnected peer: FIELD-NOTES saw a `volume set` during an outage leave that peer's
//   volfiles inconsistent;
// - a peer still joining: recorded (test/data/gluster/record-probe.sh, recorded-probe.txt), a
//   peer is connected in state 4 "Accepted peer request" for 1-2 s after its probe. A `volume
//   set` then succeeded, and in one run that peer kept the old value and volume version; in two
//   others the leader's own value went back to the old one at the next add-brick. glusterd
//   refuses an add-brick with a brick there ("Host ... is not in 'Peer in Cluster' state");
// - a brick host of the desired state that is not in the pool yet: the gluster-pool resource
//   may be probing it in this very round (the volume resource read the pool before), so a
//   change made now can land in its join.

#include <string>
#include <vector>

#include "common/gluster_xml.hpp"

namespace pydio::agent {

struct JoiningPeer {
  std::string host;
  std::string state;  // glusterd's <stateStr>, e.g. "Accepted peer request"
};

struct PoolHold {
  std::vector<std::string> down;     // pool members that are not connected
  std::vector<JoiningPeer> joining;  // connected, not yet "Peer in Cluster"
  std::vector<std::string> absent;   // brick hosts that are not in the pool

  bool empty() const { return down.empty() && joining.empty() && absent.empty(); }
  // What to wait for, e.g. "peers 198.18.0.2 to reconnect", "peer 198.18.0.4 to finish
  // joining the trusted pool (state: Accepted peer request)", "peer 198.18.0.5 to join the
  // trusted pool"; several joined with " and ". "" when empty().
  std::string waiting_text() const;
  // The same as the end of "... stays X until <text>": "peers 198.18.0.2 reconnect", "peer
  // 198.18.0.4 finishes joining the trusted pool (state: ...)", "peer 198.18.0.5 joins the
  // trusted pool".
  std::string until_text() const;
};

// Pure. `brick_hosts`: the volume's brick hosts (desired state); those other than
// `self_address` that no peer is known as count as absent, unless `peers` is empty (the pool
// was not read: a real `pool list` always lists localhost). A member's names are its hostname.
PoolHold pool_hold(const std::vector<common::GlusterPeer>& peers,
                   const std::vector<std::string>& brick_hosts, const std::string& self_address);

}  // namespace pydio::agent
