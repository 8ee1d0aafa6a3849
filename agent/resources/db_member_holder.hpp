#pragma once
// This db node's part of the Galera bootstrap decision (common/galera_bootstrap.hpp): the
// db-server resource publishes what it observed, the node report (GET /v1/peer/node, the
// "database" object) serves it to the other db nodes' agents and to `agentctl status`, and
// `agentctl db bootstrap --force` marks the node forced. Thread-safe: guarded by a mutex.

#include <mutex>
#include <optional>

#include "common/galera_bootstrap.hpp"

namespace pydio::agent {

class DbMemberHolder {
 public:
  void set(common::DbMemberReport report) {
    std::lock_guard<std::mutex> lock(mutex_);
    report_ = std::move(report);
  }
  // The last report, with the forced mark as it is now; nullopt until observed.
  std::optional<common::DbMemberReport> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!report_) return std::nullopt;
    common::DbMemberReport report = *report_;
    report.forced = forced_;
    return report;
  }
  // Set by an operator's `agentctl db bootstrap --force`; cleared once the node is primary
  // (the db-server resource does it), or when the agent restarts.
  void set_forced(bool forced) {
    std::lock_guard<std::mutex> lock(mutex_);
    forced_ = forced;
  }
  bool forced() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return forced_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<common::DbMemberReport> report_;  // guarded by mutex_
  bool forced_ = false;                           // guarded by mutex_
};

}  // namespace pydio::agent
