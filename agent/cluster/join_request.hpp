#pragma once
// What a joining node asks for, and the pure decision of how the desired state changes.
//
// A node already listed (same name and address) is a member: joining again changes nothing.
// A new node is appended with the roles it asks for; a storage node gets the brick layout of
// the cluster's first storage node (same brick names, mountpoints and directories), with its
// own data device. The result has generation + 1 and passed full validation.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/desired_state.hpp"
#include "common/host_pattern.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct JoinRequest {
  std::string name;                   // the joining node's nodeName (agent.json)
  std::string address;                // its private address (agent.json)
  std::vector<common::Role> roles;    // empty: whatever the desired state already says
  std::optional<std::string> device;  // data device of a new storage node
};

// {"name","address","roles":["storage",...],"device":"/dev/xvdb"|null}
nlohmann::json join_request_json(const JoinRequest& request);
// Errors name the field, e.g. "roles[1]: \"web\" is not a role (storage, compute, db, lb)".
common::Expected<JoinRequest> parse_join_request(const nlohmann::json& body);

enum class JoinConflict { kNone, kConflict, kInvalid };

struct JoinDecision {
  // The document to put in force: `current` itself when the node already is a member.
  std::shared_ptr<const common::DesiredState> next;
  bool already_member = false;
};

struct JoinRefusal {
  JoinConflict kind = JoinConflict::kNone;  // kConflict -> 409, kInvalid -> 422
  std::string message;
};

// Pure. Either a decision or a refusal that says what is wrong.
std::variant<JoinDecision, JoinRefusal> decide_join(
    const std::shared_ptr<const common::DesiredState>& current, const JoinRequest& request);

// MySQL LIKE matching of a host pattern ('%' any run, '_' one character): the one matcher
// that validation uses too.
using common::host_pattern_matches;

}  // namespace pydio::agent
