#include "common.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

Z_stack_instance_t *I;
fz_state S;
uint32_t fz_cfg_sndbuf = 16384, fz_cfg_rcvbuf = 16384, fz_cfg_iobuf = 0;
uint32_t fz_tcb0, fz_ring0, fz_udp0, fz_dns0;
int fz_boot_addr = 1;
int fz_check_payload;

static struct {
  Z_stack_instance_t live, saved;
  uint8_t *mem;
  uint64_t size;
  fz_state st;
  uint32_t tcb0, ring0, udp0, dns0, sndbuf, rcvbuf, iobuf;
  int booted;
} snaps[FZ_MAX_SNAPS];
static int cur = -1;

void fz_fail(const char *what) {
  fprintf(stderr, "fuzz invariant violated: %s (now=%u)\n", what, S.now);
  abort();
}

/* Imports. A trap is a bug: abort so libFuzzer reports it. */
void Z_envZ_tx(struct Z_env_instance_t *env, u32 ptr, u32 len) {
  (void)env;
  if ((uint64_t)ptr + len > I->w2c_memory.size) fz_fail("tx outside memory");
  const uint8_t *f = I->w2c_memory.data + ptr;
  S.tx_count++;
  if (getenv("FZ_TRACE")) { fprintf(stderr, "tx %u:", len); for (uint32_t q = 14; q < len && q < (getenv("FZ_TRACE")[0] == 50 ? len : 80); q++) fprintf(stderr, " %02x", f[q]); fprintf(stderr, "\n"); }
  if (len < 34 || f[12] != 0x08 || f[13] != 0x00) return;
  const uint8_t *ip = f + 14;
  uint32_t ihl = (ip[0] & 15) * 4, tot = (uint32_t)ip[2] << 8 | ip[3];
  if (ihl < 20 || tot > len - 14 || tot < ihl) fz_fail("stack sent a malformed IPv4 header");
  const uint8_t *l4 = ip + ihl;
  uint32_t l4len = tot - ihl;
  if (ip[9] == 6 && l4len >= 20) {
    uint16_t lport = (uint16_t)(l4[0] << 8 | l4[1]), pport = (uint16_t)(l4[2] << 8 | l4[3]);
    uint32_t seq = (uint32_t)l4[4] << 24 | (uint32_t)l4[5] << 16 | (uint32_t)l4[6] << 8 | l4[7];
    uint32_t ack = (uint32_t)l4[8] << 24 | (uint32_t)l4[9] << 16 | (uint32_t)l4[10] << 8 | l4[11];
    uint32_t doff = (l4[12] >> 4) * 4;
    if (doff < 20 || doff > l4len) { fprintf(stderr, "len %u tot %u ihl %u doff %u\n", len, tot, ihl, doff); for (uint32_t q = 0; q < len; q++) fprintf(stderr, "%02x%s", f[q], q % 16 == 15 ? "\n" : " "); fprintf(stderr, "\n"); fz_fail("stack sent a bad TCP data offset"); }
    uint8_t fl = l4[13];
    uint32_t end = seq + (l4len - doff) + ((fl & 2) ? 1 : 0) + ((fl & 1) ? 1 : 0);
    int i = fz_flow(pport, lport);
    if (i < 0) {
      for (i = 0; i < FZ_MAX_FLOWS && S.flows[i].used; i++) {}
      if (i == FZ_MAX_FLOWS) i = (int)(fz_rand() % FZ_MAX_FLOWS);
      S.flows[i].used = 1; S.flows[i].lport = lport; S.flows[i].pport = pport;
      S.flows[i].snd_hi = end;
    }
    if ((fl & 2) || (int32_t)(end - S.flows[i].snd_hi) > 0) S.flows[i].snd_hi = end;
    /* Every byte transmitted (retransmissions and probes included) is the byte the
     * application wrote at that sequence number (fz_wbyte: the actions harness writes it). */
    if (fz_check_payload) {
      uint32_t s0 = seq + ((fl & 2) ? 1 : 0);
      for (uint32_t q = doff; q < l4len; q++)
        if (l4[q] != fz_wbyte(s0 + (q - doff))) fz_fail("a transmitted byte differs from the byte written at its sequence number");
    }
    if (fl & 2) S.flows[i].syn = 1;
    if (fl & 16) S.flows[i].rcv = ack;
  } else if (ip[9] == 17 && l4len >= 8) {
    uint16_t sport = (uint16_t)(l4[0] << 8 | l4[1]), dport = (uint16_t)(l4[2] << 8 | l4[3]);
    int k = dport == 67 ? 0 : dport == 53 ? 1 : dport == 123 ? 2 : -1;
    if (k >= 0) {
      S.udp_sport[k] = sport;
      uint32_t n = l4len - 8 < 48 ? l4len - 8 : 48;
      memset(S.udp_head[k], 0, 48);
      memcpy(S.udp_head[k], l4 + 8, n);
    }
  }
}
void Z_envZ_entropy(struct Z_env_instance_t *env, u32 ptr, u32 len) {
  (void)env;
  if ((uint64_t)ptr + len > I->w2c_memory.size) fz_fail("entropy outside memory");
  for (u32 i = 0; i < len; i++) I->w2c_memory.data[ptr + i] = (uint8_t)fz_rand();
}
static int slot_of(int32_t h, const int32_t *a, int n) {
  for (int i = 0; i < n; i++) if (a[i] == h) return i;
  return -1;
}
void Z_envZ_event(struct Z_env_instance_t *env, u32 sock, u32 kind, u32 arg) {
  (void)env;
  int32_t h = (int32_t)sock;
  if (h < 0) return;
  if (kind >= WT_EV_READABLE && kind <= WT_EV_STATE && slot_of(h, S.seen, S.nseen) < 0 &&
      S.nseen < FZ_MAX_HANDLES) S.seen[S.nseen++] = h;
  int i = slot_of(h, S.handles, S.nhandles);
  if (i < 0) return;
  if (kind == WT_EV_ERROR || kind == WT_EV_RESET) S.errored[i] = 1;
  if (kind == WT_EV_STATE && (arg & 255) == 0) {
    uint32_t from = arg >> 8;
    /* A connection the application holds never reaches CLOSED silently (issue 16); the
     * Error/Reset event follows the State event, so this is checked after the call. */
    if (from == 4 || from == 5 || from == 6 || from == 7) S.closed_quiet[i] = 1;
  }
}
void Z_envZ_abort(struct Z_env_instance_t *env, u32 msg, u32 file, u32 line, u32 col) {
  (void)env; (void)msg; (void)file; (void)col;
  fprintf(stderr, "module abort() at line %u\n", line);
  abort();
}
WASM_RT_NO_RETURN void wt_trap_handler(wasm_rt_trap_t code) {
  fprintf(stderr, "wasm trap %d\n", (int)code);
  abort();
}

