#include "agent/daemon/cluster_report.hpp"

#include <fstream>
#include <future>
#include <thread>

#include "agent/daemon/peer_replies.hpp"
#include "agent/daemon/release_rollout_step.hpp"
#include "agent/resources/db_backup_schedule.hpp"
#include "common/galera_bootstrap.hpp"
#include "common/gluster_cli.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

constexpr auto kReportTimeout = 1500ms;
constexpr auto kGlusterStatusTimeout = 3s;

bool reports_in_sync(const json& report, const std::string& resource_name) {
  auto resources = report.find("resources");
  if (resources == report.end() || !resources->is_array()) return false;
  for (const auto& resource : *resources) {
    if (text_field(resource, "name") == resource_name)
      return text_field(resource, "state") == "in-sync";
  }
  return false;
}

json gluster_section(common::ProcessRunner& runner, const common::DesiredState& desired) {
  common::GlusterCli cli(runner, kGlusterStatusTimeout);
  json out = {{"peers", json::array()}, {"volumes", json::array()}, {"error", nullptr}};
  auto pool = cli.pool_list();
  if (!pool) {
    out["error"] = pool.status().message();
    return out;
  }
  for (const auto& peer : *pool) {
    out["peers"].push_back(
        {{"uuid", peer.uuid}, {"names", peer.names}, {"connected", peer.connected}});
  }
  for (const auto& spec : desired.volumes) {
    json volume = {{"name", spec.name}, {"exists", false}};
    auto info = cli.volume_info(spec.name);
    if (!info) {
      volume["error"] = info.status().message();
    } else if (info->has_value()) {
      const common::GlusterVolume& v = **info;
      volume["exists"] = true;
      volume["state"] = common::gluster_volume_state_name(v.state);
      volume["type"] = v.type;
      volume["bricks"] = v.brick_endpoints();
      if (v.started()) {
        json online = json::array();
        if (auto status = cli.volume_status(spec.name)) {
          for (const auto& brick : status->bricks)
            if (brick.online) online.push_back(brick.endpoint());
          volume["bricksOnline"] = online;
        }
        if (spec.replica > 1) {
          if (auto heal = cli.heal_summary(spec.name)) {
            int pending = 0, split = 0;
            for (const auto& brick : *heal) {
              pending += brick.pending;
              split += brick.split_brain;
            }
            volume["healPending"] = pending;
            volume["splitBrain"] = split;
          } else {
            volume["healError"] = heal.status().message();
          }
        }
      }
    }
    out["volumes"].push_back(volume);
  }
  return out;
}

// The pool's view of one node: by glusterd UUID when its agent reported one, else by address.
std::string peer_state(const json& gluster, const std::string& uuid, const std::string& address) {
  if (!gluster["error"].is_null()) return "unknown";
  for (const auto& peer : gluster["peers"]) {
    bool same = !uuid.empty() && peer["uuid"] == uuid;
    if (uuid.empty())
      for (const auto& name : peer["names"]) same = same || name == address;
    if (same) return peer["connected"].get<bool>() ? "connected" : "disconnected";
  }
  return "not in pool";
}

json node_row(const common::NodeSpec& node) {
  json roles = json::array();
  for (auto role : node.roles) roles.push_back(common::role_name(role));
  return {{"name", node.name}, {"address", node.address}, {"roles", roles}};
}

// Adds what a node's report says to its row, and its waiting resources to `waiting`.
// "Synced, primary, size 3", "stopped, seqno 72", "non-Primary": a db node's DATABASE cell.
std::string database_cell(const json& database) {
  if (database.empty()) return "not observed yet";
  const common::DbMemberReport member = common::db_member_report_from("", database);
  if (!member.answered) return "malformed report";
  if (!member.running) {
    if (member.uuid.empty()) return "stopped, never in a cluster";
    return "stopped, seqno " +
           (member.position_known ? std::to_string(member.seqno) : std::string("unknown"));
  }
  if (!member.galera) return "running, without Galera";
  std::string cell = member.state.empty() ? "running" : member.state;
  cell += member.primary ? ", primary" : ", NOT primary";
  cell += ", size " + std::to_string(member.cluster_size);
  if (member.forced) cell += ", forced bootstrap";
  return cell;
}

