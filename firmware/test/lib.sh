# Shared by run-linux.sh and run-qemu.sh (sourced): the kernel-side checks against a
# firmware at $fw_ip, run inside namespace $ns. Every sending command goes through nsx.
client=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tcp_client.py
fw_ip=198.51.100.2
failures=0
body=$(mktemp /tmp/wasm-tcpip-body.XXXXXX)
log=$(mktemp /tmp/wasm-tcpip-console.XXXXXX)  # the port's console
fw_pid=                                       # the port's process

nsx() { ip netns exec "$ns" "$@"; }

# Every run-*.sh on exit: stop the port ($fw_pid), dnsmasq, delete the namespace and the
# temporary files ($log, $body and any given).
port_cleanup() {
  [ -n "${fw_pid:-}" ] && kill -TERM "$fw_pid" 2>/dev/null && sleep 0.3
  dnsmasq_stop
  radvd_stop
  ip netns del "$ns" 2>/dev/null
  rm -f "$log" "$body" "$@"
}

check() {  # check NAME COMMAND...: run it; "ok - NAME # last line" or "not ok" + output
  local name=$1 out rc
  shift
  out=$("$@" 2>&1); rc=$?
  if [ $rc -eq 0 ]; then echo "ok - $name${out:+ # $(tail -n1 <<<"$out")}"
  else echo "not ok - $name (exit $rc)"; sed 's/^/#   /' <<<"$out" | tail -n 20; failures=$((failures + 1)); fi
}

http_sha() {  # http_sha N: GET /bytes/N with curl; the body's length and SHA-256 must match
  local n=$1 want got size
  want=$(python3 "$client" bytes-sha "$n")
  got=$(nsx timeout 300 curl -sS --fail -o "$body" -w '%{size_download} %{speed_download}' "http://$fw_ip/bytes/$n") || return 1
  size=${got%% *}
  [ "$size" = "$n" ] || { echo "got $size bytes, want $n"; return 1; }
  [ "$(sha256sum < "$body" | cut -d' ' -f1)" = "$want" ] || { echo "SHA-256 differs"; return 1; }
  echo "$n bytes, SHA-256 equal, $(( ${got##* } * 8 / 1000000 )) Mbit/s"
}

http_sha_at() {  # http_sha_at HOST N [CURL OPTIONS]: http_sha at HOST (a.b.c.d or [v6], with -g -6)
  local host=$1 n=$2 want got size
  shift 2
  want=$(python3 "$client" bytes-sha "$n")
  got=$(nsx timeout 300 curl -sS --fail "$@" -o "$body" -w '%{size_download} %{speed_download}' "http://$host/bytes/$n") || return 1
  size=${got%% *}
  [ "$size" = "$n" ] || { echo "got $size bytes, want $n"; return 1; }
  [ "$(sha256sum < "$body" | cut -d' ' -f1)" = "$want" ] || { echo "SHA-256 differs"; return 1; }
  echo "$n bytes from $host, SHA-256 equal, $(( ${got##* } * 8 / 1000000 )) Mbit/s"
}

http_404() {
  local code
  code=$(nsx timeout 20 curl -s -o /dev/null -w '%{http_code}' "http://$fw_ip/nothing")
  [ "$code" = 404 ] || { echo "status $code"; return 1; }
}

# tap_to_ns TAP: move a TAP the port made in the root namespace into $ns (198.51.100.1/24 there), up.
tap_to_ns() { ip link set "$1" netns "$ns" && ip -n "$ns" addr add 198.51.100.1/24 dev "$1" && ip -n "$ns" link set "$1" up; }

# stop_port NAME [PATTERN]: SIGTERM the port ($fw_pid); "ok - NAME" when it exits 0 (and its
# console $log has a line matching PATTERN), else "not ok - NAME" and the console's last lines.
stop_port() {
  local rc
  kill -TERM "$fw_pid"; wait "$fw_pid"; rc=$?; fw_pid=
  if [ $rc -eq 0 ] && { [ -z "${2:-}" ] || grep -q "$2" "$log"; }; then echo "ok - $1"
  else echo "not ok - $1 (exit $rc)"; sed 's/^/#   /' "$log" | tail -n 30; failures=$((failures + 1)); fi
}

