# Shared by run-linux.sh and run-qemu.sh (sourced): the kernel-side checks against a
# firmware at $fw_ip, run inside namespace $ns. Every sending command goes through nsx.
client=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/tcp_client.py
fw_ip=198.51.100.2
failures=0
body=$(mktemp /tmp/wasm-tcpip-body.XXXXXX)

nsx() { ip netns exec "$ns" "$@"; }

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

wait_ready() {  # wait_ready LOG PID: until the console says "ready" (10 s at most)
  for _ in $(seq 100); do
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
}
