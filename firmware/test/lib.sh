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

# The checks every port must pass (issue 5): NAME prefix, echo/discard bytes, HTTP bytes.
service_checks() {
  local p=$1 eb=$2 hb=$3
  check "$p: ping (RFC 792 echo reply)" nsx timeout 30 ping -c 3 -i 0.2 -W 2 "$fw_ip"
  check "$p: echo $eb bytes with half-close (RFC 862)" nsx timeout 600 python3 "$client" echo "$fw_ip" 7 "$eb"
  check "$p: discard $eb bytes (RFC 863)" nsx timeout 600 python3 "$client" discard "$fw_ip" 9 "$eb"
  check "$p: curl /bytes/$hb SHA-256 equal" http_sha "$hb"
  check "$p: curl /bytes/0 (empty body)" http_sha 0
  check "$p: unknown path is 404" http_404
  check "$p: closed port refused (RST, ECONNREFUSED)" nsx timeout 20 python3 "$client" refused "$fw_ip" 12345
}
