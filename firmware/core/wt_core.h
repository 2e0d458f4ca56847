/* The portable core: owns the one module instance of the firmware, implements its
 * imports, feeds it frames from the port's MAC and runs its timers. C99, integer-only. */
#ifndef WT_CORE_H
#define WT_CORE_H

#include <stdint.h>
#include "wt_abi.h"
#include "wt_engine.h"
#include <stdarg.h>

#ifndef WT_RX_BATCH
#define WT_RX_BATCH 64      /* frames fed per wt_step before timers run again */
#endif
#ifndef WT_EVENT_QUEUE
#define WT_EVENT_QUEUE 64   /* events buffered between module calls and dispatch */
#endif

/* Called for each event after the module returns (never from inside the module, so the
 * handler may call the module). sock = -1 and kind = 0 means events were lost: rescan. */
typedef void (*wt_event_fn)(int32_t sock, int32_t kind, int32_t arg);

/* Instantiate the module with engine e (wasm/len only for run-time loading engines). */
int wt_core_start(const wt_engine *e, const uint8_t *wasm, uint32_t len);
/* configure(key, value) before wt_init; returns 0 or -WT_E*. */
int wt_configure(int key, uint32_t value);
/* init(): reserve the module's pools. 0 or -WT_E*. */
int wt_init(void);
const wt_engine *wt_engine_used(void);
/* The module's clock: input/poll pass the port's time; wt_call/wt_callv feed it (the `clock`
 * export) before every other call, so an API call after an idle sleep arms its timers from
 * now, not from the last poll. */

/* Call an export of at most 3 parameters; -WT_EOPNOTSUPP when this module does not
 * export it (or it takes more: use wt_callv). */
int32_t wt_call(wt_fn fn, int32_t a, int32_t b, int32_t c);
/* Call an export with args[0 .. wt_fn_arity[fn] - 1] (any arity up to WT_MAX_ARITY). */
int32_t wt_callv(wt_fn fn, const int32_t *args);
/* Non-zero when the module exports fn and the engine can call it. */
int wt_has(wt_fn fn);
/* Pointer to len bytes at offset off of linear memory, or 0 when out of bounds. */
uint8_t *wt_mem(uint32_t off, uint32_t len);

/* The module's I/O region (Cfg.IoBuf bytes) that read/write payload goes through (its offset
 * in linear memory: 0 = none); both are fixed at wt_init. */
uint8_t *wt_io(uint32_t *cap);
uint32_t wt_io_offset(void);

/* Socket handles carry their kind (abi/abi.mjs handleLayout): kind << 28 | generation << 16 | slot,
 * a positive int32. Events carry the full handle; dispatch routes them by handle. */
#define WT_HANDLE_KIND(h) ((h) > 0 ? (int32_t)((uint32_t)(h) >> WT_HANDLE_KIND_SHIFT) : 0)
enum { WT_KIND_TCP = 1, WT_KIND_UDP = 2, WT_KIND_MAX = 4 };

/* The default handler: events on handles of a kind without a handler of its own, and EchoReply. */
void wt_set_event_handler(wt_event_fn fn);
/* Events on handles of `kind` (WT_KIND_*) go to fn instead (0: back to the default); every
 * handler also gets the "events were lost" call (-1, 0, 0). */
void wt_set_kind_handler(int kind, wt_event_fn fn);
/* Events on no handle (sock -1: EchoReply, AddressChanged, DhcpState, SntpSync) of event
 * kind `ev` (WT_EV_*) go to fn instead of the default handler (0: back); how wrappers of the
 * core's services (wt_dhcp.c) take theirs. fn also gets the "events were lost" call. */
void wt_set_iface_handler(int ev, wt_event_fn fn);
/* Hand one received frame to the module (copying ports; wt_step reads the MAC itself). */
void wt_frame_input(const uint8_t *frame, uint32_t len, uint32_t now);
/* One turn of the main loop: feed waiting frames (zero-copy into the module's receive
 * buffer), run timers, dispatch events. Returns ms until the next deadline, -1 if none,
 * 0 if more frames may be waiting. */
int32_t wt_step(void);
/* The main loop: wt_step, then sleep in wt_port_wait until the deadline or a frame. */
void wt_run(volatile int *stop);

/* Counters: number, and value/name of counter i (name copied into buf). */
int wt_stat_count(void);
uint32_t wt_stat(int i, char *name, uint32_t cap);
/* Print the non-zero counters on the console. */
void wt_print_stats(void);

/* Console helpers: printf subset (%s %d %u %x %c), integer-only. */
void wt_logf(const char *fmt, ...);
/* Format into buf (always NUL-terminated); returns the length written. */
uint32_t wt_vfmt(char *buf, uint32_t cap, const char *fmt, va_list ap);

/* Dotted quad to host-order address and prefix: "a.b.c.d[/len]". 0 on success. */
int wt_parse_ipv4(const char *s, uint32_t *addr, uint32_t *prefix);

#endif
