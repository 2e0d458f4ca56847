/* Native lwIP behind a Linux TAP: the reference for bench/tap.mjs's rows without offloads.
 * NO_SYS, raw API, one thread: poll() on the TAP fd, read() each frame straight into a pool
 * pbuf and hand it to ethernet_input; each outgoing frame is one write() (no offloads, one
 * frame per syscall, as on a board's MAC). Serves the same two things as our stack's rows:
 *   --discard PORT  RFC 863 discard (kernel -> lwIP): read everything, close after the FIN
 *   --http PORT     GET /bytes/N (lwIP -> kernel): Content-Length N, byte i = i mod 251,
 *                   Connection: close (the firmware's and our httpServer's reply)
 * Usage: lwip-tap --tap NAME --ip A.B.C.D/LEN [--mac XX:..] [--discard PORT] [--http PORT]
 * Creates the TAP (or attaches to an existing one), prints "ready" once listening, and on
 * SIGTERM/SIGINT prints its frame counters and exits. Built by build.sh from $LWIP_SRC. */
#define _GNU_SOURCE
#include "lwip/init.h"
#include "lwip/etharp.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "../../firmware/linux/tap_open.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define RX_BATCH 64

static int tap_fd = -1;
static volatile sig_atomic_t stop_flag;
static unsigned long rx_frames, tx_frames, tx_dropped, rx_dropped;

u32_t sys_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (u32_t)((u64_t)ts.tv_sec * 1000u + (u64_t)ts.tv_nsec / 1000000u);
}

/* ---- the netif: one write() per frame ---- */

static err_t tap_linkoutput(struct netif *netif, struct pbuf *p) {
  static u8_t flat[1600];
  (void)netif;
  const void *data = p->payload;
  if (p->next) {  /* not expected with LWIP_NETIF_TX_SINGLE_PBUF, but correct either way */
    if (p->tot_len > sizeof flat) { tx_dropped++; return ERR_IF; }
    pbuf_copy_partial(p, flat, p->tot_len, 0);
    data = flat;
  }
  for (;;) {
    ssize_t n = write(tap_fd, data, p->tot_len);
    if (n == (ssize_t)p->tot_len) { tx_frames++; return ERR_OK; }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      struct pollfd w = { tap_fd, POLLOUT, 0 };
      if (poll(&w, 1, 10) > 0) continue;
    }
    tx_dropped++;
    return ERR_IF;
  }
}

static u8_t mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x03 };

static err_t tap_netif_init(struct netif *netif) {
  netif->name[0] = 't';
  netif->name[1] = 'p';
  netif->output = etharp_output;
  netif->linkoutput = tap_linkoutput;
  netif->mtu = 1500;
  netif->hwaddr_len = 6;
  memcpy(netif->hwaddr, mac, 6);
  netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP;
  return ERR_OK;
}

/* ---- discard (RFC 863) ---- */

static err_t discard_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  (void)arg; (void)err;
  if (!p) { tcp_close(pcb); return ERR_OK; }
  tcp_recved(pcb, p->tot_len);
  pbuf_free(p);
  return ERR_OK;
}

static err_t discard_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || !pcb) return ERR_VAL;
  tcp_recv(pcb, discard_recv);
  return ERR_OK;
}

/* ---- GET /bytes/N ---- */

#define PATTERN 251
static u8_t pattern[65535 + PATTERN];  /* byte i = i mod 251, so any offset starts a run */

struct http_conn {
  char req[512];
  u16_t req_len;
  int replying;
  u32_t head_len, head_sent;
  char head[128];
  u64_t body_len, body_sent;  /* body bytes handed to tcp_write */
};

static void http_free(struct tcp_pcb *pcb, struct http_conn *c) {
  if (pcb) { tcp_arg(pcb, 0); tcp_recv(pcb, 0); tcp_sent(pcb, 0); tcp_err(pcb, 0); }
  free(c);
}

/* Queue as much of the reply as the send buffer takes; close after the last byte. */
static void http_fill(struct tcp_pcb *pcb, struct http_conn *c) {
  while (c->head_sent < c->head_len) {
    u32_t n = c->head_len - c->head_sent;
    if (n > tcp_sndbuf(pcb)) return;
    if (tcp_write(pcb, c->head + c->head_sent, (u16_t)n, TCP_WRITE_FLAG_COPY) != ERR_OK) return;
    c->head_sent += n;
  }
  while (c->body_sent < c->body_len) {
    u64_t left = c->body_len - c->body_sent;
    u32_t room = tcp_sndbuf(pcb);
    u32_t n = left < 65535 ? (u32_t)left : 65535;
    if (n > room) n = room;
    if (n == 0 || tcp_sndqueuelen(pcb) >= TCP_SND_QUEUELEN - 4) break;
    u8_t flags = TCP_WRITE_FLAG_COPY | (n < left ? TCP_WRITE_FLAG_MORE : 0);
    if (tcp_write(pcb, pattern + c->body_sent % PATTERN, (u16_t)n, flags) != ERR_OK) break;
    c->body_sent += n;
  }
  tcp_output(pcb);
  if (c->body_sent == c->body_len) {
    http_free(pcb, c);
    if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
  }
}

static err_t http_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  (void)len;
  if (arg) http_fill(pcb, arg);
  return ERR_OK;
}

static void http_err(void *arg, err_t err) {
  (void)err;
  free(arg);  /* the pcb is already gone */
}

static void http_reply(struct tcp_pcb *pcb, struct http_conn *c) {
  unsigned long long n = 0;
  const char *status = "200 OK";
  if (sscanf(c->req, "GET /bytes/%llu ", &n) != 1) { status = "404 Not Found"; n = 0; }
  c->replying = 1;
  c->body_len = n;
  c->head_len = (u32_t)snprintf(c->head, sizeof c->head,
    "HTTP/1.1 %s\r\nContent-Length: %llu\r\nConnection: close\r\n\r\n", status, n);
  http_fill(pcb, c);
}

