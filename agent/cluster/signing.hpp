#pragma once
// The desired-state signing key (Ed25519, OpenSSL 3 EVP) and detached signatures over the exact
// bytes of a document. The private key lives only on nodes that may lead (storage nodes); every
// node holds the public key and verifies every document before it parses it for use.
//
// A signature travels as a small JSON text, the same in a file (desired-state.json.sig) and in
// a peer's answer ("signature" next to "document"):
//   {"algorithm":"ed25519","keyId":"<16 hex>","signature":"<base64 of 64 bytes>"}
// keyId (the first 8 bytes of SHA-256 over the public key, hex) is not trusted for anything: it
// only lets a refusal say "signed by another key" instead of "does not match".
//
// Rotation (agentctl rotate signing-key) makes a successor key and a succession: the
// successor's public key signed by the key it replaces. Every signature the successor makes
// carries the succession ("succession": {"publicKey","previousKeyId","signature"}), so a node
// that still trusts the previous key (one that was off during the rotation) verifies the
// succession, then the document, and trusts the successor from then on. One step only: a node
// two rotations behind refuses and joins again. A node that trusts the successor refuses
// anything the previous key signs.
// Thread-safe: pure functions.

#include <optional>
#include <string>

#include "common/status.hpp"

namespace pydio::agent {

struct SigningKeys {
  std::string public_pem;   // SubjectPublicKeyInfo PEM
  std::string private_pem;  // PKCS#8 PEM; "" on nodes that only verify
  std::string succession;   // JSON text; "" for the cluster's first key (see above)
};

common::Expected<SigningKeys> generate_signing_keys();

// "3f9a0c1b2d4e5f60": identifies a public key in messages; "" for text that is no key.
std::string key_id(const std::string& public_pem);

// The signature text (format above) over exactly `text`. REQUIRES: keys.private_pem non-empty.
common::Expected<std::string> sign_document(const SigningKeys& keys, const std::string& text);

// Ok when `signature` is a signature by `public_pem` over exactly `text`. Errors say which of
// these it is: unsigned, not a signature, signed by another key, does not match the bytes.
common::Status verify_document(const std::string& public_pem, const std::string& text,
                               const std::string& signature);

// Like verify_document, and also accepts a document signed by the successor of
// `trusted_public_pem` whose signature carries the succession the trusted key signed. The
// successor's keys (public key and succession, no private key) when that is what signed;
// nullopt when the trusted key did.
common::Expected<std::optional<SigningKeys>> verify_document_or_successor(
    const std::string& trusted_public_pem, const std::string& text, const std::string& signature);

// True when `signature` carries a succession naming `key_id` as the key it succeeds.
bool succession_claims_predecessor(const std::string& signature, const std::string& key_id);

// A new key pair that succeeds `current` (which must hold its private key), with the succession
// `current` signed for it.
common::Expected<SigningKeys> make_successor(const SigningKeys& current);

// Ok when `keys.private_pem` belongs to `keys.public_pem` (a join answer, keys read from disk).
common::Status check_key_pair(const SigningKeys& keys);

}  // namespace pydio::agent
