#!/usr/bin/env bash
# Figures of the qemu-xtensa board, IPv4 and IPv6 side by side (issues 5 and 10). Boots the lx106
# image (run.sh, the dual-stack module) on a TAP in a namespace of its own (198.51.100.1/24 on
# the kernel side, radvd advertising 2001:db8:1::/64), waits for the board's SLAAC address, then
# measures from the kernel side, once over IPv4 (198.51.100.2) and once over IPv6 (the SLAAC
# address), the same way each time:
#   ping RTT       PINGS echo requests of 56 bytes, 0.2 s apart: min / avg / max (ms)
#   TCP out        curl GET /bytes/BYTES (port 80): the board sends, the kernel receives (Mbit/s)
#   TCP in         discard (port 9) of BYTES: the kernel sends, the board receives (Mbit/s)
#   TCP echo       echo (port 7) of ECHO_BYTES, both ways at once (Mbit/s each way)
# Each transfer runs ROUNDS times, the families taking turns (IPv4, IPv6, IPv4, ...) so load on
# the machine falls on both alike; the median is shown. Every transfer is checked (SHA-256 of the body, echo compared byte for byte): a failed one is
# reported, never a figure. One run under QEMU's TCG on a shared machine: indicative figures for
# comparing the two families, not a benchmark. Prints a table and one "row: WHAT | IPv4 | IPv6"
# line per figure. Needs root, /dev/net/tun, qemu-system-misc, radvd, curl, python3 and the
# image (make -C firmware qemu-xtensa). The namespace and every process end with the script.
#
#   figures.sh        (environment: PINGS=20 BYTES=2097152 ECHO_BYTES=1048576 ROUNDS=3)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
run=$here/run.sh
: "${PINGS:=20}" "${BYTES:=2097152}" "${ECHO_BYTES:=1048576}" "${ROUNDS:=3}"
ns=fq6f$$
tap=fq6f$$t
console=$(mktemp -u /tmp/wasm-tcpip-qemu-figures.XXXXXX)
ra_pid= ra_dir= dm_pid= dm_dir=
. "$here/../test/lib.sh"

cleanup() {
  port_cleanup "$console"
  exec 7>&- 2>/dev/null
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -f "$here/build/wasm-tcpip-qemu.elf" ] || { echo "figures.sh: build the image first (make -C firmware qemu-xtensa)" >&2; exit 1; }
ip netns add "$ns" || { echo "figures.sh: cannot create namespace $ns" >&2; exit 1; }
ip -n "$ns" link set lo up
ip -n "$ns" tuntap add mode tap name "$tap" && ip -n "$ns" addr add 198.51.100.1/24 dev "$tap" || exit 1
radvd_start "$tap" || exit 1
ip -n "$ns" link set "$tap" up
mkfifo "$console"
t0=$(date +%s%N)
RUN_TIMEOUT=600 ip netns exec "$ns" "$run" --tap "$tap" --ip "$fw_ip/24" >"$log" 2>&1 <"$console" &
fw_pid=$!
exec 7>"$console"
wait_ready "$log" "$fw_pid" 30 || { echo "figures.sh: the board did not print ready:" >&2; sed 's/^/#   /' "$log" >&2; exit 1; }
t_ready=$(( ($(date +%s%N) - t0) / 1000000 ))
wait_ip6 "$log" 30 || { echo "figures.sh: no SLAAC address logged in 30 s:" >&2; sed 's/^/#   /' "$log" >&2; exit 1; }
t_slaac=$(( ($(date +%s%N) - t0) / 1000000 ))
# The kernel learns the board's addresses before timing starts (ARP, ND), as the checks' first ping does.
nsx ping -c 1 -W 2 "$fw_ip" >/dev/null; nsx ping -6 -c 1 -W 2 "$fw_gua" >/dev/null

