// Which generation of the desired state may replace the one in force (pure check_generation).

#include "agent/daemon/desired_store.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "test/unit/support/temp_dir.hpp"

using pydio::agent::check_generation;
using pydio::agent::GenerationRule;
using pydio::common::DesiredState;

namespace {

// A document at `generation`; `cluster_name` stands for its content.
DesiredState document(std::int64_t generation, const std::string& cluster_name = "pydio") {
  DesiredState state;
  state.api_version = pydio::common::kApiVersion;
  state.generation = generation;
  state.cluster_name = cluster_name;
  return state;
}

}  // namespace

TEST_CASE("a change must carry exactly the generation in force + 1", "[desired_store]") {
  const DesiredState current = document(7);

  SECTION("the next generation is accepted") {
    CHECK(check_generation(&current, document(8), GenerationRule::kNext).empty());
  }
  SECTION("a skipped generation is refused, naming the one to use") {
    CHECK(check_generation(&current, document(9), GenerationRule::kNext) ==
          std::vector<std::string>{"generation: 9 skips generation 8; a change must carry "
                                   "generation 8 (the one in force is 7)"});
  }
  SECTION("the same generation with other content lost the race") {
    const auto errors = check_generation(&current, document(7, "other"), GenerationRule::kNext);
    REQUIRE(errors.size() == 1);
    CHECK_THAT(errors[0], Catch::StartsWith("generation: 7 is already in force with different "
                                            "content (another change won the race"));
    CHECK_THAT(errors[0], Catch::EndsWith("send your change as generation 8 (agentctl apply: "
                                          "keep generation 7, or leave it out)"));
  }
  SECTION("the same generation with the same content is a repeat, accepted") {
    CHECK(check_generation(&current, document(7), GenerationRule::kNext).empty());
  }
  SECTION("an older generation is refused") {
    CHECK(check_generation(&current, document(6), GenerationRule::kNext) ==
          std::vector<std::string>{"generation: 6 is older than the generation in force (7)"});
  }
  SECTION("with nothing in force, any generation is accepted") {
    CHECK(check_generation(nullptr, document(3), GenerationRule::kNext).empty());
  }
}

TEST_CASE("following the leader accepts any newer generation", "[desired_store]") {
  const DesiredState current = document(7);

  CHECK(check_generation(&current, document(8)).empty());
  CHECK(check_generation(&current, document(12), GenerationRule::kNewer).empty());
  CHECK(check_generation(&current, document(7)).empty());
  CHECK_FALSE(check_generation(&current, document(7, "other")).empty());
  CHECK(check_generation(&current, document(6)) ==
        std::vector<std::string>{"generation: 6 is older than the generation in force (7)"});
}

TEST_CASE("switching gluster TLS on a running cluster is refused; the state in force stays",
          "[desired_store][gluster-tls]") {
  pydio::test::TempDir dir;
  pydio::agent::DesiredStore store(dir.path() + "/desired-state.json");
  const std::string off = R"({"apiVersion": "pydio-agent/v1", "generation": 1,
    "cluster": {"name": "pydio"},
    "nodes": [{"name": "node1", "address": "198.18.0.1", "roles": ["storage", "compute", "db"],
               "bricks": [{"name": "data", "device": "/dev/xvdb", "mountpoint": "/data"}]}],
    "volumes": [{"name": "pydio-data", "brick": "data"}]})";
  auto first = store.submit(off);
  REQUIRE(first);
  REQUIRE(first->errors.empty());
  auto on = nlohmann::json::parse(off);
  on["generation"] = 2;
  on["security"] = {{"glusterTls", true}};
  auto refused = store.submit(on.dump(), GenerationRule::kNext);
  REQUIRE(refused);
  REQUIRE(refused->errors.size() == 1);
  CHECK_THAT(refused->errors[0],
             Catch::StartsWith("security.glusterTls: cannot change from false to true"));
  CHECK_FALSE(refused->changed);
  CHECK(store.current()->generation == 1);
  CHECK_FALSE(store.current()->security.gluster_tls);
  CHECK_THAT(store.last_error(), Catch::Contains("security.glusterTls"));
}
