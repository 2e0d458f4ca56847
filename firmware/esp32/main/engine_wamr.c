/* The WAMR engine (espressif/wasm-micro-runtime on ESP32; the same file, unchanged, is built
 * into the Linux TAP port by firmware/esp32/linux for the kernel checks). WAMR interprets the
 * MCU module's .wasm at run time, so the module can be replaced as data without reflashing
 * the code (README "Updating the module"). The imports are natives of module "env"; tx and
 * entropy use the "(*~)" signature, so WAMR bounds-checks each pointer+length pair before
 * the call (the core checks again against the memory size).
 *
 * Memory (WAMR 2.x): the runtime, the loaded module, the fast interpreter's translated code,
 * the instance and the exec env come from the system heap (CONFIG_WT_WAMR_POOL_KB 0, the
 * ESP32 default: no contiguous block needed, and no static RAM, whose ESP32 limit is 160 KB)
 * or from a fixed static pool of that many KiB (its peak use is printed at start). The
 * linear memory is never in the pool: WAMR allocates it with os_mmap, i.e. from the heap. */
#include "wt_engine.h"
#include "wt_port.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifdef ESP_PLATFORM
#include "sdkconfig.h"
#endif
#include "wasm_export.h"

#ifndef CONFIG_WT_WAMR_POOL_KB
#error "CONFIG_WT_WAMR_POOL_KB: from Kconfig (ESP-IDF) or the build (firmware/esp32/linux)"
#endif
/* The interpreter's operand/frame stack inside the instance and the exec env's stack. */
#define WAMR_STACK_BYTES (8 * 1024)

static wasm_module_inst_t inst;
static wasm_exec_env_t env;
static wasm_function_inst_t funcs[WT_FN_COUNT];
#if CONFIG_WT_WAMR_POOL_KB > 0
static uint8_t pool[CONFIG_WT_WAMR_POOL_KB * 1024] __attribute__((aligned(8)));
#endif

static uint32_t app_offset(wasm_exec_env_t e, void *p) {
  return (uint32_t)wasm_runtime_addr_native_to_app(wasm_runtime_get_module_inst(e), p);
}

static void native_tx(wasm_exec_env_t e, uint8_t *p, uint32_t len) { wt_import_tx(app_offset(e, p), len); }
static void native_entropy(wasm_exec_env_t e, uint8_t *p, uint32_t len) { wt_import_entropy(app_offset(e, p), len); }
static void native_event(wasm_exec_env_t e, int32_t sock, int32_t kind, int32_t arg) {
  (void)e;
  wt_import_event(sock, kind, arg);
}
static void native_abort(wasm_exec_env_t e, uint32_t msg, uint32_t file, uint32_t line, uint32_t col) {
  (void)e;
  wt_import_abort(msg, file, line, col);
}

static NativeSymbol natives[] = {
  { "tx", (void *)native_tx, "(*~)", NULL },
  { "entropy", (void *)native_entropy, "(*~)", NULL },
  { "event", (void *)native_event, "(iii)", NULL },
  { "abort", (void *)native_abort, "(iiii)", NULL },
};

static void pool_report(const char *when) {
#if CONFIG_WT_WAMR_POOL_KB > 0
  mem_alloc_info_t info;
  if (wasm_runtime_get_mem_alloc_info(&info))
    printf("wamr: pool %s: %u bytes in use, %u at peak, of %u\n", when,
           (unsigned)(info.total_size - info.total_free_size), (unsigned)info.highmark_size,
           (unsigned)info.total_size);
#else
  (void)when;
#endif
}

