#pragma once
// Limits every HTTP connection of the agent runs under, shared by listener and session.

#include <chrono>
#include <cstddef>

#include "agent/api/http_message.hpp"

namespace pydio::agent::api {

struct ServerOptions {
  Handler handler;
  // Longest wait for a whole request (or for the next one on a kept-alive connection) and for
  // writing a response; the connection is closed when it runs out.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(10)};
  std::size_t body_limit = 1024 * 1024;  // larger request bodies get 413 and a close
  std::size_t header_limit = 8 * 1024;   // larger request headers get 431 and a close
};

}  // namespace pydio::agent::api
