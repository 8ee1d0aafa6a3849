#pragma once
// The health file (<docroot>/<healthFile>, "check.txt") on every compute node: present exactly
// while the agent's health verdict says the node can serve users, so that a balancer probing
// Apache for it follows the agent's verdict. The file is owned by root, mode 0644, content
// "OK\n", always replaced atomically (a probe never sees a half-written file).

#include <sys/types.h>

#include <string>
#include <variant>

#include "agent/health/health_view.hpp"
#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

inline constexpr const char* kCheckFileContent = "OK\n";
inline constexpr mode_t kCheckFileMode = 0644;

struct CheckFileObservation {
  bool docroot_exists = false;
  bool exists = false;        // something is at the path (lstat)
  bool is_regular = false;    // ... and it is a regular file, not a symlink or directory
  bool is_directory = false;  // ... and it is a directory (an error: not ours to delete)
  std::string content;        // when a regular file
  mode_t mode = 0;            // permission bits
  uid_t uid = 0;
  gid_t gid = 0;
  HealthVerdict verdict;
};

// The actions (see action.hpp).
struct WriteCheckFile {
  static constexpr const char* kKind = "write-check-file";
  std::string path;
};
struct RemoveCheckFile {
  static constexpr const char* kKind = "remove-check-file";
  std::string path;
};
using CheckFileAction = std::variant<WriteCheckFile, RemoveCheckFile>;

// <docroot>/<healthFile>.
std::string check_file_path(const common::WebSpec& web);

// Pure. Healthy: "create" (missing) or "rewrite" (content, mode, owner or type differ);
// waits for the docroot when it is missing. Unhealthy: "remove" with the verdict's reasons.
// A directory at the path is an error: it is not the agent's to delete. A symlink is
// replaced (healthy) or removed (unhealthy), never followed.
common::Expected<Plan> plan_check_file(const std::string& path,
                                       const CheckFileObservation& observed);

class CheckFileResource : public Resource {
 public:
  CheckFileResource() = default;
  std::string name() const override { return "check-file"; }
  std::vector<std::string> depends_on() const override { return {"apache-vhost"}; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
