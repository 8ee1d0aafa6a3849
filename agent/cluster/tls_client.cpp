#include "agent/cluster/tls_client.hpp"

#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <functional>
#include <memory>

#include "agent/trust/bio_text.hpp"
#include "agent/trust/pki.hpp"

namespace pydio::agent::api {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using common::Status;

namespace {

constexpr std::uint64_t kResponseBodyLimit = 16 * 1024 * 1024;
using Stream = beast::ssl_stream<beast::tcp_stream>;

ExchangeFailure connect_failure(const beast::error_code& ec) {
  if (ec == beast::error::timeout) return ExchangeFailure::kTimedOut;
  if (ec == net::error::connection_refused) return ExchangeFailure::kNotListening;
  return ExchangeFailure::kConnectFailed;
}

// Connects and completes the client handshake, then runs `then` (on the private io_context)
// with the stream; the result says how far it got. `verify_host`: the server's certificate
// must name `host`.
Exchange handshake_then(const std::string& host, std::uint16_t port,
                        std::chrono::milliseconds timeout, trust::TlsContext& tls, bool verify_host,
                        const std::function<void(Stream&, Exchange&)>& then) {
  Exchange result;
  beast::error_code ec;
  const auto address = net::ip::make_address(host, ec);
  if (ec) return Exchange{ExchangeFailure::kConnectFailed, host + ": " + ec.message(), {}};
  net::io_context ioc;
  Stream stream(ioc, tls);
  if (verify_host &&
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(stream.native_handle()), host.c_str()) != 1)
    return Exchange{ExchangeFailure::kConnectFailed, host + ": not an IP address", {}};
  auto timed = [&](const beast::error_code& e) { return e == beast::error::timeout; };
  auto& tcp = beast::get_lowest_layer(stream);
  tcp.expires_after(timeout);
  tcp.async_connect(net::ip::tcp::endpoint(address, port), [&](beast::error_code connect_ec) {
    if (connect_ec) {
      result = Exchange{connect_failure(connect_ec), connect_ec.message(), {}};
      return;
    }
    stream.async_handshake(net::ssl::stream_base::client, [&](beast::error_code handshake_ec) {
      if (handshake_ec) {
        std::string reason = handshake_ec.message();
        const long verify = SSL_get_verify_result(stream.native_handle());
        if (verify != X509_V_OK)
          reason += " (" + std::string(X509_verify_cert_error_string(verify)) + ")";
        result =
            Exchange{timed(handshake_ec) ? ExchangeFailure::kTimedOut : ExchangeFailure::kBroken,
                     "TLS handshake: " + reason,
                     {}};
        return;
      }
      then(stream, result);
    });
  });
  ioc.run();
  if (result.failure == ExchangeFailure::kTimedOut)
    result.error = "no answer within " + std::to_string(timeout.count()) + " ms";
  beast::error_code ignored;
  tcp.socket().shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  return result;
}

std::string pem_of(X509* cert) {
  std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(BIO_new(BIO_s_mem()), BIO_free_all);
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) return "";
  return trust::bio_text(bio.get());
}

}  // namespace

Exchange exchange_tls(const std::string& host, std::uint16_t port, Request request,
                      std::chrono::milliseconds timeout, trust::TlsContext& tls) {
  auto request_ptr = std::make_shared<Request>(std::move(request));
  if (request_ptr->find(http::field::host) == request_ptr->end())
    request_ptr->set(http::field::host, host);
  request_ptr->prepare_payload();
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(kResponseBodyLimit);
  return handshake_then(host, port, timeout, tls, true, [&](Stream& stream, Exchange& result) {
    http::async_write(stream, *request_ptr, [&](beast::error_code write_ec, std::size_t) {
      if (write_ec) {
        result = Exchange{write_ec == beast::error::timeout ? ExchangeFailure::kTimedOut
                                                            : ExchangeFailure::kBroken,
                          write_ec.message(),
                          {}};
        return;
      }
      http::async_read(stream, buffer, parser, [&](beast::error_code read_ec, std::size_t) {
        if (read_ec) {
          result = Exchange{read_ec == beast::error::timeout ? ExchangeFailure::kTimedOut
                                                             : ExchangeFailure::kBroken,
                            read_ec.message(),
                            {}};
          return;
        }
        result.response = parser.release();
      });
    });
  });
}

common::Expected<std::string> fetch_pinned_ca(const std::string& host, std::uint16_t port,
                                              const std::string& pin,
                                              std::chrono::milliseconds timeout) {
  const std::string who = "the agent at " + host + ":" + std::to_string(port);
  std::vector<std::string> chain;  // the server's certificates, its own first
  auto unverified = trust::make_unverified_client_context();
  Exchange looked =
      handshake_then(host, port, timeout, *unverified, false, [&](Stream& stream, Exchange&) {
        STACK_OF(X509)* certs = SSL_get_peer_cert_chain(stream.native_handle());
        for (int i = 0; certs != nullptr && i < sk_X509_num(certs); ++i)
          chain.push_back(pem_of(sk_X509_value(certs, i)));
      });
  if (!looked.ok()) {
    return Status::error(who + " did not complete a TLS handshake (" + looked.error +
                         "); it is not an agent of this cluster, or nothing listens there");
  }
  if (chain.empty()) return Status::error(who + " presented no certificate");
  std::string presented;
  for (const auto& cert : chain) {
    auto cert_pin = trust::spki_pin(cert);
    if (!cert_pin) continue;
    if (*cert_pin != pin) {
      presented = *cert_pin;  // the last one: the top of the chain, its CA if it sent one
      continue;
    }
    if (Status signed_by = trust::verify_signed_by(chain.front(), cert); !signed_by)
      return signed_by.with_context(who);
    std::unique_ptr<BIO, decltype(&BIO_free_all)> bio(
        BIO_new_mem_buf(chain.front().data(), static_cast<int>(chain.front().size())),
        BIO_free_all);
    std::unique_ptr<X509, decltype(&X509_free)> leaf(
        PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
    if (!leaf || X509_check_ip_asc(leaf.get(), host.c_str(), 0) != 1)
      return Status::error(who + " presents a certificate of the pinned CA that is not for " +
                           host + "; refusing to send the join token");
    if (!trust::certifies_storage(chain.front()))
      return Status::error(who + " is a node of this cluster but not a storage node (its " +
                           "certificate lacks OU=" + trust::kStorageUnit +
                           "); refusing to send the join token: join through a storage node");
    return cert;
  }
  return Status::error(who + " presents CA " + (presented.empty() ? "(unreadable)" : presented) +
                       ", not the pinned " + pin +
                       " (--ca-cert-hash); refusing to send the join token. Another process may "
                       "hold the port, or the hash is not this cluster's");
}

}  // namespace pydio::agent::api
