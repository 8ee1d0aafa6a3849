#pragma once
// pydio-agentd: wires the parts together and runs them until SIGTERM/SIGINT.
//   admin API (unix socket, root only)   -> its own io_context, on the main thread
//   health endpoint (TCP)                -> its own io_context and thread: never behind admin work
//   reconciler (scheduler + worker pool), health monitor, leader elector -> their own threads
// Stopping leaves every mount, brick and service running: the agent manages them, it does not
// own them (the FUSE clients in particular are not its children).

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "agent/api/admin_api.hpp"
#include "agent/desired_store.hpp"
#include "agent/drain_state.hpp"
#include "agent/election/lease.hpp"
#include "agent/event_log.hpp"
#include "agent/health_monitor.hpp"
#include "agent/reconciler.hpp"
#include "agent/services.hpp"
#include "common/local_config.hpp"
#include "common/runner.hpp"

namespace pydio::agent {

class Daemon : public api::AdminBackend {
 public:
  explicit Daemon(common::LocalConfig local);
  ~Daemon() override;

  // Runs until a termination signal. Returns the process exit code.
  int run();

  // api::AdminBackend
  nlohmann::json status() override;
  common::Expected<nlohmann::json> plan() override;
  void request_reconcile() override;
  common::Status drain(const std::string& reason) override;
  common::Status undrain() override;
  nlohmann::json events(int count) override;
  common::Expected<api::SubmitResult> submit_desired_state(const std::string& document) override;

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

  const common::LocalConfig local_;
  common::SystemRunner runner_;
  Services services_;
  DesiredStore desired_;
  DrainState drain_;
  EventLog events_;
  HealthMonitor health_;

  mutable std::mutex mutex_;                       // guards the members below
  std::shared_ptr<const common::Secrets> secrets_;
  std::shared_ptr<Reconciler> reconciler_;
  std::vector<std::string> resource_names_;
  std::unique_ptr<LeaderElector> elector_;
  bool was_leader_ = false;

  std::atomic<bool> stopping_{false};
  std::thread mount_watch_thread_;
  std::thread notify_thread_;
};

}  // namespace pydio::agent
