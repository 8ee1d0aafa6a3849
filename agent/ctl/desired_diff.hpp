#pragma once
// What a new desired-state document changes against the one in force, for `agentctl diff`,
// `apply` (when another change won) and `edit`: field by field (JSON paths, old -> new), and which
// resources on which nodes that touches. Pure: both documents are models the validator built.
//
// Paths: members joined with "." ("web.php.memoryLimit"), a member whose name is not a plain
// word in brackets (options["network.ping-timeout"]), elements of nodes, volumes, bricks and
// joinTokens by their name or id ("nodes[n3].roles", "volumes[pydio-data].replica"), items of a
// list of plain values as "+"/"-" lines of that list. `generation` is never a difference.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "common/desired_state.hpp"

namespace pydio::agent::ctl {

struct FieldChange {
  enum class Kind {
    kChanged,      // before -> after
    kAdded,        // a member or element that was not there: after
    kRemoved,      // a member or element that is gone: before
    kItemAdded,    // a value added to a list of plain values: after
    kItemRemoved,  // a value removed from such a list: before
  };
  Kind kind = Kind::kChanged;
  std::string path;
  nlohmann::ordered_json before;  // null for kAdded, kItemAdded
  nlohmann::ordered_json after;   // null for kRemoved, kItemRemoved
};

struct DesiredDiff {
  std::vector<FieldChange> fields;
  // One line per thing touched: "node n3 (storage, compute) added: ...", "php on n1, n2".
  std::vector<std::string> impact;
  bool empty() const { return fields.empty(); }
};

// The document `before` (in force) becoming `after`.
DesiredDiff diff_desired(const common::DesiredState& before, const common::DesiredState& after);

// The field changes of two JSON documents as diff_desired() compares them (exposed for tests).
std::vector<FieldChange> diff_fields(const nlohmann::ordered_json& before,
                                     const nlohmann::ordered_json& after);

// Which resources on which nodes `fields` touch (desired_impact.cpp).
std::vector<std::string> impact_of(const std::vector<FieldChange>& fields,
                                   const common::DesiredState& before,
                                   const common::DesiredState& after);

// "~ path: old -> new", "+ path: value", "- path: value", then "touches:" and the impact lines;
// "no change\n" when there is none. `from`/`to` name the two sides in the heading.
std::string format_diff(const DesiredDiff& diff, const std::string& from, const std::string& to);

}  // namespace pydio::agent::ctl
