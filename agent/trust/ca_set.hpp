#pragma once
// The cluster CAs a node trusts, as one PEM bundle (ca.crt): the first one issues node
// certificates now, the others are trusted too. A CA rotation (agent/daemon/ca_rotation.hpp)
// goes through two lists in security.caCertificates, told apart by the CAs' own age:
//   [old, new]  introducing: every node trusts the new CA, storage nodes fetch its key, the old
//               one still issues (nobody yet depends on the new one)
//   [new, old]  retiring: the new one issues, every node renews under it; then [new] alone
// So a node that adopts a list late still talks to every peer: nobody presents a certificate of
// the new CA before every node trusts it. Pure apart from OpenSSL parsing; thread-safe.

#include <optional>
#include <string>
#include <vector>

namespace pydio::agent::trust {

// Each certificate of a PEM bundle, in order (each as its own PEM block).
std::vector<std::string> split_certificates(const std::string& bundle);
std::string join_certificates(const std::vector<std::string>& certificates);

// The index in `cas` of the CA whose key signed `cert_pem` (a signature check, not a name
// match: two CAs of a cluster may share a name); nullopt when none did.
std::optional<std::size_t> issuer_index(const std::string& cert_pem,
                                        const std::vector<std::string>& cas);

// True when `a` was made after `b` (notBefore strictly later).
bool made_after(const std::string& a, const std::string& b);

// "" when `next` may start a rotation away from `current`: the phase of a list is read from the
// CAs' ages (below), so [current, next] reads as introducing only when `next` was made strictly
// later. Otherwise why not, naming both notBefore times (a leader whose clock is behind the
// node that made `current`, or a rotation begun within the same second).
std::string new_ca_age_refusal(const std::string& current, const std::string& next);

// "" when `bundle` (a join answer's pki.caCert) is what a joiner may install: exactly the CAs
// `listed` by the signed document it came with (security.caCertificates, same order), or, when
// that lists none, exactly one CA whose pin is `pinned_pin`. Otherwise what is wrong.
std::string join_bundle_refusal(const std::string& bundle, const std::vector<std::string>& listed,
                                const std::string& pinned_pin);

enum class CaPhase {
  kSteady,       // one CA (or none listed)
  kIntroducing,  // the first (issuing) CA is older than another listed: a new one is coming
  kRetiring,     // the first is the newest: the older ones go once every node renewed
};
CaPhase ca_phase(const std::vector<std::string>& listed);
std::string ca_phase_name(CaPhase phase);  // "steady", "introducing", "retiring"

// The CA of `listed` a rotation moves to: the newest one ("" when none is listed).
std::string newest_ca(const std::vector<std::string>& listed);

// Which CA keys a storage node keeps under `listed` (first = issuing): the issuing CA's and,
// while introducing, the new CA's. The key of a CA older than the issuing one is never kept:
// once the new CA issues, the old key is deleted everywhere.
std::vector<std::string> ca_keys_wanted(const std::vector<std::string>& listed);

// "sha256:<hex>" of each certificate (empty text for one that does not parse).
std::vector<std::string> ca_pins(const std::vector<std::string>& certificates);

}  // namespace pydio::agent::trust
