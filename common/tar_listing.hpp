#pragma once
// The verbose listing of a tar archive, as GNU tar 1.34 prints it with the options the agent
// always passes (kTarListOptions): one member per line, names in C quotes, so a name with
// " -> " or a newline in it cannot pass for a link or for two members. Pure; tested on recorded
// listings (test/data/tar/).

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::common {

// tar --list --verbose --gzip <these> --file ARCHIVE, run with LC_ALL=C (dates and octal
// escapes of non-ASCII bytes then do not depend on the locale).
inline constexpr const char* kTarListOptions[] = {"--quoting-style=c", "--numeric-owner",
                                                  "--full-time"};

struct TarMember {
  // The first letter of the listed mode: '-' regular file, 'd' directory, 'l' symbolic link,
  // 'h' hard link, 'c'/'b' character/block device, 'p' FIFO, others as tar prints them.
  char type = '?';
  std::string name;       // decoded, as stored (a directory's trailing "/" kept)
  std::string link;       // decoded target of a symbolic or hard link; "" otherwise
  std::int64_t size = 0;  // bytes; 0 for devices ("major,minor" is listed there)
  std::size_t line = 0;   // 1-based line of the listing
};

// Every member of `listing`, in order. An error names the line that does not read as a member.
Expected<std::vector<TarMember>> parse_tar_listing(const std::string& listing);

}  // namespace pydio::common
