// ChangeCommitter::publish_release: the change agentctl app publish asks for (the archive is
// checked and stored by release_publisher.cpp before). The rest of the class is changes.cpp.

#include "agent/cluster/peer_client.hpp"
#include "agent/daemon/changes.hpp"
#include "common/release_publish.hpp"
#include "common/text.hpp"

namespace pydio::agent {

namespace {
// Other changes (joins, tokens, the leader's rollout steps) commit too: a publish that loses
// the generation race is decided again on the new document.
constexpr int kAttempts = 3;
}  // namespace

api::PeerReply ChangeCommitter::publish_release(const common::ReleaseSpec& release) {
  api::PeerReply reply = error_reply(409, "no attempt made");
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto in_force = state_.desired();
    if (!in_force) return error_reply(409, "no desired state yet (run agentctl init --spec FILE)");
    const common::PublishStep step = common::plan_publish(in_force->web, release);
    if (step.outcome == common::PublishOutcome::kRefused)
      return error_reply(409, step.reason + "; nothing changed");
    if (step.outcome == common::PublishOutcome::kAlreadyPublished)
      return api::PeerReply{
          200, nlohmann::json{{"generation", in_force->generation}, {"alreadyPublished", true}}};
    common::DesiredState next = *in_force;
    next.generation = in_force->generation + 1;
    next.web = step.web;
    const std::vector<std::string> errors = common::validate_desired_state(next);
    if (!errors.empty()) return error_reply(422, common::join(errors, "; "));
    reply = propose(next);
    if (reply.status != 409) break;
    await_generation(int_field(reply.body, "generation", next.generation));
  }
  // Answered once this node follows the new generation: status here shows the release at once.
  if (reply.status == 200) await_generation(int_field(reply.body, "generation"));
  return reply;
}

}  // namespace pydio::agent
