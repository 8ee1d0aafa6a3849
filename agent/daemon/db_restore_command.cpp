#include "agent/daemon/db_restore_command.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "agent/cluster/abandonable.hpp"
#include "agent/daemon/peer_replies.hpp"
#include "agent/host/backup_restore_steps.hpp"
#include "agent/host/datadir_set_aside.hpp"
#include "agent/host/db_backup_store.hpp"
#include "agent/host/mariadb_control.hpp"
#include "common/file_ops.hpp"
#include "common/text.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {
namespace {

using common::Status;
using nlohmann::json;

// A member's hold answers once its server stopped (DbHoldService::kStopBound), plus the call.
constexpr std::chrono::seconds kHoldCallTimeout{240};
// Setting a datadir aside on a mount point copies it (datadir_set_aside.hpp).
constexpr std::chrono::hours kSetAsideCallTimeout{4};
constexpr std::chrono::seconds kReleaseCallTimeout{30};

// What a peer's answer says went wrong; "" for a 200.
std::string peer_problem(const common::Expected<api::PeerReply>& answer) {
  if (!answer) return answer.status().message();
  if (answer->status == 200) return "";
  const json& body = answer->body;
  return "HTTP " + std::to_string(answer->status) + ": " +
         (body.is_object() && body.contains("error") && body["error"].is_string()
              ? body["error"].get<std::string>()
              : body.dump());
}

// The error of this node's own answer.
std::string own_problem(const api::PeerReply& reply) {
  return peer_problem(common::Expected<api::PeerReply>(reply));
}

}  // namespace

common::Expected<DbRestoreCommand::Target> DbRestoreCommand::find(const std::string& name) const {
  auto desired = state_.desired();
  if (!desired) return Status::error("no desired state yet");
  const common::NodeSpec* self = desired->find_node(local_.node_name);
  if (self == nullptr || !self->has_role(common::Role::kDb))
    return Status::error("run agentctl db restore on a db node; " + local_.node_name +
                         " is not one");
  const std::string dir = common::db_backup_dir(*desired);
  if (dir.empty())
    return Status::error(
        "the desired state has no database.backup (or its volume is missing): "
        "there is no backup catalog");
  // A live glusterfs mount, and folders only root can change (db_backup_store.hpp): what is
  // restored is what an agent wrote.
  const common::VolumeSpec* volume = desired->find_volume(desired->database.backup->volume);
  Target target;
  target.name = name;
  target.stream = dir + "/" + name + common::kBackupStreamSuffix;
  const std::string manifest_path = dir + "/" + name + common::kBackupManifestSuffix;
  // On the volume's FUSE mount: a hang is abandoned, not a blocking-pool thread lost for good.
  auto text = run_abandonable<std::optional<std::string>>(
      [mountpoint = volume->mountpoint, dir,
       manifest_path]() -> common::Expected<std::optional<std::string>> {
        auto opened = open_backup_dir(mountpoint, dir, CreateBackupDir::kNo);
        if (!opened) return opened.status().with_context("backup folder " + dir);
        return common::read_optional_file(manifest_path);
      },
      std::chrono::seconds(5), "read " + manifest_path);
  if (!text) return text.status();
  if (!text->has_value())
    return Status::error("no backup " + name + " in " + dir + " (no " + manifest_path +
                         "; agentctl db backups lists them)");
  auto manifest = common::parse_manifest(**text, name);
  if (!manifest) return manifest.status().with_context(manifest_path);
  target.manifest = *manifest;
  target.galera = desired->database.galera();
  for (const common::NodeSpec* node : desired->nodes_with_role(common::Role::kDb)) {
    if (node->name == local_.node_name) continue;
    target.other_names.push_back(node->name);
    target.other_addresses.push_back(node->address);
  }
  target.steps = describe(target);
  return target;
}

std::vector<std::string> DbRestoreCommand::describe(const Target& t) const {
  const std::string self = local_.node_name + " (this node)";
  std::vector<std::string> all = {self};
  all.insert(all.end(), t.other_names.begin(), t.other_names.end());
  const std::string aside = set_aside_path(local_.mysql_datadir, "<UTC time>");
  std::vector<std::string> steps = {
      "check " + t.stream + " against its manifest (" + std::to_string(t.manifest.bytes) +
          " bytes, " + t.manifest.sha256 + "; taken on " + t.manifest.node + ", finished " +
          common::format_utc(t.manifest.finished_at) + ")",
      "hold the MariaDB server of " + common::join(all, ", ") +
          ": each stops cleanly and is not started again until released. Pydio's database is "
          "unavailable from here until the restore is done",
      "on " + self + ": set the datadir " + local_.mysql_datadir + " aside to " + aside +
          " (nothing is deleted)",
      "unpack the backup into " + local_.mysql_datadir +
          " (mbstream -x), prepare it (mariadb-backup --prepare), give it to mysql"};
  if (t.galera) {
    steps.push_back(
        "write its grastate.dat from the backup's Galera position "
        "(safe_to_bootstrap: 1) and start " +
        local_.node_name + " as a new Galera cluster with the restored data");
    if (!t.other_names.empty()) {
      steps.push_back("on " + common::join(t.other_names, ", ") +
                      ": set each datadir aside to <datadir>.before-restore-<UTC time> (nothing "
                      "is deleted) and release the server: each joins " +
                      local_.node_name + " by a full state transfer (SST)");
    }
  } else {
    steps.push_back("start MariaDB on " + local_.node_name + " with the restored data");
  }
  steps.push_back("release " + local_.node_name + ": its agent manages the server again");
  return steps;
}

