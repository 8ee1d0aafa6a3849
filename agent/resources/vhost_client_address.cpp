#include "agent/resources/vhost_client_address.hpp"

namespace pydio::agent {

std::string remoteip_module_lines(const std::vector<std::string>& proxies) {
  if (proxies.empty()) return "";
  return "<IfModule !remoteip_module>\n"
         "    LoadModule remoteip_module /usr/lib/apache2/modules/mod_remoteip.so\n"
         "</IfModule>\n";
}

std::string client_address_lines(const std::vector<std::string>& proxies) {
  if (proxies.empty()) return "";
  std::string list;
  std::string from_proxy;
  // Values are IPv4 addresses or CIDR blocks (validated: digits, dots, one slash).
  for (const auto& proxy : proxies) {
    list += " " + proxy;
    if (!from_proxy.empty()) from_proxy += " || ";
    from_proxy += "%{CONN_REMOTE_ADDR} -ipmatch '" + proxy + "'";
  }
  return "    # The client's address from the balancer (web.trustedProxies), for the log and PHP\n"
         "    RemoteIPHeader X-Forwarded-For\n"
         "    RemoteIPInternalProxy" +
         list +
         "\n"
         "    # TLS ended at a trusted balancer: PHP sees HTTPS=on (CONN_REMOTE_ADDR is the peer,\n"
         "    # not the address mod_remoteip put in its place)\n"
         "    SetEnvIfExpr \"(" +
         from_proxy +
         ") && %{HTTP:X-Forwarded-Proto} == 'https'\" HTTPS=on\n"
         "    LogFormat \"%a %l %u %t \\\"%r\\\" %>s %O \\\"%{Referer}i\\\" "
         "\\\"%{User-Agent}i\\\"\" "
         "pydio_combined\n";
}

std::string access_log_format(const std::vector<std::string>& proxies) {
  return proxies.empty() ? "combined" : "pydio_combined";
}

}  // namespace pydio::agent