uint32_t fz_rand(void) {
  S.rng = S.rng * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(S.rng >> 33);
}

void fz_hold(int32_t h) {
  if (h < 0 || slot_of(h, S.handles, S.nhandles) >= 0 || S.nhandles >= FZ_MAX_HANDLES) return;
  S.errored[S.nhandles] = 0;
  S.closed_quiet[S.nhandles] = 0;
  S.handles[S.nhandles++] = h;
}
void fz_release(int32_t h) {
  int i = slot_of(h, S.handles, S.nhandles);
  if (i < 0) return;
  S.nhandles--;
  S.handles[i] = S.handles[S.nhandles];
  S.errored[i] = S.errored[S.nhandles];
  S.closed_quiet[i] = S.closed_quiet[S.nhandles];
}
int fz_held(int32_t h) { return slot_of(h, S.handles, S.nhandles) >= 0; }
int fz_flow(uint16_t pport, uint16_t lport) {
  for (int i = 0; i < FZ_MAX_FLOWS; i++)
    if (S.flows[i].used && S.flows[i].pport == pport && S.flows[i].lport == lport) return i;
  return -1;
}

/* ---- frames ---- */
static const uint8_t stack_mac[6] = { 2, 0, 0, 0, 0xfe, 2 }, peer_mac[6] = { 2, 0, 0, 0, 0xfe, 1 };

