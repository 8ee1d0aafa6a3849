#include "agent/daemon/daemon.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cerrno>
#include <ctime>
#include <fstream>
#include <random>

#include "agent/api/health_api.hpp"
#include "agent/api/http_server.hpp"
#include "agent/reconcile/pass_cache.hpp"
#include "agent/reconcile/resource_set.hpp"
#include "common/file_ops.hpp"
#include "version.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
// Leadership is looked at this often: a new leader acts within this much of taking the lease.
constexpr auto kFollowPeriod = 250ms;
constexpr auto kHeartbeatStale = 10s;

// Random lowercase letters and digits from the kernel's CSPRNG.
common::Expected<std::string> random_token(std::size_t length) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::ifstream urandom("/dev/urandom", std::ios::binary);
  if (!urandom) return common::Status::error("open /dev/urandom failed");
  std::string out;
  while (out.size() < length) {
    unsigned char byte = 0;
    urandom.read(reinterpret_cast<char*>(&byte), 1);
    if (!urandom) return common::Status::error("read /dev/urandom failed");
    if (byte < 252) out.push_back(kAlphabet[byte % 36]);  // 252 = 7*36: no modulo bias
  }
  return out;
}

nlohmann::json nullable(const std::string& text) {
  return text.empty() ? nlohmann::json(nullptr) : nlohmann::json(text);
}
}  // namespace

Daemon::Daemon(common::LocalConfig local)
    : local_(std::move(local)),
      services_(runner_, local_),
      desired_(local_.state_dir + "/desired-state.json"),
      drain_(local_.state_dir + "/drain.json"),
      events_(local_.state_dir + "/events.jsonl"),
      reachability_(local_.node_name, [this] { return desired_.current(); }),
      health_([this] { return health_inputs(); },
              [this] {
                if (auto r = reconciler()) r->request_pass("health changed");
              }) {}

Daemon::~Daemon() {
  stopping_ = true;
  if (follow_thread_.joinable()) follow_thread_.join();
  if (mount_watch_thread_.joinable()) mount_watch_thread_.join();
  if (notify_thread_.joinable()) notify_thread_.join();
}

common::Status Daemon::prepare_state_dir() {
  if (::mkdir(local_.state_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return common::Status::error("create state dir " + local_.state_dir + ": " +
                                 common::errno_text(errno));
  ::chmod(local_.state_dir.c_str(), 0700);
  return common::Status::ok();
}

common::Status Daemon::ensure_secrets() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (secrets_) return common::Status::ok();
  }
  common::Secrets secrets;
  auto id = random_token(6);
  auto secret = random_token(16);
  auto db_password = random_token(24);
  auto lease_password = random_token(24);
  for (const auto* part : {&id, &secret, &db_password, &lease_password})
    if (!*part) return part->status().with_context("generate secrets");
  secrets.join_token = *id + "." + *secret;
  secrets.db_password = *db_password;
  secrets.lease_password = *lease_password;
  common::Status saved = common::save_secrets(local_.secrets_path, secrets);
  if (!saved) return saved;
  spdlog::info("generated the cluster's secrets in {}", local_.secrets_path);
  std::lock_guard<std::mutex> lock(mutex_);
  secrets_ = std::make_shared<const common::Secrets>(secrets);
  return common::Status::ok();
}

std::shared_ptr<Reconciler> Daemon::reconciler() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return reconciler_;
}

std::optional<PassContext> Daemon::pass_context() {
  PassContext ctx;
  ctx.desired = desired_.current();
  if (!ctx.desired) return std::nullopt;
  ctx.self = ctx.desired->find_node(local_.node_name);
  ctx.local = &local_;
  ctx.runner = &runner_;
  ctx.services = &services_;
  ctx.health = &health_;
  ctx.cluster = this;
  ctx.cache = std::make_shared<PassCache>();
  ctx.live_term = [this]() -> std::int64_t {
    std::lock_guard<std::mutex> lock(mutex_);
    return elector_ && elector_->is_leader_now() ? elector_->term() : 0;
  };
  ctx.draining = drain_.draining();
  std::lock_guard<std::mutex> lock(mutex_);
  ctx.secrets = secrets_;
  if (elector_) {
    LeaseStatus lease = elector_->status();
    ctx.is_leader = lease.leader;
    ctx.leader_term = lease.term;
  }
  return ctx;
}

