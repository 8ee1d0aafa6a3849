#include "agent/daemon/peer_endpoint.hpp"

#include <optional>

namespace pydio::agent {

PeerEndpoint::PeerEndpoint(boost::asio::io_context& ioc, const trust::NodeTrust& trust,
                           api::ServerOptions options, std::string listen)
    : listener_(
          ioc, "peer API",
          [&trust, options = std::move(options)]() -> std::optional<api::ServerOptions> {
            auto tls = trust.server_context();
            if (!tls) return std::nullopt;  // before init or join: nothing to serve yet
            api::ServerOptions with_tls = options;
            with_tls.tls = tls;
            with_tls.current_tls = [&trust] { return trust.server_context(); };
            return with_tls;
          },
          std::move(listen)) {}

}  // namespace pydio::agent
