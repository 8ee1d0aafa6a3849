#pragma once
// The distribution packages a node's roles need (php_settings.hpp, packages_for_roles): PHP for
// Apache with Pydio's extensions and ImageMagick on compute nodes, haproxy on lb nodes and on
// compute nodes when the database is a Galera cluster (their local database proxy); none on
// db-only or storage-only nodes. Observed with one `dpkg-query -W` call; missing ones are
// installed with `apt-get install -y --no-install-recommends` when agent.json's installPackages
// is true (the default), otherwise reported by name and never installed.

#include <string>
#include <variant>
#include <vector>

#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

struct InstallPackages {
  static constexpr const char* kKind = "install-packages";
  std::vector<std::string> names;
};
using PackagesAction = std::variant<InstallPackages>;

// Pure: nothing to do when nothing is missing; an install when allowed; else an error naming
// the missing packages and how to install them.
common::Expected<Plan> plan_packages(const std::vector<std::string>& missing, bool install_allowed);

class PackagesResource : public Resource {
 public:
  std::string name() const override { return "packages"; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;
};

}  // namespace pydio::agent