HealthInputs Daemon::health_inputs() {
  HealthInputs inputs;
  inputs.desired = desired_.current();
  inputs.desired_error = desired_.last_error();
  inputs.node_name = local_.node_name;
  inputs.draining = drain_.draining();
  inputs.drain_reason = drain_.reason();
  if (inputs.desired) {
    if (auto reached = reachability_.reachable())
      inputs.partition_problem = minority_problem(*inputs.desired, local_.node_name, *reached);
  }
  return inputs;
}

void Daemon::follow_desired_state() {
  auto desired = desired_.current();
  if (!desired) return;
  std::shared_ptr<Reconciler> old;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> names = resource_names(*desired, local_.node_name);
    if (reconciler_ && names == resource_names_) {
      reconciler_->request_pass("desired state changed");
    } else {
      old = reconciler_;
      reconciler_.reset();
      resource_names_ = names;
    }
    // Only storage nodes campaign: leader work drives gluster through the local glusterd.
    const common::NodeSpec* self = desired->find_node(local_.node_name);
    const bool candidate = self != nullptr && self->has_role(common::Role::kStorage);
    if (!elector_ && candidate && secrets_ && !desired->database.host.empty()) {
      MysqlEndpoint endpoint;
      endpoint.host = desired->database.host;
      endpoint.port = desired->database.port;
      endpoint.user = kLeaseUser;
      endpoint.password = secrets_->lease_password;
      elector_ = std::make_unique<LeaderElector>(std::make_unique<LeaseClient>(
          local_.node_name, endpoint, std::chrono::seconds(local_.lease_seconds)));
      elector_->start();
    }
  }
  if (old) old->stop();  // outside the lock: waits for operations in flight
  std::lock_guard<std::mutex> lock(mutex_);
  if (!reconciler_) {
    reconciler_ = std::make_shared<Reconciler>(
        build_resources(*desired, local_.node_name), [this] { return pass_context(); }, events_);
    reconciler_->start();
  }
}

void Daemon::watch_mount_table() {
  // The kernel flags /proc/self/mountinfo with POLLPRI whenever the mount table changes.
  int fd = ::open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    spdlog::warn("cannot watch the mount table: {}", common::errno_text(errno));
    return;
  }
  char buffer[4096];
  while (::read(fd, buffer, sizeof buffer) > 0) {
  }
  while (!stopping_) {
    pollfd p{fd, POLLPRI, 0};
    int ready = ::poll(&p, 1, 1000);
    if (ready > 0 && (p.revents & (POLLPRI | POLLERR))) {
      ::lseek(fd, 0, SEEK_SET);
      while (::read(fd, buffer, sizeof buffer) > 0) {
      }
      health_.check_now();
      if (auto r = reconciler()) r->request_pass("mount table changed");
    }
  }
  ::close(fd);
}

void Daemon::notify_systemd_loop() {
  std::uint64_t watchdog_usec = 0;
  bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
  auto interval =
      watchdog ? std::chrono::microseconds(watchdog_usec / 2) : std::chrono::microseconds(1s);
  while (!stopping_) {
    std::this_thread::sleep_for(std::min<std::chrono::microseconds>(interval, 1s));
    if (!watchdog) continue;
    auto r = reconciler();
    // Ping only while the scheduler is alive; a wedged agent gets restarted by systemd.
    if (!r || std::chrono::steady_clock::now() - r->heartbeat() < kHeartbeatStale)
      sd_notify(0, "WATCHDOG=1");
  }
}

