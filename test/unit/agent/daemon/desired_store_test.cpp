// Which generation of the desired state may replace the one in force (pure check_generation).

#include "agent/daemon/desired_store.hpp"

#include <catch2/catch.hpp>

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
    CHECK_THAT(errors[0], Catch::EndsWith("re-apply your change with generation 8"));
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
