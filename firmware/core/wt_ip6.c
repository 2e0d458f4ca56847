/* IPv6 for C hosts: see wt_ip6.h. */
#include "wt_ip6.h"
#include "wt_core.h"

#include <string.h>

/* The last address seen at each table index, so a removal (the entry is free by the time
 * the event is dispatched) and lost events can still be reported by address. */
#define CACHE 8
static struct {
  int on, verbose;
  wt_ip6_addr seen[CACHE];
} s;

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int wt_ip6_addr_get(int index, wt_ip6_addr *out) {
  uint32_t cap;
  if (!wt_io(&cap) || cap < 4u * WT_IP6_ADDR_INFO_COUNT) return -WT_ESTATE;
  int r = wt_call(WT_FN_IP6_ADDR_INFO, index, (int32_t)wt_io_offset(), 0);
  if (r < 0) return r;
  const uint8_t *io = wt_io(&cap);
  out->state = le32(io + 4 * WT_IP6_ADDR_INFO_STATE);
  out->origin = le32(io + 4 * WT_IP6_ADDR_INFO_ORIGIN);
  out->prefix_len = le32(io + 4 * WT_IP6_ADDR_INFO_PREFIX_LEN);
  out->valid_left = le32(io + 4 * WT_IP6_ADDR_INFO_VALID_LEFT);
  out->preferred_left = le32(io + 4 * WT_IP6_ADDR_INFO_PREFERRED_LEFT);
  for (int w = 0; w < 4; w++) {  /* addr0..addr3: big-endian u32 words of the address */
    uint32_t v = le32(io + 4 * (WT_IP6_ADDR_INFO_ADDR0 + w));
    for (int b = 0; b < 4; b++) out->addr[4 * w + b] = (uint8_t)(v >> (24 - 8 * b));
  }
  return 0;
}

static char *put_hex(char *o, uint32_t v) {
  int started = 0;
  for (int k = 12; k >= 0; k -= 4) {
    uint32_t d = v >> k & 15;
    if (d || started || k == 0) { *o++ = (char)(d < 10 ? '0' + d : 'a' + d - 10); started = 1; }
  }
  return o;
}

static char *put_dec(char *o, uint32_t v) {
  if (v >= 100) *o++ = (char)('0' + v / 100);
  if (v >= 10) *o++ = (char)('0' + v / 10 % 10);
  *o++ = (char)('0' + v % 10);
  return o;
}

uint32_t wt_ip6_str(const uint8_t a[16], char *out) {
  uint32_t g[8];
  char *o = out;
  for (int i = 0; i < 8; i++) g[i] = (uint32_t)a[2 * i] << 8 | a[2 * i + 1];
  int mapped = !g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff;
  int groups = mapped ? 6 : 8;
  /* RFC 5952 §4.2: the longest run of two or more zero groups (the first of equal ones) is "::". */
  int best = -1, best_len = 1;
  for (int i = 0; i < groups;) {
    if (g[i]) { i++; continue; }
    int j = i;
    while (j < groups && !g[j]) j++;
    if (j - i > best_len) { best = i; best_len = j - i; }
    i = j;
  }
  for (int i = 0; i < groups; i++) {
    if (i == best) { *o++ = ':'; *o++ = ':'; i += best_len - 1; continue; }
    if (i && o[-1] != ':') *o++ = ':';
    o = put_hex(o, g[i]);
  }
  if (mapped) {
    if (o[-1] != ':') *o++ = ':';
    for (int k = 12; k < 16; k++) { o = put_dec(o, a[k]); if (k < 15) *o++ = '.'; }
  }
  *o = 0;
  return (uint32_t)(o - out);
}

const char *wt_ip6_state_name(uint32_t state) {
  static const char *const names[] = { "removed", "tentative", "preferred", "deprecated", "duplicate" };
  return state < sizeof names / sizeof names[0] ? names[state] : "?";
}

