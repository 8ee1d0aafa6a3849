#pragma once
// Operator-installed Pydio wired into the cluster's volumes (compute nodes, after the FUSE
// mounts): the agent finds Pydio where web.installDir says, points its data path, caches and
// default repositories into the volumes and its RewriteBase at web.alias (pydio_edits.hpp), and
// makes the node-local cache directory. It never installs or upgrades Pydio. Every file is
// checked before any is written: an unexpected one is an error naming file and line, and
// nothing changes (docs/plans/web-tier.md §3 slice 2).

#include <sys/types.h>

#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "agent/resources/pydio_edits.hpp"
#include "agent/resources/pydio_file_io.hpp"

namespace pydio::agent {

inline constexpr mode_t kLocalCacheMode = 0750;

struct PydioFileChange {
  std::string path;
  PydioFile before;
  std::string after;
};

struct EditPydioFiles {
  static constexpr const char* kKind = "edit-pydio-files";
  std::vector<PydioFileChange> changes;
};
struct MakeLocalCache {
  static constexpr const char* kKind = "make-local-cache";
  std::string path;
  uid_t uid = 0;
  gid_t gid = 0;
};
using PydioWiringAction = std::variant<EditPydioFiles, MakeLocalCache>;

struct LocalCacheState {
  bool exists = false;
  bool is_directory = false;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
};

struct PydioWiringObservation {
  std::string install_dir;
  std::vector<std::string> missing;    // of index.php, base.conf.php, conf/VERSION
  std::string version;                 // first field of conf/VERSION
  std::vector<PydioFileChange> files;  // every wired file: what it holds, what it must hold
  std::string local_cache_dir;
  LocalCacheState local_cache;
  uid_t uid = 0;  // web.user / web.group on this node
  gid_t gid = 0;
};

// Where the desired state points Pydio (pydio_edits.hpp); also each release's edits.
WiringTargets wiring_targets(const common::DesiredState& desired);

// Pure: edits for the files whose text differs, the local cache made or repaired, and the
// mode in force as the note (also "no Pydio at <dir>: install Pydio there", with no action).
common::Expected<Plan> plan_pydio_wiring(const PydioWiringObservation& observed);

class PydioWiringResource : public Resource {
 public:
  std::string name() const override { return "pydio-wiring"; }
  std::vector<std::string> depends_on() const override;
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
