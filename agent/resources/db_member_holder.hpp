#pragma once
// This db node's part of the Galera bootstrap decision (common/galera_bootstrap.hpp): the
// db-server resource publishes what it observed, the node report (GET /v1/peer/node, the
// "database" object) serves it to the other db nodes' agents and to `agentctl status`, and
// `agentctl db bootstrap --force` marks the node forced. Thread-safe: guarded by a mutex.

#include <chrono>
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
    report.forced = forced_ && std::chrono::steady_clock::now() - forced_at_ < kForcedFor;
    return report;
  }
  // Set by an operator's `agentctl db bootstrap --force`; cleared once the node is primary
  // (the db-server resource does it), when the agent restarts, or kForcedFor after it was set
  // (a member that could not start must not hold the others back for ever).
  void set_forced(bool forced) {
    std::lock_guard<std::mutex> lock(mutex_);
    forced_ = forced;
    forced_at_ = std::chrono::steady_clock::now();
  }
  bool forced() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return forced_ && std::chrono::steady_clock::now() - forced_at_ < kForcedFor;
  }
  static constexpr std::chrono::minutes kForcedFor{15};

 private:
  mutable std::mutex mutex_;
  std::optional<common::DbMemberReport> report_;  // guarded by mutex_
  bool forced_ = false;                           // guarded by mutex_
  std::chrono::steady_clock::time_point forced_at_{};  // guarded by mutex_
};

}  // namespace pydio::agent
