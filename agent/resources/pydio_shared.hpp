#pragma once
// pydio-shared (leader only, after pydio-layout): what every node's Pydio reads from
// pydio-config/appdata (= AJXP_DATA_PATH once pydio-wiring is done): the boot.conf folder, the
// database pre-configuration bootstrap.json (root:<web group> 0640: Pydio's DB password is the
// one secret on a shared volume, docs/security.md). Reports whether Pydio's installer has run
// (first_run_passed in boot.conf, shared by every node). Nothing here needs Pydio, Apache or
// PHP on the leader, which may be a storage-only node; the plugin data is seeded from a compute
// node's Pydio (pydio_seed.hpp).

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "agent/resources/pydio_file_io.hpp"

namespace pydio::agent {

inline constexpr mode_t kBootstrapMode = 0640;

struct MakeBootConfDirs {
  static constexpr const char* kKind = "make-boot-conf-dirs";
  std::vector<std::string> paths;  // appdata/plugins, appdata/plugins/boot.conf
  uid_t uid = 0;
  gid_t gid = 0;
  std::int64_t term = 0;
};
struct WriteBootstrap {
  static constexpr const char* kKind = "write-bootstrap-json";
  std::string path;
  std::string text;
  // What the file held when planned (nullopt: absent). Pydio's installer may replace it at any
  // time: a file that changed meanwhile is left alone and the next pass plans again.
  std::optional<std::string> before;
  mode_t mode = kBootstrapMode;
  uid_t uid = 0;
  gid_t gid = 0;
  std::int64_t term = 0;
};
using PydioSharedAction = std::variant<MakeBootConfDirs, WriteBootstrap>;

struct SharedDirState {
  std::string path;
  bool exists = false;
  bool is_directory = false;
  uid_t uid = 0;
  gid_t gid = 0;
  mode_t mode = 0;
};

struct PydioSharedObservation {
  std::string waiting;  // e.g. "mount /mnt/pydio-config: hung"; nothing else is looked at
  std::vector<SharedDirState> dirs;  // plugins, boot.conf
  std::string bootstrap_path;
  std::optional<PydioFile> bootstrap;
  std::optional<std::string> bootstrap_text;  // what it must hold; nullopt: content right
  bool first_run_done = false;
  std::string public_url;
  std::string web_user;
  uid_t uid = 0;
  gid_t gid = 0;
  std::int64_t term = 0;
};

common::Expected<Plan> plan_pydio_shared(const PydioSharedObservation& observed);

class PydioSharedResource : public Resource {
 public:
  std::string name() const override { return "pydio-shared"; }
  std::vector<std::string> depends_on() const override { return {"pydio-layout"}; }
  bool leader_only() const override { return true; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
