#include "agent/resources/fstab_action.hpp"

namespace pydio::agent {

std::optional<Action> plan_fstab_entry(const std::vector<common::FstabEntry>& current,
                                       const common::FstabEntry& desired) {
  if (common::fstab_in_sync(current, desired)) return std::nullopt;
  return Action{"fstab", "set fstab entry \"" + common::format_fstab_line(desired) + "\"",
                {{"source", desired.source},
                 {"target", desired.target},
                 {"fstype", desired.fstype},
                 {"options", desired.options},
                 {"freq", desired.freq},
                 {"passno", desired.passno}}};
}

common::Status apply_fstab_entry(const std::string& fstab_path, const Action& action) {
  const auto& params = action.params;
  common::FstabEntry entry{params.at("source").get<std::string>(),
                           params.at("target").get<std::string>(),
                           params.at("fstype").get<std::string>(),
                           params.at("options").get<std::string>(),
                           params.at("freq").get<int>(),
                           params.at("passno").get<int>()};
  return common::ensure_fstab_entry(fstab_path, entry);
}

}  // namespace pydio::agent
