#include "agent/reconcile/resource_set.hpp"

#include "agent/resources/apache_vhost_resource.hpp"
#include "agent/resources/check_file_resource.hpp"
#include "agent/resources/config_brick_resource.hpp"
#include "agent/resources/data_brick_resource.hpp"
#include "agent/resources/database_resource.hpp"
#include "agent/resources/db_proxy_resource.hpp"
#include "agent/resources/db_server_resource.hpp"
#include "agent/resources/db_backup_resource.hpp"
#include "agent/resources/fuse_mount_resource.hpp"
#include "agent/resources/gluster_pool_resource.hpp"
#include "agent/resources/gluster_tls_resource.hpp"
#include "agent/resources/glusterd_resource.hpp"
#include "agent/resources/haproxy_resource.hpp"
#include "agent/resources/layout_resource.hpp"
#include "agent/resources/packages_resource.hpp"
#include "agent/resources/php_resource.hpp"
#include "agent/resources/publication_resource.hpp"
#include "agent/resources/pydio_release_resource.hpp"
#include "agent/resources/pydio_seed.hpp"
#include "agent/resources/pydio_shared.hpp"
#include "agent/resources/pydio_wiring_resource.hpp"
#include "agent/resources/self_heal_resource.hpp"
#include "agent/resources/volume_resource.hpp"

namespace pydio::agent {

namespace {
bool is_under(const std::string& path, const std::string& directory) {
  if (directory == "/") return true;
  return path == directory || path.rfind(directory + "/", 0) == 0;
}
}  // namespace

std::vector<std::unique_ptr<Resource>> build_resources(const common::DesiredState& desired,
                                                       const std::string& node_name) {
  std::vector<std::unique_ptr<Resource>> resources;
  const common::NodeSpec* self = desired.find_node(node_name);
  if (self != nullptr) {
    for (const auto& brick : self->bricks)
      if (brick.device) resources.push_back(std::make_unique<DataBrickResource>(brick.name));
    for (const auto& brick : self->bricks) {
      if (!brick.directory) continue;
      // A directory brick on a data device waits until that device is mounted.
      std::vector<std::string> after;
      for (const auto& other : self->bricks)
        if (other.device && is_under(*brick.directory, other.mountpoint))
          after.push_back(brick_resource_name(other.name));
      resources.push_back(std::make_unique<ConfigBrickResource>(brick.name, after));
    }
  }
  if (desired.security.gluster_tls) resources.push_back(std::make_unique<GlusterTlsResource>());
  resources.push_back(std::make_unique<GlusterdResource>());
  resources.push_back(std::make_unique<GlusterPoolResource>());
  resources.push_back(std::make_unique<DbServerResource>());
  for (const auto& volume : desired.volumes)
    resources.push_back(std::make_unique<VolumeResource>(
        volume.name, std::vector<std::string>{brick_resource_name(volume.brick)}));
  std::vector<std::string> volume_names;
  for (const auto& volume : desired.volumes) volume_names.push_back(volume.name);
  resources.push_back(std::make_unique<SelfHealResource>(volume_names));
  resources.push_back(std::make_unique<DatabaseResource>());
  resources.push_back(std::make_unique<DbBackupResource>());
  for (const auto& volume : desired.volumes)
    resources.push_back(std::make_unique<FuseMountResource>(volume.name));
  resources.push_back(std::make_unique<PackagesResource>());
  resources.push_back(std::make_unique<DbProxyResource>());
  resources.push_back(std::make_unique<PhpResource>());
  resources.push_back(std::make_unique<ApacheVhostResource>());
  resources.push_back(std::make_unique<LayoutResource>());
  resources.push_back(std::make_unique<PydioWiringResource>());
  resources.push_back(std::make_unique<PydioReleaseResource>());
  resources.push_back(std::make_unique<PydioSharedResource>());
  resources.push_back(std::make_unique<PydioSeedResource>());
  resources.push_back(std::make_unique<PublicationResource>());
  resources.push_back(std::make_unique<CheckFileResource>());
  resources.push_back(std::make_unique<HaproxyResource>());
  return resources;
}

std::vector<std::string> resource_names(const common::DesiredState& desired,
                                        const std::string& node_name) {
  std::vector<std::string> names;
  for (const auto& resource : build_resources(desired, node_name))
    names.push_back(resource->name());
  return names;
}

}  // namespace pydio::agent
