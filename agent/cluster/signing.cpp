#include "agent/cluster/signing.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <memory>
#include <optional>
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
// A signature with a succession is about 500 bytes; the published file's cap is 4 KiB.
constexpr std::size_t kMaxSignatureText = 2048;
// What a succession signs besides the successor's key: a document is JSON and never starts so.
constexpr const char* kSuccessionContext = "pydio-agent signing key succession v1\n";

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

// The 64-byte Ed25519 signature over `text`, or nullopt.
std::optional<std::string> sign_raw(EVP_PKEY* key, const std::string& text) {
  MdCtx ctx(EVP_MD_CTX_new());
  std::string signature(kSignatureBytes, '\0');
  std::size_t size = signature.size();
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &size,
                     reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1 ||
      size != kSignatureBytes)
    return std::nullopt;
  return signature;
}

bool verify_raw(EVP_PKEY* key, const std::string& signature, const std::string& text) {
  MdCtx ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) == 1 &&
         EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                          signature.size(), reinterpret_cast<const unsigned char*>(text.data()),
                          text.size()) == 1;
}

// A key id from a signature, echoed only when it looks like one: it comes from whoever wrote
// the file and ends up on an operator's terminal.
std::string shown_key_id(const std::string& presented) {
  static const std::regex kKeyIdForm("[0-9a-f]{16}");
  return std::regex_match(presented, kKeyIdForm) ? presented : "(malformed)";
}

// The signature text as a JSON object; a discarded value when it is none or too long.
nlohmann::json parse_envelope(const std::string& signature) {
  return signature.size() > kMaxSignatureText ? nlohmann::json()
                                              : nlohmann::json::parse(signature, nullptr, false);
}

std::string string_member(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return "";
  auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
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
  return SigningKeys{trust::bio_text(pub.get()), trust::bio_text(priv.get()), ""};
}

std::string key_id(const std::string& public_pem) {
  Pkey key = read_public(public_pem);
  return key ? key_id_of(key.get()) : "";
}

Expected<std::string> sign_document(const SigningKeys& keys, const std::string& text) {
  Pkey key = read_private(keys.private_pem);
  if (!key) return Status::error("sign the desired state: this node holds no Ed25519 signing key");
  const std::optional<std::string> signature = sign_raw(key.get(), text);
  if (!signature) return Status::error("sign the desired state: OpenSSL refused to sign");
  nlohmann::json envelope = {
      {"algorithm", kAlgorithm}, {"keyId", key_id_of(key.get())}, {"signature", base64(*signature)}};
  if (!keys.succession.empty()) {
    nlohmann::json succession = nlohmann::json::parse(keys.succession, nullptr, false);
    if (!succession.is_object())
      return Status::error("sign the desired state: the key's succession is not a JSON object");
    envelope["succession"] = std::move(succession);
  }
  return envelope.dump();
}

bool succession_claims_predecessor(const std::string& signature, const std::string& key_id) {
  const nlohmann::json envelope = parse_envelope(signature);
  if (!envelope.is_object()) return false;
  const auto succession = envelope.find("succession");
  return succession != envelope.end() && string_member(*succession, "previousKeyId") == key_id;
}

Expected<SigningKeys> make_successor(const SigningKeys& current) {
  Pkey previous = read_private(current.private_pem);
  if (!previous)
    return Status::error("rotate the signing key: this node holds no private signing key");
  auto next = generate_signing_keys();
  if (!next) return next.status();
  const std::optional<std::string> signature =
      sign_raw(previous.get(), kSuccessionContext + next->public_pem);
  if (!signature) return Status::error("rotate the signing key: OpenSSL refused to sign");
  next->succession = nlohmann::json{{"publicKey", next->public_pem},
                                    {"previousKeyId", key_id_of(previous.get())},
                                    {"signature", base64(*signature)}}
                         .dump();
  return next;
}

Status verify_document(const std::string& public_pem, const std::string& text,
                       const std::string& signature) {
  if (signature.empty()) return Status::error("unsigned: no signature came with the document");
  Pkey key = read_public(public_pem);
  if (!key) return Status::error("this node holds no signing public key to verify with");
  const nlohmann::json envelope = parse_envelope(signature);
  if (string_member(envelope, "algorithm") != kAlgorithm)
    return Status::error("not a signature: expected {\"algorithm\":\"ed25519\",...}");
  const std::optional<std::string> raw = unbase64(string_member(envelope, "signature"));
  if (!raw || raw->size() != kSignatureBytes)
    return Status::error("not a signature: \"signature\" is not 64 bytes in base64");
  const std::string expected_id = key_id_of(key.get());
  if (string_member(envelope, "keyId") != expected_id) {
    const std::string presented = string_member(envelope, "keyId");
    const std::string id = shown_key_id(presented);
    const std::string shown = presented.empty()     ? "no keyId"
                              : id == "(malformed)" ? "a malformed keyId"
                                                    : "keyId " + id;
    return Status::error("signed by another key (" + shown + "; this cluster's key is " +
                         expected_id + ")");
  }
  if (!verify_raw(key.get(), *raw, text))
    return Status::error("bad signature: it does not match the document's bytes (key " +
                         expected_id + ")");
  return Status::ok();
}

Expected<std::optional<SigningKeys>> verify_document_or_successor(
    const std::string& trusted_public_pem, const std::string& text, const std::string& signature) {
  const Status direct = verify_document(trusted_public_pem, text, signature);
  if (direct) return std::optional<SigningKeys>();
  const nlohmann::json envelope = parse_envelope(signature);
  const auto succession = envelope.is_object() ? envelope.find("succession") : envelope.end();
  Pkey trusted = read_public(trusted_public_pem);
  if (!envelope.is_object() || succession == envelope.end() || !trusted) return direct;
  const std::string trusted_id = key_id_of(trusted.get());
  const std::string successor_pem = string_member(*succession, "publicKey");
  Pkey successor = read_public(successor_pem);
  const std::optional<std::string> raw = unbase64(string_member(*succession, "signature"));
  if (!successor || !raw || raw->size() != kSignatureBytes)
    return Status::error(direct.message() + "; its key succession is malformed");
  if (string_member(*succession, "previousKeyId") != trusted_id)
    return Status::error(direct.message() + "; its key claims to succeed key " +
                         shown_key_id(string_member(*succession, "previousKeyId")) +
                         ", not this node's key " + trusted_id +
                         " (forged, or this node missed more than one rotation of the "
                         "cluster's key: then agentctl join --replace-signing-key)");
  if (!verify_raw(trusted.get(), *raw, kSuccessionContext + successor_pem))
    return Status::error(direct.message() + "; its key succession is not signed by key " +
                         trusted_id);
  if (Status by_successor = verify_document(successor_pem, text, signature); !by_successor)
    return by_successor;
  return std::optional<SigningKeys>(SigningKeys{successor_pem, "", succession->dump()});
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

}  // namespace pydio::agent
