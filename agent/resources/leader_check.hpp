#pragma once
// The guard every leader-only apply() runs first: the action was planned under the term that
// still holds, and this node still leads. A stale or duplicate leader must do nothing.
// Typed leader actions carry the term they were planned under (e.g. ProbePeer::term).

#include <cstdint>
#include <string>

#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

inline common::Status check_leader_action(const PassContext& ctx, std::int64_t planned,
                                          const std::string& context) {
  if (!ctx.is_leader) return common::Status::error(context + ": this node is not the leader");
  if (planned != ctx.leader_term) {
    return common::Status::error(context + ": planned under leader term " +
                                 std::to_string(planned) + ", current term " +
                                 std::to_string(ctx.leader_term));
  }
  if (ctx.live_term) {
    const std::int64_t now = ctx.live_term();
    if (now == 0) return common::Status::error(context + ": this node lost the lease; not acting");
    if (now != planned) {
      return common::Status::error(context + ": planned under leader term " +
                                   std::to_string(planned) + ", the lease is now held under term " +
                                   std::to_string(now));
    }
  }
  return common::Status::ok();
}

}  // namespace pydio::agent
