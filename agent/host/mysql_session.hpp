#pragma once
// One blocking connection to a MariaDB/MySQL server (libmariadb, the libmysqlclient API).
// Every connect, read and write is bounded by the endpoint's timeouts, so a dead server or a
// cut network costs at most those seconds; callers still run it off the network thread.
// Values reach SQL only through placeholders that are escaped with mysql_real_escape_string;
// identifiers only through quote_identifier(), which accepts the desired-state name rules.
// Errors name the endpoint: "mysql 198.18.0.1:3306: Can't connect to server on ...".
// Thread safety: a session is used by one thread at a time; distinct sessions are independent.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "common/status.hpp"

struct st_mysql;  // MYSQL, from <mysql.h>; kept out of this header

namespace pydio::agent {

struct MysqlEndpoint {
  std::string socket_path;  // non-empty: connect over this unix socket (host/port ignored)
  std::string host;         // TCP host when socket_path is empty
  int port = 3306;
  std::string user;
  std::string password;     // empty: no password (e.g. root over the socket, unix_socket auth)
  std::chrono::seconds connect_timeout{5};
  std::chrono::seconds read_timeout{10};
  std::chrono::seconds write_timeout{10};

  // "198.18.0.1:3306" or "unix:/run/mysqld/mysqld.sock", for error messages and status.
  std::string describe() const;
};

// A value bound to a '?' placeholder.
using SqlValue = std::variant<std::nullptr_t, std::int64_t, std::string>;

struct SqlRow {
  std::vector<std::optional<std::string>> columns;  // nullopt for SQL NULL
};

// Backquoted identifier ("`pydio`") when `name` matches [A-Za-z0-9_.-]{1,64}; an error naming
// the offending identifier otherwise.
common::Expected<std::string> quote_identifier(const std::string& name);

class MysqlSession {
 public:
  // Connects (bounded by endpoint.connect_timeout). The session reports "found rows" as the
  // affected-row count of an UPDATE (CLIENT_FOUND_ROWS), so a compare-and-set that matched
  // counts 1 even when it wrote identical values. Never reconnects silently.
  static common::Expected<std::unique_ptr<MysqlSession>> connect(const MysqlEndpoint& endpoint);
  ~MysqlSession();
  MysqlSession(const MysqlSession&) = delete;
  MysqlSession& operator=(const MysqlSession&) = delete;

  // Runs a statement; '?' outside quoted literals are replaced, in order, by the escaped
  // values. Returns the affected-row count. The error names the endpoint and the statement
  // template (never the bound values: they can be passwords).
  common::Expected<std::uint64_t> execute(const std::string& sql,
                                          const std::vector<SqlValue>& values = {});
  // Same, for a statement returning rows; every row is fetched.
  common::Expected<std::vector<SqlRow>> query(const std::string& sql,
                                              const std::vector<SqlValue>& values = {});

  // The server-side connection id (for KILL CONNECTION and diagnostics).
  std::uint64_t connection_id() const;
  // The error number of the last statement (mysql_errno: e.g. 1213 ER_LOCK_DEADLOCK, also a
  // Galera certification conflict); 0 when it succeeded. For callers that must tell a lost
  // race from a broken connection.
  unsigned int last_error_number() const;
  const MysqlEndpoint& endpoint() const { return endpoint_; }

  // The SQL text for `sql` with values bound ('NULL', decimal integers, quoted escaped strings).
  // An error when the number of placeholders and values differ.
  common::Expected<std::string> bind(const std::string& sql, const std::vector<SqlValue>& values);

 private:
  MysqlSession(st_mysql* mysql, MysqlEndpoint endpoint);
  common::Status run(const std::string& sql, const std::vector<SqlValue>& values);
  common::Status error_for(const std::string& sql) const;

  st_mysql* mysql_;
  MysqlEndpoint endpoint_;
};

}  // namespace pydio::agent
