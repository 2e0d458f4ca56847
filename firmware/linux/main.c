/* wasm-tcpip on Linux: the portable core over a TAP device, with the module either
 * translated ahead of time (wasm2c) or interpreted from the .wasm file (libwabt).
 *
 *   wasm-tcpip-linux --tap NAME (--ip A.B.C.D/LEN [--gw ADDR] | --dhcp) [--engine aot|interp]
 *                    [--echo PORT] [--discard PORT] [--http PORT] [--no-ip6] [options]
 *
 * IPv6 is on with the dual-stack module (the default build): the link-local address and the
 * SLAAC ones from router advertisements are logged as they change state ("ip6 preferred
 * fe80::.../64 (link-local)"); --no-ip6 runs IPv4 only.
 *
 * Prints "ready" once listening (with --dhcp: once the first lease is bound, after its
 * "bound ..." line); SIGTERM/SIGINT stop it (with --dhcp: DHCPRELEASE first; counters
 * printed), SIGUSR1 prints the counters. */
#define _GNU_SOURCE
#include "wt_core.h"
#include "wt_dhcp.h"
#include "wt_ip6.h"
#include "wt_port.h"
#include "wt_services.h"

#include "tap_open.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

static int tap_fd = -1;
static volatile int stop_flag;
static volatile sig_atomic_t stats_flag;
static unsigned long tx_dropped;

/* ---- the port ---- */

int wt_mac_send(const uint8_t *frame, uint32_t len) {
  for (;;) {
    ssize_t n = write(tap_fd, frame, len);
    if (n == (ssize_t)len) return 0;
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {  /* kernel queue full: wait for room briefly */
      struct pollfd p = { tap_fd, POLLOUT, 0 };
      if (poll(&p, 1, 10) > 0) continue;
    }
    tx_dropped++;
    return -1;
  }
}

int wt_mac_recv(uint8_t *buf, uint32_t cap) {
  for (;;) {
    ssize_t n = read(tap_fd, buf, cap);
    if (n >= 0) return (int)n;
    if (errno == EINTR) continue;
    return 0;  /* EAGAIN: nothing waiting */
  }
}

void wt_port_wait(int32_t ms) {
  struct pollfd p = { tap_fd, POLLIN, 0 };
  if (!stop_flag && !stats_flag) poll(&p, 1, ms < 0 ? -1 : ms);  /* EINTR (a signal) ends it */
  if (stats_flag) { stats_flag = 0; wt_print_stats(); }
}

uint32_t wt_port_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

void wt_port_entropy(uint8_t *buf, uint32_t len) {
  while (len) {
    ssize_t n = getrandom(buf, len, 0);
    if (n <= 0) { if (errno == EINTR) continue; wt_port_fatal("getrandom failed"); }
    buf += n;
    len -= (uint32_t)n;
  }
}

void wt_port_puts(const char *s) { fputs(s, stdout); fflush(stdout); }

/* The RFC 7217 secret (wt_ip6.h) in the file named by WT_IP6_SECRET_FILE: 16 bytes, made from
 * getrandom and saved (mode 0600) on the first start, read on every later one, so the device
 * keeps its stable IPv6 addresses across restarts. Without the variable: none (new each start). */
int wt_port_ip6_secret(uint8_t key[16]) {
  const char *path = getenv("WT_IP6_SECRET_FILE");
  if (!path || !*path) return 0;
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    ssize_t n = read(fd, key, 16);
    close(fd);
    if (n == 16) return 1;
    fprintf(stderr, "%s: not a 16-byte secret: ignored\n", path);
    return 0;
  }
  wt_port_entropy(key, 16);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || write(fd, key, 16) != 16) fprintf(stderr, "%s: cannot save the IPv6 secret: %s\n", path, strerror(errno));
  if (fd >= 0) close(fd);
  return 1;
}

void wt_port_fatal(const char *why) {
  fprintf(stderr, "fatal: %s\n", why);
  exit(70);
}

