#pragma once
// Resource "desired-state-publication" (leader only, on a node that mounts pydio-config):
// the document in force on the leader is the one published on pydio-config
// (cluster/published_state.hpp), so that every agent follows it. Publishing is a
// compare-and-set against the generation observed: a concurrent writer makes it fail, never
// lose an update. A published generation newer than ours is left alone (the follower adopts it).

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

// The action (see action.hpp).
struct PublishDesiredState {
  static constexpr const char* kKind = "publish-desired-state";
  std::int64_t generation = 0;  // the generation in force when planned
  std::int64_t expected = 0;    // the generation published then (0: none): compare-and-set
  std::int64_t term = 0;        // the leader term it was planned under
};
using PublicationAction = std::variant<PublishDesiredState>;

// Pure: publish when nothing or an older generation is published; an error when the same
// generation is published with other content.
common::Expected<Plan> plan_publication(std::int64_t generation, const std::string& text,
                                        const std::optional<std::string>& published_text,
                                        std::int64_t published_generation,
                                        std::int64_t leader_term);

class PublicationResource : public Resource {
 public:
  std::string name() const override { return "desired-state-publication"; }
  std::vector<std::string> depends_on() const override;
  bool leader_only() const override { return true; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
