#pragma once
// HAProxy on every node with role lb: the configuration rendered from the desired state
// (haproxy_config.hpp), HAProxy running, and a reload only after a change. A new configuration
// never replaces a working one unchecked: apply() writes <config>.new, runs `haproxy -c` on it
// and renames it over the configuration only when HAProxy accepts it (otherwise the error
// carries HAProxy's output and the old file stays). In sync, the plan's note is each server's
// state from the admin socket, e.g. "n1 UP ready scur 2; n2 UP DRAIN scur 0".
//
// The object remembers across passes that a reload is owed, so the reconciler keeps one
// instance (carry_over). Not thread-safe against itself: one operation at a time.

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "agent/host/haproxy_control.hpp"
#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

struct WriteHaproxyConfig {
  static constexpr const char* kKind = "write-haproxy-config";
  std::string path;
};
struct StartHaproxy {
  static constexpr const char* kKind = "start-haproxy";
};
struct ReloadHaproxy {
  static constexpr const char* kKind = "reload-haproxy";
  // The TLS certificate file changed under an unchanged configuration (a renewal): reload even
  // though no write is owed, after `haproxy -c` has read the new file.
  bool certificate_changed = false;
};
using HaproxyAction = std::variant<WriteHaproxyConfig, StartHaproxy, ReloadHaproxy>;

struct HaproxyObservation {
  std::optional<std::string> current_text;  // nullopt when the file is missing
  bool running = false;
  bool reload_pending = false;
  std::string servers;  // describe_servers() of `show stat`, or why it is unknown
  // loadBalancer.tlsCertificate as a running HAProxy has not loaded it: "" when it has (or no
  // TLS); else the path, e.g. after a renewal replaced the file.
  std::string certificate_changed;
};

// Pure. write (validated) when the text differs, then start when HAProxy is down, else reload
// when the file changed, a reload is owed or the certificate file changed. In sync: the note is
// the servers' states.
Plan plan_haproxy(const std::string& want_text, const std::string& config_path,
                  const HaproxyObservation& observed);

class HaproxyResource : public Resource {
 public:
  explicit HaproxyResource(HaproxyPaths paths = {}) : paths_(std::move(paths)) {}
  std::string name() const override { return "haproxy"; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
  void carry_over(const Resource& previous) override;

 private:
  common::Status apply_step(const PassContext& ctx, const WriteHaproxyConfig& step);
  common::Status apply_step(const PassContext& ctx, const StartHaproxy& step);
  common::Status apply_step(const PassContext& ctx, const ReloadHaproxy& step);

  HaproxyPaths paths_;
  // Identity (device, inode, size, mtime) of the certificate file HAProxy last loaded through
  // this agent; "" unknown (the agent started since), which reloads once. Shared like
  // reload_pending_. Guarded by its mutex.
  struct LoadedCertificate {
    std::mutex mutex;
    std::string identity;
  };
  std::shared_ptr<LoadedCertificate> loaded_certificate_ = std::make_shared<LoadedCertificate>();
  // Shared with the instance this one replaces (carry_over): a change written under the old
  // desired state still owes its reload.
  std::shared_ptr<std::atomic<bool>> reload_pending_ = std::make_shared<std::atomic<bool>>(false);
};

}  // namespace pydio::agent
