// The daemon's answers to the admin API (agentctl) and the peer API (other agents): each one
// hands the request to the part that owns it. Blocking ones run on the pool (daemon.cpp
// decides which); the others answer from snapshots.

#include <spdlog/spdlog.h>

#include "agent/cluster/join_token.hpp"
#include "agent/daemon/daemon.hpp"
#include "agent/daemon/status_report.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

nlohmann::json Daemon::status(bool include_cluster) {
  nlohmann::json out = node_status(state_, local_, health_.verdict());
  out["certificate"] = renewal_.report();
  out["ca"] = ca_rotation_.report();
  if (nlohmann::json database = database_report(); !database.is_null()) {
    out["database"] = std::move(database);
    out["dbBackup"] = db_backup_.report();
  }
  if (include_cluster) out["cluster"] = cluster_.report();
  return out;
}

nlohmann::json Daemon::status_page_view() {
  nlohmann::json view = {{"status", status(false)},
                         {"cluster", nullptr},
                         {"refreshSeconds", kStatusPageRefresh.count()},
                         {"maxAgeSeconds", kStatusPageRefresh.count()},
                         {"events", events(api::kDefaultEventCount)},
                         {"now", iso8601_utc(std::chrono::system_clock::now(), false)}};
  try {
    const ClusterViewCache::View cluster = page_cluster_.get();
    view["cluster"] = cluster.report;
    view["clusterView"] = cluster.number;
    view["clusterAgeSeconds"] = std::chrono::duration_cast<std::chrono::seconds>(
                                    ClusterViewCache::Clock::now() - cluster.taken)
                                    .count();
  } catch (const std::exception& e) {
    view["clusterError"] = e.what();
  }
  return view;
}

nlohmann::json Daemon::database_report() const {
  auto desired = state_.desired();
  const common::NodeSpec* self = desired ? desired->find_node(local_.node_name) : nullptr;
  if (self == nullptr || !self->has_role(common::Role::kDb)) return nullptr;
  auto database = db_member_.get();
  // {} until db-server has observed the server once (a key with null would read as "no db").
  if (!database) return nlohmann::json::object();
  nlohmann::json report = common::db_member_report_json(*database);
  // Its Donor/Desynced state is a backup's, not a state transfer's (galera_bootstrap.hpp).
  report["backupRunning"] = db_backup_.running();
  return report;
}

common::Expected<nlohmann::json> Daemon::plan() {
  auto desired = state_.desired();
  auto reconciler = state_.reconciler();
  return plan_report(desired.get(), reconciler.get());
}

void Daemon::request_reconcile() { state_.request_pass("operator request", true); }

common::Status Daemon::drain(const std::string& reason) {
  common::Status drained = state_.drain(reason);
  if (drained) {
    spdlog::info("draining: {}", reason.empty() ? "(no reason given)" : reason);
    health_.check_now();
  }
  return drained;
}

common::Status Daemon::undrain() {
  common::Status undrained = state_.undrain();
  if (undrained) {
    spdlog::info("undrained");
    health_.check_now();
  }
  return undrained;
}

namespace {

nlohmann::json events_to_json(const std::vector<Event>& events) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& event : events) out.push_back(event_to_json(event));
  return out;
}

}  // namespace

nlohmann::json Daemon::events(int count) {
  return events_to_json(events_.latest(static_cast<std::size_t>(count)));
}

nlohmann::json Daemon::events_after(std::uint64_t sequence) {
  return events_to_json(events_.after(sequence));
}

common::Expected<api::SubmitResult> Daemon::submit_desired_state(const std::string& document) {
  auto result = changes_.submit_from_operator(document);
  // init made this node's certificate: serve peers before the operator is told how to join.
  if (result && peer_endpoint_) peer_endpoint_->ensure_listening();
  return result;
}

api::AdminAnswer Daemon::desired_state() {
  auto desired = state_.desired();
  if (!desired)
    return {404,
            {{"error", "no desired state yet (run agentctl init --spec FILE or agentctl join)"}}};
  // The serialized model, as every agent stores it: no secret is in it (join tokens are hashes).
  return {200, nlohmann::json::parse(common::serialize_desired_state(*desired))};
}

api::JoinOutcome Daemon::join(const api::JoinOptions& options) {
  api::JoinOutcome outcome = join_client_.join(options);
  if (outcome.status == 200 && peer_endpoint_) peer_endpoint_->ensure_listening();
  return outcome;
}

api::AdminAnswer Daemon::upgrade_from_legacy() {
  api::AdminAnswer answer = upgrade_.upgrade();
  // The node has its certificate now: serve peers before the operator joins the others.
  if (answer.status == 200 && peer_endpoint_) peer_endpoint_->ensure_listening();
  return answer;
}

std::string Daemon::join_token_refusal(const std::string& token) const {
  // A node that does not decide joins (compute-only, db-only) answers 421 naming the storage
  // nodes (JoinAdmission::admit), without looking at the token.
  if (!state_.admits_joins()) return token.empty() ? "a valid join token is required" : "";
  auto desired = state_.desired();
  return agent::join_token_refusal(desired->join_tokens, token, common::utc_now_seconds());
}

std::optional<api::PeerMember> Daemon::member(const std::string& name) const {
  auto desired = state_.desired();
  const common::NodeSpec* node = desired ? desired->find_node(name) : nullptr;
  if (node == nullptr) return std::nullopt;
  return api::PeerMember{node->address, node->has_role(common::Role::kStorage),
                         node->has_role(common::Role::kDb)};
}

