#pragma once
// pydio-agentd: wires the parts together and runs them until SIGTERM/SIGINT.
//
// One event loop (one io_context, two threads) serves the health endpoint, the admin socket and
// the peer API, and runs the timers: leadership tick and timer passes, the follower's poll, the
// mount-table watch, the systemd watchdog, the CA rotation round and the release rollout round. Requests that block (plan,
// join, changes, the cluster table), the follower's looks and the CA rotation round run on a
// bounded pool and write their answer back on the loop, so /health and node reports always
// answer. The reconciler (scheduler + workers), the health monitor, the reachability round and
// the elector run their own threads.
// Stopping leaves every mount, brick and service running: the agent manages them, it does not
// own them. SIGTERM exits within about a second whatever is running: work still in flight
// after the bound is abandoned (every step is idempotent and re-read at the next start).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/api/peer_api.hpp"
#include "agent/cluster/reachability.hpp"
#include "agent/daemon/agent_check_endpoint.hpp"
#include "agent/daemon/balancer_stats.hpp"
#include "agent/daemon/ca_rotation.hpp"
#include "agent/daemon/certificate_issuer.hpp"
#include "agent/daemon/certificate_renewal.hpp"
#include "agent/daemon/changes.hpp"
#include "agent/daemon/cluster_report.hpp"
#include "agent/daemon/cluster_view_cache.hpp"
#include "agent/daemon/follower.hpp"
#include "agent/daemon/join_admission.hpp"
#include "agent/daemon/join_client.hpp"
#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/legacy_upgrade.hpp"
#include "agent/daemon/retrying_listener.hpp"
#include "agent/daemon/node_state.hpp"
#include "agent/daemon/peer_endpoint.hpp"
#include "agent/daemon/release_publisher.hpp"
#include "agent/daemon/release_rollout.hpp"
#include "agent/daemon/signing_key_fetch.hpp"
#include "agent/daemon/token_changes.hpp"
#include "agent/health/db_prober.hpp"
#include "agent/health/health_monitor.hpp"
#include "agent/host/process_watch.hpp"
#include "agent/host/services.hpp"
#include "agent/reconcile/event_log.hpp"
#include "agent/reconcile/worker_pool.hpp"
#include "agent/daemon/db_backup_worker.hpp"
#include "agent/daemon/db_bootstrap_command.hpp"
#include "agent/daemon/db_hold_service.hpp"
#include "agent/daemon/db_restore_command.hpp"
#include "agent/resources/db_member_holder.hpp"
#include "agent/resources/release_report.hpp"
#include "common/runner.hpp"

namespace pydio::agent {

class Daemon : public api::AdminBackend, public api::PeerBackend {
 public:
  explicit Daemon(common::LocalConfig local);
  ~Daemon() override;

  // Runs until a termination signal. Returns the process exit code.
  int run();

  // api::AdminBackend (daemon_backends.cpp)
  nlohmann::json status(bool include_cluster) override;
  common::Expected<nlohmann::json> plan() override;
  void request_reconcile() override;
  common::Status drain(const std::string& reason) override;
  common::Status undrain() override;
  nlohmann::json events(int count) override;
  nlohmann::json events_after(std::uint64_t sequence) override;
  common::Expected<api::SubmitResult> submit_desired_state(const std::string& document) override;
  api::AdminAnswer desired_state() override;
  api::JoinOutcome join(const api::JoinOptions& options) override;
  api::AdminAnswer join_tokens() override { return tokens_.list(); }
  api::AdminAnswer create_join_token(std::chrono::seconds ttl,
                                     const std::string& description) override {
    return tokens_.create(ttl, description);
  }
  api::AdminAnswer delete_join_token(const std::string& id) override { return tokens_.remove(id); }
  api::AdminAnswer upgrade_from_legacy() override;
  api::AdminAnswer rotate_signing_key() override;
  api::AdminAnswer rotate_ca() override { return ca_rotation_.start(); }
  api::AdminAnswer publish_release(const std::string& path) override {
    return publisher_.publish(path);
  }
  api::AdminAnswer force_db_bootstrap(const std::string& node) override {
    return db_bootstrap_.force(node);
  }
  api::AdminAnswer db_backups() override;
  api::AdminAnswer restore_db(const std::string& name, bool confirmed) override {
    return db_restore_.restore(name, confirmed);
  }
  api::AdminAnswer release_db_holds() override { return db_restore_.release_all(); }
  nlohmann::json status_page_view() override;

