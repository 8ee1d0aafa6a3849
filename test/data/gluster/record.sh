#!/bin/bash
# Records the real `gluster --mode=script --xml` outputs used by the parser tests
# (test/unit/common/gluster_xml_test.cpp). Run as root: ./record.sh [OUTDIR]
# Re-recording changes UUIDs, ports and PIDs, which the tests quote: update them with it.
#
# It changes nothing on the host: it re-executes itself in a private mount + network
# namespace where /run, /var/lib/glusterd, /var/log/glusterfs and /srv are tmpfs, starts its
# own glusterd on 198.18.0.1 (an address on the namespace's loopback), records, and stops
# every process it started by PID before the namespace goes away.
set -u
if [ -z "${PYDIO_RECORD_IN_NS:-}" ]; then
  exec env PYDIO_RECORD_IN_NS=1 unshare --mount --net --propagation private "$0" "$@"
fi

OUT=$(realpath "${1:-$(dirname "$0")}")
ADDR=198.18.0.1
LOG="$OUT/recorded.txt"

# Private copies of everything glusterd touches.
mount -t tmpfs tmpfs /run
mkdir -p /run/rec-lib /run/rec-log
for d in groups hooks geo-replication; do
  [ -d "/var/lib/glusterd/$d" ] && cp -a "/var/lib/glusterd/$d" /run/rec-lib/
done
mount --bind /run/rec-lib /var/lib/glusterd
mount --bind /run/rec-log /var/log/glusterfs
mount -t tmpfs tmpfs /srv
mkdir -p /srv/data /srv/arb1 /srv/arb2 /srv/arb3 /srv/rootmount
mount -t tmpfs tmpfs /srv/data        # a brick "device" mounted at /srv/data
mount -t tmpfs tmpfs /srv/rootmount   # used to show the refusal of a mountpoint root
ip link set lo up
ip addr add "$ADDR/32" dev lo

glusterd -N --log-level=INFO &
GLUSTERD_PID=$!

cleanup() {
  gluster --mode=script volume stop pydio-data force >/dev/null 2>&1
  gluster --mode=script volume stop pydio-arb force >/dev/null 2>&1
  kill "$GLUSTERD_PID" 2>/dev/null
  # Bricks and self-heal daemons started by glusterd write pid files under our private /run.
  for f in $(find /run/gluster -name '*.pid' 2>/dev/null); do
    pid=$(cat "$f")
    [ -n "$pid" ] && kill "$pid" 2>/dev/null
  done
  wait "$GLUSTERD_PID" 2>/dev/null
  # Anything else still in this mount namespace was started by us: report and stop it by PID.
  me=$(readlink /proc/$$/ns/mnt)
  for p in /proc/[0-9]*; do
    pid=${p#/proc/}
    [ "$pid" = "$$" ] && continue
    if [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$me" ]; then
      cmd=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)
      case "$cmd" in *record.sh*|"") continue ;; esac
      echo "left over: $pid $cmd" >&2
      kill "$pid" 2>/dev/null
    fi
  done
}
trap cleanup EXIT

# name, then the gluster arguments after --mode=script --xml
rec() {
  local name=$1
  shift
  gluster --mode=script --xml "$@" >"$OUT/$name.xml" 2>"/run/rec-stderr"
  local rc=$?
  printf '%s: exit %d: gluster --mode=script --xml %s\n' "$name" "$rc" "$*" >>"$LOG"
  if [ -s /run/rec-stderr ]; then
    sed 's/^/    stderr: /' /run/rec-stderr >>"$LOG"
  fi
  [ -s "$OUT/$name.xml" ] || rm -f "$OUT/$name.xml"
}

: >"$LOG"
for _ in $(seq 1 100); do
  gluster --mode=script pool list >/dev/null 2>&1 && break
  sleep 0.1
done

rec pool_list_single pool list
rec volume_info_none volume info
rec volume_info_missing volume info pydio-data
rec volume_status_missing volume status pydio-data
rec volume_create_mountpoint_root volume create pydio-bad "$ADDR:/srv/rootmount"
rec volume_create_data volume create pydio-data "$ADDR:/srv/data/pydio-data"
rec volume_create_exists volume create pydio-data "$ADDR:/srv/data/pydio-data"
rec volume_info_created volume info pydio-data
rec volume_status_stopped volume status pydio-data
rec volume_start_data volume start pydio-data
rec volume_start_again volume start pydio-data
rec volume_set_option volume set pydio-data performance.cache-size 64MB
rec volume_set_bad_option volume set pydio-data no.such.option 1
rec volume_info_started volume info pydio-data
rec volume_status_started volume status pydio-data
# replica 3 arbiter 1 on one node needs force (all bricks on one host).
rec volume_create_arbiter_noforce volume create pydio-arb replica 3 arbiter 1 \
  "$ADDR:/srv/arb1/b" "$ADDR:/srv/arb2/b" "$ADDR:/srv/arb3/b"
rec volume_create_arbiter volume create pydio-arb replica 3 arbiter 1 \
  "$ADDR:/srv/arb1/b" "$ADDR:/srv/arb2/b" "$ADDR:/srv/arb3/b" force
rec volume_info_arbiter volume info pydio-arb
rec volume_info_all volume info
rec volume_start_arbiter volume start pydio-arb
rec volume_status_arbiter volume status pydio-arb
# One brick process dies: status shows it offline.
kill "$(cat /run/gluster/vols/pydio-arb/198.18.0.1-srv-arb2-b.pid)"
sleep 1
rec volume_status_brick_down volume status pydio-arb
# Every volume in one call (the volume resources read it once per round): both started, one
# brick down; then with pydio-data stopped.
rec volume_status_all_brick_down volume status all
rec volume_stop_data volume stop pydio-data
rec volume_status_all_one_stopped volume status all

# glusterd gone: what the CLI says (the agent must report it, not hang).
gluster --mode=script volume stop pydio-arb force >/dev/null 2>&1
gluster --mode=script volume stop pydio-data force >/dev/null 2>&1
kill "$GLUSTERD_PID"
wait "$GLUSTERD_PID" 2>/dev/null
rec pool_list_no_glusterd pool list