int Daemon::run() {
  spdlog::info("pydio-agentd {} starting as node {}", common::kVersion, local_.node_name);
  if (common::Status prepared = prepare_state_dir(); !prepared) {
    spdlog::error("{}", prepared.message());
    return 1;
  }
  if (::access(local_.secrets_path.c_str(), F_OK) == 0) {
    auto secrets = common::load_secrets(local_.secrets_path);
    if (!secrets) {
      spdlog::error("{}", secrets.status().message());
      return 1;
    }
    secrets_ = std::make_shared<const common::Secrets>(*secrets);
  }
  if (common::Status loaded = desired_.load(); !loaded) spdlog::error("{}", loaded.message());
  if (common::Status loaded = drain_.load(); !loaded) spdlog::error("{}", loaded.message());

  boost::asio::io_context health_ioc(1);
  api::ServerOptions health_options;
  health_options.handler = [this](const api::Request& request) {
    return api::handle_health_request(request, health_.verdict(), drain_.draining(),
                                      local_.node_name);
  };
  api::HttpServer health_server(health_ioc, health_options);
  if (auto port = health_server.listen_tcp(local_.health_listen); !port) {
    spdlog::error("health endpoint: {}", port.status().message());
    return 1;
  }

  boost::asio::io_context admin_ioc(1);
  api::ServerOptions admin_options;
  admin_options.handler = [this](const api::Request& request) {
    return api::handle_admin_request(request, *this);
  };
  admin_options.idle_timeout = std::chrono::seconds(120);  // plan may observe slow commands
  api::HttpServer admin_server(admin_ioc, admin_options);
  if (common::Status listening = admin_server.listen_unix(local_.admin_socket); !listening) {
    spdlog::error("admin socket: {}", listening.message());
    return 1;
  }

  boost::asio::io_context peer_ioc(2);
  api::ServerOptions peer_options;
  peer_options.handler = [this](const api::Request& request) {
    return api::handle_peer_request(request, *this);
  };
  api::HttpServer peer_server(peer_ioc, peer_options);
  if (!local_.address.empty()) {
    const std::string peer_listen = local_.address + ":" + std::to_string(api::kPeerPort);
    if (auto port = peer_server.listen_tcp(peer_listen); !port) {
      spdlog::error("peer API: {}", port.status().message());
      return 1;
    }
  }

  reachability_.start();
  health_.check_now();
  health_.start();
  follow_desired_state();
  std::vector<std::thread> peer_threads;
  for (int i = 0; i < 2; ++i) peer_threads.emplace_back([&peer_ioc] { peer_ioc.run(); });
  follow_thread_ = std::thread([this] { follow_published_loop(); });
  std::thread health_thread([&health_ioc] { health_ioc.run(); });
  mount_watch_thread_ = std::thread([this] { watch_mount_table(); });
  notify_thread_ = std::thread([this] { notify_systemd_loop(); });
  process_watch_.start();  // faults noticed at once (daemon_faults.cpp)

  boost::asio::signal_set signals(admin_ioc, SIGTERM, SIGINT);
  signals.async_wait([&](const boost::system::error_code&, int signal_number) {
    spdlog::info("signal {}: stopping (mounts and services stay up)", signal_number);
    admin_ioc.stop();
  });

  // Follows leadership and runs the timer-triggered passes.
  boost::asio::steady_timer tick(admin_ioc);
  auto next_timer_pass =
      std::chrono::steady_clock::now() + std::chrono::seconds(local_.pass_interval_seconds);
  std::function<void(const boost::system::error_code&)> on_tick =
      [&](const boost::system::error_code& error) {
        if (error) return;
        bool leader = false;
        {
          std::lock_guard<std::mutex> lock(mutex_);
          leader = elector_ && elector_->is_leader_now();
        }
        auto r = reconciler();
        if (leader != was_leader_) {
          spdlog::info(leader ? "this node now leads" : "this node no longer leads");
          was_leader_ = leader;
          if (r) r->request_pass("leadership changed");
        }
        if (std::chrono::steady_clock::now() >= next_timer_pass) {
          next_timer_pass =
              std::chrono::steady_clock::now() + std::chrono::seconds(local_.pass_interval_seconds);
          if (r) r->request_pass("timer");
        }
        tick.expires_after(kFollowPeriod);
        tick.async_wait(on_tick);
      };
  tick.expires_after(kFollowPeriod);
  tick.async_wait(on_tick);

  sd_notify(0, "READY=1\nSTATUS=reconciling");
  spdlog::info("ready: health on {}, admin on {}", local_.health_listen, local_.admin_socket);
  admin_ioc.run();

  sd_notify(0, "STOPPING=1");
  stopping_ = true;
  admin_server.stop();
  health_server.stop();
  health_ioc.stop();
  health_thread.join();
  peer_server.stop();
  peer_ioc.stop();
  for (auto& thread : peer_threads) thread.join();
  follow_thread_.join();
  process_watch_.stop();
  std::unique_ptr<LeaderElector> elector;
  std::shared_ptr<Reconciler> reconciler;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    elector = std::move(elector_);
    reconciler = std::move(reconciler_);
  }
  if (reconciler) reconciler->stop();
  if (elector) elector->stop(true);
  health_.stop();
  reachability_.stop();
  mount_watch_thread_.join();
  notify_thread_.join();
  spdlog::info("stopped");
  return 0;
}

nlohmann::json Daemon::status(bool include_cluster) {
  nlohmann::json out = local_status();
  if (include_cluster) out["cluster"] = cluster_status();
  return out;
}

