#pragma once
// What libblkid finds on a block device, as a plain struct, and the pure decision whether the
// agent may format it. A device is "blank" only when probing finds nothing at all: no
// filesystem or other superblock signature (even one with a bad checksum) and no partition
// table. Anything else is somebody's data and is never formatted.

#include <string>
#include <vector>

#include "common/status.hpp"

namespace pydio::common {

struct BlockSignature {
  enum class Kind { kSuperblock, kPartitionTable };
  Kind kind = Kind::kSuperblock;
  std::string type;   // TYPE ("ext4", "xfs", "LVM2_member", ...) or PTTYPE ("dos", "gpt")
  std::string label;  // LABEL, superblocks only, may be empty
  std::string uuid;   // UUID (superblocks) or PTUUID (partition tables), may be empty
};

struct BlockProbe {
  std::string device;
  std::vector<BlockSignature> signatures;  // every signature found, in probing order

  bool blank() const { return signatures.empty(); }
};

// Probes `device` read-only with libblkid (superblocks and partition tables, every
// signature). Changes nothing on the device. Fails when the device cannot be opened or read.
Expected<BlockProbe> probe_block_device(const std::string& device);

struct FormatDecision {
  enum class Kind {
    kFormat,         // nothing found: the agent may create the filesystem
    kUseExisting,    // exactly one signature, the wanted filesystem: mount it, never format
    kRefuse,         // anything else: leave the device untouched
  };
  Kind kind = Kind::kRefuse;
  std::string reason;  // for kRefuse: "device /dev/loop3 holds a ext4 filesystem (UUID ...); refusing to format it"
};

// Pure. `wanted_fstype` is the filesystem the brick should carry ("xfs").
FormatDecision format_decision(const BlockProbe& probe, const std::string& wanted_fstype);

// "a ext4 filesystem (LABEL x, UUID y)" / "a dos partition table (PTUUID z)".
std::string describe_signature(const BlockSignature& signature);

}  // namespace pydio::common