api::AdminAnswer DbRestoreCommand::restore(const std::string& name, bool confirmed) {
  if (auto problem = common::backup_name_problem(name)) return {400, {{"error", *problem}}};
  std::unique_lock<std::mutex> lock(running_, std::try_to_lock);
  if (!lock.owns_lock()) return {409, {{"error", "a restore is under way on this node"}}};
  auto target = find(name);
  if (!target) return {409, {{"error", target.status().message() + "; nothing was changed"}}};
  if (!confirmed) return {200, {{"name", name}, {"steps", target->steps}}};
  spdlog::warn("db: restoring backup {} (agentctl db restore)", name);
  return run(*target);
}

api::AdminAnswer DbRestoreCommand::run(const Target& t) {
  json done = json::array();
  json set_aside = json::object();
  std::vector<std::string> problems;
  const std::string& datadir = local_.mysql_datadir;

  Status verified = verify_backup_stream(t.stream, t.manifest);
  if (!verified) return {409, {{"error", verified.message() + "; nothing was changed"}}};
  done.push_back("checked " + t.stream + " against its manifest");

  const std::string reason = "restore of backup " + t.name + " (agentctl db restore on " +
                             local_.node_name + ", " +
                             common::format_utc(common::utc_now_seconds()) + ")";
  auto held = link_.peer_client(kHoldCallTimeout)
                  .post_each(t.other_addresses, "/v1/peer/db-hold", {{"reason", reason}});
  for (std::size_t i = 0; i < held.size(); ++i) {
    if (std::string why = peer_problem(held[i]); !why.empty())
      problems.push_back(t.other_names[i] + ": " + why);
  }
  if (problems.empty()) {
    const api::PeerReply self = hold_.hold(reason);
    if (self.status != 200) problems.push_back(local_.node_name + ": " + own_problem(self));
  }
  if (!problems.empty()) {
    api::AdminAnswer released = release_everyone();
    return {409,
            {{"error", "could not hold every db member (" + common::join(problems, ", ") +
                           "); released them again, nothing was changed"},
             {"released", released.body}}};
  }
  done.push_back("held every db member's server");

  // From here, a failure leaves every hold in place: the operator decides what comes next.
  auto failed = [&](const std::string& step, const std::string& error, const std::string& left) {
    spdlog::error("db: restore of {} stopped at \"{}\": {}", t.name, step, error);
    return api::AdminAnswer{
        500,
        {{"error", "restore of " + t.name + " stopped at \"" + step + "\": " + error + ". " + left},
         {"done", done},
         {"setAside", set_aside},
         {"left", left}}};
  };
  const std::string release_hint =
      " Every db member stays held (Pydio's database is down); `agentctl db release` lets them "
      "start again, docs/operations.md \"Restoring a backup\" says what to do after a failed "
      "restore.";
  const api::PeerReply aside = hold_.set_aside();
  if (aside.status != 200) {
    return failed("set the datadir of " + local_.node_name + " aside", own_problem(aside),
                  "The data of every member is where it was." + release_hint);
  }
  const std::string old_data = text_field(aside.body, "setAside");
  set_aside[local_.node_name] = old_data;
  done.push_back(old_data.empty() ? datadir + " was empty: nothing to set aside"
                                  : "set " + datadir + " aside to " + old_data);
  const std::string partial = "This node's data before the restore is in " +
                              (old_data.empty() ? "(none)" : old_data) + "; " + datadir +
                              " holds what the restore made so far; the other members still have "
                              "their data. Run `agentctl db restore " +
                              t.name +
                              "` again once the cause is fixed (it "
                              "sets " +
                              datadir + " aside again), or put " +
                              (old_data.empty() ? "(none)" : old_data) + " back in place of " +
                              datadir + " and run `agentctl db release`.";
  std::error_code error;
  std::filesystem::create_directories(datadir, error);
  if (error) return failed("create " + datadir, error.message(), partial + release_hint);
  if (Status s = extract_backup(t.stream, datadir); !s)
    return failed("unpack the backup (mbstream -x)", s.message(), partial + release_hint);
  if (Status s = prepare_backup(runner_, datadir); !s)
    return failed("prepare the backup (mariadb-backup --prepare)", s.message(),
                  partial + release_hint);
  if (Status s = give_datadir_to_mysql(runner_, datadir); !s)
    return failed("give " + datadir + " to mysql", s.message(), partial + release_hint);
  done.push_back("unpacked and prepared the backup into " + datadir);
  if (t.galera) {
    auto position = write_restored_grastate(datadir);
    if (!position)
      return failed("write grastate.dat", position.status().message(), partial + release_hint);
    done.push_back("wrote grastate.dat at " + position->uuid + ":" +
                   std::to_string(position->seqno) + ", safe_to_bootstrap: 1");
  }
  if (Status s = hold_.keep_running(reason); !s)
    return failed("keep the hold while starting", s.message(), partial + release_hint);
  Status started = start_mariadb(services_, runner_, local_,
                                 t.galera ? MariadbStart::kNewCluster : MariadbStart::kNormal);
  if (!started) {
    return failed("start MariaDB with the restored data",
                  started.message() + " (its error log is " + datadir + "/pydio-mariadb.err)",
                  partial + release_hint);
  }
  done.push_back(std::string("started ") + local_.node_name + " with the restored data" +
                 (t.galera ? " as a new Galera cluster" : ""));

  if (!t.other_names.empty()) {
    auto asides = link_.peer_client(kSetAsideCallTimeout)
                      .post_each(t.other_addresses, "/v1/peer/db-set-aside", json::object());
    std::vector<std::string> ready;
    for (std::size_t i = 0; i < asides.size(); ++i) {
      if (std::string why = peer_problem(asides[i]); !why.empty()) {
        problems.push_back(t.other_names[i] +
                           " could not set its datadir aside and stays "
                           "held (run `agentctl db release` once it is dealt with): " +
                           why);
        continue;
      }
      // Where its data went is what the operator needs after a restore: without it (a field
      // of the wrong type counts as missing) the member is not released.
      auto aside = set_aside_from_reply(t.other_names[i], (*asides[i]).body);
      if (!aside) {
        problems.push_back(aside.status().message() +
                           "; it stays held (run `agentctl db release` once its data is found)");
        continue;
      }
      set_aside[t.other_names[i]] = *aside;
      ready.push_back(t.other_addresses[i]);
    }
    auto released = link_.peer_client(kReleaseCallTimeout)
                        .post_each(ready, "/v1/peer/db-release", json::object());
    for (std::size_t i = 0; i < released.size(); ++i) {
      if (std::string why = peer_problem(released[i]); !why.empty())
        problems.push_back(ready[i] + " stays held (`agentctl db release` ends it): " + why);
    }
    done.push_back("set aside and released the other members: they join by state transfer");
  }
  const api::PeerReply self = hold_.release();
  if (self.status != 200)
    problems.push_back(local_.node_name + ": " + own_problem(self));
  else
    done.push_back("released " + local_.node_name);
  spdlog::warn("db: restore of {} done", t.name);
  return {200,
          {{"name", t.name},
           {"steps", t.steps},
           {"done", done},
           {"setAside", set_aside},
           {"problems", problems}}};
}

