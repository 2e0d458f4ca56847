#!/usr/bin/env bash
# Kernel tests of firmware/qemu-xtensa: make a namespace with a TAP (198.51.100.1/24),
# boot the lx106 image in qemu-system-xtensa on it (run.sh, under `ip netns exec` and
# `timeout`; the firmware is 198.51.100.2/24) and run the same checks as the Linux port
# (lib.sh). Then it boots again without --ip, dnsmasq on the namespace side: the lease
# (console and dnsmasq's lease file), HTTP and UDP echo at the leased address, and
# DHCPRELEASE when 'q' on the console stops the board. Then (IPv6, issue 10) it boots on a
# TAP in a namespace named fw6q..., radvd advertising 2001:db8:1::/64 there: the
# link-local and SLAAC addresses logged, ping -6 to both, curl -g -6 /bytes/N (SHA-256),
# echo, UDP echo, a refused port, the status page, a 3000-byte ping -6 dropped and counted
# (no IPv6 reassembly in the mcu6 module), the MAC's multicast hash filter programmed from
# the McastFilter events. Needs root, /dev/net/tun, dnsmasq and radvd; the
# namespaces are always deleted.
#
# Environment: ECHO_BYTES (default 8 MiB), HTTP_BYTES (default 8 MiB), IP6_HTTP_BYTES (default
# 2 MiB), IP6_ECHO_BYTES (default 1 MiB).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=$here/../qemu-xtensa/run.sh
: "${ECHO_BYTES:=8388608}" "${HTTP_BYTES:=8388608}"
ns=wtqe$$
tap=wtqe$$t
fw_pid=
console=$(mktemp -u /tmp/wasm-tcpip-qemu-console.XXXXXX)  # a FIFO: QEMU's UART input
. "$here/lib.sh"

