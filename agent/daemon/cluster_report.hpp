#pragma once
// The daemon's view of the whole cluster: what the other agents report (for the leader's
// decisions and for `agentctl status`), the gluster pool, volumes and heal backlog. Every
// question has a bound and all peers are asked at once, so a node that does not answer shows as
// unreachable and status never hangs. A node that did not answer is not waited for again while
// it stays unreachable: later reports show its last error and a background question finds out
// when it is back (an unreachable node costs its bound once, not per request).
// Gluster peers are matched to nodes by glusterd UUID, which each agent reports once its
// glusterd has one (gluster records a peer under whatever name it first saw); by address before.
// Thread-safe: unreachable_ is guarded by mutex_.

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "agent/cluster/cluster_view.hpp"
#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/node_state.hpp"
#include "common/runner.hpp"

namespace pydio::agent {

class ClusterReport : public ClusterView {
 public:
  // `local_report` gives this node's own report (answered from memory, never over HTTP).
  ClusterReport(const NodeState& state, const LeaderLink& leader, const common::LocalConfig& local,
                common::ProcessRunner& runner, std::function<nlohmann::json()> local_report);

  // ClusterView
  std::set<std::string> hosts_reporting_in_sync(const std::vector<std::string>& addresses,
                                                const std::string& resource_name) const override;
  std::vector<common::Expected<nlohmann::json>> node_reports(
      const std::vector<std::string>& addresses) const override;
  common::Expected<std::string> start_db_backup(const std::string& address) const override;

  // Every node's row, the leader, pool, volumes, heal backlog, what waits and warnings.
  nlohmann::json report() const;
  // Each address's report (GET /v1/peer/node), asked in parallel; known-unreachable ones are
  // asked in the background only and answered with their last error.
  std::vector<common::Expected<nlohmann::json>> reports(
      const std::vector<std::string>& addresses) const;

 private:
  struct Unreachable {
    std::chrono::steady_clock::time_point since;
    std::string error;
  };

  const NodeState& state_;
  const LeaderLink& leader_;
  const common::LocalConfig& local_;
  common::ProcessRunner& runner_;
  std::function<nlohmann::json()> local_report_;
  mutable std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
  // guarded by *mutex_; shared with background questions that may outlive a call
  std::shared_ptr<std::map<std::string, Unreachable>> unreachable_ =
      std::make_shared<std::map<std::string, Unreachable>>();
};

// This node's glusterd UUID (from glusterd.info under `glusterd_dir`), "" until glusterd has one
// (it appears at the first peer probe).
std::string read_glusterd_uuid(const std::string& glusterd_dir);

}  // namespace pydio::agent
