// agentctl diff, apply and edit: changes of the desired state against the document in force
// (GET /v1/desired-state), submitted as the next generation (POST /v1/desired-state), whose
// compare-and-set is the leader's "exactly the generation in force + 1" rule. What a file's
// generation means is change_plan.hpp's.

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "agent/ctl/admin_client.hpp"
#include "agent/ctl/admin_text.hpp"
#include "agent/ctl/change_plan.hpp"
#include "agent/ctl/commands.hpp"
#include "common/runner_terminal.hpp"

namespace pydio::agent::ctl {

using api::AdminClient;
using api::AdminReply;
using nlohmann::json;

namespace {

// A file without a generation is based on whatever is in force: when another change wins
// between reading it and committing, it is tried again on top of the new one, this many times.
constexpr int kAttemptsWithoutGeneration = 3;

struct InForce {
  std::shared_ptr<const common::DesiredState> state;  // null: none, or the fetch failed
  bool none = false;                                  // the node has no desired state yet
  int exit_code = kExitOk;                            // when the fetch failed
};

int failed(const AdminReply& reply) {
  std::cerr << reply.error << "\n";
  return reply.kind == AdminReply::Kind::kRefused ? kExitFailed : kExitUnreachable;
}

InForce fetch_in_force(const GlobalOptions& global) {
  const AdminReply reply = AdminClient(global.socket_path, global.timeout).get("/v1/desired-state");
  if (reply.kind == AdminReply::Kind::kRefused && reply.status_code == 404)
    return {nullptr, true, kExitFailed};
  if (!reply.ok()) return {nullptr, false, failed(reply)};
  const common::ValidationResult parsed = common::parse_desired_state(reply.body.dump());
  if (!parsed.state) {
    std::cerr << "the document in force does not validate here (agentctl older than the daemon?): "
              << parsed.errors.front() << "\n";
    return {nullptr, false, kExitFailed};
  }
  return {parsed.state, false, kExitOk};
}

std::string in_force_name(const common::DesiredState& state) {
  return "generation " + std::to_string(state.generation) + " (in force)";
}

// The lines of a 4xx answer to POST /v1/desired-state.
std::vector<std::string> refusal_lines(const AdminReply& reply) {
  std::vector<std::string> lines;
  if (reply.body.is_object() && reply.body.contains("errors") && reply.body["errors"].is_array())
    for (const auto& line : reply.body["errors"])
      if (line.is_string()) lines.push_back(line.get<std::string>());
  if (lines.empty()) lines.push_back(reply.error);
  return lines;
}

// After a lost race: what the change that won did to the document `base` (the one the operator
// started from). Returns kExitFailed.
int show_lost_race(const GlobalOptions& global, const std::string& command,
                   const common::DesiredState& base, const std::string& kept) {
  const InForce now = fetch_in_force(global);
  std::cerr << command << ": another change was put in force first; nothing applied"
            << (kept.empty() ? "" : "; your document is kept in " + kept) << "\n";
  if (now.state) {
    std::cerr << "what that change did to generation " << base.generation
              << " (apply your edit again on top of it, e.g. with agentctl edit):\n";
    std::cout << format_diff(diff_desired(base, *now.state),
                             "generation " + std::to_string(base.generation) + " (your base)",
                             in_force_name(*now.state));
  }
  return kExitFailed;
}

bool write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  return static_cast<bool>(out.flush());
}

// "editor" (Debian's alternative) when PATH has it, else "vi".
std::string default_editor() {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');)
    if (!dir.empty() && ::access((dir + "/editor").c_str(), X_OK) == 0) return "editor";
  return "vi";
}

}  // namespace

int run_diff(const GlobalOptions& global, const std::string& path) {
  auto text = read_text_file(path);
  if (!text) {
    std::cerr << "diff: " << text.status().message() << "\n";
    return kExitDiffTrouble;
  }
  const InForce in_force = fetch_in_force(global);
  if (!in_force.state) {
    if (in_force.none) std::cerr << "diff: no desired state in force on this node yet\n";
    return kExitDiffTrouble;
  }
  const ChangePlan plan = plan_change(*text, *in_force.state);
  switch (plan.verdict) {
    case ChangePlan::Verdict::kInvalid:
      for (const auto& error : plan.errors) std::cerr << error << "\n";
      std::cerr << "diff: " << path << " is not a valid document; nothing compared\n";
      return kExitDiffTrouble;
    case ChangePlan::Verdict::kStale:
      std::cerr << "diff: " << path << " is based on generation " << plan.base << ", older than "
                << in_force_name(*in_force.state)
                << ": agentctl apply would refuse it (it would undo the changes made since)\n";
      break;
    case ChangePlan::Verdict::kNoChange:
    case ChangePlan::Verdict::kSubmit:
      break;
  }
  std::cout << format_diff(plan.diff, in_force_name(*in_force.state), path);
  return plan.diff.empty() ? kExitOk : kExitFailed;
}