/* ---- setup ---- */


static void on_signal(int sig) {
  if (sig == SIGUSR1) stats_flag = 1; else stop_flag = 1;
}

static void usage(FILE *f) {
  fputs("usage: wasm-tcpip-linux --tap NAME (--ip A.B.C.D/LEN [--gw ADDR] | --dhcp) [--engine aot|interp]\n"
        "         [--echo PORT] [--discard PORT] [--http PORT] [--mac XX:XX:XX:XX:XX:XX]\n"
        "         [--wasm FILE] [--mtu N] [--sockets N] [--sndbuf N] [--rcvbuf N] [--iobuf N] [--no-ip6] [--verbose]\n"
        "  --dhcp  take the address, router and DNS servers by DHCP (RFC 2131) instead of --ip;\n"
        "          services start once bound; SIGINT/SIGTERM release the lease\n"
        "  --echo PORT  RFC 862 echo on TCP and UDP (UDP datagrams up to --iobuf - 24 bytes; IPv4-only: - 12)\n"
        "  --iobuf N    the module's I/O region (default 16384)\n"
        "  --no-ip6     IPv4 only (IPv6, with link-local and SLAAC addresses, is on when the module has it)\n"
        "  environment WT_IP6_SECRET_FILE=PATH  the RFC 7217 secret (16 bytes, made on the first start):\n"
        "               the same stable IPv6 addresses on every start\n", f);
}

static int parse_uint(const char *s, uint32_t max, uint32_t *out) {
  char *end;
  errno = 0;
  unsigned long v = strtoul(s, &end, 10);
  if (errno || end == s || *end || v > max) return -1;
  *out = (uint32_t)v;
  return 0;
}

static int parse_mac(const char *s, uint32_t *hi, uint32_t *lo) {
  unsigned b[6];
  char tail;
  if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) != 6) return -1;
  *hi = b[0] << 8 | b[1];
  *lo = (uint32_t)b[2] << 24 | b[3] << 16 | b[4] << 8 | b[5];
  return 0;
}

static uint8_t *read_file(const char *path, uint32_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return 0;
  uint8_t *buf = 0;
  size_t cap = 0, n = 0, r;
  do {
    if (n == cap) { cap = cap ? cap * 2 : 65536; buf = realloc(buf, cap); if (!buf) { fclose(f); return 0; } }
    r = fread(buf + n, 1, cap - n, f);
    n += r;
  } while (r > 0);
  fclose(f);
  *len = (uint32_t)n;
  return buf;
}

/* Default module for the interpreter: the build's module next to the executable (linux/Makefile
 * names it: stack.mcu6.wasm, or stack.mcu.wasm with make IPV6=0; esp32/linux's build: the latter). */
