#include "agent/daemon/node_state.hpp"

#include "common/database_address.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <thread>
#include <tuple>

#include "agent/cluster/join_token.hpp"
#include "agent/cluster/signing_files.hpp"
#include "agent/reconcile/pass_cache.hpp"
#include "agent/reconcile/resource_set.hpp"
#include "common/database_address.hpp"
#include "common/file_ops.hpp"
#include "common/text.hpp"

namespace pydio::agent {

NodeState::NodeState(const common::LocalConfig& local, EventLog& events, ResourceFactory resources)
    : local_(local),
      events_(events),
      resources_(resources ? std::move(resources) : ResourceFactory(build_resources)),
      desired_(local.state_dir + "/desired-state.json"),
      drain_(local.state_dir + "/drain.json"),
      trust_(local.pki_dir) {}

NodeState::~NodeState() { stop(std::chrono::seconds(30)); }

common::Status NodeState::load() {
  if (::mkdir(local_.state_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return common::Status::error("create state dir " + local_.state_dir + ": " +
                                 common::errno_text(errno));
  ::chmod(local_.state_dir.c_str(), 0700);
  if (::access(local_.secrets_path.c_str(), F_OK) == 0) {
    auto secrets = common::load_secrets(local_.secrets_path);
    if (!secrets) return secrets.status();
    // The join token of an older version admits nothing any more: it leaves the disk too.
    if (secrets->has_dropped_fields) {
      secrets->has_dropped_fields = false;
      if (common::Status saved = common::save_secrets(local_.secrets_path, *secrets); !saved)
        return saved;
      spdlog::info(
          "removed the old join token from {} (join tokens are hashes in the desired "
          "state now: agentctl token create)",
          local_.secrets_path);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    secrets_ = std::make_shared<const common::Secrets>(*secrets);
  }
  auto keys = load_signing_keys(local_.pki_dir);
  if (!keys) return keys.status().with_context("load the signing keys");
  if (keys->has_value()) {
    std::lock_guard<std::mutex> lock(mutex_);
    signing_ = std::make_shared<const SigningKeys>(**keys);
  }
  if (common::Status loaded = trust_.load(); !loaded) return loaded;
  if (common::Status loaded = load_desired_and_staged_key(keys->has_value() ? (*keys)->public_pem : "");
      !loaded)
    return loaded;
  // A copy persisted unsigned (before an upgrade) is signed here when this node holds the key.
  if (common::Status signed_copy = sign_unsigned_copy(); !signed_copy) return signed_copy;
  if (common::Status loaded = drain_.load(); !loaded) spdlog::error("{}", loaded.message());
  return common::Status::ok();
}

void NodeState::start(PassEnvironment environment) {
  std::shared_ptr<LeaderElector> ended;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    environment_ = environment;
    started_ = true;
    if (auto desired = desired_.current()) ended = follow(*desired);
  }
  end_campaign(std::move(ended));
}

bool NodeState::stop(std::chrono::milliseconds bound) {
  std::shared_ptr<Reconciler> reconciler;
  std::shared_ptr<LeaderElector> elector;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    started_ = false;
    reconciler = std::move(reconciler_);
    elector = std::move(elector_);
  }
  if (!reconciler && !elector) return true;
  // Both stops wait for work bounded only by its own timeouts (a gluster command may take
  // 120 s): wait for them at most `bound` and leave the rest to the process exit.
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> finished = done->get_future();
  std::thread([reconciler, elector, done] {
    if (elector) elector->stop(true);
    if (reconciler) reconciler->stop();
    done->set_value();
  }).detach();
  return finished.wait_for(bound) == std::future_status::ready;
}

std::shared_ptr<const common::Secrets> NodeState::secrets() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return secrets_;
}

bool NodeState::admits_joins() const {
  auto desired = desired_.current();
  const common::NodeSpec* self = desired ? desired->find_node(local_.node_name) : nullptr;
  return self != nullptr && self->has_role(common::Role::kStorage);
}

LeaderSnapshot NodeState::leader() const {
  LeaderSnapshot out;
  auto desired = desired_.current();
  std::lock_guard<std::mutex> lock(mutex_);
  if (elector_) {
    out.campaigning = true;
    out.lease = elector_->status();
  } else if (!secrets_) {
    out.why_not = "no secrets yet (run agentctl init or agentctl join)";
  } else if (desired && common::database_servers(desired->database).empty()) {
    out.why_not = "no database in the desired state";
  } else {
    out.why_not = "this node does not campaign (only storage nodes lead)";
  }
  return out;
}

bool NodeState::is_leader_now() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return elector_ && elector_->is_leader_now();
}

