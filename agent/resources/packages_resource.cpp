#include "agent/resources/packages_resource.hpp"

#include "agent/resources/php_settings.hpp"

namespace pydio::agent {

using common::Command;
using common::Expected;
using common::Status;

namespace {

constexpr std::chrono::seconds kQueryTimeout{30};
// Downloading and unpacking PHP with its extensions and ImageMagick on a slow mirror.
constexpr std::chrono::seconds kInstallTimeout{600};

std::string joined(const std::vector<std::string>& names, const char* separator) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : separator) + name;
  return text;
}

}  // namespace

Expected<Plan> plan_packages(const std::vector<std::string>& missing, bool install_allowed) {
  Plan plan;
  if (missing.empty()) return plan;
  if (!install_allowed) {
    return Status::error("packages missing: " + joined(missing, ", ") +
                         " (installPackages is false in agent.json: install them with apt-get "
                         "install --no-install-recommends " +
                         joined(missing, " ") + ")");
  }
  plan.actions.push_back(
      make_action<PackagesAction>("install packages " + joined(missing, " ") +
                                      " (apt-get install -y --no-install-recommends, up to " +
                                      std::to_string(kInstallTimeout.count()) + " s)",
                                  InstallPackages{missing}));
  return plan;
}

bool PackagesResource::applies_to(const PassContext& ctx) const {
  return ctx.self != nullptr && !packages_for_roles(*ctx.self, ctx.desired->web.php.version,
                                                    ctx.desired->database.galera())
                                     .empty();
}

Expected<Plan> PackagesResource::observe_and_plan(const PassContext& ctx) const {
  if (ctx.runner == nullptr || ctx.local == nullptr || ctx.self == nullptr)
    return Status::error("packages: pass context lacks runner, local config or node");
  const std::vector<std::string> wanted =
      packages_for_roles(*ctx.self, ctx.desired->web.php.version, ctx.desired->database.galera());
  std::vector<std::string> argv = {"dpkg-query", "-W", "-f=${Package} ${Status}\n"};
  argv.insert(argv.end(), wanted.begin(), wanted.end());
  Command query(argv, kQueryTimeout);
  common::RunResult result = ctx.runner->run(query);
  // Exit 1 with "no packages found matching X" on stderr: X was never installed.
  const bool some_unknown =
      result.exit_code == 1 && result.err.find("no packages found") != std::string::npos;
  if (!result.succeeded() && !some_unknown)
    return Status::error("dpkg-query: " + result.describe_failure(query.argv));
  return plan_packages(missing_packages(wanted, installed_packages(result.out)),
                       ctx.local->install_packages);
}

Status PackagesResource::apply(const PassContext& ctx, const Action& action) {
  return visit_action<PackagesAction>(name(), action, [&](const InstallPackages& step) {
    std::vector<std::string> argv = {"apt-get", "install", "-y", "--no-install-recommends"};
    argv.insert(argv.end(), step.names.begin(), step.names.end());
    Command install(argv, kInstallTimeout);
    install.extra_env["DEBIAN_FRONTEND"] = "noninteractive";
    common::RunResult result = ctx.runner->run(install);
    if (result.succeeded()) return Status::ok();
    return Status::error("install packages " + joined(step.names, " ") + ": " +
                         result.describe_failure(install.argv));
  });
}

}  // namespace pydio::agent
