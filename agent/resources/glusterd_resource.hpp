#pragma once
// Resource "glusterd": the gluster management daemon runs on every storage node and answers
// the CLI. Compute-only nodes need no glusterd (the FUSE client talks to the storage nodes'
// glusterd), so it applies to nodes with role storage only.
//
// observe: Services::is_running(kGlusterd) and whether `gluster pool list` answers.
// apply "start-glusterd": starts it, then waits (bounded) until `pool list` answers, so that
// the next observation finds it in sync. A glusterd that runs but does not answer is reported
// as an error, never killed or restarted by the agent (its bricks and FUSE mounts keep
// working without it, FIELD-NOTES).

#include <chrono>
#include <string>

#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

struct GlusterdObservation {
  bool running = false;      // main process alive (pid file / systemd)
  common::Status answering;  // ok when `gluster pool list` answered; the failure otherwise
};

// Pure: start glusterd when it does not run; an error when it runs but does not answer.
common::Expected<Plan> plan_glusterd(const GlusterdObservation& observed);

class GlusterdResource : public Resource {
 public:
  // start -> pool list answers: < 1 s idle, 8.7 s and 17 s measured on a loaded 2-core VM.
  static constexpr std::chrono::seconds kReadyTimeout{30};
  static constexpr std::chrono::seconds kProbeTimeout{10};  // one `pool list` while observing

  std::string name() const override { return "glusterd"; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
