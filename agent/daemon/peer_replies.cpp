#include "agent/daemon/peer_replies.hpp"

#include "agent/cluster/peer_client.hpp"
#include "common/printable_text.hpp"

namespace pydio::agent {

using nlohmann::json;

bool reply_holds_signing_key(const json& node_report, const std::string& key_id) {
  const json signing = object_field(node_report, "signing");
  return text_field(signing, "keyId") == key_id && bool_field(signing, "canSign");
}

common::Expected<std::string> set_aside_from_reply(const std::string& node, const json& body) {
  if (body.is_object() && body.contains("setAside") && body["setAside"].is_string())
    return body["setAside"].get<std::string>();
  return common::Status::error(node +
                               " answered without the path it set its datadir aside to "
                               "(\"setAside\", a string): " +
                               common::printable_line(body.dump(), 200));
}

common::Expected<std::string> started_backup(const std::string& address,
                                             const api::PeerReply& reply) {
  const std::string name = text_field(reply.body, "started");
  if (reply.status == 200 && !name.empty()) return name;
  const std::string why = text_field(reply.body, "error");
  return common::Status::error(address + " refused the backup: " +
                               (why.empty() ? "HTTP " + std::to_string(reply.status) + " " +
                                                  common::printable_line(reply.body.dump(), 200)
                                            : why));
}

}  // namespace pydio::agent