void read_report(const json& report, const std::string& node_name, json& row, json& out) {
  row["reachable"] = true;
  // A field of the wrong type counts as missing (the report of a peer is not trusted).
  const json health = object_field(report, "health");
  row["healthy"] = bool_field(health, "healthy");
  row["reasons"] = health.contains("reasons") && health["reasons"].is_array() ? health["reasons"]
                                                                              : json::array();
  row["draining"] = bool_field(report, "draining");  // the operator's drain (agentctl drain)
  row["generation"] = int_field(report, "generation");
  // The leader reports how far a CA rotation got (ca_rotation.hpp).
  if (report.contains("ca") && report["ca"].is_object() && report["ca"].contains("progress") &&
      report["ca"]["progress"].is_string())
    out["caRotation"] = report["ca"]["progress"];
  // Compute nodes report their Pydio release (pydio_release_resource.hpp, release_report.hpp).
  if (report.contains("release") && report["release"].is_object()) {
    const json& release = report["release"];
    std::string shown =
        text_field(release, "mode") == "operator" ? "operator" : text_field(release, "version");
    if (shown.empty()) shown = "none";
    if (release.contains("failed") && release["failed"].is_object()) shown += " (a release failed)";
    row["release"] = shown;
  }
  // db nodes report their Galera member state (common/galera_bootstrap.hpp).
  if (report.contains("database") && report["database"].is_object())
    row["database"] = database_cell(report["database"]);
  // The leader says what a rollout of a release waits for (release_rollout.hpp).
  if (const std::string progress = text_field(object_field(report, "rollout"), "progress");
      !progress.empty())
    out["waiting"].push_back(progress);
  const json leader = object_field(report, "leader");
  if (bool_field(leader, "isLeader"))
    out["leader"] = {{"holder", node_name}, {"term", int_field(leader, "term")}};
  if (!report.contains("resources") || !report["resources"].is_array()) return;
  const json& resources = report["resources"];
  for (const auto& resource : resources) {
    const std::string state = text_field(resource, "state");
    std::string detail = text_field(resource, "waitingFor");
    if (state == "error") detail = text_field(resource, "lastError", detail);
    // "leader lease" lines are every non-leader's normal state: not worth a line.
    const bool lease_wait = detail.rfind("leader lease", 0) == 0;
    if (detail.empty() || lease_wait) continue;
    const std::string line = node_name + ": " + text_field(resource, "name") + ": " + detail;
    if (state == "waiting" || state == "error") out["waiting"].push_back(line);
    if (state == "in-sync") out["notes"].push_back(line);  // e.g. which PHP, which Pydio
  }
}
}  // namespace

std::string read_glusterd_uuid(const std::string& glusterd_dir) {
  std::ifstream in(glusterd_dir + "/glusterd.info");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("UUID=", 0) == 0) return line.substr(5);
  return "";
}

ClusterReport::ClusterReport(const NodeState& state, const LeaderLink& leader,
                             const common::LocalConfig& local, common::ProcessRunner& runner,
                             std::function<json()> local_report)
    : state_(state),
      leader_(leader),
      local_(local),
      runner_(runner),
      local_report_(std::move(local_report)) {}

std::vector<common::Expected<json>> ClusterReport::reports(
    const std::vector<std::string>& addresses) const {
  constexpr auto kRetryUnreachable = 2s;  // a background question at most this often
  std::vector<std::string> ask;
  std::vector<common::Expected<json>> out(addresses.size(), common::Status::error("not asked"));
  std::vector<std::size_t> asked_index;
  {
    std::lock_guard<std::mutex> lock(*mutex_);
    const auto now = std::chrono::steady_clock::now();
    for (std::size_t i = 0; i < addresses.size(); ++i) {
      auto known = unreachable_->find(addresses[i]);
      if (known == unreachable_->end()) {
        ask.push_back(addresses[i]);
        asked_index.push_back(i);
        continue;
      }
      out[i] = common::Status::error(known->second.error);
      if (now - known->second.since < kRetryUnreachable) continue;
      known->second.since = now;
      // Find out in the background whether it is back; the answer only updates the map.
      std::thread([client = leader_.peer_client(kReportTimeout), address = addresses[i],
                   mutex = mutex_, unreachable = unreachable_] {
        auto reply = client.get(address, "/v1/peer/node");
        std::lock_guard<std::mutex> guard(*mutex);
        if (reply && reply->status == 200) unreachable->erase(address);
      }).detach();
    }
  }
  const auto answers = leader_.peer_client(kReportTimeout).get_each(ask, "/v1/peer/node");
  std::lock_guard<std::mutex> lock(*mutex_);
  for (std::size_t k = 0; k < ask.size(); ++k) {
    const auto& reply = answers[k];
    std::size_t i = asked_index[k];
    if (!reply) {
      (*unreachable_)[ask[k]] = {std::chrono::steady_clock::now(), reply.status().message()};
      out[i] = reply.status();
    } else if (reply->status != 200) {
      out[i] = common::Status::error(
          text_field(reply->body, "error", "HTTP " + std::to_string(reply->status)));
    } else {
      out[i] = reply->body;
    }
  }
  return out;
}

