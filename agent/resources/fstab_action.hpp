#pragma once
// The "fstab" action shared by the resources that keep an fstab entry (data bricks, FUSE
// mounts): planned when the entry is missing or differs, applied with libmount.

#include <optional>
#include <string>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "common/mount_table.hpp"

namespace pydio::agent {

// The action that makes `desired` the fstab entry of its target, or nullopt when `current`
// already has exactly that entry.
std::optional<Action> plan_fstab_entry(const std::vector<common::FstabEntry>& current,
                                       const common::FstabEntry& desired);

// Applies an action made by plan_fstab_entry() to the fstab at `fstab_path`.
common::Status apply_fstab_entry(const std::string& fstab_path, const Action& action);

}  // namespace pydio::agent
