#include "agent/resources/pydio_bootstrap.hpp"

#include <nlohmann/json.hpp>

#include "common/database_address.hpp"

namespace pydio::agent {

using nlohmann::json;

namespace {

// With Galera, Pydio connects to the node's local database proxy (127.0.0.1:proxyPort).
json dibi_preconfiguration(const common::DatabaseSpec& database, const std::string& password) {
  const common::DatabaseAddress address = common::pydio_database_address(database);
  json dibi = {{"mysql_username", database.user}, {"mysql_password", password},
               {"mysql_host", address.host},      {"mysql_driver", "mysql"},
               {"mysql_database", database.name}, {"mysql_use_mysqli", true},
               {"group_switch_value", "mysql"}};
  if (address.port != 3306) dibi["mysql_port"] = address.port;
  return dibi;
}

json sql_instance(const std::string& name) {
  return {{"instance_name", name},
          {"group_switch_value", name},
          {"SQL_DRIVER", {{"core_driver", "core"}, {"group_switch_value", "core"}}}};
}

}  // namespace

common::Expected<std::optional<std::string>> bootstrap_json(
    const common::DatabaseSpec& database, const std::string& password,
    const std::optional<std::string>& existing) {
  const json dibi = dibi_preconfiguration(database, password);
  if (!existing) {
    json fresh = {
        {"core.conf",
         {{"UNIQUE_INSTANCE_CONFIG", sql_instance("conf.sql")}, {"DIBI_PRECONFIGURATION", dibi}}},
        {"core.auth", {{"MASTER_INSTANCE_CONFIG", sql_instance("auth.sql")}}}};
    return std::optional<std::string>(fresh.dump(2) + "\n");
  }
  json parsed = json::parse(*existing, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object())
    return common::Status::error("bootstrap.json: not a JSON object; not overwriting it");
  json& conf = parsed["core.conf"];
  if (!conf.is_object()) conf = json::object();
  if (conf.contains("DIBI_PRECONFIGURATION") && conf["DIBI_PRECONFIGURATION"] == dibi)
    return std::optional<std::string>();
  conf["DIBI_PRECONFIGURATION"] = dibi;
  return std::optional<std::string>(parsed.dump(2) + "\n");
}

}  // namespace pydio::agent
