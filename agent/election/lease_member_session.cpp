#include "agent/election/lease_member_session.hpp"

#include "agent/host/galera_status.hpp"

namespace pydio::agent {

MemberAnswer open_lease_member(const MysqlEndpoint& endpoint,
                               std::unique_ptr<MysqlSession>& session, std::string& problem) {
  auto connected = MysqlSession::connect(endpoint);
  if (!connected) {
    problem = connected.status().message();
    return MemberAnswer::kUnreachable;
  }
  auto state = read_galera_state(**connected);
  if (!state) {
    problem = state.status().message();
    return MemberAnswer::kUnreachable;
  }
  if (!galera_serving(*state)) {
    problem = endpoint.describe() + ": not serving (" + galera_serving_problem(*state) + ")";
    return MemberAnswer::kNotServing;
  }
  // Only on Galera: a server without a provider has nothing to wait for.
  if (state->wsrep_on) {
    auto waiting = (*connected)->execute("SET SESSION wsrep_sync_wait = 1");
    if (!waiting) {
      problem = waiting.status().message();
      return MemberAnswer::kUnreachable;
    }
  }
  session = std::move(*connected);
  return MemberAnswer::kServing;
}

}  // namespace pydio::agent
