#include "agent/trust/tls_context.hpp"

#include <openssl/ssl.h>

#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>

#include "agent/trust/pki.hpp"

namespace pydio::agent::trust {

namespace ssl = boost::asio::ssl;
using common::Expected;
using common::Status;

namespace {

std::shared_ptr<TlsContext> new_context(ssl::context::method method) {
  auto ctx = std::make_shared<TlsContext>(method);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_3_VERSION);
  return ctx;
}

// Loads the CA as the one trust anchor and, when given, this node's certificate and key.
Status load(TlsContext& ctx, const std::string& ca_pem, const std::string& chain_pem,
            const std::string& key_pem) {
  boost::system::error_code ec;
  if (ctx.add_certificate_authority(boost::asio::buffer(ca_pem), ec); ec)
    return Status::error("cluster CA: " + ec.message() + " " + openssl_error());
  if (chain_pem.empty()) return Status::ok();
  if (ctx.use_certificate_chain(boost::asio::buffer(chain_pem), ec); ec)
    return Status::error("node certificate: " + ec.message() + " " + openssl_error());
  if (ctx.use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec); ec)
    return Status::error("node key: " + ec.message() + " " + openssl_error());
  return Status::ok();
}

}  // namespace

Expected<std::shared_ptr<TlsContext>> make_server_context(const std::string& ca_pem,
                                                          const std::string& cert_pem,
                                                          const std::string& key_pem) {
  auto ctx = new_context(ssl::context::tls_server);
  if (Status loaded = load(*ctx, ca_pem, cert_pem + ca_pem, key_pem); !loaded)
    return loaded.with_context("peer API TLS");
  // verify_peer without fail_if_no_peer_cert: a certificate is checked when one is sent.
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

Expected<std::shared_ptr<TlsContext>> make_client_context(const std::string& ca_pem,
                                                          const std::string& cert_pem,
                                                          const std::string& key_pem) {
  auto ctx = new_context(ssl::context::tls_client);
  if (Status loaded = load(*ctx, ca_pem, cert_pem, key_pem); !loaded)
    return loaded.with_context("peer client TLS");
  ctx->set_verify_mode(ssl::verify_peer);
  return ctx;
}

std::shared_ptr<TlsContext> make_unverified_client_context() {
  auto ctx = new_context(ssl::context::tls_client);
  ctx->set_verify_mode(ssl::verify_none);
  return ctx;
}

}  // namespace pydio::agent::trust
