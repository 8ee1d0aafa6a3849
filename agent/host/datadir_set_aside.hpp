#pragma once
// Setting a MariaDB datadir aside before a restore (docs/operations.md, "Restoring a backup"):
// nothing is ever deleted. The datadir's content moves to <datadir>.before-restore-<stamp>
// and an empty datadir with the same owner and mode takes its place. A datadir that is a
// directory of its parent's filesystem is renamed (instant); one that is a mount point of its
// own (a dedicated disk, a bind mount) cannot be, so its entries are moved there with
// `mv` (a copy across filesystems: it needs that much free space beside the datadir).
// REQUIRES: mariadbd is stopped.

#include <string>

#include "common/runner.hpp"
#include "common/status.hpp"

namespace pydio::agent {

// "20261201T013000Z" for now (UTC): the suffix of a set-aside datadir.
std::string restore_stamp();

// Pure: "<datadir>.before-restore-<stamp>".
std::string set_aside_path(const std::string& datadir, const std::string& stamp);

// Sets `datadir` aside; returns where it went, "" when there was nothing to set aside (no
// datadir, or nothing in it but lost+found: an empty datadir is made or kept). Refuses when
// the set-aside path exists already. On failure the error says what moved and what did not;
// nothing was deleted either way.
common::Expected<std::string> set_aside_datadir(common::ProcessRunner& runner,
                                                const std::string& datadir,
                                                const std::string& stamp);

}  // namespace pydio::agent
