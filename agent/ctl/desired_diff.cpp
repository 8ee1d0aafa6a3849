#include "agent/ctl/desired_diff.hpp"

#include <algorithm>
#include <cctype>
#include <sstream>

namespace pydio::agent::ctl {

using nlohmann::ordered_json;

namespace {

// Lists whose elements are objects named by a member: compared by that name, not by position.
const char* element_key(const ordered_json& list) {
  for (const char* key : {"name", "id"}) {
    const bool named = !list.empty() && std::all_of(list.begin(), list.end(), [&](const auto& e) {
      return e.is_object() && e.contains(key) && e[key].is_string();
    });
    if (named) return key;
  }
  return nullptr;
}

bool all_plain(const ordered_json& list) {
  return std::all_of(list.begin(), list.end(),
                     [](const auto& e) { return !e.is_object() && !e.is_array(); });
}

std::string member_path(const std::string& parent, const std::string& key) {
  const bool plain = !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '$';
  });
  if (!plain) return parent + "[" + ordered_json(key).dump() + "]";
  return parent.empty() ? key : parent + "." + key;
}

ordered_json names_of(const ordered_json& list, const char* key) {
  ordered_json names = ordered_json::array();
  for (const auto& element : list) names.push_back(element[key]);
  return names;
}

void compare(const ordered_json& before, const ordered_json& after, const std::string& path,
             std::vector<FieldChange>& out);

void compare_named(const ordered_json& before, const ordered_json& after, const char* key,
                   const std::string& path, std::vector<FieldChange>& out) {
  const auto find = [&](const ordered_json& list, const ordered_json& name) -> const ordered_json* {
    for (const auto& element : list)
      if (element[key] == name) return &element;
    return nullptr;
  };
  ordered_json kept_before = ordered_json::array();
  for (const auto& element : before) {
    const std::string element_path = path + "[" + element[key].get<std::string>() + "]";
    if (const ordered_json* other = find(after, element[key])) {
      kept_before.push_back(element[key]);
      compare(element, *other, element_path, out);
    } else {
      out.push_back({FieldChange::Kind::kRemoved, element_path, element, nullptr});
    }
  }
  ordered_json kept_after = ordered_json::array();
  for (const auto& element : after) {
    if (find(before, element[key]) != nullptr) {
      kept_after.push_back(element[key]);
    } else {
      out.push_back({FieldChange::Kind::kAdded, path + "[" + element[key].get<std::string>() + "]",
                     nullptr, element});
    }
  }
  // The order of nodes is the order of bricks in the volumes: a change of it is a change.
  if (kept_before != kept_after)
    out.push_back({FieldChange::Kind::kChanged, path, names_of(before, key), names_of(after, key)});
}

void compare_plain(const ordered_json& before, const ordered_json& after, const std::string& path,
                   std::vector<FieldChange>& out) {
  const auto contains = [](const ordered_json& list, const ordered_json& value) {
    return std::find(list.begin(), list.end(), value) != list.end();
  };
  std::size_t changes = out.size();
  for (const auto& value : before)
    if (!contains(after, value))
      out.push_back({FieldChange::Kind::kItemRemoved, path, value, nullptr});
  for (const auto& value : after)
    if (!contains(before, value))
      out.push_back({FieldChange::Kind::kItemAdded, path, nullptr, value});
  // Same values in another order (or repeated differently): shown whole.
  if (changes == out.size() && before != after)
    out.push_back({FieldChange::Kind::kChanged, path, before, after});
}

void compare(const ordered_json& before, const ordered_json& after, const std::string& path,
             std::vector<FieldChange>& out) {
  if (before == after) return;
  if (before.is_object() && after.is_object()) {
    for (const auto& [key, value] : before.items()) {
      if (path.empty() && key == "generation") continue;
      const std::string child = member_path(path, key);
      if (after.contains(key)) {
        compare(value, after[key], child, out);
      } else {
        out.push_back({FieldChange::Kind::kRemoved, child, value, nullptr});
      }
    }
    for (const auto& [key, value] : after.items()) {
      if (path.empty() && key == "generation") continue;
      if (!before.contains(key))
        out.push_back({FieldChange::Kind::kAdded, member_path(path, key), nullptr, value});
    }
    return;
  }
  if (before.is_array() && after.is_array()) {
    const char* key = element_key(before.empty() ? after : before);
    if (key != nullptr && (before.empty() || element_key(before) == key) &&
        (after.empty() || element_key(after) == key)) {
      compare_named(before, after, key, path, out);
      return;
    }
    if (all_plain(before) && all_plain(after)) {
      compare_plain(before, after, path, out);
      return;
    }
  }
  out.push_back({FieldChange::Kind::kChanged, path, before, after});
}

ordered_json as_json(const common::DesiredState& state) {
  return ordered_json::parse(common::serialize_desired_state(state));
}

}  // namespace

std::vector<FieldChange> diff_fields(const ordered_json& before, const ordered_json& after) {
  std::vector<FieldChange> out;
  compare(before, after, "", out);
  return out;
}

DesiredDiff diff_desired(const common::DesiredState& before, const common::DesiredState& after) {
  DesiredDiff diff;
  diff.fields = diff_fields(as_json(before), as_json(after));
  diff.impact = impact_of(diff.fields, before, after);
  return diff;
}

std::string format_diff(const DesiredDiff& diff, const std::string& from, const std::string& to) {
  if (diff.empty()) return "no change: " + to + " is the same as " + from + "\n";
  std::ostringstream out;
  out << "--- " << from << "\n+++ " << to << "\n";
  for (const FieldChange& change : diff.fields) {
    switch (change.kind) {
      case FieldChange::Kind::kChanged:
        out << "~ " << change.path << ": " << change.before.dump() << " -> " << change.after.dump()
            << "\n";
        break;
      case FieldChange::Kind::kAdded:
        out << "+ " << change.path << ": " << change.after.dump() << "\n";
        break;
      case FieldChange::Kind::kRemoved:
        out << "- " << change.path << ": " << change.before.dump() << "\n";
        break;
      case FieldChange::Kind::kItemAdded:
        out << "+ " << change.path << "[]: " << change.after.dump() << "\n";
        break;
      case FieldChange::Kind::kItemRemoved:
        out << "- " << change.path << "[]: " << change.before.dump() << "\n";
        break;
    }
  }
  if (!diff.impact.empty()) {
    out << "touches:\n";
    for (const std::string& line : diff.impact) out << "  " << line << "\n";
  }
  return out.str();
}

}  // namespace pydio::agent::ctl
