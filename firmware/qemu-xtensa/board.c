/* wasm-tcpip on QEMU's xtfpga board with an lx106 core (-M lx60 -cpu lx106): the
 * portable core, the stack translated by wasm2c, a driver for the board's OpenCores
 * 10/100 Ethernet MAC (the MAC ESP-IDF drives under QEMU), a millisecond clock from
 * the core's cycle counter and a 16550 UART console. Bare metal and polled, but idle
 * waits sleep in WAITI until the MAC's receive interrupt (external interrupt 1 = core
 * interrupt 1), the CCOMPARE0 timer (interrupt 6) at the module's next deadline, or a
 * console key (UART, interrupt 0); start.S's handler only masks them again.
 *
 * Boot parameters (QEMU -append): ip=A.B.C.D/LEN gw=A.B.C.D mac=XX:..:XX seed=HEX; without
 * ip= the board takes its address by DHCP (the lease is logged: "bound A.B.C.D/LEN ...").
 * IPv6 is on with the dual-stack module (the default build; ip6=0 turns it off): the
 * link-local and SLAAC addresses are logged as they change state ("ip6 preferred ...").
 * Console: prints "ready" once listening (echo 7 on TCP and UDP, discard 9, HTTP 80; with
 * DHCP once bound); 's' on the UART prints the counters, 'q' stops (DHCPRELEASE when a
 * lease is held, the counters, then the board resets: QEMU -no-reboot exits). */
#include "wt_core.h"
#include "wt_dhcp.h"
#include "wt_ip6.h"
#include "wt_mcu_config.h"
#include "wt_port.h"
#include "wt_services.h"

#include <stdint.h>
#include <string.h>

#define REG32(a) (*(volatile uint32_t *)(a))

/* ---- board: xtfpga I/O region at 0xf0000000 (MMU-style map used with lx106) ---- */
#define FPGA_CLOCK_HZ   0xfd020004u
#define FPGA_RESET      0xfd020010u   /* write 0xdead: reset (QEMU -no-reboot: exit) */
#define UART_BASE       0xfd050020u   /* 16550, registers 4 bytes apart */
#define UART_RBR        (UART_BASE + 0x00)
#define UART_THR        (UART_BASE + 0x00)
#define UART_IER        (UART_BASE + 0x04)
#define UART_LSR        (UART_BASE + 0x14)
#define IER_ERBFI       0x01u        /* interrupt when received data is available */
#define LSR_DR          0x01u
#define LSR_THRE        0x20u

/* ---- OpenCores ethmac ---- */
#define ETH_BASE        0xfd030000u
#define ETH_MODER       (ETH_BASE + 0x00)
#define ETH_INT_SOURCE  (ETH_BASE + 0x04)
#define ETH_INT_MASK    (ETH_BASE + 0x08)
#define ETH_PACKETLEN   (ETH_BASE + 0x18)
#define ETH_TX_BD_NUM   (ETH_BASE + 0x20)
#define ETH_MAC_ADDR0   (ETH_BASE + 0x40)
#define ETH_MAC_ADDR1   (ETH_BASE + 0x44)
#define ETH_HASH0       (ETH_BASE + 0x48)   /* multicast hash filter: bit (CRC32(dst) >> 26) */
#define ETH_HASH1       (ETH_BASE + 0x4c)
#define ETH_BD(i)       (ETH_BASE + 0x400 + 8u * (i))   /* word 0: len|flags, word 1: buffer */

#define MODER_RXEN 0x0001u
#define MODER_TXEN 0x0002u
#define MODER_FULLD 0x0400u
#define MODER_RST  0x0800u
#define MODER_CRCEN 0x2000u
#define BD_READY   0x8000u   /* TX: ready to send; RX: empty (owned by the MAC) */
#define BD_WRAP    0x2000u
#define RXD_IRQ    0x4000u   /* RX: raise INT_SOURCE.RXB when this descriptor is filled */
#define TXD_PAD    0x1000u
#define TXD_CRC    0x0800u
#define RXD_ERRORS 0x007fu   /* overrun, invalid symbol, dribble, too long, short, CRC, late collision */
#define INT_RXB    0x0004u   /* INT_SOURCE / INT_MASK: a frame was received */
#define INT_RXE    0x0008u   /* ... received with an error */
#define INT_BUSY   0x0010u   /* ... dropped: no empty receive descriptor */