std::set<std::string> ClusterReport::hosts_reporting_in_sync(
    const std::vector<std::string>& addresses, const std::string& resource_name) const {
  std::set<std::string> ready;
  std::vector<std::string> others;
  for (const auto& address : addresses) {
    if (address != local_.address) {
      others.push_back(address);
      continue;
    }
    for (const auto& status : state_.resource_statuses())
      if (status.name == resource_name && status.state == ResourceState::kInSync)
        ready.insert(address);
  }
  const auto answers = reports(others);
  for (std::size_t i = 0; i < others.size(); ++i)
    if (answers[i] && reports_in_sync(*answers[i], resource_name)) ready.insert(others[i]);
  return ready;
}

std::vector<common::Expected<json>> ClusterReport::node_reports(
    const std::vector<std::string>& addresses) const {
  std::vector<std::string> others;
  for (const auto& address : addresses)
    if (address != local_.address) others.push_back(address);
  auto answers = reports(others);
  std::vector<common::Expected<json>> out;
  std::size_t next = 0;
  for (const auto& address : addresses) {
    if (address == local_.address) {
      out.push_back(local_report_());
    } else {
      out.push_back(std::move(answers[next++]));
    }
  }
  return out;
}

common::Expected<std::string> ClusterReport::start_db_backup(const std::string& address) const {
  auto reply = leader_.peer_client(kReportTimeout).post(address, "/v1/peer/db-backup", json::object(),
                                                        false);
  if (!reply) return reply.status();
  return started_backup(address, *reply);
}

json ClusterReport::report() const {
  auto desired = state_.desired();
  if (!desired) return nullptr;
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  const bool storage = self != nullptr && self->has_role(common::Role::kStorage);
  std::future<json> gluster;
  if (storage) {
    gluster = std::async(std::launch::async,
                         [this, desired] { return gluster_section(runner_, *desired); });
  }
  std::vector<std::string> others;
  for (const auto& node : desired->nodes)
    if (node.name != local_.node_name) others.push_back(node.address);
  const auto answers = reports(others);
  const json local = local_report_();

  json out = {{"name", desired->cluster_name},
              {"generation", desired->generation},
              {"leader", {{"holder", ""}, {"term", 0}}},
              {"nodes", json::array()},
              {"volumes", json::array()},
              {"waiting", json::array()},
              {"notes", json::array()},
              {"warnings", json::array()}};
  json gluster_state = storage ? gluster.get() : json{{"error", "this node has no glusterd"}};
  std::size_t next_answer = 0;  // answers are in node order, this node left out
  std::vector<BackupMemberView> backup_views;  // the db nodes', for the backup lines
  for (const common::NodeSpec& node : desired->nodes) {
    json row = node_row(node);
    json report;
    if (node.name == local_.node_name) {
      report = local;
    } else if (const auto& answer = answers[next_answer++]; answer) {
      report = *answer;
    } else {
      row["reachable"] = false;
      row["error"] = answer.status().message();
    }
    if (!report.is_null()) {
      try {
        read_report(report, node.name, row, out);
      } catch (const nlohmann::json::exception& e) {
        row["reachable"] = true;
        row["error"] = std::string("its report is malformed: ") + e.what();
      }
    }
    if (node.has_role(common::Role::kStorage)) {
      row["peer"] = node.name == local_.node_name
                        ? "this node"
                        : peer_state(gluster_state, text_field(report, "glusterdUuid"), node.address);
    }
    if (node.has_role(common::Role::kDb))
      backup_views.push_back(backup_member_view(node.name, node.address,
                                                report.is_null() ? nullptr : &report,
                                                common::utc_now_seconds()));
    out["nodes"].push_back(row);
  }
  if (desired->database.backup) {
    const BackupStatusLines lines = backup_status_lines(*desired->database.backup, backup_views,
                                                        common::utc_now_seconds());
    if (!lines.warning.empty()) out["warnings"].push_back(lines.warning);
    if (!lines.note.empty()) out["notes"].push_back(lines.note);
    out["backup"] = lines.summary;
  }
  // The rollout of a release as the document in force has it (every node shows the same).
  if (const std::string line = rollout_status_line(*desired, common::utc_now_seconds());
      !line.empty())
    out["notes"].push_back(line);
  if (storage) {
    out["volumes"] = gluster_state.value("volumes", json::array());
    if (!gluster_state["error"].is_null()) out["warnings"].push_back(gluster_state["error"]);
  } else {
    out["warnings"].push_back(
        "volume and peer state are shown by agentctl status on a storage node");
  }
  if (const auto db_nodes = desired->nodes_with_role(common::Role::kDb); db_nodes.size() == 1) {
    out["warnings"].push_back("one db node (" + db_nodes.front()->name +
                              "): the database is a single point of failure; three db nodes "
                              "replicate it (docs/operations.md, \"The database tier\")");
  }
  for (const auto& volume : desired->volumes) {
    if (volume.replica == 2 && volume.arbiter == 0) {
      out["warnings"].push_back("volume " + volume.name +
                                " is replica 2: prone to split-brain; replica 3 or replica 3 "
                                "arbiter 1 avoids it");
    }
  }
  return out;
}

}  // namespace pydio::agent