cleanup() {
  port_cleanup "$console"
  exec 7>&- 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "# qemu-xtensa (lx106, OpenCores ethmac)"
ip netns add "$ns" || { echo "not ok - create namespace"; exit 1; }
nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
ip -n "$ns" tuntap add mode tap name "$tap" && ip -n "$ns" addr add 198.51.100.1/24 dev "$tap" && ip -n "$ns" link set "$tap" up
# Not through nsx (a function would fork a shell): $! must be the process that becomes QEMU.
mkfifo "$console"
RUN_TIMEOUT=900 ip netns exec "$ns" "$run" --tap "$tap" --ip "$fw_ip/24" >"$log" 2>&1 <"$console" &
fw_pid=$!
exec 7>"$console"   # keep the console open (EOF would stop nothing, but keep it quiet)
if ! wait_ready "$log" "$fw_pid"; then
  echo "not ok - qemu-xtensa: boots and prints ready"; sed 's/^/#   /' "$log"
  exit 1
fi
echo "ok - qemu-xtensa: boots and prints ready # $(grep '^ip ' "$log")"

# Idle: the firmware sleeps in WAITI until a frame, its next deadline or a key; QEMU's
# CPU time over 2 idle seconds stays far below the ~100% of a busy-polling loop.
idle_cpu() {
  local q t0 t1 hz
  q=$(pgrep -P "$fw_pid" qemu-system-xte) || { echo "no QEMU process under $fw_pid"; return 1; }
  hz=$(getconf CLK_TCK)
  sleep 1
  t0=$(awk '{print $14 + $15}' "/proc/$q/stat"); sleep 2; t1=$(awk '{print $14 + $15}' "/proc/$q/stat")
  local pct=$(( (t1 - t0) * 100 / (2 * hz) ))
  [ "$pct" -lt 20 ] || { echo "QEMU used ${pct}% of a core while the firmware was idle"; return 1; }
  echo "QEMU used ${pct}% of a core over 2 idle seconds"
}
check "qemu-xtensa: idle, the core sleeps in WAITI instead of polling" idle_cpu

service_checks "qemu-xtensa" "$ECHO_BYTES" "$HTTP_BYTES"

# A sleep that only the CCOMPARE0 deadline can end: ping the firmware from a second
# kernel address whose ARP requests the kernel ignores (arp_ignore=8; the kernel knows
# the firmware's MAC statically, so it sends no ARP itself). The firmware queues its
# reply and retries ARP every second on its own timer, with no frame coming in.
timer_wakeup() {
  local n0 n1 r0 r1
  n() { awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }' "$log"; }
  stats() { local c; c=$(grep -c wakeups_timer "$log"); printf s >&7
    for _ in $(seq 50); do [ "$(grep -c wakeups_timer "$log")" -gt "$c" ] && return 0; sleep 0.1; done; return 1; }
  nsx ip addr add 198.51.100.3/24 dev "$tap" || return 1
  nsx ip neigh replace "$fw_ip" lladdr 02:00:00:00:00:02 dev "$tap" nud permanent || return 1
  nsx sysctl -qw "net.ipv4.conf.$tap.arp_ignore=8" || return 1
  stats || { echo "no counters on the console"; return 1; }
  n0=$(n wakeups_timer); r0=$(n arp_requests_tx)
  nsx timeout 5 ping -c 1 -W 1 -I 198.51.100.3 "$fw_ip" >/dev/null   # no reply expected: ARP unresolved
  sleep 2.5
  stats || { echo "no counters on the console"; return 1; }
  n1=$(n wakeups_timer); r1=$(n arp_requests_tx)
  nsx sysctl -qw "net.ipv4.conf.$tap.arp_ignore=0"
  nsx ip addr del 198.51.100.3/24 dev "$tap"
  [ $((r1 - r0)) -ge 2 ] && [ $((n1 - n0)) -ge 1 ] || {
    echo "ARP requests sent $((r1 - r0)) (want >= 2), deadline wakeups $((n1 - n0)) (want >= 1)"; grep -E '^  ' "$log" | tail -n 20; return 1; }
  echo "sleeps $(n sleeps), woken by a frame $(n wakeups_rx), by the deadline $(n wakeups_timer); ARP retries $((r1 - r0)) with no frame in"
}
check "qemu-xtensa: a sleep ends on the CCOMPARE0 deadline (ARP retries with no frame in)" timer_wakeup

kill -TERM "$fw_pid"
wait "$fw_pid"; rc=$?
fw_pid=
if [ $rc -eq 0 ] && grep -q 'terminating on signal 15' "$log" && ! grep -q '^fatal' "$log"; then
  echo "ok - qemu-xtensa: stops cleanly on SIGTERM"
else
  echo "not ok - qemu-xtensa: stops cleanly on SIGTERM (exit $rc)"; sed 's/^/#   /' "$log" | tail -n 30; failures=$((failures + 1))
fi

# DHCP (issue 9): the same image without ip= on the same TAP, dnsmasq on the namespace side.
mac=02:00:00:00:d1:03
if dnsmasq_start "$tap"; then
  t0=$(date +%s%N)
  RUN_TIMEOUT=300 ip netns exec "$ns" "$run" --tap "$tap" --mac "$mac" >"$log" 2>&1 <"$console" &
  fw_pid=$!
  wait_ready "$log" "$fw_pid" 40 && echo "# qemu-xtensa DHCP: ready (bound) $(( ($(date +%s%N) - t0) / 1000000 )) ms after start"
  fw_ip=$(leased_ip "$log")
  dhcp_checks "qemu-xtensa" "$log" "$mac"
  printf q >&7   # a clean stop: DHCPRELEASE, the counters, then the board resets and QEMU exits
  for _ in $(seq 100); do kill -0 "$fw_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$fw_pid" 2>/dev/null && kill -TERM "$fw_pid"
  wait "$fw_pid"; rc=$?
  fw_pid=
  check "qemu-xtensa: RFC 2131 §4.4.6: 'q' on the console sends DHCPRELEASE (QEMU exits 0; dnsmasq drops the lease)" \
    stopped_released "$rc" "$log" "$mac" "$fw_ip"
  dnsmasq_stop
fi

# IPv6 (issue 10): a namespace of its own with IPv6 on, radvd on the TAP before the board boots.
ip netns del "$ns"
ns=fw6q$$ tap=fw6q$$t fw_ip=198.51.100.2
if ip netns add "$ns" && ip -n "$ns" tuntap add mode tap name "$tap" && ip -n "$ns" addr add 198.51.100.1/24 dev "$tap" &&
   radvd_start "$tap" && ip -n "$ns" link set "$tap" up; then
  RUN_TIMEOUT=300 ip netns exec "$ns" "$run" --tap "$tap" --ip "$fw_ip/24" >"$log" 2>&1 <"$console" &
  fw_pid=$!
  if wait_ready "$log" "$fw_pid"; then
    echo "ok - qemu-xtensa: IPv6: boots and prints ready # $(tr -d '\r' <"$log" | grep '^ip ')"
    IP6_HTTP_BYTES=${IP6_HTTP_BYTES:-2097152} ip6_checks "qemu-xtensa" "$log" "$tap"
    # the kernel's NS to the SLAAC address's solicited-node group passed the MAC's hash filter,
    # which the board programs from the core's McastFilter events (board.c hash_program)
    if tr -d '\r' <"$log" | grep -qx "multicast hash filter: from the core's McastFilter events"; then
      echo "ok - qemu-xtensa: IPv6: the MAC's multicast hash filter follows the core's McastFilter events (the SLAAC checks pass through it)"
    else
      echo "not ok - qemu-xtensa: IPv6: no \"multicast hash filter: from the core's McastFilter events\" on the console"; failures=$((failures + 1))
    fi
  else
    echo "not ok - qemu-xtensa: IPv6: boots and prints ready"; sed 's/^/#   /' "$log" | tail -n 20; failures=$((failures + 1))
  fi
  printf q >&7   # the counters, then the board resets and QEMU exits
  for _ in $(seq 100); do kill -0 "$fw_pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$fw_pid" 2>/dev/null && kill -TERM "$fw_pid"
  wait "$fw_pid"
  fw_pid=
  tr -d '\r' <"$log" | grep -E '^  (ipv6_rx|ipv6_tx|ipv6_frag_no_reasm|icmp6_echo_replies_tx) ' | sed 's/^ */# qemu-xtensa IPv6 counter: /'
  radvd_stop
else
  echo "not ok - qemu-xtensa: IPv6 namespace with radvd"; failures=$((failures + 1))
fi

echo "# qemu-xtensa: $failures failed"
[ $failures -eq 0 ]