/* Core interrupts on the xtfpga board with the lx106 configuration (QEMU core-lx106):
 * external interrupts 0 (UART) and 1 (ethmac) are core interrupts 0 and 1; CCOMPARE0 is 6.
 * All are level 1. */
#define IRQ_UART   (1u << 0)
#define IRQ_ETH    (1u << 1)
#define IRQ_TIMER  (1u << 6)

#ifndef ETH_TX_BDS
#define ETH_TX_BDS 2
#endif
#ifndef ETH_RX_BDS
#define ETH_RX_BDS 8
#endif
#define ETH_BUF 1536

static uint8_t tx_buf[ETH_TX_BDS][ETH_BUF] __attribute__((aligned(16)));
static uint8_t rx_buf[ETH_RX_BDS][ETH_BUF] __attribute__((aligned(16)));
static unsigned tx_i, rx_i;
static uint32_t rx_errors, tx_busy;
static uint32_t sleeps, wakeups_rx, wakeups_timer;  /* wt_port_wait */

static void eth_init(const uint8_t mac[6]) {
  REG32(ETH_MODER) = MODER_RST;
  REG32(ETH_MODER) = 0;
  REG32(ETH_INT_MASK) = 0;
  REG32(ETH_INT_SOURCE) = 0x7f;
  REG32(ETH_TX_BD_NUM) = ETH_TX_BDS;
  REG32(ETH_PACKETLEN) = 64u << 16 | ETH_BUF;
  for (unsigned i = 0; i < ETH_TX_BDS; i++) {
    REG32(ETH_BD(i) + 4) = (uint32_t)tx_buf[i];
    REG32(ETH_BD(i)) = i == ETH_TX_BDS - 1 ? BD_WRAP : 0;
  }
  for (unsigned i = 0; i < ETH_RX_BDS; i++) {
    REG32(ETH_BD(ETH_TX_BDS + i) + 4) = (uint32_t)rx_buf[i];
    REG32(ETH_BD(ETH_TX_BDS + i)) = BD_READY | RXD_IRQ | (i == ETH_RX_BDS - 1 ? BD_WRAP : 0);
  }
  REG32(ETH_MAC_ADDR0) = (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5];
  REG32(ETH_MAC_ADDR1) = (uint32_t)mac[0] << 8 | mac[1];
  /* Every multicast frame passes the MAC (all 64 hash bits) until the core's McastFilter events
   * say which groups it holds (hash_program). */
  REG32(ETH_HASH0) = 0xffffffffu;
  REG32(ETH_HASH1) = 0xffffffffu;
  tx_i = rx_i = 0;
  REG32(ETH_MODER) = MODER_RXEN | MODER_TXEN | MODER_FULLD | MODER_CRCEN;
}

/* The MAC's multicast hash filter, programmed from the core's McastFilter events: a frame to a
 * group MAC passes when bit CRC32(MAC) >> 26 of HASH1:HASH0 is set (the Ethernet CRC, register
 * shifted left, data bits least significant first, no final inversion; as QEMU's opencores_eth).
 * hash_refs counts the filter references whose MAC has each bit, so a bit clears only when no
 * joined group needs it. Until the first event (an IPv4-only module raises none) every multicast
 * frame passes; after lost events (queue overflow) too, for good: the core still filters in
 * software. With no bit set the MAC would drop the kernel's neighbor solicitations to our
 * solicited-node groups. */
static uint8_t hash_refs[64];
static int hash_mode;   /* 0 all multicast (no event yet), 1 from the events, -1 events lost */