wait_ready() {  # wait_ready LOG PID [SECONDS]: until the console says "ready" (10 s unless told)
  for _ in $(seq $((${3:-10} * 10))); do
    grep -q '^ready' "$1" && return 0
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  grep -q '^ready' "$1"
}

# The checks every port must pass (issue 5). NAMES must match test/firmware.test.ts.
service_checks() {  # service_checks PREFIX ECHO_BYTES HTTP_BYTES
  local p=$1 eb=$2 hb=$3
  check "$p: RFC 792: ping gets echo replies" nsx timeout 30 ping -c 3 -i 0.2 -W 2 "$fw_ip"
  check "$p: RFC 862: echo returns every byte after the client's half-close" \
    nsx timeout 600 python3 "$client" echo "$fw_ip" 7 "$eb"
  check "$p: RFC 863: discard reads everything and closes" nsx timeout 600 python3 "$client" discard "$fw_ip" 9 "$eb"
  check "$p: RFC 9110 §8.6: GET /bytes/N has Content-Length N and the SHA-256 of i mod 251" http_sha "$hb"
  check "$p: RFC 9110 §8.6: GET /bytes/0 is an empty body" http_sha 0
  check "$p: RFC 9110 §15.5.5: an unknown path is 404" http_404
  check "$p: RFC 9293 §3.10.7.1: SYN to a closed port is refused with RST (ECONNREFUSED)" \
    nsx timeout 20 python3 "$client" refused "$fw_ip" 12345
  check "$p: RFC 862: UDP echo returns each datagram whole to its sender (0 to 1472 bytes, a burst of 4)" \
    nsx timeout 60 python3 "$client" udp-echo "$fw_ip" 7 0 1 18 512 1471 1472
  http_spec_checks "$p"
}

# The HTTP behaviour spec (docs/services.md): the same cases for the Node services and the C
# ones. NAMES must match HTTP_SPEC_CHECKS in test/firmware.test.ts.
http_spec_checks() {  # http_spec_checks PREFIX
  local p=$1 name kase
  while IFS='|' read -r kase name; do
    check "$p: $name" nsx timeout 60 python3 "$client" http "$fw_ip" 80 "$kase" </dev/null
  done <<'EOF_SPEC'
head|RFC 9110 §9.3.2: HEAD has GET's head without the body
keepalive|RFC 9112 §9.3: a persistent connection answers pipelined requests in order; Connection: close ends it
http10|RFC 9112 §9.3: HTTP/1.0 without keep-alive closes after the response
close|RFC 9112 §9.6: the client's FIN after a response: the server closes too
method|RFC 9110 §15.5.6: another method is 405 with Allow: GET, HEAD, and the connection goes on
body|RFC 9110 §15.5.14: a request with a body is 413 and closes
malformed|RFC 9112 §3: a malformed request line is 400 and closes
bare-lf|RFC 9112 §2.2: a head ends with CRLF CRLF only (bare LF LF is no request)
too-large|RFC 6585 §5: a head over the server's limit is 431 and closes
status|the status page: GET / shows the address, uptime, TCP sockets and counters
EOF_SPEC
}

# ---- DHCP (issue 9): dnsmasq (Debian dnsmasq-base) on the namespace side of a TAP ----
dm_pid= dm_dir=

# dnsmasq_start TAP: serve 198.51.100.50-99 (2-minute leases, the shortest dnsmasq allows;
# router and DNS 198.51.100.1) on TAP in $ns; returns once it listens on port 67. Started
# here, not through nsx, so $dm_pid is dnsmasq itself.
dnsmasq_start() {
  dm_dir=$(mktemp -d /tmp/wasm-tcpip-dnsmasq.XXXXXX)
  : >"$dm_dir/leases"
  ip netns exec "$ns" dnsmasq --no-daemon --conf-file=/dev/null --interface="$1" --bind-interfaces --port=0 \
    --user=root --pid-file="$dm_dir/pid" --dhcp-range=198.51.100.50,198.51.100.99,255.255.255.0,2m \
    --dhcp-option=option:router,198.51.100.1 --dhcp-option=option:dns-server,198.51.100.1 \
    --dhcp-leasefile="$dm_dir/leases" --log-dhcp --log-facility="$dm_dir/log" 2>"$dm_dir/stderr" &
  dm_pid=$!
  for _ in $(seq 50); do
    nsx ss -Hlun 'sport = :67' | grep -q . && return 0
    kill -0 "$dm_pid" 2>/dev/null || break
    sleep 0.1
  done
  daemon_failed "dnsmasq starts on $1" "$dm_dir/stderr"
}

