/* The portable core: imports, main loop, counters, console. See wt_core.h. */
#include "wt_core.h"
#include "wt_port.h"

#include <string.h>

/* Built from the generated list in wt_abi.h (abi/abi.mjs): nothing to edit here per export. */
#define WT_FN_NAME_(id, name, arity, res) #name,
#define WT_FN_ARITY_(id, name, arity, res) arity,
const char *const wt_fn_name[WT_FN_COUNT] = { WT_ABI_FUNCTIONS(WT_FN_NAME_) };
const uint8_t wt_fn_arity[WT_FN_COUNT] = { WT_ABI_FUNCTIONS(WT_FN_ARITY_) };
#undef WT_FN_NAME_
#undef WT_FN_ARITY_

typedef struct { int32_t sock, kind, arg; } wt_event;

#define WT_IFACE_EVENTS 17  /* event kinds that can have an interface handler: 1 .. 16 */

static struct {
  const wt_engine *eng;
  uint32_t rx_off, rx_cap, mtu, io_cap;
  uint32_t io_off;           /* the I/O region (ioBuffer: constant after init), 0 = none */
  int ready;
  wt_event_fn on_event;
  wt_event_fn on_kind[WT_KIND_MAX + 1];  /* by handle kind; 0 = on_event */
  wt_event_fn on_iface[WT_IFACE_EVENTS]; /* sock -1 events by event kind; 0 = on_event */
  wt_event q[WT_EVENT_QUEUE];
  uint32_t q_head, q_tail;  /* free-running; q_tail - q_head = queued */
  int q_lost;
} core;

/* ---- linear memory ---- */

uint8_t *wt_mem(uint32_t off, uint32_t len) {
  uint32_t size = 0;
  uint8_t *base = core.eng->memory(&size);
  if (!base || off > size || len > size - off) return 0;
  return base + off;
}

/* ---- calls ---- */

int wt_has(wt_fn fn) {
  return core.eng && (unsigned)fn < WT_FN_COUNT && core.eng->has(fn) && (wt_fn_arity[fn] <= 3 || core.eng->callv);
}

/* Before an API call, bring the core's clock to the port's time (the `clock` export), so the
 * timers the call arms (RTO, ARP, DHCP) start now and not at the last input/poll, which may be
 * long past. input/poll carry their own time; the clock is fed at most once per millisecond. */
static uint32_t clock_fed;
static void clock_sync(wt_fn fn) {
  if (!core.ready || fn == WT_FN_INPUT || fn == WT_FN_POLL || fn == WT_FN_CLOCK || !core.eng->has(WT_FN_CLOCK)) return;
  uint32_t t = wt_port_now_ms();
  if (t == clock_fed) return;
  clock_fed = t;
  core.eng->call(WT_FN_CLOCK, (int32_t)t, 0, 0);
}

int32_t wt_call(wt_fn fn, int32_t a, int32_t b, int32_t c) {
  if (!wt_has(fn) || wt_fn_arity[fn] > 3) return -WT_EOPNOTSUPP;
  clock_sync(fn);
  return core.eng->call(fn, a, b, c);
}

int32_t wt_callv(wt_fn fn, const int32_t *args) {
  if (!wt_has(fn)) return -WT_EOPNOTSUPP;
  clock_sync(fn);
  if (core.eng->callv) return core.eng->callv(fn, args);
  int32_t v[3] = { 0, 0, 0 };
  for (unsigned i = 0; i < wt_fn_arity[fn]; i++) v[i] = args[i];
  return core.eng->call(fn, v[0], v[1], v[2]);
}

const wt_engine *wt_engine_used(void) { return core.eng; }

uint8_t *wt_io(uint32_t *cap) {
  uint8_t *p = core.ready && core.io_off ? wt_mem(core.io_off, core.io_cap) : 0;
  *cap = p ? core.io_cap : 0;
  return p;
}

uint32_t wt_io_offset(void) { return core.ready ? core.io_off : 0; }

