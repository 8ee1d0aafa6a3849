#include "agent/daemon/node_state.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <future>
#include <thread>
#include <tuple>

#include "agent/cluster/join_token.hpp"
#include "agent/reconcile/pass_cache.hpp"
#include "agent/reconcile/resource_set.hpp"
#include "common/file_ops.hpp"
#include "common/text.hpp"

namespace pydio::agent {

NodeState::NodeState(const common::LocalConfig& local, EventLog& events)
    : local_(local),
      events_(events),
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
  // A bad persisted document or drain file is reported, not fatal: status says why.
  const std::string public_pem = keys->has_value() ? (*keys)->public_pem : "";
  if (common::Status loaded = desired_.load(public_pem); !loaded)
    spdlog::error("{}", loaded.message());
  // A copy persisted unsigned (before an upgrade) is signed here when this node holds the key.
  if (common::Status signed_copy = sign_unsigned_copy(); !signed_copy) return signed_copy;
  if (common::Status loaded = drain_.load(); !loaded) spdlog::error("{}", loaded.message());
  return common::Status::ok();
}

common::Status NodeState::sign_unsigned_copy() {
  auto keys = signing_keys();
  auto in_force = desired_.current_signed();
  if (!in_force || !in_force->signature.empty() || !keys || keys->private_pem.empty())
    return common::Status::ok();
  auto signature = sign_document(*keys, in_force->text);
  if (!signature) return signature.status();
  auto stored = desired_.submit(common::parse_desired_state(in_force->text), GenerationRule::kNewer,
                                SignedDocument{in_force->text, *signature});
  return stored ? common::Status::ok() : stored.status();
}

void NodeState::start(PassEnvironment environment) {
  std::lock_guard<std::mutex> lock(mutex_);
  environment_ = environment;
  started_ = true;
  if (auto desired = desired_.current()) follow(*desired);
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
  } else if (desired && desired->database.host.empty()) {
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
  if (!parsed.state) return submit(parsed, rule);  // refused with its errors, nothing to sign
  auto keys = signing_keys();
  if (!keys || keys->private_pem.empty())
    return common::Status::error(
        "this node holds no private signing key (only storage nodes sign the desired state)");
  SignedDocument signed_text{common::serialize_desired_state(*parsed.state), ""};
  auto signature = sign_document(*keys, signed_text.text);
  if (!signature) return signature.status();
  signed_text.signature = *signature;
  return submit(parsed, rule, signed_text);
}

common::Expected<SubmitOutcome> NodeState::submit(const common::ValidationResult& parsed,
                                                  GenerationRule rule,
                                                  const SignedDocument& signed_text) {
  auto outcome = desired_.submit(parsed, rule, signed_text);
  if (!outcome || !outcome->errors.empty()) return outcome;
  std::lock_guard<std::mutex> lock(mutex_);
  if (started_) follow(*desired_.current());
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

common::Expected<SubmitOutcome> NodeState::commit_with_new_key(
    const common::ValidationResult& parsed, GenerationRule rule) {
  auto keys = signing_keys();
  if (!keys || keys->private_pem.empty())
    return common::Status::error(
        "this node holds no private signing key (only storage nodes sign the desired state)");
  auto successor = make_successor(*keys);
  if (!successor) return successor.status();
  // Kept before anything is signed with it: a crash from here on leaves this node with the new
  // key (load_signing_keys finishes a cut-short write), and its copy is signed again at start.
  if (common::Status saved = save_signing_keys(local_.pki_dir, *successor); !saved)
    return saved.with_context("rotate the signing key");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signing_ = std::make_shared<const SigningKeys>(*successor);
    retired_public_pem_ = keys->public_pem;
  }
  const std::string message = "key " + key_id(successor->public_pem) + " succeeds key " +
                              key_id(keys->public_pem) + "; the previous private key is removed";
  spdlog::info("rotated the desired-state signing key: {}", message);
  record_key_event("rotate the signing key to " + key_id(successor->public_pem), message);
  auto outcome = commit(parsed, rule);
  // The document in force must verify with the key this node now serves, committed or not.
  desired_.drop_signature_unless(successor->public_pem);
  if (common::Status resigned = sign_unsigned_copy(); !resigned)
    spdlog::error("sign the desired state in force with the new key: {}", resigned.message());
  return outcome;
}

common::Status NodeState::trust_successor(const SigningKeys& successor) {
  auto held = signing_keys();
  if (held && key_id(held->public_pem) == key_id(successor.public_pem))
    return common::Status::ok();
  if (common::Status saved = trust_successor_key(local_.pki_dir, successor); !saved)
    return saved.with_context("trust the cluster's new signing key");
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signing_ = std::make_shared<const SigningKeys>(
        SigningKeys{successor.public_pem, "", successor.succession});
    if (held) retired_public_pem_ = held->public_pem;
  }
  // The copy in force keeps a signature only if the new key made it: peers that moved on
  // refuse the old one, so it is stored again with the successor's signature when seen.
  desired_.drop_signature_unless(successor.public_pem);
  const std::string message =
      "now trusting key " + key_id(successor.public_pem) +
      (held ? ", which succeeds key " + key_id(held->public_pem) : std::string()) +
      (lacks_private_signing_key() ? "; fetching its private key from a storage node" : "");
  spdlog::info("the cluster's signing key was rotated: {}", message);
  record_key_event("trust the rotated signing key " + key_id(successor.public_pem), message);
  return common::Status::ok();
}

