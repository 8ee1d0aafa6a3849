#include "agent/host/mysql_account.hpp"

#include <algorithm>
#include <cctype>
#include <set>

#include "common/text.hpp"

namespace pydio::agent {
namespace {

using common::Expected;
using common::Status;

std::string trim(const std::string& text) {
  std::size_t begin = 0;
  std::size_t end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

std::string upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Splits "SELECT, INSERT (a, b), UPDATE" at top-level commas (column lists stay whole).
std::vector<std::string> split_privileges(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      out.push_back(upper(trim(current)));
      current.clear();
    } else {
      current += c;
    }
  }
  if (!trim(current).empty()) out.push_back(upper(trim(current)));
  return out;
}

// Privilege keywords the agent may put into a GRANT: the spec comes from code, but a typo must
// not become SQL.
bool known_privilege(const std::string& privilege) {
  static const std::set<std::string> kKnown = {
      "ALL PRIVILEGES", "SELECT",  "INSERT",      "UPDATE",    "DELETE",
      "CREATE",         "DROP",    "INDEX",       "ALTER",     "CREATE TEMPORARY TABLES",
      "LOCK TABLES",    "EXECUTE", "CREATE VIEW", "SHOW VIEW", "CREATE ROUTINE",
      "ALTER ROUTINE",  "EVENT",   "TRIGGER",     "REFERENCES"};
  return kKnown.count(privilege) != 0;
}

std::string account_label(const std::string& user, const std::string& host) {
  return "'" + user + "'@'" + host + "'";
}

template <typename Step>
Action account_action(const std::string& description, Step step) {
  return make_action<AccountAction>(description, std::move(step));
}

GrantPrivileges grant_step(const AccountSpec& spec, const std::string& host) {
  return GrantPrivileges{spec.user, host, spec.database, spec.privileges};
}

Status grant(MysqlSession& session, const GrantPrivileges& step) {
  auto quoted = quote_identifier(step.database);
  if (!quoted) return quoted.status();
  if (step.privileges.empty()) return Status::error("grant: no privileges given");
  for (const auto& privilege : step.privileges) {
    if (!known_privilege(privilege)) return Status::error("grant: unknown privilege " + privilege);
  }
  auto done = session.execute("GRANT " + common::join(step.privileges, ", ") + " ON " +
                                  grant_object(step.database) + " TO ?@?",
                              {step.user, step.host});
  return done.status();
}

Status alter_password(MysqlSession& session, const std::string& user, const std::string& host,
                      const std::string& password) {
  auto altered = session.execute("ALTER USER ?@? IDENTIFIED BY ?", {user, host, password});
  return altered.status().with_context("set password of " + account_label(user, host));
}

Status reset_grants(MysqlSession& session, const GrantPrivileges& step) {
  const std::string& user = step.user;
  const std::string& host = step.host;
  const std::string label = account_label(user, host);
  auto revoked = session.execute("REVOKE ALL PRIVILEGES, GRANT OPTION FROM ?@?", {user, host});
  if (!revoked) return revoked.status().with_context("revoke from " + label);
  // Role grants are not covered by REVOKE ALL; drop them one by one.
  auto grants = session.query("SHOW GRANTS FOR ?@?", {user, host});
  if (!grants) return grants.status().with_context("reset grants of " + label);
  for (const auto& row : *grants) {
    const std::string line = row.columns.at(0).value_or("");
    const ParsedGrant parsed = parse_grant(line);
    if (parsed.is_privilege_grant || line.find(" ON ") != std::string::npos) continue;
    const std::size_t to = line.find(" TO ");
    if (to == std::string::npos || line.size() < 6) continue;
    const std::string role = trim(line.substr(6, to - 6));
    if (role.size() < 3 || role.front() != '`' || role.back() != '`') continue;
    auto named = quote_identifier(role.substr(1, role.size() - 2));
    if (!named) return named.status().with_context("reset grants of " + label);
    auto dropped = session.execute("REVOKE " + *named + " FROM ?@?", {user, host});
    if (!dropped) return dropped.status().with_context("reset grants of " + label);
  }
  return grant(session, step).with_context("grant to " + label);
}

// CREATE IF NOT EXISTS, then ALTER: converges whether or not the user appeared meanwhile.
Status apply_step(MysqlSession& session, const std::string& password, const CreateUser& step) {
  const std::string label = account_label(step.user, step.host);
  if (password.empty()) return Status::error("create-user " + label + ": empty password");
  auto created = session.execute("CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?",
                                 {step.user, step.host, password});
  if (!created) return created.status().with_context("create user " + label);
  return alter_password(session, step.user, step.host, password);
}

Status apply_step(MysqlSession& session, const std::string& password, const SetPassword& step) {
  const std::string label = account_label(step.user, step.host);
  if (password.empty()) return Status::error("set-password " + label + ": empty password");
  return alter_password(session, step.user, step.host, password);
}

Status apply_step(MysqlSession& session, const std::string& /*password*/,
                  const GrantPrivileges& step) {
  return grant(session, step).with_context("grant to " + account_label(step.user, step.host));
}

Status apply_step(MysqlSession& session, const std::string& /*password*/, const ResetGrants& step) {
  return reset_grants(session, step.grant);
}

Status apply_step(MysqlSession& session, const std::string& /*password*/, const DropUser& step) {
  auto dropped = session.execute("DROP USER IF EXISTS ?@?", {step.user, step.host});
  return dropped.status().with_context("drop user " + account_label(step.user, step.host));
}

}  // namespace

