#pragma once
// One HTTP/1.0 GET to the node's own Apache on 127.0.0.1:80, bounded in time and size: the
// agent's PHP probe and the check of a release just switched to.

#include <chrono>
#include <string>

namespace pydio::agent {

// The status (0 when there was no HTTP answer, with the reason as body) and the body.
struct HttpAnswer {
  int status = 0;
  std::string body;
};

// GET `target` (path and query) with `host` as the Host header. Blocks until the answer ends
// or `give_up` passes; reads at most 1 MiB.
HttpAnswer local_http_get(const std::string& target, const std::string& host,
                          std::chrono::seconds give_up);

}  // namespace pydio::agent
