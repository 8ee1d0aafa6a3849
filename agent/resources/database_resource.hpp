#pragma once
// Resource "database" (on the node with role db): the Pydio database exists (CREATE DATABASE IF NOT
// EXISTS) and its user DatabaseSpec::user exists for exactly the desired allowedHosts patterns,
// with Secrets::db_password, holding ALL PRIVILEGES on that database only: nothing on *.*, no GRANT
// OPTION (see mysql_account.hpp). The user on a host pattern no longer allowed is dropped.
//
// It runs on the db node, not on the leader: there the agent is root on the server over the
// local unix socket (unix_socket authentication), so no database administrator credential
// ever exists on the network or on another node. Every action is idempotent (IF NOT EXISTS,
// re-observed grants), so no election is needed to keep it safe.

#include <optional>
#include <string>
#include <variant>

#include "agent/host/mysql_account.hpp"
#include "agent/reconcile/resource.hpp"

namespace pydio::agent {

// The resource's own action (see action.hpp); the account actions are mysql_account.hpp's.
struct CreateDatabase {
  static constexpr const char* kKind = "create-database";
  std::string database;
};
using DatabaseAction = std::variant<CreateDatabase>;

struct MysqlCredentials {
  std::string user;
  std::string password;
};

struct DatabaseObservation {
  bool database_exists = false;
  AccountObservation user;
};

struct DatabaseDesired {
  std::string database;
  AccountSpec user;  // privileges {"ALL PRIVILEGES"} on database
  bool password_set = false;
};

DatabaseDesired desired_database(const PassContext& ctx);
// Pure. Actions (kind): create-database, then the account actions of plan_account().
Plan plan_database(const DatabaseDesired& desired, const DatabaseObservation& observed);

class DatabaseResource : public Resource {
 public:
  explicit DatabaseResource(std::optional<MysqlCredentials> remote_admin = std::nullopt)
      : remote_admin_(std::move(remote_admin)) {}

  std::string name() const override { return "database"; }
  // The local server on a db node. On other nodes "db-server" does not apply there, and
  // the reconciler must treat a dependency that does not apply to the node as satisfied.
  std::vector<std::string> depends_on() const override { return {"db-server"}; }
  bool applies_to(const PassContext& ctx) const override;
  common::Expected<Plan> observe_and_plan(const PassContext& ctx) const override;
  common::Status apply(const PassContext& ctx, const Action& action) override;

 private:
  std::optional<MysqlCredentials> remote_admin_;
};

}  // namespace pydio::agent
