#include "agent/api/tls_session.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <utility>

#include "agent/api/session.hpp"

namespace pydio::agent::api {

namespace beast = boost::beast;
namespace ssl = boost::asio::ssl;

namespace {

// The CN of the client's certificate when the handshake verified it against the cluster CA.
std::string verified_client_name(TlsStream& stream) {
  SSL* handle = stream.native_handle();
  X509* cert = SSL_get0_peer_certificate(handle);
  if (cert == nullptr || SSL_get_verify_result(handle) != X509_V_OK) return "";
  char name[256] = {};
  if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name, sizeof(name)) <=
      0)
    return "";
  return name;
}

// True when the client's (verified) certificate says OU=storage: it may lead.
bool verified_storage_unit(TlsStream& stream) {
  X509* cert = SSL_get0_peer_certificate(stream.native_handle());
  char unit[64] = {};
  return cert != nullptr &&
         X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_organizationalUnitName, unit,
                                   sizeof(unit)) > 0 &&
         std::string(unit) == "storage";  // trust::kStorageUnit (api/ does not use trust/)
}

}  // namespace

void start_tls_session(boost::asio::ip::tcp::socket socket,
                       std::shared_ptr<const ServerOptions> options,
                       std::shared_ptr<ConnectionLimit> connections) {
  beast::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  std::shared_ptr<ssl::context> tls = options->current_tls ? options->current_tls() : nullptr;
  if (!tls) tls = options->tls;
  auto stream = std::make_shared<TlsStream>(beast::tcp_stream(std::move(socket)), *tls);
  // A handshake holds a descriptor and a TLS state: it takes its place in the cap now, as an
  // idle connection (evictable), or a flood of unfinished handshakes would pass the cap. The
  // eviction runs on the connection's strand, like the handshake's end, and does nothing once
  // the stream has moved into its session (which then answers to evictions itself): it never
  // touches a moved-from stream, not even for its executor.
  const auto strand = stream->get_executor();
  auto handed_off = std::make_shared<bool>(false);  // read and written on `strand` only
  std::weak_ptr<TlsStream> weak = stream;
  const auto id = connections->admit([strand, weak, handed_off] {
    boost::asio::post(strand, [weak, handed_off] {
      auto held = weak.lock();
      if (*handed_off || !held) return;
      beast::error_code ignored;
      beast::get_lowest_layer(*held).socket().close(ignored);
    });
  });
  if (!id) {
    beast::error_code ignored;
    beast::get_lowest_layer(*stream).socket().close(ignored);
    return;
  }
  beast::get_lowest_layer(*stream).expires_after(options->header_timeout);
  // `tls` is held until the handshake ends; the connection's SSL object keeps a reference of
  // its own to the OpenSSL context after that, so a renewal may replace it at any time.
  stream->async_handshake(ssl::stream_base::server, [stream, options, connections, remote, id, tls,
                                                     handed_off](beast::error_code handshake_ec) {
    if (handshake_ec) {
      connections->remove(*id);
      // A peer's reachability probe connects and closes without a word: not worth a line.
      const bool silent =
          handshake_ec == boost::asio::error::eof || handshake_ec == ssl::error::stream_truncated;
      spdlog::log(silent ? spdlog::level::debug : spdlog::level::info,
                  "peer API: TLS handshake with {} failed: {}", remote.address().to_string(),
                  handshake_ec.message());
      beast::error_code ignored;
      beast::get_lowest_layer(*stream).socket().close(ignored);
      return;
    }
    // From here the session's own eviction closes the connection (Session::run); evicted in
    // the meantime, the session closes at once.
    *handed_off = true;
    PeerIdentity peer{remote.address().to_string(), verified_client_name(*stream)};
    peer.storage_certificate = !peer.certificate_name.empty() && verified_storage_unit(*stream);
    peer.tls_context = tls;
    std::make_shared<Session<boost::asio::ip::tcp, TlsStream>>(std::move(*stream), options,
                                                               connections, std::move(peer), id)
        ->run();
  });
}

}  // namespace pydio::agent::api