ping_rtt() {  # ping_rtt HOST [-6]: "min / avg / max ms" of PINGS echo requests, all answered
  local out line
  out=$(nsx timeout $((PINGS + 20)) ping "${@:2}" -c "$PINGS" -i 0.2 -W 2 -q "$1" 2>&1) || { echo "failed: $(tail -n 2 <<<"$out" | tr '\n' ' ')"; return; }
  grep -q " 0% packet loss" <<<"$out" || { echo "failed: $(grep 'packet loss' <<<"$out")"; return; }
  line=$(grep -o 'min/avg/max/mdev = [0-9./]*' <<<"$out" | cut -d' ' -f3)
  awk -F/ '{ printf "%.3f / %.3f / %.3f ms\n", $1, $2, $3 }' <<<"$line"
}
want_sha=$(python3 "$client" bytes-sha "$BYTES")
tcp_out() {  # tcp_out URLHOST [CURL OPTIONS]: Mbit/s of GET /bytes/BYTES, its length and SHA-256 checked
  local host=$1 got
  shift
  got=$(nsx timeout 300 curl -sS --fail "$@" -o "$body" -w '%{size_download} %{speed_download}' "http://$host/bytes/$BYTES" 2>&1) || { echo "failed: $got"; return; }
  [ "${got%% *}" = "$BYTES" ] || { echo "failed: got ${got%% *} bytes"; return; }
  [ "$(sha256sum < "$body" | cut -d' ' -f1)" = "$want_sha" ] || { echo "failed: SHA-256 differs"; return; }
  awk '{ printf "%.1f\n", $2 * 8 / 1e6 }' <<<"$got"
}
tcp_client_rate() {  # tcp_client_rate MODE HOST PORT BYTES: Mbit/s of tcp_client.py's checked transfer
  local out
  out=$(nsx timeout 300 python3 "$client" "$@" 2>&1) || { echo "failed: $out"; return; }
  grep -o '([0-9.]* Mbit/s' <<<"$out" | tr -d '(' | cut -d' ' -f1 | head -n 1
}
median() {  # median FIGURE...: the median "X Mbit/s (min A, max B)", or the first failure
  local v
  for v in "$@"; do case $v in failed*|"") echo "${v:-failed: no figure}"; return ;; esac; done
  printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { printf "%.1f Mbit/s (%.1f ... %.1f)\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
}

declare -A fig runs
for fam in 4 6; do
  if [ $fam = 4 ]; then host=$fw_ip popt=(); else host=$fw_gua popt=(-6); fi
  fig[ping$fam]=$(ping_rtt "$host" "${popt[@]}")
done
for round in $(seq "$ROUNDS"); do
  for fam in 4 6; do
    if [ $fam = 4 ]; then host=$fw_ip url=$fw_ip copt=(); else host=$fw_gua url="[$fw_gua]" copt=(-g -6); fi
    runs[out$fam]+="$(tcp_out "$url" "${copt[@]}")"$'\n'
    runs[in$fam]+="$(tcp_client_rate discard "$host" 9 "$BYTES")"$'\n'
    runs[echo$fam]+="$(tcp_client_rate echo "$host" 7 "$ECHO_BYTES")"$'\n'
  done
done
for k in "${!runs[@]}"; do
  mapfile -t vals < <(printf '%s' "${runs[$k]}")
  fig[$k]=$(median "${vals[@]}")
done

echo "# qemu-xtensa figures: lx106 in qemu-system-xtensa (TCG), OpenCores MAC on a TAP; IPv4 $fw_ip, IPv6 $fw_gua (SLAAC); transfers: median of $ROUNDS (min ... max)"
echo "# $(tr -d '\r' <"$log" | grep -m1 '^ip ')"
echo "# QEMU start -> \"ready\" (IPv4 usable): $t_ready ms; -> SLAAC address preferred (DAD done, radvd's RA every 3-4 s): $t_slaac ms (0.1 s polling)"
rows=(
  "ping$(printf '\t')ping RTT, $PINGS x 56 B (min / avg / max)"
  "out$(printf '\t')TCP board -> kernel: GET /bytes/$BYTES"
  "in$(printf '\t')TCP kernel -> board: discard $BYTES B"
  "echo$(printf '\t')TCP echo $ECHO_BYTES B, both ways at once (each way)"
)
printf '%-52s %-32s %-32s\n' "figure" "IPv4" "IPv6"
for r in "${rows[@]}"; do
  key=${r%%$'\t'*} what=${r#*$'\t'}
  printf '%-52s %-32s %-32s\n' "$what" "${fig[${key}4]}" "${fig[${key}6]}"
done
for r in "${rows[@]}"; do
  key=${r%%$'\t'*} what=${r#*$'\t'}
  echo "row: qemu-xtensa $what | ${fig[${key}4]} | ${fig[${key}6]}"
done
failed=0
for v in "${fig[@]}"; do case $v in failed*|"") failed=1 ;; esac; done
printf q >&7   # the board prints its counters and resets; QEMU exits
for _ in $(seq 100); do kill -0 "$fw_pid" 2>/dev/null || break; sleep 0.1; done
tr -d '\r' <"$log" | grep -E '^  (ipv4_rx|ipv6_rx|ipv6_tx|tcp_retransmits|tcp_rx_dup) ' | sed 's/^ */# counter: /'
exit $failed
