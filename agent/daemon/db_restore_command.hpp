#pragma once
// `agentctl db restore NAME` (docs/operations.md, "Restoring a backup"), run on a db node: puts
// the backup NAME of the catalog (common/db_backup_catalog.hpp) back as the database of the
// whole tier. Asked first without confirmation, it only lists its steps. Confirmed, it:
//   1. checks NAME, reads its manifest and checks the stream's size and sha256 (refuses on any
//      difference: nothing has changed yet);
//   2. holds every db member (db_hold_service.hpp): all must answer, else the ones held are
//      released and it refuses; Pydio's database is down from here;
//   3. on this node sets the datadir aside (datadir_set_aside.hpp), unpacks and prepares the
//      backup into it (backup_restore_steps.hpp) and starts it: with Galera from a grastate.dat
//      written from the backup's position, as a new cluster;
//   4. with Galera, has every other member set its datadir aside and releases it: each joins
//      by a full state transfer;
//   5. releases this node.
// A failed step stops the restore where it is, leaves every hold in place and says which step
// failed, what is where and how to go on. Nothing is ever deleted. One restore at a time.

#include <mutex>
#include <string>

#include "agent/api/admin_api.hpp"
#include "agent/daemon/db_hold_service.hpp"
#include "agent/daemon/leader_link.hpp"
#include "agent/daemon/node_state.hpp"
#include "agent/host/services.hpp"
#include "common/db_backup_catalog.hpp"

namespace pydio::agent {

class DbRestoreCommand {
 public:
  DbRestoreCommand(const NodeState& state, const common::LocalConfig& local, const LeaderLink& link,
                   DbHoldService& hold, Services& services, common::ProcessRunner& runner)
      : state_(state),
        local_(local),
        link_(link),
        hold_(hold),
        services_(services),
        runner_(runner) {}

  // Blocking (bounded): minutes for a large backup.
  api::AdminAnswer restore(const std::string& name, bool confirmed);
  // Ends the hold on every db member (this node's too); reports the ones it could not reach.
  api::AdminAnswer release_all();

 private:
  struct Target {
    std::string name;
    std::string stream;  // <catalog>/NAME.xbstream
    common::BackupManifest manifest;
    bool galera = false;
    std::vector<std::string> other_names;      // the other db members, document order
    std::vector<std::string> other_addresses;  // same order
    std::vector<std::string> steps;            // what the operator is shown
  };
  // Checks NAME and reads its manifest; an AdminAnswer when refused (nothing changed).
  common::Expected<Target> find(const std::string& name) const;
  std::vector<std::string> describe(const Target& target) const;
  // The steps that change something; `answer` gathers what was done.
  api::AdminAnswer run(const Target& target);
  // release_all's work. REQUIRES: running_ held.
  api::AdminAnswer release_everyone();

  const NodeState& state_;
  const common::LocalConfig& local_;
  const LeaderLink& link_;
  DbHoldService& hold_;
  Services& services_;
  common::ProcessRunner& runner_;
  std::mutex running_;  // held for the whole of a confirmed restore
};

}  // namespace pydio::agent
