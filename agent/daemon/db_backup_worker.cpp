#include "agent/daemon/db_backup_worker.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <tuple>

#include "agent/cluster/abandonable.hpp"
#include "agent/host/db_backup_run.hpp"
#include "agent/host/galera_status.hpp"
#include "agent/host/mysql_session.hpp"
#include "agent/host/service_paths.hpp"
#include "agent/reconcile/guard.hpp"
#include "common/mount_table.hpp"
#include "common/utc_time.hpp"

namespace pydio::agent {

namespace {

using common::Expected;
using common::Status;

// Reading the backup folder on the volume (a listing, a manifest): a few ms on a live mount.
constexpr std::chrono::seconds kFolderTimeout{5};

// What the backup needs from the desired state, or why this node takes none.
struct BackupPlace {
  std::string mountpoint;
  std::string dir;
};

// Where the backups are, on any node that mounts the backup volume.
Expected<BackupPlace> backup_folder(const common::DesiredState* desired) {
  if (desired == nullptr) return Status::error("no desired state yet");
  if (!desired->database.backup)
    return Status::error("the desired state has no database.backup");
  const common::VolumeSpec* volume = desired->find_volume(desired->database.backup->volume);
  if (volume == nullptr) return Status::error("the backup volume is not in the desired state");
  return BackupPlace{common::normalize_mount_path(volume->mountpoint),
                     common::db_backup_dir(*desired)};
}

// The same, on a db node: the ones that take backups.
Expected<BackupPlace> backup_place(const common::DesiredState* desired, const std::string& node) {
  const common::NodeSpec* self = desired != nullptr ? desired->find_node(node) : nullptr;
  if (desired != nullptr && (self == nullptr || !self->has_role(common::Role::kDb)))
    return Status::error("node " + node + " has no role db: backups are taken on db nodes");
  return backup_folder(desired);
}

Expected<std::unique_ptr<MysqlSession>> root_session(const common::LocalConfig& local) {
  MysqlEndpoint endpoint;
  endpoint.socket_path = local.mysql_socket;
  endpoint.user = "root";
  return MysqlSession::connect(endpoint);
}

// A Galera member taking a backup is desynced: mariadb-backup's last stage blocks commits on it
// for a moment, and a synced member would then hold the whole cluster back by flow control
// (measured: p99 write latency 4 ms -> 109 ms on another member). Desynced, it falls behind
// and catches up afterwards; the proxies and the lease skip it meanwhile (not Synced).
Status set_desync(const common::LocalConfig& local, bool on) {
  auto session = root_session(local);
  if (!session) return session.status();
  auto state = read_galera_state(**session);
  if (!state || !state->wsrep_on) return Status::ok();
  auto set = (*session)->execute(on ? "SET GLOBAL wsrep_desync = ON" : "SET GLOBAL wsrep_desync = OFF");
  return set ? Status::ok() : set.status();
}

// wsrep_desync left ON by a backup this agent did not finish (it crashed or was killed).
void undo_left_desync(const common::LocalConfig& local) {
  auto session = root_session(local);
  if (!session) return;
  auto rows = (*session)->query("SELECT @@global.wsrep_desync");
  if (!rows || rows->empty() || rows->front().columns.at(0).value_or("0") != "1") return;
  if ((*session)->execute("SET GLOBAL wsrep_desync = OFF"))
    spdlog::warn("wsrep_desync was left ON (by an interrupted backup); set it OFF");
}

// The server's version and Galera seqno, for the manifest ("" / -1 when unknown).
std::pair<std::string, std::int64_t> server_position(const common::LocalConfig& local) {
  auto session = root_session(local);
  if (!session) return {"", -1};
  std::string version;
  if (auto rows = (*session)->query("SELECT VERSION()"); rows && !rows->empty())
    version = rows->front().columns.at(0).value_or("");
  std::int64_t seqno = -1;
  if (auto state = read_galera_state(**session); state && state->wsrep_on)
    seqno = state->last_committed;
  return {version, seqno};
}

bool is_galera_db_node(const common::DesiredState* desired, const std::string& node) {
  const common::NodeSpec* self = desired != nullptr ? desired->find_node(node) : nullptr;
  return self != nullptr && self->has_role(common::Role::kDb) && desired->database.galera();
}

nlohmann::json manifest_summary(const common::BackupManifest& m) {
  return {{"name", m.name},
          {"node", m.node},
          {"finishedAt", common::format_utc(m.finished_at)},
          {"finishedAtSeconds", m.finished_at},
          {"bytes", m.bytes}};
}

}  // namespace

DbBackupWorker::DbBackupWorker(const common::LocalConfig& local, common::ProcessRunner& runner,
                               DesiredGetter desired, MountAnswers mount_answers,
                               bool uses_systemd)
    : local_(local),
      runner_(runner),
      desired_(std::move(desired)),
      mount_answers_(std::move(mount_answers)),
      uses_systemd_(uses_systemd) {
  thread_ = std::thread([this] { run(); });
}

DbBackupWorker::~DbBackupWorker() {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  // A backup in progress is abandoned (its partial file is removed) rather than holding up
  // the agent's exit for as long as the copy takes.
  if (child_pid_ > 0) ::kill(child_pid_, SIGTERM);
  wake_.notify_all();
  if (wake_.wait_for(lock, kStopWait, [this] { return finished_; })) {
    lock.unlock();
    thread_.join();
  } else {
    // Stuck on a hung mount (a stat or write that never returns): the process is exiting,
    // and waiting would only hold the exit up.
    spdlog::warn("the backup worker did not stop within {} s (a hung backup mount?); leaving it",
                 kStopWait.count());
    thread_.detach();
  }
}

Expected<std::string> DbBackupWorker::start() {
  auto desired = desired_();
  auto place = backup_place(desired.get(), local_.node_name);
  if (!place) return place.status();
  std::lock_guard<std::mutex> lock(mutex_);
  if (running_) return Status::error("backup " + running_->first + " is still running here");
  if (requested_) return requested_->first;
  const std::int64_t now = common::utc_now_seconds();
  requested_ = {common::backup_name(now, local_.node_name), now};
  wake_.notify_all();
  return requested_->first;
}

void DbBackupWorker::run() {
  // This thread copies the stream: the lowest CPU priority, like mariadb-backup itself.
  ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), 19);
  std::unique_lock<std::mutex> lock(mutex_);
  loop(lock);
  finished_ = true;
  wake_.notify_all();
}

