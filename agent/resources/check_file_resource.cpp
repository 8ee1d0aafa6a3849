#include "agent/resources/check_file_resource.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "common/file_ops.hpp"

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

std::string docroot_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

}  // namespace

std::string check_file_path(const common::WebSpec& web) {
  std::string docroot = web.docroot;
  while (docroot.size() > 1 && docroot.back() == '/') docroot.pop_back();
  return (docroot == "/" ? "" : docroot) + "/" + web.health_file;
}

Expected<Plan> plan_check_file(const std::string& path, const CheckFileObservation& observed) {
  Plan plan;
  if (observed.is_directory) {
    return Status::error(path + ": is a directory, not the health file; remove it by hand");
  }
  if (!observed.verdict.healthy) {
    if (observed.exists) {
      plan.actions.push_back(make_action<CheckFileAction>(
          "remove " + path + ": " + join_reasons(observed.verdict.reasons), RemoveCheckFile{path}));
    }
    return plan;
  }
  if (!observed.docroot_exists) {
    plan.waiting_for = "docroot " + docroot_of(path) + " to exist";
    return plan;
  }
  if (!observed.exists) {
    plan.actions.push_back(
        make_action<CheckFileAction>("create " + path + " (node healthy)", WriteCheckFile{path}));
    return plan;
  }
  std::vector<std::string> differs;
  if (!observed.is_regular) differs.push_back("not a regular file");
  else {
    if (observed.content != kCheckFileContent) differs.push_back("content");
    if ((observed.mode & 07777) != kCheckFileMode) differs.push_back("mode");
    if (observed.uid != 0 || observed.gid != 0) differs.push_back("owner");
  }
  if (!differs.empty()) {
    plan.actions.push_back(make_action<CheckFileAction>(
        "rewrite " + path + " (node healthy; " + join_reasons(differs) + " differs)",
        WriteCheckFile{path}));
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
  struct stat st {};
  observed.docroot_exists = ::stat(docroot_of(path).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
  if (::lstat(path.c_str(), &st) == 0) {
    observed.exists = true;
    observed.is_directory = S_ISDIR(st.st_mode);
    observed.is_regular = S_ISREG(st.st_mode);
    observed.mode = st.st_mode & 07777;
    observed.uid = st.st_uid;
    observed.gid = st.st_gid;
    if (observed.is_regular) {
      auto content = common::read_optional_file(path);
      if (!content) return content.status();
      observed.content = content->value_or("");
    }
  } else if (errno != ENOENT) {
    return Status::error("lstat " + path + ": " + common::errno_text(errno));
  }
  return plan_check_file(path, observed);
}

namespace {

Status apply_step(const PassContext& /*ctx*/, const RemoveCheckFile& step) {
  if (::unlink(step.path.c_str()) != 0 && errno != ENOENT) {
    return Status::error("remove " + step.path + ": " + common::errno_text(errno));
  }
  return Status::ok();
}

Status apply_step(const PassContext& ctx, const WriteCheckFile& step) {
  // The verdict may have turned since the plan: never advertise a node that just became
  // unhealthy; the next pass removes or creates as the verdict then says.
  if (ctx.health == nullptr || !ctx.health->verdict().healthy) return Status::ok();
  return common::write_file_atomically(step.path, kCheckFileContent, kCheckFileMode, 0, 0);
}

}  // namespace

Status CheckFileResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<CheckFileAction>(name(), action,
                                       [&](const auto& step) { return apply_step(ctx, step); });
}

}  // namespace pydio::agent
