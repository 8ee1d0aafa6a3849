#include "agent/resources/db_galera.hpp"

#include <filesystem>
#include <set>
#include <sstream>

#include "agent/cluster/cluster_view.hpp"
#include "agent/resources/db_member_holder.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {
namespace {

// A member observes itself at least once a pass (more often while it waits); a report older
// than three passes comes from an agent whose observations stopped.
std::int64_t report_max_age(const common::LocalConfig& local) {
  return std::max<std::int64_t>(60, 3 * static_cast<std::int64_t>(local.pass_interval_seconds));
}

}  // namespace

std::string preferred_sst_donors(const GaleraDesired& galera) {
  // The first member in document order is the one every database proxy and every lease
  // session uses while it serves; a donor of an rsync state transfer is locked (not serving)
  // until the copy ends. So a joiner asks the last members first and the first one never.
  std::string donors;
  for (std::size_t i = galera.member_names.size(); i > 1; --i) {
    const std::string& name = galera.member_names[i - 1];
    if (name != galera.self_name) donors += name + ",";
  }
  return donors;
}

std::string render_galera_options(const GaleraDesired& galera) {
  std::ostringstream out;
  std::string addresses;
  for (const auto& address : galera.member_addresses)
    addresses += (addresses.empty() ? "" : ",") + address;
  out << "# Galera: the db nodes replicate synchronously (docs/operations.md, \"The database "
         "tier\").\n"
      << "wsrep_on = ON\n"
      << "wsrep_provider = /usr/lib/galera/libgalera_smm.so\n"
      << "wsrep_cluster_name = " << galera.cluster_name << "\n"
      << "wsrep_cluster_address = gcomm://" << addresses << "\n"
      << "wsrep_node_address = " << galera.self_address << "\n"
      << "wsrep_node_name = " << galera.self_name
      << "\n"
      // rsync: works with the packages a db node has; mariabackup SST needs a backup user
      // whose password would sit in this file (docs/operations.md says why rsync).
      << "wsrep_sst_method = rsync\n";
  // The trailing comma lets Galera fall back to any member (the first one included) when none
  // of these can donate, e.g. while the first member is the only one synced.
  if (const std::string donors = preferred_sst_donors(galera); !donors.empty())
    out << "wsrep_sst_donor = " << donors << "\n";
  if (!galera.tls_dir.empty()) {
    out << "wsrep_provider_options = \"" << galera_tls_provider_options(galera.tls_dir) << "\"\n";
  }
  out
      // Galera replicates row events of InnoDB tables only, and needs interleaved autoinc.
      << "binlog_format = ROW\n"
      << "default_storage_engine = InnoDB\n"
      << "innodb_autoinc_lock_mode = 2\n";
  return out.str();
}

common::DbMemberReport galera_self_report(const std::string& self_name, bool running,
                                          const std::optional<GaleraState>& live,
                                          const std::optional<GaleraPosition>& position,
                                          bool forced, bool holds_data) {
  common::DbMemberReport report;
  report.node = self_name;
  report.answered = true;
  report.running = running;
  report.forced = forced;
  report.holds_data = holds_data;
  report.observed_at = common::utc_now_seconds();
  if (live) {
    report.galera = live->wsrep_on;
    report.primary = live->wsrep_on && live->primary;  // a donor or joiner is in it too
    report.state = live->state_comment;
    report.cluster_size = live->cluster_size;
    report.uuid = live->wsrep_on ? live->cluster_uuid : "";
    if (report.uuid == "00000000-0000-0000-0000-000000000000") report.uuid.clear();
    report.seqno = live->last_committed;
    report.position_known = true;
  } else if (!running && position) {
    report.uuid = position->uuid;
    report.seqno = position->seqno;
    report.position_known = position->uuid.empty() || position->seqno >= 0;
  } else if (!running) {
    report.position_known = true;  // never in a cluster: nothing to lose
  }
  return report;
}

common::DbMemberReport galera_unknown_report(const std::string& self_name) {
  common::DbMemberReport report;
  report.node = self_name;
  report.answered = true;
  report.running = true;
  report.observed_at = common::utc_now_seconds();
  return report;
}

bool datadir_holds_data(const std::string& datadir) {
  // What mariadb-install-db creates, and what is not a schema.
  static const std::set<std::string> kSystem = {"mysql", "performance_schema", "sys",
                                                "lost+found", "#rocksdb"};
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(datadir, error)) {
    if (entry.is_directory(error) && kSystem.count(entry.path().filename().string()) == 0)
      return true;
  }
  return false;
}

GaleraObservation observe_galera(const PassContext& ctx, const GaleraDesired& galera, bool running,
                                 std::optional<GaleraState> live) {
  GaleraObservation observed;
  observed.live = std::move(live);
  if (!galera.tls_dir.empty()) {
    auto want = read_node_tls(ctx.local->pki_dir);
    if (want) observed.tls_want = *want;  // an unreadable set reads as "not yet": no write
    observed.tls_have = read_galera_tls(galera.tls_dir);
  }
  if (!running) {
    observed.position = read_grastate(ctx.local->mysql_datadir);
    observed.needs_recovery =
        observed.position && !observed.position->uuid.empty() && observed.position->seqno < 0;
  }
  const bool forced = ctx.db_member != nullptr && ctx.db_member->forced();
  observed.self =
      galera_self_report(galera.self_name, running, observed.live, observed.position, forced,
                         datadir_holds_data(ctx.local->mysql_datadir));

  // Only the other members are asked: this node's own report is `observed.self`, and asking
  // for it would build this agent's whole node report for nothing on every pass.
  std::vector<std::string> others;
  for (std::size_t i = 0; i < galera.member_names.size(); ++i)
    if (galera.member_names[i] != galera.self_name) others.push_back(galera.member_addresses[i]);
  std::vector<common::Expected<nlohmann::json>> answers;
  if (ctx.cluster != nullptr) answers = ctx.cluster->node_reports(others);
  std::size_t next = 0;  // answers are in member order, this node left out
  for (std::size_t i = 0; i < galera.member_names.size(); ++i) {
    if (galera.member_names[i] == galera.self_name) {
      observed.members.push_back(observed.self);
      continue;
    }
    common::DbMemberReport member;
    member.node = galera.member_names[i];
    const std::size_t at = next++;
    if (at < answers.size() && answers[at]) {
      const nlohmann::json& report = *answers[at];
      member = common::db_member_report_from(
          member.node,
          report.is_object() && report.contains("database") ? report["database"]
                                                            : nlohmann::json(),
          common::utc_now_seconds(), report_max_age(*ctx.local));
    } else {
      member.error = at < answers.size() ? answers[at].status().message() : "not asked";
    }
    observed.members.push_back(std::move(member));
  }
  observed.decision = common::decide_galera_start(galera.self_name, observed.members);
  return observed;
}

}  // namespace pydio::agent
