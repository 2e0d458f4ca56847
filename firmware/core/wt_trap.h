/* Included into wasm-rt-impl.c (-include): a module trap is a bug, never a recoverable
 * condition, so the runtime calls this instead of longjmp-ing to a setjmp per call. */
#ifndef WT_TRAP_H
#define WT_TRAP_H
#include "wasm-rt.h"
WASM_RT_NO_RETURN void wt_trap_handler(wasm_rt_trap_t code);
#define WASM_RT_TRAP_HANDLER wt_trap_handler
#endif
