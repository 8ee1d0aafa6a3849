#pragma once
// The signing keys on disk (signing.hpp is the key material itself): where they live, how they
// are written so that a crash at any point leaves a key pair that matches, and the staged
// successor of a rotation.
// Thread-safe: pure functions over files; one writer (the daemon's NodeState) at a time.

#include <optional>
#include <string>

#include "agent/cluster/signing.hpp"
#include "common/status.hpp"

namespace pydio::agent {

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
// The leader's rotation is staged, so that it is undone unless the document signed with the new
// key was stored: the successor is written as signing.next.succession, signing.next.key and
// signing.next.pub (in that order), the document is committed signed with it, then each staged
// file is renamed over its counterpart (signing.next.pub last). A start finds signing.next.pub
// only when a rotation was cut short: NodeState::load promotes the staged key when the document
// in force verifies with it and discards it otherwise.
common::Status stage_successor_key(const std::string& pki_dir, const SigningKeys& successor);
// The staged successor; nullopt when none was staged completely.
common::Expected<std::optional<SigningKeys>> load_staged_successor(const std::string& pki_dir);
common::Status promote_staged_key(const std::string& pki_dir);
// Removes every staged file (none is not an error).
common::Status discard_staged_key(const std::string& pki_dir);
// A node that rejoins after missing more than one rotation (agentctl join --replace-signing-key):
// its private key, succession and staged files are removed and `keys` stored instead.
common::Status replace_signing_keys(const std::string& pki_dir, const SigningKeys& keys);

// Trusts `successor` (public key and succession) from now on: the private key of the key it
// replaces is removed first, so a crash never leaves a private key beside another public key.
common::Status trust_successor_key(const std::string& pki_dir, const SigningKeys& successor);

}  // namespace pydio::agent
