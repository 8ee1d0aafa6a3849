#pragma once
// Resources and helpers the reconciler's unit tests share: a resource whose "host" is a
// counter, and waiting for what must happen with a generous deadline.

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "agent/reconcile/reconciler.hpp"

namespace pydio::test {

using agent::Action;
using agent::PassContext;
using agent::Plan;
using agent::Resource;

// Converges when `value` reaches `target`. The switches make it fail, wait or throw.
class CounterResource : public Resource {
 public:
  CounterResource(std::string name, std::vector<std::string> deps, int target)
      : name_(std::move(name)), deps_(std::move(deps)), target_(target) {}
  std::string name() const override { return name_; }
  std::vector<std::string> depends_on() const override { return deps_; }
  bool applies_to(const PassContext&) const override { return true; }
  common::Expected<Plan> observe_and_plan(const PassContext&) const override {
    ++observations;
    if (throw_observe) throw std::runtime_error("observe blew up");
    if (fail_observe) return common::Status::error("observation failed");
    Plan plan;
    if (waiting) {
      plan.waiting_for = "something outside";
      return plan;
    }
    if (value < target_) plan.actions.push_back({"increment", "increment " + name_, {}});
    if (noting) {
      plan.note = "something expected soon";
      plan.recheck_soon = true;
    }
    return plan;
  }
  common::Status apply(const PassContext&, const Action&) override {
    if (throw_apply) throw 42;  // not even a std::exception
    if (fail_apply) return common::Status::error("apply failed");
    while (hold_apply) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    ++value;
    return common::Status::ok();
  }

  std::atomic<int> value{0};
  mutable std::atomic<int> observations{0};
  std::atomic<bool> fail_observe{false};
  std::atomic<bool> fail_apply{false};
  std::atomic<bool> throw_observe{false};
  std::atomic<bool> throw_apply{false};
  std::atomic<bool> waiting{false};
  std::atomic<bool> noting{false};      // in sync with a note to look at again soon
  std::atomic<bool> hold_apply{false};  // apply() does not return while set

 private:
  std::string name_;
  std::vector<std::string> deps_;
  int target_;
};

inline PassContext empty_context() {
  PassContext ctx;
  ctx.desired = std::make_shared<common::DesiredState>();
  return ctx;
}

inline bool wait_until(const std::function<bool()>& condition,
                       std::chrono::seconds deadline = std::chrono::seconds(20)) {
  auto until = std::chrono::steady_clock::now() + deadline;
  while (std::chrono::steady_clock::now() < until) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return condition();
}

// The status of `name`; a default (pending, name empty) one when it is not listed.
inline agent::ResourceStatus status_of(const agent::Reconciler& reconciler,
                                       const std::string& name) {
  for (const auto& status : reconciler.statuses())
    if (status.name == name) return status;
  return {};
}

inline agent::ResourceState state_of(const agent::Reconciler& reconciler, const std::string& name) {
  return status_of(reconciler, name).state;
}

// Moves the given resources into the vector the reconciler takes.
template <typename... Owned>
std::vector<std::unique_ptr<Resource>> resource_list(Owned... owned) {
  std::vector<std::unique_ptr<Resource>> resources;
  (resources.push_back(std::move(owned)), ...);
  return resources;
}

}  // namespace pydio::test
