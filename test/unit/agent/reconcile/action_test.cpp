// Typed actions (action.hpp): built with their kind, read back only as their own type, and
// dispatched on their type; a payload of another type is an error, never an exception.
#include "agent/reconcile/action.hpp"

#include <catch2/catch.hpp>

using namespace pydio::agent;

namespace {

struct Start {
  static constexpr const char* kKind = "start";
  std::string what;
};
struct Stop {
  static constexpr const char* kKind = "stop";
  int seconds = 0;
};
using ThingAction = std::variant<Start, Stop>;

struct Other {
  static constexpr const char* kKind = "other";
};
using OtherAction = std::variant<Other>;

pydio::common::Status apply_thing(const Action& action, std::string& ran) {
  return visit_action<ThingAction>("thing", action, [&](const auto& step) {
    using Step = std::decay_t<decltype(step)>;
    ran = Step::kKind;
    return pydio::common::Status::ok();
  });
}

}  // namespace

TEST_CASE("make_action sets the kind from the step type and keeps the step typed", "[action]") {
  const Action action = make_action<ThingAction>("start the thing", Start{"engine"});

  CHECK(action.kind == "start");
  CHECK(action.description == "start the thing");
  const Start* start = action_step<ThingAction, Start>(action);
  REQUIRE(start);
  CHECK(start->what == "engine");
  CHECK(action_step<ThingAction, Stop>(action) == nullptr);
  CHECK(action_step<OtherAction, Other>(action) == nullptr);
  CHECK(action_payload<Start>(action) == nullptr);  // stored as the variant, not the step
}

TEST_CASE("visit_action runs the step's overload, and refuses any other payload", "[action]") {
  std::string ran;
  SECTION("a step of the variant: its overload runs") {
    REQUIRE(apply_thing(make_action<ThingAction>("stop within 5 s", Stop{5}), ran));
    CHECK(ran == "stop");
  }
  SECTION("a step of another resource: an error naming the resource and the action") {
    pydio::common::Status applied = pydio::common::Status::ok();
    REQUIRE_NOTHROW(applied = apply_thing(make_action<OtherAction>("do other", Other{}), ran));
    CHECK_FALSE(applied);
    CHECK(applied.message() ==
          "thing: action other (\"do other\") is not an action of this resource");
    CHECK(ran.empty());
  }
  SECTION("an action without a payload (a kind and a description only): the same error") {
    const Action legacy{"start", "start the thing", {}};
    pydio::common::Status applied = pydio::common::Status::ok();
    REQUIRE_NOTHROW(applied = apply_thing(legacy, ran));
    CHECK_FALSE(applied);
    CHECK(applied.message() ==
          "thing: action start (\"start the thing\") is not an action of this resource");
    CHECK(ran.empty());
  }
}
