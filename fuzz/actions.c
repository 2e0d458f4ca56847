/* Harness 2 (actions): structure-aware. One input decodes into a list of actions: a frame
 * from the peer built from a template with fuzzed fields (SYN with option mixes, segments
 * with seq/ack offsets from what the stack expects and sent, data, FIN, RST, ICMP errors),
 * an API call (accept, write, read, shutdown, close, abort, connect, options) or a time
 * step, so that recovery, zero windows, persist, TIME-WAIT, SYN cookies and the closing
 * states are reached. Besides the common invariants: every byte read is the byte the peer
 * sent at that sequence number; every byte transmitted is the byte the application wrote
 * there; write/read return values never exceed the request or the ring.
 *
 * Input: [variant] then [op][args...] (see the switch; missing bytes read as 0). */
#include "setup.h"
#include <stdio.h>
#include <stdlib.h>

static const uint32_t cfg0[] = {
  FUZZ_CFG_SMALL,
  WT_CFG_REASM_SLOTS, 1, WT_CFG_REASM_MAX_BYTES, 1024, WT_CFG_UDP_SOCKETS, 1, 0xffffffffu };
/* Window scaling (RcvBuf > 65535), two ring pairs for four TCBs. */
static const uint32_t cfg1[] = {
  WT_CFG_MAX_SOCKETS, 4, WT_CFG_RING_PAIRS, 2, WT_CFG_SND_BUF, 8192, WT_CFG_RCV_BUF, 70000,
  WT_CFG_TIME_WAIT_ENTRIES, 2, WT_CFG_MSL_MS, 1000, WT_CFG_RTO_MAX_MS, 4000, WT_CFG_DATA_RETRIES, 4,
  WT_CFG_SYN_RETRIES, 2, WT_CFG_SYN_BACKLOG, 2, WT_CFG_DEL_ACK_MS, 0, WT_CFG_IO_BUF, 8192,
  WT_CFG_REASM_SLOTS, 1, WT_CFG_REASM_MAX_BYTES, 1024, WT_CFG_UDP_SOCKETS, 1, 0xffffffffu };
/* No timestamps, SACK, window scale or cookies. */
static const uint32_t cfg2[] = {
  WT_CFG_MAX_SOCKETS, 5, WT_CFG_SND_BUF, 2048, WT_CFG_RCV_BUF, 2048, WT_CFG_FEATURES, 0,
  WT_CFG_TIME_WAIT_ENTRIES, 2, WT_CFG_MSL_MS, 1000, WT_CFG_RTO_MAX_MS, 4000, WT_CFG_DATA_RETRIES, 3,
  WT_CFG_SYN_RETRIES, 1, WT_CFG_SYN_BACKLOG, 1, WT_CFG_IO_BUF, 4096, WT_CFG_MSS, 100,
  WT_CFG_REASM_SLOTS, 1, WT_CFG_REASM_MAX_BYTES, 1024, WT_CFG_UDP_SOCKETS, 1, 0xffffffffu };
static const uint32_t *cfgs[3] = { cfg0, cfg1, cfg2 };

static const uint8_t *in;
static size_t inlen, pos;
static uint8_t rd(void) { return pos < inlen ? in[pos++] : 0; }

static int pick_flow(uint8_t b) {
  int used = 0;
  for (int i = 0; i < FZ_MAX_FLOWS; i++) used += S.flows[i].used;
  if (!used) return -1;
  int k = b % used;
  for (int i = 0; i < FZ_MAX_FLOWS; i++) if (S.flows[i].used && k-- == 0) return i;
  return -1;
}
static int32_t pick_handle(uint8_t b) { return S.nhandles ? S.handles[b % S.nhandles] : -1; }
static uint32_t peer_iss(uint16_t pport) { return 0x10000000u * (uint32_t)(pport % 13 + 1) + pport * 977u; }

