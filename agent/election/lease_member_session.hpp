#pragma once
// A session on one database member for the leader lease, opened only when that member may be
// used (agent/election/lease_members.hpp): connected, Galera says it serves (Synced, Primary,
// ready; or no Galera at all), and, on Galera, wsrep_sync_wait = 1 so that the lease row read
// back reflects every write committed anywhere in the cluster before the read.

#include <memory>
#include <string>

#include "agent/election/lease_members.hpp"
#include "agent/host/mysql_session.hpp"

namespace pydio::agent {

// kServing: `session` holds the ready session. Otherwise `session` is untouched and `problem`
// says why, naming the endpoint ("198.18.0.2:3306: not serving (Joining, non-Primary)").
// Bounded by the endpoint's timeouts: a connect and at most two statements.
MemberAnswer open_lease_member(const MysqlEndpoint& endpoint,
                               std::unique_ptr<MysqlSession>& session, std::string& problem);

}  // namespace pydio::agent
