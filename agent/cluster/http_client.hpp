#pragma once
// A small synchronous HTTP/1.1 client for agentctl and tests: one request, one response, the
// whole exchange (connect, write, read) bounded by one timeout. Used over the admin unix socket
// and over TCP. Blocks the calling thread; runs its own private io_context.

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/api/http_message.hpp"

namespace pydio::agent::api {

enum class ExchangeFailure {
  kNone,
  kNotListening,   // nothing listens there: socket file missing, connection refused
  kConnectFailed,  // something else stopped the connect (e.g. permission denied)
  kTimedOut,       // no complete answer within the timeout
  kBroken,         // connected, but the exchange failed (reset, malformed answer)
};

struct Exchange {
  ExchangeFailure failure = ExchangeFailure::kNone;
  std::string error;  // the system's reason when failure != kNone, e.g. "Connection refused"
  Response response;  // valid when failure == kNone

  bool ok() const { return failure == ExchangeFailure::kNone; }
};

// Sends `request` over the unix socket at `socket_path`. Sets Host and Content-Length
// when missing. Answers larger than 16 MiB are a failure.
Exchange exchange_unix(const std::string& socket_path, Request request,
                       std::chrono::milliseconds timeout);

// The same over TCP to host:port.
Exchange exchange_tcp(const std::string& host, std::uint16_t port, Request request,
                      std::chrono::milliseconds timeout);

}  // namespace pydio::agent::api
