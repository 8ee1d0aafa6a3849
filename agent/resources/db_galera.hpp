#pragma once
// The Galera side of resource db-server (three or more db nodes; docs/operations.md, "The
// database tier"): the wsrep options of the option file, what this member and the others
// report, and the plan for a member that is stopped or outside a primary component. The
// decision itself is common/galera_bootstrap.hpp's.

#include <optional>
#include <string>
#include <vector>

#include "agent/host/galera_position.hpp"
#include "agent/host/galera_status.hpp"
#include "agent/reconcile/resource.hpp"
#include "agent/resources/galera_tls.hpp"
#include "common/galera_bootstrap.hpp"

namespace pydio::agent {

struct GaleraDesired {
  std::string cluster_name;
  std::vector<std::string> member_names;      // db nodes, document order
  std::vector<std::string> member_addresses;  // same order
  std::string self_name;
  std::string self_address;
  std::string tls_dir;  // galera_tls.hpp; "" leaves gcomm in clear (unit tests only)
};

// Pure: the members a joiner asks for a state transfer, "db3,db2," (wsrep_sst_donor): every
// member but itself and the first in document order, the last first; the trailing comma lets
// Galera fall back to any member. "" when there is none.
std::string preferred_sst_donors(const GaleraDesired& galera);

// Pure: the [mysqld] lines that make the server a Galera member (appended to the option file).
std::string render_galera_options(const GaleraDesired& galera);

struct GaleraObservation {
  std::optional<GaleraTlsFiles> tls_want;  // from the pki directory; nullopt before init/join
  std::optional<GaleraTlsFiles> tls_have;  // the copies mariadbd reads
  std::optional<GaleraState> live;         // when mariadbd accepted the admin connection
  std::optional<GaleraPosition> position;  // stopped: grastate.dat, or the recovered position
  bool needs_recovery = false;             // stopped after a crash: seqno -1 and none recovered
  common::DbMemberReport self;             // what this node reports to the others
  std::vector<common::DbMemberReport> members;  // every member's report, document order
  common::GaleraStart decision;                 // meaningful when stopped or not primary
};

// This node's report from its own observation. Pure.
common::DbMemberReport galera_self_report(const std::string& self_name, bool running,
                                          const std::optional<GaleraState>& live,
                                          const std::optional<GaleraPosition>& position,
                                          bool forced, bool holds_data);
// A member whose server is being started (or whose observation failed): running, state
// unknown, so that no other member bootstraps beside it meanwhile. Pure.
common::DbMemberReport galera_unknown_report(const std::string& self_name);
// True when `datadir` holds a schema beyond the ones mariadb-install-db creates.
bool datadir_holds_data(const std::string& datadir);

// Reads grastate.dat / the recovered position when stopped, asks the other db nodes' agents
// (ctx.cluster) for their reports and decides. `live`: the server's state when it answered.
GaleraObservation observe_galera(const PassContext& ctx, const GaleraDesired& galera, bool running,
                                 std::optional<GaleraState> live);

}  // namespace pydio::agent
