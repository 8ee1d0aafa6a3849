#include "agent/trust/renewal.hpp"

#include "agent/trust/pki.hpp"

namespace pydio::agent::trust {

Clock::time_point renewal_opens(Clock::time_point not_before, Clock::time_point not_after) {
  if (not_after <= not_before) return not_before;  // a nonsensical certificate is due at once
  return not_after - (not_after - not_before) / 3;
}

RenewalNeed renewal_need(Clock::time_point not_before, Clock::time_point not_after,
                         Clock::time_point now) {
  if (now >= not_after || now < not_before) return RenewalNeed::kExpired;
  if (now >= renewal_opens(not_before, not_after)) return RenewalNeed::kDue;
  return RenewalNeed::kNotYet;
}

std::string renewal_need_name(RenewalNeed need) {
  switch (need) {
    case RenewalNeed::kNotYet:
      return "not yet";
    case RenewalNeed::kDue:
      return "due";
    case RenewalNeed::kExpired:
      return "expired";
  }
  return "unknown";
}

RequestCheck check_certificate_request(const std::string& csr_pem, const std::string& caller) {
  if (caller.empty()) return {RequestVerdict::kOtherNode, "the caller presented no certificate"};
  auto requested = request_common_name(csr_pem);
  if (!requested) return {RequestVerdict::kMalformed, "csr: " + requested.status().message()};
  if (*requested != caller) {
    return {RequestVerdict::kOtherNode, "a node speaks only for itself: node " + caller +
                                            " asked for a certificate of node " + *requested};
  }
  return {RequestVerdict::kAccepted, ""};
}

}  // namespace pydio::agent::trust
