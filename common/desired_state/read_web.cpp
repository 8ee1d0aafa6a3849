// The "web" section of a desired-state document (Apache and the Pydio docroot).

#include <algorithm>

#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"
#include "common/field_checks.hpp"

namespace pydio::common::desired_state {

using nlohmann::json;

WebSpec read_web(const json& value, ErrorLines& errors) {
  WebSpec web;
  ObjectReader reader(value, "web", errors);
  if (auto docroot = reader.string("docroot", Presence::kOptional)) {
    if (is_path_ok(errors, "web.docroot", *docroot)) web.docroot = *docroot;
  }
  if (auto alias = reader.string("alias", Presence::kOptional)) {
    if (accept(errors, "web.alias", *alias, alias_problem)) web.alias = *alias;
  }
  if (auto health_file = reader.string("healthFile", Presence::kOptional)) {
    if (accept(errors, "web.healthFile", *health_file, health_file_problem)) {
      web.health_file = *health_file;
    }
  }
  if (auto user = reader.string("user", Presence::kOptional)) {
    if (accept(errors, "web.user", *user,
               [](const std::string& v) { return web_account_problem(v, "user"); })) {
      web.user = *user;
    }
  }
  if (auto group = reader.string("group", Presence::kOptional)) {
    if (accept(errors, "web.group", *group,
               [](const std::string& v) { return web_account_problem(v, "group"); })) {
      web.group = *group;
    }
  }
  if (auto public_url = reader.string("publicUrl", Presence::kOptional)) {
    const UrlHost parsed = url_host(*public_url);
    if (parsed.problem) {
      add_error(errors, "web.publicUrl", *parsed.problem);
    } else if (auto php = php_literal_problem(*public_url)) {
      add_error(errors, "web.publicUrl", *php);
    } else {
      web.public_url = *public_url;
      web.server_name = parsed.host;  // default; an explicit serverName replaces it
    }
  }
  if (auto server_name = reader.string("serverName", Presence::kOptional)) {
    if (accept(errors, "web.serverName", *server_name, check_host)) {
      web.server_name = *server_name;
    } else {
      web.server_name.clear();
    }
  }
  if (const json* proxies = reader.array("trustedProxies", Presence::kOptional))
    web.trusted_proxies = read_trusted_proxies(*proxies, errors);
  // Operator-installed Pydio: where it is and where its node-local cache goes.
  for (const auto& [key, field] :
       {std::pair<const char*, std::string WebSpec::*>{"installDir", &WebSpec::install_dir},
        {"confDir", &WebSpec::conf_dir},
        {"localCacheDir", &WebSpec::local_cache_dir}}) {
    if (auto value = reader.string(key, Presence::kOptional)) {
      if (accept(errors, std::string("web.") + key, *value, pydio_path_problem)) {
        web.*field = *value;
      }
    }
  }
  if (const json* php = reader.object("php", Presence::kOptional)) web.php = read_php(*php, errors);
  if (auto seconds = reader.integer("drainSeconds", Presence::kOptional))
    web.drain_seconds = static_cast<int>(std::clamp<std::int64_t>(*seconds, -1, 1 << 30));
  if (const json* release = reader.object("release", Presence::kOptional))
    web.release = read_release(*release, errors);
  if (const json* rollout = reader.object("rollout", Presence::kOptional))
    web.rollout = read_rollout(*rollout, errors);
  reader.finish(kSecretHint);
  check_release_fields(web, errors);
  return web;
}

}  // namespace pydio::common::desired_state