void DbBackupWorker::loop(std::unique_lock<std::mutex>& lock) {
  while (!stopping_) {
    wake_.wait_for(lock, kCatalogPeriod, [this] { return stopping_ || requested_.has_value(); });
    if (stopping_) return;
    auto request = requested_;
    requested_.reset();
    if (request) running_ = request;
    lock.unlock();
    const bool went = guarded_round("db backup worker", [&] { round(request); });
    lock.lock();
    if (!went && request) {
      // The backup that threw failed: say so where agentctl db backups looks.
      last_ = Attempt{};
      last_->name = request->first;
      last_->error = "internal error (the agent's log says which)";
      last_->finished_at = common::utc_now_seconds();
    }
    running_.reset();
  }
}

void DbBackupWorker::round(const std::optional<std::pair<std::string, std::int64_t>>& request) {
  auto desired = desired_();
  auto place = backup_place(desired.get(), local_.node_name);
  const bool answers = place && mount_answers_(place->mountpoint);
  if (request) {
    take(*desired, request->first, request->second, answers);
  } else if (is_galera_db_node(desired.get(), local_.node_name)) {
    undo_left_desync(local_);
  }
  if (answers) refresh_catalog(*desired);
}

void DbBackupWorker::take(const common::DesiredState& desired, const std::string& name,
                          std::int64_t started, bool mount_answers) {
  auto place = backup_place(&desired, local_.node_name);
  Attempt attempt;
  attempt.name = name;
  if (place && !mount_answers) {
    attempt.error = "the backup volume's mount at " + place->mountpoint +
                    " does not answer its health probe (agentctl status shows why)";
  } else if (place) {
    BackupRequest request;
    request.name = name;
    request.node = local_.node_name;
    request.started_at = started;
    request.mountpoint = place->mountpoint;
    request.dir = place->dir;
    request.spec = *desired.database.backup;
    request.on_child = [this](int pid) {
      std::lock_guard<std::mutex> lock(mutex_);
      child_pid_ = pid;
      return !stopping_;
    };
    std::tie(request.server_version, request.galera_seqno) = server_position(local_);
    // mariadb-backup's scratch files: a private folder on this node, removed afterwards.
    char scratch[] = "/tmp/pydio-agent-backup-XXXXXX";
    if (::mkdtemp(scratch) == nullptr) {
      attempt.error = "mkdtemp for mariadb-backup's scratch folder failed";
    } else {
      request.backup_argv = mariadb_backup_argv(
          uses_systemd_ ? "" : mariadb_defaults_file(local_), local_.mysql_datadir,
          local_.mysql_socket, desired.database.galera(), scratch);
      if (Status desynced = set_desync(local_, true); !desynced)
        spdlog::warn("backup {}: wsrep_desync ON failed ({}); taking it synced", name,
                     desynced.message());
      auto outcome = take_db_backup(request, runner_, &common::utc_now_seconds);
      if (Status resynced = set_desync(local_, false); !resynced)
        spdlog::warn("backup {}: wsrep_desync OFF failed: {}", name, resynced.message());
      std::error_code ignored;
      std::filesystem::remove_all(scratch, ignored);
      if (outcome) {
        attempt.ok = true;
        attempt.hook_problem = outcome->hook_problem;
        attempt.pruned = outcome->pruned;
        spdlog::info("backup {} taken: {} bytes, {}", name, outcome->manifest.bytes,
                     outcome->manifest.sha256);
      } else {
        attempt.error = outcome.status().message();
      }
    }
  } else {
    attempt.error = place.status().message();
  }
  if (!attempt.error.empty()) spdlog::warn("backup {} failed: {}", name, attempt.error);
  if (!attempt.hook_problem.empty()) spdlog::warn("backup {}: {}", name, attempt.hook_problem);
  attempt.finished_at = common::utc_now_seconds();
  std::lock_guard<std::mutex> lock(mutex_);
  last_ = attempt;
}

