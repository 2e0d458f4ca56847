#!/bin/sh
# Usage: module-image.sh MODULE.wasm OUT.img
# The "wasm" partition's image for the WAMR engine (main.c, module_image): "WTM1", the
# module's length as a little-endian u32, then the module. Write it alone with
#   parttool.py write_partition --partition-name wasm --input OUT.img
set -eu
in="$1"; out="$2"
n=$(wc -c < "$in")
max=$((0x30000 - 8))   # the partition's size in partitions.csv, less the header
[ "$n" -le "$max" ] || { echo "module-image.sh: $in is $n bytes, the partition holds $max" >&2; exit 1; }
{
  printf 'WTM1'
  printf "$(printf '\\%03o\\%03o\\%03o\\%03o' $((n & 255)) $((n >> 8 & 255)) $((n >> 16 & 255)) $((n >> 24 & 255)))"
  cat "$in"
} > "$out.tmp"
mv "$out.tmp" "$out"
