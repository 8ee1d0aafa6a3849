#include "agent/trust/ca_set.hpp"

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <algorithm>
#include <memory>

#include "agent/trust/pki.hpp"

namespace pydio::agent::trust {

namespace {

using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Cert parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free);
  return Cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr, X509_free);
}

constexpr const char* kBegin = "-----BEGIN CERTIFICATE-----";
constexpr const char* kEnd = "-----END CERTIFICATE-----";

}  // namespace

std::vector<std::string> split_certificates(const std::string& bundle) {
  std::vector<std::string> out;
  std::size_t at = 0;
  while ((at = bundle.find(kBegin, at)) != std::string::npos) {
    const std::size_t end = bundle.find(kEnd, at);
    if (end == std::string::npos) break;
    const std::size_t stop = end + std::string(kEnd).size();
    out.push_back(bundle.substr(at, stop - at) + "\n");
    at = stop;
  }
  return out;
}

std::string join_certificates(const std::vector<std::string>& certificates) {
  std::string out;
  for (const auto& cert : certificates) {
    out += cert;
    if (!cert.empty() && cert.back() != '\n') out += '\n';
  }
  return out;
}

std::optional<std::size_t> issuer_index(const std::string& cert_pem,
                                        const std::vector<std::string>& cas) {
  Cert cert = parse(cert_pem);
  if (!cert) return std::nullopt;
  for (std::size_t i = 0; i < cas.size(); ++i) {
    Cert ca = parse(cas[i]);
    EVP_PKEY* key = ca ? X509_get0_pubkey(ca.get()) : nullptr;
    if (key != nullptr && X509_verify(cert.get(), key) == 1) return i;
  }
  return std::nullopt;
}

bool made_after(const std::string& a, const std::string& b) {
  Cert first = parse(a);
  Cert second = parse(b);
  if (!first || !second) return false;
  return ASN1_TIME_compare(X509_get0_notBefore(first.get()), X509_get0_notBefore(second.get())) > 0;
}

std::string new_ca_age_refusal(const std::string& current, const std::string& next) {
  if (made_after(next, current)) return "";
  const auto not_before = [](const std::string& pem) {
    Cert cert = parse(pem);
    const ASN1_TIME* time = cert ? X509_get0_notBefore(cert.get()) : nullptr;
    if (time == nullptr) return std::string("(unreadable)");
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
    if (!out || ASN1_TIME_print(out.get(), time) != 1) return std::string("(unreadable)");
    char* text = nullptr;
    const long size = BIO_get_mem_data(out.get(), &text);
    return std::string(text, static_cast<std::size_t>(size));
  };
  return "the new CA (notBefore " + not_before(next) +
         ") would not be newer than the issuing CA (notBefore " + not_before(current) +
         "): the rotation's phases are told apart by the CAs' ages, so the new one must be made "
         "strictly later. This leader's clock is behind the clock of the node that made the "
         "issuing CA (or that CA is less than a second old): set the clocks right (NTP) and run "
         "agentctl rotate ca again";
}

std::string join_bundle_refusal(const std::string& bundle, const std::vector<std::string>& listed,
                                const std::string& pinned_pin) {
  const std::vector<std::string> sent = ca_pins(split_certificates(bundle));
  if (listed.empty()) {
    if (sent.size() == 1 && !sent.front().empty() && sent.front() == pinned_pin) return "";
    return "pki.caCert holds " + std::to_string(sent.size()) +
           " certificate(s); the desired state lists no CAs, so it must be exactly the pinned CA " +
           pinned_pin;
  }
  const std::vector<std::string> expected = ca_pins(listed);
  if (sent == expected && std::find(sent.begin(), sent.end(), "") == sent.end()) return "";
  std::string have;
  for (const auto& pin : sent) have += (have.empty() ? "" : ", ") + (pin.empty() ? "?" : pin);
  std::string want;
  for (const auto& pin : expected) want += (want.empty() ? "" : ", ") + pin;
  return "pki.caCert holds [" + have + "], not the CAs the signed desired state lists [" + want +
         "] (an answering node that has not followed that document yet: join again)";
}

CaPhase ca_phase(const std::vector<std::string>& listed) {
  if (listed.size() < 2) return CaPhase::kSteady;
  for (std::size_t i = 1; i < listed.size(); ++i)
    if (made_after(listed[i], listed.front())) return CaPhase::kIntroducing;
  return CaPhase::kRetiring;
}

std::string ca_phase_name(CaPhase phase) {
  switch (phase) {
    case CaPhase::kSteady:
      return "steady";
    case CaPhase::kIntroducing:
      return "introducing";
    case CaPhase::kRetiring:
      return "retiring";
  }
  return "unknown";
}

std::string newest_ca(const std::vector<std::string>& listed) {
  std::string newest;
  for (const auto& ca : listed)
    if (newest.empty() || made_after(ca, newest)) newest = ca;
  return newest;
}

std::vector<std::string> ca_keys_wanted(const std::vector<std::string>& listed) {
  if (listed.empty()) return {};
  std::vector<std::string> wanted = {listed.front()};
  if (ca_phase(listed) == CaPhase::kIntroducing) {
    const std::string next = newest_ca(listed);
    if (next != listed.front()) wanted.push_back(next);
  }
  return wanted;
}

std::vector<std::string> ca_pins(const std::vector<std::string>& certificates) {
  std::vector<std::string> out;
  for (const auto& cert : certificates) {
    auto pin = spki_pin(cert);
    out.push_back(pin ? *pin : "");
  }
  return out;
}

}  // namespace pydio::agent::trust
