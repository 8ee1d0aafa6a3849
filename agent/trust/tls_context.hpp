#pragma once
// TLS contexts of the peer API (TLS 1.3 only), made from PEM text.
//
// Server: presents node.crt followed by the CA of ca.crt that issued it (so a joining node can
// pin the CA by hash), asks for a client certificate and verifies one against the cluster CAs
// when given (ca.crt may hold several during a CA rotation: each is a trust anchor). A client
// without a certificate gets through the handshake: the peer API then admits it to the join
// route only. A certificate of another CA fails the handshake.
// Client: verifies the server's chain against the cluster CA (the caller also checks the
// server's address against its certificate); presents this node's certificate when given.

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>

#include "common/status.hpp"

namespace pydio::agent::trust {

using TlsContext = boost::asio::ssl::context;

common::Expected<std::shared_ptr<TlsContext>> make_server_context(const std::string& ca_pem,
                                                                  const std::string& cert_pem,
                                                                  const std::string& key_pem);
// `cert_pem` and `key_pem` empty: no client certificate (a joining node).
common::Expected<std::shared_ptr<TlsContext>> make_client_context(const std::string& ca_pem,
                                                                  const std::string& cert_pem,
                                                                  const std::string& key_pem);
// A client without a certificate that completes a handshake only with a storage node (its
// certificate says OU=storage, pki.hpp): what a joining node sends its token over.
common::Expected<std::shared_ptr<TlsContext>> make_joiner_context(const std::string& ca_pem);
// A client that verifies nothing: only for reading the chain a server presents, to compare
// it with a pin, before any secret is sent.
std::shared_ptr<TlsContext> make_unverified_client_context();

}  // namespace pydio::agent::trust