void fz_frame(const uint8_t *f, uint32_t len) {
  uint32_t rx = M(rxBuffer), cap = M(ifaceRxCapacity);
  uint32_t n = len < cap ? len : cap;
  if ((uint64_t)rx + n > I->w2c_memory.size) fz_fail("rxBuffer outside memory");
  memcpy(I->w2c_memory.data + rx, f, n);
  fz_step_begin();
  M(input, len, S.now); /* len may exceed the capacity: the stack must drop it */
  M(poll, S.now);
  fz_step_check();
}
static uint32_t sum(const uint8_t *p, uint32_t n, uint32_t s) {
  for (uint32_t i = 0; i + 1 < n; i += 2) s += (uint32_t)p[i] << 8 | p[i + 1];
  if (n & 1) s += (uint32_t)p[n - 1] << 8;
  return s;
}
static uint16_t fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}
static uint8_t fbuf[1600];
static void put32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static uint32_t ipv4(uint32_t src, uint32_t dst, uint8_t proto, uint32_t l4len) {
  memcpy(fbuf, stack_mac, 6);
  memcpy(fbuf + 6, peer_mac, 6);
  fbuf[12] = 8; fbuf[13] = 0;
  uint8_t *ip = fbuf + 14;
  uint32_t tot = 20 + l4len;
  ip[0] = 0x45; ip[1] = 0; ip[2] = tot >> 8; ip[3] = tot; ip[4] = 0; ip[5] = 1; ip[6] = 0x40; ip[7] = 0;
  ip[8] = 64; ip[9] = proto; ip[10] = ip[11] = 0;
  put32(ip + 12, src); put32(ip + 16, dst);
  uint16_t c = fold(sum(ip, 20, 0));
  ip[10] = c >> 8; ip[11] = c;
  return 14 + tot;
}
static uint32_t pseudo(uint32_t src, uint32_t dst, uint8_t proto, uint32_t len) {
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + proto + len;
}
void fz_tcp(uint16_t pport, uint16_t lport, uint32_t seq, uint32_t ack, uint8_t flags,
            uint16_t win, const uint8_t *opt, uint32_t optlen, const uint8_t *data, uint32_t len) {
  optlen &= ~3u;
  if (optlen > 40) optlen = 40;
  if (len > 1460 - optlen) len = 1460 - optlen;
  uint8_t *t = fbuf + 34;
  uint32_t hl = 20 + optlen;
  t[0] = pport >> 8; t[1] = pport; t[2] = lport >> 8; t[3] = lport;
  put32(t + 4, seq); put32(t + 8, ack);
  t[12] = (uint8_t)((hl / 4) << 4); t[13] = flags; t[14] = win >> 8; t[15] = win;
  t[16] = t[17] = 0; t[18] = t[19] = 0;
  if (optlen) memcpy(t + 20, opt, optlen);
  if (len) memcpy(t + hl, data, len);
  uint32_t n = ipv4(FZ_PEER_IP, FZ_STACK_IP, 6, hl + len);
  uint16_t c = fold(sum(t, hl + len, pseudo(FZ_PEER_IP, FZ_STACK_IP, 6, hl + len)));
  t[16] = c >> 8; t[17] = c;
  fz_frame(fbuf, n);
}
/* An IPv4 packet whose payload is `l4` as given (ports, flags, options all fuzzed); the
 * transport checksum at csum_off (-1: none) is fixed so the segment is not simply dropped. */
