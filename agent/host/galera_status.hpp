#pragma once
// A MariaDB server's replication state, as Galera reports it in its status variables
// (SHOW GLOBAL STATUS LIKE 'wsrep%'), read over any session: the status variables need no
// privilege. Used by the db-server resource, the node report (agentctl status), the lease's
// choice of member and the /health/db check of the local database proxies.

#include <cstdint>
#include <map>
#include <string>

#include "agent/host/mysql_session.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct GaleraState {
  bool wsrep_on = false;       // the server runs with a Galera provider (wsrep_ready exists)
  bool ready = false;          // wsrep_ready ON: the node accepts queries
  bool primary = false;        // wsrep_cluster_status "Primary"
  bool synced = false;         // wsrep_local_state 4 ("Synced")
  std::string state_comment;   // wsrep_local_state_comment: Synced, Donor/Desynced, Joining, ...
  std::string cluster_status;  // wsrep_cluster_status: Primary, non-Primary, Disconnected
  int cluster_size = 0;        // wsrep_cluster_size
  std::string cluster_uuid;    // wsrep_cluster_state_uuid
  std::int64_t last_committed = -1;  // wsrep_last_committed (the seqno)
};

// Pure: the state from the variables' name -> value (names in any case).
GaleraState galera_state_from(const std::map<std::string, std::string>& variables);
common::Expected<GaleraState> read_galera_state(MysqlSession& session);

// A member clients may use: Galera in a primary component and synced, or a server without
// Galera (one db node). Pure.
bool galera_serving(const GaleraState& state);
// Why not serving, for status and checks ("" when serving): e.g. "Joining, non-Primary".
std::string galera_serving_problem(const GaleraState& state);

}  // namespace pydio::agent
