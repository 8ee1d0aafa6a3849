#include "agent/resources/check_file_resource.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

std::string join_reasons(const std::vector<std::string>& reasons) {
  if (reasons.empty()) return "health not known yet";
  std::string out;
  for (const auto& reason : reasons) out += (out.empty() ? "" : "; ") + reason;
  return out;
}

std::string docroot_of(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}
std::string name_of(const std::string& path) { return path.substr(path.rfind('/') + 1); }

}  // namespace

std::string check_file_path(const common::WebSpec& web) {
  std::string docroot = web.docroot;
  while (docroot.size() > 1 && docroot.back() == '/') docroot.pop_back();
  return (docroot == "/" ? "" : docroot) + "/" + web.health_file;
}

Expected<Plan> plan_check_file(const std::string& path, const CheckFileObservation& observed) {
  Plan plan;
  const DirectoryEntry& entry = observed.entry;
  const bool exists = entry.kind != EntryKind::kMissing;
  if (exists && !is_root_regular_file(entry)) {
    return Status::error(path + ": " + describe_entry(entry) +
                         " is in the way of the health file; the agent neither follows nor "
                         "removes it (remove it by hand)");
  }
  if (!observed.verdict.healthy) {
    if (exists) {
      plan.actions.push_back(make_action<CheckFileAction>(
          "remove " + path + ": " + join_reasons(observed.verdict.reasons), RemoveCheckFile{path}));
    }
    return plan;
  }
  if (!observed.docroot_exists) {
    plan.waiting_for = "docroot " + docroot_of(path) + " to exist";
    return plan;
  }
  if (!exists) {
    plan.actions.push_back(make_action<CheckFileAction>(
        "create " + path + " (node healthy)", WriteCheckFile{path, Existing::kMustBeAbsent}));
    return plan;
  }
  std::vector<std::string> differs;
  if (entry.content != kCheckFileContent) differs.push_back("content");
  if ((entry.mode & 07777) != kCheckFileMode) differs.push_back("mode");
  if (entry.gid != 0) differs.push_back("group");
  if (!differs.empty()) {
    plan.actions.push_back(make_action<CheckFileAction>(
        "rewrite " + path + " (node healthy; " + join_reasons(differs) + " differs)",
        WriteCheckFile{path, Existing::kMayBeRootFile}));
  }
  return plan;
}

bool CheckFileResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && ctx.self->has_role(common::Role::kCompute);
}

Expected<Plan> CheckFileResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.health == nullptr) return Status::error("check-file: pass context lacks the health view");
  const std::string path = check_file_path(ctx.desired->web);
  CheckFileObservation observed;
  observed.verdict = ctx.health->verdict();
  auto docroot = open_directory_nofollow(docroot_of(path));
  if (!docroot) return docroot.status().with_context("health file " + path);
  if (docroot->has_value()) {
    observed.docroot_exists = true;
    auto entry = inspect_entry((*docroot)->get(), name_of(path), path);
    if (!entry) return entry.status();
    observed.entry = *entry;
  }
  return plan_check_file(path, observed);
}

namespace {

Status apply_step(const PassContext& /*ctx*/, const RemoveCheckFile& step) {
  auto docroot = open_directory_nofollow(docroot_of(step.path));
  if (!docroot) return docroot.status().with_context("remove " + step.path);
  if (!docroot->has_value()) return Status::ok();  // gone with its docroot
  return remove_root_file((*docroot)->get(), name_of(step.path), step.path);
}

Status apply_step(const PassContext& ctx, const WriteCheckFile& step) {
  // The verdict may have turned since the plan: never advertise a node that just became
  // unhealthy; the next pass removes or creates as the verdict then says.
  if (ctx.health == nullptr || !ctx.health->verdict().healthy) return Status::ok();
  auto docroot = open_directory_nofollow(docroot_of(step.path));
  if (!docroot) return docroot.status().with_context("write " + step.path);
  if (!docroot->has_value()) {
    return Status::error("write " + step.path + ": the docroot " + docroot_of(step.path) +
                         " is missing");
  }
  return write_root_file((*docroot)->get(), name_of(step.path), step.path, kCheckFileContent,
                         kCheckFileMode, step.existing);
}

}  // namespace

Status CheckFileResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<CheckFileAction>(name(), action,
                                       [&](const auto& step) { return apply_step(ctx, step); });
}

}  // namespace pydio::agent
