#pragma once
// Removes the releases a node no longer needs: every release tree, local cache and local
// archive copy whose id is not kept (the current and previous release, and the ones the
// desired state names), and any tree left half-made (.<id>.partial).

#include <set>
#include <string>
#include <vector>

#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// True for 12 lowercase hex digits (release_id of a sha256).
bool is_release_id(const std::string& name);

// The entries of `dir` (opened without following a link), sorted; empty when it is missing.
common::Expected<std::vector<std::string>> directory_names(const std::string& dir);

enum class PrunedKind { kTree, kFile };
struct PruneStep {
  std::string path;
  PrunedKind kind = PrunedKind::kTree;
};

struct ReleaseDirs {
  std::string releases_dir;  // <docroot>/releases: <id>/ and .<id>.partial/
  std::string cache_dir;     // web.localCacheDir: <id>/ (and the operator's own entries)
  std::string archive_dir;   // /var/lib/pydio-agent/releases: <64 hex>.tar.gz
};

// Pure: what goes, given the names found in each directory. Only names the agent makes are
// candidates (ids, partials, archives); anything else in those directories is left alone.
std::vector<PruneStep> prune_steps(const ReleaseDirs& dirs,
                                   const std::vector<std::string>& releases,
                                   const std::vector<std::string>& caches,
                                   const std::vector<std::string>& archives,
                                   const std::set<std::string>& keep_ids);

// Lists the three directories and removes what prune_steps says. Stops at the first failure.
common::Status prune_releases(common::ProcessRunner& runner, const ReleaseDirs& dirs,
                              const std::set<std::string>& keep_ids);

}  // namespace pydio::agent