void DbBackupWorker::refresh_catalog(const common::DesiredState& desired) {
  auto listing = [&]() -> Expected<BackupListing> {
    auto place = backup_place(&desired, local_.node_name);
    if (!place) return place.status();
    auto dir = open_backup_dir(place->mountpoint, place->dir, CreateBackupDir::kNo);
    if (!dir) return dir.status();
    return list_backups(dir->get());
  }();
  std::lock_guard<std::mutex> lock(mutex_);
  listed_at_ = common::utc_now_seconds();
  if (listing) {
    catalog_ = *listing;
    catalog_error_.clear();
  } else {
    catalog_error_ = listing.status().message();
  }
}

bool DbBackupWorker::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_.has_value() || requested_.has_value();
}

Expected<BackupListing> DbBackupWorker::list_now() const {
  auto desired = desired_();
  auto place = backup_folder(desired.get());
  if (!place) return place.status();
  if (desired->find_node(local_.node_name) == nullptr)
    return Status::error("this node is not in the desired state");
  // A hung mount would hold one of the agent's few blocking threads for good.
  if (!mount_answers_(place->mountpoint))
    return Status::error("the backup volume's mount at " + place->mountpoint +
                         " does not answer its health probe (agentctl status shows why)");
  // And one that hangs after its probe answered is abandoned (its thread stays blocked alone).
  return run_abandonable<BackupListing>(
      [mountpoint = place->mountpoint, dir = place->dir]() -> Expected<BackupListing> {
        auto opened = open_backup_dir(mountpoint, dir, CreateBackupDir::kNo);
        if (!opened) return opened.status();
        return list_backups(opened->get());
      },
      kFolderTimeout, "list the backups in " + place->dir);
}

nlohmann::json DbBackupWorker::report() const {
  auto desired = desired_();
  auto place = backup_place(desired.get(), local_.node_name);
  const bool mounted = place && mount_answers_(place->mountpoint);
  std::lock_guard<std::mutex> lock(mutex_);
  nlohmann::json out = {
      {"mounted", mounted}, {"running", nullptr}, {"last", nullptr}, {"catalog", nullptr}};
  // Asked for and not yet begun counts as running: the leader must not ask twice.
  if (const auto& busy = running_ ? running_ : requested_; busy)
    out["running"] = {{"name", busy->first}, {"startedAt", common::format_utc(busy->second)}};
  if (last_) {
    out["last"] = {{"name", last_->name},
                   {"ok", last_->ok},
                   {"finishedAt", common::format_utc(last_->finished_at)},
                   {"error", last_->error},
                   {"hookProblem", last_->hook_problem},
                   {"pruned", last_->pruned}};
  }
  if (catalog_) {
    const auto newest = common::newest_backup(catalog_->good);
    out["catalog"] = {{"newest", newest ? manifest_summary(*newest) : nlohmann::json(nullptr)},
                      {"count", catalog_->good.size()},
                      {"problems", catalog_->problems},
                      {"listedAt", common::format_utc(listed_at_)},
                      {"error", catalog_error_}};
  } else if (!catalog_error_.empty()) {
    out["catalog"] = {{"newest", nullptr}, {"count", 0}, {"problems", nlohmann::json::array()},
                      {"listedAt", common::format_utc(listed_at_)}, {"error", catalog_error_}};
  }
  return out;
}

}  // namespace pydio::agent
