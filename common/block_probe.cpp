#include "common/block_probe.hpp"

#include <blkid/blkid.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace pydio::common {
namespace {

struct ProbeDeleter {
  void operator()(blkid_struct_probe* probe) const { blkid_free_probe(probe); }
};
using ProbePtr = std::unique_ptr<blkid_struct_probe, ProbeDeleter>;

std::string lookup(blkid_probe probe, const char* name) {
  const char* value = nullptr;
  if (blkid_probe_lookup_value(probe, name, &value, nullptr) == 0 && value) return value;
  return "";
}

}  // namespace

Expected<BlockProbe> probe_block_device(const std::string& device) {
  errno = 0;
  ProbePtr probe(blkid_new_probe_from_filename(device.c_str()));
  if (!probe) {
    return Status::error("probe " + device + ": " +
                         (errno ? std::strerror(errno) : std::string("cannot open device")));
  }
  // The MAGIC flags make blkid_do_probe() step through every signature (as wipefs does)
  // instead of stopping at the first; BADCSUM reports a damaged superblock too: it is still
  // someone's data.
  blkid_probe_enable_superblocks(probe.get(), 1);
  blkid_probe_set_superblocks_flags(probe.get(), BLKID_SUBLKS_TYPE | BLKID_SUBLKS_LABEL |
                                                      BLKID_SUBLKS_UUID | BLKID_SUBLKS_MAGIC |
                                                      BLKID_SUBLKS_BADCSUM);
  blkid_probe_enable_partitions(probe.get(), 1);
  blkid_probe_set_partitions_flags(probe.get(), BLKID_PARTS_MAGIC);

  BlockProbe result;
  result.device = device;
  int rc = 0;
  while ((rc = blkid_do_probe(probe.get())) == 0) {
    BlockSignature signature;
    std::string pttype = lookup(probe.get(), "PTTYPE");
    std::string type = lookup(probe.get(), "TYPE");
    if (!type.empty()) {
      signature.kind = BlockSignature::Kind::kSuperblock;
      signature.type = type;
      signature.label = lookup(probe.get(), "LABEL");
      signature.uuid = lookup(probe.get(), "UUID");
    } else if (!pttype.empty()) {
      signature.kind = BlockSignature::Kind::kPartitionTable;
      signature.type = pttype;
      signature.uuid = lookup(probe.get(), "PTUUID");
    } else {
      signature.type = "unknown signature";
    }
    result.signatures.push_back(std::move(signature));
  }
  if (rc < 0) return Status::error("probe " + device + ": libblkid failed to read the device");
  return result;
}

std::string describe_signature(const BlockSignature& signature) {
  std::string text = "a " + signature.type;
  std::string details;
  if (signature.kind == BlockSignature::Kind::kPartitionTable) {
    text += " partition table";
    if (!signature.uuid.empty()) details = "PTUUID " + signature.uuid;
  } else {
    text += " filesystem";
    if (!signature.label.empty()) details = "LABEL " + signature.label;
    if (!signature.uuid.empty()) details += (details.empty() ? "" : ", ") + ("UUID " + signature.uuid);
  }
  if (!details.empty()) text += " (" + details + ")";
  return text;
}

FormatDecision format_decision(const BlockProbe& probe, const std::string& wanted_fstype) {
  FormatDecision decision;
  if (probe.blank()) {
    decision.kind = FormatDecision::Kind::kFormat;
    return decision;
  }
  if (probe.signatures.size() == 1 &&
      probe.signatures.front().kind == BlockSignature::Kind::kSuperblock &&
      probe.signatures.front().type == wanted_fstype) {
    decision.kind = FormatDecision::Kind::kUseExisting;
    return decision;
  }
  std::string found;
  for (size_t i = 0; i < probe.signatures.size(); ++i) {
    if (i > 0) found += i + 1 == probe.signatures.size() ? " and " : ", ";
    found += describe_signature(probe.signatures[i]);
  }
  decision.kind = FormatDecision::Kind::kRefuse;
  decision.reason = "device " + probe.device + " holds " + found + "; refusing to format it";
  return decision;
}

}  // namespace pydio::common
