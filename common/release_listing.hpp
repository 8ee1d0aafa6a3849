#pragma once
// What a Pydio release archive must look like before the agent stores it for every compute
// node to unpack as root (agentctl app publish; docs/operations.md "Publishing a Pydio
// release"). Pure: it judges the archive's listing (common/tar_listing.hpp), never the file.
// A release unpacks into exactly one top directory (pydio-core-<version>/, as Pydio's own
// archives do) holding only regular files, directories, symbolic links whose target stays in
// that directory and hard links to regular files of it; the files Pydio needs to boot are there.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/tar_listing.hpp"

namespace pydio::common {

// Relative to the top directory: what Pydio reads before anything else (docs/plans/web-tier.md
// §1.7); the agent edits the bootstrap files when it installs the release.
inline constexpr const char* kReleaseRequiredFiles[] = {
    "index.php", "base.conf.php", "conf/VERSION", "conf/bootstrap_context.php",
    "conf/bootstrap_repositories.php"};
inline constexpr const char* kReleaseVersionFile = "conf/VERSION";
// Bounds of what a release may unpack to (a small archive may expand without limit).
inline constexpr std::size_t kMaxReleaseMembers = 200000;
inline constexpr std::int64_t kMaxReleaseUnpackedBytes = std::int64_t{8} << 30;  // 8 GiB
inline constexpr std::int64_t kMaxReleaseVersionBytes = 4096;
// Lines "<quoted member>: <problem>" reported at most (the rest are counted).
inline constexpr std::size_t kMaxReleaseProblems = 20;

struct ReleaseLayout {
  std::string top;  // the top directory's name, e.g. "pydio-core-8.2.5"
  std::size_t members = 0;
  std::int64_t unpacked_bytes = 0;  // sum of the regular files' sizes
};

struct ReleaseListingCheck {
  std::optional<ReleaseLayout> layout;  // set only when `problems` is empty
  std::vector<std::string> problems;    // each names the member: "\"../x\": ..."
};

ReleaseListingCheck check_release_listing(const std::vector<TarMember>& members);

// The release's version from its conf/VERSION text: the first "__" field
// ("8.2.5__2020-06-24__cc0a9d1__68" -> "8.2.5"). An error when it is empty or holds anything
// but [A-Za-z0-9._+-] or starts with "." (it is shown in status, written into the desired
// state and part of file names).
Expected<std::string> release_version(const std::string& version_file);

}  // namespace pydio::common
