#pragma once
// The vhost lines that make Apache see the client behind a balancer (web.trustedProxies, by
// default the lb nodes' addresses): mod_remoteip takes the client's address from
// X-Forwarded-For when the connection comes from a trusted proxy (so the access log and PHP's
// REMOTE_ADDR show the client, not HAProxy), and HTTPS=on reaches PHP when such a proxy says
// X-Forwarded-Proto: https (TLS ended at the balancer). A header from anyone else is ignored.
// Pure; empty texts when there is no proxy to trust (the vhost stays as before).

#include <string>
#include <vector>

namespace pydio::agent {

// Outside <VirtualHost>: loads mod_remoteip unless something else loaded it already (the
// agent does not edit mods-enabled; a2enmod remoteip works as well).
std::string remoteip_module_lines(const std::vector<std::string>& proxies);

// Inside <VirtualHost>: RemoteIPHeader, RemoteIPInternalProxy, the HTTPS gate and the
// "pydio_combined" log format (%a: the client's address as mod_remoteip found it).
std::string client_address_lines(const std::vector<std::string>& proxies);

// "pydio_combined" with proxies to trust, else Debian's "combined".
std::string access_log_format(const std::vector<std::string>& proxies);

}  // namespace pydio::agent
