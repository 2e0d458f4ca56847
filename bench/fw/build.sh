#!/bin/sh
# Links a timed copy of the firmware Linux port (bench/fw/timed.c wraps the wasm2c engine) from
# the objects `make -C firmware/linux` left in firmware/linux/build, into $OUT (default
# bench/out/wasm-tcpip-linux-timed). Used by bench/tap.mjs for the module's ns per frame. Every
# firmware/core object (wt_*.o) the port built is linked, so a new core file needs no change here.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
B=$HERE/../../firmware/linux/build
OUT=${OUT:-$HERE/../out/wasm-tcpip-linux-timed}
[ -f "$B/main.o" ] && [ -f "$B/stack.o" ] || { echo "build.sh: firmware/linux is not built (make -C firmware)" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"
objcopy --redefine-sym wt_engine_aot=wt_engine_timed --redefine-sym wt_mac_send=wt_mac_send_real "$B/main.o" "$OUT.main.o"
${CC:-cc} -std=gnu99 -O2 -Wall -Wextra -I"$HERE/../../firmware/core" -I"$B" -c "$HERE/timed.c" -o "$OUT.timed.o"
${CXX:-c++} -o "$OUT" "$OUT.main.o" "$OUT.timed.o" "$B"/wt_*.o \
  "$B/engine_aot.o" "$B/stack.o" "$B/wasm-rt-impl.o" "$B/engine_interp.o" -lwabt -lpthread
rm -f "$OUT.main.o" "$OUT.timed.o"
echo "$OUT"
