/* The ahead-of-time engine: the MCU module translated to C by wasm2c (wabt 1.0.32
 * naming: module "stack", imports from "env"). The build generates stack.{c,h} and
 * aot_exports.h (WT_AOT_HAS_<export> for each function the module exports). */
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

#define S(x) (s32)(x)
#define E(name) Z_stackZ_##name

static int32_t aot_call(wt_fn fn, int32_t a, int32_t b, int32_t c) {
  (void)a; (void)b; (void)c;
  switch (fn) {
    case WT_FN_CONFIGURE: return S(E(configure)(&inst, (u32)a, (u32)b));
    case WT_FN_INIT: return S(E(init)(&inst));
    case WT_FN_RX_BUFFER: return S(E(rxBuffer)(&inst));
    case WT_FN_INPUT: E(input)(&inst, (u32)a, (u32)b); return 0;
    case WT_FN_POLL: return S(E(poll)(&inst, (u32)a));
    case WT_FN_STATS_PTR: return S(E(statsPtr)(&inst));
    case WT_FN_STAT_COUNT: return S(E(statCount)(&inst));
    case WT_FN_STAT_NAMES: return S(E(statNames)(&inst));
#if WT_AOT_HAS_poolBytes
    case WT_FN_POOL_BYTES: return S(E(poolBytes)(&inst));
#endif
#if WT_AOT_HAS_ioBuffer
    case WT_FN_IO_BUFFER: return S(E(ioBuffer)(&inst));
#endif
#if WT_AOT_HAS_tcpOpen
    case WT_FN_TCP_OPEN: return S(E(tcpOpen)(&inst));
    case WT_FN_TCP_BIND: return S(E(tcpBind)(&inst, (u32)a, (u32)b));
    case WT_FN_TCP_LISTEN: return S(E(tcpListen)(&inst, (u32)a, (u32)b));
    case WT_FN_TCP_ACCEPT: return S(E(tcpAccept)(&inst, (u32)a));
    case WT_FN_TCP_CONNECT: return S(E(tcpConnect)(&inst, (u32)a, (u32)b, (u32)c));
    case WT_FN_TCP_WRITE: return S(E(tcpWrite)(&inst, (u32)a, (u32)b, (u32)c));
    case WT_FN_TCP_READ: return S(E(tcpRead)(&inst, (u32)a, (u32)b, (u32)c));
    case WT_FN_TCP_SHUTDOWN: return S(E(tcpShutdown)(&inst, (u32)a));
    case WT_FN_TCP_CLOSE: return S(E(tcpClose)(&inst, (u32)a));
    case WT_FN_TCP_ABORT: return S(E(tcpAbort)(&inst, (u32)a));
    case WT_FN_TCP_STATE: return S(E(tcpState)(&inst, (u32)a));
#endif
#if WT_AOT_HAS_tcpInfo
    case WT_FN_TCP_INFO: return S(E(tcpInfo)(&inst, (u32)a, (u32)b));
#endif
#if WT_AOT_HAS_tcpSetOption
    case WT_FN_TCP_SET_OPTION: return S(E(tcpSetOption)(&inst, (u32)a, (u32)b, (u32)c));
#endif
    default: return -WT_EOPNOTSUPP;
  }
}

static int aot_has(wt_fn fn) {
  switch (fn) {
    case WT_FN_CONFIGURE: case WT_FN_INIT: case WT_FN_RX_BUFFER: case WT_FN_INPUT:
    case WT_FN_POLL: case WT_FN_STATS_PTR: case WT_FN_STAT_COUNT: case WT_FN_STAT_NAMES:
      return 1;
    case WT_FN_POOL_BYTES: return WT_AOT_HAS_poolBytes;
    case WT_FN_IO_BUFFER: return WT_AOT_HAS_ioBuffer;
    case WT_FN_TCP_INFO: return WT_AOT_HAS_tcpInfo;
    case WT_FN_TCP_SET_OPTION: return WT_AOT_HAS_tcpSetOption;
    default: return fn < WT_FN_COUNT && WT_AOT_HAS_tcpOpen;
  }
}

static uint8_t *aot_memory(uint32_t *size) {
  if (!started) { *size = 0; return 0; }
  *size = inst.w2c_memory.size;
  return inst.w2c_memory.data;
}

const wt_engine wt_engine_aot = { "aot", aot_start, aot_has, aot_call, aot_memory };
