/* Setup steps shared by the harnesses: a listener, a peer's handshake, an active open. */
#ifndef FZ_SETUP_H
#define FZ_SETUP_H
#include "common.h"
#include <string.h>

/* SYN options: MSS 1460, SACK permitted, timestamps, window scale 7. */
static const uint8_t fz_synopt[20] = { 2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 };

static inline int32_t fz_listen(uint16_t port, int backlog) {
  int32_t h = (int32_t)M(tcpOpen);
  if (h < 0 || (int32_t)M(tcpBind, h, port) < 0 || (int32_t)M(tcpListen, h, backlog) < 0)
    fz_fail("setup: listen");
  fz_hold(h);
  return h;
}
static inline uint8_t *fz_ts(uint8_t *o, uint32_t val, uint32_t ecr) {
  o[0] = 1; o[1] = 1; o[2] = 8; o[3] = 10;
  o[4] = val >> 24; o[5] = val >> 16; o[6] = val >> 8; o[7] = val;
  o[8] = ecr >> 24; o[9] = ecr >> 16; o[10] = ecr >> 8; o[11] = ecr;
  return o + 12;
}
/* The peer opens pport -> lport (ISN iss) and completes the handshake; returns the flow. */
static inline int fz_handshake(uint16_t pport, uint16_t lport, uint32_t iss) {
  fz_tcp(pport, lport, iss, 0, 0x02, 65535, fz_synopt, sizeof fz_synopt, 0, 0);
  int f = fz_flow(pport, lport);
  if (f < 0 || !S.flows[f].syn) fz_fail("setup: no SYN-ACK");
  uint8_t o[12];
  fz_ts(o, S.now, 0);
  fz_tcp(pport, lport, iss + 1, S.flows[f].snd_hi, 0x10, 512, o, 12, 0, 0);
  return f;
}
/* The peer's segment on flow f at its next sequence number (seq) acking everything sent. */
static inline void fz_peer_seg(int f, uint32_t seq, uint8_t flags, uint16_t win, const uint8_t *d, uint32_t n) {
  uint8_t o[12];
  fz_ts(o, S.now, 0);
  fz_tcp(S.flows[f].pport, S.flows[f].lport, seq, S.flows[f].snd_hi, flags, win, o, 12, d, n);
}

/* The small configuration both TCP harnesses start from (6 TCBs, 4 KiB rings, short timers). */
#define FUZZ_CFG_SMALL \
  WT_CFG_MAX_SOCKETS, 6, WT_CFG_SND_BUF, 4096, WT_CFG_RCV_BUF, 4096, WT_CFG_TIME_WAIT_ENTRIES, 4, \
  WT_CFG_MSL_MS, 1000, WT_CFG_RTO_MAX_MS, 4000, WT_CFG_DATA_RETRIES, 4, WT_CFG_SYN_RETRIES, 2, \
  WT_CFG_SYN_BACKLOG, 2, WT_CFG_KEEP_IDLE_MS, 10000, WT_CFG_KEEP_INTVL_MS, 1000, WT_CFG_KEEP_COUNT, 3, \
  WT_CFG_ARP_ENTRIES, 4, WT_CFG_ARP_QUEUE, 2, WT_CFG_IO_BUF, 8192, WT_CFG_MSS, 536

#endif
