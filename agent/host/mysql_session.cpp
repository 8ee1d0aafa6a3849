#include "agent/host/mysql_session.hpp"

#include <mysql.h>

#include <mutex>

namespace pydio::agent {
namespace {

using common::Expected;
using common::Status;

constexpr std::size_t kMaxIdentifierLength = 64;  // MariaDB's limit for database names

// mysql_library_init is not thread-safe; every later mysql_init is.
void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

unsigned int seconds_option(std::chrono::seconds value) {
  return value.count() < 1 ? 1u : static_cast<unsigned int>(value.count());
}

// Only the template is reported: the first line, shortened, so errors stay one readable line.
std::string statement_summary(const std::string& sql) {
  std::string line = sql.substr(0, sql.find('\n'));
  if (line.size() > 80) line = line.substr(0, 77) + "...";
  return line;
}

}  // namespace

std::string MysqlEndpoint::describe() const {
  if (!socket_path.empty()) return "unix:" + socket_path;
  return host + ":" + std::to_string(port);
}

Expected<std::string> quote_identifier(const std::string& name) {
  if (name.empty() || name.size() > kMaxIdentifierLength) {
    return Status::error("identifier '" + name + "': must be 1 to 64 characters");
  }
  for (char c : name) {
    const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return Status::error("identifier '" + name + "': must match [A-Za-z0-9_.-]+");
  }
  return "`" + name + "`";
}

Expected<std::unique_ptr<MysqlSession>> MysqlSession::connect(const MysqlEndpoint& endpoint) {
  init_library_once();
  const std::string where = "mysql " + endpoint.describe();
  MYSQL* mysql = mysql_init(nullptr);
  if (mysql == nullptr) return Status::error(where + ": out of memory");
  unsigned int connect_timeout = seconds_option(endpoint.connect_timeout);
  unsigned int read_timeout = seconds_option(endpoint.read_timeout);
  unsigned int write_timeout = seconds_option(endpoint.write_timeout);
  mysql_options(mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
  mysql_options(mysql, MYSQL_OPT_READ_TIMEOUT, &read_timeout);
  mysql_options(mysql, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout);
  // Never read ~/.my.cnf or /etc/mysql: what we connect to is exactly what the endpoint says.
  unsigned int protocol =
      endpoint.socket_path.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
  mysql_options(mysql, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");

  const bool use_socket = !endpoint.socket_path.empty();
  MYSQL* connected = mysql_real_connect(
      mysql, use_socket ? "localhost" : endpoint.host.c_str(), endpoint.user.c_str(),
      endpoint.password.empty() ? nullptr : endpoint.password.c_str(), nullptr,
      use_socket ? 0u : static_cast<unsigned int>(endpoint.port),
      use_socket ? endpoint.socket_path.c_str() : nullptr, CLIENT_FOUND_ROWS);
  if (connected == nullptr) {
    Status error = Status::error(where + ": " + mysql_error(mysql));
    mysql_close(mysql);
    return error;
  }
  return std::unique_ptr<MysqlSession>(new MysqlSession(mysql, endpoint));
}

MysqlSession::MysqlSession(st_mysql* mysql, MysqlEndpoint endpoint)
    : mysql_(mysql), endpoint_(std::move(endpoint)) {}

MysqlSession::~MysqlSession() { mysql_close(mysql_); }

std::uint64_t MysqlSession::connection_id() const { return mysql_thread_id(mysql_); }

unsigned int MysqlSession::last_error_number() const { return mysql_errno(mysql_); }

Expected<std::string> MysqlSession::bind(const std::string& sql,
                                         const std::vector<SqlValue>& values) {
  // Pass 1 finds the placeholders: a '?' inside a quoted part of the template is literal.
  std::vector<std::size_t> placeholders;
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote != 0) {
      if (c == quote) quote = 0;
    } else if (c == '\'' || c == '"' || c == '`') {
      quote = c;
    } else if (c == '?') {
      placeholders.push_back(i);
    }
  }
  if (placeholders.size() != values.size()) {
    return Status::error("sql '" + statement_summary(sql) + "': " +
                         std::to_string(placeholders.size()) + " placeholders but " +
                         std::to_string(values.size()) + " values");
  }
  std::string out;
  out.reserve(sql.size() + 32);
  std::size_t copied = 0;
  for (std::size_t n = 0; n < placeholders.size(); ++n) {
    out.append(sql, copied, placeholders[n] - copied);
    copied = placeholders[n] + 1;
    const SqlValue& value = values[n];
    if (std::holds_alternative<std::nullptr_t>(value)) {
      out += "NULL";
    } else if (const auto* number = std::get_if<std::int64_t>(&value)) {
      out += std::to_string(*number);
    } else {
      const std::string& text = std::get<std::string>(value);
      std::string escaped(text.size() * 2 + 1, '\0');
      unsigned long length =
          mysql_real_escape_string(mysql_, escaped.data(), text.data(), text.size());
      escaped.resize(length);
      out += '\'';
      out += escaped;
      out += '\'';
    }
  }
  out.append(sql, copied, std::string::npos);
  return out;
}

Status MysqlSession::error_for(const std::string& sql) const {
  return Status::error("mysql " + endpoint_.describe() + ": " + statement_summary(sql) + ": " +
                       mysql_error(mysql_));
}

Status MysqlSession::run(const std::string& sql, const std::vector<SqlValue>& values) {
  auto text = bind(sql, values);
  if (!text) return text.status().with_context("mysql " + endpoint_.describe());
  if (mysql_real_query(mysql_, text->data(), text->size()) != 0) return error_for(sql);
  return Status::ok();
}

Expected<std::uint64_t> MysqlSession::execute(const std::string& sql,
                                              const std::vector<SqlValue>& values) {
  Status status = run(sql, values);
  if (!status) return status;
  // A statement that unexpectedly returns rows must still be drained, or the connection
  // refuses the next command ("Commands out of sync").
  if (MYSQL_RES* result = mysql_store_result(mysql_)) {
    mysql_free_result(result);
    return std::uint64_t{0};
  }
  if (mysql_field_count(mysql_) != 0) return error_for(sql);
  return static_cast<std::uint64_t>(mysql_affected_rows(mysql_));
}

Expected<std::vector<SqlRow>> MysqlSession::query(const std::string& sql,
                                                  const std::vector<SqlValue>& values) {
  Status status = run(sql, values);
  if (!status) return status;
  MYSQL_RES* result = mysql_store_result(mysql_);
  if (result == nullptr) {
    if (mysql_field_count(mysql_) != 0) return error_for(sql);
    return std::vector<SqlRow>{};
  }
  std::vector<SqlRow> rows;
  const unsigned int fields = mysql_num_fields(result);
  while (MYSQL_ROW row = mysql_fetch_row(result)) {
    const unsigned long* lengths = mysql_fetch_lengths(result);
    SqlRow out;
    out.columns.reserve(fields);
    for (unsigned int i = 0; i < fields; ++i) {
      if (row[i] == nullptr) {
        out.columns.emplace_back(std::nullopt);
      } else {
        out.columns.emplace_back(std::string(row[i], lengths[i]));
      }
    }
    rows.push_back(std::move(out));
  }
  mysql_free_result(result);
  return rows;
}

}  // namespace pydio::agent
