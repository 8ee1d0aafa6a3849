// Planning of the glusterd resource (pure).

#include <catch2/catch.hpp>

#include "agent/resources/glusterd_resource.hpp"

using namespace pydio;

TEST_CASE("glusterd is started when it does not run", "[glusterd][plan]") {
  agent::GlusterdObservation observed;
  observed.running = false;
  auto plan = agent::plan_glusterd(observed);
  REQUIRE(plan);
  REQUIRE(plan->actions.size() == 1);
  CHECK(plan->actions[0].kind == "start-glusterd");
  CHECK(plan->actions[0].description == "start glusterd");
  CHECK(agent::action_step<agent::GlusterdAction, agent::StartGlusterd>(plan->actions[0]));
}

TEST_CASE("a running glusterd that answers is in sync", "[glusterd][plan]") {
  agent::GlusterdObservation observed;
  observed.running = true;
  auto plan = agent::plan_glusterd(observed);
  REQUIRE(plan);
  CHECK(plan->actions.empty());
}

TEST_CASE("a running glusterd that does not answer is an error, not restarted",
          "[glusterd][plan]") {
  agent::GlusterdObservation observed;
  observed.running = true;
  observed.answering = common::Status::error("gluster pool list: timed out after 10000ms");
  auto plan = agent::plan_glusterd(observed);
  REQUIRE_FALSE(plan);
  CHECK(plan.status().message() ==
        "glusterd is running but does not answer: gluster pool list: timed out after 10000ms");
}

TEST_CASE("a glusterd that keeps dying after its starts waits for its restart backoff",
          "[glusterd][plan]") {
  agent::GlusterdObservation observed;
  observed.running = false;
  SECTION("held back: waiting, with the reason") {
    observed.start_held_back =
        "glusterd stopped within 1 s of start 2 (2 in a row); next start "
        "in 2 s";
    auto plan = agent::plan_glusterd(observed);
    REQUIRE(plan);
    CHECK(plan->actions.empty());
    CHECK(plan->waiting_for == observed.start_held_back);
  }
  SECTION("a restart carries its number, so each has its own event") {
    observed.start_number = 3;
    auto plan = agent::plan_glusterd(observed);
    REQUIRE(plan);
    REQUIRE(plan->actions.size() == 1);
    CHECK(plan->actions[0].description == "start glusterd (start 3 by this agent)");
  }
}
