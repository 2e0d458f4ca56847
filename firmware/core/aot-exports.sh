#!/bin/sh
# Usage: aot-exports.sh wt_abi.h stack.h > aot_exports.h
#        aot-exports.sh --names wt_abi.h      (the export names, for wasm2c.mk's keep list)
# Which of the exports the C core calls (WT_ABI_FUNCTIONS in the generated wt_abi.h) the
# wasm2c-translated module has (wabt 1.0.32 names them Z_stackZ_<export>): writes
# WT_AOT_EXPORTS(X), the WT_ABI_FUNCTIONS entries present, for engine_aot.c's dispatch.
set -eu
list() { sed -n 's/^ *X(\(WT_FN_[A-Z0-9_]*\), *\([A-Za-z0-9_]*\), *\([0-9]*\), *\([01]\)).*/\1 \2 \3 \4/p' "$1"; }
if [ "$1" = "--names" ]; then
  list "$2" | while read -r id name arity res; do echo "$name"; done
  exit 0
fi
abi="$1"
h="$2"
echo "/* Generated from $(basename "$abi") and $(basename "$h") by aot-exports.sh: do not edit. */"
echo "#define WT_AOT_EXPORTS(X) \\"
list "$abi" | while read -r id name arity res; do
  if grep -q "Z_stackZ_$name(" "$h"; then echo "  X($id, $name, $arity, $res) \\"; fi
done
echo "  /* end */"
