#include "agent/resources/release_report.hpp"

namespace pydio::agent {

bool NodeReleaseReport::operator==(const NodeReleaseReport& o) const {
  return release_mode == o.release_mode && current == o.current && version == o.version &&
         previous == o.previous && previous_version == o.previous_version && staged == o.staged &&
         staged_versions == o.staged_versions && failed == o.failed &&
         failed_release == o.failed_release && failed_reason == o.failed_reason;
}

nlohmann::json release_report_json(const NodeReleaseReport& report) {
  nlohmann::json json{{"mode", report.release_mode ? "release" : "operator"},
                      {"current", report.current},
                      {"version", report.version},
                      {"previous", report.previous},
                      {"staged", report.staged},
                      {"failed", nullptr}};
  if (report.failed)
    json["failed"] = {{"release", report.failed_release}, {"reason", report.failed_reason}};
  return json;
}

std::string short_sha(const std::string& sha256) {
  const std::size_t keep = std::string("sha256:").size() + 8;
  return sha256.size() > keep ? sha256.substr(0, keep) + "\u2026" : sha256;
}

std::string release_status_note(const NodeReleaseReport& report) {
  std::string note = report.current.empty() ? std::string("no release current")
                                            : "release " + report.version + " (" +
                                                  short_sha(report.current) + ") current";
  note +=
      ", previous " + (report.previous.empty() ? std::string("\u2014") : report.previous_version);
  std::string staged;
  for (std::size_t i = 0; i < report.staged.size(); ++i) {
    if (report.staged[i] == report.previous) continue;
    staged += (staged.empty() ? "" : ", ") + report.staged_versions[i];
  }
  note += ", staged " + (staged.empty() ? std::string("\u2014") : staged);
  return note;
}

}  // namespace pydio::agent
