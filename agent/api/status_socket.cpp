#include "agent/api/status_socket.hpp"

#include "agent/api/status_page.hpp"

namespace pydio::agent::api {

namespace http = boost::beast::http;

std::string status_socket_path(const std::string& admin_socket) {
  const auto slash = admin_socket.rfind('/');
  return (slash == std::string::npos ? std::string() : admin_socket.substr(0, slash + 1)) +
         "status.sock";
}

Response handle_status_socket_request(const Request& request, AdminBackend& backend) {
  const std::string path = target_path(request);
  if (path != "/" && path != "/status") {
    return error_response(request, http::status::not_found,
                          "the status socket serves only the status page (/); agentctl talks "
                          "to the admin socket");
  }
  if (request.method() != http::verb::get && request.method() != http::verb::head) {
    return method_not_allowed(request, "GET, HEAD");
  }
  return status_page_for_loopback(request, [&] { return backend.status_page_view(); });
}

}  // namespace pydio::agent::api
