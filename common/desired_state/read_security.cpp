// The "security" section of a desired-state document, and the rule that it is chosen at init.

#include "common/desired_state.hpp"
#include "common/desired_state/reader.hpp"

namespace pydio::common {

namespace desired_state {

using nlohmann::json;

SecuritySpec read_security(const json& value, ErrorLines& errors) {
  SecuritySpec security;
  ObjectReader reader(value, "security", errors);
  if (auto gluster_tls = reader.boolean("glusterTls", Presence::kOptional)) {
    security.gluster_tls = *gluster_tls;
  }
  if (const json* cas = reader.array("caCertificates", Presence::kOptional))
    security.ca_certificates = read_ca_certificates(*cas, errors);
  reader.finish(kSecretHint);
  return security;
}

}  // namespace desired_state

std::vector<std::string> check_transition(const DesiredState& current, const DesiredState& next) {
  std::vector<std::string> problems;
  // Switching gluster TLS on a running cluster needs every glusterd restarted and every client
  // remounted at once (a TLS and a plain side do not talk): the agent does not do that, so the
  // document may not ask for it.
  if (current.security.gluster_tls != next.security.gluster_tls) {
    const auto word = [](bool on) { return on ? std::string("true") : std::string("false"); };
    problems.push_back("security.glusterTls: cannot change from " +
                       word(current.security.gluster_tls) + " to " +
                       word(next.security.gluster_tls) +
                       " on a running cluster; it is chosen at init (docs/operations.md, "
                       "\"Gluster TLS\"); keep " +
                       word(current.security.gluster_tls));
  }
  return problems;
}

}  // namespace pydio::common