const char *wt_ip6_origin_name(uint32_t origin) {
  static const char *const names[] = { "?", "link-local", "slaac", "static" };
  return origin < sizeof names / sizeof names[0] ? names[origin] : "?";
}

static void log_addr(const wt_ip6_addr *a, uint32_t state) {
  char text[WT_IP6_STR];
  if (state == WT_IP6_TENTATIVE && !s.verbose) return;
  wt_ip6_str(a->addr, text);
  wt_logf("ip6 %s %s/%u (%s)\n", wt_ip6_state_name(state), text, a->prefix_len, wt_ip6_origin_name(a->origin));
}

/* Entry `index` may have changed: log it when its state differs from the one last seen. */
static void look(int index, int has_state, uint32_t state) {
  wt_ip6_addr now;
  if (index < 0 || index >= CACHE) return;
  wt_ip6_addr *was = &s.seen[index];
  if (wt_ip6_addr_get(index, &now) != 0) return;
  if (!has_state) state = now.state;
  if (state == WT_IP6_FREE) {  /* gone: report the address it held */
    if (was->state != WT_IP6_FREE) log_addr(was, WT_IP6_FREE);
    was->state = WT_IP6_FREE;
    return;
  }
  if (was->state != WT_IP6_FREE && memcmp(was->addr, now.addr, 16) != 0) log_addr(was, WT_IP6_FREE);
  if (was->state != state || memcmp(was->addr, now.addr, 16) != 0) log_addr(&now, state);
  *was = now;
  was->state = state;
}

static void on_event(int32_t sock, int32_t kind, int32_t arg) {
  (void)sock;
  if (kind == WT_EV_IP6_ADDR_STATE) { look(arg >> 8, 1, (uint32_t)arg & 255); return; }
  if (kind == WT_EV_IP6_DAD_FAILED) {
    wt_ip6_addr a;
    char text[WT_IP6_STR];
    if (wt_ip6_addr_get(arg, &a) == 0) {
      wt_ip6_str(a.addr, text);
      wt_logf("ip6 DAD: %s is in use on the link, not used (RFC 4862 §5.4.5)\n", text);
    }
    return;
  }
  if (kind == 0) for (int i = 0; i < CACHE; i++) look(i, 0, 0);  /* events were lost: compare all */
}

int wt_ip6_start(int verbose) {
  wt_ip6_addr a;
  memset(&s, 0, sizeof s);
  s.verbose = verbose;
  int r = wt_ip6_addr_get(0, &a);
  if (r == -WT_ENOSYS || r == -WT_EOPNOTSUPP) return -WT_ENOSYS;
  s.on = 1;
  wt_set_iface_handler(WT_EV_IP6_ADDR_STATE, on_event);
  wt_set_iface_handler(WT_EV_IP6_DAD_FAILED, on_event);
  for (int i = 0; i < CACHE; i++) look(i, 0, 0);  /* what init already did (the link-local address) */
  return 0;
}

int wt_ip6_on(void) { return s.on; }

int wt_ip6_set_secret(const uint8_t key[16]) {
  const wt_engine *e = wt_engine_used();
  uint32_t cap = 0, size = 0, off;
  if (!e || !wt_has(WT_FN_IP6_SET_SECRET)) return -WT_ENOSYS;
  if (wt_io(&cap) && cap >= 16) off = wt_io_offset();
  else {
    if (!e->memory(&size) || size < 16) return -WT_ENOMEM;
    off = size - 16;
  }
  uint8_t *p = wt_mem(off, 16);
  if (!p) return -WT_EINVAL;
  memcpy(p, key, 16);
  return wt_call(WT_FN_IP6_SET_SECRET, (int32_t)off, 0, 0);
}

__attribute__((weak)) int wt_port_ip6_secret(uint8_t key[16]) {
  (void)key;
  return 0;
}

int wt_ip6_secret_load(void) {
  uint8_t key[16];
  if (!wt_port_ip6_secret(key)) return 0;
  int r = wt_ip6_set_secret(key);
  memset(key, 0, sizeof key);
  return r < 0 ? r : 1;
}
