#pragma once
// Turns an unpacked release (<releases>/.<id>.partial, release_unpack.hpp) into a staged one:
// the slice-2 edits of pydio_edits.hpp applied there (AJXP_CACHE_DIR = <localCacheDir>/<id>,
// one cache per release: Pydio caches absolute paths of its install dir), that cache made for
// the web user, a marker file naming the release, and the tree renamed to <releases>/<id>.
// A tree without the marker is never taken for a staged release.

#include <sys/types.h>

#include <optional>
#include <string>

#include "agent/resources/pydio_edits.hpp"
#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

inline constexpr const char* kReleaseMarker = ".pydio-agent-release.json";

struct ReleaseMarker {
  std::string sha256;   // "sha256:<64 hex>"
  std::string version;  // first "__" field of conf/VERSION
};

// The marker's JSON text, and its parse (nullopt for anything else).
std::string release_marker_text(const ReleaseMarker& marker);
std::optional<ReleaseMarker> parse_release_marker(const std::string& text);

// "fixture-2" of "fixture-2__2026-11-30__t__68\n".
std::string release_version_of(const std::string& version_file_text);

struct StageRelease {
  std::string releases_dir;  // <docroot>/releases
  std::string id;            // release_id(sha256)
  std::string sha256;
  std::string cache_root;  // web.localCacheDir
  // Where the release points Pydio (config and data mountpoints, alias, publicUrl); the
  // install, conf and cache directories are filled in for this release.
  WiringTargets wiring;
  uid_t uid = 0;  // web user and group (owner of the release's cache)
  gid_t gid = 0;
};

// The edit targets of one release: install dir <releases>/<dir_name>, its conf/, and the
// cache <cache_root>/<id>.
WiringTargets release_wiring(const StageRelease& stage, const std::string& dir_name);

// From .<id>.partial to <id>, as the header says. Success: <releases>/<id> holds the edited
// release and its marker, and the cache exists (web user, 0750); returns the version.
// Failure (a file not as Pydio ships it: "<file>:<line>: expected ...; nothing changed"; a
// missing index.php, base.conf.php or conf/VERSION): <id> is not made.
common::Expected<std::string> finish_staged_release(common::ProcessRunner& runner,
                                                    const StageRelease& stage);

// The marker of <releases>/<id>; nullopt when the directory or its marker is missing or the
// marker is not one.
common::Expected<std::optional<ReleaseMarker>> read_release_marker(const std::string& releases_dir,
                                                                   const std::string& id);

}  // namespace pydio::agent
