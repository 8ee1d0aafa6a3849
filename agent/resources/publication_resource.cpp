#include "agent/resources/publication_resource.hpp"

#include "agent/cluster/published_state.hpp"
#include "agent/cluster/signed_document.hpp"
#include "agent/resources/leader_check.hpp"
#include "common/volume_clients.hpp"

namespace pydio::agent {

common::Expected<Plan> plan_publication(std::int64_t generation, const std::string& text,
                                        const std::optional<std::string>& published_text,
                                        std::int64_t published_generation,
                                        std::int64_t leader_term) {
  Plan plan;
  const std::int64_t found = published_text ? published_generation : 0;
  if (found > generation) {
    plan.waiting_for = "this node to adopt published generation " + std::to_string(found);
    return plan;
  }
  if (found == generation) {
    if (published_text && *published_text != text) {
      return common::Status::error("generation " + std::to_string(generation) +
                                   " is published on " + kConfigVolume +
                                   " with other content than the one in force here");
    }
    return plan;
  }
  plan.actions.push_back(make_action<PublicationAction>(
      "publish desired state generation " + std::to_string(generation) + " on " + kConfigVolume +
          (published_text ? " (replacing generation " + std::to_string(found) + ")" : ""),
      PublishDesiredState{generation, found, leader_term}));
  return plan;
}

std::vector<std::string> PublicationResource::depends_on() const {
  return {std::string("fuse-mount/") + kConfigVolume};
}

bool PublicationResource::applies_to(const PassContext& ctx) const {
  // Storage nodes (the leader is one) mount pydio-config too, also without compute.
  return ctx.self != nullptr &&
         common::node_mounts_volume(*ctx.desired, *ctx.self, common::kConfigVolume) &&
         !published_state_path(*ctx.desired).empty();
}

common::Expected<Plan> PublicationResource::observe_and_plan(const PassContext& ctx) const {
  if (!ctx.desired_signed || ctx.desired_signed->signature.empty())
    return common::Status::error(
        "the document in force on this node is not signed; it is "
        "published once it is");
  const std::string path = published_state_path(*ctx.desired);
  auto published = read_published_state(path, ctx.signing_public_pem);
  if (!published) return published.status();
  // A document not signed by the cluster's key (or an untrusted file) counts as nothing
  // published: it is replaced. An untrusted folder makes the publication fail, saying why.
  std::optional<std::string> text;
  std::int64_t generation = 0;
  if (published->has_value() && (*published)->generation > 0) {
    text = (*published)->text;
    generation = (*published)->generation;
  }
  return plan_publication(ctx.desired->generation, ctx.desired_signed->text, text, generation,
                          ctx.leader_term);
}

common::Status PublicationResource::apply(const PassContext& ctx, const Action& action) {
  const std::string context = name() + ": " + action.description;
  return visit_action<PublicationAction>(name(), action, [&](const PublishDesiredState& step) {
    if (common::Status leading = check_leader_action(ctx, step.term, context); !leading)
      return leading;
    if (step.generation != ctx.desired->generation)
      return common::Status::error(context + ": the desired state changed since it was planned");
    return publish_state(published_state_path(*ctx.desired), ctx.desired_signed->text,
                         ctx.desired_signed->signature, ctx.signing_public_pem, step.expected);
  });
}

}  // namespace pydio::agent
