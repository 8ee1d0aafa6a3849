#include "agent/daemon/release_rollout.hpp"

#include <thread>

#include "agent/daemon/release_rollout_step.hpp"
#include "common/text.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

// Other changes (joins, tokens) commit too: a lost generation race is tried again.
constexpr int kAttempts = 3;

std::string release_sha(const common::WebSpec& web) {
  return web.release ? web.release->sha256 : std::string();
}
}  // namespace

void ReleaseRollout::lead() {
  auto desired = state_.desired();
  const bool under_way = desired && desired->web.rollout && desired->web.rollout->stopped.empty();
  if (!under_way || !state_.is_leader_now()) {
    set_progress("");
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  // The compute and lb nodes' reports, asked at once (each bounded; an unreachable node
  // answers its last error at once).
  std::vector<const common::NodeSpec*> asked;
  std::vector<std::string> addresses;
  bool self_asked = false;
  for (const auto& node : desired->nodes) {
    if (!node.has_role(common::Role::kCompute) && !node.has_role(common::Role::kLb)) continue;
    if (node.name == local_.node_name) {
      self_asked = true;
      continue;
    }
    asked.push_back(&node);
    addresses.push_back(node.address);
  }
  const auto answers = cluster_.reports(addresses);
  std::vector<NodeRolloutState> nodes;
  for (std::size_t i = 0; i < asked.size(); ++i) {
    nodes.push_back(answers[i] ? node_rollout_state(asked[i]->name, *answers[i])
                               : unreachable_node(asked[i]->name, answers[i].status().message()));
  }
  if (self_asked) nodes.push_back(node_rollout_state(local_.node_name, local_report_()));

  const RolloutStep step = next_rollout_step(*desired, nodes, common::utc_now_seconds());
  set_progress(step.kind == RolloutStep::Kind::kWait ? step.progress : "");
  if (step.kind != RolloutStep::Kind::kCommit) return;
  const api::PeerReply reply = propose_rollout(*desired, step.next);
  if (reply.status == 200) {
    last_error_.clear();
    record(step.event + " (generation " + std::to_string(int_field(reply.body, "generation")) +
           ")");
    return;
  }
  // Tried again every kPeriod: the same refusal is recorded once.
  const std::string error = text_field(reply.body, "error", "refused");
  if (error != last_error_) record(step.event, error);
  last_error_ = error;
}

api::PeerReply ReleaseRollout::propose_rollout(const common::DesiredState& decided_from,
                                               const std::optional<common::RolloutSpec>& next) {
  api::PeerReply reply = error_reply(409, "no attempt made");
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto in_force = state_.desired();
    if (!in_force) return error_reply(409, "no desired state yet");
    if (in_force->web.rollout != decided_from.web.rollout ||
        release_sha(in_force->web) != release_sha(decided_from.web)) {
      return error_reply(409, "web.rollout or web.release changed (generation " +
                                  std::to_string(decided_from.generation) + " -> " +
                                  std::to_string(in_force->generation) +
                                  ") since the nodes were checked; they are checked again");
    }
    common::DesiredState proposed = *in_force;
    proposed.generation = in_force->generation + 1;
    proposed.web.rollout = next;
    const std::vector<std::string> errors = common::validate_desired_state(proposed);
    if (!errors.empty()) return error_reply(400, common::join(errors, "; "));
    reply = changes_.propose(proposed);
    if (reply.status != 409) return reply;
    std::this_thread::sleep_for(200ms);
  }
  return reply;
}

json ReleaseRollout::report() const {
  std::lock_guard<std::mutex> lock(progress_mutex_);
  if (progress_.empty()) return nullptr;
  return json{{"progress", progress_}};
}

void ReleaseRollout::set_progress(const std::string& progress) {
  std::lock_guard<std::mutex> lock(progress_mutex_);
  progress_ = progress;
}

void ReleaseRollout::record(const std::string& action, const std::string& error) const {
  events_.record_step("release-rollout", action, error, state_.live_term());
}

}  // namespace pydio::agent
