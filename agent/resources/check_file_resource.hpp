#pragma once
// The health file (<docroot>/<healthFile>, "check.txt") on every compute node: present exactly
// while the agent's health verdict says the node can serve users, so that a balancer probing
// Apache for it follows the agent's verdict. The file is owned by root, mode 0644, content
// "OK\n", always replaced atomically (a probe never sees a half-written file).
//
// The docroot may belong to the web user, so the agent never follows a link on the way to the
// file and only ever creates it where nothing is, or rewrites or removes a regular file of
// root's (check_file_io.hpp). Anything else there (a link, a FIFO, someone else's file, a
// directory) is an error naming the path and what was found, and is left alone.

#include <sys/types.h>

#include <string>
#include <variant>

#include "agent/health/health_view.hpp"
#include "agent/reconcile/resource.hpp"
#include "agent/resources/check_file_io.hpp"

namespace pydio::agent {

inline constexpr const char* kCheckFileContent = "OK\n";
inline constexpr mode_t kCheckFileMode = 0644;

struct CheckFileObservation {
  bool docroot_exists = false;
  DirectoryEntry entry;  // what is at the path, never followed (content of a root file only)
  HealthVerdict verdict;
};

// The actions (see action.hpp).
struct WriteCheckFile {
  static constexpr const char* kKind = "write-check-file";
  std::string path;
  // kMustBeAbsent creates (nothing may appear there meanwhile); kMayBeRootFile rewrites root's.
  Existing existing = Existing::kMustBeAbsent;
};
struct RemoveCheckFile {
  static constexpr const char* kKind = "remove-check-file";
  std::string path;
};
using CheckFileAction = std::variant<WriteCheckFile, RemoveCheckFile>;

// <docroot>/<healthFile>.
std::string check_file_path(const common::WebSpec& web);

// Pure. Healthy: "create" (missing) or "rewrite" (content, mode or group differ);
// waits for the docroot when it is missing. Unhealthy: "remove" with the verdict's reasons.
// Whatever the verdict, an entry that is not a regular file owned by root (a symlink, a FIFO,
// a directory, a file of the web user's) is an error: it is not the agent's to touch.
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
