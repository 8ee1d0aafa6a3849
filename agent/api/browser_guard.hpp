#pragma once
// What keeps a web browser from using the admin API through an operator's `ssh -L` tunnel
// (the status page invites one). Through the tunnel the admin socket is a localhost TCP port,
// and any page the operator's browser has open may send requests there: a form posts to
// localhost without asking (CSRF), and a page whose name rebinds to 127.0.0.1 reads the answers
// as its own origin (DNS rebinding). agentctl sends neither of the headers browsers add, and
// its Host is absent. Pure.

#include "agent/api/http_message.hpp"

namespace pydio::agent::api {

// The request carries Origin (browsers send it on every POST) or Sec-Fetch-Site (current
// browsers send it on every request).
bool from_browser(const Request& request);

// No Host header, or one naming this machine's loopback with an optional port: "localhost",
// "127.x.y.z" (dotted decimal), "[::1]". A rebound name (evil.example:8080) is none of them.
bool loopback_host(const Request& request);

}  // namespace pydio::agent::api
