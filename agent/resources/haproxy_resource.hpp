#pragma once
// HAProxy on every node with role lb: the configuration rendered from the desired state
// (haproxy_config.hpp), HAProxy running, and a reload only after a change. A new configuration
// never replaces a working one unchecked: apply() writes <config>.new, runs `haproxy -c` on it
// and renames it over the configuration only when HAProxy accepts it (otherwise the error
// carries HAProxy's output and the old file stays). In sync, the plan's note is each server's
// state from the admin socket, e.g. "n1 UP ready scur 2; n2 UP DRAIN scur 0".
//
// When the node loses role lb (it stays in the desired state with other roles), the HAProxy the
// agent started would go on running unwatched with a frozen server list and its stats port
// open. So the resource also applies to a node without role lb whose configuration file is the
// agent's (kHaproxyConfigHeader): it stops that HAProxy (HaproxyControl::stop: by the pid
// file's PID or its systemd unit, never by name) and moves the file aside to
// <config>.pydio-agent-removed-<UTC stamp> (kept, never deleted; the event names it). After
// that the file is gone and the resource no longer applies. An HAProxy running another
// configuration (the operator's) is never touched, nor is the database proxy (its own files).
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
struct StopHaproxy {
  static constexpr const char* kKind = "stop-haproxy";
};
struct SetHaproxyConfigAside {
  static constexpr const char* kKind = "set-haproxy-config-aside";
  std::string from;
  std::string to;
};
using HaproxyAction = std::variant<WriteHaproxyConfig, StartHaproxy, ReloadHaproxy, StopHaproxy,
                                   SetHaproxyConfigAside>;

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

// What is left of the agent's HAProxy on a node without role lb.
struct HaproxyLeftover {
  bool running = false;       // the instance the agent started still runs
  bool agent_config = false;  // the configuration file is the agent's
  std::string config_path;
  std::string aside_path;  // where the file goes: <config>.pydio-agent-removed-<stamp>
};

// Pure. Stop HAProxy when it runs, then move its configuration aside; nothing when neither.
Plan plan_haproxy_retirement(const HaproxyLeftover& leftover);

// Pure: "<config>.pydio-agent-removed-20261201T083000Z" for a format_utc() time.
std::string haproxy_aside_path(const std::string& config_path, const std::string& utc_time);

// True when `text` is a configuration the agent rendered (it begins with kHaproxyConfigHeader).
bool is_agent_haproxy_config(const std::string& text);

class HaproxyResource : public Resource {
 public:
  explicit HaproxyResource(HaproxyPaths paths = {}) : paths_(std::move(paths)) {}
  std::string name() const override { return "haproxy"; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
  void carry_over(const Resource& previous) override;
  // A reload is owed (after a write whose reload has not happened yet, or since the agent
  // started). For tests.
  bool reload_owed() const { return reload_pending_->load(); }

 private:
  common::Status apply_step(const PassContext& ctx, const WriteHaproxyConfig& step);
  common::Status apply_step(const PassContext& ctx, const StartHaproxy& step);
  common::Status apply_step(const PassContext& ctx, const ReloadHaproxy& step);
  common::Status apply_step(const PassContext& ctx, const StopHaproxy& step);
  common::Status apply_step(const PassContext& ctx, const SetHaproxyConfigAside& step);
  // A node listed without role lb whose configuration file is still the agent's.
  bool retiring(const PassContext& ctx) const;
  common::Expected<Plan> observe_and_plan_retirement(const PassContext& ctx) const;

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
  // desired state still owes its reload. True when the agent starts: an agent that died between
  // writing the configuration and reloading left HAProxy on the old one, and nothing on disk
  // says so; one graceful reload per agent start (it drops no connection) settles it.
  std::shared_ptr<std::atomic<bool>> reload_pending_ = std::make_shared<std::atomic<bool>>(true);
};

}  // namespace pydio::agent
