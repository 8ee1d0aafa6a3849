#pragma once
// Which db node may start a Galera cluster, decided by each db node's agent from what every
// member reports (the "database" object of its node report, GET /v1/peer/node). No leader is
// involved: after a full outage there is none (the lease lives in the database).
//
// The rules (docs/operations.md, "The database tier"):
// - a member in a primary component exists: start and join it (IST or SST), once no other
//   member is a donor or joiner of a state transfer (one transfer at a time);
// - an operator forced a member (`agentctl db bootstrap --force NODE`): only that one starts a
//   cluster, the others wait for it;
// - a member is silent, runs without telling its state (starting, or not answering its
//   agent), or has not recovered its position yet: nothing bootstraps;
// - every member answered: the one with the highest seqno bootstraps (document order breaks
//   ties); when no member was ever in a cluster, the one member holding data of its own (a
//   single db node growing to three) or else the first db node starts the new cluster; two
//   members with data of their own wait for an operator.
// Every agent computes the same answer from the same reports, so only one node bootstraps.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pydio::common {

struct DbMemberReport {
  std::string node;       // node name (set by the reader, from the desired state)
  bool answered = false;  // its agent answered with a "database" object
  std::string error;      // why it did not answer
  bool running = false;   // mariadbd runs
  bool galera = false;    // it runs with Galera
  bool primary = false;   // in a primary component, synced and ready (galera_serving)
  std::string state;      // wsrep_local_state_comment, "" when not running Galera
  int cluster_size = 0;
  std::string uuid;             // the cluster its data belongs to; "" when never in one
  std::int64_t seqno = -1;      // its last committed transaction; -1 unknown
  bool position_known = false;  // seqno is known (clean shutdown, recovered or running)
  bool holds_data = false;      // its datadir has a schema beyond the system ones
  bool forced = false;          // an operator forced this member to bootstrap
  std::int64_t observed_at = 0; // when its agent observed it (UTC seconds)
  bool backup_running = false;  // desynced for a backup (Donor/Desynced, but no state transfer)
};

nlohmann::json db_member_report_json(const DbMemberReport& report);
// The report of node `node` from a node report's "database" object; answered = false (with
// the reason) when it is missing, malformed, or observed more than `max_age_seconds` before
// `now` (an agent whose observations stopped is as good as silent).
DbMemberReport db_member_report_from(const std::string& node, const nlohmann::json& database,
                                     std::int64_t now = 0, std::int64_t max_age_seconds = 0);

enum class GaleraStartKind {
  kWait,       // do nothing now (the reason says what for)
  kJoin,       // start mariadbd normally: it joins the primary component
  kBootstrap,  // this node starts the cluster (new cluster, or pc.bootstrap when running)
};

struct GaleraStart {
  GaleraStartKind kind = GaleraStartKind::kWait;
  std::string reason;
};

// For a member that is stopped or outside a primary component. `members`: every db node's
// report, this node's included, in document order. Pure.
GaleraStart decide_galera_start(const std::string& self,
                                const std::vector<DbMemberReport>& members);

// "node1=12, node2=14, node3=silent": what the decision saw, for status lines.
std::string seqnos_seen(const std::vector<DbMemberReport>& members);

}  // namespace pydio::common
