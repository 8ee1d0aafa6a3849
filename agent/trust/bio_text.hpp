#pragma once
// The bytes an OpenSSL memory BIO holds, as text (PEM written by OpenSSL). One helper for the
// signing key (agent/cluster/signing.cpp), the PKI (pki.cpp) and the TLS client.

#include <openssl/bio.h>

#include <cstddef>
#include <string>

namespace pydio::agent::trust {

inline std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

}  // namespace pydio::agent::trust
