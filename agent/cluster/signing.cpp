#include "agent/cluster/signing.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>

#include <cerrno>
#include <memory>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "agent/trust/bio_text.hpp"
#include "common/file_ops.hpp"

namespace pydio::agent {

using common::Expected;
using common::Status;

namespace {

constexpr const char* kAlgorithm = "ed25519";
constexpr std::size_t kSignatureBytes = 64;
constexpr std::size_t kMaxSignatureText = 1024;

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using Bio = std::unique_ptr<BIO, BioFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;

Bio memory_bio(const std::string& text) {
  return Bio(BIO_new_mem_buf(text.data(), static_cast<int>(text.size())));
}

// An Ed25519 key from PEM, or null (any other key type is refused).
Pkey read_public(const std::string& pem) {
  Bio bio = memory_bio(pem);
  Pkey key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (key && EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) key.reset();
  return key;
}

Pkey read_private(const std::string& pem) {
  Bio bio = memory_bio(pem);
  Pkey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (key && EVP_PKEY_get_id(key.get()) != EVP_PKEY_ED25519) key.reset();
  return key;
}

std::string raw_public(EVP_PKEY* key) {
  std::size_t size = 0;
  if (EVP_PKEY_get_raw_public_key(key, nullptr, &size) != 1) return "";
  std::string raw(size, '\0');
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(raw.data()), &size) != 1)
    return "";
  return raw;
}

std::string key_id_of(EVP_PKEY* key) {
  const std::string raw = raw_public(key);
  if (raw.empty()) return "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(raw.data(), raw.size(), digest, &size, EVP_sha256(), nullptr) != 1) return "";
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < size; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(bytes.data()),
                             static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(size));
  return out;
}

std::optional<std::string> unbase64(const std::string& text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::string out(text.size() / 4 * 3, '\0');
  int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                             reinterpret_cast<const unsigned char*>(text.data()),
                             static_cast<int>(text.size()));
  if (size < 0) return std::nullopt;
  // Base64 pads with at most two '='; anything else (e.g. "====", which decodes to zero bits)
  // is not base64 and must not reach the subtraction below.
  const std::size_t last = text.find_last_not_of('=');
  if (last == std::string::npos) return std::nullopt;
  const std::size_t padding = text.size() - last - 1;
  if (padding > 2 || padding > static_cast<std::size_t>(size)) return std::nullopt;
  out.resize(static_cast<std::size_t>(size) - padding);
  return out;
}

}  // namespace

Expected<SigningKeys> generate_signing_keys() {
  Pkey key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  if (!key) return Status::error("generate the signing key: OpenSSL could not make an Ed25519 key");
  Bio pub(BIO_new(BIO_s_mem()));
  Bio priv(BIO_new(BIO_s_mem()));
  if (!pub || !priv || PEM_write_bio_PUBKEY(pub.get(), key.get()) != 1 ||
      PEM_write_bio_PrivateKey(priv.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
    return Status::error("generate the signing key: could not write it as PEM");
  return SigningKeys{trust::bio_text(pub.get()), trust::bio_text(priv.get())};
}

std::string key_id(const std::string& public_pem) {
  Pkey key = read_public(public_pem);
  return key ? key_id_of(key.get()) : "";
}

Expected<std::string> sign_document(const SigningKeys& keys, const std::string& text) {
  Pkey key = read_private(keys.private_pem);
  if (!key) return Status::error("sign the desired state: this node holds no Ed25519 signing key");
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(kSignatureBytes, '\0');
  std::size_t size = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1 ||
      size != kSignatureBytes)
    return Status::error("sign the desired state: OpenSSL refused to sign");
  return nlohmann::json{
      {"algorithm", kAlgorithm}, {"keyId", key_id_of(key.get())}, {"signature", base64(signature)}}
      .dump();
}

Status verify_document(const std::string& public_pem, const std::string& text,
                       const std::string& signature) {
  if (signature.empty()) return Status::error("unsigned: no signature came with the document");
  Pkey key = read_public(public_pem);
  if (!key) return Status::error("this node holds no signing public key to verify with");
  const auto envelope = signature.size() > kMaxSignatureText
                            ? nlohmann::json()
                            : nlohmann::json::parse(signature, nullptr, false);
  const auto field = [&](const char* name) -> std::string {
    if (!envelope.is_object()) return "";
    auto it = envelope.find(name);
    return it != envelope.end() && it->is_string() ? it->get<std::string>() : "";
  };
  if (field("algorithm") != kAlgorithm)
    return Status::error("not a signature: expected {\"algorithm\":\"ed25519\",...}");
  const std::optional<std::string> raw = unbase64(field("signature"));
  if (!raw || raw->size() != kSignatureBytes)
    return Status::error("not a signature: \"signature\" is not 64 bytes in base64");
  const std::string expected_id = key_id_of(key.get());
  if (field("keyId") != expected_id) {
    // The key id is echoed only when it looks like one: it comes from whoever wrote the file
    // and ends up on an operator's terminal.
    static const std::regex kKeyIdForm("[0-9a-f]{16}");
    const std::string presented = field("keyId");
    const std::string shown = presented.empty()                              ? "no keyId"
                              : std::regex_match(presented, kKeyIdForm) ? "keyId " + presented
                                                                        : "a malformed keyId";
    return Status::error("signed by another key (" + shown + "; this cluster's key is " +
                         expected_id + ")");
  }
  MdCtx ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(raw->data()), raw->size(),
                       reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1)
    return Status::error("bad signature: it does not match the document's bytes (key " +
                         expected_id + ")");
  return Status::ok();
}