static unsigned eth_hash(const uint8_t m[6]) {
  uint32_t crc = 0xffffffffu;
  for (int i = 0; i < 6; i++)
    for (int b = 0; b < 8; b++) {
      uint32_t in = ((crc >> 31) ^ ((uint32_t)m[i] >> b)) & 1u;
      crc <<= 1;
      if (in) crc ^= 0x04c11db7u;
    }
  return crc >> 26;
}

static void hash_program(void) {
  uint32_t h[2] = { 0xffffffffu, 0xffffffffu };
  if (hash_mode == 1) {
    h[0] = h[1] = 0;
    for (unsigned i = 0; i < 64; i++) if (hash_refs[i]) h[i / 32] |= 1u << (i % 32);
  }
  REG32(ETH_HASH0) = h[0];
  REG32(ETH_HASH1) = h[1];
}

/* McastFilter: sock = -1 - (MAC octets 0-1 | 0x10000 when the reference was dropped), arg = octets
 * 2-5 (docs/abi.md); kind 0: events were lost. */
static void on_mcast(int32_t sock, int32_t kind, int32_t arg) {
  if (hash_mode < 0) return;
  uint32_t u = (uint32_t)(-1 - sock), a = (uint32_t)arg;
  if (kind != WT_EV_MCAST_FILTER || sock >= 0) {
    hash_mode = -1;
    hash_program();
    wt_logf("multicast hash filter: events lost, every multicast frame passes\n");
    return;
  }
  const uint8_t m[6] = { (uint8_t)(u >> 8), (uint8_t)u, (uint8_t)(a >> 24), (uint8_t)(a >> 16), (uint8_t)(a >> 8), (uint8_t)a };
  unsigned i = eth_hash(m);
  if (u & 0x10000u) { if (hash_refs[i]) hash_refs[i]--; }
  else if (hash_refs[i] == 255) hash_mode = -1;  /* (never with McastGroups <= 256) */
  else hash_refs[i]++;
  if (hash_mode == 0) { hash_mode = 1; wt_logf("multicast hash filter: from the core's McastFilter events\n"); }
  hash_program();
}

int wt_mac_send(const uint8_t *frame, uint32_t len) {
  uint32_t bd = ETH_BD(tx_i);
  if (len > ETH_BUF - 4) return -1;
  for (uint32_t spins = 0; REG32(bd) & BD_READY; spins++)
    if (spins > 1000000u) { tx_busy++; return -1; }
  memcpy(tx_buf[tx_i], frame, len);
  REG32(bd) = len << 16 | TXD_PAD | TXD_CRC | (tx_i == ETH_TX_BDS - 1 ? BD_WRAP : 0) | BD_READY;
  tx_i = (tx_i + 1) % ETH_TX_BDS;
  return 0;
}

int wt_mac_recv(uint8_t *buf, uint32_t cap) {
  for (;;) {
    uint32_t bd = ETH_BD(ETH_TX_BDS + rx_i);
    uint32_t flags = REG32(bd);
    if (flags & BD_READY) return 0;
    uint32_t len = flags >> 16;
    len = len >= 4 ? len - 4 : 0;   /* the MAC appends the FCS */
    int ok = !(flags & RXD_ERRORS) && len > 0 && len <= cap;
    if (ok) memcpy(buf, rx_buf[rx_i], len); else rx_errors++;
    REG32(bd) = BD_READY | RXD_IRQ | (rx_i == ETH_RX_BDS - 1 ? BD_WRAP : 0);
    rx_i = (rx_i + 1) % ETH_RX_BDS;
    if (ok) return (int)len;
  }
}

/* ---- clock: CCOUNT at the frequency the FPGA register reports ---- */
static uint32_t cc_per_ms, last_cc, now_ms, cc_rem;

static inline uint32_t ccount(void) {
  uint32_t v;
  __asm__ volatile("rsr %0, ccount" : "=a"(v));
  return v;
}

