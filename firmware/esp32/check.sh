#!/usr/bin/env bash
# Verification of firmware/esp32 that this machine allows (no ESP32, no Espressif toolchain or
# QEMU here). Not part of .ci/run: ESP-IDF and WAMR come from outside the package registries.
#
#   check.sh --wamr DIR [--idf DIR]... [--eth-drivers DIR] [--only a|b]
#   (or WAMR_DIR=..., IDF_DIRS="dir1 dir2 ...", ETH_DRIVERS_DIR=... in the environment)
#
# (a) For each ESP-IDF tree (its version read from esp_idf_version.h) and each board preset
#     (Kconfig "Board") with each engine (WAMR twice: module in its partition, or embedded): sdkconfig.h generated from the tree's real Kconfig
#     files plus ours and sdkconfig.defaults (check/sdkconfig.py, Debian's python3-kconfiglib),
#     then main.c, the engine (engine_aot.c with the wasm2c-translated stack and runtime, or
#     engine_wamr.c against WAMR's wasm_export.h) and the portable core are type-checked
#     (-fsyntax-only -Wall -Wextra -Werror) with an Xtensa GCC (Debian's xtensa-lx106-elf-gcc:
#     ILP32, little-endian Xtensa like the ESP32's LX6, but the call0 ABI, GCC 12.2), newlib's
#     headers (Debian's libnewlib-dev 3.3; ESP-IDF's toolchains ship newlib 4.x, whose Xtensa
#     jmp_buf size 3.3 lacks: -D_JBLEN=17, Espressif newlib's windowed-ABI value; and 4.3's
#     non-const _global_impure_ptr, which ESP-IDF >= 5.4 redeclares: a patched copy) or, where
#     the configuration says picolibc (ESP-IDF 6's default), Debian's picolibc 1.8 headers (with
#     sys/types.h included first: its stdio.h lacks the ssize_t that ESP-IDF's stdio.h uses), and the
#     include directories the ESP-IDF build gives these components for the esp32 target
#     (xtensa FreeRTOS port, soc/hal/esp_rom/esp_hw_support of esp32). ESP-IDF >= 6 also needs
#     the registry PHY drivers' headers: --eth-drivers (github.com/espressif/esp-eth-drivers).
# (b) firmware/esp32/linux: engine_wamr.c unchanged in the Linux TAP port with WAMR built for
#     the host, then firmware/test/run-linux.sh's kernel checks (root, /dev/net/tun): ping,
#     echo with half-close, discard, HTTP /bytes/N SHA-256, a refused port, a clean stop.
#
# Needs: gcc-xtensa-lx106, libnewlib-dev, python3-kconfiglib, wabt, cmake, make, node (the
# module: npm run asbuild:mcu). Output: "ok - ..." / "not ok - ..." lines; exit 1 on a failure.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
fw=$(cd "$here/.." && pwd)
root=$(cd "$fw/.." && pwd)
WAMR_DIR=${WAMR_DIR:-}
ETH_DRIVERS_DIR=${ETH_DRIVERS_DIR:-}
read -r -a idfs <<<"${IDF_DIRS:-}"
only=
while [ $# -gt 0 ]; do
  case $1 in
    --idf) idfs+=("$2"); shift 2 ;;
    --wamr) WAMR_DIR=$2; shift 2 ;;
    --eth-drivers) ETH_DRIVERS_DIR=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "usage: check.sh --wamr DIR [--idf DIR]... [--eth-drivers DIR] [--only a|b]" >&2; exit 2 ;;
  esac
done
[ -f "$WAMR_DIR/core/iwasm/include/wasm_export.h" ] || { echo "check.sh: --wamr DIR (a wasm-micro-runtime tree) is required" >&2; exit 2; }
failures=0
ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; failures=$((failures + 1)); }
work=$(mktemp -d /tmp/wt-esp32-check.XXXXXX)
trap 'rm -rf "$work"; ip netns del "wtesp32r$$" 2>/dev/null' EXIT

CC_X=${CC_X:-xtensa-lx106-elf-gcc}
PRESETS=${PRESETS:-"ETHERNET_KIT WT32_ETH01 OLIMEX_POE CUSTOM QEMU"}

