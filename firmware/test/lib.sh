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
  echo "not ok - dnsmasq starts on $1"; sed 's/^/#   /' "$dm_dir/stderr"; failures=$((failures + 1))
  return 1
}

dnsmasq_stop() {
  [ -n "$dm_pid" ] && kill -TERM "$dm_pid" 2>/dev/null && wait "$dm_pid" 2>/dev/null
  dm_pid=
  [ -n "$dm_dir" ] && rm -rf "$dm_dir"
  dm_dir=
}

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
