#pragma once
// Which resources this node manages under a desired state, in dependency order (a resource is
// listed after everything it depends on). The set follows the document: one volume and one
// FUSE mount per volume, one data brick per device brick of this node.

#include <memory>
#include <string>
#include <vector>

#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

std::vector<std::unique_ptr<Resource>> build_resources(const common::DesiredState& desired,
                                                       const std::string& node_name);

// The names build_resources() would produce; the daemon rebuilds its reconciler when they change.
std::vector<std::string> resource_names(const common::DesiredState& desired,
                                        const std::string& node_name);

}  // namespace pydio::agent
