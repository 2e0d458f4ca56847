#!/bin/sh
# Usage: w2c-rewrite.sh stack.c > stack.mem.c
# Rewrites wasm2c 1.0.32's linear-memory accesses to the compact exact accessors of
# wt_w2c_mem.h: `i32_load(&instance->w2c_memory, (u64)(x) + 8u)` -> `WT_i32_load(instance, x, 8u)`.
# Fails (no output file is kept by make) if the generated code does not have the expected
# shape, e.g. after a wabt upgrade: every access must be rewritten, none left behind.
set -eu
in="$1"
op='(i(32|64)|f(32|64))_(load|store)[0-9a-z_]*'
sed -E \
  -e '/^DEFINE_STORE\(i64_store32, u32, u64\)$/a #include "wt_w2c_mem.h"' \
  -e "s/\\b($op)\\(&instance->w2c_memory, \\(u64\\)\\((w2c_[a-z0-9]+)\\) \\+ ([0-9]+)u?/WT_\\1(instance, \\6, \\7u/g" \
  -e "s/\\b($op)\\(&instance->w2c_memory, \\(u64\\)\\((w2c_[a-z0-9]+)\\)/WT_\\1(instance, \\6, 0u/g" \
  "$in" > "$in.tmp"
n=$(grep -c '^#include "wt_w2c_mem.h"$' "$in.tmp" || true)
left=$(grep -Ec "\\b$op\\(&instance->w2c_memory" "$in.tmp" || true)
if [ "$n" != 1 ] || [ "$left" != 0 ]; then
  echo "w2c-rewrite.sh: unexpected wasm2c output ($n includes, $left accesses not rewritten)" >&2
  rm -f "$in.tmp"; exit 1
fi
cat "$in.tmp"; rm -f "$in.tmp"
