#include "agent/resources/database_resource.hpp"

#include "agent/host/galera_status.hpp"

namespace pydio::agent {
namespace {

using common::Expected;
using common::Status;

constexpr std::chrono::seconds kAdminTimeout{5};

}  // namespace

DatabaseDesired desired_database(const PassContext& ctx) {
  const common::DatabaseSpec& spec = ctx.desired->database;
  DatabaseDesired desired;
  desired.database = spec.name;
  desired.user.user = spec.user;
  desired.user.hosts = spec.allowed_hosts;
  desired.user.database = spec.name;
  desired.user.privileges = {"ALL PRIVILEGES"};
  desired.password_set = ctx.secrets != nullptr && !ctx.secrets->db_password.empty();
  return desired;
}

Plan plan_database(const DatabaseDesired& desired, const DatabaseObservation& observed) {
  Plan plan;
  if (!observed.database_exists) {
    plan.actions.push_back(make_action<DatabaseAction>("create database " + desired.database,
                                                       CreateDatabase{desired.database}));
  }
  if (!desired.password_set) {
    if (plan.actions.empty()) plan.waiting_for = "db_password in the secrets file";
    return plan;
  }
  for (auto& action : plan_account(desired.user, observed.user)) {
    plan.actions.push_back(std::move(action));
  }
  return plan;
}

namespace {

Expected<std::unique_ptr<MysqlSession>> admin_session(
    const PassContext& ctx, const std::optional<MysqlCredentials>& remote_admin) {
  MysqlEndpoint endpoint;
  endpoint.connect_timeout = kAdminTimeout;
  endpoint.read_timeout = kAdminTimeout;
  endpoint.write_timeout = kAdminTimeout;
  if (ctx.self != nullptr && ctx.self->has_role(common::Role::kDb)) {
    endpoint.socket_path = ctx.local->mysql_socket;
    endpoint.user = "root";
  } else {
    const common::DatabaseSpec& spec = ctx.desired->database;
    if (!remote_admin) {
      return Status::error("no admin credentials for the database server " + spec.host + ":" +
                           std::to_string(spec.port) + " (this node has no db role)");
    }
    endpoint.host = spec.host;
    endpoint.port = spec.port;
    endpoint.user = remote_admin->user;
    endpoint.password = remote_admin->password;
  }
  return MysqlSession::connect(endpoint);
}

}  // namespace

bool DatabaseResource::applies_to(const PassContext& ctx) const {
  const common::DatabaseSpec& database = ctx.desired->database;
  return (!database.host.empty() || database.galera()) && ctx.self != nullptr &&
         ctx.self->has_role(common::Role::kDb);
}

Expected<Plan> DatabaseResource::observe_and_plan(const PassContext& ctx) const {
  const DatabaseDesired desired = desired_database(ctx);
  auto session = admin_session(ctx, remote_admin_);
  if (!session) return session.status().with_context("observe database");
  if (ctx.desired->database.galera()) {
    // Every member runs this resource; DDL replicates, so any member in a primary component
    // may do it, and one outside it could not.
    auto galera = read_galera_state(**session);
    if (!galera) return galera.status().with_context("observe database");
    if (!galera_serving(*galera)) {
      Plan plan;
      plan.waiting_for = "this Galera member to serve (" + galera_serving_problem(*galera) + ")";
      return plan;
    }
  }
  DatabaseObservation observed;
  auto schemata =
      (*session)->query("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
                        {desired.database});
  if (!schemata) return schemata.status().with_context("observe database");
  observed.database_exists = !schemata->empty();
  const std::string password = ctx.secrets != nullptr ? ctx.secrets->db_password : "";
  auto account = observe_account(**session, desired.user.user, password);
  if (!account) return account.status().with_context("observe database");
  observed.user = std::move(*account);
  return plan_database(desired, observed);
}

Status DatabaseResource::apply(const PassContext& ctx, const Action& action) {
  // Which action it is comes first: one that is not ours needs no session to be refused.
  if (is_account_action(action)) {
    auto session = admin_session(ctx, remote_admin_);
    if (!session) return session.status().with_context("database " + action.kind);
    const std::string password = ctx.secrets != nullptr ? ctx.secrets->db_password : "";
    return apply_account_action(**session, action, password)
        .with_context("database " + action.kind);
  }
  return visit_action<DatabaseAction>(name(), action, [&](const CreateDatabase& step) {
    const std::string context = "database " + action.kind;
    auto session = admin_session(ctx, remote_admin_);
    if (!session) return session.status().with_context(context);
    auto quoted = quote_identifier(step.database);
    if (!quoted) return quoted.status().with_context(context);
    auto created = (*session)->execute("CREATE DATABASE IF NOT EXISTS " + *quoted);
    return created.status().with_context(context);
  });
}

}  // namespace pydio::agent
