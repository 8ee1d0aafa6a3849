// The vhost's client-address lines (web.trustedProxies; default: the lb nodes).

#include "agent/resources/vhost_client_address.hpp"

#include <catch2/catch.hpp>

#include "agent/resources/apache_vhost_resource.hpp"

using namespace pydio::agent;

TEST_CASE("the vhost trusts X-Forwarded-For and -Proto from the trusted proxies only",
          "[apache_vhost][lb]") {
  pydio::common::WebSpec web;
  SECTION("no proxy (no lb node, no trustedProxies): the vhost is as before") {
    auto text = vhost_text(web);
    REQUIRE(text.has_value());
    CHECK(text->find("RemoteIP") == std::string::npos);
    CHECK(text->find("pydio-access.log combined env=!dontlog") != std::string::npos);
  }
  SECTION("proxies: RemoteIP, the HTTPS gate on the connection's peer, %a in the log") {
    web.trusted_proxies = {"198.18.0.4", "10.0.0.0/16"};
    auto text = vhost_text(web);
    REQUIRE(text.has_value());
    CHECK(text->find("<IfModule !remoteip_module>\n    LoadModule remoteip_module ") ==
          text->find("\n") + 1);
    CHECK(text->find("    RemoteIPHeader X-Forwarded-For\n") != std::string::npos);
    CHECK(text->find("    RemoteIPInternalProxy 198.18.0.4 10.0.0.0/16\n") != std::string::npos);
    CHECK(text->find("    SetEnvIfExpr \"(%{CONN_REMOTE_ADDR} -ipmatch '198.18.0.4' || "
                     "%{CONN_REMOTE_ADDR} -ipmatch '10.0.0.0/16') && "
                     "%{HTTP:X-Forwarded-Proto} == 'https'\" HTTPS=on\n") != std::string::npos);
    CHECK(text->find("LogFormat \"%a %l %u %t \\\"%r\\\"") != std::string::npos);
    CHECK(text->find("pydio-access.log pydio_combined env=!dontlog") != std::string::npos);
  }
  SECTION("the default is the lb nodes' addresses; an explicit list replaces it") {
    pydio::common::DesiredState desired;
    pydio::common::NodeSpec lb;
    lb.name = "n4";
    lb.address = "198.18.0.4";
    lb.roles = {pydio::common::Role::kLb};
    desired.nodes.push_back(lb);
    CHECK(vhost_web(desired).trusted_proxies == std::vector<std::string>{"198.18.0.4"});
    desired.web.trusted_proxies = {"10.1.0.0/16"};
    CHECK(vhost_web(desired).trusted_proxies == std::vector<std::string>{"10.1.0.0/16"});
  }
}
