#!/usr/bin/env bash
# Kernel tests of firmware/linux: for each engine, start wasm-tcpip-linux on a TAP, move
# the TAP into a namespace this script creates (198.51.100.1/24 there, the firmware is
# 198.51.100.2/24) and test from the kernel side (lib.sh): ping, echo with half-close
# (RFC 862), discard (RFC 863), HTTP /bytes/N (SHA-256 compared), a closed port refused,
# UDP echo. Then the same binary with --dhcp on a TAP made in the namespace, dnsmasq on
# its other side: the lease (console and dnsmasq's lease file), HTTP and UDP echo at the
# leased address, an oversized UDP datagram counted, DHCPRELEASE on SIGTERM. Then (IPv6,
# issue 10) the binary on a TAP in a namespace named fw6l..., radvd advertising
# 2001:db8:1::/64 on the other side: the link-local and SLAAC addresses logged, ping -6 to
# both, curl -g -6 /bytes/N (SHA-256), echo, UDP echo, a refused port, the status page, and
# a 3000-byte ping -6 (fragmented by the kernel) dropped and counted: no IPv6 reassembly.
# Needs root, /dev/net/tun, dnsmasq and radvd. Every sending command runs under `ip netns exec`; the
# namespace is always deleted; everything is bounded by `timeout`.
#
# Environment: ENGINES (default "aot interp"), ECHO_BYTES_<engine>, HTTP_BYTES_<engine>, WT_LINUX_BIN,
# IP6 (default 1: the binary's module has IPv6, the default build; 0: IPv4-only, no IPv6 phase).
# Output: one "ok - ..." or "not ok - ..." line per check; exit 1 if any failed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=${WT_LINUX_BIN:-$here/../linux/build/wasm-tcpip-linux}  # WT_LINUX_BIN: esp32/check.sh (WAMR build)
ENGINES=${ENGINES:-"aot interp"}
: "${ECHO_BYTES_aot:=33554432}" "${HTTP_BYTES_aot:=67108864}"
: "${ECHO_BYTES_interp:=8388608}" "${HTTP_BYTES_interp:=8388608}"
IP6=${IP6:-1}
# The UDP echo buffer is the I/O region less udpRecvFrom6's 24 bytes (IPv4-only: udpRecvFrom's 12).
iobuf=$([ "$IP6" = 1 ] && echo 1496 || echo 1484)
ns=wtfw$$
tap=wtfw$$t
. "$here/lib.sh"

trap port_cleanup EXIT
trap 'exit 130' INT TERM

dhcp_ip_refused() {  # --dhcp and --ip exclude each other: usage, exit 2, nothing opened
  local out rc
  out=$("$bin" --tap "$tap" --dhcp --ip "$fw_ip/24" 2>&1); rc=$?
  if [ $rc -eq 2 ] && grep -q -- '--dhcp and --ip/--gw exclude each other' <<<"$out" && grep -q '^usage:' <<<"$out"; then
    echo "exit 2: $(head -n1 <<<"$out")"
  else echo "exit $rc: $out"; return 1; fi
}
check "linux: --dhcp and --ip together are refused with the usage (exit 2)" dhcp_ip_refused

# With --iobuf $iobuf the UDP echo buffer is 1472 bytes: a 2000-byte datagram (it fits the
# default 2048-byte UDP queue, so the module takes it) is counted and logged, not echoed.
udp_too_big() {
  nsx timeout 20 python3 "$client" udp-no-echo "$fw_ip" 7 2000 || return 1
  grep -q '^udp echo: 2000-byte datagram from 198\.51\.100\.1:[0-9]* exceeds the 1472-byte buffer, not echoed (1 so far)$' "$log" \
    || { echo "no \"udp echo: 2000-byte datagram ...\" line on the console"; tail -n 20 "$log"; return 1; }
  grep -m1 '^udp echo: 2000' "$log"
}

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
  tap_to_ns "$tap"

  service_checks "linux $engine" "${!eb}" "${!hb}"

  stop_port "linux $engine: stops cleanly on SIGTERM and prints its counters" '^stopping'
  grep -E '^  (rx_frames|tx_frames|tcp_retransmits|tcp_rto_timeouts|tcp_fast_retransmits|host_tx_dropped) ' "$log" | sed "s/^ */# linux $engine counter: /"

  # --dhcp (issue 9): a persistent TAP made in the namespace (up, with dnsmasq listening on
  # it) before the binary attaches to it, so the first DISCOVER finds the server.
  dtap=${tap}d
  mac=02:00:00:00:d1:$([ "$engine" = aot ] && echo 01 || echo 02)
  ip -n "$ns" tuntap add mode tap name "$dtap" && ip -n "$ns" addr add 198.51.100.1/24 dev "$dtap" && ip -n "$ns" link set "$dtap" up
  if dnsmasq_start "$dtap"; then
    t0=$(date +%s%N)
    timeout 300 ip netns exec "$ns" "$bin" --tap "$dtap" --dhcp --engine "$engine" --echo 7 --http 80 --mac "$mac" --iobuf "$iobuf" >"$log" 2>&1 &
    fw_pid=$!
    wait_ready "$log" "$fw_pid" 40 && echo "# linux $engine --dhcp: ready (bound) $(( ($(date +%s%N) - t0) / 1000000 )) ms after start"
    fw_ip=$(leased_ip "$log")
    dhcp_checks "linux $engine" "$log" "$mac"
    check "linux $engine: RFC 862: a UDP datagram larger than the echo buffer is counted and logged, not echoed" udp_too_big
    kill -TERM "$fw_pid"
    wait "$fw_pid"; rc=$?
    fw_pid=
    check "linux $engine: RFC 2131 §4.4.6: SIGTERM sends DHCPRELEASE (exit 0; dnsmasq drops the lease)" \
      stopped_released "$rc" "$log" "$mac" "$fw_ip"
    dnsmasq_stop
    fw_ip=198.51.100.2
  fi
  ip netns del "$ns"

  # IPv6 (issue 10): a TAP made in a namespace of its own (IPv6 on there), radvd listening on it
  # before the binary attaches, so the firmware's first router solicitation finds it.
  if [ "$IP6" = 1 ]; then
    ns4=$ns ns=fw6l$$ t6=fw6l$$t
    ip netns add "$ns" || { echo "not ok - create namespace $ns"; exit 1; }
    ip -n "$ns" tuntap add mode tap name "$t6" && ip -n "$ns" addr add 198.51.100.1/24 dev "$t6"
    if radvd_start "$t6"; then
      ip -n "$ns" link set "$t6" up
      timeout 300 ip netns exec "$ns" "$bin" --tap "$t6" --ip "$fw_ip/24" --engine "$engine" --echo 7 --discard 9 --http 80 >"$log" 2>&1 &
      fw_pid=$!
      if wait_ready "$log" "$fw_pid"; then
        echo "ok - linux $engine: IPv6: starts and prints ready # $(head -n1 "$log")"
        ip6_checks "linux $engine" "$log" "$t6"
      else
        echo "not ok - linux $engine: IPv6: starts and prints ready"; sed 's/^/#   /' "$log" | tail -n 20; failures=$((failures + 1))
      fi
      kill -TERM "$fw_pid"; wait "$fw_pid"; fw_pid=
      grep -E '^  (ipv6_rx|ipv6_tx|ipv6_frag_no_reasm|icmp6_echo_replies_tx|nd_[a-z_]*) ' "$log" | sed "s/^ */# linux $engine IPv6 counter: /"
      radvd_stop
    fi
    ip netns del "$ns"
    ns=$ns4
  fi
done

echo "# linux: $failures failed"
[ $failures -eq 0 ]
