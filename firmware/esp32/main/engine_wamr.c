/* The interpreter engine on ESP32: WAMR (espressif/wasm-micro-runtime) runs the MCU
 * module loaded at start. The imports are registered as natives of module "env"; tx and
 * entropy use the "(*~)" signature, so WAMR bounds-checks each pointer+length pair
 * before the call (the core checks again against the memory size). */
#include "wt_engine.h"
#include "wt_port.h"

#include <stdio.h>
#include <string.h>

#include "sdkconfig.h"
#include "wasm_export.h"

static wasm_module_inst_t inst;
static wasm_exec_env_t env;
static wasm_function_inst_t funcs[WT_FN_COUNT];
static uint8_t pool[CONFIG_WT_WAMR_POOL_KB * 1024] __attribute__((aligned(8)));

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

static int wamr_start(const uint8_t *wasm, uint32_t len) {
  static char err[128];
  RuntimeInitArgs args;
  memset(&args, 0, sizeof args);
  args.mem_alloc_type = Alloc_With_Pool;
  args.mem_alloc_option.pool.heap_buf = pool;
  args.mem_alloc_option.pool.heap_size = sizeof pool;
  args.native_module_name = "env";
  args.native_symbols = natives;
  args.n_native_symbols = sizeof natives / sizeof natives[0];
  if (!wasm_runtime_full_init(&args)) { wt_port_puts("wamr: init failed\n"); return -1; }

  /* WAMR may modify the buffer it loads and keeps using it: a RAM copy, never freed. */
  uint8_t *copy = wasm_runtime_malloc(len);
  if (!copy) { wt_port_puts("wamr: no memory for the module\n"); return -1; }
  memcpy(copy, wasm, len);
  wasm_module_t module = wasm_runtime_load(copy, len, err, sizeof err);
  if (!module) { printf("wamr: load: %s\n", err); return -1; }
  /* An import other than env.tx/entropy/event/abort stays unlinked and fails here. */
  inst = wasm_runtime_instantiate(module, 8 * 1024, 0, err, sizeof err);
  if (!inst) { printf("wamr: instantiate: %s\n", err); return -1; }
  env = wasm_runtime_create_exec_env(inst, 8 * 1024);
  if (!env) { wt_port_puts("wamr: no exec env\n"); return -1; }
  for (int f = 0; f < WT_FN_COUNT; f++) {
    wasm_function_inst_t fn = wasm_runtime_lookup_function(inst, wt_fn_name[f]);
    if (fn && wasm_func_get_param_count(fn, inst) == wt_fn_arity[f] && wasm_func_get_result_count(fn, inst) <= 1)
      funcs[f] = fn;
  }
  return 0;
}

static int wamr_has(wt_fn fn) { return fn < WT_FN_COUNT && funcs[fn] != NULL; }

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

const wt_engine wt_engine_interp = { "wamr", wamr_start, wamr_has, wamr_call, wamr_memory };