# The include directories ESP-IDF's build gives main and what it requires, for the esp32
# target (the union of 5.1 ... 6.x layouts; directories a version lacks are skipped).
idf_includes() {  # idf_includes IDF_DIR
  local c=$1/components d
  local dirs=(
    esp_eth/include esp_event/include esp_timer/include esp_system/include esp_common/include
    esp_partition/include heap/include log/include esp_pm/include spi_flash/include esp_mm/include
    esp_hw_support/include esp_hw_support/include/soc esp_hw_support/include/soc/esp32
    esp_hw_support/port/esp32/include esp_hw_support/port/esp32 esp_hw_support/dma/include
    esp_hw_support/etm/include esp_hw_support/ldo/include esp_hw_support/debug_probe/include
    esp_hw_support/mspi_timing_tuning/include esp_hw_support/power_supply/include
    esp_rom/include esp_rom/include/esp32 esp_rom/esp32 esp_rom/esp32/include esp_rom/esp32/include/esp32
    soc/include soc/esp32 soc/esp32/include soc/esp32/register
    hal/include hal/esp32/include hal/platform_port/include
    xtensa/include xtensa/esp32/include xtensa/deprecated_include
    freertos/config/include freertos/config/include/freertos freertos/config/xtensa/include
    freertos/FreeRTOS-Kernel/include freertos/FreeRTOS-Kernel/portable/xtensa/include
    freertos/FreeRTOS-Kernel/portable/xtensa/include/freertos
    freertos/esp_additions/include freertos/esp_additions/include/freertos
    freertos/esp_additions/arch/xtensa/include
    newlib/platform_include esp_libc/platform_include esp_libc/include
    driver/include driver/deprecated driver/gpio/include driver/spi/include esp_driver_gpio/include
    esp_driver_spi/include
    esp_security/include esp_stdio/include esp_trace/include esp_blockdev/include
  )
  for d in "${dirs[@]}"; do [ -d "$c/$d" ] && printf -- '-isystem %s ' "$c/$d"; done
  # ESP-IDF 6 split hal into esp_hal_* components: their include dirs for esp32.
  for d in "$c"/esp_hal_*; do
    [ -d "$d/include" ] && printf -- '-isystem %s ' "$d/include"
    [ -d "$d/esp32/include" ] && printf -- '-isystem %s ' "$d/esp32/include"
  done
}

idf_version() {  # idf_version IDF_DIR -> X.Y.Z
  local h=$1/components/esp_common/include/esp_idf_version.h
  printf '%s.%s.%s' "$(sed -n 's/^#define ESP_IDF_VERSION_MAJOR *\([0-9]*\).*/\1/p' "$h")" \
    "$(sed -n 's/^#define ESP_IDF_VERSION_MINOR *\([0-9]*\).*/\1/p' "$h")" \
    "$(sed -n 's/^#define ESP_IDF_VERSION_PATCH *\([0-9]*\).*/\1/p' "$h")"
}

# The wasm2c output the AOT engine compiles (core/wasm2c.mk's steps, as main/CMakeLists.txt):
# the dual-stack module (CONFIG_WT_IPV6=y, the default) in $w2c, the IPv4-only one in $w2c4.
w2c=$work/w2c w2c4=$work/w2c4
prepare_w2c() {  # prepare_w2c DIR MODULE
  make -s -C "$root" -f firmware/core/wasm2c.mk ROOT="$root" CORE="$fw/core" B="$1" WASM="$2" \
    "$1/stack.c" "$1/stack.h" "$1/stack_depth.h" "$1/aot_exports.h" "$1/wasm-rt.h" "$1/stack.aot.wasm"
}

