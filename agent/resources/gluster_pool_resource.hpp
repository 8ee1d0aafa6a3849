#pragma once
// Resource "gluster-pool" (leader only, on a storage node): every storage node of the desired
// state is a member of the leader's trusted pool. A probe must come from a pool member, and
// the leader is one. Peers are identified by their address everywhere (volume bricks, FUSE
// mounts), so the probe uses the address; a peer gluster also knows by a name is recognised.
// Never detaches a peer: a node dropped from the desired state stays in the pool until an
// operator detaches it (its bricks may still hold data).

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "common/gluster_xml.hpp"

namespace pydio::agent {

// The action (see action.hpp).
struct ProbePeer {
  static constexpr const char* kKind = "probe-peer";
  std::string address;
  std::int64_t term = 0;  // the leader term it was planned under
};
using GlusterPoolAction = std::variant<ProbePeer>;

// Pure: one "probe-peer" action per storage address (other than self) the pool lacks.
Plan plan_gluster_pool(const std::vector<std::string>& storage_addresses,
                       const std::string& self_address,
                       const std::vector<common::GlusterPeer>& pool, std::int64_t leader_term);

class GlusterPoolResource : public Resource {
 public:
  std::string name() const override { return "gluster-pool"; }
  std::vector<std::string> depends_on() const override { return {"glusterd"}; }
  bool leader_only() const override { return true; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  // Re-reads the pool first: probing a member again is a no-op.
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