int wt_core_start(const wt_engine *e, const uint8_t *wasm, uint32_t len) {
  memset(&core, 0, sizeof core);
  core.eng = e;
  core.mtu = WT_CFG_MTU_DEFAULT;     /* the core's defaults (abi/abi.mjs) */
  core.io_cap = WT_CFG_IO_BUF_DEFAULT;
  if (e->start(wasm, len) != 0) { core.eng = 0; return -WT_EINVAL; }
  static const wt_fn required[] = { WT_FN_CONFIGURE, WT_FN_INIT, WT_FN_RX_BUFFER, WT_FN_INPUT, WT_FN_POLL };
  for (unsigned i = 0; i < sizeof required / sizeof required[0]; i++)
    if (!e->has(required[i])) {
      wt_logf("module lacks export %s\n", wt_fn_name[required[i]]);
      core.eng = 0;
      return -WT_EINVAL;
    }
  /* The module carries no counter names: WT_STATS (this build's wt_abi.h) must describe its counters. */
  if (e->has(WT_FN_STAT_COUNT) && wt_call(WT_FN_STAT_COUNT, 0, 0, 0) != WT_STAT_COUNT) {
    wt_logf("module has %d counters, wt_abi.h %d: rebuild both from abi/abi.mjs\n", wt_call(WT_FN_STAT_COUNT, 0, 0, 0), WT_STAT_COUNT);
    core.eng = 0;
    return -WT_EINVAL;
  }
  return 0;
}

int wt_configure(int key, uint32_t value) {
  if (!core.eng) return -WT_ESTATE;
  int32_t r = wt_call(WT_FN_CONFIGURE, key, (int32_t)value, 0);
  if (r == 0 && key == WT_CFG_MTU) core.mtu = value;
  if (r == 0 && key == WT_CFG_IO_BUF) core.io_cap = value;
  return r;
}

int wt_init(void) {
  if (!core.eng) return -WT_ESTATE;
  int32_t r = wt_call(WT_FN_INIT, 0, 0, 0);
  if (r != 0) return r;
  core.rx_off = (uint32_t)wt_call(WT_FN_RX_BUFFER, 0, 0, 0);
  core.rx_cap = core.mtu + 14;
  if (!wt_mem(core.rx_off, core.rx_cap)) return -WT_ENOMEM;
  core.io_off = wt_has(WT_FN_IO_BUFFER) ? (uint32_t)wt_call(WT_FN_IO_BUFFER, 0, 0, 0) : 0;
  core.ready = 1;
  return 0;
}

/* ---- imports ---- */

void wt_import_tx(uint32_t ptr, uint32_t len) {
  const uint8_t *p = wt_mem(ptr, len);
  if (!p) { wt_logf("tx: frame outside memory (%u+%u)\n", ptr, len); return; }
  wt_mac_send(p, len);
}

void wt_import_entropy(uint32_t ptr, uint32_t len) {
  uint8_t *p = wt_mem(ptr, len);
  if (p) wt_port_entropy(p, len);
}

void wt_import_event(int32_t sock, int32_t kind, int32_t arg) {
  if (core.q_tail - core.q_head >= WT_EVENT_QUEUE) { core.q_lost = 1; return; }
  wt_event *ev = &core.q[core.q_tail++ % WT_EVENT_QUEUE];
  ev->sock = sock; ev->kind = kind; ev->arg = arg;
}

/* Copy an AssemblyScript string (UTF-16, byte length at ptr - 4) as ASCII. */
static void as_string(uint32_t ptr, char *out, uint32_t cap) {
  out[0] = 0;
  const uint8_t *hdr = ptr >= 4 ? wt_mem(ptr - 4, 4) : 0;
  if (!hdr || cap == 0) return;
  uint32_t bytes = (uint32_t)hdr[0] | (uint32_t)hdr[1] << 8 | (uint32_t)hdr[2] << 16 | (uint32_t)hdr[3] << 24;
  const uint8_t *s = wt_mem(ptr, bytes);
  if (!s) return;
  uint32_t n = 0;
  for (uint32_t i = 0; i + 1 < bytes && n + 1 < cap; i += 2) {
    uint16_t c = (uint16_t)(s[i] | s[i + 1] << 8);
    out[n++] = (c >= 32 && c < 127) ? (char)c : '?';
  }
  out[n] = 0;
}

