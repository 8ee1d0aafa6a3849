#pragma once
// What this compute node says about its Pydio releases (the "release" object of its node
// report, GET /v1/peer/node, which the leader's rollout and `agentctl status` read) and the
// pydio-release resource's status line. The resource publishes it after each observation and
// action; the daemon's API threads read it. Thread-safe: guarded by a mutex.

#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace pydio::agent {

struct NodeReleaseReport {
  bool release_mode = false;  // web.release is set (else an operator-installed Pydio)
  std::string current;        // sha256 of the release served; "" none
  std::string version;        // its version
  std::string previous;       // sha256 a failed check switches back to; "" none
  std::string previous_version;
  std::vector<std::string> staged;  // sha256 of every installed release but the current one
  std::vector<std::string> staged_versions;
  bool failed = false;
  std::string failed_release;  // sha256 that failed its check here
  std::string failed_reason;
  bool operator==(const NodeReleaseReport& other) const;
};

// {"mode": "release"|"operator", "current", "version", "previous", "staged": [...],
//  "failed": null | {"release", "reason"}}
nlohmann::json release_report_json(const NodeReleaseReport& report);

// "sha256:ab12cd34…": the hash shortened for status lines.
std::string short_sha(const std::string& sha256);

// "release fixture-2 (sha256:ab12cd34…) current, previous fixture-1, staged —".
std::string release_status_note(const NodeReleaseReport& report);

class ReleaseReportHolder {
 public:
  void set(NodeReleaseReport report) {
    std::lock_guard<std::mutex> lock(mutex_);
    report_ = std::move(report);
  }
  std::optional<NodeReleaseReport> get() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return report_;
  }

 private:
  mutable std::mutex mutex_;
  std::optional<NodeReleaseReport> report_;  // guarded by mutex_; nullopt until observed
};

}  // namespace pydio::agent
