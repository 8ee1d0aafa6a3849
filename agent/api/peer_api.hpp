#pragma once
// The peer API other agents call, served over TLS on <private address>:8481 (tls_session.hpp).
// Pure routing and admission onto the PeerBackend the daemon implements, tested without sockets.
//
// Who may ask what (as the NodeRestriction admission plugin limits a kubelet):
// - POST /v1/peer/join needs no client certificate; its body must carry a join token ("token")
//   of the desired state in force, not expired, else 401 with the reason
//   (agent/cluster/join_token.hpp). It is the only way in for a node without a certificate.
// - Every other route needs a client certificate the cluster CA signed (401 without one),
//   whose CN is a node of the desired state in force and whose connection comes from that
//   node's address (403 otherwise): removing a node from the desired state revokes it.
// - Only nodes that may lead (storage nodes) may POST /v1/peer/desired-state (403 otherwise);
//   a nudge's "from" must be the caller's own address (403 otherwise).
// - "X-Pydio-Forwarded: 1" counts only from an admitted node.
//
// GET  /v1/peer/node           200 this node's report (PeerBackend::node_report)
// GET  /v1/peer/desired-state  200 {"generation":N,"document":"<desired-state JSON text>",
//                                   "signature":"<detached signature, cluster/signing.hpp>"}
//                              404 when this node has no desired state yet, 503 when its copy
//                              is not signed
// POST /v1/peer/join           body: JoinRequest JSON (join_request.hpp) + "token", "csr"
//                              200 {"generation":N,"document":"...","signature":"...",
//                                   "secrets":{...},"signing":{"publicKey":"<PEM>"
//                                   [,"privateKey":"<PEM>" for a storage joiner]},
//                                   "pki":{"nodeCert","caCert"[,"caKey"]}}
// POST /v1/peer/desired-state  body {"document":"..."}: a change; applied only by the leader
//                              (others forward it once), generation must be current + 1
//                              200 {"generation":N}
// POST /v1/peer/certificate    body {"csr":"<PEM certificate request>"[,"node":"<name>"]}: a
//                              renewed certificate for the caller itself; the CSR's CN (and
//                              "node" when given) must be the caller's own name (403
//                              otherwise: a node speaks only for itself). Signed for the name
//                              of the caller's certificate and the address it connects from.
//                              "caPin" (optional): the issuing CA the caller expects.
//                              200 {"nodeCert":"<PEM>","caCert":"<PEM>"}; 421 on a node
//                              without the CA key (it names the storage nodes); 503 from a
//                              storage node without the issuing CA's key (CA rotation)
// GET  /v1/peer/signing-key   storage nodes only: the document in force and the caller's
//                              certificate (OU=storage) must both say so (403 otherwise): 200
//                              {"publicKey","privateKey", "succession"} of the key this node signs
//                              with; 503 when it holds no private key. Only over mutual TLS, never
//                              via a volume
// POST /v1/peer/rotate-signing-key  storage nodes only: agentctl rotate signing-key asked on
//                              another storage node; done by the leader (others relay once)
//                              200 {"generation":N,"keyId","previousKeyId"}
// POST /v1/peer/ca-rotation   body {} (storage nodes only, 403 otherwise): agentctl rotate ca
//                              relayed to the leader, which begins a CA rotation
//                              (daemon/ca_rotation.hpp); 200 {"generation":N,"newCa","oldCa"};
//                              409 one is under way or gluster TLS is on
// POST /v1/peer/ca-key         body {"pin":"sha256:<hex>"}: the private key of a CA the desired
//                              state in force lists, for a storage node fetching it during a
//                              rotation: only a caller whose certificate says OU=storage AND
//                              that is a storage node of the desired state in force (403
//                              otherwise); 200 {"caKey":"<PEM>"}, 404 not listed or not held
// POST /v1/peer/db-hold       body {"reason":"<up to 200 characters>"}: db nodes only (403
//                              otherwise): `agentctl db restore` on the caller holds this db
//                              node's MariaDB server (stopped, never started, across agent
//                              restarts) until released. 200 {"held":"<node>"} once stopped;
//                              409 not a db node, 504 still running after the bound
// POST /v1/peer/db-release    body {}: db nodes only; ends the hold. 200 {"released":"<node>"}
// POST /v1/peer/db-set-aside  body {}: db nodes only; this held, stopped node's datadir moves to
//                              <datadir>.before-restore-<UTC stamp> (nothing is deleted).
//                              200 {"node":"<node>","setAside":"<path>" ("" when it was empty)};
//                              409 not held or still running
// POST /v1/peer/nudge         body {"reason":"...","generation":N,"from":"<address>"}
//                              (generation, from optional): something this node acts on changed
//                              (the leader put generation N in force; a peer's brick died).
//                              202 {"accepted":true}; the work starts soon, never in the call
// Errors: {"error":"..."} with 400 bad body, 401, 403, 404, 405, 409 conflict (generation raced,
// node name or address taken), 422 invalid document, 503 no leader or leader unreachable.
// A request already forwarded by a peer carries "X-Pydio-Forwarded: 1" and is never
// forwarded again.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "agent/api/http_message.hpp"
#include "agent/api/server_options.hpp"

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

