#include "common/release_publish.hpp"

#include <algorithm>
#include <cctype>

namespace pydio::common {

std::string short_sha(const std::string& sha256) {
  const std::string prefix = "sha256:";
  if (sha256.compare(0, prefix.size(), prefix) != 0 || sha256.size() < prefix.size() + 12)
    return sha256;
  return sha256.substr(0, prefix.size() + 12) + "\u2026";
}

std::optional<std::string> release_file_problem(const std::string& file) {
  const bool plain = std::all_of(file.begin(), file.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-' ||
           c == '+';
  });
  if (file.empty() || file.size() > 128 || file.front() == '.' || !plain)
    return "the file name must be 1 to 128 letters, digits, '.', '_', '-' or '+' (not starting "
           "with '.'): it is recorded in the desired state; rename the file";
  return std::nullopt;
}

PublishStep plan_publish(const WebSpec& in_force, const ReleaseSpec& release) {
  PublishStep step;
  if (!in_force.install_dir.empty() || !in_force.conf_dir.empty()) {
    step.reason = std::string(!in_force.install_dir.empty() ? "web.installDir" : "web.confDir") +
                  " is set: Pydio is installed by the operator on every compute node and the "
                  "agent only wires it; remove web.installDir and web.confDir (agentctl apply) "
                  "to have the agent install published releases";
    return step;
  }
  if (in_force.rollout && in_force.rollout->stopped.empty()) {
    const RolloutSpec& rollout = *in_force.rollout;
    const bool known = in_force.release && in_force.release->sha256 == rollout.release;
    const std::string what =
        known ? in_force.release->version + " (" + short_sha(rollout.release) + ")"
              : short_sha(rollout.release);
    const std::string where = rollout.node.empty()
                                  ? std::to_string(rollout.done.size()) + " done, between nodes"
                                  : rollout.node + " " + rollout_phase_name(rollout.phase);
    step.reason = "a rollout of " + what + " is under way (" + where +
                  "); publish again when it finishes or stops";
    return step;
  }
  if (in_force.release && in_force.release->sha256 == release.sha256) {
    step.web = in_force;
    if (!in_force.rollout) {
      step.outcome = PublishOutcome::kAlreadyPublished;
      return step;
    }
    // Its rollout stopped (a running one was refused above): publishing it again is how the
    // operator retries it, e.g. after a failure that was not the release's (a slow disk). The
    // rollout starts over; nodes already done run it and pass at once.
    step.outcome = PublishOutcome::kChange;
    RolloutSpec retry = *in_force.rollout;
    retry.done.clear();
    retry.node.clear();
    retry.phase = RolloutPhase::kNone;
    retry.stopped.clear();
    retry.since = release.published_at;
    step.web.rollout = retry;
    return step;
  }
  step.outcome = PublishOutcome::kChange;
  step.web = in_force;
  step.web.release = release;
  step.web.rollout.reset();
  if (!in_force.release) return step;
  // A rollout still listed here has stopped: the nodes it had not reached run its previous.
  const bool stopped = in_force.rollout && !in_force.rollout->previous.empty();
  const std::string previous = stopped ? in_force.rollout->previous : in_force.release->sha256;
  if (previous == release.sha256) return step;
  RolloutSpec rollout;
  rollout.release = release.sha256;
  rollout.previous = previous;
  rollout.phase = RolloutPhase::kNone;
  rollout.since = release.published_at;
  step.web.rollout = rollout;
  return step;
}

std::vector<std::string> releases_to_keep(const WebSpec& web) {
  std::vector<std::string> keep;
  if (web.release) keep.push_back(web.release->sha256);
  if (web.rollout && !web.rollout->previous.empty() &&
      std::find(keep.begin(), keep.end(), web.rollout->previous) == keep.end())
    keep.push_back(web.rollout->previous);
  return keep;
}

std::vector<std::string> archives_to_prune(const std::vector<std::string>& names,
                                           const std::vector<std::string>& keep) {
  constexpr std::size_t kHex = 64;
  const std::string suffix = ".tar.gz";
  std::vector<std::string> prune;
  for (const auto& name : names) {
    const bool stored =
        name.size() == kHex + suffix.size() && name.compare(kHex, std::string::npos, suffix) == 0 &&
        std::all_of(name.begin(), name.begin() + kHex,
                    [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
    if (stored &&
        std::find(keep.begin(), keep.end(), "sha256:" + name.substr(0, kHex)) == keep.end())
      prune.push_back(name);
  }
  return prune;
}

std::vector<std::string> release_members_problem(const WebSpec& listed, const WebSpec* in_force) {
  std::vector<std::string> problems;
  const std::optional<ReleaseSpec> none_release;
  const std::optional<RolloutSpec> none_rollout;
  if (listed.release && listed.release != (in_force ? in_force->release : none_release))
    problems.push_back(
        "web.release: managed by agentctl app publish, not by a spec; this spec's release "
        "differs from the one in force" +
        std::string(in_force && in_force->release ? "" : " (none is)") +
        "; remove the release member");
  if (listed.rollout && listed.rollout != (in_force ? in_force->rollout : none_rollout))
    problems.push_back(
        "web.rollout: written by the leader while a release rolls out, not by a spec; this "
        "spec's rollout differs from the one in force" +
        std::string(in_force && in_force->rollout ? "" : " (none is)") +
        "; remove the rollout member");
  return problems;
}

}  // namespace pydio::common
