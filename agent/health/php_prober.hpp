#pragma once
// Asks the PHP probe page (GET /.pydio-agent/probe.php on 127.0.0.1:80) without ever blocking
// the caller longer than a bound. The page creates and removes a file on each volume, so on a
// hung mount it hangs with it: the request runs on a thread of its own and, while it is
// unanswered, no second request is sent (the page's own lock answers 429 to any other). The
// caller then sees kHung once the request has been open longer than kHungAfter.
// Between answers a new request goes out at most every kEvery (each probe writes on the
// volumes). Thread-safe.

#include <chrono>
#include <memory>
#include <string>

#include "agent/health/php_probe.hpp"
#include "agent/host/local_http.hpp"

namespace pydio::agent {

class PhpProber {
 public:
  static constexpr std::chrono::seconds kEvery{3};
  static constexpr std::chrono::seconds kHungAfter{6};
  // A request still open after this is closed on our side (Apache's own Timeout is 300 s).
  static constexpr std::chrono::seconds kGiveUpAfter{600};

  // `mounts_key`: the volumes' mount ids ("37-41"), sent with each request; a prober is made
  // per set of mounts, so a request stuck on a mount the agent has replaced never blocks the
  // probes of the new one (the page locks per key).
  explicit PhpProber(std::string mounts_key = "");
  ~PhpProber();  // never waits for an open request: the thread finishes on its own
  PhpProber(const PhpProber&) = delete;
  PhpProber& operator=(const PhpProber&) = delete;

  // The latest result after waiting at most `bound` for a request sent now (or still open).
  PhpProbeResult probe(std::chrono::milliseconds bound);

 private:
  struct Shared;
  static void request_loop(const std::shared_ptr<Shared>& shared);
  std::shared_ptr<Shared> shared_;
};

// One GET of kProbeUrlPath on 127.0.0.1:80 (local_http.hpp): the status (0 when there was no
// HTTP answer, with the reason as body) and the body. Blocks until the answer ends or `give_up`.
HttpAnswer get_local_probe(std::chrono::seconds give_up, const std::string& mounts_key = "");

}  // namespace pydio::agent
