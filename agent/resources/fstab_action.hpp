#pragma once
// The "fstab" step shared by the resources that keep an fstab entry (data bricks, FUSE
// mounts): planned when the entry is missing or differs, applied with libmount. Each of those
// resources lists SetFstabEntry in its action variant.

#include <optional>
#include <string>
#include <vector>

#include "agent/reconcile/resource.hpp"
#include "common/mount_table.hpp"

namespace pydio::agent {

struct SetFstabEntry {
  static constexpr const char* kKind = "fstab";
  common::FstabEntry entry;  // the whole line for entry.target
};

// "set fstab entry \"<line>\"".
std::string describe_fstab_entry(const common::FstabEntry& entry);

// The action (payload: `Variant` holding a SetFstabEntry) that makes `desired` the fstab entry
// of its target, or nullopt when `current` already has exactly that entry.
template <typename Variant>
std::optional<Action> plan_fstab_entry(const std::vector<common::FstabEntry>& current,
                                       const common::FstabEntry& desired) {
  if (common::fstab_in_sync(current, desired)) return std::nullopt;
  return make_action<Variant>(describe_fstab_entry(desired), SetFstabEntry{desired});
}

// Makes step.entry the entry of its target in the fstab at `fstab_path`.
common::Status apply_fstab_entry(const std::string& fstab_path, const SetFstabEntry& step);

}  // namespace pydio::agent
