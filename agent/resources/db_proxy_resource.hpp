#pragma once
// Resource "db-proxy": on every compute node of a cluster whose db nodes form a Galera cluster
// (database.galera()), an HAProxy instance of its own (db_proxy_paths(), unit
// pydio-db-proxy.service) on 127.0.0.1:<database.proxyPort> forwarding to a healthy member
// (db_proxy_config.hpp). Pydio's configuration names that address (common/database_address.hpp).
// A proxy on each compute node rather than one on the lb node: the lb node would be a single
// point of failure for the database, and each node's proxy fails only with the node itself.
//
// As the lb's haproxy resource: the configuration is checked by `haproxy -c` under another name
// before it replaces the previous one, and a change is applied by a graceful reload (the
// listening socket is handed over; open connections finish on the old worker). A dead proxy is
// started again, with the restart backoff of restart_guard.hpp. In sync, the note says which
// member the proxy uses, from `show stat` on its admin socket.
//
// The object remembers across passes that a reload is owed and its restart count, so the
// reconciler keeps one instance (carry_over). Not thread-safe against itself.

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/host/haproxy_control.hpp"
#include "agent/host/restart_guard.hpp"
#include "agent/reconcile/resource.hpp"
#include "agent/resources/haproxy_stat.hpp"

namespace pydio::agent {

struct WriteDbProxyConfig {
  static constexpr const char* kKind = "write-db-proxy-config";
  std::string path;
};
struct StartDbProxy {
  static constexpr const char* kKind = "start-db-proxy";
};
struct ReloadDbProxy {
  static constexpr const char* kKind = "reload-db-proxy";
};
using DbProxyAction = std::variant<WriteDbProxyConfig, StartDbProxy, ReloadDbProxy>;

struct DbProxyObservation {
  std::optional<std::string> current_text;  // nullopt when the file is missing
  bool running = false;
  bool reload_pending = false;
  // Restart backoff (restart_guard.hpp): why a start must wait, "" when it may go ahead.
  std::string start_held_back;
  int start_number = 1;  // the agent's how-many-th start of the proxy this would be
  std::string members;   // describe_db_proxy() of `show stat`, or why it is unknown
};

// Pure. Write (validated) when the text differs; start when the proxy is down (unless its
// restart backoff holds it back: then waiting), else reload when the file changed or a reload
// is owed. In sync: the note is the members' states.
Plan plan_db_proxy(const std::string& want_text, const std::string& config_path,
                   const DbProxyObservation& observed);

// Pure: "uses n5; n5 UP scur 3, n6 UP scur 0, n7 DOWN (Connection refused) scur 0", or
// "uses none: no member is up; ..." . `servers` in the configuration's order (the first is the
// active one, the others backups): HAProxy uses the first of them that is up.
std::string describe_db_proxy(const std::vector<ServerStat>& servers);

class DbProxyResource : public Resource {
 public:
  explicit DbProxyResource(HaproxyPaths paths = db_proxy_paths()) : paths_(std::move(paths)) {}
  std::string name() const override { return "db-proxy"; }
  // The packages resource installs haproxy on these nodes (it holds nothing back where it
  // does not apply).
  std::vector<std::string> depends_on() const override { return {"packages"}; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
  void carry_over(const Resource& previous) override;

 private:
  common::Status apply_step(const PassContext& ctx, const WriteDbProxyConfig& step);
  common::Status apply_step(const PassContext& ctx, const StartDbProxy& step);
  common::Status apply_step(const PassContext& ctx, const ReloadDbProxy& step);

  HaproxyPaths paths_;
  // Shared with the instance this one replaces (carry_over): a change written under the old
  // desired state still owes its reload, and the restart backoff keeps counting.
  std::shared_ptr<std::atomic<bool>> reload_pending_ = std::make_shared<std::atomic<bool>>(false);
  std::shared_ptr<RestartGuard> restarts_ = std::make_shared<RestartGuard>();
};

}  // namespace pydio::agent
