#pragma once
// A directory brick of this storage node (BrickSpec with a directory), named "<brick>-brick"
// ("config-brick" for the brick named "config"). Converged means the directory exists.
//
// Safety: a directory whose filesystem is the root filesystem (st_dev of the directory, or of
// its nearest existing ancestor, equals st_dev of "/") is refused unless the brick says
// `allowRootPartition: true`: gluster would otherwise fill the system disk. A directory under
// the mountpoint of one of this node's device bricks waits until that device is mounted there.

#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "common/mount_table.hpp"

namespace pydio::agent {

struct ConfigBrickDesired {
  std::string brick_name;
  std::string node_name;
  std::string directory;
  bool allow_root_partition = false;
  // The device brick of this node whose mountpoint contains `directory`, if any.
  std::optional<std::string> enclosing_device;
  std::optional<std::string> enclosing_mountpoint;
};

// The action (see action.hpp).
struct MakeBrickDirectory {
  static constexpr const char* kKind = "mkdir-brick-dir";
  std::string path;
};
using ConfigBrickAction = std::variant<MakeBrickDirectory>;

struct ConfigBrickObservation {
  bool exists = false;             // something is at the path
  bool is_directory = false;
  std::string nearest_existing;    // the path itself, or its nearest existing ancestor
  bool on_root_filesystem = false; // st_dev of nearest_existing == st_dev of "/"
  bool enclosing_mounted = false;  // the enclosing device is mounted at its mountpoint
};

// Pure. "mkdir-brick-dir" when missing; waits for the enclosing device brick's mount; errors
// for a non-directory at the path and for the root filesystem without the opt-in.
common::Expected<Plan> plan_config_brick(const ConfigBrickDesired& desired,
                                         const ConfigBrickObservation& observed);

// Reads the host (stat of the path and its ancestors, "/", the device, the mount table).
common::Expected<ConfigBrickObservation> observe_config_brick(
    const ConfigBrickDesired& desired, const std::string& mountinfo_path = common::kProcMountinfo);

class ConfigBrickResource : public Resource {
 public:
  // `brick_name`: BrickSpec::name on this node ("config"). `after`: resources that must be in
  // sync first, normally {"data-brick"} (the directory usually lives on the data device; a
  // dependency that does not apply to the node counts as in sync).
  explicit ConfigBrickResource(std::string brick_name, std::vector<std::string> after = {});
  std::string name() const override;
  std::vector<std::string> depends_on() const override { return after_; }
  // Storage nodes whose brick `brick_name` is a directory brick.
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

  // REQUIRES: applies_to(ctx).
  ConfigBrickDesired desired_for(const PassContext& ctx) const;

 private:
  common::Status apply_step(const PassContext& ctx, const MakeBrickDirectory& step) const;

  std::string brick_name_;
  std::vector<std::string> after_;
};

}  // namespace pydio::agent