int run_apply(const GlobalOptions& global, const std::string& path) {
  auto text = read_text_file(path);
  if (!text) {
    std::cerr << "apply: " << text.status().message() << "\n";
    return kExitFailed;
  }
  for (int attempt = 1;; ++attempt) {
    const InForce in_force = fetch_in_force(global);
    // No document yet: this one is the first (as agentctl init, without the join command).
    if (in_force.none) return send_spec_file(global, "apply", path, false);
    if (!in_force.state) return in_force.exit_code;
    const common::DesiredState& base = *in_force.state;
    const ChangePlan plan = plan_change(*text, base);
    if (plan.verdict == ChangePlan::Verdict::kInvalid) {
      for (const auto& error : plan.errors) std::cerr << error << "\n";
      std::cerr << "apply: " << path << " is not valid; nothing sent\n";
      return kExitFailed;
    }
    if (plan.verdict == ChangePlan::Verdict::kStale) {
      std::cerr << "apply: " << path << " is based on generation " << plan.base << ", but "
                << in_force_name(base)
                << ": another change was put in force since; nothing applied\n";
      std::cerr << "what applying it would change (undoing that change too):\n";
      std::cout << format_diff(plan.diff, in_force_name(base), path);
      return kExitFailed;
    }
    if (plan.verdict == ChangePlan::Verdict::kNoChange) {
      std::cout << "no change: " << path << " is the document in force (generation "
                << base.generation << "); nothing applied\n";
      return kExitOk;
    }
    const AdminReply reply =
        AdminClient(global.socket_path, global.timeout).post("/v1/desired-state", plan.document);
    if (reply.ok()) {
      std::cout << format_diff(plan.diff, in_force_name(base), path) << "accepted: generation "
                << reply.body.value("generation", json(0)).dump()
                << " is now the desired state (based on generation " << base.generation << ")\n";
      return kExitOk;
    }
    if (reply.kind == AdminReply::Kind::kRefused && reply.status_code == 409) {
      if (!plan.had_generation && attempt < kAttemptsWithoutGeneration) continue;
      return show_lost_race(global, "apply", base, "");
    }
    if (reply.kind == AdminReply::Kind::kRefused &&
        (reply.status_code == 422 || reply.status_code == 403)) {
      std::cerr << api::format_errors(reply.body) << "apply: pydio-agentd refused " << path
                << "; nothing changed\n";
      return kExitFailed;
    }
    return failed(reply);
  }
}

int run_edit(const GlobalOptions& global) {
  const InForce in_force = fetch_in_force(global);
  if (!in_force.state) {
    if (in_force.none) std::cerr << "edit: no desired state in force on this node yet\n";
    return in_force.exit_code;
  }
  const common::DesiredState& base = *in_force.state;
  const char* tmp = std::getenv("TMPDIR");
  std::string path =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/agentctl-edit-XXXXXX.json";
  const int fd = ::mkstemps(path.data(), 5);  // 0600: only root reads it
  if (fd < 0) {
    std::cerr << "edit: cannot create a temporary file in " << path << "\n";
    return kExitFailed;
  }
  ::close(fd);
  const std::string fallback = default_editor();
  std::string buffer = edit_buffer(common::serialize_desired_state(base), base.generation, {});
  bool refused_before = false;
  for (;;) {
    if (!write_text(path, buffer)) {
      std::cerr << "edit: cannot write " << path << "\n";
      return kExitFailed;
    }
    const auto argv = editor_argv(std::getenv("VISUAL"), std::getenv("EDITOR"), fallback, path);
    const auto status = common::run_in_terminal(argv);
    if (!status || *status != 0) {
      std::cerr << "edit: the editor " << argv.front()
                << (status ? " exited with status " + std::to_string(*status)
                           : ": " + status.status().message())
                << "; nothing applied; the file is kept: " << path << "\n";
      return kExitFailed;
    }
    auto saved = read_text_file(path);
    const std::string body = saved ? strip_comment_lines(*saved) : "";
    if (body.find_first_not_of(" \t\r\n") == std::string::npos) {
      std::cout << "edit cancelled: the file is empty; nothing applied\n";
      std::remove(path.c_str());
      return kExitOk;
    }
    if (body == strip_comment_lines(buffer)) {
      if (!refused_before) {
        std::cout << "edit cancelled: no change; nothing applied\n";
        std::remove(path.c_str());
        return kExitOk;
      }
      std::cerr << "edit: saved without fixing the problems above; nothing applied; the file is "
                   "kept: "
                << path << "\n";
      return kExitFailed;
    }
    const ChangePlan plan = plan_change(body, base, base.generation);
    if (plan.verdict == ChangePlan::Verdict::kInvalid) {
      buffer = edit_buffer(body, base.generation, plan.errors);
      refused_before = true;
      continue;
    }
    if (plan.verdict != ChangePlan::Verdict::kSubmit) {
      std::cout << "edit: no change to the document in force; nothing applied\n";
      std::remove(path.c_str());
      return kExitOk;
    }
    const AdminReply reply =
        AdminClient(global.socket_path, global.timeout).post("/v1/desired-state", plan.document);
    if (reply.ok()) {
      std::cout << format_diff(plan.diff, in_force_name(base), "your edit")
                << "accepted: generation " << reply.body.value("generation", json(0)).dump()
                << " is now the desired state (based on generation " << base.generation << ")\n";
      std::remove(path.c_str());
      return kExitOk;
    }
    if (reply.kind == AdminReply::Kind::kRefused && reply.status_code == 409) {
      write_text(path, body);  // without the comments: agentctl diff/apply read it as it is
      return show_lost_race(global, "edit", base, path);
    }
    if (reply.kind == AdminReply::Kind::kRefused && reply.status_code == 422) {
      buffer = edit_buffer(body, base.generation, refusal_lines(reply));
      refused_before = true;
      continue;
    }
    write_text(path, body);
    std::cerr << "edit: nothing applied; your document is kept in " << path << "\n";
    return failed(reply);
  }
}

}  // namespace pydio::agent::ctl