uint32_t wt_port_now_ms(void) {
  uint32_t cc = ccount(), d = cc - last_cc;
  last_cc = cc;
  now_ms += d / cc_per_ms;
  cc_rem += d % cc_per_ms;
  if (cc_rem >= cc_per_ms) { cc_rem -= cc_per_ms; now_ms++; }
  return now_ms;
}

/* ---- console ---- */
void wt_port_puts(const char *s) {
  for (; *s; s++) {
    if (*s == '\n') { while (!(REG32(UART_LSR) & LSR_THRE)) {} REG32(UART_THR) = '\r'; }
    while (!(REG32(UART_LSR) & LSR_THRE)) {}
    REG32(UART_THR) = (uint8_t)*s;
  }
}

static volatile int stop_flag;   /* 'q' on the console */

static void print_stats(void) {
  wt_print_stats();
  wt_services_print_stats();
  wt_logf("  eth_rx_errors %u\n  eth_tx_busy %u\n  sleeps %u\n  wakeups_rx %u\n  wakeups_timer %u\n",
          rx_errors, tx_busy, sleeps, wakeups_rx, wakeups_timer);
}

static void console_poll(void) {
  if (!(REG32(UART_LSR) & LSR_DR)) return;
  uint32_t key = REG32(UART_RBR) & 0xff;
  if (key == 's') print_stats();
  if (key == 'q') stop_flag = 1;
}

static inline int rx_pending(void) { return !(REG32(ETH_BD(ETH_TX_BDS + rx_i)) & BD_READY); }

/* Sleep until a frame arrives, the deadline passes or a console key comes. The sources
 * are armed before the last look at the receive ring, so a frame that lands in between
 * leaves its (level) interrupt pending and WAITI returns at once: no lost wakeup. The
 * handler in start.S clears INTENABLE; the sources are disarmed here afterwards. */
void wt_port_wait(int32_t ms) {
  uint32_t cap = 0x40000000u / cc_per_ms;  /* keep deadline - now far below 2^31 cycles */
  uint32_t limit = ms < 0 || (uint32_t)ms > cap ? cap : (uint32_t)ms;
  if (limit == 0) return;
  uint32_t deadline = ccount() + limit * cc_per_ms;
  __asm__ volatile("wsr %0, ccompare0" :: "a"(deadline));  /* also clears a pending timer interrupt */
  REG32(ETH_INT_SOURCE) = INT_RXB | INT_RXE | INT_BUSY;      /* write 1 to clear */
  REG32(ETH_INT_MASK) = INT_RXB | INT_RXE | INT_BUSY;
  REG32(UART_IER) = IER_ERBFI;
  __asm__ volatile("wsr %0, intenable; rsync" :: "a"(IRQ_UART | IRQ_ETH | IRQ_TIMER));
  if (!rx_pending() && !(REG32(UART_LSR) & LSR_DR) && (int32_t)(deadline - ccount()) > 0) {
    sleeps++;
    __asm__ volatile("waiti 0" ::: "memory");  /* PS.INTLEVEL 0 until an interrupt is taken */
  }
  uint32_t ps;
  __asm__ volatile("rsil %0, 15" : "=a"(ps) :: "memory");     /* back to no interrupts */
  (void)ps;
  __asm__ volatile("wsr %0, intenable; rsync" :: "a"(0));
  REG32(ETH_INT_MASK) = 0;
  REG32(UART_IER) = 0;
  if (rx_pending()) wakeups_rx++;
  else if ((int32_t)(deadline - ccount()) <= 0) wakeups_timer++;
  console_poll();
}

/* ---- entropy: the boot seed (run.sh passes 128 random bits) stirred with CCOUNT ---- */
static uint32_t seed[4];

