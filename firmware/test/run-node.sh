#!/usr/bin/env bash
# The services' check suite (lib.sh service_checks, the same one every C port passes) against
# the Node services: `wasm-tcpip up` (dist/cli.js) on a TAP, moved into a namespace this
# script creates (198.51.100.1/24 there, the stack 198.51.100.2/24), tested from the kernel
# side: ping, echo with half-close, discard, HTTP /bytes/N and the HTTP behaviour spec
# (docs/services.md), a closed port refused, UDP echo. One behaviour spec, two
# implementations (src/services.ts and firmware/core/wt_services.c): their checks must agree.
# Needs root and /dev/net/tun; the namespace is always deleted; everything is bounded by timeout.
#
# Environment: ECHO_BYTES, HTTP_BYTES (default 8 MiB each).
# Output: one "ok - ..." or "not ok - ..." line per check; exit 1 if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
: "${ECHO_BYTES:=8388608}" "${HTTP_BYTES:=8388608}"
ns=wtnd$$
tap=wtnd$$t
pid=
log=$(mktemp /tmp/wasm-tcpip-node.XXXXXX)
. "$here/lib.sh"

cleanup() {
  [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && sleep 0.2
  ip netns del "$ns" 2>/dev/null
  ip link del "$tap" 2>/dev/null
  rm -f "$log" "$body"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ip netns add "$ns" || { echo "not ok - create namespace"; exit 1; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# The stack creates the TAP in the root namespace; it is moved below (the fd keeps working).
timeout --foreground 900 node "$root/dist/cli.js" up --tap "$tap" --ip "$fw_ip/24" --echo 7 --discard 9 --http 80 >"$log" 2>&1 &
pid=$!
if ! wait_ready "$log" "$pid" 30; then
  echo "not ok - node: starts and prints ready"; sed 's/^/#   /' "$log"; exit 1
fi
echo "ok - node: starts and prints ready # $(grep -m1 . "$log")"
ip link set "$tap" netns "$ns" && ip -n "$ns" addr add 198.51.100.1/24 dev "$tap" && ip -n "$ns" link set "$tap" up

service_checks "node" "$ECHO_BYTES" "$HTTP_BYTES"

kill -TERM "$pid"
wait "$pid"; rc=$?
pid=
if [ $rc -eq 0 ]; then echo "ok - node: stops cleanly on SIGTERM"
else echo "not ok - node: stops cleanly on SIGTERM (exit $rc)"; sed 's/^/#   /' "$log" | tail -n 20; failures=$((failures + 1)); fi
echo "# node: $failures failed"
[ "$failures" -eq 0 ]