void fz_l4(uint32_t dst, uint8_t proto, const uint8_t *l4, uint32_t len, int csum_off) {
  if (len > 1480) len = 1480;
  uint8_t *u = fbuf + 34;
  memcpy(u, l4, len);
  uint32_t n = ipv4(FZ_PEER_IP, dst, proto, len);
  if (csum_off >= 0 && (uint32_t)csum_off + 2 <= len) {
    u[csum_off] = u[csum_off + 1] = 0;
    uint16_t c = fold(sum(u, len, pseudo(FZ_PEER_IP, dst, proto, len)));
    u[csum_off] = c >> 8; u[csum_off + 1] = c;
  }
  fz_frame(fbuf, n);
}
/* The Ethernet header, then `ip` as the IPv4 packet (lengths and checksums as fuzzed). */
void fz_ip_raw(const uint8_t *ip, uint32_t len) {
  if (len > 1500) len = 1500;
  memcpy(fbuf, stack_mac, 6);
  memcpy(fbuf + 6, peer_mac, 6);
  fbuf[12] = 8; fbuf[13] = 0;
  memcpy(fbuf + 14, ip, len);
  fz_frame(fbuf, 14 + len);
}
void fz_udp_to(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const uint8_t *data, uint32_t len) {
  if (len > 1472) len = 1472;
  uint8_t *u = fbuf + 34;
  u[0] = sport >> 8; u[1] = sport; u[2] = dport >> 8; u[3] = dport;
  u[4] = (8 + len) >> 8; u[5] = 8 + len; u[6] = u[7] = 0;
  memcpy(u + 8, data, len);
  uint32_t n = ipv4(src, dst, 17, 8 + len);
  uint16_t c = fold(sum(u, 8 + len, pseudo(src, dst, 17, 8 + len)));
  if (c == 0) c = 0xffff;
  u[6] = c >> 8; u[7] = c;
  if (dst == 0xffffffffu) memset(fbuf, 0xff, 6);
  fz_frame(fbuf, n);
}
void fz_udp(uint32_t src, uint16_t sport, uint16_t dport, const uint8_t *data, uint32_t len) {
  fz_udp_to(src, FZ_STACK_IP, sport, dport, data, len);
}
uint32_t fz_polls;
void fz_advance(uint32_t ms) {
  uint32_t end = S.now + ms;
  for (int i = 0; i < 100000; i++) {
    fz_polls++;
    fz_step_begin();
    int32_t d = (int32_t)M(poll, S.now);
    fz_step_check();
    if ((int32_t)(end - S.now) <= 0) return;
    uint32_t step = d < 0 ? end - S.now : d == 0 ? 1 : (uint32_t)d;
    if (step > end - S.now) step = end - S.now;
    S.now += step;
  }
  fz_fail("timers never settle (poll keeps returning 0)");
}

