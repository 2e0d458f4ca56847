/* Harness 1 (frames): raw frames into a stack with listeners, with a connection first driven
 * into one state class (the input's first byte picks it); then mutated frames and segments.
 *
 * Input: [class] then records [ctl][len hi][len lo][len bytes]:
 *   ctl & 3 = 0: a whole Ethernet frame, as is;
 *             1: a TCP header + payload for the class's connection: the ports are set to its
 *                4-tuple, seq/ack are offsets from what the stack expects/has sent, the
 *                checksum is fixed;
 *             2: the same with seq/ack and ports as given (checksum fixed);
 *             3: an IPv4 packet (the Ethernet header is added), as is.
 *   ctl >> 2: the clock moves (ctl >> 2)^2 * 4 ms before the frame (timers run). */
#include "setup.h"
#include <stdlib.h>
#include <stdio.h>

enum { C_LISTEN, C_ESTAB, C_CLOSE_WAIT, C_FIN_WAIT_1, C_FIN_WAIT_2, C_SYN_SENT, C_SYN_RCVD, C_DATA, C_TIME_WAIT, NCLASS };
static const uint32_t cfg[] = {
  FUZZ_CFG_SMALL,
  WT_CFG_REASM_SLOTS, 2, WT_CFG_REASM_MAX_BYTES, 2048, WT_CFG_UDP_SOCKETS, 2,
  WT_CFG_IP6_ENABLE, 1, 0xffffffffu }; /* IPv6 on: its receive path is fuzzed too (seeds in run.mjs) */
static int flow_of[NCLASS];
#define PEER_ISS 0x10000000u