/* A peer segment on flow f: seq/ack relative to the stack's view; payload from fz_pbyte. */
static void seg(int f, uint8_t flags, int32_t dseq, int32_t dack, uint16_t win, uint8_t optsel, uint32_t len) {
  uint8_t o[40];
  uint32_t ol = 0;
  uint32_t seq = S.flows[f].rcv + (uint32_t)dseq, ack = S.flows[f].snd_hi + (uint32_t)dack;
  if (optsel & 1) { fz_ts(o, S.now, 0); ol = 12; }
  if (optsel & 2) { /* one SACK block just above ack */
    uint32_t l = ack + 1 + (optsel >> 4) * 100, r = l + 200;
    o[ol] = 1; o[ol + 1] = 1; o[ol + 2] = 5; o[ol + 3] = 10;
    o[ol + 4] = l >> 24; o[ol + 5] = l >> 16; o[ol + 6] = l >> 8; o[ol + 7] = l;
    o[ol + 8] = r >> 24; o[ol + 9] = r >> 16; o[ol + 10] = r >> 8; o[ol + 11] = r;
    ol += 12;
  }
  if (optsel & 4) { o[ol] = 1; o[ol + 1] = 1; o[ol + 2] = optsel >> 5; o[ol + 3] = (optsel & 8) ? 0 : 1; ol += 4; } /* odd options */
  uint8_t d[1460];
  if (len > sizeof d) len = sizeof d;
  for (uint32_t i = 0; i < len; i++) d[i] = fz_pbyte(seq + i);
  fz_tcp(S.flows[f].pport, S.flows[f].lport, seq, ack, flags, win, o, ol, d, len);
}
static void check_read(int32_t h, uint32_t max) {
  uint32_t out = fz_io();
  if (max > fz_cfg_iobuf - 128) max = fz_cfg_iobuf - 128; /* what is read lands inside the I/O region */
  if ((int32_t)M(tcpInfo, h, out) < 0) { M(tcpRead, h, out, max); return; }
  uint32_t f[WT_TCP_INFO_COUNT];
  memcpy(f, I->w2c_memory.data + out, sizeof f);
  uint32_t st = f[WT_TCP_INFO_STATE];
  uint32_t start = f[WT_TCP_INFO_RCV_NXT] - f[WT_TCP_INFO_RECV_QUEUED] - ((st >= 7 && st <= 10) ? 1 : 0);
  uint32_t queued = f[WT_TCP_INFO_RECV_QUEUED];
  fz_step_begin();
  int32_t n = (int32_t)M(tcpRead, h, out + 128, max);
  fz_step_check();
  if (n > (int32_t)max) fz_fail("tcpRead returned more than asked");
  if (n > 0) {
    if ((uint32_t)n > queued) fz_fail("tcpRead returned more than recvQueued");
    if (st >= 3 && st <= 10)
      for (int32_t i = 0; i < n; i++)
        if (I->w2c_memory.data[out + 128 + i] != fz_pbyte(start + i)) fz_fail("a byte read differs from the byte the peer sent there");
  }
}
static void do_write(int32_t h, uint32_t len) {
  uint32_t out = fz_io();
  if ((int32_t)M(tcpInfo, h, out) < 0) return;
  uint32_t f[WT_TCP_INFO_COUNT];
  memcpy(f, I->w2c_memory.data + out, sizeof f);
  uint32_t st = f[WT_TCP_INFO_STATE];
  /* The first byte written goes at SND.UNA + queued (+1 while our SYN is unacknowledged). */
  uint32_t s = f[WT_TCP_INFO_SND_UNA] + f[WT_TCP_INFO_SEND_QUEUED] + ((st == 2 || st == 3) ? 1 : 0);
  if (st == 0 || st == 1) s = 0;
  if (len > 4000) len = 4000;
  if (len > fz_cfg_iobuf - 128) len = fz_cfg_iobuf - 128; /* the payload stays inside the I/O region */
  for (uint32_t i = 0; i < len; i++) I->w2c_memory.data[out + 128 + i] = fz_wbyte(s + i);
  uint32_t freeb = fz_cfg_sndbuf - f[WT_TCP_INFO_SEND_QUEUED];
  fz_step_begin();
  int32_t n = (int32_t)M(tcpWrite, h, out + 128, len);
  fz_step_check();
  if (n > (int32_t)len || (n > 0 && (uint32_t)n > freeb)) fz_fail("tcpWrite queued more than asked or than the ring had free");
  if (n > 0 && (st == 0 || st == 1)) fz_fail("tcpWrite accepted data on a closed or listening socket");
  if (n >= 0 && (int32_t)M(tcpInfo, h, out) >= 0) {
    uint32_t q;
    memcpy(&q, I->w2c_memory.data + out + 4 * WT_TCP_INFO_SEND_QUEUED, 4);
    if (q != f[WT_TCP_INFO_SEND_QUEUED] + (uint32_t)n) fz_fail("send queue accounting: queued != before + written");
  }
}
#define API(call) do { fz_step_begin(); (void)(call); fz_step_check(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static int ready;
  if (!ready) {
    for (int v = 0; v < 3; v++) {
      fz_boot(v, cfgs[v]);
      fz_listen(80, 2);
      fz_listen(7, 1);
      fz_save(v);
    }
    ready = 1;
  }
  if (n < 1) return 0;
  fz_check_payload = 1;
  in = d; inlen = n; pos = 1;
  fz_restore(d[0] % 3);
  for (int ops = 0; pos < inlen && ops < 256; ops++) {
    uint8_t op = rd() % 16;
    switch (op) {
    case 0: { /* SYN from the peer, option mix */
      uint8_t b1 = rd(), b2 = rd(), b3 = rd();
      uint16_t pport = 40000 + b1 % 6, lport = b2 % 3 == 0 ? 80 : b2 % 3 == 1 ? 7 : 81;
      static const uint16_t mss[4] = { 1460, 536, 1, 0 };
      uint8_t o[24];
      uint32_t ol = 0;
      if (b3 & 1) { uint16_t m = mss[(b3 >> 4) & 3]; o[ol++] = 2; o[ol++] = 4; o[ol++] = m >> 8; o[ol++] = (uint8_t)m; }
      if (b3 & 2) { o[ol++] = 1; o[ol++] = 3; o[ol++] = 3; o[ol++] = (b3 & 0x40) ? 14 : 7; }
      if (b3 & 4) { o[ol++] = 1; o[ol++] = 1; o[ol++] = 4; o[ol++] = 2; }
      if (b3 & 8) { fz_ts(o + ol, S.now, 0); ol += 12; }
      fz_tcp(pport, lport, peer_iss(pport) + (uint32_t)(b2 >> 2) * 0x01000000u, 0, 0x02, (b3 & 0x80) ? 0 : 65535, o, ol, 0, 0);
      break;
    }
    case 1: { /* a segment with fuzzed flags, offsets, window, options, length */
      uint8_t b1 = rd(), fl = rd(), ds = rd(), da = rd(), w = rd(), opt = rd(), ln = rd();
      int f = pick_flow(b1);
      if (f < 0) break;
      int32_t dseq = (int32_t)(int8_t)ds * (1 << ((ln >> 6) * 6)), dack = (int32_t)(int8_t)da * (1 << ((w >> 6) * 5));
      static const uint32_t lens[4] = { 0, 1, 100, 536 };
      seg(f, fl, dseq, dack, (uint16_t)((w & 63) << (opt >> 5)), opt, lens[ln & 3] + ((ln >> 2) & 15));
      break;
    }
    case 2: { /* ack everything, window from the input (0 = zero window) */
      uint8_t b1 = rd(), w = rd();
      int f = pick_flow(b1);
      if (f >= 0) seg(f, 0x10, 0, 0, (uint16_t)(w * 64), 1, 0);
      break;
    }
    case 3: { int32_t h = (int32_t)M(tcpAccept, pick_handle(rd())); fz_hold(h); break; }
    case 4: { int32_t h = pick_handle(rd()); uint32_t len = (uint32_t)rd() * 32; if (h >= 0) do_write(h, len); break; }
    case 5: { int32_t h = pick_handle(rd()); uint32_t len = (uint32_t)rd() * 16 + 1; if (h >= 0) check_read(h, len); break; }
    case 6: { int32_t h = pick_handle(rd()); API(M(tcpShutdown, h)); break; }
    case 7: { int32_t h = pick_handle(rd()); fz_release(h); API(M(tcpClose, h)); break; }
    case 8: { int32_t h = pick_handle(rd()); fz_release(h); API(M(tcpAbort, h)); break; }
    case 9: { /* active open to the peer */
      uint8_t b1 = rd();
      int32_t h = (int32_t)M(tcpOpen);
      if (h < 0) break;
      fz_hold(h);
      API(M(tcpConnect, h, FZ_PEER_IP, 5000 + b1 % 2));
      break;
    }
    case 10: { uint8_t b1 = rd(); fz_advance(b1 == 255 ? 300000u : (uint32_t)b1 * b1); break; }
    case 11: { int32_t h = pick_handle(rd()); uint8_t o = rd(), v = rd(); API(M(tcpSetOption, h, 1 + o % 3, v)); break; }
    case 12: { /* in-order data from the peer */
      uint8_t b1 = rd(), ln = rd();
      int f = pick_flow(b1);
      if (f >= 0) seg(f, 0x18, 0, 0, 8192, 1, (uint32_t)ln * 6);
      break;
    }
    case 13: { uint8_t b1 = rd(); int f = pick_flow(b1); if (f >= 0) seg(f, 0x11, 0, 0, 8192, 1, 0); break; }
    case 14: { /* RST, exact or off by the input */
      uint8_t b1 = rd(), ds = rd();
      int f = pick_flow(b1);
      if (f >= 0) seg(f, (ds & 1) ? 0x14 : 0x04, (int32_t)(int8_t)ds >> 1, 0, 0, 0, 0);
      break;
    }
    case 15: { /* the peer's SYN-ACK for an active open (iss from the port) */
      uint8_t b1 = rd(), b3 = rd();
      int f = pick_flow(b1);
      if (f < 0) break;
      uint8_t o[24];
      uint32_t ol = 0;
      o[ol++] = 2; o[ol++] = 4; o[ol++] = 2; o[ol++] = 24;
      if (b3 & 2) { o[ol++] = 1; o[ol++] = 3; o[ol++] = 3; o[ol++] = 5; }
      if (b3 & 4) { o[ol++] = 1; o[ol++] = 1; o[ol++] = 4; o[ol++] = 2; }
      if (b3 & 8) { fz_ts(o + ol, S.now, 0); ol += 12; }
      fz_tcp(S.flows[f].pport, S.flows[f].lport, peer_iss(S.flows[f].pport), S.flows[f].snd_hi + (b3 >> 4) - 8,
             (b3 & 1) ? 0x12 : 0x02, 30000, o, ol, 0, 0);
      break;
    }
    }
  }
  fz_final_check();
  return 0;
}
