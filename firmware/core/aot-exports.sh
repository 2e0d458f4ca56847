#!/bin/sh
# Usage: aot-exports.sh stack.h > aot_exports.h
# Which optional functions the wasm2c-translated module exports (wabt 1.0.32 names them
# Z_stackZ_<export>): WT_AOT_HAS_<name> 1 or 0; WT_AOT_HAS_tcpOpen needs the whole socket set.
set -eu
h="$1"
has() { if grep -q "Z_stackZ_$1(" "$h"; then echo 1; else echo 0; fi; }
echo "/* Generated from $(basename "$h") by aot-exports.sh: do not edit. */"
for f in poolBytes ioBuffer tcpInfo tcpSetOption; do
  echo "#define WT_AOT_HAS_$f $(has $f)"
done
all=1
for f in tcpOpen tcpBind tcpListen tcpAccept tcpConnect tcpWrite tcpRead tcpShutdown tcpClose tcpAbort tcpState; do
  [ "$(has $f)" = 1 ] || all=0
done
echo "#define WT_AOT_HAS_tcpOpen $all"