# daemon_failed WHAT FILE...: a failed "not ok - WHAT" with FILEs' lines as diagnostics; returns 1.
daemon_failed() {
  echo "not ok - $1"; shift; sed 's/^/#   /' "$@" 2>/dev/null; failures=$((failures + 1))
  return 1
}

# daemon_stop PID DIR: TERM the daemon we started (if any), reap it, remove its directory.
daemon_stop() {
  [ -n "$1" ] && kill -TERM "$1" 2>/dev/null && wait "$1" 2>/dev/null
  [ -n "$2" ] && rm -rf "$2"
  return 0
}

dnsmasq_stop() { daemon_stop "$dm_pid" "$dm_dir"; dm_pid= dm_dir=; }

leased_ip() {  # leased_ip LOG: the address of the console's first "bound A.B.C.D/LEN ..." line
  awk '$1 == "bound" { split($2, a, "/"); print a[1]; exit }' "$1"
}

dhcp_lease() {  # dhcp_lease LOG MAC ADDR: the console logged the lease and dnsmasq's lease file has MAC at ADDR
  [ -n "$3" ] || { echo "no \"bound\" line on the console"; tail -n 20 "$1"; return 1; }
  grep -qi "^[0-9]* $2 $3 " "$dm_dir/leases" || { echo "dnsmasq's lease file lacks $2 at $3:"; cat "$dm_dir/leases"; return 1; }
  echo "$(grep -m1 '^bound ' "$1" | tr -d '\r'); dnsmasq lists $2"
}

lease_released() {  # lease_released LOG MAC ADDR: "released ADDR" logged and MAC gone from the lease file (2 s)
  tr -d '\r' <"$1" | grep -qx "released $3" || { echo "no \"released $3\" line"; tail -n 20 "$1"; return 1; }
  for _ in $(seq 20); do
    grep -qi " $2 " "$dm_dir/leases" || { echo "dnsmasq: $(grep -m1 DHCPRELEASE "$dm_dir/log" | sed 's/.*dnsmasq-dhcp\[[0-9]*\]: //')"; return 0; }
    sleep 0.1
  done
  echo "dnsmasq still lists $2:"; cat "$dm_dir/leases"; return 1
}

stopped_released() {  # stopped_released RC LOG MAC ADDR: the port exited 0, held its lease to the end, released it
  [ "$1" -eq 0 ] || { echo "exit $1"; tail -n 20 "$2"; return 1; }
  ! grep -q '^lease lost' "$2" || { echo "the lease was lost during the run:"; grep '^lease lost' "$2"; return 1; }
  lease_released "$2" "$3" "$4"
}

# The checks of a port that took its address by DHCP (issue 9); fw_ip is the leased one.
dhcp_checks() {  # dhcp_checks PREFIX LOG MAC
  local p=$1
  check "$p: RFC 2131: gets a lease from dnsmasq, logs it, and dnsmasq lists our MAC" dhcp_lease "$2" "$3" "$fw_ip"
  check "$p: RFC 9110 §8.6: GET /bytes/N at the leased address has the SHA-256 of i mod 251" http_sha 1048576
  check "$p: RFC 862: UDP echo at the leased address (0 and 1472 bytes, a burst of 4)" \
    nsx timeout 60 python3 "$client" udp-echo "$fw_ip" 7 0 1472
}

# ---- IPv6 (issue 10): radvd (Debian radvd) on the namespace side of the port's TAP ----
# The namespace ($ns, named fw6...) keeps IPv6 on; its side of TAP is 2001:db8:1::1/64 (and its
# link-local address), radvd advertises 2001:db8:1::/64 (on-link, autonomous) every 3-4 s.
ra_pid= ra_dir=
ip6_prefix=2001:db8:1:
fw_ll= fw_gua=