static int32_t accept_one(int32_t l) {
  int32_t h = (int32_t)M(tcpAccept, l);
  if (h < 0) fz_fail("setup: accept");
  fz_hold(h);
  return h;
}
static void setup(void) {
  static const uint8_t data[300] = { 'h', 'e', 'l', 'l', 'o' };
  fz_boot(C_LISTEN, cfg);
  int32_t l80 = fz_listen(80, 4);
  fz_listen(7, 4);
  fz_save(C_LISTEN);
  flow_of[C_LISTEN] = -1;

  /* ESTABLISHED (accepted, 5 bytes each way). */
  int f = fz_handshake(40001, 80, PEER_ISS);
  int32_t h = accept_one(l80);
  fz_peer_seg(f, PEER_ISS + 1, 0x18, 512, data, 5);
  if ((int32_t)M(tcpRead, h, fz_io(), 64) != 5) fz_fail("setup: read");
  memcpy(I->w2c_memory.data + fz_io(), data, 5);
  M(tcpWrite, h, fz_io(), 5);
  fz_advance(300);
  fz_peer_seg(f, PEER_ISS + 6, 0x10, 512, 0, 0);
  fz_save(C_ESTAB);
  flow_of[C_ESTAB] = f;
  /* Data both ways in flight, the peer's window small, a hole in what we received. */
  fz_save(C_DATA);
  memcpy(I->w2c_memory.data + fz_io(), data, 300);
  M(tcpWrite, h, fz_io(), 300);
  fz_peer_seg(f, PEER_ISS + 6 + 100, 0x18, 700, data, 50);
  fz_save(C_DATA);
  flow_of[C_DATA] = f;
  /* CLOSE-WAIT. */
  fz_restore(C_ESTAB);
  fz_save(C_CLOSE_WAIT);
  fz_peer_seg(f, PEER_ISS + 6, 0x11, 512, 0, 0);
  fz_save(C_CLOSE_WAIT);
  flow_of[C_CLOSE_WAIT] = f;
  /* FIN-WAIT-1 with data unacknowledged. */
  fz_restore(C_ESTAB);
  fz_save(C_FIN_WAIT_1);
  memcpy(I->w2c_memory.data + fz_io(), data, 100);
  M(tcpWrite, h, fz_io(), 100);
  M(tcpShutdown, h);
  fz_advance(10);
  fz_save(C_FIN_WAIT_1);
  flow_of[C_FIN_WAIT_1] = f;
  /* FIN-WAIT-2. */
  fz_save(C_FIN_WAIT_2);
  fz_peer_seg(f, PEER_ISS + 6, 0x10, 512, 0, 0);
  if ((int32_t)M(tcpState, h) != 6) fz_fail("setup: not FIN-WAIT-2");
  fz_save(C_FIN_WAIT_2);
  flow_of[C_FIN_WAIT_2] = f;
  /* TIME-WAIT (the handle closed: the compact table holds it). */
  fz_save(C_TIME_WAIT);
  fz_peer_seg(f, PEER_ISS + 6, 0x11, 512, 0, 0);
  fz_release(h);
  M(tcpClose, h);
  if (M(twCount) != 1) { fprintf(stderr, "state %d tw %u\n", (int)M(tcpState, h), M(twCount)); fz_fail("setup: not in TIME-WAIT"); }
  fz_save(C_TIME_WAIT);
  flow_of[C_TIME_WAIT] = f;
  /* SYN-SENT: an active open to the peer's port 5000. */
  fz_restore(C_LISTEN);
  fz_save(C_SYN_SENT);
  h = (int32_t)M(tcpOpen);
  fz_hold(h);
  if ((int32_t)M(tcpConnect, h, FZ_PEER_IP, 5000) != 0) fz_fail("setup: connect");
  flow_of[C_SYN_SENT] = -1;
  for (int i = 0; i < FZ_MAX_FLOWS; i++) if (S.flows[i].used && S.flows[i].pport == 5000) flow_of[C_SYN_SENT] = i;
  if (flow_of[C_SYN_SENT] < 0) fz_fail("setup: no SYN");
  fz_save(C_SYN_SENT);
  /* SYN-RECEIVED: the peer's SYN answered, its ACK not yet sent. */
  fz_restore(C_LISTEN);
  fz_save(C_SYN_RCVD);
  fz_tcp(40002, 80, PEER_ISS, 0, 0x02, 65535, fz_synopt, sizeof fz_synopt, 0, 0);
  flow_of[C_SYN_RCVD] = fz_flow(40002, 80);
  if (flow_of[C_SYN_RCVD] < 0) fz_fail("setup: no SYN-ACK");
  fz_save(C_SYN_RCVD);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static int ready;
  if (!ready) { setup(); ready = 1; }
  if (n < 1) return 0;
  int cls = d[0] % NCLASS;
  fz_restore(cls);
  size_t i = 1;
  int frames = 0;
  while (i + 3 <= n && frames < 64) {
    uint8_t ctl = d[i];
    uint32_t len = (uint32_t)d[i + 1] << 8 | d[i + 2];
    i += 3;
    if (len > n - i) len = (uint32_t)(n - i);
    const uint8_t *p = d + i;
    i += len;
    frames++;
    uint32_t dt = (uint32_t)(ctl >> 2) * (ctl >> 2) * 4;
    if (dt) fz_advance(dt);
    switch (ctl & 3) {
    case 0: fz_frame(p, len); break;
    case 3: fz_ip_raw(p, len); break;
    default: {
      if (len < 20) { fz_l4(FZ_STACK_IP, 6, p, len, -1); break; }
      uint8_t seg[1480];
      uint32_t m = len < sizeof seg ? len : (uint32_t)sizeof seg;
      memcpy(seg, p, m);
      int f = flow_of[cls];
      if ((ctl & 3) == 1 && f >= 0) {
        uint16_t pp = S.flows[f].pport, lp = S.flows[f].lport;
        seg[0] = pp >> 8; seg[1] = (uint8_t)pp; seg[2] = lp >> 8; seg[3] = (uint8_t)lp;
        uint32_t seq = (uint32_t)seg[4] << 24 | (uint32_t)seg[5] << 16 | (uint32_t)seg[6] << 8 | seg[7];
        uint32_t ack = (uint32_t)seg[8] << 24 | (uint32_t)seg[9] << 16 | (uint32_t)seg[10] << 8 | seg[11];
        /* The offsets are small signed numbers (the seeds use 0). */
        seq = S.flows[f].rcv + (uint32_t)(int32_t)(int16_t)seq;
        ack = S.flows[f].snd_hi + (uint32_t)(int32_t)(int16_t)ack;
        if (cls == C_SYN_SENT && (seg[13] & 2)) seq = PEER_ISS + (uint32_t)(int16_t)seq;
        seg[4] = seq >> 24; seg[5] = seq >> 16; seg[6] = seq >> 8; seg[7] = (uint8_t)seq;
        seg[8] = ack >> 24; seg[9] = ack >> 16; seg[10] = ack >> 8; seg[11] = (uint8_t)ack;
      }
      fz_l4(FZ_STACK_IP, 6, seg, m, 16);
    }
    }
  }
  fz_final_check();
  return 0;
}
