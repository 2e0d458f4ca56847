#!/usr/bin/env bash
# Boot the qemu-xtensa image on an existing TAP device (the caller made it, usually
# inside a network namespace: run this under `ip netns exec NS`), with echo on 7 (TCP
# and UDP), discard on 9 and HTTP on 80. Without --ip the board takes its address by DHCP
# and logs the lease ("bound A.B.C.D/LEN router R dns D lease Ns"). The console (UART) is
# on stdin/stdout; "ready" marks the start (with DHCP: once bound); the key 's' prints the
# counters, 'q' stops the board (DHCPRELEASE first) and QEMU exits. SIGTERM stops QEMU
# at once. Always bounded: QEMU runs under `timeout` (RUN_TIMEOUT s). IPv6 (the default
# dual-stack build) is on: link-local + SLAAC addresses, logged ("ip6 preferred ..."); --no-ip6 IPv4 only.
#
#   run.sh --tap NAME [--ip A.B.C.D/LEN [--gw A.B.C.D]] [--mac XX:XX:XX:XX:XX:XX] [--no-ip6]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
elf=$here/build/wasm-tcpip-qemu.elf
tap= ip= gw= mac=02:00:00:00:00:02 ip6=
while [ $# -gt 0 ]; do
  case "$1" in
    --tap) tap=${2:?}; shift 2 ;;
    --ip) ip=${2:?}; shift 2 ;;
    --gw) gw=${2:?}; shift 2 ;;
    --mac) mac=${2:?}; shift 2 ;;
    --no-ip6) ip6=" ip6=0"; shift ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ -n "$tap" ] || { echo "run.sh: --tap NAME is required" >&2; exit 2; }
[ -z "$gw" ] || [ -n "$ip" ] || { echo "run.sh: --gw goes with --ip (DHCP brings the router)" >&2; exit 2; }
[ -f "$elf" ] || { echo "run.sh: $elf not built (make -C firmware)" >&2; exit 1; }
seed=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
append="mac=$mac seed=$seed${ip:+ ip=$ip}${gw:+ gw=$gw}$ip6"
exec timeout "${RUN_TIMEOUT:-3600}" qemu-system-xtensa -M lx60 -cpu lx106 -m 64M \
  -display none -monitor none -serial stdio -no-reboot \
  -kernel "$elf" -append "$append" \
  -netdev "tap,id=net0,ifname=$tap,script=no,downscript=no" \
  -net "nic,netdev=net0,model=open_eth,macaddr=$mac"