bool Daemon::handshake_current(const api::PeerIdentity& peer) const {
  // Identity only: the session holds the context it was made with, so its address is not
  // reused while the connection lives.
  auto current = state_.trust().server_context();
  return !peer.tls_context || !current || peer.tls_context.get() == current.get();
}

nlohmann::json Daemon::node_report() {
  nlohmann::json report = node_status(state_, local_, health_.verdict());
  report["address"] = local_.address;
  report["ca"] = ca_rotation_.report();  // what the leader's CA rotation looks at
  // Compute nodes: which Pydio releases they have (the leader's rollout and agentctl status).
  auto desired = state_.desired();
  const common::NodeSpec* self = desired ? desired->find_node(local_.node_name) : nullptr;
  if (self != nullptr && self->has_role(common::Role::kCompute)) {
    NodeReleaseReport release;
    if (desired->web.release) {
      release = release_report_.get().value_or(NodeReleaseReport{});
      release.release_mode = true;
    }
    report["release"] = release_report_json(release);
  }
  // db nodes: their part of the Galera bootstrap decision and of agentctl status.
  if (nlohmann::json database = database_report(); !database.is_null()) {
    report["database"] = std::move(database);
    report["dbBackup"] = db_backup_.report();  // what the leader's backup schedule looks at
  }
  // The leader's: what a rollout of a release waits for.
  report["rollout"] = rollout_.report();
  // lb nodes: HAProxy's servers, what the leader's rollout waits on (asked on the pool).
  if (nlohmann::json balancer = balancer_.report(); !balancer.is_null())
    report["balancer"] = std::move(balancer);
  // glusterd's UUID never changes once written: read the file until it exists, then remember it
  // (node reports are asked by every cluster table and brick-readiness question).
  std::lock_guard<std::mutex> lock(glusterd_uuid_mutex_);
  if (glusterd_uuid_.empty()) glusterd_uuid_ = read_glusterd_uuid("/var/lib/glusterd");
  if (!glusterd_uuid_.empty()) report["glusterdUuid"] = glusterd_uuid_;
  return report;
}

api::PeerReply Daemon::desired_document() { return admission_.document_reply(); }

api::PeerReply Daemon::join(const nlohmann::json& request, bool forwarded) {
  return admission_.admit(request, forwarded);
}

api::PeerReply Daemon::change_desired_state(const std::string& document, bool forwarded) {
  return changes_.change(document, forwarded);
}

api::PeerReply Daemon::nudge(const api::Nudge& nudge) {
  auto desired = state_.desired();
  const bool newer = nudge.generation > 0 && desired && nudge.generation > desired->generation;
  // Logged either way: the push is what brings a change within milliseconds, and the 2 s poll
  // would hide a push that never arrives (the leader_failover scenario reads this line).
  if (nudge.generation > 0) {
    spdlog::info("generation {} announced by {}{}", nudge.generation, nudge.from,
                 newer ? ": taking it now" : ": already in force");
  }
  if (newer) {
    // Ask the announcing node first, and only when it is a member: a nudge names no address
    // the agent would not talk to anyway.
    std::string from;
    for (const auto& node : desired->nodes)
      if (node.address == nudge.from) from = nudge.from;
    schedule_look(from);
  } else {
    state_.request_pass("peer: " + nudge.reason);
  }
  return api::PeerReply{202, nlohmann::json{{"accepted", true}}};
}

api::PeerReply Daemon::issue_certificate(const std::string& name, const std::string& address,
                                         const std::string& csr, const std::string& ca_pin) {
  return issuer_.issue(name, address, csr, ca_pin);
}

api::PeerReply Daemon::signing_key() {
  auto keys = state_.signing_keys();
  if (!keys || keys->private_pem.empty())
    return error_reply(503, "this node holds no private signing key");
  return api::PeerReply{200, nlohmann::json{{"publicKey", keys->public_pem},
                                            {"privateKey", keys->private_pem},
                                            {"succession", keys->succession}}};
}

api::PeerReply Daemon::rotate_signing_key(bool forwarded) {
  return changes_.rotate_signing_key(forwarded);
}

api::AdminAnswer Daemon::rotate_signing_key() {
  api::PeerReply reply = changes_.rotate_signing_key(false);
  if (reply.status == 200) {
    changes_.await_generation(int_field(reply.body, "generation"));
    reply.body["storageNodes"] = changes_.await_key_holders(text_field(reply.body, "keyId"));
  }
  return api::AdminAnswer{reply.status, reply.body};
}

api::PeerReply Daemon::start_db_backup() {
  auto name = db_backup_.start();
  if (!name) return api::PeerReply{409, {{"error", name.status().message()}}};
  return api::PeerReply{200, {{"started", *name}}};
}

api::AdminAnswer Daemon::db_backups() {
  auto listing = db_backup_.list_now();
  if (!listing) return api::AdminAnswer{409, {{"error", listing.status().message()}}};
  nlohmann::json backups = nlohmann::json::array();
  for (const common::BackupManifest& m : listing->good)
    backups.push_back(nlohmann::json::parse(common::manifest_to_json(m)));
  std::sort(backups.begin(), backups.end(),
            [](const nlohmann::json& a, const nlohmann::json& b) { return a["name"] < b["name"]; });
  auto desired = state_.desired();
  return api::AdminAnswer{200,
                          {{"folder", desired ? common::db_backup_dir(*desired) : ""},
                           {"backups", backups},
                           {"partial", listing->partial},
                           {"problems", listing->problems}}};
}

}  // namespace pydio::agent