  // api::PeerBackend (daemon_backends.cpp)
  std::string join_token_refusal(const std::string& token) const override;
  std::optional<api::PeerMember> member(const std::string& name) const override;
  bool handshake_current(const api::PeerIdentity& peer) const override;
  nlohmann::json node_report() override;
  api::PeerReply desired_document() override;
  api::PeerReply join(const nlohmann::json& request, bool forwarded) override;
  api::PeerReply change_desired_state(const std::string& document, bool forwarded) override;
  api::PeerReply nudge(const api::Nudge& nudge) override;
  api::PeerReply issue_certificate(const std::string& name, const std::string& address,
                                   const std::string& csr, const std::string& ca_pin) override;
  api::PeerReply signing_key() override;
  api::PeerReply rotate_signing_key(bool forwarded) override;
  api::PeerReply begin_ca_rotation(bool forwarded) override {
    return ca_rotation_.begin_from_peer(forwarded);
  }
  api::PeerReply hand_ca_key(const std::string& name, const std::string& pin) override {
    return ca_rotation_.hand_key(name, pin);
  }
  api::PeerReply accept_db_bootstrap(const std::string& node) override {
    return db_bootstrap_.accept(node);
  }
  api::PeerReply start_db_backup() override;
  api::PeerReply hold_db_server(const std::string& caller, const std::string& reason) override {
    return db_hold_.hold_for(caller, reason);
  }
  api::PeerReply release_db_server(const std::string& caller) override {
    return db_hold_.release_for(caller);
  }
  api::PeerReply set_aside_db_datadir(const std::string& caller) override {
    return db_hold_.set_aside_for(caller);
  }

 private:
  static constexpr std::size_t kBlockingThreads = 4;
  // The status page reloads itself this often; its cluster table is at most this old.
  static constexpr std::chrono::seconds kStatusPageRefresh{10};
  static constexpr int kMaxBlockingQueued = 32;

  HealthInputs health_inputs();
  // GET /metrics: the process registry and this node's state (daemon_metrics.cpp).
  std::string metrics_text() const;
  // This node has role db in the current desired state (GET /health/db answers there only).
  bool is_db_node() const;
  // A db node's "database" object (common/galera_bootstrap.hpp) for status and node reports;
  // null on other nodes.
  nlohmann::json database_report() const;
  // Runs `task` on the blocking pool; false when kMaxBlockingQueued tasks are already waiting.
  bool offload(std::function<void()> task);
  // Starts a follower look on the pool unless one is already queued (then that one asks
  // `announced_by` first).
  // Whether the FUSE mount at `mountpoint` answers the health monitor's probe right now.
  bool mount_answers(const std::string& mountpoint) const;
  void schedule_look(const std::string& announced_by);
  // A desired state was put in force or refused: the health verdict follows at once.
  void on_desired_changed();
  // The process watch saw a service or brick of this node exit (daemon_faults.cpp).
  void on_process_exit(const ProcessExit& exit);
  // Every 2 s while a brick of this node is dead: tell the leader again (daemon_faults.cpp).
  void start_brick_follow_up();
  // Nudges the leader about `what` from the blocking pool.
  void tell_leader(const std::string& what);
  // Timers on the event loop (daemon_loop.cpp).
  void start_tick();
  void start_follow_timer();
  void start_mount_watch();
  void start_watchdog();
  // Looks at the node certificate after `delay` (on the pool) and renews it when due.
  void start_certificate_timer(std::chrono::seconds delay);
  // Every CaRotation::kPeriod: this node follows the CAs in force; the leader leads.
  void start_ca_timer();
  // Every ReleaseRollout::kPeriod: an lb node asks HAProxy for its servers; the leader moves a
  // rollout of a release on.
  void start_rollout_timer();