Status check_key_pair(const SigningKeys& keys) {
  Pkey pub = read_public(keys.public_pem);
  Pkey priv = read_private(keys.private_pem);
  if (!pub) return Status::error("signing public key: not an Ed25519 public key in PEM");
  if (!priv) return Status::error("signing private key: not an Ed25519 private key in PEM");
  if (raw_public(pub.get()) != raw_public(priv.get()))
    return Status::error("the signing private key does not belong to the public key");
  return Status::ok();
}

std::string signing_private_path(const std::string& pki_dir) { return pki_dir + "/signing.key"; }
std::string signing_public_path(const std::string& pki_dir) { return pki_dir + "/signing.pub"; }

Expected<std::optional<SigningKeys>> load_signing_keys(const std::string& pki_dir) {
  auto pub = common::read_optional_file(signing_public_path(pki_dir));
  if (!pub) return pub.status();
  if (!pub->has_value()) return std::optional<SigningKeys>();
  SigningKeys keys{**pub, ""};
  if (!read_public(keys.public_pem))
    return Status::error(signing_public_path(pki_dir) + ": not an Ed25519 public key in PEM");
  auto priv = common::read_optional_file(signing_private_path(pki_dir));
  if (!priv) return priv.status();
  if (priv->has_value()) {
    struct stat st {};
    if (::stat(signing_private_path(pki_dir).c_str(), &st) == 0 && (st.st_mode & 077) != 0)
      return Status::error(signing_private_path(pki_dir) +
                           ": readable or writable by group or others; expected mode 0600");
    keys.private_pem = **priv;
    if (Status pair = check_key_pair(keys); !pair) return pair.with_context(pki_dir);
  }
  return std::optional<SigningKeys>(keys);
}

Status save_signing_keys(const std::string& pki_dir, const SigningKeys& keys) {
  // The parent (/etc/pydio-agent) exists on an installed node; a test's pki dir may not.
  const std::string parent = pki_dir.substr(0, pki_dir.rfind('/'));
  if (!parent.empty()) ::mkdir(parent.c_str(), 0755);
  if (::mkdir(pki_dir.c_str(), 0700) != 0 && errno != EEXIST)
    return Status::error("create " + pki_dir + ": " + common::errno_text(errno));
  if (::chmod(pki_dir.c_str(), 0700) != 0)
    return Status::error("chmod " + pki_dir + ": " + common::errno_text(errno));
  if (!keys.private_pem.empty()) {
    Status written =
        common::write_file_atomically(signing_private_path(pki_dir), keys.private_pem, 0600);
    if (!written) return written;
  }
  return common::write_file_atomically(signing_public_path(pki_dir), keys.public_pem, 0644);
}

}  // namespace pydio::agent
