#include "agent/daemon/daemon.hpp"

#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <boost/asio/signal_set.hpp>
#include <future>
#include <thread>

#include "agent/api/admin_api.hpp"
#include "agent/api/health_api.hpp"
#include "agent/api/http_server.hpp"
#include "agent/api/metrics_api.hpp"
#include "agent/api/status_socket.hpp"
#include "agent/daemon/bounded_stop.hpp"
#include "agent/daemon/event_loop_guard.hpp"
#include "agent/daemon/release_rollout_step.hpp"
#include "agent/daemon/status_report.hpp"
#include "common/release_target.hpp"
#include "version.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
// SIGTERM to exit: what is still running after this is abandoned.
constexpr auto kStopBound = 700ms;

// Connections per listener (each one descriptor; the oldest idle one is closed at the cap).
// Together 832, under even systemd's default soft limit of 1,024 descriptors, so a flood of
// connections never takes the pipes, MySQL connections and files the agent itself needs.
// Health: unauthenticated, asked by load balancers and monitoring, the one a stranger floods.
constexpr std::size_t kHealthMaxConnections = 512;
// Peer: a few calls at a time from each other node; 256 covers a large cluster's bursts.
constexpr std::size_t kPeerMaxConnections = 256;
// Admin: root's agentctl on a 0600 unix socket, one command at a time.
constexpr std::size_t kAdminMaxConnections = 64;
// Metrics: a scraper or two on the private network, each keeping one connection alive. With
// the others 896, still under 1,024.
constexpr std::size_t kMetricsMaxConnections = 64;
// Status page: root's browser through an ssh tunnel, a page every 10 s. With the others 912.
constexpr std::size_t kStatusMaxConnections = 16;

// Admin and peer requests that may wait on commands, peers or the leader (the status page:
// the fan-out its cache makes when the cluster table is stale).
bool admin_blocking(const api::Request& request) {
  const std::string target(request.target());
  const std::string path = api::target_path(request);
  if (path == "/" || path == "/status") return true;
  for (const char* path : {"/v1/plan", "/v1/join", "/v1/desired-state", "/v1/drain", "/v1/undrain",
                           "/v1/tokens/", "/v1/upgrade", "/v1/ca/", "/v1/app/", "/v1/db/"})
    if (target.rfind(path, 0) == 0) return true;
  return target.find("cluster=1") != std::string::npos;
}

bool peer_blocking(const api::Request& request) {
  const std::string target(request.target());
  return request.method() == boost::beast::http::verb::post &&
         target.rfind("/v1/peer/nudge", 0) != 0;
}
}  // namespace

Daemon::Daemon(common::LocalConfig local)
    : local_(std::move(local)),
      services_(runner_, local_),
      events_(local_.state_dir + "/events.jsonl", 0),
      state_(local_, events_),
      leader_link_(state_, local_),
      changes_(state_, leader_link_, local_, [this] { on_desired_changed(); }),
      admission_(state_, leader_link_, changes_),
      tokens_(state_, changes_),
      upgrade_(
          state_, local_, [this](const std::string& token) { return changes_.join_command(token); },
          [this] { on_desired_changed(); }),
      join_client_(state_, local_, [this] { on_desired_changed(); }),
      follower_(state_, leader_link_, local_, [this] { on_desired_changed(); }),
      key_fetch_(state_, leader_link_),
      reachability_(local_.node_name, [this] { return state_.desired(); }),
      health_([this] { return health_inputs(); },
              [this] { state_.request_pass("health changed"); }),
      db_health_([this] {
        return DbProbeTarget{is_db_node(), local_.mysql_socket};
      }),
      cluster_(state_, leader_link_, local_, runner_, [this] { return node_report(); }),
      issuer_(state_, events_),
      renewal_(state_, local_, events_),
      ca_rotation_(state_, changes_, leader_link_, cluster_, renewal_, local_, events_),
      publisher_(state_, changes_, local_, runner_, events_,
                 [this](const std::string& mountpoint) { return mount_answers(mountpoint); }),
      balancer_(runner_, services_.uses_systemd()),
      rollout_(state_, changes_, cluster_, local_, events_, [this] { return node_report(); }),
      db_bootstrap_(state_, local_, leader_link_, cluster_, db_member_,
                    [this] { state_.request_pass("operator forced a Galera bootstrap", true); }),
      db_backup_(
          local_, runner_, [this] { return state_.desired(); },
          [this](const std::string& mountpoint) { return mount_answers(mountpoint); },
          services_.uses_systemd()),
      db_hold_(state_, local_, services_, runner_),
      db_restore_(state_, local_, leader_link_, db_hold_, services_, runner_) {}

Daemon::~Daemon() = default;