  const common::LocalConfig local_;
  common::SystemRunner runner_;
  Services services_;
  EventLog events_;
  ReleaseReportHolder release_report_;  // pydio-release writes it, node_report() reads it
  DbMemberHolder db_member_;            // db-server writes it, node_report() and db bootstrap read it
  NodeState state_;
  LeaderLink leader_link_;
  ChangeCommitter changes_;
  JoinAdmission admission_;
  TokenChanges tokens_;
  LegacyUpgrade upgrade_;
  JoinClient join_client_;
  Follower follower_;
  SigningKeyFetch key_fetch_;
  Reachability reachability_;
  HealthMonitor health_;
  DbProber db_health_;  // GET /health/db on a db node
  ClusterReport cluster_;
  ClusterViewCache page_cluster_{[this] { return cluster_.report(); }, kStatusPageRefresh};
  CertificateIssuer issuer_;
  CertificateRenewal renewal_;
  CaRotation ca_rotation_;
  ReleasePublisher publisher_;
  BalancerStats balancer_;
  ReleaseRollout rollout_;
  DbBootstrapCommand db_bootstrap_;
  DbBackupWorker db_backup_;  // a db node's backups, asked for by the leader
  DbHoldService db_hold_;
  DbRestoreCommand db_restore_;

  boost::asio::io_context ioc_{2};
  WorkerPool pool_{kBlockingThreads};
  std::atomic<int> blocking_queued_{0};
  std::atomic<bool> look_queued_{false};
  std::mutex glusterd_uuid_mutex_;
  std::string glusterd_uuid_;  // guarded by glusterd_uuid_mutex_; "" until glusterd has one
  std::mutex look_hint_mutex_;
  std::string look_hint_;  // guarded by look_hint_mutex_
  boost::asio::steady_timer tick_{ioc_};
  boost::asio::steady_timer follow_timer_{ioc_};
  boost::asio::steady_timer watchdog_timer_{ioc_};
  boost::asio::posix::stream_descriptor mountinfo_{ioc_};
  boost::asio::steady_timer brick_timer_{ioc_};
  boost::asio::steady_timer certificate_timer_{ioc_};
  boost::asio::steady_timer ca_timer_{ioc_};
  std::atomic<bool> ca_queued_{false};           // a follow/lead round is queued or running
  boost::asio::steady_timer rollout_timer_{ioc_};
  std::atomic<bool> rollout_queued_{false};  // a balancer/rollout round is queued or running
  std::unique_ptr<PeerEndpoint> peer_endpoint_;  // set by run() before the loop starts
  std::unique_ptr<AgentCheckEndpoint> agent_check_;  // set by run() before the loop starts
  // Set by run() before the loop starts.
  std::unique_ptr<RetryingListener> health_endpoint_;
  std::unique_ptr<RetryingListener> metrics_endpoint_;
  struct DeadBrick {
    ProcessExit exit;
    std::chrono::steady_clock::time_point since;
  };
  std::mutex dead_bricks_mutex_;
  std::map<std::string, DeadBrick> dead_bricks_;       // by pid file; guarded by dead_bricks_mutex_
  bool was_leader_ = false;                            // loop only (tick timer)
  std::optional<std::set<std::string>> last_reached_;  // loop only (tick timer)
  // Last: its thread calls back into the members above.
  ProcessWatch process_watch_{[this] { return service_and_brick_targets(local_); },
                              [this](const ProcessExit& exit) { on_process_exit(exit); }};
  std::chrono::steady_clock::time_point next_timer_pass_;  // loop only
};

}  // namespace pydio::agent
