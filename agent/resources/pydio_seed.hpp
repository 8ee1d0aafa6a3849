#pragma once
// pydio-seed (every compute node, after pydio-shared made appdata/plugins on pydio-config):
// seeds pydio-config/appdata/plugins once for the cluster from this node's own Pydio
// (<installDir>/data/plugins, or the release it serves), never overwriting a file, then writes
// the marker pydio-config/pydio-agent/appdata-seeded.json. It needs a Pydio on the node, which
// only compute nodes have: the leader may be a storage-only node (no Apache, no PHP, no Pydio),
// so the seeding is not the leader's. It is not leader-only: several compute nodes may seed at
// the same moment before the marker exists; every file is created O_EXCL and every directory
// made if missing, so they only skip each other's files (the cluster serves one release); two
// writing the marker at once may fail one of them, which finds the marker on its next pass.

#include <sys/types.h>

#include <string>
#include <variant>

#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

inline constexpr const char* kSeedMarker = "pydio-agent/appdata-seeded.json";

struct SeedAppdata {
  static constexpr const char* kKind = "seed-appdata";
  std::string source;  // <installDir>/data/plugins (local)
  std::string target;  // <pydio-config>/appdata/plugins
  std::string marker;  // <pydio-config>/pydio-agent/appdata-seeded.json
  uid_t uid = 0;
  gid_t gid = 0;
};
using PydioSeedAction = std::variant<SeedAppdata>;

struct PydioSeedObservation {
  std::string waiting;        // e.g. "mount /mnt/pydio-config: hung"; nothing else is looked at
  std::string source;         // "" when this node has no Pydio to seed from
  std::string target;         // appdata/plugins on pydio-config
  bool target_ready = false;  // target is a directory (pydio-shared made it)
  std::string marker;
  bool seeded = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// Pure: nothing once seeded; waits for a healthy mount and for appdata/plugins; a note (no
// action) while this node has no Pydio; else one seed-appdata action.
common::Expected<Plan> plan_pydio_seed(const PydioSeedObservation& observed);

class PydioSeedResource : public Resource {
 public:
  std::string name() const override { return "pydio-seed"; }
  // pydio-shared is the leader's (on a node that does not lead, the reconciler does not wait
  // for it); one of pydio-wiring / pydio-release applies, the other is not applicable.
  std::vector<std::string> depends_on() const override {
    return {"pydio-shared", "pydio-wiring", "pydio-release"};
  }
  // Compute nodes, when the desired state has both Pydio volumes.
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