// A node of the desired state in force, as admission sees it.
struct PeerMember {
  std::string address;
  bool may_lead = false;  // a storage node: it may change the desired state
  bool db = false;        // a db node
};

class PeerBackend {
 public:
  virtual ~PeerBackend() = default;
  // "" when `token` admits a new node (POST /v1/peer/join), else why not (the 401's error,
  // read by the joiner: it must not say more than that its token does not admit it).
  virtual std::string join_token_refusal(const std::string& token) const = 0;
  // False when the server TLS context of `peer`'s handshake is no longer the one in force (the
  // node's certificate or trusted CAs changed since): its connection must be made again.
  virtual bool handshake_current(const PeerIdentity& peer) const {
    (void)peer;
    return true;
  }
  // The node named `name` in the desired state in force; nullopt when none (or no state yet).
  virtual std::optional<PeerMember> member(const std::string& name) const = 0;
  virtual nlohmann::json node_report() = 0;
  virtual PeerReply desired_document() = 0;
  // May block for a bounded time (forwarding to the leader).
  virtual PeerReply join(const nlohmann::json& request, bool forwarded) = 0;
  virtual PeerReply change_desired_state(const std::string& document, bool forwarded) = 0;
  // Must return at once (the work it triggers runs elsewhere).
  virtual PeerReply nudge(const Nudge& nudge) = 0;
  // A renewed certificate for node `name` at `address` (the admitted caller itself) from the
  // certificate request `csr`, which the backend still checks names `name`.
  virtual PeerReply issue_certificate(const std::string& name, const std::string& address,
                                      const std::string& csr, const std::string& ca_pin) = 0;
  // The private signing key for a storage node that follows a rotated key and lacks it.
  virtual PeerReply signing_key() = 0;
  // A rotation of the signing key an operator asked for on another storage node (may block).
  virtual PeerReply rotate_signing_key(bool forwarded) = 0;
  // A CA rotation asked by an admitted storage node (may block: forwarded to the leader).
  virtual PeerReply begin_ca_rotation(bool forwarded) = 0;
  // The key of the CA `pin` for storage node `name` (admitted, certificate OU=storage).
  virtual PeerReply hand_ca_key(const std::string& name, const std::string& pin) = 0;
  // An operator's `agentctl db bootstrap --force` for this node (db_bootstrap_command.hpp).
  virtual PeerReply accept_db_bootstrap(const std::string& node) = 0;
  // The leader asks this db node to take a backup now (agent/daemon/db_backup_worker.hpp).
  virtual PeerReply start_db_backup() = 0;
  // `agentctl db restore` run on db node `caller` (agent/daemon/db_hold_service.hpp): hold this
  // node's server (stopped, never started) until released; blocks (bounded) until it stopped.
  virtual PeerReply hold_db_server(const std::string& caller, const std::string& reason) = 0;
  // Ends the hold; the db-server resource then starts the server as usual.
  virtual PeerReply release_db_server(const std::string& caller) = 0;
  // Moves this held, stopped node's datadir to <datadir>.before-restore-<UTC stamp> (nothing is
  // deleted); the member then joins by a full state transfer when released.
  virtual PeerReply set_aside_db_datadir(const std::string& caller) = 0;
};


// The 401/403 answer for a request that `peer` may not make, decided from its header alone,
// or nullopt. The daemon calls it as the server's check_header, so a caller it does not admit
// never gets its body read; handle_peer_request decides again. The join route passes here
// (its token is in the body) when its body is announced (Content-Length, else 411) and at
// most kMaxJoinBody bytes (else 413): a client without a certificate sends no more.
inline constexpr std::size_t kMaxJoinBody = 32 * 1024;
std::optional<Response> refuse_before_body(const RequestHeader& header, const PeerIdentity& peer,
                                           const PeerBackend& backend);

Response handle_peer_request(const Request& request, const PeerIdentity& peer,
                             PeerBackend& backend);

}  // namespace pydio::agent::api
