/* The DHCP client wrapper: see wt_dhcp.h. */
#include "wt_dhcp.h"
#include "wt_core.h"

#include <stdarg.h>

static struct {
  wt_dhcp_fn fn;
  uint32_t state;      /* the last state seen */
  uint32_t address;    /* the last address bound (a LOST call names it) */
  int stopping;
} d;

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

const char *wt_dhcp_state_name(uint32_t state) {
  static const char *const names[WT_DHCP_STATES] = {
    "STOPPED", "INIT", "SELECTING", "REQUESTING", "CHECKING", "BOUND", "RENEWING", "REBINDING",
    "INIT-REBOOT", "REBOOTING" };
  return state < WT_DHCP_STATES ? names[state] : "?";
}

static int bound(uint32_t s) { return s == WT_DHCP_BOUND || s == WT_DHCP_RENEWING || s == WT_DHCP_REBINDING; }

/* dhcpInfo and ifaceInfo write their fields to the I/O region, read back from there. */
int wt_dhcp_info(wt_dhcp_lease *out) {
  uint32_t cap;
  uint8_t *io = wt_io(&cap);
  if (!io || cap < 4u * WT_IFACE_INFO_COUNT || cap < 4u * WT_DHCP_INFO_COUNT) return -WT_ESTATE;
  int32_t off = wt_call(WT_FN_IO_BUFFER, 0, 0, 0);
  int r = wt_call(WT_FN_DHCP_INFO, off, 0, 0);
  if (r < 0) return r;
  io = wt_io(&cap);
  out->state = le32(io + 4 * WT_DHCP_INFO_STATE);
  out->address = le32(io + 4 * WT_DHCP_INFO_ADDRESS);
  out->prefix_len = le32(io + 4 * WT_DHCP_INFO_PREFIX_LEN);
  out->router = le32(io + 4 * WT_DHCP_INFO_ROUTER);
  out->server_id = le32(io + 4 * WT_DHCP_INFO_SERVER_ID);
  out->lease_secs = le32(io + 4 * WT_DHCP_INFO_LEASE_SECS);
  out->t1_left = le32(io + 4 * WT_DHCP_INFO_T1_LEFT);
  out->t2_left = le32(io + 4 * WT_DHCP_INFO_T2_LEFT);
  out->lease_left = le32(io + 4 * WT_DHCP_INFO_LEASE_LEFT);
  out->retries = le32(io + 4 * WT_DHCP_INFO_RETRIES);
  out->declines = le32(io + 4 * WT_DHCP_INFO_DECLINES);
  for (int i = 0; i < WT_DHCP_DNS_MAX; i++) out->dns[i] = 0;
  if (wt_call(WT_FN_IFACE_INFO, off, 0, 0) == 0) {
    io = wt_io(&cap);
    uint32_t n = le32(io + 4 * WT_IFACE_INFO_DNS_MAX);
    for (uint32_t i = 0; i < n && i < WT_DHCP_DNS_MAX; i++) out->dns[i] = le32(io + 4 * (WT_IFACE_INFO_DNS0 + i));
  }
  return 0;
}

/* One transition, from d.state to `to`, to the application. */
static void changed(uint32_t to) {
  uint32_t from = d.state;
  d.state = to;
  if (!d.fn || from == to) return;
  wt_dhcp_lease lease;
  if (wt_dhcp_info(&lease) != 0) return;
  lease.state = to;   /* the event's state: the client may have moved on since */
  wt_dhcp_event ev = WT_DHCP_EV_STATE;
  if (to == WT_DHCP_BOUND) ev = from == WT_DHCP_RENEWING || from == WT_DHCP_REBINDING ? WT_DHCP_EV_RENEWED : WT_DHCP_EV_BOUND;
  else if (bound(from) && !bound(to) && !d.stopping) ev = WT_DHCP_EV_LOST;
  if (ev == WT_DHCP_EV_BOUND || ev == WT_DHCP_EV_RENEWED) d.address = lease.address;
  if (ev == WT_DHCP_EV_LOST) lease.address = d.address;
  d.fn(ev, &lease);
}

static void on_event(int32_t sock, int32_t kind, int32_t arg) {
  (void)sock;
  if (kind == WT_EV_DHCP_STATE) { changed((uint32_t)arg); return; }
  if (kind == 0) {  /* events were lost: compare with the state now */
    wt_dhcp_lease lease;
    if (wt_dhcp_info(&lease) == 0) changed(lease.state);
  }
}

int wt_dhcp_start(wt_dhcp_fn fn) {
  d.fn = fn;
  d.stopping = 0;
  d.state = WT_DHCP_STOPPED;
  wt_set_iface_handler(WT_EV_DHCP_STATE, on_event);
  int r = wt_call(WT_FN_DHCP_START, 0, 0, 0);
  if (r < 0) wt_set_iface_handler(WT_EV_DHCP_STATE, 0);
  return r;
}

int wt_dhcp_stop(int release) {
  wt_dhcp_lease lease;
  int held = wt_dhcp_info(&lease) == 0 && bound(lease.state);
  d.stopping = 1;
  int r = wt_call(WT_FN_DHCP_STOP, release != 0, 0, 0);
  if (r == 0 && release && held && d.fn) d.fn(WT_DHCP_EV_RELEASED, &lease);
  return r;
}

static const char *fmt(char *buf, uint32_t cap, const char *f, ...) {
  va_list ap;
  va_start(ap, f);
  wt_vfmt(buf, cap, f, ap);
  va_end(ap);
  return buf;
}

/* "a.b.c.d" into buf (16 bytes). */
static const char *dotted(uint32_t a, char *buf) {
  return fmt(buf, 16, "%u.%u.%u.%u", a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255);
}

void wt_dhcp_log(wt_dhcp_event ev, const wt_dhcp_lease *l, int verbose) {
  char a[16], r[16], dns[WT_DHCP_DNS_MAX * 16], lease[16];
  if (ev == WT_DHCP_EV_BOUND || ev == WT_DHCP_EV_RENEWED) {
    uint32_t n = 0;
    dns[0] = 0;
    for (int i = 0; i < WT_DHCP_DNS_MAX; i++) {
      if (!l->dns[i]) continue;
      if (n) dns[n++] = ',';
      dotted(l->dns[i], dns + n);
      while (dns[n]) n++;
    }
    wt_logf("%s %s/%u router %s dns %s lease %s\n", ev == WT_DHCP_EV_BOUND ? "bound" : "renewed",
            dotted(l->address, a), l->prefix_len, l->router ? dotted(l->router, r) : "none", n ? dns : "none",
            l->lease_secs == 0xffffffffu ? "infinite" : fmt(lease, sizeof lease, "%us", l->lease_secs));
  } else if (ev == WT_DHCP_EV_RELEASED) {
    wt_logf("released %s\n", dotted(l->address, a));
  } else if (ev == WT_DHCP_EV_LOST) {
    wt_logf("lease lost: %s (DHCP state %s)\n", l->address ? dotted(l->address, a) : "no address",
            wt_dhcp_state_name(l->state));
  } else if (verbose) {
    wt_logf("dhcp: %s\n", wt_dhcp_state_name(l->state));
  }
}