std::string NodeState::retired_signing_key() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return retired_public_pem_;
}

bool NodeState::lacks_private_signing_key() const {
  auto keys = signing_keys();
  return keys && keys->private_pem.empty() && admits_joins();
}

common::Status NodeState::adopt_private_signing_key(const SigningKeys& keys) {
  auto held = signing_keys();
  if (!held || key_id(held->public_pem) != key_id(keys.public_pem))
    return common::Status::error("the private key offered is for key " +
                                 key_id(keys.public_pem) + ", not for the key this node trusts (" +
                                 (held ? key_id(held->public_pem) : std::string("none")) + ")");
  if (common::Status pair = check_key_pair(keys); !pair) return pair;
  const SigningKeys complete{held->public_pem, keys.private_pem,
                             keys.succession.empty() ? held->succession : keys.succession};
  if (common::Status saved = save_signing_keys(local_.pki_dir, complete); !saved) return saved;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    signing_ = std::make_shared<const SigningKeys>(complete);
  }
  record_key_event("fetch the private signing key " + key_id(complete.public_pem),
                   "this node holds the private key of key " + key_id(complete.public_pem) +
                       " and may sign again");
  return sign_unsigned_copy();
}

void NodeState::record_key_event(const std::string& action, const std::string& message) {
  Event event;
  event.time = std::chrono::system_clock::now();
  event.resource = "signing-key";
  event.action = action;
  event.outcome = "ok";
  event.message = message;
  events_.record(std::move(event));
}

common::Status NodeState::ensure_signing_keys() {
  if (auto keys = signing_keys(); keys && !keys->private_pem.empty()) return common::Status::ok();
  if (signing_keys())
    return common::Status::error(
        "this node holds only the public signing key; it cannot be a "
        "cluster's first node");
  auto keys = generate_signing_keys();
  if (!keys) return keys.status();
  if (common::Status saved = save_signing_keys(local_.pki_dir, *keys); !saved) return saved;
  spdlog::info("generated the cluster's desired-state signing key {} in {}",
               key_id(keys->public_pem), local_.pki_dir);
  std::lock_guard<std::mutex> lock(mutex_);
  signing_ = std::make_shared<const SigningKeys>(*keys);
  return common::Status::ok();
}

common::Status NodeState::adopt_signing_keys(const SigningKeys& keys) {
  if (auto held = signing_keys(); held && key_id(held->public_pem) != key_id(keys.public_pem))
    return common::Status::error("this node trusts signing key " + key_id(held->public_pem) +
                                 "; the answer carries key " + key_id(keys.public_pem));
  if (!keys.private_pem.empty())
    if (common::Status pair = check_key_pair(keys); !pair) return pair;
  if (common::Status saved = save_signing_keys(local_.pki_dir, keys); !saved) return saved;
  std::lock_guard<std::mutex> lock(mutex_);
  // A node that holds the private key keeps it even when an answer carries only the public one.
  if (!signing_ || !keys.private_pem.empty()) signing_ = std::make_shared<const SigningKeys>(keys);
  return common::Status::ok();
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
  std::lock_guard<std::mutex> lock(mutex_);
  secrets_ = std::make_shared<const common::Secrets>(secrets);
  // The elector needs the lease password: it may start only now.
  if (auto desired = desired_.current(); started_ && desired) follow_elector(*desired);
  return common::Status::ok();
}

common::Status NodeState::adopt_secrets(const common::Secrets& secrets) {
  if (common::Status saved = common::save_secrets(local_.secrets_path, secrets); !saved)
    return saved;
  std::lock_guard<std::mutex> lock(mutex_);
  secrets_ = std::make_shared<const common::Secrets>(secrets);
  if (auto desired = desired_.current(); started_ && desired) follow_elector(*desired);
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

void NodeState::follow(const common::DesiredState& desired) {
  auto resources = build_resources(desired, local_.node_name);
  if (reconciler_) {
    // In place: resources that stay keep their state, backoff and work in flight.
    reconciler_->update_resources(std::move(resources));
  } else {
    reconciler_ = std::make_shared<Reconciler>(
        std::move(resources), [this] { return pass_context(); }, events_);
    reconciler_->start();
  }
  follow_elector(desired);
}

void NodeState::follow_elector(const common::DesiredState& desired) {
  // Only storage nodes campaign: leader work drives gluster through the local glusterd.
  const common::NodeSpec* self = desired.find_node(local_.node_name);
  const bool candidate = self != nullptr && self->has_role(common::Role::kStorage);
  if (!elector_ && candidate && secrets_ && !desired.database.host.empty()) {
    MysqlEndpoint endpoint;
    endpoint.host = desired.database.host;
    endpoint.port = desired.database.port;
    endpoint.user = kLeaseUser;
    endpoint.password = secrets_->lease_password;
    elector_ = std::make_shared<LeaderElector>(std::make_unique<LeaseClient>(
        local_.node_name, endpoint, std::chrono::seconds(local_.lease_seconds)));
    elector_->start();
  }
}

}  // namespace pydio::agent