std::int64_t NodeState::live_term() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return elector_ && elector_->is_leader_now() ? elector_->term() : 0;
}

std::shared_ptr<Reconciler> NodeState::reconciler() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reconciler_;
}

std::vector<ResourceStatus> NodeState::resource_statuses() const {
  auto r = reconciler();
  return r ? r->statuses() : std::vector<ResourceStatus>{};
}

std::shared_ptr<const SigningKeys> NodeState::signing_keys() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return signing_;
}

common::Expected<SubmitOutcome> NodeState::commit(const common::ValidationResult& parsed,
                                                  GenerationRule rule) {
  auto keys = signing_keys();
  if (!keys || keys->private_pem.empty())
    return common::Status::error(
        "this node holds no private signing key (only storage nodes sign the desired state)");
  return commit_signed(parsed, rule, *keys);
}

common::Expected<SubmitOutcome> NodeState::commit_signed(const common::ValidationResult& parsed,
                                                         GenerationRule rule,
                                                         const SigningKeys& keys) {
  if (!parsed.state) return submit(parsed, rule);  // refused with its errors, nothing to sign
  SignedDocument signed_text{common::serialize_desired_state(*parsed.state), ""};
  auto signature = sign_document(keys, signed_text.text);
  if (!signature) return signature.status();
  signed_text.signature = *signature;
  return submit(parsed, rule, signed_text);
}

common::Expected<SubmitOutcome> NodeState::submit(const common::ValidationResult& parsed,
                                                  GenerationRule rule,
                                                  const SignedDocument& signed_text) {
  auto outcome = desired_.submit(parsed, rule, signed_text);
  if (!outcome || !outcome->errors.empty()) return outcome;
  std::shared_ptr<LeaderElector> ended;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (started_) ended = follow(*desired_.current());
  }
  end_campaign(std::move(ended));
  return outcome;
}

void NodeState::record_refusal(const std::vector<std::string>& errors) {
  desired_.record_refusal(common::join(errors, "; "));
}

void NodeState::refuse_document(const std::string& source, const std::string& reason) {
  desired_.record_refusal("from " + source + ": " + reason);
  Event event;
  event.time = std::chrono::system_clock::now();
  event.resource = "desired-state";
  event.action = "refuse a desired state from " + source;
  event.outcome = "error";
  event.message = reason;
  events_.record(std::move(event));
}

common::Status NodeState::ensure_secrets() {
  if (secrets()) return common::Status::ok();
  common::Secrets secrets;
  auto db_password = random_token(24);
  auto lease_password = random_token(24);
  for (const auto* part : {&db_password, &lease_password})
    if (!*part) return part->status().with_context("generate secrets");
  secrets.db_password = *db_password;
  secrets.lease_password = *lease_password;
  if (common::Status saved = common::save_secrets(local_.secrets_path, secrets); !saved)
    return saved;
  spdlog::info("generated the cluster's secrets in {}", local_.secrets_path);
  std::shared_ptr<LeaderElector> ended;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    secrets_ = std::make_shared<const common::Secrets>(secrets);
    // The elector needs the lease password: it may start only now.
    if (auto desired = desired_.current(); started_ && desired) ended = follow_elector(*desired);
  }
  end_campaign(std::move(ended));
  return common::Status::ok();
}

