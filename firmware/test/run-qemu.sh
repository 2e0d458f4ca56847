#!/usr/bin/env bash
# Kernel tests of firmware/qemu-xtensa: make a namespace with a TAP (198.51.100.1/24),
# boot the lx106 image in qemu-system-xtensa on it (run.sh, under `ip netns exec` and
# `timeout`; the firmware is 198.51.100.2/24) and run the same checks as the Linux port
# (lib.sh). Needs root and /dev/net/tun; the namespace is always deleted.
#
# Environment: ECHO_BYTES (default 8 MiB), HTTP_BYTES (default 8 MiB).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=$here/../qemu-xtensa/run.sh
: "${ECHO_BYTES:=8388608}" "${HTTP_BYTES:=8388608}"
ns=wtqe$$
tap=wtqe$$t
fw_pid=
log=$(mktemp /tmp/wasm-tcpip-qemu.XXXXXX)
. "$here/lib.sh"

cleanup() {
  [ -n "$fw_pid" ] && kill -TERM "$fw_pid" 2>/dev/null && sleep 0.5
  ip netns del "$ns" 2>/dev/null
  rm -f "$log" "$body"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# qemu-xtensa (lx106, OpenCores ethmac)"
ip netns add "$ns" || { echo "not ok - create namespace"; exit 1; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" tuntap add mode tap name "$tap" && ip -n "$ns" addr add 198.51.100.1/24 dev "$tap" && ip -n "$ns" link set "$tap" up
# Not through nsx (a function would fork a shell): $! must be the process that becomes QEMU.
RUN_TIMEOUT=900 ip netns exec "$ns" "$run" --tap "$tap" --ip "$fw_ip/24" >"$log" 2>&1 </dev/null &
fw_pid=$!
if ! wait_ready "$log" "$fw_pid"; then
  echo "not ok - qemu-xtensa: boots and prints ready"; sed 's/^/#   /' "$log"
  exit 1
fi
echo "ok - qemu-xtensa: boots and prints ready # $(grep '^ip ' "$log")"

service_checks "qemu-xtensa" "$ECHO_BYTES" "$HTTP_BYTES"

kill -TERM "$fw_pid"
wait "$fw_pid"; rc=$?
fw_pid=
if [ $rc -eq 0 ] && grep -q 'terminating on signal 15' "$log" && ! grep -q '^fatal' "$log"; then
  echo "ok - qemu-xtensa: stops cleanly on SIGTERM"
else
  echo "not ok - qemu-xtensa: stops cleanly on SIGTERM (exit $rc)"; sed 's/^/#   /' "$log" | tail -n 30; failures=$((failures + 1))
fi

echo "# qemu-xtensa: $failures failed"
[ $failures -eq 0 ]
