#pragma once
// The release-shaped Pydio stand-in (test/data/pydio-fixture, see its README.md): packed into
// `pydio-core-fixture-<n>.tar.gz` in the run directory with `tar`, and unpacked into a node's
// directory (operator-installed mode: the operator unpacks a release where web.installDir is).

#include <string>

#include "sim_cluster.hpp"

namespace pydio::test {

enum class FixtureVariant {
  kV1,          // fixture-1: the anchors exactly as Pydio 8.2.5 ships them
  kV2,          // fixture-2: another VERSION and a release.txt marker
  kV3,          // fixture-3: index.php does not parse (a broken release)
  kUnexpected,  // fixture-1 whose AJXP_DATA_PATH already points to "/srv/elsewhere"
};

// The line of conf/bootstrap_context.php the `unexpected` variant has instead of Pydio's.
inline constexpr const char* kUnexpectedDataPathLine =
    "define(\"AJXP_DATA_PATH\", \"/srv/elsewhere\");";

// Builds <run_dir>/pydio-core-fixture-<name>.tar.gz (one top directory
// pydio-core-fixture-<name>/, as Pydio's releases) and returns its path. REQUIREs success.
std::string build_pydio_fixture(const std::string& run_dir, FixtureVariant variant);

// Unpacks `archive` into `dir` inside `node` (created; the top directory stripped), files owned
// by root as a package or an operator's tar would leave them. REQUIREs success.
void unpack_pydio_fixture(SimNode& node, const std::string& archive, const std::string& dir);

}  // namespace pydio::test
