#include "common/galera_bootstrap.hpp"

#include <set>

namespace pydio::common {

using nlohmann::json;

json db_member_report_json(const DbMemberReport& report) {
  return {{"running", report.running},
          {"galera", report.galera},
          {"primary", report.primary},
          {"state", report.state},
          {"clusterSize", report.cluster_size},
          {"uuid", report.uuid},
          {"seqno", report.seqno},
          {"positionKnown", report.position_known},
          {"holdsData", report.holds_data},
          {"forced", report.forced},
          {"observedAt", report.observed_at}};
}

DbMemberReport db_member_report_from(const std::string& node, const json& database,
                                     std::int64_t now, std::int64_t max_age_seconds) {
  DbMemberReport report;
  report.node = node;
  if (!database.is_object()) {
    report.error = "no database report";
    return report;
  }
  try {
    report.running = database.at("running").get<bool>();
    report.galera = database.at("galera").get<bool>();
    report.primary = database.at("primary").get<bool>();
    report.state = database.at("state").get<std::string>();
    report.cluster_size = database.at("clusterSize").get<int>();
    report.uuid = database.at("uuid").get<std::string>();
    report.seqno = database.at("seqno").get<std::int64_t>();
    report.position_known = database.at("positionKnown").get<bool>();
    report.holds_data = database.at("holdsData").get<bool>();
    report.forced = database.at("forced").get<bool>();
    report.observed_at = database.at("observedAt").get<std::int64_t>();
    // Absent from agents that take no backups (and from older ones).
    report.backup_running = database.value("backupRunning", false);
  } catch (const json::exception& error) {
    DbMemberReport malformed;
    malformed.node = node;
    malformed.error = std::string("malformed database report: ") + error.what();
    return malformed;
  }
  if (max_age_seconds > 0 && now - report.observed_at > max_age_seconds) {
    DbMemberReport stale;
    stale.node = node;
    stale.error =
        "its last observation is " + std::to_string(now - report.observed_at) + " s old";
    return stale;
  }
  report.answered = true;
  return report;
}

std::string seqnos_seen(const std::vector<DbMemberReport>& members) {
  std::string out;
  for (const auto& member : members) {
    if (!out.empty()) out += ", ";
    out += member.node + "=";
    if (!member.answered) {
      out += "silent";
    } else if (member.primary) {
      out += "primary";
    } else if (member.running && !member.position_known) {
      out += "running, state unknown";
    } else if (member.uuid.empty()) {
      out += "new";
    } else if (!member.position_known) {
      out += "unknown";
    } else {
      out += std::to_string(member.seqno);
    }
  }
  return out;
}

GaleraStart decide_galera_start(const std::string& self,
                                const std::vector<DbMemberReport>& members) {
  if (members.empty()) return {GaleraStartKind::kWait, "no db members"};
  const std::string seen = " (seqnos seen: " + seqnos_seen(members) + ")";
  for (const auto& member : members) {
    if (member.node != self && member.answered && member.primary) {
      for (const auto& me : members) {
        if (me.node == self && me.holds_data && me.uuid.empty()) {
          // Joining copies the cluster's data over this server's own.
          return {GaleraStartKind::kWait,
                  "this server holds data of its own and was never in the cluster " +
                      member.node +
                      " runs: joining would replace its data by a state transfer; copy the "
                      "data into the cluster first, or empty the datadir"};
        }
      }
      for (const auto& other : members) {
        // One state transfer at a time: the next joiner then copies from a member that has
        // just finished, never again from the first (which the proxies and leases use, and
        // which an rsync donor's lock takes from them).
        // A member desynced for a backup sends no state transfer: no reason to wait for it.
        if (other.node != self && other.answered && other.primary && other.state != "Synced" &&
            !other.backup_running) {
          return {GaleraStartKind::kWait, "waiting for " + other.node + " (" + other.state +
                                              ") to finish its state transfer before joining"};
        }
      }
      return {GaleraStartKind::kJoin, member.node + " is in a primary component"};
    }
  }
  for (const auto& member : members) {
    if (member.answered && member.forced) {
      if (member.node == self) {
        return {GaleraStartKind::kBootstrap, "an operator forced this node to bootstrap" + seen};
      }
      return {GaleraStartKind::kWait,
              "waiting for " + member.node + ", which an operator forced to bootstrap" + seen};
    }
  }
  const std::string force_hint =
      "; if it is gone for good, `agentctl db bootstrap --force NODE` starts the cluster from "
      "NODE (the highest seqno loses least)";
  std::vector<std::string> silent;
  for (const auto& member : members) {
    if (!member.answered) silent.push_back(member.node);
  }
  if (!silent.empty()) {
    std::string names;
    for (const auto& name : silent) names += (names.empty() ? "" : ", ") + name;
    return {GaleraStartKind::kWait,
            "nothing bootstraps while " + names + " cannot tell its position" + seen + force_hint};
  }
  for (const auto& member : members) {
    if (member.running && !member.position_known) {
      return {GaleraStartKind::kWait, "waiting for " + member.node +
                                          ", whose server runs but does not tell its state "
                                          "(starting, or not answering its agent)" +
                                          seen};
    }
  }
  for (const auto& member : members) {
    if (!member.uuid.empty() && !member.position_known) {
      return {GaleraStartKind::kWait,
              "waiting for " + member.node + " to recover its Galera position" + seen};
    }
  }
  std::set<std::string> uuids;
  for (const auto& member : members) {
    if (!member.uuid.empty()) uuids.insert(member.uuid);
  }
  if (uuids.size() > 1) {
    return {GaleraStartKind::kWait,
            "the members hold data of different Galera clusters: an operator must choose" + seen +
                force_hint};
  }
  const DbMemberReport* chosen = nullptr;
  std::string why;
  if (uuids.empty()) {
    // A single server growing into Galera holds the data; a fresh member must never win over
    // it (its empty database would be copied over the real one).
    std::vector<const DbMemberReport*> with_data;
    for (const auto& member : members)
      if (member.holds_data) with_data.push_back(&member);
    if (with_data.size() > 1) {
      std::string names;
      for (const auto* member : with_data) names += (names.empty() ? "" : ", ") + member->node;
      return {GaleraStartKind::kWait, names +
                                          " each hold data of their own and none was in a "
                                          "Galera cluster: an operator must choose" +
                                          seen + force_hint};
    }
    chosen = with_data.empty() ? &members.front() : with_data.front();
    why = with_data.empty() ? "starts the new cluster" : "holds the data and starts the cluster";
  } else {
    for (const auto& member : members) {
      if (member.uuid.empty()) continue;
      if (chosen == nullptr || member.seqno > chosen->seqno) chosen = &member;
    }
    why = "has the highest seqno, " + std::to_string(chosen->seqno);
  }
  if (chosen->node == self) return {GaleraStartKind::kBootstrap, "this node " + why + seen};
  return {GaleraStartKind::kWait, "waiting for " + chosen->node + ", which " + why + seen};
}

}  // namespace pydio::common
