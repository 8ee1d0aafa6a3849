#pragma once
// This db node's side of the scheduled backups (docs/operations.md, "Backups"): one thread
// that takes a backup when the leader asks (POST /v1/peer/db-backup) and otherwise looks at
// the backup folder every kCatalogPeriod, so the node report can say how old the newest good
// backup is. Both may block on the backup volume's mount; they do so here, never on the
// event loop or the reconciler. One backup at a time.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "agent/host/db_backup_store.hpp"
#include "common/desired_state.hpp"
#include "common/local_config.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

class DbBackupWorker {
 public:
  static constexpr std::chrono::seconds kCatalogPeriod{30};
  static constexpr std::chrono::seconds kStopWait{10};
  using DesiredGetter = std::function<std::shared_ptr<const common::DesiredState>()>;
  // True when the health monitor's last probe of the mount at the mountpoint answered: the
  // folder is touched only then, so a hung mount costs a failed attempt, not a stuck thread.
  using MountAnswers = std::function<bool(const std::string& mountpoint)>;

  // `uses_systemd`: mariadbd runs under systemd (its own config), else from the agent's
  // defaults file, which mariadb-backup then reads too.
  DbBackupWorker(const common::LocalConfig& local, common::ProcessRunner& runner,
                 DesiredGetter desired, MountAnswers mount_answers, bool uses_systemd);
  ~DbBackupWorker();
  DbBackupWorker(const DbBackupWorker&) = delete;
  DbBackupWorker& operator=(const DbBackupWorker&) = delete;

  // Starts a backup now. Error (nothing started) when one runs, or this node is not a db node
  // of a desired state with database.backup. The reply names the backup.
  common::Expected<std::string> start();

  // The node report's "backup" object: {"running": {name, startedAt} | null, "last": the last
  // attempt here {name, ok, finishedAt, error, hookProblem, pruned} | null, "catalog":
  // {"newest": {name, finishedAt, bytes, node} | null, "count", "problems", "listedAt"} | null}.
  nlohmann::json report() const;

  // A backup is asked for or being taken here (the member is desynced for it).
  bool running() const;

  // The folder as of now (blocking; for `agentctl db backups`).
  common::Expected<BackupListing> list_now() const;

 private:
  struct Attempt {
    std::string name;
    bool ok = false;
    std::int64_t finished_at = 0;
    std::string error;
    std::string hook_problem;
    std::vector<std::string> pruned;
  };

  void run();
  void loop(std::unique_lock<std::mutex>& lock);
  // One wake-up's work, off the lock: the backup asked for (if any), else undo a desync a
  // killed run left; then the catalog. Run through guarded_round.
  void round(const std::optional<std::pair<std::string, std::int64_t>>& request);
  void take(const common::DesiredState& desired, const std::string& name, std::int64_t started,
            bool mount_answers);
  void refresh_catalog(const common::DesiredState& desired);

  const common::LocalConfig local_;
  common::ProcessRunner& runner_;
  DesiredGetter desired_;
  MountAnswers mount_answers_;
  bool uses_systemd_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::optional<std::pair<std::string, std::int64_t>> requested_;  // name, startedAt
  std::optional<std::pair<std::string, std::int64_t>> running_;
  std::optional<Attempt> last_;
  std::optional<BackupListing> catalog_;
  std::int64_t listed_at_ = 0;
  std::string catalog_error_;
  int child_pid_ = 0;      // mariadb-backup while it runs: ended when the agent stops
  bool finished_ = false;  // run() returned
  std::thread thread_;
};

}  // namespace pydio::agent
