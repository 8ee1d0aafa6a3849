#!/bin/bash
# Records what the leader's glusterd says about a peer while it joins the trusted pool, and
# what volume transactions around a join do (test/unit/common/gluster_xml_test.cpp,
# test/unit/agent/resources/pool_hold_test.cpp, volume_plan_test.cpp). Run as root, holding the
# simulated-node lock:
#   flock /work/.simnodes.lock test/data/gluster/record-probe.sh [OUTDIR]
# Five simulated nodes (test/harness/simnode), all destroyed on exit; n1 has a started
# replica 2 volume v1 (two directory bricks, force) and probes the others:
# 1. n2, while n1 polls `pool list` and `peer status` and n2 polls `volume info v1`: each
#    distinct state of n2 is kept as OUTDIR/{pool_list,peer_status}_state<N>.xml;
# 2. n3, with an add-brick of bricks on n3 the moment the probe returns
#    (volume_add_brick_joining.xml);
# 3. n4, with a `volume set` while n4 joins, then an add-brick on n4 once it has joined;
# 4. n5, with an add-brick whose commit fails on n5 (volume_add_brick_commit_failed.xml,
#    volume_info_commit_failed.xml), then `volume start force`.
# What happened, with times in ms after each probe, goes to OUTDIR/recorded-probe.txt.
set -u
here=$(cd "$(dirname "$0")" && pwd)
S=$(realpath "$here/../../harness/simnode")
OUT=$(realpath "${1:-$here}")
LOG="$OUT/recorded-probe.txt"
RD=$(mktemp -d /tmp/pydio-sim-XXXXXX)
export SIMNODE_OWNER_PID=$$
WORK=$(mktemp -d /tmp/pydio-probe-XXXXXX)
POLLERS=()
cleanup() {
  for pid in "${POLLERS[@]}"; do kill "$pid" 2>/dev/null; done
  wait 2>/dev/null
  "$S" destroy "$RD" >/dev/null 2>&1
  rm -rf "$WORK"
}
trap cleanup EXIT

