// The "loadBalancer" section (HAProxy on the nodes with role lb) and web.trustedProxies.

#include <algorithm>
#include <cstdlib>
#include <string>
#include <tuple>

#include "common/desired_state/cross_checks.hpp"
#include "common/desired_state/field_rules.hpp"
#include "common/desired_state/reader.hpp"
#include "common/field_checks.hpp"

namespace pydio::common::desired_state {

namespace {

using nlohmann::json;

// The agent's own ports on every node (health 8480, peer 8481).
constexpr int kHealthPort = 8480;
constexpr int kPeerPort = 8481;
constexpr int kApachePort = 80;
// TLS material HAProxy may read: the usual places for certificates, never a volume or a
// directory the web user can write.
constexpr const char* kCertificateDirs[] = {"/etc/ssl", "/etc/haproxy"};

int port_of(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  return colon == std::string::npos ? 0 : std::atoi(host_port.c_str() + colon + 1);
}

std::optional<std::string> certificate_problem(const std::string& path) {
  if (auto problem = check_absolute_path(path)) return problem;
  // HAProxy's config reader takes '#' as a comment and splits words on spaces: keep to plain
  // path characters so the path rendered is the path checked.
  for (char c : path) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.' || c == '/';
    if (!ok)
      return "must use only letters, digits, '_', '-', '.' and '/', got " + quote_value(path);
  }
  for (const char* dir : kCertificateDirs)
    if (path_is_within(path, dir) && path != dir) return std::nullopt;
  return "must be a file under /etc/ssl or /etc/haproxy, got " + quote_value(path);
}

// A cookie name HAProxy and browsers both take as is: letters, digits, '_', '-', '.'.
std::optional<std::string> cookie_problem(const std::string& name) {
  if (name.empty() || name.size() > 64)
    return "must be 1 to 64 characters, got " + quote_value(name);
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '.';
    if (!ok)
      return "must be a cookie name (letters, digits, '_', '-', '.'), got " + quote_value(name);
  }
  return std::nullopt;
}

template <typename T>
void read_int(ObjectReader& reader, const char* key, T& target) {
  if (auto value = reader.integer(key, Presence::kOptional)) {
    // Out-of-range values are reported by check_load_balancer; clamp only what int cannot hold.
    target =
        static_cast<T>(std::max<std::int64_t>(-(1 << 30), std::min<std::int64_t>(*value, 1 << 30)));
  }
}

}  // namespace

std::optional<std::string> host_port_problem(const std::string& value) {
  const std::string problem =
      "must be <IPv4 address>:<port> such as 0.0.0.0:80, got " + quote_value(value);
  const auto colon = value.rfind(':');
  if (colon == std::string::npos) return problem;
  const std::string host = value.substr(0, colon);
  const std::string port = value.substr(colon + 1);
  if (!is_ipv4(host) || port.empty() || port.size() > 5) return problem;
  for (char c : port)
    if (c < '0' || c > '9') return problem;
  if (port.front() == '0' || std::stoi(port) > 65535) return problem;
  return std::nullopt;
}

std::optional<std::string> proxy_address_problem(const std::string& value) {
  const std::string problem =
      "must be an IPv4 address or CIDR block such as 10.0.0.0/16, got " + quote_value(value);
  const auto slash = value.find('/');
  if (!is_ipv4(value.substr(0, slash))) return problem;
  if (slash == std::string::npos) return std::nullopt;
  const std::string bits = value.substr(slash + 1);
  if (bits.empty() || bits.size() > 2 || (bits.size() == 2 && bits.front() == '0')) return problem;
  for (char c : bits)
    if (c < '0' || c > '9') return problem;
  const int prefix = std::stoi(bits);
  if (prefix > 32) return problem;
  if (prefix == 0) return quote_value(value) + " would trust every address; name the proxies";
  return std::nullopt;
}

LoadBalancerSpec read_load_balancer(const json& value, ErrorLines& errors) {
  LoadBalancerSpec spec;
  ObjectReader reader(value, "loadBalancer", errors);
  if (auto bind = reader.string("bind", Presence::kOptional)) spec.bind = *bind;
  if (auto cert = reader.string("tlsCertificate", Presence::kOptional)) {
    spec.tls_certificate = *cert;
    if (cert->empty()) add_error(errors, "loadBalancer.tlsCertificate", "must not be empty");
  }
  if (auto tls_bind = reader.string("tlsBind", Presence::kOptional)) spec.tls_bind = *tls_bind;
  read_int(reader, "statsPort", spec.stats_port);
  read_int(reader, "checkIntervalMs", spec.check_interval_ms);
  read_int(reader, "fall", spec.fall);
  read_int(reader, "rise", spec.rise);
  read_int(reader, "agentPort", spec.agent_port);
  read_int(reader, "agentIntervalMs", spec.agent_interval_ms);
  if (auto cookie = reader.string("sessionCookie", Presence::kOptional)) {
    spec.session_cookie = *cookie;
  }
  read_int(reader, "timeoutSeconds", spec.timeout_seconds);
  read_int(reader, "drainTimeoutSeconds", spec.drain_timeout_seconds);
  reader.finish(kSecretHint);
  return spec;
}