common::Status NodeState::adopt_secrets(const common::Secrets& secrets) {
  if (common::Status saved = common::save_secrets(local_.secrets_path, secrets); !saved)
    return saved;
  std::shared_ptr<LeaderElector> ended;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    secrets_ = std::make_shared<const common::Secrets>(secrets);
    if (auto desired = desired_.current(); started_ && desired) ended = follow_elector(*desired);
  }
  end_campaign(std::move(ended));
  return common::Status::ok();
}

void NodeState::request_pass(const std::string& reason, bool reset_backoff) {
  if (auto r = reconciler()) r->request_pass(reason, reset_backoff);
}

std::optional<PassContext> NodeState::pass_context() {
  PassContext ctx;
  std::tie(ctx.desired, ctx.desired_signed) = desired_.snapshot();
  if (!ctx.desired) return std::nullopt;
  ctx.self = ctx.desired->find_node(local_.node_name);
  ctx.local = &local_;
  ctx.cache = std::make_shared<PassCache>();
  ctx.live_term = [this] { return live_term(); };
  ctx.draining = drain_.draining();
  std::lock_guard<std::mutex> lock(mutex_);
  ctx.runner = environment_.runner;
  ctx.services = environment_.services;
  ctx.health = environment_.health;
  ctx.cluster = environment_.cluster;
  ctx.release_report = environment_.release_report;
  ctx.db_member = environment_.db_member;
  if (environment_.reachable_nodes) ctx.reachable_nodes = environment_.reachable_nodes();
  ctx.secrets = secrets_;
  if (signing_) ctx.signing_public_pem = signing_->public_pem;
  if (elector_) {
    LeaseStatus lease = elector_->status();
    ctx.is_leader = lease.leader;
    ctx.leader_term = lease.term;
  }
  return ctx;
}

std::shared_ptr<LeaderElector> NodeState::follow(const common::DesiredState& desired) {
  auto resources = resources_(desired, local_.node_name);
  if (reconciler_) {
    // In place: resources that stay keep their state, backoff and work in flight.
    reconciler_->update_resources(std::move(resources));
  } else {
    reconciler_ = std::make_shared<Reconciler>(
        std::move(resources), [this] { return pass_context(); }, events_);
    reconciler_->start();
  }
  return follow_elector(desired);
}

std::shared_ptr<LeaderElector> NodeState::follow_elector(const common::DesiredState& desired) {
  // Only storage nodes campaign: leader work drives gluster through the local glusterd.
  const common::NodeSpec* self = desired.find_node(local_.node_name);
  const bool candidate = self != nullptr && self->has_role(common::Role::kStorage);
  const auto servers = common::database_servers(desired.database);
  // A document that takes this node's storage role or the database away ends its campaign:
  // a node that may not lead must not keep (or win) the lease.
  if (!candidate || servers.empty()) return std::move(elector_);
  if (!secrets_) return nullptr;
  // The lease user on every database member, in order of preference (the Galera members in
  // document order, or the one host).
  std::vector<MysqlEndpoint> members;
  for (const auto& server : servers) {
    MysqlEndpoint endpoint;
    endpoint.host = server.host;
    endpoint.port = server.port;
    endpoint.user = kLeaseUser;
    endpoint.password = secrets_->lease_password;
    members.push_back(std::move(endpoint));
  }
  if (elector_) {
    // E.g. one db node grew to three: the running elector keeps its term and session (its
    // member stays listed) or walks the new list at its next round.
    elector_->client().set_members(std::move(members));
    return nullptr;
  }
  elector_ = std::make_shared<LeaderElector>(std::make_unique<LeaseClient>(
      local_.node_name, std::move(members), std::chrono::seconds(local_.lease_seconds)));
  elector_->start();
  return nullptr;
}

void NodeState::end_campaign(std::shared_ptr<LeaderElector> elector) {
  if (!elector) return;
  spdlog::info("election: the desired state in force does not let {} lead; leaving the lease",
               local_.node_name);
  // Off the lock: the stop waits for a round in progress and hands the lease back (bounded by
  // the lease client's timeouts), so a successor takes over without waiting for the expiry.
  elector->stop(true);
}

}  // namespace pydio::agent
