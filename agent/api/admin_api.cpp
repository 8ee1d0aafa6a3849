#include "agent/api/admin_api.hpp"

#include <functional>
#include <map>
#include <optional>
#include <vector>

#include "agent/api/browser_guard.hpp"
#include "agent/api/status_page.hpp"
#include "agent/cluster/join_token.hpp"

#include "common/text.hpp"

namespace pydio::agent::api {

namespace http = boost::beast::http;
using nlohmann::json;

namespace {

// One route: the method it answers and what it does.
struct Route {
  http::verb method;
  std::function<Response(const Request&, AdminBackend&)> handle;
};
// Every method a path answers (most answer one).
using Routes = std::vector<Route>;

Response backend_failure(const Request& request, const common::Status& status) {
  return error_response(request, http::status::internal_server_error, status.message());
}

Response get_status(const Request& request, AdminBackend& backend) {
  return json_response(request, http::status::ok,
                       backend.status(query_parameter(request, "cluster") == "1"));
}

Response get_plan(const Request& request, AdminBackend& backend) {
  auto plan = backend.plan();
  if (!plan) return backend_failure(request, plan.status().with_context("plan"));
  return json_response(request, http::status::ok, *plan);
}

Response post_reconcile(const Request& request, AdminBackend& backend) {
  backend.request_reconcile();
  return json_response(request, http::status::accepted, {{"requested", true}});
}

Response post_drain(const Request& request, AdminBackend& backend) {
  std::string reason;
  if (!request.body().empty()) {
    const json body = json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
    if (body.is_discarded() || !body.is_object()) {
      return error_response(request, http::status::bad_request,
                            "body: expected a JSON object like {\"reason\":\"...\"}");
    }
    if (const auto it = body.find("reason"); it != body.end() && !it->is_null()) {
      if (!it->is_string()) {
        return error_response(request, http::status::bad_request, "reason: must be a string");
      }
      reason = it->get<std::string>();
    }
  }
  if (common::Status st = backend.drain(reason); !st) {
    return backend_failure(request, st.with_context("drain"));
  }
  return json_response(request, http::status::ok, {{"draining", true}, {"reason", reason}});
}

Response post_undrain(const Request& request, AdminBackend& backend) {
  if (common::Status st = backend.undrain(); !st) {
    return backend_failure(request, st.with_context("undrain"));
  }
  return json_response(request, http::status::ok, {{"draining", false}});
}

// ?after=SEQ: the events after the one numbered SEQ (agentctl events --follow).
Response get_events_after(const Request& request, AdminBackend& backend, const std::string& text) {
  const bool digits = !text.empty() && text.size() <= 19 &&
                      text.find_first_not_of("0123456789") == std::string::npos;
  if (!digits) {
    return error_response(request, http::status::bad_request,
                          "after: must be an event number (a whole number, 0 or more)");
  }
  if (!query_parameter(request, "n").empty()) {
    return error_response(request, http::status::bad_request, "n and after: give one, not both");
  }
  return json_response(request, http::status::ok, backend.events_after(std::stoull(text)));
}

Response get_events(const Request& request, AdminBackend& backend) {
  if (has_query_parameter(request, "after")) {
    return get_events_after(request, backend, query_parameter(request, "after"));
  }
  int count = kDefaultEventCount;
  const std::string text = query_parameter(request, "n");
  if (!text.empty()) {
    const bool digits =
        text.size() <= 6 && text.find_first_not_of("0123456789") == std::string::npos;
    count = digits ? std::stoi(text) : 0;
    if (count < 1 || count > kMaxEventCount) {
      return error_response(
          request, http::status::bad_request,
          "n: must be a whole number from 1 to " + std::to_string(kMaxEventCount));
    }
  }
  return json_response(request, http::status::ok, backend.events(count));
}

Response post_desired_state(const Request& request, AdminBackend& backend) {
  if (request.body().empty()) {
    return error_response(request, http::status::bad_request,
                          "body: expected a desired-state document");
  }
  auto result = backend.submit_desired_state(request.body());
  if (!result) return backend_failure(request, result.status().with_context("desired state"));
  if (!result->errors.empty() && result->forbidden) {
    return error_response(request, http::status::forbidden, common::join(result->errors, "; "));
  }
  if (!result->errors.empty() && result->conflict) {
    return json_response(
        request, http::status::conflict,
        {{"error", "conflict"}, {"errors", result->errors}, {"generation", result->generation}});
  }
  if (!result->errors.empty()) {
    return json_response(request, http::status::unprocessable_entity,
                         {{"error", "invalid desired state"},
                          {"errors", result->errors},
                          {"generation", result->generation}});
  }
  json body = {{"accepted", true}, {"generation", result->generation}};
  if (!result->join_command.empty()) body["joinCommand"] = result->join_command;
  return json_response(request, http::status::ok, body);
}

Response post_join(const Request& request, AdminBackend& backend) {
  const json body = json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("peer") ||
      !body["peer"].is_string() || !body.contains("token") || !body["token"].is_string()) {
    return error_response(request, http::status::bad_request,
                          "body: expected {\"peer\":\"...\",\"token\":\"...\"}");
  }
  JoinOptions options;
  options.peer = body["peer"].get<std::string>();
  options.token = body["token"].get<std::string>();
  if (auto pin = body.find("caCertHash"); pin != body.end() && pin->is_string())
    options.ca_cert_hash = pin->get<std::string>();
  if (auto replace = body.find("replaceSigningKey"); replace != body.end()) {
    if (!replace->is_boolean())
      return error_response(request, http::status::bad_request, "replaceSigningKey: must be a boolean");
    options.replace_signing_key = replace->get<bool>();
  }
  if (auto roles = body.find("roles"); roles != body.end() && roles->is_array()) {
    for (const auto& role : *roles) {
      if (!role.is_string()) {
        return error_response(request, http::status::bad_request, "roles: must be strings");
      }
      options.roles.push_back(role.get<std::string>());
    }
  }
  if (auto device = body.find("device"); device != body.end() && device->is_string()) {
    options.device = device->get<std::string>();
  }
  JoinOutcome outcome = backend.join(options);
  return json_response(request, static_cast<http::status>(outcome.status), outcome.body);
}

Response answer(const Request& request, const AdminAnswer& answer) {
  return json_response(request, static_cast<http::status>(answer.status), answer.body);
}

Response get_desired_state(const Request& request, AdminBackend& backend) {
  return answer(request, backend.desired_state());
}

// The body as a JSON object; an empty body is an empty object.
std::optional<json> object_body(const Request& request) {
  if (request.body().empty()) return json::object();
  json body = json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object()) return std::nullopt;
  return body;
}