static uint32_t mix32(uint32_t x) {  /* a 32-bit integer finaliser (xorshift-multiply) */
  x ^= x >> 16; x *= 0x7feb352du;
  x ^= x >> 15; x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

void wt_port_entropy(uint8_t *buf, uint32_t len) {
  for (uint32_t i = 0; i < len; i++) {
    if ((i & 3) == 0) {
      seed[0] = mix32(seed[0] ^ ccount()) + seed[1];
      seed[1] = mix32(seed[1] + 0x9e3779b9u) ^ seed[2];
      seed[2] = mix32(seed[2] ^ seed[3]);
      seed[3] += seed[0] | 1;
    }
    buf[i] = (uint8_t)(seed[0] >> (8 * (i & 3)));
  }
}

void wt_port_fatal(const char *why) {
  wt_port_puts("fatal: ");
  wt_port_puts(why);
  wt_port_puts("\n");
  REG32(FPGA_RESET) = 0xdead;
  for (;;) {}
}

void board_exception(uint32_t cause, uint32_t pc, uint32_t vaddr) {
  wt_logf("exception: cause %u at pc 0x%x (address 0x%x)\n", cause, pc, vaddr);
  wt_port_fatal("cpu exception");
}

/* picolibc's abort() raises a signal. */
int getpid(void) { return 1; }
int kill(int pid, int sig) { (void)pid; (void)sig; wt_port_fatal("abort"); return -1; }
void _exit(int code) { (void)code; wt_port_fatal("exit"); for (;;) {} }

/* ---- boot parameters: QEMU's xtensa tag list, command line tag 0x1001 ---- */
#define BP_TAG_COMMAND_LINE 0x1001
#define BP_TAG_FIRST 0x7b0b
#define BP_TAG_LAST 0x7e0b

static const char *find_cmdline(const uint8_t *tags) {
  if (!tags || ((uintptr_t)tags & 3) || *(const uint16_t *)tags != BP_TAG_FIRST) return "";
  for (int n = 0; n < 16; n++) {
    uint16_t tag = *(const uint16_t *)tags, size = *(const uint16_t *)(tags + 2);
    if (tag == BP_TAG_LAST) break;
    if (tag == BP_TAG_COMMAND_LINE) return (const char *)(tags + 4);
    tags += 4 + ((size + 3u) & ~3u);
  }
  return "";
}

/* Value of key=... in the command line, copied into out; 0 if absent. */
static int param(const char *cmd, const char *key, char *out, unsigned cap) {
  unsigned klen = (unsigned)strlen(key);
  for (const char *p = cmd; *p;) {
    while (*p == ' ') p++;
    if (!strncmp(p, key, klen) && p[klen] == '=') {
      p += klen + 1;
      unsigned n = 0;
      while (*p && *p != ' ' && n + 1 < cap) out[n++] = *p++;
      out[n] = 0;
      return 1;
    }
    while (*p && *p != ' ') p++;
  }
  return 0;
}

static int hexval(char c) {
  return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static int ready;

/* Listen on the service ports, then "ready" (at boot with ip=, at the first lease with DHCP). */
static void board_ready(void) {
  if (wt_has(WT_FN_TCP_OPEN)) {
    int r = wt_services_start(7, 9, 80);
    if (r != 0) { wt_logf("services: %d\n", r); wt_port_fatal("services"); }
  } else {
    wt_logf("this module has no TCP exports: ICMP only\n");
  }
  ready = 1;
  wt_logf("ready\n");
}

static void on_dhcp(wt_dhcp_event ev, const wt_dhcp_lease *lease) {
  wt_dhcp_log(ev, lease, 1);
  if (ev == WT_DHCP_EV_BOUND && !ready) board_ready();
}

void board_main(const uint8_t *tags) {
  extern uint8_t __bss_start[], __bss_end[];
  memset(__bss_start, 0, (size_t)(__bss_end - __bss_start));

  uint32_t hz = REG32(FPGA_CLOCK_HZ);
  cc_per_ms = hz >= 1000 ? hz / 1000 : 10000;
  last_cc = ccount();

  const char *cmd = find_cmdline(tags);
  char v[48];
  uint32_t ip = 0, prefix = 24, gw = 0;
  uint8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
  int dhcp = !param(cmd, "ip", v, sizeof v);
  if (!dhcp && wt_parse_ipv4(v, &ip, &prefix)) { wt_logf("bad ip=%s: using DHCP\n", v); dhcp = 1; ip = 0; }
  if (param(cmd, "gw", v, sizeof v) && wt_parse_ipv4(v, &gw, 0)) wt_logf("bad gw=%s\n", v);
  if (param(cmd, "mac", v, sizeof v) && strlen(v) == 17)
    for (int i = 0; i < 6; i++) mac[i] = (uint8_t)(hexval(v[3 * i]) << 4 | hexval(v[3 * i + 1]));
  if (param(cmd, "seed", v, sizeof v))
    for (int i = 0; v[i] && i < 32; i++) seed[i / 8] = seed[i / 8] << 4 | (uint32_t)(hexval(v[i]) & 15);

  wt_logf("wasm-tcpip qemu-xtensa (lx106, %u Hz)\n", hz);
  eth_init(mac);

  if (wt_core_start(&wt_engine_aot, 0, 0) != 0) wt_port_fatal("engine start");
  wt_set_iface_handler(WT_EV_MCAST_FILTER, on_mcast);  /* before init: it joins ff02::1 */
  const struct { int key; uint32_t value; } cfg[] = {
    { WT_CFG_MAC_HI, (uint32_t)mac[0] << 8 | mac[1] },
    { WT_CFG_MAC_LO, (uint32_t)mac[2] << 24 | (uint32_t)mac[3] << 16 | (uint32_t)mac[4] << 8 | mac[5] },
    { WT_CFG_IPV4_ADDR, ip }, { WT_CFG_PREFIX_LEN, prefix }, { WT_CFG_GATEWAY, gw },
#define WT_CFG_ENTRY(key, value) { key, value },
    WT_MCU_CONFIG(WT_CFG_ENTRY) /* the default MCU configuration (core/wt_mcu_config.h) */
#undef WT_CFG_ENTRY
  };
  for (unsigned i = 0; i < sizeof cfg / sizeof cfg[0]; i++)
    if (wt_configure(cfg[i].key, cfg[i].value) != 0) wt_logf("configure(%d) refused\n", cfg[i].key);
  int ip6 = !(param(cmd, "ip6", v, sizeof v) && !strcmp(v, "0"));
  if (!ip6) wt_configure(WT_CFG_IP6_ENABLE, 0);
  int r = wt_init();
  if (r != 0) { wt_logf("init() = %d\n", r); wt_port_fatal("init"); }
  uint32_t mem = 0;
  wt_engine_used()->memory(&mem);
  if (ip6 && wt_ip6_start(0) != 0) wt_logf("ip6: not in this module (IPv4 only)\n");
  if (dhcp) {
    wt_logf("ip by dhcp, pools %d bytes, linear memory %u bytes\n", wt_call(WT_FN_POOL_BYTES, 0, 0, 0), mem);
    r = wt_dhcp_start(on_dhcp);
    if (r != 0) { wt_logf("dhcpStart() = %d\n", r); wt_port_fatal("dhcp"); }
  } else {
    wt_logf("ip %u.%u.%u.%u/%u, pools %d bytes, linear memory %u bytes\n",
            ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255, prefix,
            wt_call(WT_FN_POOL_BYTES, 0, 0, 0), mem);
    board_ready();
  }
  wt_run(&stop_flag);

  /* 'q': a clean stop. The DHCPRELEASE leaves through the MAC before the reset. */
  if (dhcp && (r = wt_dhcp_stop(1)) != 0) wt_logf("dhcpStop(1) = %d\n", r);
  for (uint32_t spins = 0; spins < 1000000u; spins++) {
    int busy = 0;
    for (unsigned i = 0; i < ETH_TX_BDS; i++) busy |= (int)(REG32(ETH_BD(i)) & BD_READY);
    if (!busy) break;
  }
  wt_logf("stopping; counters:\n");
  print_stats();
  wt_logf("stopped\n");
  REG32(FPGA_RESET) = 0xdead;
  for (;;) {}
}
