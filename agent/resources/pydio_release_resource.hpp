#pragma once
// `pydio-release` (compute nodes in release mode, web.release set): the node serves exactly
// the release common::release_target() names, installed from the archive published on the
// config volume, never from the network (docs/operations.md, "Releases on a node").
//   stage:  fetch <pydio-config>/pydio-agent/releases/<hex>.tar.gz to <state dir>/releases
//           (hashed while copied), unpack into <docroot>/releases/.<id>.partial, edit it as
//           pydio-wiring edits an operator's Pydio (its own cache <localCacheDir>/<id>),
//           rename to <docroot>/releases/<id>;
//   switch: <docroot>/current -> releases/<id> (previous -> the old one), graceful reload of
//           Apache, then the check (release_check.hpp); a failed check switches back, reloads,
//           and records the failure (release_failure.hpp) so the node does not try that
//           release again while the target still names it;
//   prune:  every release but the current, the previous and the targets.
// A switch is recorded (release_switch_record.hpp) before the first link changes and forgotten
// once the links are settled. An agent killed in between finds `current` on a release nobody
// checked: its first pass runs the reload and check again (switching back if it fails), and
// until then the node reports the release it switched from as its current one, so the
// leader's rollout waits for the check rather than moving on.
// It replaces pydio-wiring, which in release mode has nothing to do.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "agent/host/release_prune.hpp"
#include "agent/reconcile/resource.hpp"
#include "agent/resources/release_check.hpp"
#include "agent/resources/release_failure.hpp"
#include "agent/resources/release_report.hpp"
#include "agent/resources/release_switch_record.hpp"
#include "common/release_target.hpp"

namespace pydio::agent {

struct StageReleaseStep {
  static constexpr const char* kKind = "stage-release";
  std::string sha256;
  std::string id;
};
struct SwitchReleaseStep {
  static constexpr const char* kKind = "switch-release";
  std::string sha256;
  std::string id;
};
struct PruneReleasesStep {
  static constexpr const char* kKind = "prune-releases";
};
struct ForgetReleaseFailureStep {
  static constexpr const char* kKind = "forget-release-failure";
};
// The agent stopped between switching `current` to a release and checking it.
struct CheckSwitchedReleaseStep {
  static constexpr const char* kKind = "check-switched-release";
  ReleaseSwitchRecord record;
};
// A switch record that no longer matches the links (the agent stopped before it changed
// `current`, or after it had switched back).
struct ForgetReleaseSwitchStep {
  static constexpr const char* kKind = "forget-release-switch";
};
using PydioReleaseAction =
    std::variant<StageReleaseStep, SwitchReleaseStep, PruneReleasesStep, ForgetReleaseFailureStep,
                 CheckSwitchedReleaseStep, ForgetReleaseSwitchStep>;

struct InstalledRelease {
  std::string id;
  std::string sha256;  // from its marker
  std::string version;
};

struct PydioReleaseObservation {
  common::ReleaseTarget target;
  std::map<std::string, std::string> known_versions;  // sha256 -> version (the desired state's)
  std::set<std::string> published;          // sha256s whose archive is on the config volume
  std::vector<InstalledRelease> installed;  // <docroot>/releases/<id> with a marker
  std::string current_id;                   // <docroot>/current's; "" none
  std::string previous_id;                  // <docroot>/previous's
  std::optional<ReleaseFailure> failure;
  std::optional<ReleaseSwitchRecord> switch_record;  // a switch not settled (see the header)
  // Names found in the three directories prune_steps() looks at.
  std::vector<std::string> release_names, cache_names, archive_names;
  ReleaseDirs dirs;
  std::string archive_source_dir;  // <pydio-config>/pydio-agent/releases
};

// Pure. Actions in order: forget a failure the target no longer names, stage what the target
// names and the node lacks (waiting while its archive is not on the config volume), switch
// `current` (unless that release failed here), prune. Note: release_status_note().
// An error, when nothing else is to do, for the failure of the release the target names.
common::Expected<Plan> plan_pydio_release(const PydioReleaseObservation& observed);

// Pure. True when `current` is on a release whose switch was recorded but never settled, and the
// target still names it: its check is owed.
bool switch_check_owed(const PydioReleaseObservation& observed);

// Pure. The report (and status line) of an observation.
NodeReleaseReport release_report_of(const PydioReleaseObservation& observed);

// The reload and check of a switch; real ones in production, fakes in unit tests.
struct ReleaseSwitchHooks {
  std::function<common::Status(const PassContext&)> reload;
  std::function<std::string(const ReleaseCheckRequest&)> check;
};
ReleaseSwitchHooks real_release_switch_hooks();

class PydioReleaseResource : public Resource {
 public:
  explicit PydioReleaseResource(ReleaseSwitchHooks hooks = real_release_switch_hooks())
      : hooks_(std::move(hooks)) {}
  std::string name() const override { return "pydio-release"; }
  std::vector<std::string> depends_on() const override;
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

  // Reads the host (changes nothing). Public for tests.
  common::Expected<PydioReleaseObservation> observe(const PassContext& ctx) const;

 private:
  common::Status apply_step(const PassContext& ctx, const StageReleaseStep& step);
  common::Status apply_step(const PassContext& ctx, const SwitchReleaseStep& step);
  common::Status apply_step(const PassContext& ctx, const PruneReleasesStep& step);
  common::Status apply_step(const PassContext& ctx, const ForgetReleaseFailureStep& step);
  common::Status apply_step(const PassContext& ctx, const CheckSwitchedReleaseStep& step);
  common::Status apply_step(const PassContext& ctx, const ForgetReleaseSwitchStep& step);
  // After `current` points at record.id: reload Apache, check, switch back on failure (and
  // record the failure); forgets the switch record once the links are settled.
  common::Status reload_and_check(const PassContext& ctx, const ReleaseSwitchRecord& record);
  void publish_report(const PassContext& ctx) const;

  ReleaseSwitchHooks hooks_;
};

}  // namespace pydio::agent
