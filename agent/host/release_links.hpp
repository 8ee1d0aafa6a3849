#pragma once
// The two links in the docroot that say which release a node serves: `current` (what the
// vhost's Alias points into) and `previous` (what a failed check switches back to), each
// "releases/<id>". A link is changed by renaming a new one over it, so Apache sees the old
// target or the new one, never none. The docroot is opened without following a link.

#include <string>

#include "common/status.hpp"

namespace pydio::agent {

inline constexpr const char* kCurrentLink = "current";
inline constexpr const char* kPreviousLink = "previous";

// The release id a link's target names ("releases/<id>" gives "<id>"); "" for anything else.
std::string release_id_of_link_target(const std::string& target);

// The id `<docroot>/<name>` points to; "" when it is missing or a link to anything but
// releases/<id>. An error when it is something other than a link (a directory: the
// operator's; the agent replaces no directory) or the docroot cannot be opened.
common::Expected<std::string> read_release_link(const std::string& docroot,
                                                const std::string& name);

// Makes `<docroot>/<name>` a link to releases/<id>: a new link <name>.new renamed over it.
// Refuses to replace anything but a link. Failure: the old link is as it was.
common::Status point_release_link(const std::string& docroot, const std::string& name,
                                  const std::string& id);

// Removes the link `<docroot>/<name>` (a missing one is success; anything else is refused).
common::Status remove_release_link(const std::string& docroot, const std::string& name);

}  // namespace pydio::agent
