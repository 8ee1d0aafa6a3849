#pragma once
// The peer API other agents call, served on <private address>:8481. Pure routing onto the
// PeerBackend the daemon implements, tested without sockets.
//
// Every request must carry "Authorization: Bearer <cluster join token>"; a missing or wrong
// token (or a node that has no token yet) gets 401 and nothing else happens.
//
// GET  /v1/peer/node           200 this node's report (PeerBackend::node_report)
// GET  /v1/peer/desired-state  200 {"generation":N,"document":"<desired-state JSON text>",
//                                   "signature":"<detached signature, cluster/signing.hpp>"}
//                              404 when this node has no desired state yet, 503 when its copy
//                              is not signed
// POST /v1/peer/join           body: JoinRequest JSON (join_request.hpp)
//                              200 {"generation":N,"document":"...","signature":"...",
//                                   "secrets":{...},"signing":{"publicKey":"<PEM>"
//                                   [,"privateKey":"<PEM>" for a storage joiner]}}
// POST /v1/peer/desired-state  body {"document":"..."}: a change; applied only by the leader
//                              (others forward it once), generation must be current + 1
//                              200 {"generation":N}
// POST /v1/peer/nudge         body {"reason":"...","generation":N,"from":"<address>"}
//                              (generation, from optional): something this node acts on changed
//                              (the leader put generation N in force; a peer's brick died).
//                              202 {"accepted":true}; the work starts soon, never in the call
// Errors: {"error":"..."} with 400 bad body, 401, 404, 405, 409 conflict (generation raced,
// node name or address taken), 422 invalid document, 503 no leader or leader unreachable.
// A request already forwarded by a peer carries "X-Pydio-Forwarded: 1" and is never
// forwarded again.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/api/http_message.hpp"

namespace pydio::agent::api {

inline constexpr std::uint16_t kPeerPort = 8481;
inline constexpr const char* kForwardedHeader = "X-Pydio-Forwarded";

// What a backend answers: an HTTP status and a JSON body ({"error": ...} when not 2xx).
struct PeerReply {
  int status = 200;
  nlohmann::json body;
};

// A peer's notice that something changed (POST /v1/peer/nudge).
struct Nudge {
  std::string reason;
  std::int64_t generation = 0;  // > 0: this generation is in force on `from`
  std::string from;             // the announcing node's address, "" when not given
};

class PeerBackend {
 public:
  virtual ~PeerBackend() = default;
  // The token requests must present; "" while this node has none (everything is then 401).
  virtual std::string join_token() const = 0;
  virtual nlohmann::json node_report() = 0;
  virtual PeerReply desired_document() = 0;
  // May block for a bounded time (forwarding to the leader).
  virtual PeerReply join(const nlohmann::json& request, bool forwarded) = 0;
  virtual PeerReply change_desired_state(const std::string& document, bool forwarded) = 0;
  // Must return at once (the work it triggers runs elsewhere).
  virtual PeerReply nudge(const Nudge& nudge) = 0;
};

// True when `presented` equals `expected` (non-empty), compared in constant time.
bool token_matches(const std::string& presented, const std::string& expected);

// The 401 answer for a request whose header carries no valid token, or nullopt. The daemon
// calls it as the server's check_header, so a caller without the token never gets its body
// read; handle_peer_request calls it again.
std::optional<Response> refuse_unauthorized(const RequestHeader& header,
                                            const PeerBackend& backend);

Response handle_peer_request(const Request& request, PeerBackend& backend);

}  // namespace pydio::agent::api
