#pragma once
// The admin API agentctl talks to, served on the root-only unix socket. This file maps HTTP to
// the AdminBackend the daemon implements; it is pure routing, tested with a fake backend.
//
// GET  /v1/status         200 status document (below); ?cluster=1 adds "cluster" (asks every
//                         node's agent, each within a bound: it never hangs)
// GET  /v1/plan           200 plan document (below); changes nothing
// POST /v1/reconcile      202 {"requested":true}: a pass starts soon; does not wait for it
// POST /v1/drain          body {"reason":"..."} or empty -> 200 {"draining":true,"reason":...}
// POST /v1/undrain        200 {"draining":false}
// GET  /v1/events?n=N     200 the last N events, oldest first (N 1..1000, default 20)
// GET  /v1/events?after=S 200 the events numbered after S ("seq"), oldest first; every event
//                         held when S is a number this daemon run never gave (it restarted)
// GET  /v1/desired-state  200 the desired-state document in force on this node, as stored
//                         (every field written, defaults included; join tokens as hashes only:
//                         the document holds no secret); 404 {"error"} before init or join
// POST /v1/desired-state  body: a desired-state document (JSON text)
//                         200 {"accepted":true,"generation":N}
//                         422 {"error":"invalid desired state","errors":["<path>: <what>"],
//                              "generation":N}   (N: the generation still in force)
//                         409 {"error":"conflict","errors":[...],"generation":N}: another change
//                              won (a change must carry the generation in force + 1)
//                         On a node that already has a desired state, the document is a change
//                         and is sent to the elected leader (503 when there is none).
//                         init's answer also has "joinCommand", with the first join token.
// GET  /v1/tokens         200 {"now":"<UTC>","tokens":[{"id":"abcdef","expires":"<UTC>",
//                              "expired":false,"description":"..."}]}: the join tokens of the
//                         desired state in force, never a secret (agentctl token list)
// POST /v1/tokens/create  body {"ttlSeconds":N,"description":"..."} (both optional; ttl 60 to
//                         2592000, default 86400) -> 200 {"id","token","expires","description",
//                         "generation","joinCommand"}: the only answer that carries the secret
// POST /v1/tokens/delete  body {"id":"abcdef"} -> 200 {"deleted":"abcdef","generation":N};
//                         404 no such token. Create and delete are changes of the desired state
//                         (through the leader, storage nodes only: 403 elsewhere; 409 when other
//                         changes kept winning)
// POST /v1/upgrade       (agentctl upgrade) 200 {"cluster","generation","signingKey","caCertHash",
//                         "token","expires","joinCommand"}: this storage node adopted its desired
//                         state of the previous release, signed as generation + 1 with a first
//                         join token (daemon/legacy_upgrade.hpp); 403 not a storage node, 409
//                         nothing to upgrade (no state, or already signed): nothing changed
// POST /v1/rotate/signing-key (agentctl rotate signing-key) 200 {"generation":N,"keyId":"<new>",
//                         "previousKeyId":"<old>"}: the leader signed generation N with a new
//                         key that the old one vouches for (cluster/signing.hpp); 403 not a
//                         storage node, 503 no leader: nothing changed
// POST /v1/rotate/ca      (agentctl rotate ca) 200 {"generation","newCa","oldCa"}: the leader
//                         began a CA rotation (daemon/ca_rotation.hpp); 403 not a storage node,
//                         409 one is under way or gluster TLS is on, 503 no leader: nothing changed
// POST /v1/app/publish    (agentctl app publish FILE) body {"path":"/abs/pydio-core-8.2.5.tar.gz"}
//                         200 {"version","sha256","file","size","generation","alreadyPublished",
//                         "rollout"}: the archive is checked, stored on pydio-config and the
//                         cluster's release (daemon/release_publisher.hpp); 403 not a
//                         storage node, 409 not now (a rollout runs, ...), 422 not a
//                         release ({"error","errors":[one line per member]}): nothing changed
// POST /v1/db/restore     (agentctl db restore NAME) body {"name":"<backup>","confirmed":bool}
//                         confirmed false: 200 {"name","steps":[...]}, nothing changes;
//                         true: 200 {"name","steps","done":[...],"setAside":{node:path},
//                         "problems":[...]} (daemon/db_restore_command.hpp); 400 bad name,
//                         409 refused before any change, 500 {"error","done","left"} a step failed
// POST /v1/db/release     (agentctl db release) 200 {"released":[...],"problems":[...]}
// POST /v1/join           body {"peer":"198.18.0.1","token":"abcdef.0123...","roles":[...],
//                               "device":"/dev/xvdb"|null}
//                         200 {"cluster":"...","generation":N,"roles":[...]}
//                         401/409/422/502/503 {"error": "..."}: the join was refused or the
//                         peer could not be reached; nothing changed on this node
// GET  /, /status         200 text/html: the status page (status_page.hpp), from
//                         status_page_view(); 403 when the Host header names anything but this
//                         machine's loopback (localhost, 127.x.y.z, [::1]): a page of another
//                         origin that rebinds its name to 127.0.0.1 must not read it through
//                         the operator's ssh tunnel.
// A request that comes from a web browser (it carries Origin or Sec-Fetch-Site, which agentctl
// never sends) gets 403 on every path but the page: through an `ssh -L` tunnel any page the
// operator's browser opens could otherwise POST /v1/drain or a desired state (a form needs no
// permission to post to localhost).
// Errors: 400 bad request body or query, 404 unknown path, 405 wrong method (Allow header set),
// 500 when the backend fails. Every error body is {"error": "...", ...}.
//
// JSON shapes the backend returns (field names are the contract with agentctl):
//
// status():
//   {"node": "n1",                 // this node's name (LocalConfig::node_name)
//    "version": "0.1.0",           // optional: the daemon's version
//    "generation": 3,              // generation of the desired state in force, 0 if none
//    "desiredError": null | "...", // why the last pushed/loaded document was rejected
//                                  // (problems joined by "; "); null when it was valid
//    "leader": {"isLeader": true, "holder": "n1", "term": 7,
//               "error": null | "..."},  // e.g. "no database: connect ...: refused"
//    "draining": false,
//    "drainReason": "",            // empty unless draining
//    "health": {"healthy": true, "reasons": []},
//    "resources": [
//      {"name": "data-brick",
//       "state": "in-sync" | "changing" | "error" | "waiting" | "blocked",
//           // changing: actions planned or running; waiting: Plan::waiting_for set;
//           // blocked: a dependency is not in sync (or leader-only and not leader)
//       "lastError": null | "mount /data: exit 32: ...",
//       "lastChange": null | "2024-05-01T12:00:00Z",  // last time an action was applied
//       "waitingFor": ""}]}        // what it waits for or is blocked on
//
// plan():
//   {"generation": 3,
//    "resources": [
//      {"name": "fuse-mount/pydio-data",
//       "actions": [{"kind": "mount",
//                    "description": "mount 198.18.0.1:/pydio-data at /mnt/pydio-data"}],
//       "waitingFor": "",          // non-empty: nothing to do until this happens
//       "error": null | "..."}]}   // observation failed
//   Resources that are in sync may be listed with empty actions or left out.
//
// events(n): the last n events, oldest first:
//   [{"time": "2024-05-01T12:00:00.123Z", "resource": "apache-vhost",
//     "action": "reload apache2", "outcome": "ok" | "error", "durationMs": 42,
//     "message": "" | "error text", "seq": 42}]   // seq: 1, 2, ... since the daemon started

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "agent/api/http_message.hpp"
#include "common/status.hpp"

