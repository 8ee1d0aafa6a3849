#pragma once
// One step of a plan: the line `agentctl plan` prints, a stable kind, and the typed parameters
// apply() needs.
//
// A resource declares its steps as plain structs, each with `static constexpr const char*
// kKind`, and one `std::variant` of them (e.g. `using DataBrickAction = std::variant<
// FormatDevice, MountDevice, ...>`). plan() builds actions with
//   make_action<DataBrickAction>("format blank device /dev/vdb as xfs", FormatDevice{...});
// apply() hands the action to
//   visit_action<DataBrickAction>(name(), action, [&](const auto& step) { ... });
// which calls the visitor with the step struct (one overload per step: a step without one does
// not compile). So parameters are complete and typed when planned, apply() reads no JSON and
// compares no kind strings, and an action of the wrong type is an error naming the resource
// and the action, never an exception.

#include <any>
#include <string>
#include <utility>
#include <variant>

#include "common/status.hpp"

namespace pydio::agent {

struct Action {
  std::string kind;         // machine name, e.g. "mount", "create-volume"
  std::string description;  // one line for humans, e.g. "mount /dev/loop3 at /data (xfs)"
  std::any payload{};  // the resource's action variant, set by make_action(); never printed
};

// An action whose payload is `step`, stored as the resource's `Variant`; its kind is Step::kKind.
// REQUIRES: Step is one of Variant's alternatives (else it does not compile).
template <typename Variant, typename Step>
Action make_action(std::string description, Step step) {
  Action action;
  action.kind = Step::kKind;
  action.description = std::move(description);
  action.payload = Variant(std::in_place_type<Step>, std::move(step));
  return action;
}

// The payload as a `T`, or null when it holds something else (or nothing). Never throws.
template <typename T>
const T* action_payload(const Action& action) noexcept {
  return std::any_cast<T>(&action.payload);
}

// The step as a `Step` of `Variant`, or null when it is another step or another payload.
template <typename Variant, typename Step>
const Step* action_step(const Action& action) noexcept {
  return std::get_if<Step>(action_payload<Variant>(action));
}

// What apply() says about an action that is not one of `resource`'s.
inline common::Status wrong_action(const std::string& resource, const Action& action) {
  return common::Status::error(resource + ": action " + action.kind + " (\"" + action.description +
                               "\") is not an action of this resource");
}

// Runs `visitor(step)` on the action's step when its payload is a `Variant`; otherwise the
// wrong_action() error.
template <typename Variant, typename Visitor>
common::Status visit_action(const std::string& resource, const Action& action, Visitor&& visitor) {
  const Variant* step = action_payload<Variant>(action);
  if (step == nullptr || step->valueless_by_exception()) return wrong_action(resource, action);
  return std::visit(std::forward<Visitor>(visitor), *step);
}

}  // namespace pydio::agent
