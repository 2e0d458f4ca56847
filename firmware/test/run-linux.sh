#!/usr/bin/env bash
# Kernel tests of firmware/linux: for each engine, start wasm-tcpip-linux on a TAP, move
# the TAP into a namespace this script creates (198.51.100.1/24 there, the firmware is
# 198.51.100.2/24) and test from the kernel side (lib.sh): ping, echo with half-close
# (RFC 862), discard (RFC 863), HTTP /bytes/N (SHA-256 compared), a closed port refused.
# Needs root and /dev/net/tun. Every sending command runs under `ip netns exec`; the
# namespace is always deleted; everything is bounded by `timeout`.
#
# Environment: ENGINES (default "aot interp"), ECHO_BYTES_<engine>, HTTP_BYTES_<engine>, WT_LINUX_BIN.
# Output: one "ok - ..." or "not ok - ..." line per check; exit 1 if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${WT_LINUX_BIN:-$here/../linux/build/wasm-tcpip-linux}  # WT_LINUX_BIN: esp32/check.sh (WAMR build)
ENGINES=${ENGINES:-"aot interp"}
: "${ECHO_BYTES_aot:=33554432}" "${HTTP_BYTES_aot:=67108864}"
: "${ECHO_BYTES_interp:=8388608}" "${HTTP_BYTES_interp:=8388608}"
ns=wtfw$$
tap=wtfw$$t
fw_pid=
log=$(mktemp /tmp/wasm-tcpip-fw.XXXXXX)
. "$here/lib.sh"

cleanup() {
  [ -n "$fw_pid" ] && kill -TERM "$fw_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -f "$log" "$body"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

for engine in $ENGINES; do
  echo "# linux, engine $engine"
  eb=ECHO_BYTES_$engine hb=HTTP_BYTES_$engine
  ip netns add "$ns" || { echo "not ok - create namespace"; exit 1; }
  nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  # The binary creates the TAP in the root namespace; it is moved below (the fd keeps working).
  timeout 900 "$bin" --tap "$tap" --ip "$fw_ip/24" --engine "$engine" --echo 7 --discard 9 --http 80 >"$log" 2>&1 &
  fw_pid=$!
  if ! wait_ready "$log" "$fw_pid"; then
    echo "not ok - linux $engine: starts and prints ready"; sed 's/^/#   /' "$log"; failures=$((failures + 1))
    ip netns del "$ns"; fw_pid=; continue
  fi
  echo "ok - linux $engine: starts and prints ready # $(head -n1 "$log")"
  ip link set "$tap" netns "$ns" && ip -n "$ns" addr add 198.51.100.1/24 dev "$tap" && ip -n "$ns" link set "$tap" up

  service_checks "linux $engine" "${!eb}" "${!hb}"

  kill -TERM "$fw_pid"
  wait "$fw_pid"; rc=$?
  fw_pid=
  if [ $rc -eq 0 ] && grep -q '^stopping' "$log"; then echo "ok - linux $engine: stops cleanly on SIGTERM and prints its counters"
  else echo "not ok - linux $engine: stops cleanly on SIGTERM and prints its counters (exit $rc)"; sed 's/^/#   /' "$log" | tail -n 30; failures=$((failures + 1)); fi
  grep -E '^  (rx_frames|tx_frames|tcp_retransmits|tcp_rto_timeouts|tcp_fast_retransmits|host_tx_dropped) ' "$log" | sed "s/^ */# linux $engine counter: /"
  ip netns del "$ns"
done

echo "# linux: $failures failed"
[ $failures -eq 0 ]