#ifndef WT_MODULE_FILE
#define WT_MODULE_FILE "stack.mcu.wasm"
#endif
static const char *default_wasm(void) {
  static char path[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
  if (n <= 0) return WT_MODULE_FILE;
  path[n] = 0;
  char *slash = strrchr(path, '/');
  strcpy(slash ? slash + 1 : path, WT_MODULE_FILE);
  return path;
}

static int verbose;

static int services_on, ready, exit_code;
static uint32_t echo, discard, http;

static void log_event(int32_t sock, int32_t kind, int32_t arg) {
  if (kind == WT_EV_STATE) wt_logf("event sock %d state %u -> %u\n", sock, (uint32_t)arg >> 8, (uint32_t)arg & 255);
  else wt_logf("event sock %d kind %d arg %d\n", sock, kind, arg);
  if (services_on) wt_services_on_event(sock, kind, arg);
}

/* Listen on the service ports (if any), then print "ready". 0 or -WT_E*. */
static int go_ready(void) {
  if (echo || discard || http) {
    if (!wt_has(WT_FN_TCP_OPEN)) { fprintf(stderr, "this module has no TCP exports: services unavailable\n"); return -WT_EOPNOTSUPP; }
    int r = wt_services_start((uint16_t)echo, (uint16_t)discard, (uint16_t)http);
    if (r) { fprintf(stderr, "services: %d\n", r); return r; }
    services_on = 1;
  }
  if (verbose) wt_set_event_handler(log_event);
  ready = 1;
  wt_logf("ready\n");
  return 0;
}

/* --dhcp: the lease on the console; the services start with the first one. */
static void on_dhcp(wt_dhcp_event ev, const wt_dhcp_lease *lease) {
  wt_dhcp_log(ev, lease, verbose);
  if (ev == WT_DHCP_EV_BOUND && !ready && go_ready() != 0) { exit_code = 1; stop_flag = 1; }
}

/* IPv6's console lines (the link-local address is tentative already: DAD runs from init; its
 * line comes once it is preferred). */
static void start_ip6(int on) {
  if (on && wt_ip6_start(verbose) != 0) wt_logf("ip6: not in this module (IPv4 only)\n");
}

int main(int argc, char **argv) {
  const char *tap = 0, *engine = "aot", *wasm_path = 0;
  uint32_t ip = 0, prefix = 24, gw = 0;
  uint32_t mac_hi = 0x0200, mac_lo = 0x00000002, mtu = 1500, sockets = 16;
  uint32_t sndbuf = 65536, rcvbuf = 65536, iobuf = 16384;
  int have_ip = 0, have_gw = 0, dhcp = 0, ip6 = 1;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : 0;
    int bad = 0;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) { usage(stdout); return 0; }
    if (!strcmp(a, "--verbose")) { verbose = 1; continue; }
    if (!strcmp(a, "--dhcp")) { dhcp = 1; continue; }
    if (!strcmp(a, "--no-ip6")) { ip6 = 0; continue; }
    if (!v) { fprintf(stderr, "missing value for %s\n", a); usage(stderr); return 2; }
    i++;
    if (!strcmp(a, "--tap")) tap = v;
    else if (!strcmp(a, "--ip")) { bad = wt_parse_ipv4(v, &ip, &prefix); have_ip = !bad; }
    else if (!strcmp(a, "--gw")) { bad = wt_parse_ipv4(v, &gw, 0); have_gw = 1; }
    else if (!strcmp(a, "--engine")) { engine = v; bad = strcmp(v, "aot") && strcmp(v, "interp"); }
    else if (!strcmp(a, "--echo")) bad = parse_uint(v, 65535, &echo);
    else if (!strcmp(a, "--discard")) bad = parse_uint(v, 65535, &discard);
    else if (!strcmp(a, "--http")) bad = parse_uint(v, 65535, &http);
    else if (!strcmp(a, "--mac")) bad = parse_mac(v, &mac_hi, &mac_lo);
    else if (!strcmp(a, "--wasm")) wasm_path = v;
    else if (!strcmp(a, "--mtu")) bad = parse_uint(v, 9000, &mtu);
    else if (!strcmp(a, "--sockets")) bad = parse_uint(v, 1024, &sockets);
    else if (!strcmp(a, "--sndbuf")) bad = parse_uint(v, 1u << 24, &sndbuf);
    else if (!strcmp(a, "--rcvbuf")) bad = parse_uint(v, 1u << 24, &rcvbuf);
    else if (!strcmp(a, "--iobuf")) bad = parse_uint(v, 1u << 24, &iobuf) || iobuf < 64;
    else { fprintf(stderr, "unknown option %s\n", a); usage(stderr); return 2; }
    if (bad) { fprintf(stderr, "bad value for %s: %s\n", a, v); return 2; }
  }
  if (dhcp && (have_ip || have_gw)) { fprintf(stderr, "--dhcp and --ip/--gw exclude each other\n"); usage(stderr); return 2; }
  if (!tap || (!have_ip && !dhcp)) { usage(stderr); return 2; }

  const wt_engine *eng = !strcmp(engine, "interp") ? &wt_engine_interp : &wt_engine_aot;
  uint8_t *wasm = 0;
  uint32_t wasm_len = 0;
  if (eng == &wt_engine_interp) {
    if (!wasm_path) wasm_path = default_wasm();
    wasm = read_file(wasm_path, &wasm_len);
    if (!wasm) { fprintf(stderr, "cannot read %s: %s\n", wasm_path, strerror(errno)); return 1; }
  }

  tap_fd = tap_open(tap);
  if (tap_fd < 0) return 1;

  if (wt_core_start(eng, wasm, wasm_len) != 0) { fprintf(stderr, "engine %s failed to start\n", engine); return 1; }
  const struct { int key; uint32_t value; } cfg[] = {
    { WT_CFG_MAC_HI, mac_hi }, { WT_CFG_MAC_LO, mac_lo }, { WT_CFG_IPV4_ADDR, ip },
    { WT_CFG_PREFIX_LEN, prefix }, { WT_CFG_GATEWAY, gw }, { WT_CFG_MTU, mtu },
    { WT_CFG_MAX_SOCKETS, sockets }, { WT_CFG_SND_BUF, sndbuf }, { WT_CFG_RCV_BUF, rcvbuf },
    { WT_CFG_IO_BUF, iobuf },
    /* IPv6 (a module without it accepts and ignores these): the core's default tables, no
     * reassembly slots (the mcu6 module has no IPv6 reassembly: WT_FRAG6=0). */
    { WT_CFG_IP6_ENABLE, (uint32_t)ip6 }, { WT_CFG_REASM6_SLOTS, 0 },
  };
  for (unsigned i = 0; i < sizeof cfg / sizeof cfg[0]; i++) {
    int r = wt_configure(cfg[i].key, cfg[i].value);
    if (r) { fprintf(stderr, "configure(%d, %u) = %d\n", cfg[i].key, cfg[i].value, r); return 1; }
  }
  if (ip6) {
    int sr = wt_ip6_secret_load(); /* before wt_init: the link-local address is formed there */
    if (sr < 0 && sr != -WT_ENOSYS) { fprintf(stderr, "ip6SetSecret = %d\n", sr); return 1; }
  }
  int r = wt_init();
  if (r) { fprintf(stderr, "init() = %d\n", r); return 1; }

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, 0);
  sigaction(SIGINT, &sa, 0);
  sigaction(SIGUSR1, &sa, 0);

  int32_t pool = wt_call(WT_FN_POOL_BYTES, 0, 0, 0);
  uint32_t mem_size = 0;
  wt_engine_used()->memory(&mem_size);
  if (dhcp) {
    wt_logf("wasm-tcpip-linux: engine %s, tap %s, ip by dhcp, pools %d bytes, memory %u bytes\n",
            eng->name, tap, pool, mem_size);
    start_ip6(ip6);
    r = wt_dhcp_start(on_dhcp);
    if (r) { fprintf(stderr, "dhcpStart() = %d\n", r); return 1; }
  } else {
    wt_logf("wasm-tcpip-linux: engine %s, tap %s, ip %u.%u.%u.%u/%u, pools %d bytes, memory %u bytes\n",
            eng->name, tap, ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255, prefix, pool, mem_size);
    start_ip6(ip6);
    if (go_ready() != 0) return 1;
  }

  wt_run(&stop_flag);

  if (dhcp && (r = wt_dhcp_stop(1)) != 0) wt_logf("dhcpStop(1) = %d\n", r);  /* "released ..." */
  wt_logf("stopping; counters:\n");
  wt_print_stats();
  wt_services_print_stats();
  if (tx_dropped) wt_logf("  host_tx_dropped %u\n", (uint32_t)tx_dropped);
  free(wasm);
  close(tap_fd);
  return exit_code;
}
