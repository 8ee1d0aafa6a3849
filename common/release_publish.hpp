#pragma once
// Pure decisions of agentctl app publish about the desired state's web section (web.release and
// web.rollout are written by the agent only: docs/desired-state.md). The daemon's side, which
// checks and stores the archive, is agent/daemon/release_publisher.hpp.

#include <optional>
#include <string>
#include <vector>

#include "common/desired_state.hpp"

namespace pydio::common {

enum class PublishOutcome {
  kChange,            // `web` is the next web section
  kAlreadyPublished,  // the release is the one in force: nothing to change
  kRefused,           // `reason` says why; nothing may change
};

struct PublishStep {
  PublishOutcome outcome = PublishOutcome::kRefused;
  WebSpec web;         // kChange: the web section to propose
  std::string reason;  // kRefused: why, for the operator
};

// The web section once `release` is published over `in_force`:
//  - refused while Pydio is operator-installed (web.installDir or web.confDir set) and while a
//    rollout runs (web.rollout without `stopped`);
//  - no release in force: web.release = release and no rollout (every node installs it at once);
//  - else web.release = release and a rollout from what the nodes run: the previous rollout's
//    `previous` when it stopped (only its done nodes moved), else the release in force. A
//    rollout back to that very release is none (the nodes that moved go back at once);
//  - the release in force again: kAlreadyPublished; but when its rollout stopped, the rollout
//    starts over (kChange, web.release unchanged, web.rollout from its first node).
PublishStep plan_publish(const WebSpec& in_force, const ReleaseSpec& release);

// The sha256s of the archives pydio-config must keep for `web`: its release and the rollout's
// previous one (no duplicates; empty without a release).
std::vector<std::string> releases_to_keep(const WebSpec& web);

// The entries of the releases directory to remove so that only `keep` (sha256s) stay: the
// archives the agent stored ("<64 hex>.tar.gz") that are not kept. Any other name is left.
std::vector<std::string> archives_to_prune(const std::vector<std::string>& names,
                                           const std::vector<std::string>& keep);

// A spec file (agentctl apply/init) may leave web.release and web.rollout out or repeat the ones
// in force exactly (`in_force` null at init: none are in force); anything else is refused, one
// line per member. Empty when the spec may go on (the ones in force are then kept).
std::vector<std::string> release_members_problem(const WebSpec& listed, const WebSpec* in_force);

// Why `file` (the archive's name, recorded as web.release.file) cannot be published, or nullopt.
std::optional<std::string> release_file_problem(const std::string& file);

// "sha256:ab12cd34ef56…": a release named in one line of text.
std::string short_sha(const std::string& sha256);

}  // namespace pydio::common
