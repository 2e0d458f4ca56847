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
. "$here/lib.sh"

trap 'port_cleanup; ip link del "$tap" 2>/dev/null' EXIT
trap 'exit 130' INT TERM

ip netns add "$ns" || { echo "not ok - create namespace"; exit 1; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# The stack creates the TAP in the root namespace; it is moved below (the fd keeps working).
timeout --foreground 900 node "$root/dist/cli.js" up --tap "$tap" --ip "$fw_ip/24" --echo 7 --discard 9 --http 80 >"$log" 2>&1 &
fw_pid=$!
if ! wait_ready "$log" "$fw_pid" 30; then
  echo "not ok - node: starts and prints ready"; sed 's/^/#   /' "$log"; exit 1
fi
echo "ok - node: starts and prints ready # $(grep -m1 . "$log")"
tap_to_ns "$tap"

service_checks "node" "$ECHO_BYTES" "$HTTP_BYTES"

stop_port "node: stops cleanly on SIGTERM"
echo "# node: $failures failed"
[ "$failures" -eq 0 ]