ParsedGrant parse_grant(const std::string& line_in) {
  ParsedGrant out;
  const std::string line = trim(line_in);
  if (upper(line.substr(0, 6)) != "GRANT ") return out;
  const std::size_t on = line.find(" ON ");
  const std::size_t to = line.find(" TO ");
  if (on == std::string::npos || to == std::string::npos || on > to) return out;  // a role
  out.privileges = split_privileges(line.substr(6, on - 6));
  if (out.privileges.size() == 1 && out.privileges[0] == "PROXY") {
    out.privileges.clear();
    return out;
  }
  out.is_privilege_grant = true;
  out.object = trim(line.substr(on + 4, to - on - 4));
  out.with_grant_option = upper(line).find(" WITH GRANT OPTION") != std::string::npos;
  return out;
}

std::string grant_object(const std::string& database) {
  std::string escaped;
  for (char c : database) {
    if (c == '_' || c == '%') escaped += '\\';
    escaped += c;
  }
  return "`" + escaped + "`.*";
}

std::string grants_problem(const AccountSpec& spec, const std::vector<std::string>& grants) {
  const std::string wanted_object = grant_object(spec.database);
  std::set<std::string> wanted(spec.privileges.begin(), spec.privileges.end());
  bool have_wanted = false;
  std::vector<std::string> extra;
  for (const auto& line : grants) {
    ParsedGrant parsed = parse_grant(line);
    if (!parsed.is_privilege_grant) {
      if (parsed.privileges.empty() && line.find(" TO ") != std::string::npos &&
          line.find(" ON ") == std::string::npos) {
        extra.push_back("a role");
      } else if (!line.empty()) {
        extra.push_back("PROXY");
      }
      continue;
    }
    if (parsed.with_grant_option) extra.push_back("GRANT OPTION on " + parsed.object);
    std::set<std::string> have(parsed.privileges.begin(), parsed.privileges.end());
    if (parsed.object == "*.*") {
      if (!(have.size() == 1 && *have.begin() == "USAGE")) {
        extra.push_back(common::join(parsed.privileges, ", ") + " on *.*");
      }
    } else if (parsed.object == wanted_object) {
      if (have == wanted) {
        have_wanted = true;
      } else {
        extra.push_back(common::join(parsed.privileges, ", ") + " on " + parsed.object);
      }
    } else {
      extra.push_back(common::join(parsed.privileges, ", ") + " on " + parsed.object);
    }
  }
  if (!extra.empty()) return "has " + common::join(extra, "; ");
  if (!have_wanted) return "lacks " + common::join(spec.privileges, ", ") + " on " + wanted_object;
  return "";
}

std::vector<Action> plan_account(const AccountSpec& spec, const AccountObservation& observed) {
  std::vector<Action> actions;
  const std::string privileges = common::join(spec.privileges, ", ");
  for (const auto& host : spec.hosts) {
    const std::string label = account_label(spec.user, host);
    auto found = std::find_if(observed.hosts.begin(), observed.hosts.end(),
                              [&](const AccountHostObservation& h) { return h.host == host; });
    if (found == observed.hosts.end()) {
      actions.push_back(account_action("create MySQL user " + label, CreateUser{spec.user, host}));
      actions.push_back(
          account_action("grant " + privileges + " on " + spec.database + ".* to " + label,
                         grant_step(spec, host)));
      continue;
    }
    if (!found->password_matches) {
      actions.push_back(
          account_action("set the password of MySQL user " + label, SetPassword{spec.user, host}));
    }
    const std::string problem = grants_problem(spec, found->grants);
    if (problem.rfind("lacks ", 0) == 0) {
      actions.push_back(
          account_action("grant " + privileges + " on " + spec.database + ".* to " + label,
                         grant_step(spec, host)));
    } else if (!problem.empty()) {
      actions.push_back(account_action("reset privileges of " + label + " (" + problem + ") to " +
                                           privileges + " on " + spec.database + ".*",
                                       ResetGrants{grant_step(spec, host)}));
    }
  }
  for (const auto& existing : observed.hosts) {
    if (std::find(spec.hosts.begin(), spec.hosts.end(), existing.host) != spec.hosts.end()) {
      continue;
    }
    actions.push_back(account_action(
        "drop MySQL user " + account_label(spec.user, existing.host) + " (host not allowed)",
        DropUser{spec.user, existing.host}));
  }
  return actions;
}

Expected<AccountObservation> observe_account(MysqlSession& session, const std::string& user,
                                             const std::string& password) {
  // The stored hash is compared with PASSWORD() on the server: the password never leaves the
  // agent in clear except over this admin connection, and the hash is never read into logs.
  auto rows = session.query(
      "SELECT Host, plugin IN ('mysql_native_password', '') AND authentication_string = "
      "PASSWORD(?) FROM mysql.user WHERE User = ? ORDER BY Host",
      {password, user});
  if (!rows) return rows.status().with_context("observe MySQL user '" + user + "'");
  AccountObservation out;
  for (const auto& row : *rows) {
    AccountHostObservation host;
    host.host = row.columns.at(0).value_or("");
    host.password_matches = !password.empty() && row.columns.at(1).value_or("0") == "1";
    auto grants = session.query("SHOW GRANTS FOR ?@?", {user, host.host});
    if (!grants) return grants.status().with_context("observe MySQL user '" + user + "'");
    for (const auto& grant_row : *grants)
      host.grants.push_back(grant_row.columns.at(0).value_or(""));
    out.hosts.push_back(std::move(host));
  }
  return out;
}

bool is_account_action(const Action& action) {
  return action_payload<AccountAction>(action) != nullptr;
}

Status apply_account_action(MysqlSession& session, const Action& action,
                            const std::string& password) {
  return visit_action<AccountAction>("mysql account", action, [&](const auto& step) {
    return apply_step(session, password, step);
  });
}

}  // namespace pydio::agent
