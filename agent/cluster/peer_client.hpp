#pragma once
// Calls to other agents' peer API (api/peer_api.hpp) over TLS: the client presents this node's
// certificate and verifies the other agent's against the cluster CA and its address.
// Every call is one bounded exchange: it never waits longer than the timeout it was given.
// Thread-safe (no mutable state).

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent/api/peer_api.hpp"
#include "agent/trust/tls_context.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// "198.18.0.1" or "198.18.0.1:8481" -> host and port (default kPeerPort). Errors name the text.
common::Expected<std::pair<std::string, std::uint16_t>> parse_peer_address(const std::string& text);

// Fields of a peer's JSON answer, type-checked: a missing field or one of another type gives
// `fallback` (a peer's answer is never trusted to have the shape we expect).
std::string text_field(const nlohmann::json& body, const std::string& key,
                       const std::string& fallback = "");
std::int64_t int_field(const nlohmann::json& body, const std::string& key, std::int64_t fallback = 0);
bool bool_field(const nlohmann::json& body, const std::string& key, bool fallback = false);
// The field when it is an object, else an empty object.
nlohmann::json object_field(const nlohmann::json& body, const std::string& key);

class PeerClient {
 public:
  // `tls` null (a node before init or join): every call fails, naming why.
  PeerClient(std::shared_ptr<trust::TlsContext> tls, std::chrono::milliseconds timeout)
      : tls_(std::move(tls)), timeout_(timeout) {}

  // An error when no HTTP answer came or its body is not a JSON object (the message names the
  // peer and the reason); any other HTTP answer, 401 included, is a PeerReply.
  common::Expected<api::PeerReply> get(const std::string& peer, const std::string& path) const;
  // GET `path` from every peer at once (one thread each, each bounded by the timeout); the
  // answers in the order of `peers`.
  std::vector<common::Expected<api::PeerReply>> get_each(const std::vector<std::string>& peers,
                                                         const std::string& path) const;
  // POST `body` to every peer at once, as get_each.
  std::vector<common::Expected<api::PeerReply>> post_each(const std::vector<std::string>& peers,
                                                          const std::string& path,
                                                          const nlohmann::json& body) const;
  common::Expected<api::PeerReply> post(const std::string& peer, const std::string& path,
                                        const nlohmann::json& body, bool forwarded) const;

 private:
  common::Expected<api::PeerReply> exchange(const std::string& peer, api::Request request) const;

  std::shared_ptr<trust::TlsContext> tls_;
  std::chrono::milliseconds timeout_;
};

}  // namespace pydio::agent