on() { local n=$1; shift; "$S" exec "$RD" "$n" -- "$@"; }
g() { local n=$1; shift; on "$n" gluster --mode=script "$@"; }
now_ms() { echo $((${EPOCHREALTIME/./} / 1000)); }
note() { echo "$*" | tee -a "$LOG"; }
wait_for() { # tries (0.1 s apart), command...
  local n=$1 i; shift
  for ((i = 0; i < n; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  return 1
}

# Polls `gluster --xml ARGS` on NODE until killed; every answer goes to DIR/<ms>.xml.
poll() {
  local node=$1 dir=$2; shift 2
  mkdir -p "$dir"
  while :; do
    local t
    t=$(now_ms)
    g "$node" --xml "$@" >"$dir/$t.xml" 2>/dev/null
  done
}

# The peer <stateStr> of HOST in an XML answer ("-" when absent), with <connected>.
peer_state() {
  python3 - "$1" "$2" <<'EOF'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("unparsable"); sys.exit()
for peer in root.iter("peer"):
    names = [peer.findtext("hostname")] + [h.text for h in peer.iter("hostname")]
    if sys.argv[2] in names:
        print("%s/%s/connected=%s" % (peer.findtext("state", "-"), peer.findtext("stateStr", "-"),
                                      peer.findtext("connected")))
        sys.exit()
print("absent")
EOF
}

# Summarises a poll directory: the times (ms after T0) at which the state of HOST changed.
summarise() {
  local dir=$1 host=$2 t0=$3 kind=$4 last="" f t state
  for f in $(ls "$dir" | sort -n); do
    t=${f%.xml}
    state=$(peer_state "$dir/$f" "$host")
    if [ "$state" != "$last" ]; then
      note "  $kind +$((t - t0)) ms: $state"
      last=$state
      local tag
      tag=$(echo "$state" | cut -d/ -f1)
      if [ "$tag" != "-" ] && [ "$tag" != "absent" ] && [ "$tag" != "unparsable" ]; then
        [ -e "$OUT/${kind}_state$tag.xml" ] || cp "$dir/$f" "$OUT/${kind}_state$tag.xml"
      fi
    fi
  done
}

: >"$LOG"
for n in 1 2 3; do "$S" create "$RD" n$n $n || exit 1; done
for n in 1 2 3; do on n$n glusterd || exit 1; done
for n in 1 2 3; do wait_for 300 g n$n pool list || { echo "glusterd n$n not answering"; exit 1; }; done
for n in 1 3; do on n$n mkdir -p /srv/b1 /srv/b2; done
g n1 volume create v1 replica 2 198.18.0.1:/srv/b1/v1 198.18.0.1:/srv/b2/v1 force >/dev/null &&
  g n1 volume start v1 >/dev/null || { echo "volume v1 not started"; exit 1; }
# auth.allow as the agent manages it, before n3 is part of the cluster.
g n1 volume set v1 auth.allow 198.18.0.1,198.18.0.2 >/dev/null || { echo "auth.allow not set"; exit 1; }
note "glusterfs: $(on n1 glusterd --version | head -1)"

# 1. n2 joins while n1 polls its peer list and n2 polls the volume.
poll n1 "$WORK/pool" pool list &
POLLERS+=($!)
poll n1 "$WORK/peer" peer status &
POLLERS+=($!)
poll n2 "$WORK/vol2" volume info v1 &
POLLERS+=($!)
sleep 1
t0=$(now_ms)
g n1 peer probe 198.18.0.2 >/dev/null
note "probe 198.18.0.2 returned after $(($(now_ms) - t0)) ms"
sleep 6
for pid in "${POLLERS[@]}"; do kill "$pid" 2>/dev/null; done
wait 2>/dev/null
POLLERS=()
note "n1's view of 198.18.0.2:"
summarise "$WORK/pool" 198.18.0.2 "$t0" pool_list
summarise "$WORK/peer" 198.18.0.2 "$t0" peer_status
last=""
for f in $(ls "$WORK/vol2" | sort -n); do
  t=${f%.xml}
  if grep -q '<name>v1</name>' "$WORK/vol2/$f"; then has=yes; else has=no; fi
  [ "$has" != "$last" ] && note "  n2 knows volume v1 +$((t - t0)) ms: $has"
  last=$has
done

# 2. n3 is probed and at once a replica set on n3 is added (what the leader did before it
# waited for "Peer in Cluster").
t0=$(now_ms)
g n1 peer probe 198.18.0.3 >/dev/null
g n1 --xml volume add-brick v1 replica 2 198.18.0.3:/srv/b1/v1 198.18.0.3:/srv/b2/v1 force \
  >"$WORK/add.xml" 2>&1
note "add-brick right after probing 198.18.0.3 (+$(($(now_ms) - t0)) ms): $(grep -o '<opErrstr>[^<]*' "$WORK/add.xml" | sed 's/<opErrstr>//') opRet=$(grep -o '<opRet>[^<]*' "$WORK/add.xml" | sed 's/<opRet>//')"
if grep -q '<opRet>-1' "$WORK/add.xml"; then cp "$WORK/add.xml" "$OUT/volume_add_brick_joining.xml"; fi
sleep 5
for n in 1 2 3; do
  note "  n$n after 5 s: bricks of v1: $(g n$n volume info v1 | grep '^Brick[0-9]' | tr '\n' ' ')"
done
note "  n1 after 5 s: 198.18.0.3 $(peer_state <(g n1 --xml peer status) 198.18.0.3)"
note "  n1 volume status v1: $(g n1 volume status v1 | grep '^Brick' | tr -s ' ' | tr '\n' ';')"

# 3. A fourth node: a `volume set` issued while it is still joining ("Accepted peer request",
# connected) succeeds, but never reaches it; an add-brick after it has joined still succeeds.
"$S" create "$RD" n4 4 && on n4 glusterd && wait_for 300 g n4 pool list || { echo "n4 failed"; exit 1; }
on n4 mkdir -p /srv/b1 /srv/b2
t0=$(now_ms)
g n1 peer probe 198.18.0.4 >/dev/null
note "probe 198.18.0.4 returned after $(($(now_ms) - t0)) ms; n1 sees it $(peer_state <(g n1 --xml pool list) 198.18.0.4)"
note "volume set v1 auth.allow ...,198.18.0.4 (+$(($(now_ms) - t0)) ms): $(g n1 volume set v1 auth.allow 198.18.0.1,198.18.0.2,198.18.0.3,198.18.0.4 2>&1)"
wait_for 300 sh -c "'$S' exec '$RD' n1 -- gluster --mode=script --xml pool list | grep -A3 '<hostname>198.18.0.4<' | grep -q '<state>3<'"
note "198.18.0.4 Peer in Cluster at +$(($(now_ms) - t0)) ms"
versions() {
  for n in 1 2 3 4; do
    note "  n$n: auth.allow $(g n$n volume get v1 auth.allow | awk '$1=="auth.allow"{print $2}'), $(on n$n grep '^version=' /var/lib/glusterd/vols/v1/info)"
  done
}
versions
note "add-brick with bricks on 198.18.0.4: $(g n1 volume add-brick v1 replica 2 198.18.0.4:/srv/b1/v1 198.18.0.4:/srv/b2/v1 force 2>&1)"
sleep 3
versions
note "  n1 volume status v1: $(g n1 volume status v1 | grep '^Brick' | tr -s ' ' | tr '\n' ';')"

# 4. An add-brick whose commit fails on the peer of the new bricks: n5's glusterfsd is
# replaced by /bin/false in n5's own mount namespace (the host's binary is untouched), so the
# new bricks cannot start there. What is left, and what starts them afterwards.
"$S" create "$RD" n5 5 && on n5 glusterd && wait_for 300 g n5 pool list || { echo "n5 failed"; exit 1; }
on n5 mkdir -p /srv/b1 /srv/b2
g n1 peer probe 198.18.0.5 >/dev/null
# Every member must see n5 in the cluster: each checks its own view at pre-validation.
for n in 1 2 3 4; do
  wait_for 300 sh -c "'$S' exec '$RD' n$n -- gluster --mode=script --xml pool list | grep -A3 '<hostname>198.18.0.5<' | grep -q '<state>3<'"
done
on n5 mount --bind /bin/false /usr/sbin/glusterfsd || { echo "bind mount in n5 failed"; exit 1; }
g n1 --xml volume add-brick v1 replica 2 198.18.0.5:/srv/b1/v1 198.18.0.5:/srv/b2/v1 force \
  >"$OUT/volume_add_brick_commit_failed.xml"
on n5 umount /usr/sbin/glusterfsd
note "add-brick, brick processes cannot start on 198.18.0.5: $(grep -o '<opErrstr>[^<]*' "$OUT/volume_add_brick_commit_failed.xml" | sed 's/<opErrstr>//')"
g n1 --xml volume info v1 >"$OUT/volume_info_commit_failed.xml"
bricks_on() { g "$1" volume info v1 | grep -c '^Brick[0-9]'; }
offline() { g n1 volume status v1 | awk '/^Brick/ && $(NF-1)=="N" {print $2}' | tr '\n' ' '; }
note "  bricks of v1 on n1: $(bricks_on n1), on n5: $(bricks_on n5); offline: $(offline)"
note "  volume start v1 force: $(g n1 volume start v1 force 2>&1)"
sleep 3
note "  offline after it: $(offline)"
note "  rebalance: $(g n1 volume rebalance v1 start 2>&1 | head -1)"
