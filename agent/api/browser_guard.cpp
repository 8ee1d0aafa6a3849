#include "agent/api/browser_guard.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <string>

namespace pydio::agent::api {

namespace http = boost::beast::http;

bool from_browser(const Request& request) {
  return request.find(http::field::origin) != request.end() ||
         request.find("Sec-Fetch-Site") != request.end();
}

bool loopback_host(const Request& request) {
  const auto field = request.find(http::field::host);
  if (field == request.end()) return true;
  std::string host(field->value());
  // The port: digits after the last ':' that follows the name or the bracketed address.
  const auto close = host.rfind(']');
  const auto colon = host.rfind(':');
  if (colon != std::string::npos && (close == std::string::npos || colon > close)) {
    if (host.find_first_not_of("0123456789", colon + 1) != std::string::npos) return false;
    host.resize(colon);
  }
  std::transform(host.begin(), host.end(), host.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (host == "localhost") return true;
  const bool bracketed = host.size() > 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(host, error);
  // An IPv6 address only in brackets, an IPv4 one only without (as URLs write them).
  if (error || address.is_v6() != bracketed) return false;
  return address.is_loopback();
}

}  // namespace pydio::agent::api
