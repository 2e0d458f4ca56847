#!/bin/sh
# Builds the native lwIP reference of bench/tap.mjs: lwIP's core, IPv4 and Ethernet netif from
# $LWIP_SRC (a checkout of https://github.com/lwip-tcpip/lwip, BSD-licensed; not kept in this
# repository) with this directory's lwipopts.h and harness.c, -O2, into $OUT (default
# bench/out/lwip-tap). Usage: LWIP_SRC=/path/to/lwip bench/lwip/build.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
: "${LWIP_SRC:?set LWIP_SRC to an lwIP source tree (git clone https://github.com/lwip-tcpip/lwip)}"
OUT=${OUT:-$HERE/../out/lwip-tap}
CC=${CC:-cc}
S=$LWIP_SRC/src
[ -f "$S/core/tcp_in.c" ] || { echo "build.sh: $S/core/tcp_in.c not found: LWIP_SRC is not an lwIP tree" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
$CC -std=gnu99 -O2 -Wall -Wextra -I"$HERE" -I"$S/include" -c "$HERE/harness.c" -o "$OUT.harness.o"
# lwIP's own files: its warnings are not ours to fix. shellcheck disable=SC2046 (the globs are its file lists)
# shellcheck disable=SC2046
$CC -std=gnu99 -O2 -w -I"$HERE" -I"$S/include" \
  $(ls "$S"/core/*.c "$S"/core/ipv4/*.c) "$S/netif/ethernet.c" "$OUT.harness.o" -o "$OUT"
rm -f "$OUT.harness.o"
echo "$OUT"
