/* Harness 3 (services): DHCP, DNS and SNTP replies fed to a stack whose client is waiting.
 * The input's first byte picks the client (0 DHCP, waiting for an OFFER; 1 DNS, a query for
 * example.com in flight; 2 SNTP, a request sent); then records [ctl][len hi][len lo][bytes]:
 * the bytes are the UDP payload from the server (DHCP 198.51.100.1:67 -> :68, DNS
 * 198.51.100.5:53, NTP 198.51.100.5:123 -> the client's port). ctl bit 0: patch the
 * transaction (DHCP xid + chaddr, DNS ID, NTP origin timestamp) from the client's last
 * request, so replies get past the first checks; bit 1: DHCP to the broadcast address;
 * ctl >> 2: the clock moves (ctl >> 2)^2 * 16 ms before the record. */
#include "setup.h"
#include <stdio.h>
#include <stdlib.h>

static const uint32_t cfg[] = {
  WT_CFG_MAX_SOCKETS, 2, WT_CFG_SND_BUF, 1024, WT_CFG_RCV_BUF, 1024, WT_CFG_UDP_SOCKETS, 3,
  WT_CFG_DNS_QUERIES, 2, WT_CFG_DNS_CACHE_ENTRIES, 2, WT_CFG_DNS_MAX_ADDRS, 4, WT_CFG_IO_BUF, 2048,
  WT_CFG_REASM_SLOTS, 1, WT_CFG_REASM_MAX_BYTES, 1024, 0xffffffffu };
static int32_t dnsq, dnsq0; /* the query in flight; the one in snapshot 1 */

static void arp_reply(uint32_t ip) {
  uint8_t a[42] = { 2, 0, 0, 0, 0xfe, 2, 2, 0, 0, 0, 0xfe, 5, 8, 6, 0, 1, 8, 0, 6, 4, 0, 2,
                    2, 0, 0, 0, 0xfe, 5, 0, 0, 0, 0, 2, 0, 0, 0, 0xfe, 2, 198, 51, 100, 2 };
  a[28] = ip >> 24; a[29] = ip >> 16; a[30] = ip >> 8; a[31] = (uint8_t)ip;
  fz_frame(a, sizeof a);
}
static void setup(void) {
  fz_boot_addr = 0;
  fz_boot(0, cfg);
  fz_boot_addr = 1;
  if ((int32_t)M(dhcpStart) != 0) fz_fail("setup: dhcpStart");
  fz_advance(10);
  if (!S.udp_sport[0]) fz_fail("setup: no DISCOVER");
  fz_save(0);

  fz_boot(1, cfg);
  M(ifaceSetDns, 0, FZ_DNS_IP);
  static const char name[] = "example.com";
  memcpy(I->w2c_memory.data + fz_io(), name, sizeof name - 1);
  dnsq = (int32_t)M(dnsQuery, fz_io(), sizeof name - 1);
  if (dnsq < 0) fz_fail("setup: dnsQuery");
  dnsq0 = dnsq;
  arp_reply(FZ_DNS_IP);
  fz_advance(10);
  if (!S.udp_sport[1]) fz_fail("setup: no DNS query");
  fz_save(1);

  fz_boot(2, cfg);
  if ((int32_t)M(sntpStart, FZ_DNS_IP, 64) != 0) fz_fail("setup: sntpStart");
  arp_reply(FZ_DNS_IP);
  fz_advance(10);
  if (!S.udp_sport[2]) fz_fail("setup: no SNTP request");
  fz_save(2);
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) {
  static int ready;
  if (!ready) { setup(); ready = 1; }
  if (n < 1) return 0;
  int k = d[0] % 3;
  fz_restore(k);
  dnsq = dnsq0; /* the restored memory holds the setup's query, whatever the last input asked */
  size_t i = 1;
  for (int recs = 0; i + 3 <= n && recs < 32; recs++) {
    uint8_t ctl = d[i];
    uint32_t len = (uint32_t)d[i + 1] << 8 | d[i + 2];
    i += 3;
    if (len > n - i) len = (uint32_t)(n - i);
    uint8_t p[1472];
    if (len > sizeof p) len = sizeof p;
    memcpy(p, d + i, len);
    i += len;
    uint32_t dt = (uint32_t)(ctl >> 2) * (ctl >> 2) * 16;
    if (dt) fz_advance(dt);
    if (k == 0) {
      if ((ctl & 1) && len >= 34) {
        memcpy(p + 4, S.udp_head[0] + 4, 4);
        static const uint8_t mac[6] = { 2, 0, 0, 0, 0xfe, 2 };
        memcpy(p + 28, mac, 6);
      }
      fz_udp_to(FZ_PEER_IP, (ctl & 2) ? 0xffffffffu : FZ_STACK_IP, 67, 68, p, len);
      /* A lease may ARP-probe (RFC 5227) and then announce: let that run. */
      fz_advance(50);
    } else if (k == 1) {
      if ((ctl & 1) && len >= 2) memcpy(p, S.udp_head[1], 2);
      fz_udp(FZ_DNS_IP, 53, (uint16_t)S.udp_sport[1], p, len);
      uint32_t out = fz_io();
      int32_t r = (int32_t)M(dnsResult, dnsq, out, 8);
      if (r > 8) fz_fail("dnsResult returned more addresses than asked");
      if (r != -WT_EAGAIN) {
        /* Finished (the handle is released): ask again, as an application would. */
        static const char name[] = "example.com";
        memcpy(I->w2c_memory.data + out, name, sizeof name - 1);
        dnsq = (int32_t)M(dnsQuery, out, sizeof name - 1);
        fz_advance(5);
      }
    } else {
      if ((ctl & 1) && len >= 32) memcpy(p + 24, S.udp_head[2] + 40, 8);
      fz_udp(FZ_DNS_IP, 123, (uint16_t)S.udp_sport[2], p, len);
      uint32_t out = fz_io();
      M(sntpInfo, out);
    }
  }
  /* Stop the clients; then the common end-of-input checks (an hour of virtual time). */
  if (k == 0) M(dhcpStop, 1);
  if (k == 1 && dnsq >= 0) M(dnsCancel, dnsq);
  if (k == 2) M(sntpStop);
  fz_final_check();
  return 0;
}
