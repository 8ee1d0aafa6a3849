#include "agent/host/sha256_stream.hpp"

namespace pydio::agent {

Sha256Stream::Sha256Stream() : ctx_(EVP_MD_CTX_new(), EVP_MD_CTX_free) {
  ok_ = ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) == 1;
}

void Sha256Stream::update(const char* data, std::size_t size) {
  ok_ = ok_ && EVP_DigestUpdate(ctx_.get(), data, size) == 1;
}

std::string Sha256Stream::finish() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (!ok_ || EVP_DigestFinal_ex(ctx_.get(), digest, &size) != 1) return "";
  static const char* kHex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

}  // namespace pydio::agent
