/* An engine that wraps the firmware's wasm2c engine (wt_engine_aot) and times every call into
 * the translated module, less the time its tx import spends in the port's write() (the frame's
 * syscall): what is left is the module's own work. bench/tap.mjs links it into a copy of the
 * Linux port (main.o with wt_engine_aot renamed to wt_engine_timed and wt_mac_send to
 * wt_mac_send_real) and reads the totals it prints to stderr at exit:
 *   timed fn NAME CALLS NS SKIPPED  (module time per export, excluding tx syscalls, over the
 *                                   CALLS calls that took under 200 us; SKIPPED calls took
 *                                   longer: the process was preempted, on a shared machine)
 *   timed tx FRAMES NS          (time in the port's write())
 *   timed clock NS              (the cost of one timing pair, to subtract per call) */
#define _GNU_SOURCE
#include "wt_core.h"
#include "wt_engine.h"
#include "wt_port.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int wt_mac_send_real(const uint8_t *frame, uint32_t len);

#define PREEMPTED_NS 200000u  /* no call moves more than a window's worth of frames in this */

static uint64_t fn_ns[WT_FN_COUNT], fn_calls[WT_FN_COUNT], fn_skipped[WT_FN_COUNT], tx_ns, tx_frames;
static double clock_ns;

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int wt_mac_send(const uint8_t *frame, uint32_t len) {
  uint64_t t0 = now_ns();
  int r = wt_mac_send_real(frame, len);
  tx_ns += now_ns() - t0;
  tx_frames++;
  return r;
}

static void report(void) {
  for (int i = 0; i < WT_FN_COUNT; i++)
    if (fn_calls[i] || fn_skipped[i])
      fprintf(stderr, "timed fn %s %llu %llu %llu\n", wt_fn_name[i], (unsigned long long)fn_calls[i],
              (unsigned long long)fn_ns[i], (unsigned long long)fn_skipped[i]);
  fprintf(stderr, "timed tx %llu %llu\ntimed clock %.1f\n", (unsigned long long)tx_frames, (unsigned long long)tx_ns, clock_ns);
}

static int timed_start(const uint8_t *wasm, uint32_t len) {
  volatile uint64_t sink = 0;
  uint64_t t0 = now_ns();
  for (int i = 0; i < 100000; i++) sink += now_ns() - now_ns();
  clock_ns = (double)(now_ns() - t0) / 100000.0;  /* one pair of now() calls, as per timed call */
  atexit(report);
  return wt_engine_aot.start(wasm, len);
}

static int32_t timed_callv(wt_fn fn, const int32_t *v) {
  uint64_t tx0 = tx_ns, t0 = now_ns();
  int32_t r = wt_engine_aot.callv(fn, v);
  uint64_t dt = now_ns() - t0 - (tx_ns - tx0);
  if ((unsigned)fn >= WT_FN_COUNT) return r;
  if (dt < PREEMPTED_NS) { fn_ns[fn] += dt; fn_calls[fn]++; } else fn_skipped[fn]++;
  return r;
}

static int32_t timed_call(wt_fn fn, int32_t a, int32_t b, int32_t c) {
  const int32_t v[WT_MAX_ARITY] = { a, b, c, 0, 0 };
  return timed_callv(fn, v);
}

static int timed_has(wt_fn fn) { return wt_engine_aot.has(fn); }
static uint8_t *timed_memory(uint32_t *size) { return wt_engine_aot.memory(size); }

const wt_engine wt_engine_timed = { "aot", timed_start, timed_has, timed_call, timed_memory, timed_callv };