# radvd_start TAP: IPv6 on TAP in $ns (no DAD on our side), radvd on it; returns once it runs.
# Started here, not through nsx, so $ra_pid is radvd itself.
radvd_start() {
  ra_dir=$(mktemp -d /tmp/wasm-tcpip-radvd.XXXXXX)
  nsx sysctl -qw net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0 net.ipv6.conf.all.forwarding=1 \
    "net.ipv6.conf.$1.disable_ipv6=0" "net.ipv6.conf.$1.accept_dad=0" || return 1
  nsx ip -6 addr add 2001:db8:1::1/64 dev "$1" nodad || return 1
  printf 'interface %s {\n  AdvSendAdvert on;\n  MinRtrAdvInterval 3;\n  MaxRtrAdvInterval 4;\n  prefix 2001:db8:1::/64 {\n    AdvOnLink on;\n    AdvAutonomous on;\n  };\n};\n' "$1" >"$ra_dir/conf"
  ip netns exec "$ns" radvd -n -C "$ra_dir/conf" -p "$ra_dir/pid" -m logfile -l "$ra_dir/log" 2>"$ra_dir/stderr" &
  ra_pid=$!
  sleep 0.5
  kill -0 "$ra_pid" 2>/dev/null && return 0
  ra_pid=
  daemon_failed "radvd starts on $1" "$ra_dir/stderr" "$ra_dir/log"
}

radvd_stop() { daemon_stop "$ra_pid" "$ra_dir"; ra_pid= ra_dir=; }

# ip6_logged LOG ORIGIN [PREFIX]: the address of the console's first "ip6 preferred ADDR/LEN (ORIGIN)"
# line (starting with PREFIX).
ip6_logged() {
  tr -d '\r' <"$1" | awk -v o="($2)" -v p="${3:-}" '$1 == "ip6" && $2 == "preferred" && $4 == o && index($3, p) == 1 { split($3, a, "/"); print a[1]; exit }'
}

# wait_ip6 LOG [SECONDS]: until the console has logged a preferred link-local and a preferred SLAAC
# address in 2001:db8:1::/64 (20 s unless told); sets fw_ll and fw_gua.
wait_ip6() {
  for _ in $(seq $((${2:-20} * 10))); do
    fw_ll=$(ip6_logged "$1" link-local fe80:) fw_gua=$(ip6_logged "$1" slaac "$ip6_prefix")
    [ -n "$fw_ll" ] && [ -n "$fw_gua" ] && return 0
    sleep 0.1
  done
  return 1
}

ip6_addrs_logged() {  # ip6_addrs_logged LOG: wait_ip6 found both lines
  [ -n "$fw_ll" ] && [ -n "$fw_gua" ] || { echo "link-local '${fw_ll}', SLAAC '${fw_gua}' after 20 s:"; tail -n 20 "$1"; return 1; }
  echo "link-local $fw_ll, SLAAC $fw_gua"
}

# The status page over IPv6 lists both addresses as preferred, and this very connection from
# 2001:db8:1::1 as an ESTAB row.
ip6_status_page() {
  local page
  page=$(nsx timeout 20 curl -sS --fail -g -6 "http://[$fw_gua]/") || return 1
  grep -qx "ip6 $fw_ll/64 preferred link-local" <<<"$page" || { echo "no \"ip6 $fw_ll/64 preferred link-local\" line:"; head -n 8 <<<"$page"; return 1; }
  grep -qx "ip6 $fw_gua/64 preferred slaac" <<<"$page" || { echo "no \"ip6 $fw_gua/64 preferred slaac\" line:"; head -n 8 <<<"$page"; return 1; }
  grep -Eq "^ESTAB .*\[$fw_gua\]:80 +\[2001:db8:1::1\]:[0-9]+$" <<<"$page" || { echo "no ESTAB row [$fw_gua]:80 <- [2001:db8:1::1]:"; grep -A6 '^sockets:' <<<"$page"; return 1; }
  echo "$(grep -c '^ip6 ' <<<"$page") ip6 lines; $(grep -m1 '^ESTAB' <<<"$page" | tr -s ' ')"
}

