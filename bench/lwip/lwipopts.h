/* lwIP options for the native reference of bench/tap.mjs: NO_SYS, raw API, IPv4 + ARP + ICMP + TCP
 * over Ethernet, software checksums both ways (a board's MAC has no offload), 256 KiB windows with
 * window scaling (the same buffers `wasm-tcpip up` uses by default). */
#ifndef BENCH_LWIPOPTS_H
#define BENCH_LWIPOPTS_H

#define NO_SYS                    1
#define SYS_LIGHTWEIGHT_PROT      0
#define LWIP_NETCONN              0
#define LWIP_SOCKET               0
#define LWIP_IPV4                 1
#define LWIP_IPV6                 0
#define LWIP_ARP                  1
#define LWIP_ETHERNET             1
#define LWIP_ICMP                 1
#define LWIP_UDP                  0
#define LWIP_TCP                  1
#define LWIP_DHCP                 0
#define LWIP_DNS                  0
#define LWIP_IGMP                 0
#define LWIP_RAW                  0
#define LWIP_STATS                0
#define LWIP_CHKSUM_ALGORITHM     3   /* the fastest of lwIP's own (32-bit words): a strong reference */
#define LWIP_NETIF_TX_SINGLE_PBUF 1   /* each TCP segment goes out as one contiguous pbuf */

#define MEM_ALIGNMENT             8
#define MEM_SIZE                  (4 * 1024 * 1024)
#define MEMP_NUM_PBUF             64
#define MEMP_NUM_TCP_PCB          8
#define MEMP_NUM_TCP_PCB_LISTEN   4
#define PBUF_POOL_SIZE            512
#define PBUF_POOL_BUFSIZE         1536  /* a whole 1514-byte frame in one pbuf: read() straight into it */

#define TCP_MSS                   1460
#define LWIP_WND_SCALE            1
#define TCP_RCV_SCALE             3
#define TCP_WND                   (256 * 1024)
#define TCP_SND_BUF               (256 * 1024)
#define TCP_SND_QUEUELEN          (4 * TCP_SND_BUF / TCP_MSS)
#define MEMP_NUM_TCP_SEG          TCP_SND_QUEUELEN
#define TCP_SNDLOWAT              (32 * 1024)  /* lwIP requires it below 64 KiB - 4 MSS */
#define TCP_QUEUE_OOSEQ           1
#endif
