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
#include <memory>
#include <string>
#include <variant>

#include "agent/host/restart_guard.hpp"
#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

// The resource's action (see action.hpp).
struct StartGlusterd {
  static constexpr const char* kKind = "start-glusterd";
};
using GlusterdAction = std::variant<StartGlusterd>;

struct GlusterdObservation {
  bool running = false;      // main process alive (pid file / systemd)
  common::Status answering;  // ok when `gluster pool list` answered; the failure otherwise
  // Restart backoff (restart_guard.hpp): why a start must wait, "" when it may go ahead.
  std::string start_held_back;
  int start_number = 1;  // the agent's how-many-th start of glusterd this would be
};

// Pure: start glusterd when it does not run (waiting while its restart backoff holds it
// back); an error when it runs but does not answer.
common::Expected<Plan> plan_glusterd(const GlusterdObservation& observed);

class GlusterdResource : public Resource {
 public:
  // start -> pool list answers: < 1 s idle, 8.7 s and 17 s measured on a loaded 2-core VM.
  static constexpr std::chrono::seconds kReadyTimeout{30};
  static constexpr std::chrono::seconds kProbeTimeout{10};  // one `pool list` while observing

  std::string name() const override { return "glusterd"; }
  // glusterd reads secure-access only when it starts. "gluster-tls" exists only with
  // security.glusterTls; a dependency that is not in the set holds nothing back.
  std::vector<std::string> depends_on() const override { return {"gluster-tls"}; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

 private:
  common::Status start(const PassContext& ctx);  // StartGlusterd

  std::shared_ptr<RestartGuard> restarts_ = std::make_shared<RestartGuard>();  // glusterd dying right after each start is not restarted in a storm
};

}  // namespace pydio::agent
