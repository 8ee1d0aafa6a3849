#!/bin/bash
# Records real `apache2ctl configtest` outputs and the access-log behaviour of the rendered
# vhost (pydio.conf here, which test/unit/agent/apache_vhost_test.cpp compares with
# vhost_text()). Runs in a private mount + network namespace on copies of /etc/apache2,
# /var/log/apache2, /run and /var/www: the host's files are never touched. Apache is stopped
# by its PID before the namespace goes away. Usage (root): test/data/apache/record.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/apache-record.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a /etc/apache2 "$work/etc"
mkdir -p "$work/log" "$work/run" "$work/www/pydio"
unshare --mount --net --propagation private bash -s "$here" "$work" <<'INNER'
set -u
here=$1 work=$2
mount --bind "$work/etc" /etc/apache2
mount --bind "$work/log" /var/log/apache2
mount --bind "$work/run" /run
mount --bind "$work/www" /var/www
ip link set lo up
record() {  # name, then the command; keeps stdout+stderr and the exit status
  local name=$1; shift
  "$@" >"$here/$name" 2>&1; echo "exit $?" >>"$here/$name"
}
# A fresh /run without /run/lock (systemd-tmpfiles makes it on a booted host): apache2ctl fails.
record configtest-no-run-lock.out apache2ctl configtest
mkdir -p /run/lock && chmod 1777 /run/lock
cp "$here/pydio.conf" /etc/apache2/sites-available/pydio.conf
ln -s ../sites-available/pydio.conf /etc/apache2/sites-enabled/pydio.conf
rm /etc/apache2/sites-enabled/000-default.conf
record configtest-ok.out apache2ctl configtest
sed 's|</VirtualHost>|    ThisIsNotADirective on\n</VirtualHost>|' "$here/pydio.conf" \
  >/etc/apache2/sites-available/pydio.conf
record configtest-invalid-directive.out apache2ctl configtest
cp "$here/pydio.conf" /etc/apache2/sites-available/pydio.conf
echo OK >/var/www/pydio/check.txt
echo hello >/var/www/pydio/hello.txt
apache2ctl start
for path in /pydio/check.txt '/pydio/check.txt?probe=1' /pydio/hello.txt /pydio/check.txt.bak; do
  curl -s -o /dev/null "http://127.0.0.1$path"
done
sleep 0.3
# Requests in order: check.txt, check.txt?probe=1, hello.txt, check.txt.bak; only the last two
# are logged.
sed -E 's/\[[^]]*\]/[TIME]/' /var/log/apache2/pydio-access.log >"$here/pydio-access.log"
pid=$(cat /run/apache2/apache2.pid)
kill "$pid"
while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
INNER
echo "recorded into $here"