/* ---- invariants ---- */
static uint32_t stats_before[512];
static uint32_t nstats;
void fz_step_begin(void) {
  uint32_t p = M(statsPtr), n = M(statCount);
  if (n > 512 || (uint64_t)p + 4 * n > I->w2c_memory.size) fz_fail("stats outside memory");
  nstats = n;
  memcpy(stats_before, I->w2c_memory.data + p, 4 * n);
}
void fz_step_check(void) {
  uint32_t p = M(statsPtr);
  const uint8_t *m = I->w2c_memory.data + p;
  for (uint32_t i = 0; i < nstats; i++) {
    uint32_t v;
    memcpy(&v, m + 4 * i, 4);
    if (v < stats_before[i]) {
      fprintf(stderr, "counter %u went from %u to %u\n", i, stats_before[i], v);
      fz_fail("a counter went backwards");
    }
  }
  /* A pool never holds more free entries than it started with (a double free would). */
  if (M(tcbFreeCount) > fz_tcb0 || M(ringFreeCount) > fz_ring0 || M(udpFreeCount) > fz_udp0 || M(dnsFreeCount) > fz_dns0)
    fz_fail("a pool has more free entries than at init");
  for (int k = 0; k < S.nhandles; k++)
    if (S.closed_quiet[k] && !S.errored[k]) fz_fail("a held connection reached CLOSED without an error event");
  uint32_t out = M(ioBuffer);
  for (int k = 0; k < S.nseen; k++) {
    if ((int32_t)M(tcpInfo, S.seen[k], out) < 0) continue;
    uint32_t f[WT_TCP_INFO_COUNT];
    memcpy(f, I->w2c_memory.data + out, sizeof f);
    uint32_t st = f[WT_TCP_INFO_STATE];
    if (st > 10) fz_fail("tcpInfo state out of range");
    if (f[WT_TCP_INFO_SEND_QUEUED] > fz_cfg_sndbuf) fz_fail("send ring holds more than SndBuf");
    if (f[WT_TCP_INFO_RECV_QUEUED] > fz_cfg_rcvbuf) fz_fail("receive ring holds more than RcvBuf");
    if (st >= 3 && st <= 9) {
      uint32_t inflight = f[WT_TCP_INFO_SND_NXT] - f[WT_TCP_INFO_SND_UNA];
      if ((int32_t)inflight < 0) fz_fail("SND.NXT before SND.UNA");
      if (inflight > f[WT_TCP_INFO_SEND_QUEUED] + 2) {
        fprintf(stderr, "state %u una %u nxt %u queued %u\n", st, f[WT_TCP_INFO_SND_UNA],
                f[WT_TCP_INFO_SND_NXT], f[WT_TCP_INFO_SEND_QUEUED]);
        fz_fail("more in flight than the send ring holds");
      }
    }
  }
}
void fz_final_check(void) {
  while (S.nhandles > 0) {
    int32_t h = S.handles[S.nhandles - 1];
    fz_release(h);
    fz_step_begin();
    M(tcpClose, h);
    fz_step_check();
  }
  /* The peer falls silent: retransmissions, persist, FIN-WAIT-2 and TIME-WAIT must end. */
  fz_advance(3600u * 1000u);
  uint32_t tcb = M(tcbFreeCount), ring = M(ringFreeCount), tw = M(twCount);
  uint32_t udp = M(udpFreeCount), dns = M(dnsFreeCount);
  if (tcb != fz_tcb0 || ring != fz_ring0 || tw != 0 || udp != fz_udp0 || dns != fz_dns0) {
    fprintf(stderr, "after an hour of silence: tcb free %u/%u ring free %u/%u time-wait %u udp free %u/%u dns free %u/%u\n",
            tcb, fz_tcb0, ring, fz_ring0, tw, udp, fz_udp0, dns, fz_dns0);
    uint32_t out = M(ioBuffer);
    for (int k = 0; k < S.nseen; k++) {
      if ((int32_t)M(tcpInfo, S.seen[k], out) < 0) continue;
      uint32_t f[WT_TCP_INFO_COUNT];
      memcpy(f, I->w2c_memory.data + out, sizeof f);
      fprintf(stderr, "  handle %d state %u una %u nxt %u wnd %u queued %u/%u\n", S.seen[k], f[0],
              f[4], f[5], f[6], f[15], f[16]);
    }
    fz_fail("a pool did not return to its initial free count");
  }
}

/* ---- snapshots ---- */
void fz_boot(int k, const uint32_t *cfg) {
  static int rt;
  if (!rt) { wasm_rt_init(); Z_stack_init_module(); rt = 1; }
  if (snaps[k].booted) { Z_stack_free(&snaps[k].live); free(snaps[k].mem); }
  memset(&S, 0, sizeof S);
  S.rng = 0x9e3779b97f4a7c15ull;
  S.now = 1000;
  I = &snaps[k].live;
  cur = k;
  Z_stack_instantiate(I, 0);
  M(configure, WT_CFG_MAC_HI, 0x0200);
  M(configure, WT_CFG_MAC_LO, 0x0000fe02);
  if (fz_boot_addr) M(configure, WT_CFG_IPV4_ADDR, FZ_STACK_IP);
  fz_cfg_sndbuf = WT_CFG_SND_BUF_DEFAULT;
  fz_cfg_iobuf = WT_CFG_IO_BUF_DEFAULT;
  fz_cfg_rcvbuf = WT_CFG_RCV_BUF_DEFAULT;
  for (; cfg && cfg[0] != 0xffffffffu; cfg += 2) {
    if ((int32_t)M(configure, cfg[0], cfg[1]) != 0) fz_fail("configure refused a harness key");
    if (cfg[0] == WT_CFG_SND_BUF) fz_cfg_sndbuf = cfg[1];
    if (cfg[0] == WT_CFG_IO_BUF) fz_cfg_iobuf = cfg[1];
    if (cfg[0] == WT_CFG_RCV_BUF) fz_cfg_rcvbuf = cfg[1];
  }
  if ((int32_t)M(init) != 0) fz_fail("init failed");
  fz_tcb0 = M(tcbFreeCount);
  fz_ring0 = M(ringFreeCount);
  fz_udp0 = M(udpFreeCount);
  fz_dns0 = M(dnsFreeCount);
  /* The peer asks for our MAC: the stack answers and learns the peer's (RFC 826). */
  static const uint8_t arp[42] = { 2, 0, 0, 0, 0xfe, 2, 2, 0, 0, 0, 0xfe, 1, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1,
                                   2, 0, 0, 0, 0xfe, 1, 198, 51, 100, 1, 0, 0, 0, 0, 0, 0, 198, 51, 100, 2 };
  fz_frame(arp, sizeof arp);
  snaps[k].booted = 1;
  snaps[k].tcb0 = fz_tcb0; snaps[k].ring0 = fz_ring0; snaps[k].udp0 = fz_udp0; snaps[k].dns0 = fz_dns0;
  snaps[k].sndbuf = fz_cfg_sndbuf; snaps[k].rcvbuf = fz_cfg_rcvbuf; snaps[k].iobuf = fz_cfg_iobuf;
}
/* Copy the globals of src into dst; dst keeps its own memory and table (the table's funcrefs
 * point at their own instance: sharing it would run calls through another instance). */
