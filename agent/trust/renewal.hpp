#pragma once
// When a node certificate is renewed, and what a renewal request may ask for. Pure apart from
// parsing the request (OpenSSL); tested without any host.
//
// The renewal window opens when less than a third of the certificate's own lifetime remains
// (for the 1-year certificates the agents issue: about 122 days before the end), as kubelet
// client rotation renews at 70-90 % of the lifetime. The agent looks at start and every hour,
// so a node that is down for months still renews at its next start as long as the certificate
// has not expired. Once expired, the peers refuse it at the handshake: only a node holding the
// CA key can still renew itself; any other node must join again (docs/operations.md).

#include <chrono>
#include <string>

namespace pydio::agent::trust {

using Clock = std::chrono::system_clock;

enum class RenewalNeed {
  kNotYet,   // more than a third of the lifetime remains
  kDue,      // inside the renewal window: renew now
  kExpired,  // past notAfter (or not valid yet): the peers refuse it
};

// The moment the renewal window opens: notAfter minus a third of [notBefore, notAfter].
Clock::time_point renewal_opens(Clock::time_point not_before, Clock::time_point not_after);
RenewalNeed renewal_need(Clock::time_point not_before, Clock::time_point not_after,
                         Clock::time_point now);
// "not yet", "due", "expired" (status).
std::string renewal_need_name(RenewalNeed need);

// A request for a node certificate (POST /v1/peer/certificate) as the signer judges it. The
// signer takes only the public key from the request: the name and address it signs are the
// caller's own, from its verified certificate and its connection. A request naming another node
// is refused rather than silently signed for the caller, so the attempt is seen.
enum class RequestVerdict {
  kAccepted,
  kMalformed,  // not a certificate request, or its self-signature does not verify (400)
  kOtherNode,  // asks for another node's name: a node speaks only for itself (403)
};
struct RequestCheck {
  RequestVerdict verdict = RequestVerdict::kMalformed;
  std::string reason;  // "" when accepted
};
RequestCheck check_certificate_request(const std::string& csr_pem, const std::string& caller);

}  // namespace pydio::agent::trust