void wt_import_abort(uint32_t msg, uint32_t file, uint32_t line, uint32_t col) {
  char m[96], f[64];
  as_string(msg, m, sizeof m);
  as_string(file, f, sizeof f);
  wt_logf("module abort: %s at %s:%u:%u\n", m, f, line, col);
  wt_port_fatal("module abort");
}

/* ---- main loop ---- */

void wt_set_event_handler(wt_event_fn fn) { core.on_event = fn; }

void wt_set_kind_handler(int kind, wt_event_fn fn) {
  if (kind > 0 && kind <= WT_KIND_MAX) core.on_kind[kind] = fn;
}

void wt_set_iface_handler(int ev, wt_event_fn fn) {
  if (ev > 0 && ev < WT_IFACE_EVENTS) core.on_iface[ev] = fn;
}

/* One event to the handler of its handle's kind (or, on no handle, of its event kind),
 * else the default one. */
static void deliver(int32_t sock, int32_t kind, int32_t arg) {
  int32_t k = WT_HANDLE_KIND(sock);
  wt_event_fn fn = 0;
  if (sock < 0 && kind > 0 && kind < WT_IFACE_EVENTS) fn = core.on_iface[kind];
  else if (k <= WT_KIND_MAX) fn = core.on_kind[k];
  if (!fn) fn = core.on_event;
  if (fn) fn(sock, kind, arg);
}

/* Deliver queued events; returns how many. Handlers may call the module (queueing more). */
static int dispatch(void) {
  int n = 0;
  while (core.q_head != core.q_tail || core.q_lost) {
    if (core.q_head == core.q_tail) {
      core.q_lost = 0;
      if (core.on_event) core.on_event(-1, 0, 0);
      for (int k = 1; k <= WT_KIND_MAX; k++) if (core.on_kind[k]) core.on_kind[k](-1, 0, 0);
      for (int k = 1; k < WT_IFACE_EVENTS; k++) if (core.on_iface[k]) core.on_iface[k](-1, 0, 0);
      n++;
      continue;
    }
    wt_event ev = core.q[core.q_head++ % WT_EVENT_QUEUE];
    deliver(ev.sock, ev.kind, ev.arg);
    n++;
  }
  return n;
}

void wt_frame_input(const uint8_t *frame, uint32_t len, uint32_t now) {
  if (!core.ready || len > core.rx_cap) return;
  uint8_t *rx = wt_mem(core.rx_off, len);
  if (!rx) return;
  memcpy(rx, frame, len);
  wt_call(WT_FN_INPUT, (int32_t)len, (int32_t)now, 0);
  dispatch();
}

int32_t wt_step(void) {
  if (!core.ready) return -1;
  uint32_t now = wt_port_now_ms();
  int frames = 0;
  while (frames < WT_RX_BATCH) {
    uint8_t *rx = wt_mem(core.rx_off, core.rx_cap);
    int n = wt_mac_recv(rx, core.rx_cap);
    if (n <= 0) break;
    wt_call(WT_FN_INPUT, n, (int32_t)now, 0);
    dispatch();
    frames++;
  }
  /* Handlers may arm new timers (a write arms the retransmission timer): poll again
   * until a turn delivers no event, so the deadline we sleep on is current. */
  int32_t wait;
  int guard = 8;
  do {
    wait = wt_call(WT_FN_POLL, (int32_t)now, 0, 0);
  } while (dispatch() > 0 && --guard > 0);
  if (frames == WT_RX_BATCH || guard == 0) return 0;
  return wait;
}

void wt_run(volatile int *stop) {
  while (!*stop) {
    int32_t wait = wt_step();
    if (wait != 0) wt_port_wait(wait);
  }
}

/* ---- counters ---- */

int wt_stat_count(void) {
  int32_t n = wt_call(WT_FN_STAT_COUNT, 0, 0, 0);
  return n < 0 ? 0 : n;
}

static uint32_t put_uint(char *buf, uint32_t cap, uint32_t n, uint32_t v, uint32_t base);

#ifndef WT_NO_STAT_NAMES
/* "rx_frames\0tx_frames\0...": every counter's name in counter order, from WT_STATS (the module has none). */
#define WT_STAT_NAME_(id, name) #name "\0"
static const char wt_stat_names[] = WT_STATS(WT_STAT_NAME_);
#undef WT_STAT_NAME_
#endif

