#pragma once
// Join tokens as kubeadm's bootstrap tokens: "<id>.<secret>" (6 and 16 lowercase letters or
// digits), short-lived, revocable, printed once. The signed desired state keeps only the id, the
// SHA-256 of the secret, the expiry and a description (common::JoinTokenSpec), so every storage
// node can admit a join and the secret is never written anywhere. Pure functions except
// random_token (the kernel's CSPRNG); the daemon's side is agent/daemon/token_changes.hpp.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/desired_state.hpp"
#include "common/status.hpp"

namespace pydio::agent {

inline constexpr std::chrono::seconds kDefaultTokenTtl = std::chrono::hours(24);
inline constexpr std::chrono::seconds kMinTokenTtl = std::chrono::minutes(1);
inline constexpr std::chrono::seconds kMaxTokenTtl = std::chrono::hours(720);

// `length` random lowercase letters and digits from /dev/urandom.
common::Expected<std::string> random_token(std::size_t length);

// True when `text` has the form "<6 of [a-z0-9]>.<16 of [a-z0-9]>".
bool is_join_token_form(const std::string& text);

// "sha256:<64 lowercase hex digits>" of `secret`.
std::string token_secret_hash(const std::string& secret);

// A --ttl value: one or more <number><unit> with unit s, m or h ("24h", "90m", "1h30m"), from
// kMinTokenTtl to kMaxTokenTtl. Errors name the flag.
common::Expected<std::chrono::seconds> parse_token_ttl(const std::string& text);
// nullopt when `ttl` is within kMinTokenTtl..kMaxTokenTtl, else what is wrong with it.
std::optional<std::string> token_ttl_problem(std::chrono::seconds ttl);
// "1h30m", "24h", "45s": the --ttl form of a duration.
std::string format_ttl(std::chrono::seconds ttl);

struct NewJoinToken {
  std::string token;           // "<id>.<secret>": for the operator, once; never stored
  common::JoinTokenSpec spec;  // what the desired state keeps
};
// A fresh token, valid from `now` (seconds since the epoch) for `ttl`, whose id none of
// `existing` has. REQUIRES: ttl and description valid (token_ttl_problem, and the desired
// state's rule for descriptions, checked when the document is validated).
common::Expected<NewJoinToken> make_join_token(const std::vector<common::JoinTokenSpec>& existing,
                                               std::int64_t now, std::chrono::seconds ttl,
                                               const std::string& description);

// "" when `presented` admits a join at `now`, else the reason the joiner reads. Expiry is told
// only to a holder of the right secret; an unknown id, a deleted token and a wrong secret get
// the same answer. The hashes are compared in constant time.
std::string join_token_refusal(const std::vector<common::JoinTokenSpec>& tokens,
                               const std::string& presented, std::int64_t now);

}  // namespace pydio::agent
