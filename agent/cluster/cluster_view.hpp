#pragma once
// What a leader-only resource may ask the other agents (over the peer API), without knowing
// how. The daemon implements it; unit tests of pure plans never need it.

#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/status.hpp"

namespace pydio::agent {

class ClusterView {
 public:
  virtual ~ClusterView() = default;
  // The addresses among `addresses` whose own agent reports resource `resource_name` in sync
  // (this node answers from its own reconciler). Bounded: an agent that does not answer in
  // time is simply not in the result.
  virtual std::set<std::string> hosts_reporting_in_sync(const std::vector<std::string>& addresses,
                                                        const std::string& resource_name) const = 0;
  // Each address's node report (GET /v1/peer/node), in the order of `addresses`; an error for
  // a node that did not answer in time. This node's own is answered from memory.
  virtual std::vector<common::Expected<nlohmann::json>> node_reports(
      const std::vector<std::string>& addresses) const = 0;
  // Asks the db node at `address` to take a backup now (POST /v1/peer/db-backup): the name of
  // the backup it started, or its refusal.
  virtual common::Expected<std::string> start_db_backup(const std::string& address) const = 0;
};

}  // namespace pydio::agent