nlohmann::json Daemon::local_status() {
  auto desired = desired_.current();
  nlohmann::json out;
  out["node"] = local_.node_name;
  out["version"] = common::kVersion;
  out["generation"] = desired ? desired->generation : 0;
  out["desiredError"] = nullable(desired_.last_error());
  nlohmann::json leader = {{"isLeader", false}, {"holder", ""}, {"term", 0}, {"error", nullptr}};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (elector_) {
      LeaseStatus lease = elector_->status();
      leader = {{"isLeader", lease.leader},
                {"holder", lease.holder},
                {"term", lease.term},
                {"error", nullable(lease.last_error)}};
    } else if (!secrets_) {
      leader["error"] = "no secrets yet (run agentctl init or agentctl join)";
    } else if (desired && desired->database.host.empty()) {
      leader["error"] = "no database in the desired state";
    } else {
      leader["error"] = "this node does not campaign (only storage nodes lead)";
    }
  }
  out["leader"] = leader;
  out["processesStarted"] = common::processes_started();
  out["draining"] = drain_.draining();
  out["drainReason"] = drain_.reason();
  HealthVerdict verdict = health_.verdict();
  out["health"] = {
      {"healthy", verdict.healthy}, {"reasons", verdict.reasons}, {"warnings", verdict.warnings}};
  out["resources"] = nlohmann::json::array();
  if (auto r = reconciler()) {
    for (const auto& resource : r->statuses()) {
      if (resource.state == ResourceState::kNotApplicable) continue;
      out["resources"].push_back(
          {{"name", resource.name},
           {"state", resource_state_name(resource.state)},
           // A recovered resource's old error would only mislead.
           {"lastError", resource.state == ResourceState::kInSync ? nlohmann::json(nullptr)
                                                                  : nullable(resource.last_error)},
           {"lastChange", iso8601_utc(resource.last_change, false)},
           {"waitingFor", resource.detail}});
    }
  }
  return out;
}

common::Expected<nlohmann::json> Daemon::plan() {
  auto desired = desired_.current();
  if (!desired)
    return common::Status::error("no desired state yet (run agentctl init --spec FILE)");
  auto r = reconciler();
  nlohmann::json resources = r ? r->dry_run_plan() : nlohmann::json::array();
  return nlohmann::json{{"generation", desired->generation}, {"resources", resources}};
}

void Daemon::request_reconcile() {
  if (auto r = reconciler()) r->request_pass("operator request", true);
}

common::Status Daemon::drain(const std::string& reason) {
  common::Status drained = drain_.drain(reason);
  if (drained) {
    spdlog::info("draining: {}", reason.empty() ? "(no reason given)" : reason);
    health_.check_now();
  }
  return drained;
}

common::Status Daemon::undrain() {
  common::Status undrained = drain_.undrain();
  if (undrained) {
    spdlog::info("undrained");
    health_.check_now();
  }
  return undrained;
}

nlohmann::json Daemon::events(int count) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& event : events_.latest(static_cast<std::size_t>(count)))
    out.push_back(event_to_json(event));
  return out;
}

common::Expected<api::SubmitResult> Daemon::submit_desired_state(const std::string& document) {
  api::SubmitResult result;
  if (desired_.current()) {
    // A node that already follows a cluster: the document is a change, and only the leader
    // puts changes in force (so two concurrent changes cannot both win).
    common::ValidationResult parsed = common::parse_desired_state(document);
    if (!parsed.state) {
      auto outcome = desired_.submit(document);  // rejected; records why, for status and health
      if (outcome) result.errors = outcome->errors;
      if (result.errors.empty()) result.errors = parsed.errors;
      result.generation = desired_.current()->generation;
      health_.check_now();
      return result;
    }
    const auto& nodes = desired_.current()->nodes;
    const bool alone = nodes.size() == 1 && nodes.front().name == local_.node_name;
    api::PeerReply reply = alone && !is_leader_now() ? commit_local_change(document)
                                                     : change_desired_state(document, false);
    result.generation = reply.body.value("generation", desired_.current()->generation);
    result.join_command = join_command();
    if (reply.status == 200) return result;
    if (reply.status == 409 || reply.status == 422) {
      result.conflict = reply.status == 409;
      result.errors.push_back(reply.body.value("error", std::string("refused")));
      return result;
    }
    return common::Status::error(reply.body.value("error", std::string("refused")));
  }
  auto outcome = desired_.submit(document);
  if (!outcome) return outcome.status();
  result.errors = outcome->errors;
  auto current = desired_.current();
  result.generation = current ? current->generation : 0;
  if (!result.errors.empty()) {
    health_.check_now();
    return result;
  }
  if (common::Status secrets = ensure_secrets(); !secrets) return secrets;
  health_.check_now();
  follow_desired_state();
  result.join_command = join_command();
  return result;
}

}  // namespace pydio::agent