static void copy_inst(Z_stack_instance_t *dst, const Z_stack_instance_t *src) {
  wasm_rt_memory_t m = dst->w2c_memory;
  wasm_rt_funcref_table_t t = dst->w2c_T0;
  *dst = *src;
  dst->w2c_memory = m;
  dst->w2c_T0 = t;
}
/* Copy slot `from`'s live instance state as the start of slot k (same config). */
void fz_save(int k) {
  if (k != cur) {
    /* Slot k gets its own instance with a copy of the current memory. */
    if (!snaps[k].booted) {
      Z_stack_instantiate(&snaps[k].live, 0);
      snaps[k].booted = 1;
    }
    if (snaps[k].live.w2c_memory.size != I->w2c_memory.size) {
      uint32_t need = (uint32_t)((I->w2c_memory.size - snaps[k].live.w2c_memory.size) >> 16);
      wasm_rt_grow_memory(&snaps[k].live.w2c_memory, need);
    }
    memcpy(snaps[k].live.w2c_memory.data, I->w2c_memory.data, I->w2c_memory.size);
    copy_inst(&snaps[k].live, I);
    snaps[k].tcb0 = fz_tcb0; snaps[k].ring0 = fz_ring0; snaps[k].udp0 = fz_udp0; snaps[k].dns0 = fz_dns0;
    snaps[k].sndbuf = fz_cfg_sndbuf; snaps[k].rcvbuf = fz_cfg_rcvbuf; snaps[k].iobuf = fz_cfg_iobuf;
    I = &snaps[k].live;
    cur = k;
  }
  free(snaps[k].mem);
  snaps[k].size = I->w2c_memory.size;
  snaps[k].mem = malloc(snaps[k].size);
  memcpy(snaps[k].mem, I->w2c_memory.data, snaps[k].size);
  snaps[k].saved = *I;
  snaps[k].st = S;
}
void fz_restore(int k) {
  I = &snaps[k].live;
  cur = k;
  if (I->w2c_memory.size != snaps[k].size) fz_fail("memory grew after init");
  copy_inst(I, &snaps[k].saved);
  memcpy(I->w2c_memory.data, snaps[k].mem, snaps[k].size);
  S = snaps[k].st;
  fz_tcb0 = snaps[k].tcb0; fz_ring0 = snaps[k].ring0; fz_udp0 = snaps[k].udp0; fz_dns0 = snaps[k].dns0;
  fz_cfg_sndbuf = snaps[k].sndbuf; fz_cfg_rcvbuf = snaps[k].rcvbuf; fz_cfg_iobuf = snaps[k].iobuf;
}
int fz_same_slot(int k) { return k == cur; }
