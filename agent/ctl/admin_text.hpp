#pragma once
// Human-readable renderings of the admin API's JSON documents (shapes in admin_api.hpp), as
// agentctl prints them. Pure; tolerant of missing fields (printed as "-"), so an older daemon
// still gets readable output.

#include <nlohmann/json.hpp>
#include <string>

namespace pydio::agent::api {

// Node, leader and term, desired generation (with the rejection error if any), drain and
// health, then a table NAME STATE LAST-ERROR.
std::string format_status(const nlohmann::json& status);
// The "cluster" part of a status document: nodes, leader, volumes, what the cluster waits for.
std::string format_cluster(const nlohmann::json& cluster);
// ["storage","compute"] -> "storage,compute"; "no role" when empty.
std::string format_roles(const nlohmann::json& roles);

// One line per action "resource: description"; "resource: waiting for X" and
// "resource: cannot observe: E" lines; "nothing to do" when no resource has an action.
std::string format_plan(const nlohmann::json& plan);

// One line per event: time, resource, action, outcome, duration, message.
std::string format_events(const nlohmann::json& events);
// One event on one line, unaligned (agentctl events --follow prints them as they come).
std::string format_event_line(const nlohmann::json& event);

// A table ID EXPIRES DESCRIPTION of GET /v1/tokens ("expired" for an expired token); never
// anything else of a token (the answer holds no secret anyway).
std::string format_tokens(const nlohmann::json& answer);

// Lines "<path>: <problem>" from a 422 answer of POST /v1/desired-state.
std::string format_errors(const nlohmann::json& answer);

}  // namespace pydio::agent::api
