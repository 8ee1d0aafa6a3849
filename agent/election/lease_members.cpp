#include "agent/election/lease_members.hpp"

namespace pydio::agent {

MemberWalk choose_lease_member(std::size_t count, std::size_t start,
                               const std::function<MemberAnswer(std::size_t)>& probe,
                               const std::function<bool()>& may_continue) {
  MemberWalk walk;
  for (std::size_t step = 0; step < count; ++step) {
    const std::size_t index = (start + step) % count;
    if (step > 0 && !may_continue()) {
      walk.next_start = index;
      return walk;
    }
    ++walk.tried;
    if (probe(index) == MemberAnswer::kServing) {
      walk.chosen = index;
      return walk;  // next_start 0: a later walk starts from the preferred member again
    }
  }
  return walk;  // a full pass without a serving member: start over from the first
}

std::optional<std::size_t> preferred_member_to_probe(std::size_t current,
                                                     std::uint64_t successful_rounds) {
  if (current == 0 || successful_rounds == 0 || successful_rounds % kPreferCheckRounds != 0) {
    return std::nullopt;
  }
  return (successful_rounds / kPreferCheckRounds - 1) % current;
}

}  // namespace pydio::agent
