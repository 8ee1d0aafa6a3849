#pragma once
// A MySQL account the agent manages (the Pydio database user, the agents' lease user):
// the user exists for exactly the desired host patterns, with the desired password, and holds
// exactly the desired privileges on one database (`db`.* with '_' escaped so it is not a
// wildcard) plus USAGE on *.*: nothing global, no GRANT OPTION, no roles.
// observe_account() reads mysql.user and SHOW GRANTS; plan_account() is pure; apply runs one
// action. Passwords never appear in actions (plans are printed) nor in errors.

#include <string>
#include <variant>
#include <vector>

#include "agent/host/mysql_session.hpp"
#include "agent/reconcile/resource.hpp"
#include "common/status.hpp"

namespace pydio::agent {

struct AccountSpec {
  std::string user;
  std::vector<std::string> hosts;       // MySQL host patterns; the user on other hosts is dropped
  std::string database;                 // privileges on this database only
  std::vector<std::string> privileges;  // e.g. {"ALL PRIVILEGES"}, {"SELECT", "INSERT"}
};

struct AccountHostObservation {
  std::string host;
  bool password_matches = false;
  std::vector<std::string> grants;  // SHOW GRANTS FOR user@host, one line each
};

struct AccountObservation {
  std::vector<AccountHostObservation> hosts;  // every host the user exists for
};

struct ParsedGrant {
  bool is_privilege_grant = false;  // false for role grants ("GRANT `r` TO ...") and PROXY
  std::vector<std::string> privileges;  // upper case, e.g. {"SELECT", "INSERT"}
  std::string object;                   // as printed, e.g. "*.*" or "`pydio`.*"
  bool with_grant_option = false;
};

// Parses one line of SHOW GRANTS (MariaDB 10.11 format).
ParsedGrant parse_grant(const std::string& line);
// "`pydio\_agent`.*": the GRANT object for exactly this database.
std::string grant_object(const std::string& database);
// Empty when the grants are exactly what `spec` wants; else what is wrong, for the plan line.
std::string grants_problem(const AccountSpec& spec, const std::vector<std::string>& grants);

// The account actions (see action.hpp). They carry user, host, database and privileges,
// never the password (apply_account_action is given it).
struct CreateUser {
  static constexpr const char* kKind = "create-user";
  std::string user;
  std::string host;
};
struct SetPassword {
  static constexpr const char* kKind = "set-password";
  std::string user;
  std::string host;
};
struct GrantPrivileges {
  static constexpr const char* kKind = "grant";
  std::string user;
  std::string host;
  std::string database;
  std::vector<std::string> privileges;
};
struct ResetGrants {  // revoke everything (roles too), then grant `grant`
  static constexpr const char* kKind = "reset-grants";
  GrantPrivileges grant;
};
struct DropUser {
  static constexpr const char* kKind = "drop-user";
  std::string user;
  std::string host;
};
using AccountAction = std::variant<CreateUser, SetPassword, GrantPrivileges, ResetGrants, DropUser>;

// Actions with an AccountAction payload, in order.
std::vector<Action> plan_account(const AccountSpec& spec, const AccountObservation& observed);

common::Expected<AccountObservation> observe_account(MysqlSession& session,
                                                     const std::string& user,
                                                     const std::string& password);
// True when `action` is one plan_account() makes (its payload is an AccountAction).
bool is_account_action(const Action& action);
// Runs an action plan_account() made; any other action is an error naming it.
common::Status apply_account_action(MysqlSession& session, const Action& action,
                                    const std::string& password);

}  // namespace pydio::agent