namespace pydio::agent::api {

inline constexpr int kDefaultEventCount = 20;
inline constexpr int kMaxEventCount = 1000;

// Outcome of pushing a desired-state document. Accepted when `errors` is empty.
struct SubmitResult {
  std::vector<std::string> errors;  // "<json path>: <what is wrong>", one per problem
  bool conflict = false;            // errors are a lost race on the generation, not validation
  std::int64_t generation = 0;      // generation now in force (the submitted one when accepted)
  std::string join_command;         // init only: "agentctl join <address> --token <token> ..."
  bool forbidden = false;           // this node may not change the desired state (errors say why)
};

struct JoinOptions {
  std::string peer;  // "198.18.0.1" or "198.18.0.1:8481"
  std::string token;
  std::string ca_cert_hash;        // "sha256:<hex>": the CA the peer must present (pinned)
  std::vector<std::string> roles;  // empty: as the desired state lists this node
  std::optional<std::string> device;
  // Trust the answer's signing key although this node trusts another one and no succession
  // links them (the node missed more than one rotation): the CA pin and the token authenticate.
  bool replace_signing_key = false;
};

// What a join attempt ended with: an HTTP status for the admin answer and its JSON body.
struct JoinOutcome {
  int status = 200;
  nlohmann::json body;
};

// An answer the backend decides whole: an HTTP status and its JSON body ({"error"} when not 2xx).
struct AdminAnswer {
  int status = 200;
  nlohmann::json body;
};

// Implemented by the daemon. status() without the cluster table, events() and
// request_reconcile() answer from state the daemon already holds and run on the event loop;
// the others (plan, drain/undrain, desired-state, join, status with the cluster table) may wait
// on commands, peers or the leader, and the daemon runs them on its bounded blocking pool
// (daemon.cpp, admin_blocking), so they never hold up /health, node reports or SIGTERM.
class AdminBackend {
 public:
  virtual ~AdminBackend() = default;
  virtual nlohmann::json status(bool include_cluster) = 0;
  virtual common::Expected<nlohmann::json> plan() = 0;
  // Asks for a reconcile pass soon; returns at once.
  virtual void request_reconcile() = 0;
  // Persists the drain flag (it survives a restart). Idempotent.
  virtual common::Status drain(const std::string& reason) = 0;
  virtual common::Status undrain() = 0;
  virtual nlohmann::json events(int count) = 0;
  // The events recorded after the one numbered `sequence` (agentctl events --follow).
  virtual nlohmann::json events_after(std::uint64_t sequence) = 0;
  // Validates `document`; when valid (and newer than the one in force) stores it and makes it
  // the desired state. An Expected error means the daemon failed (e.g. could not write its
  // state dir); validation problems go into SubmitResult::errors.
  virtual common::Expected<SubmitResult> submit_desired_state(const std::string& document) = 0;
  // The document in force (agentctl diff/apply/edit): 200 with it, 404 when there is none.
  virtual AdminAnswer desired_state() = 0;
  // Joins the cluster through `peer`; may block for a bounded time.
  virtual JoinOutcome join(const JoinOptions& options) = 0;
  // agentctl token: the join tokens in force; a new one (its secret only in this answer); one
  // fewer. Create and delete may block for a bounded time (the leader decides).
  virtual AdminAnswer join_tokens() = 0;
  virtual AdminAnswer create_join_token(std::chrono::seconds ttl,
                                        const std::string& description) = 0;
  virtual AdminAnswer delete_join_token(const std::string& id) = 0;
  // agentctl upgrade: this node's desired state of the previous release, signed (may block).
  virtual AdminAnswer upgrade_from_legacy() = 0;
  // agentctl rotate signing-key: a new signing key, through the leader (may block).
  virtual AdminAnswer rotate_signing_key() = 0;
  // agentctl rotate ca: begins a CA rotation through the leader (may block).
  virtual AdminAnswer rotate_ca() = 0;
  // agentctl app publish: the archive at the absolute `path` becomes the cluster's release
  // (may block for minutes, bounded: tar and a copy onto the config volume).
  virtual AdminAnswer publish_release(const std::string& path) = 0;
  // agentctl db bootstrap --force NODE (agent/daemon/db_bootstrap_command.hpp).
  virtual AdminAnswer force_db_bootstrap(const std::string& node) = 0;
  // agentctl db backups: the backup folder as this node sees it (db and compute nodes mount
  // the backup volume).
  virtual AdminAnswer db_backups() = 0;
  // agentctl db restore NAME (agent/daemon/db_restore_command.hpp): not `confirmed`, the steps
  // it would take (nothing changes); `confirmed`, takes them (blocks, bounded, for minutes).
  virtual AdminAnswer restore_db(const std::string& name, bool confirmed) = 0;
  // agentctl db release: ends the hold on every db member (after a failed restore).
  virtual AdminAnswer release_db_holds() = 0;
  // The status page's data (status_page.hpp): this node's status and events, and the cluster
  // table from a cache that asks the other nodes at most once per its age however many pages
  // load (daemon/cluster_view_cache.hpp). May block (the one fan-out a stale cache makes).
  virtual nlohmann::json status_page_view() = 0;
};

// Pure routing: never throws for bad input (a backend exception is the server's 500).
Response handle_admin_request(const Request& request, AdminBackend& backend);

}  // namespace pydio::agent::api
