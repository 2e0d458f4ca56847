#!/usr/bin/env bash
# Kernel tests of firmware/linux: for each engine, start wasm-tcpip-linux on a TAP, move
# the TAP into a namespace this script creates (198.51.100.1/24 there, the firmware is
# 198.51.100.2/24) and test from the kernel side: ping, echo with half-close (RFC 862),
# discard (RFC 863), HTTP /bytes/N (SHA-256 compared), a closed port refused (RST).
# Needs root and /dev/net/tun. Every sending command runs under `ip netns exec`; the
# namespace is always deleted; everything is bounded by `timeout`.
#
# Environment: ENGINES (default "aot interp"), ECHO_BYTES_<engine>, HTTP_BYTES_<engine>.
# Output: one "ok - ..." or "not ok - ..." line per check; exit 1 if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/../linux/build/wasm-tcpip-linux
client=$here/tcp_client.py
ENGINES=${ENGINES:-"aot interp"}
: "${ECHO_BYTES_aot:=33554432}" "${HTTP_BYTES_aot:=67108864}"
: "${ECHO_BYTES_interp:=8388608}" "${HTTP_BYTES_interp:=8388608}"
ns=wtfw$$
tap=wtfw$$t
fw_ip=198.51.100.2
failures=0
fw_pid=
log=$(mktemp /tmp/wasm-tcpip-fw.XXXXXX)

cleanup() {
  [ -n "$fw_pid" ] && kill -TERM "$fw_pid" 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  rm -f "$log" "$log.body"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {  # check NAME COMMAND...: run, print the command's last line, count a failure
  local name=$1 out rc
  shift
  out=$("$@" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then echo "ok - $name${out:+ # $(tail -n1 <<<"$out")}"
  else echo "not ok - $name (exit $rc)"; sed 's/^/#   /' <<<"$out" | tail -n 20; failures=$((failures + 1)); fi
}

nsx() { ip netns exec "$ns" "$@"; }

http_sha() {  # http_sha N: GET /bytes/N with curl, compare the body's SHA-256 and length
  local n=$1 want got size
  want=$(python3 "$client" bytes-sha "$n")
  got=$(nsx timeout 120 curl -sS --fail -o "$log.body" -w '%{size_download} %{speed_download}' "http://$fw_ip/bytes/$n") || return 1
  size=${got%% *}
  [ "$size" = "$n" ] || { echo "got $size bytes, want $n"; return 1; }
  [ "$(sha256sum < "$log.body" | cut -d' ' -f1)" = "$want" ] || { echo "SHA-256 differs"; return 1; }
  echo "$n bytes, SHA-256 equal, $(( ${got##* } * 8 / 1000000 )) Mbit/s"
}

http_404() { [ "$(nsx timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://$fw_ip/nothing")" = 404 ]; }

for engine in $ENGINES; do
  echo "# engine $engine"
  eb=ECHO_BYTES_$engine hb=HTTP_BYTES_$engine
  ip netns add "$ns" || { echo "not ok - create namespace"; exit 1; }
  nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  timeout 600 "$bin" --tap "$tap" --ip "$fw_ip/24" --engine "$engine" --echo 7 --discard 9 --http 80 >"$log" 2>&1 &
  fw_pid=$!
  for _ in $(seq 100); do grep -q '^ready' "$log" && break; kill -0 "$fw_pid" 2>/dev/null || break; sleep 0.1; done
  if ! grep -q '^ready' "$log"; then
    echo "not ok - $engine: firmware starts"; sed 's/^/#   /' "$log"; failures=$((failures + 1))
    ip netns del "$ns"; fw_pid=; continue
  fi
  echo "# $(head -n1 "$log")"
  ip link set "$tap" netns "$ns" && ip -n "$ns" addr add 198.51.100.1/24 dev "$tap" && ip -n "$ns" link set "$tap" up

  check "$engine: ping (RFC 792 echo reply)" nsx timeout 20 ping -c 3 -i 0.2 -W 2 "$fw_ip"
  check "$engine: echo ${!eb} bytes with half-close (RFC 862)" nsx timeout 300 python3 "$client" echo "$fw_ip" 7 "${!eb}"
  check "$engine: discard ${!eb} bytes (RFC 863)" nsx timeout 300 python3 "$client" discard "$fw_ip" 9 "${!eb}"
  check "$engine: curl /bytes/${!hb} SHA-256 equal" http_sha "${!hb}"
  check "$engine: curl /bytes/0 (empty body)" http_sha 0
  check "$engine: unknown path is 404" http_404
  check "$engine: closed port refused (RST, ECONNREFUSED)" nsx timeout 20 python3 "$client" refused "$fw_ip" 12345

  kill -TERM "$fw_pid"
  wait "$fw_pid"; rc=$?
  fw_pid=
  if [ $rc -eq 0 ] && grep -q '^stopping' "$log"; then echo "ok - $engine: stops cleanly on SIGTERM"
  else echo "not ok - $engine: stops cleanly on SIGTERM (exit $rc)"; sed 's/^/#   /' "$log" | tail -n 30; failures=$((failures + 1)); fi
  grep -E '^  (tcp_retransmits|tcp_rto_timeouts|tcp_out_of_order|rx_frames|tx_frames) ' "$log" | sed "s/^ */# $engine counter: /"
  ip netns del "$ns"
done

echo "# $failures failed"
[ $failures -eq 0 ]