counter_at() {  # counter_at NAME: the counter NAME on the status page at [fw_gua] (0 if not listed)
  nsx timeout 20 curl -sS --fail -g -6 "http://[$fw_gua]/" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

# RFC 8200 §4.5 without reassembly (the mcu6 module: WT_FRAG6=0, Reasm6Slots 0): the kernel sends a
# 3000-byte echo request as 3 fragments; the firmware drops each one and counts it
# (ipv6_frag_no_reasm), sends nothing back (no reply, no ICMPv6 error), and answers the next ping.
ip6_no_reasm() {
  local c0 c1 out
  c0=$(counter_at ipv6_frag_no_reasm)
  if out=$(nsx timeout 20 ping -6 -c 2 -i 0.5 -W 2 -s 3000 "$fw_gua" 2>&1); then echo "the 3000-byte ping got replies:"; echo "$out"; return 1; fi
  grep -q ' 0 received' <<<"$out" || { echo "$out"; return 1; }
  c1=$(counter_at ipv6_frag_no_reasm)
  [ $((c1 - c0)) -ge 6 ] || { echo "ipv6_frag_no_reasm went $c0 -> $c1 (want 6 more: 2 pings x 3 fragments)"; return 1; }
  nsx timeout 20 ping -6 -c 1 -W 2 "$fw_gua" >/dev/null || { echo "no reply to a plain ping after the fragments"; return 1; }
  echo "no reply to 2 x 3000 bytes (fragmented by the kernel); ipv6_frag_no_reasm $c0 -> $c1; the next ping answered"
}

# The IPv6 checks of a port (issue 10) with IPv6 on, radvd running on TAP in $ns; LOG is its console.
# IP6_HTTP_BYTES (default 8 MiB) and IP6_ECHO_BYTES (1 MiB) size the transfers.
# NAMES must match IP6_CHECKS in test/firmware.test.ts.
ip6_checks() {  # ip6_checks PREFIX LOG TAP
  local p=$1 log6=$2 t=$3
  wait_ip6 "$log6"
  check "$p: RFC 4862: the link-local and SLAAC (radvd's 2001:db8:1::/64) addresses become preferred and are logged" ip6_addrs_logged "$log6"
  [ -n "$fw_ll" ] && [ -n "$fw_gua" ] || return 0
  check "$p: RFC 4443 §4.2: ping -6 to the link-local address gets echo replies" nsx timeout 30 ping -6 -c 3 -i 0.2 -W 2 "$fw_ll%$t"
  check "$p: RFC 4443 §4.2: ping -6 to the SLAAC address gets echo replies" nsx timeout 30 ping -6 -c 3 -i 0.2 -W 2 "$fw_gua"
  check "$p: RFC 4443 §4.2: a 1452-byte ping -6 (a full 1500-byte packet) gets replies" nsx timeout 30 ping -6 -c 2 -i 0.2 -W 2 -s 1452 "$fw_gua"
  check "$p: RFC 8200 §4.5: a 3000-byte ping -6 arrives fragmented; without reassembly in this build each fragment is dropped and counted, no reply" ip6_no_reasm
  check "$p: RFC 9110 §8.6 over IPv6: curl -g -6 GET /bytes/N at the SLAAC address has the SHA-256 of i mod 251" \
    http_sha_at "[$fw_gua]" "${IP6_HTTP_BYTES:-8388608}" -g -6
  check "$p: RFC 9110 §8.6 over IPv6: GET /bytes/N at the link-local address (with its zone) has the SHA-256" \
    http_sha_at "[${fw_ll}%25$t]" 1048576 -g -6
  check "$p: RFC 862 over IPv6: echo returns every byte after the client's half-close" \
    nsx timeout 120 python3 "$client" echo "$fw_gua" 7 "${IP6_ECHO_BYTES:-1048576}"
  check "$p: RFC 862 over IPv6: UDP echo returns each datagram whole (0 to 1452 bytes, a burst of 4)" \
    nsx timeout 60 python3 "$client" udp-echo "$fw_gua" 7 0 1 18 512 1452
  check "$p: RFC 9293 §3.10.7.1 over IPv6: SYN to a closed port is refused with RST" \
    nsx timeout 20 python3 "$client" refused "$fw_gua" 12345
  check "$p: the status page over IPv6 lists both addresses (preferred) and the IPv6 connection" ip6_status_page
}