uint32_t wt_stat(int i, char *name, uint32_t cap) {
  uint32_t base = (uint32_t)wt_call(WT_FN_STATS_PTR, 0, 0, 0);
  const uint8_t *v = i >= 0 ? wt_mem(base + 4u * (uint32_t)i, 4) : 0;
  if (name && cap) {
#ifndef WT_NO_STAT_NAMES
    const char *s = wt_stat_names;
    for (int k = 0; k < i && k < WT_STAT_COUNT; k++) s += strlen(s) + 1;
    if (i < 0 || i >= WT_STAT_COUNT) s = "";
    uint32_t n = 0;
    while (s[n] && n + 1 < cap) { name[n] = s[n]; n++; }
    name[n] = 0;
#else
    uint32_t n = 0;
    const char *p = "stat";
    while (*p && n + 1 < cap) name[n++] = *p++;
    name[put_uint(name, cap, n, (uint32_t)i, 10)] = 0;
#endif
  }
  return v ? (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24 : 0;
}

void wt_print_stats(void) {
  char name[48];
  int n = wt_stat_count();
  for (int i = 0; i < n; i++) {
    uint32_t v = wt_stat(i, name, sizeof name);
    if (v) wt_logf("  %s %u\n", name, v);
  }
}

/* ---- console ---- */

static uint32_t put_uint(char *buf, uint32_t cap, uint32_t n, uint32_t v, uint32_t base) {
  char tmp[12];
  uint32_t k = 0;
  do { uint32_t d = v % base; tmp[k++] = (char)(d < 10 ? '0' + d : 'a' + d - 10); v /= base; } while (v);
  while (k && n + 1 < cap) buf[n++] = tmp[--k];
  return n;
}

uint32_t wt_vfmt(char *buf, uint32_t cap, const char *fmt, va_list ap) {
  uint32_t n = 0;
  if (cap == 0) return 0;
  for (const char *p = fmt; *p && n + 1 < cap; p++) {
    if (*p != '%') { buf[n++] = *p; continue; }
    switch (*++p) {
      case 's': { const char *s = va_arg(ap, const char *); while (s && *s && n + 1 < cap) buf[n++] = *s++; break; }
      case 'u': n = put_uint(buf, cap, n, va_arg(ap, uint32_t), 10); break;
      case 'x': n = put_uint(buf, cap, n, va_arg(ap, uint32_t), 16); break;
      case 'd': {
        int32_t v = va_arg(ap, int32_t);
        if (v < 0) { buf[n++] = '-'; n = put_uint(buf, cap, n, 0u - (uint32_t)v, 10); }
        else n = put_uint(buf, cap, n, (uint32_t)v, 10);
        break;
      }
      case 'c': buf[n++] = (char)va_arg(ap, int); break;
      case '%': buf[n++] = '%'; break;
      default: p--; break;  /* unknown or trailing '%': print nothing for it */
    }
    if (!*p) break;
  }
  buf[n] = 0;
  return n;
}

void wt_logf(const char *fmt, ...) {
  char buf[160];
  va_list ap;
  va_start(ap, fmt);
  wt_vfmt(buf, sizeof buf, fmt, ap);
  va_end(ap);
  wt_port_puts(buf);
}

int wt_parse_ipv4(const char *s, uint32_t *addr, uint32_t *prefix) {
  uint32_t a = 0;
  for (int i = 0; i < 4; i++) {
    uint32_t part = 0, digits = 0;
    while (*s >= '0' && *s <= '9' && digits < 4) { part = part * 10 + (uint32_t)(*s++ - '0'); digits++; }
    if (digits == 0 || part > 255) return -1;
    a = a << 8 | part;
    if (i < 3 && *s++ != '.') return -1;
  }
  if (*s == '/') {
    uint32_t len = 0, digits = 0;
    s++;
    while (*s >= '0' && *s <= '9' && digits < 3) { len = len * 10 + (uint32_t)(*s++ - '0'); digits++; }
    if (digits == 0 || len > 32 || !prefix) return -1;
    *prefix = len;
  }
  if (*s) return -1;
  *addr = a;
  return 0;
}
