#!/bin/bash
# Records real listings of release-shaped archives as the agent asks for them (GNU tar 1.34,
# Debian 12; agent/daemon/release_publisher.cpp runs the same argv with LC_ALL=C):
#   tar --list --verbose --gzip --quoting-style=c --numeric-owner --full-time --file ARCHIVE
# The archives are built in a temporary directory from test/data/pydio-fixture/tree (as
# test/integration/support/pydio_fixture.cpp packs it) and from hand-made hostile trees; only
# the listings (<name>.list) are kept, for test/unit/common/release_listing_test.cpp.
# Usage (root, for the device nodes): test/data/tar/record.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$here/../pydio-fixture/tree" && pwd)
work=$(mktemp -d /tmp/tar-record.XXXXXX)
trap 'rm -rf "$work"' EXIT
top=pydio-core-fixture-1

fixture() {  # a fresh copy of the fixture in $work/$1/$top
  rm -rf "${work:?}/$1"
  mkdir -p "$work/$1"
  cp -a "$tree" "$work/$1/$top"
  echo "fixture-1__2026-11-30__t__68" >"$work/$1/$top/conf/VERSION"
}
list() {  # name, archive
  LC_ALL=C TAR_OPTIONS= tar --list --verbose --gzip --quoting-style=c --numeric-owner \
    --full-time --file "$2" >"$here/$1.list" 2>/dev/null
}
pack() {  # archive, directory, members... (names kept as given: -P)
  local archive=$1 dir=$2
  shift 2
  tar -P --owner=0 --group=0 -czf "$archive" -C "$dir" "$@"
}

# The fixture as the integration tests pack it.
fixture ok
pack "$work/ok.tgz" "$work/ok" "$top"
list fixture-1 "$work/ok.tgz"

# Allowed: symlinks that stay in the tree (composer's vendor/bin style), odd but harmless names,
# a long name (GNU long-name header), a hard link to a file of the tree.
fixture odd
mkdir -p "$work/odd/$top/core/vendor/bin" "$work/odd/$top/core/vendor/pkg/bin"
echo '#!/bin/sh' >"$work/odd/$top/core/vendor/pkg/bin/tool"
ln -s ../pkg/bin/tool "$work/odd/$top/core/vendor/bin/tool"
ln -s conf/VERSION "$work/odd/$top/VERSION.link"
touch "$work/odd/$top/sp ace -> x" "$work/odd/$top/\"q\"" "$work/odd/$top/back\\slash" \
  "$work/odd/$top/caf$(printf '\303\251').txt"
long="$work/odd/$top/$(printf 'd%.0s' {1..60})/$(printf 'f%.0s' {1..80}).php"
mkdir -p "$(dirname "$long")" && echo x >"$long"
ln "$work/odd/$top/index.php" "$work/odd/$top/index-copy.php"
pack "$work/odd.tgz" "$work/odd" "$top"
list odd-names "$work/odd.tgz"

# Hostile: a member "../x" next to the tree.
fixture dotdot
echo x >"$work/x"
pack "$work/dotdot.tgz" "$work/dotdot" "$top" ../x
list hostile-dotdot "$work/dotdot.tgz"

# Hostile: an absolute member name.
fixture absolute
pack "$work/absolute.tgz" "$work/absolute" "$top" "$work/x"
list hostile-absolute "$work/absolute.tgz"

# Hostile: symlinks that leave the tree (relative and absolute).
fixture links
ln -s ../../../etc/passwd "$work/links/$top/conf/passwd"
ln -s /etc/shadow "$work/links/$top/shadow"
pack "$work/links.tgz" "$work/links" "$top"
list hostile-symlink-out "$work/links.tgz"

# Hostile: device nodes and a FIFO.
fixture devices
mknod "$work/devices/$top/null" c 1 3
mknod "$work/devices/$top/loop" b 7 0
mkfifo "$work/devices/$top/fifo"
pack "$work/devices.tgz" "$work/devices" "$top"
list hostile-devices "$work/devices.tgz"

# Hostile: a hard link whose target is outside the tree (archived first, so the member of the
# tree is stored as "link to ../x").
fixture hardlink
ln "$work/x" "$work/hardlink/$top/passwd"
pack "$work/hardlink.tgz" "$work/hardlink" ../x "$top"
list hostile-hardlink-out "$work/hardlink.tgz"

# Hostile: a symlink in the tree, then a file "through" it (two archives concatenated: tar
# extracts the second member through the link).
fixture through
ln -s ../conf "$work/through/$top/plugins/out"
mkdir -p "$work/through2/$top/plugins/out"
echo x >"$work/through2/$top/plugins/out/evil.php"
tar --owner=0 --group=0 -cf "$work/through.tar" -C "$work/through" "$top"
tar --owner=0 --group=0 -rf "$work/through.tar" -C "$work/through2" "$top/plugins/out/evil.php"
gzip -c "$work/through.tar" >"$work/through.tgz"
list hostile-through-symlink "$work/through.tgz"

# Not a release: two top directories; the required files missing.
fixture two
mkdir -p "$work/two/other" && echo x >"$work/two/other/readme"
pack "$work/two.tgz" "$work/two" "$top" other
list two-tops "$work/two.tgz"
fixture missing
rm "$work/missing/$top/conf/VERSION" "$work/missing/$top/base.conf.php"
pack "$work/missing.tgz" "$work/missing" "$top"
list missing-files "$work/missing.tgz"
# ./ names (tar -C dir .)
fixture dot
pack "$work/dot.tgz" "$work/dot" .
list dot-top "$work/dot.tgz"
