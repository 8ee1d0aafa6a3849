// The top level of a desired-state document, and parse_desired_state().

#include <memory>
#include <utility>

#include "common/desired_state.hpp"
#include "common/desired_state/cross_checks.hpp"
#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"

namespace pydio::common {

namespace desired_state {
namespace {

using nlohmann::json;

DesiredState read_document(const json& document, ErrorLines& errors) {
  DesiredState state;
  ObjectReader root(document, "", errors);
  if (!root.is_object()) return state;
  // Where editors find the JSON Schema (docs/schema/); nothing for the agent, never stored.
  root.string("$schema", Presence::kOptional);

  if (auto version = root.string("apiVersion", Presence::kRequired)) {
    if (accept(errors, "apiVersion", *version, api_version_problem)) state.api_version = *version;
  }
  if (auto generation = root.integer("generation", Presence::kRequired)) {
    if (auto problem = generation_problem(*generation)) {
      add_error(errors, "generation", *problem);
    } else {
      state.generation = *generation;
    }
  }
  if (const json* cluster = root.object("cluster", Presence::kRequired)) {
    ObjectReader reader(*cluster, "cluster", errors);
    if (auto name = reader.string("name", Presence::kRequired)) {
      if (is_name_ok(errors, "cluster.name", *name)) state.cluster_name = *name;
    }
    reader.finish(kSecretHint);
  }
  if (const json* nodes = root.array("nodes", Presence::kRequired)) {
    if (nodes->empty()) add_error(errors, "nodes", kNoNodes);
    for (std::size_t i = 0; i < nodes->size(); ++i) {
      state.nodes.push_back(read_node((*nodes)[i], json_element_path("nodes", i), errors));
    }
  }
  if (const json* volumes = root.array("volumes", Presence::kRequired)) {
    if (volumes->empty()) add_error(errors, "volumes", kNoVolumes);
    for (std::size_t i = 0; i < volumes->size(); ++i) {
      state.volumes.push_back(read_volume((*volumes)[i], json_element_path("volumes", i), errors));
    }
  }
  if (const json* web = root.object("web", Presence::kOptional)) {
    state.web = read_web(*web, errors);
  }
  const json* database = root.object("database", Presence::kOptional);
  if (const json* security = root.object("security", Presence::kOptional)) {
    state.security = read_security(*security, errors);
  }
  const json* load_balancer = root.object("loadBalancer", Presence::kOptional);
  if (load_balancer != nullptr) state.load_balancer = read_load_balancer(*load_balancer, errors);
  const bool database_ok = !root.has("database") || database != nullptr;
  const json* join_tokens = root.array("joinTokens", Presence::kOptional);
  root.finish(kSecretHint);

  check_nodes(state, errors);
  check_volumes(state, errors);
  if (!root.has("loadBalancer") || load_balancer != nullptr)
    check_load_balancer(state, load_balancer != nullptr, errors);
  check_php_placement(state, errors);
  check_release(state, errors);
  if (database_ok) {
    state.database = read_database(database, state, errors);
    check_backup(state, errors);
  }
  if (join_tokens != nullptr) state.join_tokens = read_join_tokens(*join_tokens, errors);
  return state;
}

}  // namespace
}  // namespace desired_state

ValidationResult parse_desired_state(const std::string& json_text) {
  ValidationResult result;
  auto document = parse_strict_json(json_text, result.errors);
  if (!document) return result;
  DesiredState state = desired_state::read_document(*document, result.errors);
  if (result.errors.empty()) {
    result.state = std::make_shared<const DesiredState>(std::move(state));
  }
  return result;
}

}  // namespace pydio::common
