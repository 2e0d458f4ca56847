/* The ahead-of-time engine: the MCU module translated to C by wasm2c (wabt 1.0.32
 * naming: module "stack", imports from "env"). The build generates stack.{c,h} and
 * aot_exports.h (WT_AOT_EXPORTS: the WT_ABI_FUNCTIONS entries the module exports). */
#include "wt_engine.h"
#include "wt_port.h"
#include "wt_trap.h"
#include "stack.h"
#include "aot_exports.h"

static Z_stack_instance_t inst;
static int started;

/* The imports, as wasm2c names them; each forwards to the core. Unused ones are harmless. */
void Z_envZ_tx(struct Z_env_instance_t *env, u32 ptr, u32 len) { (void)env; wt_import_tx(ptr, len); }
void Z_envZ_entropy(struct Z_env_instance_t *env, u32 ptr, u32 len) { (void)env; wt_import_entropy(ptr, len); }
void Z_envZ_event(struct Z_env_instance_t *env, u32 sock, u32 kind, u32 arg) {
  (void)env;
  wt_import_event((int32_t)sock, (int32_t)kind, (int32_t)arg);
}
void Z_envZ_abort(struct Z_env_instance_t *env, u32 msg, u32 file, u32 line, u32 col) {
  (void)env;
  wt_import_abort(msg, file, line, col);
}

WASM_RT_NO_RETURN void wt_trap_handler(wasm_rt_trap_t code) {
  static const char *const names[] = { "none", "out of bounds", "integer overflow", "divide by zero",
                                       "invalid conversion", "unreachable", "call_indirect",
                                       "uncaught exception", "call stack exhausted" };
  wt_port_puts("wasm trap: ");
  wt_port_puts((unsigned)code < sizeof names / sizeof names[0] ? names[code] : "?");
  wt_port_puts("\n");
  wt_port_fatal("wasm trap");
  for (;;) {}
}

static int aot_start(const uint8_t *wasm, uint32_t len) {
  (void)wasm; (void)len;
  if (started) Z_stack_free(&inst);
  wasm_rt_init();
  Z_stack_init_module();
  Z_stack_instantiate(&inst, 0);
  started = 1;
  return 0;
}

/* One case per export the translated module has: WT_AOT_EXPORTS (aot_exports.h, written by
 * aot-exports.sh from wt_abi.h's WT_ABI_FUNCTIONS and the wasm2c header) lists exactly those. */
#define E(name) Z_stackZ_##name
#define AOT_ARGS_0 &inst
#define AOT_ARGS_1 AOT_ARGS_0, (u32)v[0]
#define AOT_ARGS_2 AOT_ARGS_1, (u32)v[1]
#define AOT_ARGS_3 AOT_ARGS_2, (u32)v[2]
#define AOT_ARGS_4 AOT_ARGS_3, (u32)v[3]
#define AOT_ARGS_5 AOT_ARGS_4, (u32)v[4]
#define AOT_RET_1(call) return (s32)(call)
#define AOT_RET_0(call) call; return 0
#define AOT_CASE(id, name, arity, res) case id: AOT_RET_##res(E(name)(AOT_ARGS_##arity));
#define AOT_HAS(id, name, arity, res) case id: return 1;

static int32_t aot_callv(wt_fn fn, const int32_t *v) {
  (void)v;
  switch (fn) {
    WT_AOT_EXPORTS(AOT_CASE)
    default: return -WT_EOPNOTSUPP;
  }
}

static int32_t aot_call(wt_fn fn, int32_t a, int32_t b, int32_t c) {
  const int32_t v[WT_MAX_ARITY] = { a, b, c, 0, 0 };
  return aot_callv(fn, v);
}

static int aot_has(wt_fn fn) {
  switch (fn) {
    WT_AOT_EXPORTS(AOT_HAS)
    default: return 0;
  }
}

static uint8_t *aot_memory(uint32_t *size) {
  if (!started) { *size = 0; return 0; }
  *size = inst.w2c_memory.size;
  return inst.w2c_memory.data;
}

const wt_engine wt_engine_aot = { "aot", aot_start, aot_has, aot_call, aot_memory, aot_callv };