HealthInputs Daemon::health_inputs() {
  HealthInputs inputs;
  inputs.desired = state_.desired();
  inputs.desired_error = state_.desired_error();
  inputs.node_name = local_.node_name;
  inputs.draining = state_.draining();
  inputs.drain_reason = state_.drain_reason();
  if (inputs.desired && common::rollout_drains(inputs.desired->web, local_.node_name))
    inputs.rollout_drain = rollout_version(inputs.desired->web);
  if (inputs.desired) {
    if (auto reached = reachability_.reachable())
      inputs.partition_problem = minority_problem(*inputs.desired, local_.node_name, *reached);
  }
  inputs.certificate_problem = renewal_.problem();
  if (agent_check_) inputs.agent_check_problem = agent_check_->problem();
  return inputs;
}

bool Daemon::is_db_node() const {
  const auto desired = state_.desired();
  const common::NodeSpec* self = desired ? desired->find_node(local_.node_name) : nullptr;
  return self != nullptr && self->has_role(common::Role::kDb);
}

void Daemon::on_desired_changed() {
  health_.check_now();
  if (agent_check_) agent_check_->update();
}

bool Daemon::offload(std::function<void()> task) {
  if (blocking_queued_.fetch_add(1) >= kMaxBlockingQueued) {
    blocking_queued_.fetch_sub(1);
    return false;
  }
  pool_.submit([this, task = std::move(task)] {
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("blocking task failed: {}", e.what());
    } catch (...) {
      spdlog::error("blocking task failed");
    }
    blocking_queued_.fetch_sub(1);
  });
  return true;
}

bool Daemon::mount_answers(const std::string& mountpoint) const {
  return health_.mount_probe(mountpoint).health == MountHealth::kOk;
}

void Daemon::schedule_look(const std::string& announced_by) {
  {
    std::lock_guard<std::mutex> lock(look_hint_mutex_);
    if (!announced_by.empty()) look_hint_ = announced_by;
  }
  if (look_queued_.exchange(true)) return;  // the queued look will take the hint
  const bool queued = offload([this] {
    look_queued_ = false;
    std::string hint;
    {
      std::lock_guard<std::mutex> lock(look_hint_mutex_);
      hint.swap(look_hint_);
    }
    follower_.look(hint);
    key_fetch_.fetch_if_missing();
  });
  if (!queued) look_queued_ = false;
}

