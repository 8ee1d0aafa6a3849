#pragma once
// agentctl's side of the admin API: one call per endpoint over the root-only unix socket, each
// bounded by a timeout. Failures say in one line what went wrong; "the daemon is not running"
// is told apart from every other failure, because agentctl exits 2 for it.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/cluster/http_client.hpp"

namespace pydio::agent::api {

struct AdminReply {
  enum class Kind {
    kOk,           // 2xx; `body` holds the answer
    kNotRunning,   // no daemon answers on the socket
    kUnreachable,  // connect failed otherwise, timed out, or the exchange broke
    kRefused,      // the daemon answered with an error status; `body` holds its JSON
  };
  Kind kind = Kind::kOk;
  unsigned status_code = 0;
  nlohmann::json body;  // the parsed answer (null when there was none)
  std::string error;    // one line for the user when kind != kOk

  bool ok() const { return kind == Kind::kOk; }
};

class AdminClient {
 public:
  AdminClient(std::string socket_path, std::chrono::milliseconds timeout);

  AdminReply get(const std::string& target);
  AdminReply post(const std::string& target, const std::string& body);

  const std::string& socket_path() const { return socket_path_; }

 private:
  AdminReply call(Request request);

  std::string socket_path_;
  std::chrono::milliseconds timeout_;
};

// "pydio-agentd is not running (no answer on <path>): <reason>".
std::string not_running_message(const std::string& socket_path, const std::string& reason);

}  // namespace pydio::agent::api
