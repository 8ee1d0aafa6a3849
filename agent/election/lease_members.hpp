#pragma once
// Which database member the leader lease talks to (docs/operations.md, "The lease on Galera").
// Pure rules, kept apart from the SQL so that unit tests can drive them with fake members.
//
// Order of preference is the members' order (common::database_servers: document order). All
// agents apply the same rules to the same list, so in steady state they all talk to the first
// serving member and every lease expiry is computed and compared on that one member's clock.
// - A client keeps its session while rounds succeed; it walks only when it has none.
// - A walk tries members in order and accepts the first that is serving (Synced, Primary,
//   ready; or a server without Galera). When the round's budget runs out before every member
//   was tried, the next walk resumes where this one stopped, so a few members that only time
//   out cannot hide the later ones forever.
// - A session on a non-preferred member probes one earlier member every kPreferCheckRounds
//   successful rounds (in turn) and moves back to it once it serves again.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace pydio::agent {

enum class MemberAnswer {
  kServing,     // reachable and serving: the client may use it
  kNotServing,  // reachable, but Galera says not to use it (Donor, Joining, non-Primary, ...)
  kUnreachable  // connect or a statement failed
};

struct MemberWalk {
  std::optional<std::size_t> chosen;  // the member accepted, if any
  std::size_t next_start = 0;         // where the next walk begins
  std::size_t tried = 0;              // how many members were probed
};

// Probes members starting at `start` (wrapping around, each at most once) until one answers
// kServing. Before every probe but the first, `may_continue()` is asked whether the round has
// time for another one; when it says no, next_start names the first member not tried.
// REQUIRES: count > 0 and start < count.
MemberWalk choose_lease_member(std::size_t count, std::size_t start,
                               const std::function<MemberAnswer(std::size_t)>& probe,
                               const std::function<bool()>& may_continue);

// Successful rounds on a non-preferred member between two probes of an earlier member.
inline constexpr std::uint64_t kPreferCheckRounds = 5;

// The earlier member to probe after `successful_rounds` successful rounds on member `current`,
// or nullopt when no probe is due (current is the first member, or it is not yet time).
// Successive checks probe members 0 .. current-1 in turn.
std::optional<std::size_t> preferred_member_to_probe(std::size_t current,
                                                     std::uint64_t successful_rounds);

}  // namespace pydio::agent
