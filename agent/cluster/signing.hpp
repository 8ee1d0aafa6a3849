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

// A new key pair that succeeds `current` (which must hold its private key), with the succession
// `current` signed for it.
common::Expected<SigningKeys> make_successor(const SigningKeys& current);

// Ok when `keys.private_pem` belongs to `keys.public_pem` (a join answer, keys read from disk).
common::Status check_key_pair(const SigningKeys& keys);

// <pki_dir>/signing.key (0600), <pki_dir>/signing.pub (0644) and, once the key was rotated,
// <pki_dir>/signing.succession (0644), in a root 0700 directory.
std::string signing_private_path(const std::string& pki_dir);
std::string signing_public_path(const std::string& pki_dir);
std::string signing_succession_path(const std::string& pki_dir);

// nullopt when no public key is stored yet; private_pem "" when only the public key is. A
// succession file that does not name the stored public key is ignored. A rotation that a crash
// interrupted between its writes (signing.key already the successor's, signing.pub still the
// previous key, signing.succession naming the successor) is finished here.
common::Expected<std::optional<SigningKeys>> load_signing_keys(const std::string& pki_dir);
// Writes the succession, the private key when given (never removes one already there), then
// the public key: load_signing_keys can finish a rotation cut short after any of these writes.
common::Status save_signing_keys(const std::string& pki_dir, const SigningKeys& keys);
// Trusts `successor` (public key and succession) from now on: the private key of the key it
// replaces is removed first, so a crash never leaves a private key beside another public key.
common::Status trust_successor_key(const std::string& pki_dir, const SigningKeys& successor);

}  // namespace pydio::agent