static err_t http_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  struct http_conn *c = arg;
  (void)err;
  if (!p) {  /* the client closed first */
    http_free(pcb, c);
    if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb);
    return ERR_OK;
  }
  tcp_recved(pcb, p->tot_len);
  if (!c->replying) {
    u16_t room = (u16_t)(sizeof c->req - 1 - c->req_len);
    u16_t n = p->tot_len < room ? p->tot_len : room;
    pbuf_copy_partial(p, c->req + c->req_len, n, 0);
    c->req_len += n;
    c->req[c->req_len] = 0;
    if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n") || c->req_len == sizeof c->req - 1) {
      pbuf_free(p);
      http_reply(pcb, c);
      return ERR_OK;
    }
  }
  pbuf_free(p);
  return ERR_OK;
}

static err_t http_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  (void)arg;
  if (err != ERR_OK || !pcb) return ERR_VAL;
  struct http_conn *c = calloc(1, sizeof *c);
  if (!c) return ERR_MEM;
  tcp_arg(pcb, c);
  tcp_recv(pcb, http_recv);
  tcp_sent(pcb, http_sent);
  tcp_err(pcb, http_err);
  tcp_nagle_disable(pcb);
  return ERR_OK;
}

static int listen_on(u16_t port, tcp_accept_fn fn) {
  struct tcp_pcb *pcb = tcp_new();
  if (!pcb || tcp_bind(pcb, IP_ADDR_ANY, port) != ERR_OK) return -1;
  pcb = tcp_listen(pcb);
  if (!pcb) return -1;
  tcp_accept(pcb, fn);
  return 0;
}

/* ---- setup and the loop ---- */


static void on_signal(int sig) { (void)sig; stop_flag = 1; }

static int parse_port(const char *s, u16_t *out) {
  char *end;
  long v = strtol(s, &end, 10);
  if (end == s || *end || v < 1 || v > 65535) return -1;
  *out = (u16_t)v;
  return 0;
}

int main(int argc, char **argv) {
  const char *tap = 0, *ip = 0;
  u16_t discard = 0, http = 0;
  unsigned prefix = 24;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *a = argv[i], *v = argv[i + 1];
    int bad = 0;
    if (!strcmp(a, "--tap")) tap = v;
    else if (!strcmp(a, "--ip")) ip = v;
    else if (!strcmp(a, "--discard")) bad = parse_port(v, &discard);
    else if (!strcmp(a, "--http")) bad = parse_port(v, &http);
    else if (!strcmp(a, "--mac")) bad = sscanf(v, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) != 6;
    else bad = 1;
    if (bad) { fprintf(stderr, "bad option %s %s\n", a, v); return 2; }
  }
  char addr[32] = "";
  if (ip) {
    const char *slash = strchr(ip, '/');
    size_t n = slash ? (size_t)(slash - ip) : strlen(ip);
    if (n < sizeof addr) { memcpy(addr, ip, n); addr[n] = 0; }
    if (slash) prefix = (unsigned)atoi(slash + 1);
  }
  ip4_addr_t a, mask, gw;
  if (!tap || !ip4addr_aton(addr, &a) || prefix < 1 || prefix > 30) {
    fprintf(stderr, "usage: lwip-tap --tap NAME --ip A.B.C.D/LEN [--mac XX:XX:XX:XX:XX:XX] [--discard PORT] [--http PORT]\n");
    return 2;
  }
  ip4_addr_set_u32(&mask, lwip_htonl(0xffffffffu << (32 - prefix)));
  ip4_addr_set_zero(&gw);
  for (size_t i = 0; i < sizeof pattern; i++) pattern[i] = (u8_t)(i % PATTERN);

  tap_fd = tap_open(tap);
  if (tap_fd < 0) return 1;
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  lwip_init();
  static struct netif netif;
  if (!netif_add(&netif, &a, &mask, &gw, NULL, tap_netif_init, ethernet_input)) { fprintf(stderr, "netif_add failed\n"); return 1; }
  netif_set_default(&netif);
  netif_set_up(&netif);
  if ((discard && listen_on(discard, discard_accept)) || (http && listen_on(http, http_accept))) {
    fprintf(stderr, "listen failed\n");
    return 1;
  }
  printf("lwip-tap: lwIP %s, tap %s, ip %s/%u, window %u, MSS %u\nready\n", LWIP_VERSION_STRING, tap, addr, prefix,
         (unsigned)TCP_WND, (unsigned)TCP_MSS);
  fflush(stdout);

  while (!stop_flag) {
    u32_t sleep = sys_timeouts_sleeptime();
    struct pollfd p = { tap_fd, POLLIN, 0 };
    poll(&p, 1, sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? -1 : (int)sleep);
    for (int k = 0; k < RX_BATCH; k++) {
      struct pbuf *q = pbuf_alloc(PBUF_RAW, PBUF_POOL_BUFSIZE, PBUF_POOL);
      if (!q) { rx_dropped++; break; }
      ssize_t n = read(tap_fd, q->payload, q->len);
      if (n <= 0) { pbuf_free(q); break; }
      rx_frames++;
      pbuf_realloc(q, (u16_t)n);
      if (netif.input(q, &netif) != ERR_OK) { pbuf_free(q); rx_dropped++; }
    }
    sys_check_timeouts();
  }
  printf("stopping; counters:\n  rx_frames %lu\n  tx_frames %lu\n  rx_dropped %lu\n  tx_dropped %lu\n",
         rx_frames, tx_frames, rx_dropped, tx_dropped);
  return 0;
}
