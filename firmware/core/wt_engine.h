/* Engine interface: how the core runs the module. One implementation translates the
 * module ahead of time with wasm2c (engine_aot.c, every port); others interpret the
 * .wasm loaded at run time (libwabt on Linux, WAMR on ESP32). The core never knows which. */
#ifndef WT_ENGINE_H
#define WT_ENGINE_H

#include <stdint.h>
#include "wt_abi.h"

typedef struct wt_engine {
  const char *name;
  /* Instantiate the module with the core's imports (wt_import_*). Engines that load
   * the module at run time use wasm/len; AOT engines ignore them. 0 on success. */
  int (*start)(const uint8_t *wasm, uint32_t len);
  /* Non-zero when the module exports fn (TCP exports are optional for ICMP-only builds). */
  int (*has)(wt_fn fn);
  /* Call export fn with its wt_fn_arity[fn] first arguments; 0 for void exports. */
  int32_t (*call)(wt_fn fn, int32_t a, int32_t b, int32_t c);
  /* Base and size in bytes of linear memory. Re-read after any call that may grow it. */
  uint8_t *(*memory)(uint32_t *size);
  /* Call export fn with args[0 .. wt_fn_arity[fn] - 1] (up to WT_MAX_ARITY); needed for the
   * exports with more than 3 parameters (udpSendTo, udpRecvFrom). Optional, last so an
   * engine written before it still compiles: without it (0) those exports count as absent. */
  int32_t (*callv)(wt_fn fn, const int32_t *args);
} wt_engine;

#define WT_MAX_ARITY 5

/* The module's imports, implemented by the core (wt_core.c); engines forward to them.
 * Pointers are offsets in linear memory; the core bounds-checks every one. */
void wt_import_tx(uint32_t ptr, uint32_t len);
void wt_import_entropy(uint32_t ptr, uint32_t len);
void wt_import_event(int32_t sock, int32_t kind, int32_t arg);
void wt_import_abort(uint32_t msg, uint32_t file, uint32_t line, uint32_t col);

/* Engines available in this build (each port links the ones it supports). */
extern const wt_engine wt_engine_aot;
extern const wt_engine wt_engine_interp;

#endif