check_a() {
  local gccinc newlib=/usr/include/newlib picolibc=/usr/lib/xtensa-lx106-elf/include
  gccinc=$($CC_X -print-file-name=include)
  [ -d "$newlib" ] || { notok "(a) newlib headers (apt-get install libnewlib-dev)"; return; }
  # newlib 4.3 (ESP-IDF >= 5.4's toolchains) declares _global_impure_ptr without the const of
  # Debian's newlib 3.3, and ESP-IDF's sys/reent.h redeclares it: the 3.3 header, that line as 4.3.
  mkdir -p "$work/newlib43/sys"
  sed 's/^extern struct _reent \*const _global_impure_ptr /extern struct _reent *_global_impure_ptr /' \
    "$newlib/sys/reent.h" > "$work/newlib43/sys/reent.h"
  [ ${#idfs[@]} -gt 0 ] || { notok "(a) no ESP-IDF tree given (--idf DIR)"; return; }
  [ -f "$root/build/stack.mcu6.wasm" ] || (cd "$root" && npm run --silent asbuild:mcu6) || { notok "(a) build the dual-stack module"; return; }
  [ -f "$root/build/stack.mcu.wasm" ] || (cd "$root" && npm run --silent asbuild:mcu) || { notok "(a) build the IPv4-only module"; return; }
  prepare_w2c "$w2c" "$root/build/stack.mcu6.wasm" || { notok "(a) wasm2c translation of the dual-stack module"; return; }
  prepare_w2c "$w2c4" "$root/build/stack.mcu.wasm" || { notok "(a) wasm2c translation of the IPv4-only module"; return; }
  ok "(a) modules translated by wasm2c (dual-stack $(wc -c < "$w2c/stack.aot.wasm") bytes reduced, IPv4-only $(wc -c < "$w2c4/stack.aot.wasm"))"
  for idf in "${idfs[@]}"; do
    local ver inc extra_k=() extra_i=
    ver=$(idf_version "$idf")
    inc=$(idf_includes "$idf")
    extra_k+=(--kconfig "$WAMR_DIR/build-scripts/esp-idf/wamr/Kconfig")
    if [ "${ver%%.*}" -ge 6 ]; then
      if [ ! -d "$ETH_DRIVERS_DIR/ip101/include" ]; then notok "ESP-IDF $ver: needs --eth-drivers (registry PHY drivers)"; continue; fi
      for p in ip101 lan87xx rtl8201; do
        extra_i+="-isystem $ETH_DRIVERS_DIR/$p/include "
        [ -f "$ETH_DRIVERS_DIR/$p/Kconfig" ] && extra_k+=(--kconfig "$ETH_DRIVERS_DIR/$p/Kconfig")
      done
    fi
    local flags="-fsyntax-only -std=gnu17 -Wall -Wextra -Werror -Wno-unused-parameter -nostdinc
      -isystem $gccinc -isystem $gccinc-fixed -DESP_PLATFORM -D_GNU_SOURCE -D_POSIX_READER_WRITER_LOCKS -DIDF_VER=\"v$ver\"
      -DWT_SVC_CONNS=4 -DWT_SVC_BUF=1024 -DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0 -DWASM_RT_MAX_CALL_STACK_DEPTH=200
      -I$here/main -I$fw/core"
    local preset engine cfg out
    # WAMR: the module in its partition (the default) or embedded in the application image.
    # AOT_IPV4: wasm2c with CONFIG_WT_IPV6 off (the IPv4-only module), on the Ethernet-Kit preset.
    for engine in AOT WAMR WAMR_EMBEDDED AOT_IPV4; do
      local presets=$PRESETS mod=$w2c
      [ $engine = AOT_IPV4 ] && presets=ETHERNET_KIT mod=$w2c4
      for preset in $presets; do
        cfg=$work/cfg-$ver-$preset-$engine
        mkdir -p "$cfg"
        local defs=(--defaults "$here/sdkconfig.defaults")
        [ "$preset" = QEMU ] && defs+=(--defaults "$here/sdkconfig.defaults.qemu")
        if ! out=$(/usr/bin/python3 "$here/check/sdkconfig.py" --idf "$idf" --version "$ver" --out "$cfg/sdkconfig.h" \
             "${extra_k[@]}" --projbuild "$here/main/Kconfig.projbuild" "${defs[@]}" \
             --set "CONFIG_WT_BOARD_$preset=y" --set "CONFIG_WT_ENGINE_$(sed 's/_EMBEDDED$//; s/_IPV4$//' <<<"$engine")=y" \
             $([ $engine = WAMR_EMBEDDED ] && echo --set CONFIG_WT_WAMR_MODULE_PARTITION=n) \
             $([ $engine = AOT_IPV4 ] && echo --set CONFIG_WT_IPV6=n) 2>&1); then
          notok "(a) ESP-IDF $ver, $preset, $engine: sdkconfig"; sed 's/^/#   /' <<<"$out"; continue
        fi
        # main.c, then what this engine compiles (AOT: engine + translated stack + runtime).
        local files=("$here/main/main.c") f bad=0 log=$cfg/log
        if [ "$preset" = ETHERNET_KIT ]; then
          files+=("$fw/core/wt_core.c" "$fw/core/wt_app.c" "$fw/core/wt_services.c" "$fw/core/wt_ip6.c")
          case $engine in
            AOT*) files+=("$fw/core/engine_aot.c" "$mod/stack.c" /usr/share/wabt/wasm2c/wasm-rt-impl.c) ;;
            *) files+=("$here/main/engine_wamr.c") ;;
          esac
        fi
        : > "$log"
        # The C library of this configuration: ESP-IDF 6 defaults to picolibc (Debian's
        # picolibc-xtensa-lx106-elf 1.8 headers), earlier versions use newlib.
        local libc="-D_JBLEN=17 -isystem $work/newlib43 -isystem $newlib"
        grep -q '^#define CONFIG_LIBC_PICOLIBC 1' "$cfg/sdkconfig.h" && libc="-isystem $picolibc -include sys/types.h"
        for f in "${files[@]}"; do
          local per=
          case $f in
            */stack.c) per="-w -include $mod/stack_depth.h -DWT_W2C_UNCHECKED=0" ;;
            */wasm-rt-impl.c) per="-w -include $fw/core/wt_trap.h -isystem /usr/share/wabt/wasm2c -I$fw/qemu-xtensa/stubs" ;;
          esac
          # shellcheck disable=SC2086
          $CC_X $flags -I"$cfg" -I"$mod" $inc $extra_i -isystem "$WAMR_DIR/core/iwasm/include" $libc $per "$f" >>"$log" 2>&1 || bad=1
        done
        local names
        names=$(for f in "${files[@]}"; do basename "$f"; done | tr '\n' ' ')
        if [ $bad = 0 ]; then ok "(a) ESP-IDF $ver, board $preset, engine $engine: ${names% }"
        else notok "(a) ESP-IDF $ver, board $preset, engine $engine: ${names% }"; grep -E 'error|warning' "$log" | head -n 15 | sed 's/^/#   /'; fi
      done
    done
  done
}