int Daemon::run() {
  spdlog::info("pydio-agentd {} starting as node {}", common::kVersion, local_.node_name);
  if (common::Status loaded = state_.load(); !loaded) {
    spdlog::error("{}", loaded.message());
    return 1;
  }

  api::ServerOptions health_options;
  health_options.handler = [this](const api::Request& request) {
    // Answered from the background probe: no database connection per request.
    if (api::target_path(request) == api::kDbPath)
      return api::handle_db_health_request(request, is_db_node(), db_health_.last(),
                                           local_.node_name);
    // The rollout's drain counts like the operator's (ELBs follow /health).
    const bool draining =
        agent_check_draining(state_.desired().get(), local_.node_name, state_.draining());
    return api::handle_health_request(request, health_.verdict(), draining, local_.node_name);
  };
  health_options.max_connections = kHealthMaxConnections;
  // A port taken by another process (a local user squatting it while the agent restarted) is
  // tried again every 2 s: exiting would only restart the agent into the same taken port.
  health_endpoint_ = std::make_unique<RetryingListener>(ioc_, "health endpoint", health_options,
                                                        local_.health_listen);
  health_endpoint_->start();

  // Same timeouts as the health listener; answered from snapshots on the loop (never blocks).
  api::ServerOptions metrics_options;
  metrics_options.handler = [this](const api::Request& request) {
    return api::handle_metrics_request(request, [this] { return metrics_text(); });
  };
  metrics_options.max_connections = kMetricsMaxConnections;
  metrics_endpoint_ = std::make_unique<RetryingListener>(ioc_, "metrics endpoint", metrics_options,
                                                         local_.metrics_listen);
  metrics_endpoint_->start();

  const auto offload = [this](std::function<void()> task) { return this->offload(std::move(task)); };
  api::ServerOptions admin_options;
  admin_options.handler = [this](const api::Request& request) {
    return api::handle_admin_request(request, *this);
  };
  admin_options.blocking = admin_blocking;
  admin_options.offload = offload;
  admin_options.idle_timeout = std::chrono::seconds(120);  // plan may observe slow commands
  admin_options.max_connections = kAdminMaxConnections;
  api::HttpServer admin_server(ioc_, admin_options);
  if (common::Status listening = admin_server.listen_unix(local_.admin_socket); !listening) {
    spdlog::error("admin socket: {}", listening.message());
    return 1;
  }

  // The page alone, for ssh -L (status_socket.hpp); without it the agent still runs.
  api::ServerOptions status_options;
  status_options.handler = [this](const api::Request& request) {
    return api::handle_status_socket_request(request, *this);
  };
  status_options.blocking = [](const api::Request&) { return true; };
  status_options.offload = offload;
  status_options.idle_timeout = std::chrono::seconds(30);
  status_options.max_connections = kStatusMaxConnections;
  api::HttpServer status_server(ioc_, status_options);
  const std::string status_socket = api::status_socket_path(local_.admin_socket);
  if (common::Status listening = status_server.listen_unix(status_socket); !listening)
    spdlog::error("status socket (the status page only): {}", listening.message());

  api::ServerOptions peer_options;
  peer_options.identified_handler = [this](const api::Request& request,
                                           const api::PeerIdentity& peer) {
    return api::handle_peer_request(request, peer, *this);
  };
  peer_options.check_header = [this](const api::RequestHeader& header,
                                     const api::PeerIdentity& peer) {
    return api::refuse_before_body(header, peer, *this);
  };
  peer_options.blocking = peer_blocking;
  peer_options.offload = offload;
  peer_options.max_connections = kPeerMaxConnections;
  if (!local_.address.empty()) {
    peer_endpoint_ = std::make_unique<PeerEndpoint>(
        ioc_, state_.trust(), peer_options, local_.address + ":" + std::to_string(api::kPeerPort));
    peer_endpoint_->start();
  }

  // HAProxy's agent-check: drain goes to HAProxy this way alone (its HTTP check asks
  // /health/serving, which ignores drain), so sticky sessions stay on a drained node. Made
  // before the health monitor starts: its inputs read agent_check_.
  agent_check_ = std::make_unique<AgentCheckEndpoint>(
      ioc_, [this] { return state_.desired(); }, local_.node_name,
      [this] {
        return api::agent_check_reply(
            agent_check_draining(state_.desired().get(), local_.node_name, state_.draining()));
      });
  agent_check_->start();
  // An exception that escapes a thread body becomes an event (agentctl events) besides the log.
  set_thread_exception_sink([this](const std::string& thread, const std::string& what) {
    Event event;
    event.time = std::chrono::system_clock::now();
    event.resource = "agent";
    event.action = "a round of the " + thread + " thread";
    event.outcome = "error";
    event.message = "internal error: " + what + " (the thread went on)";
    events_.record(std::move(event));
  });
  reachability_.start();
  health_.check_now();
  health_.start();
  db_health_.start();
  PassEnvironment environment;
  environment.runner = &runner_;
  environment.services = &services_;
  environment.health = &health_;
  environment.cluster = &cluster_;
  environment.reachable_nodes = [this] { return reachability_.reachable(); };
  environment.release_report = &release_report_;
  environment.db_member = &db_member_;
  state_.start(environment);
  process_watch_.start();

  boost::asio::signal_set signals(ioc_, SIGTERM, SIGINT);
  signals.async_wait([this](const boost::system::error_code& error, int signal_number) {
    if (error) return;
    spdlog::info("signal {}: stopping (mounts and services stay up)", signal_number);
    ioc_.stop();
  });
  start_tick();
  start_follow_timer();
  start_mount_watch();
  start_watchdog();
  start_brick_follow_up();
  start_certificate_timer(std::chrono::seconds(0));
  start_ca_timer();
  start_rollout_timer();

  sd_notify(0, "READY=1\nSTATUS=reconciling");
  spdlog::info("ready: health on {}, admin on {}, status page on {}", local_.health_listen,
               local_.admin_socket, status_socket);
  std::thread second_loop_thread([this] { run_event_loop(ioc_); });
  run_event_loop(ioc_);
  second_loop_thread.join();

  sd_notify(0, "STOPPING=1");
  const auto stop_deadline = std::chrono::steady_clock::now() + kStopBound;
  admin_server.stop();
  status_server.stop();
  health_endpoint_->stop();
  metrics_endpoint_->stop();
  if (peer_endpoint_) peer_endpoint_->stop();
  agent_check_->stop();
  process_watch_.stop();
  // The probers stop beside the reconciler and elector, within the same deadline.
  auto probers_stopped = std::async(std::launch::async, [this, stop_deadline] {
    return stop_in_parallel({[this] { health_.stop(); }, [this] { db_health_.stop(); },
                             [this] { reachability_.stop(); }},
                            stop_deadline);
  });
  const bool state_stopped = state_.stop(kStopBound);
  const bool stopped = probers_stopped.get() && state_stopped;
  set_thread_exception_sink({});  // events_ goes with this object; threads may run on
  while (blocking_queued_ > 0 && std::chrono::steady_clock::now() < stop_deadline)
    std::this_thread::sleep_for(10ms);
  if (!stopped || blocking_queued_ > 0) {
    // Work still in flight (a gluster command, a hung FUSE read, a probe of a stopped server)
    // is abandoned: every step is idempotent and re-read at the next start. Waiting for it
    // would hold SIGTERM for seconds or minutes.
    spdlog::warn("stopped with work in flight (abandoned)");
    spdlog::shutdown();
    ::_exit(0);
  }
  spdlog::info("stopped");
  return 0;
}

}  // namespace pydio::agent
