#pragma once
// What this agent reads from other agents' replies, type-checked before use: a field of the
// wrong type counts as missing (docs/architecture.md, "Guards"). Where the caller cannot go on
// without the field, the reply is refused with an error that names the field and the node.
// Pure functions.

#include <nlohmann/json.hpp>
#include <string>

#include "agent/api/peer_api.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// GET /v1/peer/node: whether the node holds the private signing key `key_id`
// (signing.keyId == key_id and signing.canSign == true).
bool reply_holds_signing_key(const nlohmann::json& node_report, const std::string& key_id);

// POST /v1/peer/db-set-aside, a 200: where `node` set its datadir aside ("" when it was empty).
// An error when setAside is missing or not a string.
common::Expected<std::string> set_aside_from_reply(const std::string& node,
                                                   const nlohmann::json& body);

// POST /v1/peer/db-backup: the name of the backup `address` started, or why it refused (its
// "error" when that is a string, else its whole reply).
common::Expected<std::string> started_backup(const std::string& address,
                                             const api::PeerReply& reply);

}  // namespace pydio::agent