Response get_tokens(const Request& request, AdminBackend& backend) {
  return answer(request, backend.join_tokens());
}

Response post_token_create(const Request& request, AdminBackend& backend) {
  auto body = object_body(request);
  if (!body) {
    return error_response(request, http::status::bad_request,
                          "body: expected {\"ttlSeconds\": N, \"description\": \"...\"}");
  }
  // Only the bounds of join_token.hpp (header constants): this file stays free of OpenSSL.
  std::chrono::seconds ttl = kDefaultTokenTtl;
  if (auto it = body->find("ttlSeconds"); it != body->end()) {
    const bool whole = it->is_number_integer();
    ttl = std::chrono::seconds(whole ? it->get<std::int64_t>() : 0);
    if (!whole || ttl < kMinTokenTtl || ttl > kMaxTokenTtl) {
      return error_response(request, http::status::bad_request,
                            "ttlSeconds: must be a whole number of seconds from " +
                                std::to_string(kMinTokenTtl.count()) + " to " +
                                std::to_string(kMaxTokenTtl.count()));
    }
  }
  std::string description;
  if (auto it = body->find("description"); it != body->end()) {
    if (!it->is_string())
      return error_response(request, http::status::bad_request, "description: must be a string");
    description = it->get<std::string>();
  }
  return answer(request, backend.create_join_token(ttl, description));
}

Response post_token_delete(const Request& request, AdminBackend& backend) {
  auto body = object_body(request);
  if (!body || !body->contains("id") || !(*body)["id"].is_string()) {
    return error_response(request, http::status::bad_request,
                          "body: expected {\"id\": \"<token id>\"}");
  }
  return answer(request, backend.delete_join_token((*body)["id"].get<std::string>()));
}

Response post_upgrade(const Request& request, AdminBackend& backend) {
  return answer(request, backend.upgrade_from_legacy());
}

Response post_rotate_signing_key(const Request& request, AdminBackend& backend) {
  return answer(request, backend.rotate_signing_key());
}

Response post_rotate_ca(const Request& request, AdminBackend& backend) {
  return answer(request, backend.rotate_ca());
}

