// Planning of the desired-state publication on pydio-config (pure).

#include "agent/resources/publication_resource.hpp"

#include <catch2/catch.hpp>

using pydio::agent::action_step;
using pydio::agent::plan_publication;
using pydio::agent::PublicationAction;
using pydio::agent::PublishDesiredState;

TEST_CASE("the leader publishes the desired state it has in force", "[publication][plan]") {
  const std::string text = R"({"generation":5})";

  SECTION("nothing published: publish, expecting nothing there (generation 0)") {
    auto plan = plan_publication(5, text, std::nullopt, 0, 3);

    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    const auto& publish = plan->actions[0];
    CHECK(publish.kind == "publish-desired-state");
    CHECK(publish.description == "publish desired state generation 5 on pydio-config");
    const auto* step = action_step<PublicationAction, PublishDesiredState>(publish);
    REQUIRE(step);
    CHECK(step->generation == 5);
    CHECK(step->expected == 0);
    CHECK(step->term == 3);
    CHECK(plan->waiting_for.empty());
  }
  SECTION("an older generation published: replace it, expecting that generation") {
    auto plan = plan_publication(5, text, std::string(R"({"generation":4})"), 4, 3);

    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].description ==
          "publish desired state generation 5 on pydio-config (replacing generation 4)");
    const auto* step = action_step<PublicationAction, PublishDesiredState>(plan->actions[0]);
    REQUIRE(step);
    CHECK(step->expected == 4);
  }
  SECTION("paired execution: the same generation with the same text is in sync") {
    auto plan = plan_publication(5, text, text, 5, 3);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for.empty());
  }
  SECTION("the same generation with other text is an error, nothing is overwritten") {
    auto plan = plan_publication(5, text, std::string(R"({"generation":5,"x":1})"), 5, 3);

    REQUIRE_FALSE(plan);
    CHECK(plan.status().message() ==
          "generation 5 is published on pydio-config with other content than the one in force "
          "here");
  }
  SECTION("a newer generation published: wait for this node to adopt it") {
    auto plan = plan_publication(5, text, std::string(R"({"generation":6})"), 6, 3);

    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == "this node to adopt published generation 6");
  }
}
