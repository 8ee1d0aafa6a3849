#include "agent/resources/fstab_action.hpp"

namespace pydio::agent {

std::string describe_fstab_entry(const common::FstabEntry& entry) {
  return "set fstab entry \"" + common::format_fstab_line(entry) + "\"";
}

common::Status apply_fstab_entry(const std::string& fstab_path, const SetFstabEntry& step) {
  return common::ensure_fstab_entry(fstab_path, step.entry);
}

}  // namespace pydio::agent