Response post_app_publish(const Request& request, AdminBackend& backend) {
  const json body = json::parse(request.body(), nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded() || !body.is_object() || !body.contains("path") ||
      !body["path"].is_string()) {
    return error_response(request, http::status::bad_request,
                          "body: expected {\"path\": \"/absolute/path/of/the/archive.tar.gz\"}");
  }
  return answer(request, backend.publish_release(body["path"].get<std::string>()));
}

Response post_db_bootstrap(const Request& request, AdminBackend& backend) {
  auto body = object_body(request);
  if (!body || !body->contains("node") || !(*body)["node"].is_string() ||
      (*body)["node"].get<std::string>().empty()) {
    return error_response(request, http::status::bad_request,
                          "body: expected {\"node\": \"<db node name>\"}");
  }
  return answer(request, backend.force_db_bootstrap((*body)["node"].get<std::string>()));
}

Response get_db_backups(const Request& request, AdminBackend& backend) {
  return answer(request, backend.db_backups());
}

Response post_db_restore(const Request& request, AdminBackend& backend) {
  auto body = object_body(request);
  const auto name = body ? body->find("name") : json::iterator();
  const auto confirmed = body ? body->find("confirmed") : json::iterator();
  if (!body || name == body->end() || !name->is_string() ||
      (confirmed != body->end() && !confirmed->is_boolean())) {
    return error_response(request, http::status::bad_request,
                          "body: expected {\"name\": \"<backup name>\", \"confirmed\": "
                          "true|false}");
  }
  const bool go = confirmed != body->end() && confirmed->get<bool>();
  return answer(request, backend.restore_db(name->get<std::string>(), go));
}

Response post_db_release(const Request& request, AdminBackend& backend) {
  return answer(request, backend.release_db_holds());
}

bool status_page_path(const std::string& path) { return path == "/" || path == "/status"; }

Response get_status_page(const Request& request, AdminBackend& backend) {
  return status_page_for_loopback(request, [&] { return backend.status_page_view(); });
}

const std::map<std::string, Routes>& routes() {
  static const std::map<std::string, Routes> kRoutes = {
      {"/v1/status", {{http::verb::get, get_status}}},
      {"/v1/plan", {{http::verb::get, get_plan}}},
      {"/v1/reconcile", {{http::verb::post, post_reconcile}}},
      {"/v1/drain", {{http::verb::post, post_drain}}},
      {"/v1/undrain", {{http::verb::post, post_undrain}}},
      {"/v1/events", {{http::verb::get, get_events}}},
      {"/v1/desired-state",
       {{http::verb::get, get_desired_state}, {http::verb::post, post_desired_state}}},
      {"/v1/join", {{http::verb::post, post_join}}},
      {"/v1/tokens", {{http::verb::get, get_tokens}}},
      {"/v1/tokens/create", {{http::verb::post, post_token_create}}},
      {"/v1/tokens/delete", {{http::verb::post, post_token_delete}}},
      {"/v1/upgrade", {{http::verb::post, post_upgrade}}},
      {"/v1/rotate/signing-key", {{http::verb::post, post_rotate_signing_key}}},
      {"/v1/rotate/ca", {{http::verb::post, post_rotate_ca}}},
      {"/v1/app/publish", {{http::verb::post, post_app_publish}}},
      {"/v1/db/bootstrap", {{http::verb::post, post_db_bootstrap}}},
      {"/v1/db/backups", {{http::verb::get, get_db_backups}}},
      {"/v1/db/restore", {{http::verb::post, post_db_restore}}},
      {"/v1/db/release", {{http::verb::post, post_db_release}}},
      {"/", {{http::verb::get, get_status_page}}},
      {"/status", {{http::verb::get, get_status_page}}},
  };
  return kRoutes;
}

}  // namespace

Response handle_admin_request(const Request& request, AdminBackend& backend) {
  const std::string path = target_path(request);
  if (from_browser(request) && !status_page_path(path)) {
    return error_response(request, http::status::forbidden,
                          "the admin API does not answer web browsers (only agentctl); the "
                          "status page is at /");
  }
  const auto it = routes().find(path);
  if (it == routes().end()) {
    return error_response(request, http::status::not_found, "no such endpoint: " + path);
  }
  std::vector<std::string> allowed;
  for (const Route& route : it->second) {
    if (request.method() == route.method) return route.handle(request, backend);
    allowed.emplace_back(http::to_string(route.method));
  }
  return method_not_allowed(request, common::join(allowed, ", "));
}

}  // namespace pydio::agent::api
