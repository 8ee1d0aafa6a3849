#pragma once
// SHA-256 of a stream fed in chunks (OpenSSL EVP), as release archives are hashed while they are
// copied (publish: archive_copy; every compute node: release_fetch). Not thread-safe: one
// stream per object.

#include <openssl/evp.h>

#include <cstddef>
#include <memory>
#include <string>

namespace pydio::agent {

class Sha256Stream {
 public:
  Sha256Stream();
  void update(const char* data, std::size_t size);
  // "sha256:<64 lowercase hex digits>", "" when OpenSSL failed at any step.
  std::string finish();

 private:
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx_;
  bool ok_ = false;
};

}  // namespace pydio::agent
