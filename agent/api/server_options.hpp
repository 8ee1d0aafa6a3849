#pragma once
// Limits every HTTP connection of the agent runs under, shared by listener and session.

#include <chrono>
#include <functional>
#include <cstddef>

#include "agent/api/http_message.hpp"

namespace pydio::agent::api {

struct ServerOptions {
  Handler handler;
  // Requests for which `blocking` is true are handed to `offload` (the daemon's bounded pool)
  // instead of running on the io_context thread; the response is written back on the
  // connection's strand. `offload` returns false when the pool is full: the request gets 503.
  // Both empty: every request runs on the io_context thread (the handler must not block).
  std::function<bool(const Request&)> blocking;
  std::function<bool(std::function<void()>)> offload;
  // Longest wait for a whole request (or for the next one on a kept-alive connection) and for
  // writing a response; the connection is closed when it runs out.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(10)};
  std::size_t body_limit = 1024 * 1024;  // larger request bodies get 413 and a close
  std::size_t header_limit = 8 * 1024;   // larger request headers get 431 and a close
};

}  // namespace pydio::agent::api
