/* The default MCU configuration, in one place: the qemu-xtensa board and the rv32 size build
 * apply it with WT_MCU_CONFIG (one wt_configure per line), firmware/size.mjs reads the
 * "#define WT_MCU_<KEY> value" lines (KEY = the Cfg key in UPPER_SNAKE: MAX_SOCKETS = MaxSockets)
 * to report the module's pools, and the ESP32 Kconfig defaults mirror it.
 *
 * Three listeners (echo, discard, HTTP) hold only connection blocks (listeners never hold
 * buffers); 4 ring pairs give 4 simultaneous TCP connections of 4 KiB send + 4 KiB receive;
 * 4 UDP sockets (DHCP, UDP echo, DNS queries, SNTP or an application) whose 1480-byte
 * queues take one full-size datagram (1472 bytes at MTU 1500, + 8); a 1496-byte I/O region
 * (a 1472-byte datagram + udpRecvFrom6's 24 bytes: the UDP echo service receives and sends
 * through it); one 2 KiB IPv4 reassembly slot; a 3-frame ARP queue. IPv6 on (with the
 * dual-stack module build/stack.mcu6.wasm; the IPv4-only one ignores it): 3 addresses
 * (link-local, a SLAAC one, one more for a second prefix or a static address), 4 neighbors,
 * 2 frames waiting for neighbor resolution, no reassembly slots. The module's pools then
 * fit its first 64 KiB page of linear memory with its static data (a connection block costs
 * ~0.3 KiB, a ring pair SND_BUF + RCV_BUF, an ARP or IPv6 queue slot ~1.5 KiB; npm run size
 * shows the total). Keep one "#define NAME value" per line. */
#ifndef WT_MCU_CONFIG_H
#define WT_MCU_CONFIG_H
#define WT_MCU_MAX_SOCKETS 8
#define WT_MCU_RING_PAIRS 4
#define WT_MCU_SND_BUF 4096
#define WT_MCU_RCV_BUF 4096
#define WT_MCU_IO_BUF 1496
#define WT_MCU_ARP_ENTRIES 4
#define WT_MCU_ARP_QUEUE 3
#define WT_MCU_TIME_WAIT_ENTRIES 8
#define WT_MCU_UDP_SOCKETS 4
#define WT_MCU_UDP_QUEUE_BYTES 1480
#define WT_MCU_MCAST_GROUPS 4
#define WT_MCU_REASM_SLOTS 1
#define WT_MCU_REASM_MAX_BYTES 2048
#define WT_MCU_DNS_CACHE_ENTRIES 2
/* IPv6 reassembly slots (with Ip6Enable on an IPv6 build): none, so the IPv6 module's pools
 * still fit the first page; a board that needs IPv6 fragments sets 1 (ReasmMaxBytes each). */
#define WT_MCU_REASM6_SLOTS 0
#define WT_MCU_IP6_ENABLE 1
#define WT_MCU_IP6_ADDRS 3
#define WT_MCU_IP6_NEIGHBORS 4
#define WT_MCU_IP6_QUEUE 2

/* Every key above as X(WT_CFG_ key, value): a port applies them with
 *   #define WT_APPLY(key, value) wt_configure(key, value);
 *   WT_MCU_CONFIG(WT_APPLY) */
#define WT_MCU_CONFIG(X) \
  X(WT_CFG_MAX_SOCKETS, WT_MCU_MAX_SOCKETS) \
  X(WT_CFG_RING_PAIRS, WT_MCU_RING_PAIRS) \
  X(WT_CFG_SND_BUF, WT_MCU_SND_BUF) \
  X(WT_CFG_RCV_BUF, WT_MCU_RCV_BUF) \
  X(WT_CFG_IO_BUF, WT_MCU_IO_BUF) \
  X(WT_CFG_ARP_ENTRIES, WT_MCU_ARP_ENTRIES) \
  X(WT_CFG_ARP_QUEUE, WT_MCU_ARP_QUEUE) \
  X(WT_CFG_TIME_WAIT_ENTRIES, WT_MCU_TIME_WAIT_ENTRIES) \
  X(WT_CFG_UDP_SOCKETS, WT_MCU_UDP_SOCKETS) \
  X(WT_CFG_UDP_QUEUE_BYTES, WT_MCU_UDP_QUEUE_BYTES) \
  X(WT_CFG_MCAST_GROUPS, WT_MCU_MCAST_GROUPS) \
  X(WT_CFG_REASM_SLOTS, WT_MCU_REASM_SLOTS) \
  X(WT_CFG_REASM_MAX_BYTES, WT_MCU_REASM_MAX_BYTES) \
  X(WT_CFG_DNS_CACHE_ENTRIES, WT_MCU_DNS_CACHE_ENTRIES) \
  X(WT_CFG_REASM6_SLOTS, WT_MCU_REASM6_SLOTS) \
  X(WT_CFG_IP6_ENABLE, WT_MCU_IP6_ENABLE) \
  X(WT_CFG_IP6_ADDRS, WT_MCU_IP6_ADDRS) \
  X(WT_CFG_IP6_NEIGHBORS, WT_MCU_IP6_NEIGHBORS) \
  X(WT_CFG_IP6_QUEUE, WT_MCU_IP6_QUEUE)
#endif
