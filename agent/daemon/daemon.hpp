#pragma once
// pydio-agentd: wires the parts together and runs them until SIGTERM/SIGINT.
//   admin API (unix socket, root only)   -> its own io_context, on the main thread
//   health endpoint (TCP)                -> its own io_context and thread: never behind admin work
//   peer API (TCP, <address>:8481)       -> its own io_context and two threads (a join may wait
//                                           on the leader; node reports must still answer)
//   desired-state follower               -> its own thread: adopts what the leader published
//                                           on pydio-config, or what a peer holds
//   reconciler (scheduler + worker pool), health monitor, leader elector -> their own threads
// Stopping leaves every mount, brick and service running: the agent manages them, it does not
// own them (the FUSE clients in particular are not its children).

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "agent/api/admin_api.hpp"
#include "agent/api/peer_api.hpp"
#include "agent/cluster/cluster_view.hpp"
#include "agent/cluster/peer_client.hpp"
#include "agent/cluster/reachability.hpp"
#include "agent/daemon/desired_store.hpp"
#include "agent/daemon/drain_state.hpp"
#include "agent/election/lease.hpp"
#include "agent/reconcile/event_log.hpp"
#include "agent/health/health_monitor.hpp"
#include "agent/reconcile/reconciler.hpp"
#include "agent/host/process_watch.hpp"
#include "agent/host/services.hpp"
#include "common/local_config.hpp"
#include "common/runner.hpp"

namespace pydio::agent {

class Daemon : public api::AdminBackend, public api::PeerBackend, public ClusterView {
 public:
  explicit Daemon(common::LocalConfig local);
  ~Daemon() override;

  // Runs until a termination signal. Returns the process exit code.
  int run();

  // api::AdminBackend
  nlohmann::json status(bool include_cluster) override;
  common::Expected<nlohmann::json> plan() override;
  void request_reconcile() override;
  common::Status drain(const std::string& reason) override;
  common::Status undrain() override;
  nlohmann::json events(int count) override;
  common::Expected<api::SubmitResult> submit_desired_state(const std::string& document) override;
  api::JoinOutcome join(const api::JoinOptions& options) override;

  // api::PeerBackend (daemon_peer.cpp)
  std::string join_token() const override;
  nlohmann::json node_report() override;
  api::PeerReply desired_document() override;
  api::PeerReply join(const nlohmann::json& request, bool forwarded) override;
  api::PeerReply change_desired_state(const std::string& document, bool forwarded) override;
  void nudge(const std::string& reason) override;  // daemon_faults.cpp

  // ClusterView (daemon_cluster.cpp)
  std::set<std::string> hosts_reporting_in_sync(const std::vector<std::string>& addresses,
                                                const std::string& resource_name) const override;

 private:
  common::Status prepare_state_dir();
  common::Status ensure_secrets();
  std::optional<PassContext> pass_context();
  HealthInputs health_inputs();
  // Creates or replaces the reconciler when the resource set of the desired state changed,
  // and starts the elector once there is a database to hold the lease in.
  void follow_desired_state();
  void watch_mount_table();
  void notify_systemd_loop();
  std::shared_ptr<Reconciler> reconciler() const;
  bool is_leader_now() const;
  std::shared_ptr<const common::Secrets> secrets() const;
  PeerClient peer_client(std::chrono::milliseconds timeout) const;
  // The status of this node alone (what node_report() and status() share).
  nlohmann::json local_status();
  // Every node's report, leader, pool, volumes and heal backlog (daemon_cluster.cpp).
  nlohmann::json cluster_status();
  // Address of the node holding the lease, as this node knows it or its storage peers report.
  std::optional<std::string> leader_address(const common::DesiredState& desired) const;
  // On the leader: puts a change in force (exactly generation + 1) and has it published.
  api::PeerReply commit_change(const std::string& document);
  // The same without a lease, for a one-node cluster whose database is not up yet: nobody
  // else can change its desired state.
  api::PeerReply commit_local_change(const std::string& document);
  // Sends a change or join to the leader, once; 503 when there is none.
  api::PeerReply forward_to_leader(const std::string& path, const nlohmann::json& body);
  api::PeerReply document_reply(const std::shared_ptr<const common::DesiredState>& state,
                                bool with_secrets) const;
  std::string join_command() const;
  // Follows the published desired state (pydio-config, else a peer) every kFollowInterval.
  void follow_published_loop();
  void adopt(const std::string& text, const std::string& source);

  const common::LocalConfig local_;
  common::SystemRunner runner_;
  Services services_;
  DesiredStore desired_;
  DrainState drain_;
  EventLog events_;
  Reachability reachability_;
  HealthMonitor health_;

  mutable std::mutex mutex_;  // guards the members below
  std::shared_ptr<const common::Secrets> secrets_;
  std::shared_ptr<Reconciler> reconciler_;
  std::vector<std::string> resource_names_;
  std::unique_ptr<LeaderElector> elector_;
  bool was_leader_ = false;

  std::mutex change_mutex_;        // serializes changes committed by this node as leader
  std::string last_adopted_text_;  // follow thread only: the last document looked at

  std::atomic<bool> stopping_{false};
  std::thread follow_thread_;
  std::thread mount_watch_thread_;
  std::thread notify_thread_;

  // Faults noticed at once (daemon_faults.cpp). Last member: stopped before the rest goes.
  void on_process_exit(const ProcessExit& exit);
  ProcessWatch process_watch_{[this] { return service_and_brick_targets(local_); },
                              [this](const ProcessExit& exit) { on_process_exit(exit); }};
};

}  // namespace pydio::agent