api::AdminAnswer DbRestoreCommand::release_all() {
  std::unique_lock<std::mutex> lock(running_, std::try_to_lock);
  if (!lock.owns_lock())
    return {409, {{"error", "a restore is under way on this node: it releases the members"}}};
  return release_everyone();
}

api::AdminAnswer DbRestoreCommand::release_everyone() {
  auto desired = state_.desired();
  std::vector<std::string> names, addresses, released, problems;
  if (desired) {
    for (const common::NodeSpec* node : desired->nodes_with_role(common::Role::kDb)) {
      if (node->name == local_.node_name) continue;
      names.push_back(node->name);
      addresses.push_back(node->address);
    }
  }
  auto answers = link_.peer_client(kReleaseCallTimeout)
                     .post_each(addresses, "/v1/peer/db-release", json::object());
  for (std::size_t i = 0; i < answers.size(); ++i) {
    if (std::string why = peer_problem(answers[i]); !why.empty())
      problems.push_back(names[i] + ": " + why);
    else
      released.push_back(names[i]);
  }
  const api::PeerReply self = hold_.release();
  if (self.status == 200)
    released.push_back(local_.node_name);
  else
    problems.push_back(local_.node_name + ": " + own_problem(self));
  json body = {{"released", released}, {"problems", problems}};
  if (problems.empty()) return {200, body};
  body["error"] = "could not release every db member: " + common::join(problems, ", ");
  return {502, body};
}

}  // namespace pydio::agent
