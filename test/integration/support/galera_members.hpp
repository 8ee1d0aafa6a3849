#pragma once
// A MariaDB Galera cluster for integration scenarios: one mariadbd per simulated node (its
// datadir in the node's private /var/lib/mysql, its socket in the node's /run), listening on
// the node's 198.18.0.N:3306, replicating over gcomm://<all members> with rsync SST - the
// options of FIELD-NOTES "MariaDB Galera". The first member bootstraps the component
// (--wsrep-new-cluster); the others join it.
// Members can be SIGKILLed, started again (they rejoin by SST/IST), and cut off the network
// (the node's link goes down). The destructor stops every mariadbd it started by PID; the
// SimCluster's destroy removes the rest (namespaces, directories), pass or fail.
// The test process reaches each member's admin session over the socket, which works also
// while the member is cut off.

#include <string>
#include <vector>

#include "agent/host/galera_status.hpp"
#include "agent/host/mysql_session.hpp"
#include "test/integration/support/sim_cluster.hpp"

namespace pydio::test {

class GaleraMembers {
 public:
  // `nodes`: created simulated nodes, one member each, in order (the first bootstraps).
  GaleraMembers(const SimCluster& cluster, std::vector<SimNode*> nodes);
  ~GaleraMembers();
  GaleraMembers(const GaleraMembers&) = delete;
  GaleraMembers& operator=(const GaleraMembers&) = delete;

  // Installs the datadirs, bootstraps the first member, starts the others and waits (up to
  // 180 s) until every member is Synced in one primary component of all of them.
  common::Status start();

  std::size_t size() const { return nodes_.size(); }
  std::string address(std::size_t member) const { return nodes_.at(member)->address(); }
  int pid(std::size_t member) const { return pids_.at(member); }

  // SIGKILL of the member's mariadbd; waits until it is gone.
  void kill(std::size_t member);
  // Starts a killed member again (it rejoins the component); does not wait.
  common::Status restart(std::size_t member);
  // Takes the member's link down (up again with reconnect()).
  void cut(std::size_t member);
  void reconnect(std::size_t member);

  // root over the member's unix socket (reachable from the host also while it is cut off).
  agent::MysqlEndpoint admin_endpoint(std::size_t member) const;
  // The member's Galera state; an error when it does not answer.
  common::Expected<agent::GaleraState> state(std::size_t member) const;
  // Waits until `member` serves (Synced, Primary, ready) in a component of `size` members.
  bool wait_serving(std::size_t member, int size, std::chrono::seconds deadline = 180s) const;
  // The tail of a member's error log, for failure messages.
  std::string error_log_tail(std::size_t member) const;

 private:
  common::Status install(std::size_t member);
  common::Status spawn(std::size_t member, bool bootstrap);

  std::string run_dir_;
  std::vector<SimNode*> nodes_;
  std::vector<int> pids_;
  common::SystemRunner runner_;
};

}  // namespace pydio::test