static int wamr_start(const uint8_t *wasm, uint32_t len) {
  static char err[128];
  RuntimeInitArgs args;
  memset(&args, 0, sizeof args);
#if CONFIG_WT_WAMR_POOL_KB > 0
  args.mem_alloc_type = Alloc_With_Pool;
  args.mem_alloc_option.pool.heap_buf = pool;
  args.mem_alloc_option.pool.heap_size = sizeof pool;
#else
  args.mem_alloc_type = Alloc_With_System_Allocator;
#endif
  args.native_module_name = "env";
  args.native_symbols = natives;
  args.n_native_symbols = sizeof natives / sizeof natives[0];
  if (!wasm_runtime_full_init(&args)) { wt_port_puts("wamr: init failed\n"); return -1; }

  /* The fast interpreter never writes to the binary it loads, and with wasm_binary_freeable
   * the loader copies what it keeps (data segments, names): the .wasm is read where it lies,
   * in flash on ESP32 (no RAM copy of the module). The classic interpreter
   * rewrites opcodes in place, so it gets a RAM copy that stays for the module's life. */
  uint8_t *buf = (uint8_t *)wasm;
#if defined(CONFIG_WAMR_INTERP_CLASSIC) && CONFIG_WAMR_INTERP_CLASSIC
  buf = wasm_runtime_malloc(len);
  if (!buf) { wt_port_puts("wamr: no memory for the module copy\n"); return -1; }
  memcpy(buf, wasm, len);
#endif
  LoadArgs load;
  memset(&load, 0, sizeof load);
  load.name = "stack";
  load.wasm_binary_freeable = true;
  load.no_resolve = true;  /* resolved below, where an unknown import is an error */
  wasm_module_t module = wasm_runtime_load_ex(buf, len, &load, err, sizeof err);
  if (!module) { printf("wamr: load: %s\n", err); return -1; }
  /* WAMR 2.x only warns at instantiation about an import it cannot link (the call traps
   * later): refuse a module that imports anything but env.tx/entropy/event/abort with the
   * signatures above. */
  if (!wasm_runtime_resolve_symbols(module)) {
    wt_port_puts("wamr: the module has an import this host does not provide (env.tx, entropy, event, abort only)\n");
    wasm_runtime_unload(module);
    return -1;
  }
  inst = wasm_runtime_instantiate(module, WAMR_STACK_BYTES, 0, err, sizeof err);
  if (!inst) { printf("wamr: instantiate: %s\n", err); return -1; }
  env = wasm_runtime_create_exec_env(inst, WAMR_STACK_BYTES);
  if (!env) { wt_port_puts("wamr: no exec env\n"); return -1; }
  for (int f = 0; f < WT_FN_COUNT; f++) {
    wasm_function_inst_t fn = wasm_runtime_lookup_function(inst, wt_fn_name[f]);
    if (fn && wasm_func_get_param_count(fn, inst) == wt_fn_arity[f] && wasm_func_get_result_count(fn, inst) <= 1)
      funcs[f] = fn;
  }
  pool_report("after instantiation");
  return 0;
}

static int wamr_has(wt_fn fn) { return fn < WT_FN_COUNT && funcs[fn] != NULL; }

/* Any arity up to WT_MAX_ARITY (udpSendTo takes 5): args[0 .. arity - 1]; argv holds the result. */
static int32_t wamr_callv(wt_fn fn, const int32_t *args) {
  uint32_t argv[WT_MAX_ARITY > 1 ? WT_MAX_ARITY : 1];
  for (unsigned i = 0; i < wt_fn_arity[fn]; i++) argv[i] = (uint32_t)args[i];
  if (!wasm_runtime_call_wasm(env, funcs[fn], wt_fn_arity[fn], argv)) {
    printf("wasm trap in %s: %s\n", wt_fn_name[fn], wasm_runtime_get_exception(inst));
    wt_port_fatal("wasm trap");
  }
  return wasm_func_get_result_count(funcs[fn], inst) ? (int32_t)argv[0] : 0;
}

static int32_t wamr_call(wt_fn fn, int32_t a, int32_t b, int32_t c) {
  uint32_t argv[3] = { (uint32_t)a, (uint32_t)b, (uint32_t)c };
  if (!wasm_runtime_call_wasm(env, funcs[fn], wt_fn_arity[fn], argv)) {
    printf("wasm trap in %s: %s\n", wt_fn_name[fn], wasm_runtime_get_exception(inst));
    wt_port_fatal("wasm trap");
  }
  return wasm_func_get_result_count(funcs[fn], inst) ? (int32_t)argv[0] : 0;
}

static uint8_t *wamr_memory(uint32_t *size) {
  wasm_memory_inst_t mem = inst ? wasm_runtime_get_default_memory(inst) : NULL;
  if (!mem) { *size = 0; return NULL; }
  *size = (uint32_t)(wasm_memory_get_cur_page_count(mem) * wasm_memory_get_bytes_per_page(mem));
  return wasm_memory_get_base_address(mem);
}

/* The run-time loading engine of this port (wt_engine.h): "interp" in firmware/linux's
 * --engine option when built by firmware/esp32/linux. */
const wt_engine wt_engine_interp = { "wamr", wamr_start, wamr_has, wamr_call, wamr_memory, wamr_callv };
