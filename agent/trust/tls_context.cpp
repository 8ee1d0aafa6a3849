#include "agent/trust/tls_context.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/buffer.hpp>
#include <boost/system/system_error.hpp>

#include "agent/trust/bio_text.hpp"
#include "agent/trust/ca_set.hpp"
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
  // The chain is the node certificate and the CA that issued it (of several during a CA
  // rotation): what a joining node compares with its pin.
  const std::vector<std::string> cas = split_certificates(ca_pem);
  const auto issuer = issuer_index(cert_pem, cas);
  const std::string chain = cert_pem + (issuer ? cas[*issuer] : ca_pem);
  if (Status loaded = load(*ctx, ca_pem, chain, key_pem); !loaded)
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

Expected<std::shared_ptr<TlsContext>> make_joiner_context(const std::string& ca_pem) {
  auto ctx = make_client_context(ca_pem, "", "");
  if (!ctx) return ctx;
  (*ctx)->set_verify_callback([](bool preverified, ssl::verify_context& verifying) {
    X509_STORE_CTX* store = verifying.native_handle();
    if (!preverified || X509_STORE_CTX_get_error_depth(store) != 0) return preverified;
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
    X509* leaf = X509_STORE_CTX_get_current_cert(store);
    if (bio && leaf != nullptr && PEM_write_bio_X509(bio.get(), leaf) == 1 &&
        certifies_storage(bio_text(bio.get())))
      return true;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return false;
  });
  return ctx;
}

std::shared_ptr<TlsContext> make_unverified_client_context() {
  auto ctx = new_context(ssl::context::tls_client);
  ctx->set_verify_mode(ssl::verify_none);
  return ctx;
}

}  // namespace pydio::agent::trust