check_b() {
  if ! out=$(make -s -C "$here/linux" WAMR="$WAMR_DIR" 2>&1); then
    notok "(b) build engine_wamr.c into the Linux port with WAMR"; sed 's/^/#   /' <<<"$out" | tail -n 20; return
  fi
  ok "(b) engine_wamr.c built unchanged into the Linux port (WAMR $(sed -n 's/^#define WAMR_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)/\2/p' "$WAMR_DIR/core/version.h" | tr '\n' . | sed 's/\.$//'))"
  # Issue 13, finding 4: WAMR 2.x only warns about an import it cannot link; the engine must
  # refuse the module at start (an unknown name, or a known name with another signature).
  local bin=$here/linux/build/wasm-tcpip-linux name wat
  for name in unknown-name wrong-signature; do
    case $name in
      unknown-name) wat='(module (import "env" "tx" (func (param i32 i32))) (import "env" "gettime" (func (result i32))) (memory (export "memory") 1))' ;;
      wrong-signature) wat='(module (import "env" "event" (func (param i32 i32))) (memory (export "memory") 1))' ;;
    esac
    echo "$wat" > "$work/$name.wat"
    wat2wasm "$work/$name.wat" -o "$work/$name.wasm" || { notok "(b) wat2wasm $name"; continue; }
    # The binary opens its TAP before the engine starts (and must fail): in a namespace of ours.
    ip netns add "wtesp32r$$" || { notok "(b) create a namespace"; continue; }
    out=$(ip netns exec "wtesp32r$$" timeout 10 "$bin" --tap wtesp32t --ip 198.51.100.2/24 --engine interp --wasm "$work/$name.wasm" 2>&1); rc=$?
    ip netns del "wtesp32r$$"
    if [ $rc -ne 0 ] && grep -q 'import this host does not provide' <<<"$out"; then
      ok "(b) WAMR engine refuses a module with an import of $name # $(grep -m1 'wamr:' <<<"$out")"
    else notok "(b) WAMR engine refuses a module with an import of $name (exit $rc)"; sed 's/^/#   /' <<<"$out"; fi
  done
  # firmware/test/run-linux.sh's checks with this binary; its "interp" engine is WAMR here.
  # The dual-stack module (esp32/linux/Makefile IPV6=1, as CONFIG_WT_IPV6): run-linux.sh's IPv6 phase too.
  WT_LINUX_BIN="$here/linux/build/wasm-tcpip-linux" ENGINES=interp IP6=1 \
    ECHO_BYTES_interp=${ECHO_BYTES:-8388608} HTTP_BYTES_interp=${HTTP_BYTES:-8388608} \
    "$fw/test/run-linux.sh" 2>&1 | sed 's/linux interp/linux WAMR (engine_wamr.c)/' | tee "$work/b.log"
  grep -q '^# linux: 0 failed' "$work/b.log" || failures=$((failures + 1))
}

[ "$only" != b ] && check_a
[ "$only" != a ] && check_b
echo "# check.sh: $failures failed"
[ $failures -eq 0 ]
