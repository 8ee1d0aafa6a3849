#pragma once
// The peer API's client side of TLS: one request over a verified TLS connection, and the CA
// pin check a joining node makes before it sends anything. Each call is bounded by its timeout
// and blocks the calling thread (private io_context).

#include <chrono>
#include <cstdint>
#include <string>

#include "agent/cluster/http_client.hpp"
#include "agent/trust/tls_context.hpp"
#include "common/status.hpp"

namespace pydio::agent::api {

// Sends `request` over TLS to host:port. The server's certificate must verify against the CA
// of `tls` and name `host` (its IP subjectAltName); otherwise the request is never written and
// the failure is kBroken with "TLS handshake: <reason>".
Exchange exchange_tls(const std::string& host, std::uint16_t port, Request request,
                      std::chrono::milliseconds timeout, trust::TlsContext& tls);

// Connects to host:port, completes a TLS handshake without sending anything, and returns the
// CA certificate (PEM) in the chain the server presented whose SubjectPublicKeyInfo hash is
// `pin` ("sha256:<hex>"), after checking that the server's own certificate is signed by it and
// names `host`. The errors say what the server presented, e.g. "the agent at ... presents CA
// sha256:<theirs>, not the pinned sha256:<pin>".
common::Expected<std::string> fetch_pinned_ca(const std::string& host, std::uint16_t port,
                                              const std::string& pin,
                                              std::chrono::milliseconds timeout);

}  // namespace pydio::agent::api