void check_load_balancer(const DesiredState& state, bool given, ErrorLines& errors) {
  const LoadBalancerSpec& lb = state.load_balancer;
  const auto lb_nodes = state.nodes_with_role(Role::kLb);
  if (lb_nodes.empty()) {
    if (given) add_error(errors, "loadBalancer", "no node has role lb");
    return;
  }
  const bool bind_ok = accept(errors, "loadBalancer.bind", lb.bind, host_port_problem);
  const bool tls = !lb.tls_certificate.empty();
  if (tls) accept(errors, "loadBalancer.tlsCertificate", lb.tls_certificate, certificate_problem);
  if (!tls && lb.tls_bind != LoadBalancerSpec{}.tls_bind) {
    add_error(errors, "loadBalancer.tlsBind", "is used only with loadBalancer.tlsCertificate");
  }
  const bool tls_bind_ok =
      tls && accept(errors, "loadBalancer.tlsBind", lb.tls_bind, host_port_problem);
  if (tls_bind_ok && lb.tls_bind == lb.bind) {
    add_error(errors, "loadBalancer.tlsBind", "must differ from loadBalancer.bind");
  }
  check_int(errors, "loadBalancer.checkIntervalMs", lb.check_interval_ms, 500, 60000);
  check_int(errors, "loadBalancer.fall", lb.fall, 1, 10);
  check_int(errors, "loadBalancer.rise", lb.rise, 1, 10);
  if (auto problem = range_problem(lb.agent_port, 1, 65535)) {
    add_error(errors, "loadBalancer.agentPort", *problem);
  } else if (lb.agent_port == kApachePort || lb.agent_port == kHealthPort ||
             lb.agent_port == kPeerPort) {
    add_error(errors, "loadBalancer.agentPort",
              std::to_string(lb.agent_port) + " is taken (Apache 80, health 8480, peer 8481)");
  }
  check_int(errors, "loadBalancer.agentIntervalMs", lb.agent_interval_ms, 500, 60000);
  if (auto problem = range_problem(lb.stats_port, 1024, 65535)) {
    add_error(errors, "loadBalancer.statsPort", *problem);
  } else if (lb.stats_port == kHealthPort || lb.stats_port == kPeerPort ||
             lb.stats_port == lb.agent_port) {
    add_error(errors, "loadBalancer.statsPort",
              std::to_string(lb.stats_port) + " is taken (health 8480, peer 8481, agentPort)");
  }
  accept(errors, "loadBalancer.sessionCookie", lb.session_cookie, cookie_problem);
  check_int(errors, "loadBalancer.timeoutSeconds", lb.timeout_seconds, 10, 86400);
  check_int(errors, "loadBalancer.drainTimeoutSeconds", lb.drain_timeout_seconds, 0, 86400);
  // `haproxy -c` does not bind: a port another listener of the lb node holds would pass it,
  // and the reloaded worker would fail to start while the old one serves the old config.
  const bool lb_is_compute = std::any_of(lb_nodes.begin(), lb_nodes.end(), [](const NodeSpec* n) {
    return n->has_role(Role::kCompute);
  });
  for (const auto& [field, ok, host_port] :
       {std::tuple<const char*, bool, std::string>{"loadBalancer.bind", bind_ok, lb.bind},
        {"loadBalancer.tlsBind", tls_bind_ok, lb.tls_bind}}) {
    if (!ok) continue;
    const int port = port_of(host_port);
    if (port == kHealthPort || port == kPeerPort || port == lb.stats_port)
      add_error(errors, field,
                "port " + std::to_string(port) + " is taken (health 8480, peer 8481, statsPort)");
    // Apache listens on *:80 and the agent-check on agentPort on every compute node.
    if (lb_is_compute && (port == kApachePort || port == lb.agent_port))
      add_error(errors, field,
                "port " + std::to_string(port) +
                    " is Apache's or the agent-check's on an lb node that is also compute; "
                    "choose another port, e.g. 0.0.0.0:8080");
  }
}

void check_trusted_proxies(const std::vector<std::string>& proxies, ErrorLines& errors) {
  for (std::size_t i = 0; i < proxies.size(); ++i)
    accept(errors, json_element_path("web.trustedProxies", i), proxies[i], proxy_address_problem);
}

std::vector<std::string> read_trusted_proxies(const json& value, ErrorLines& errors) {
  std::vector<std::string> proxies;
  if (value.empty()) {
    add_error(errors, "web.trustedProxies",
              "must list at least one address (omit the field to trust the lb nodes)");
  }
  for (std::size_t i = 0; i < value.size(); ++i) {
    const std::string path = json_element_path("web.trustedProxies", i);
    if (auto text = read_string_element(value[i], path, errors)) {
      if (accept(errors, path, *text, proxy_address_problem)) proxies.push_back(*text);
    }
  }
  return proxies;
}

}  // namespace pydio::common::desired_state
