// Every resource with typed actions refuses an action that is not one of its own (another
// resource's step, or an untyped legacy action) with an error naming itself and the action,
// and never throws: apply() reads no JSON and dispatches on nothing but the payload's type.
#include <catch2/catch.hpp>
#include <memory>

#include "agent/resources/apache_vhost_resource.hpp"
#include "agent/resources/check_file_resource.hpp"
#include "agent/resources/config_brick_resource.hpp"
#include "agent/resources/data_brick_resource.hpp"
#include "agent/resources/database_resource.hpp"
#include "agent/resources/db_server_resource.hpp"
#include "agent/resources/fuse_mount_resource.hpp"
#include "agent/resources/gluster_pool_resource.hpp"
#include "agent/resources/glusterd_resource.hpp"
#include "agent/resources/layout_resource.hpp"
#include "agent/resources/publication_resource.hpp"
#include "agent/resources/pydio_seed.hpp"
#include "agent/resources/self_heal_resource.hpp"
#include "agent/resources/volume_resource.hpp"

using namespace pydio::agent;

namespace {

struct Foreign {
  static constexpr const char* kKind = "foreign";
};

std::vector<std::shared_ptr<Resource>> typed_resources() {
  return {
      std::make_shared<ApacheVhostResource>(),
      std::make_shared<CheckFileResource>(),
      std::make_shared<ConfigBrickResource>("config"),
      std::make_shared<DataBrickResource>("data"),
      std::make_shared<DatabaseResource>(),
      std::make_shared<DbServerResource>(),
      std::make_shared<FuseMountResource>("pydio-data"),
      std::make_shared<GlusterPoolResource>(),
      std::make_shared<GlusterdResource>(),
      std::make_shared<LayoutResource>(),
      std::make_shared<PublicationResource>(),
      std::make_shared<PydioSeedResource>(),
      std::make_shared<SelfHealResource>(std::vector<std::string>{"pydio-data"}),
      std::make_shared<VolumeResource>("pydio-data", std::vector<std::string>{"data-brick/data"})};
}

}  // namespace

TEST_CASE("a resource refuses an action of the wrong type with an error, not an exception",
          "[typed_actions]") {
  const PassContext ctx;  // nothing in it is needed to refuse
  const Action foreign = make_action<std::variant<Foreign>>("do something foreign", Foreign{});
  // A kind and a description but no typed payload (as the old untyped actions were).
  const Action legacy{"mount", "mount /dev/loop3 at /data (xfs)", {}};

  for (const auto& resource : typed_resources()) {
    INFO(resource->name());
    pydio::common::Status applied = pydio::common::Status::ok();

    REQUIRE_NOTHROW(applied = resource->apply(ctx, foreign));
    CHECK_FALSE(applied);
    CHECK(applied.message() == resource->name() +
                                   ": action foreign (\"do something foreign\") is not an action "
                                   "of this resource");

    REQUIRE_NOTHROW(applied = resource->apply(ctx, legacy));
    CHECK_FALSE(applied);
    CHECK(applied.message() == resource->name() +
                                   ": action mount (\"mount /dev/loop3 at /data (xfs)\") is not "
                                   "an action of this resource");
  }
}

TEST_CASE("one resource's step is another resource's wrong type", "[typed_actions]") {
  const PassContext ctx;
  const Action probe = make_action<GlusterPoolAction>("probe 198.18.0.2 into the gluster pool",
                                                      ProbePeer{"198.18.0.2", 3});
  DataBrickResource brick("data");

  pydio::common::Status applied = brick.apply(ctx, probe);

  CHECK_FALSE(applied);
  CHECK(applied.message() ==
        "data-brick: action probe-peer (\"probe 198.18.0.2 into the gluster pool\") is not an "
        "action of this resource");
}

TEST_CASE("a typed leader action checks the term it was planned under", "[typed_actions]") {
  PassContext ctx;
  ctx.is_leader = true;
  ctx.leader_term = 4;
  SelfHealResource heal({"pydio-data"});
  const Action planned_earlier = make_action<SelfHealAction>(
      "index heal of volume pydio-data (3 entries pending after a peer reconnected)",
      HealVolume{"pydio-data", 3});

  pydio::common::Status applied = heal.apply(ctx, planned_earlier);

  CHECK_FALSE(applied);
  CHECK(applied.message() ==
        "self-heal: index heal of volume pydio-data (3 entries pending after a peer "
        "reconnected): planned under leader term 3, current term 4");
}

TEST_CASE("volume and layout steps planned under an earlier term do nothing", "[typed_actions]") {
  PassContext ctx;  // no runner, no desired state: a step that went ahead would crash
  ctx.is_leader = true;
  ctx.leader_term = 9;
  VolumeResource volume("pydio-data", {"data-brick/data"});
  LayoutResource layout;

  pydio::common::Status started = volume.apply(
      ctx, make_action<VolumeAction>("start volume pydio-data", StartVolume{"pydio-data", 8}));
  pydio::common::Status forced =
      volume.apply(ctx, make_action<VolumeAction>("start the offline bricks of volume pydio-data",
                                                  StartOfflineBricks{"pydio-data", 8}));
  pydio::common::Status created = layout.apply(
      ctx, make_action<LayoutAction>(
               "create /mnt/pydio-data/users owned by www-data:www-data",
               CreateLayoutDir{"/mnt/pydio-data/users", "/mnt/pydio-data", 33, 33, 8}));

  CHECK(started.message() ==
        "volume/pydio-data: start volume pydio-data: planned under leader term 8, current term 9");
  CHECK(forced.message() ==
        "volume/pydio-data: start the offline bricks of volume pydio-data: planned under leader "
        "term 8, current term 9");
  CHECK(created.message() ==
        "pydio-layout: create /mnt/pydio-data/users owned by www-data:www-data: planned under "
        "leader term 8, current term 9");
}
