// Storage-only storage nodes (issue 7's layout for large clusters): only storage nodes lead, so
// what the leader writes into the volumes (pydio-layout, pydio-shared, the publication) must
// apply to a storage node without compute, which therefore mounts pydio-data and pydio-config;
// nothing of the web tier applies there.
#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>

#include "agent/resources/apache_vhost_resource.hpp"
#include "agent/resources/fuse_mount_resource.hpp"
#include "agent/resources/layout_resource.hpp"
#include "agent/resources/php_resource.hpp"
#include "agent/resources/publication_resource.hpp"
#include "agent/resources/pydio_seed.hpp"
#include "agent/resources/pydio_shared.hpp"
#include "common/volume_clients.hpp"
#include "test/unit/support/test_data.hpp"

using namespace pydio::agent;
using nlohmann::json;

namespace {

// docs/examples/tutorial.json with node1 and node2 storage-only (node1 keeps db) and a compute
// node3; with `backup`, database backups onto a third volume.
std::shared_ptr<const pydio::common::DesiredState> storage_only(bool backup) {
  json doc = json::parse(pydio::test::read_text_file(std::string(PYDIO_TEST_DATA_DIR) +
                                                     "/../../docs/examples/tutorial.json"));
  doc["nodes"][0]["roles"] = {"storage", "db"};
  doc["nodes"][1]["roles"] = {"storage"};
  doc["nodes"].push_back({{"name", "node3"}, {"address", "198.18.0.3"}, {"roles", {"compute"}}});
  doc["database"]["allowedHosts"].push_back("198.18.0.3");
  if (backup) {
    json volume = doc["volumes"][1];
    volume["name"] = "pydio-backup";
    volume["brick"] = "backup";
    volume["mountpoint"] = "/mnt/pydio-backup";
    doc["volumes"].push_back(volume);
    for (int node : {0, 1})
      doc["nodes"][node]["bricks"].push_back(
          {{"name", "backup"}, {"directory", "/data/backup-brick"}});
    doc["database"]["backup"] = {{"volume", "pydio-backup"}};
  }
  auto parsed = pydio::common::parse_desired_state(doc.dump());
  INFO(json(parsed.errors).dump());
  REQUIRE(parsed.errors.empty());
  return parsed.state;
}

PassContext context_for(const std::shared_ptr<const pydio::common::DesiredState>& desired,
                        const std::string& node) {
  PassContext ctx;
  ctx.desired = desired;
  ctx.self = desired->find_node(node);
  REQUIRE(ctx.self != nullptr);
  return ctx;
}

}  // namespace

TEST_CASE("a storage-only node mounts the Pydio volumes and does the leader's writes",
          "[storage_only]") {
  const auto desired = storage_only(false);
  const PassContext node2 = context_for(desired, "node2");
  const PassContext node3 = context_for(desired, "node3");

  for (const char* volume : {"pydio-data", "pydio-config"}) {
    INFO(volume);
    CHECK(pydio::common::node_mounts_volume(*desired, *node2.self, volume));
    CHECK(FuseMountResource(volume).applies_to(node2));
    CHECK(FuseMountResource(volume).applies_to(node3));
  }
  for (const PassContext* ctx : {&node2, &node3}) {
    INFO(ctx->self->name);
    CHECK(LayoutResource().applies_to(*ctx));
    CHECK(PydioSharedResource().applies_to(*ctx));
    CHECK(PublicationResource().applies_to(*ctx));
  }
  // Nothing of the web tier on the storage-only node; the seeding needs a compute node's Pydio.
  CHECK_FALSE(ApacheVhostResource().applies_to(node2));
  CHECK_FALSE(PhpResource().applies_to(node2));
  CHECK_FALSE(PydioSeedResource().applies_to(node2));
  CHECK(PydioSeedResource().applies_to(node3));
}

TEST_CASE("a storage-only node does not mount the backup volume; a db node only that",
          "[storage_only]") {
  const auto desired = storage_only(true);
  const PassContext node1 = context_for(desired, "node1");  // storage + db
  const PassContext node2 = context_for(desired, "node2");  // storage
  const PassContext node3 = context_for(desired, "node3");  // compute
  CHECK_FALSE(FuseMountResource("pydio-backup").applies_to(node2));
  CHECK(FuseMountResource("pydio-backup").applies_to(node1));
  CHECK(FuseMountResource("pydio-backup").applies_to(node3));
  CHECK(FuseMountResource("pydio-config").applies_to(node2));
}
