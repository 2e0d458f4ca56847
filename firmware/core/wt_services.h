/* The services every port runs, the same as the CLI's (docs/services.md is their one
 * behaviour spec): echo (RFC 862: TCP, half-close aware, and UDP), discard (RFC 863) and
 * HTTP/1.1 (GET / status page, GET /bytes/N with byte i = i mod 251, HEAD, keep-alive). */
#ifndef WT_SERVICES_H
#define WT_SERVICES_H

#include <stdint.h>

#ifndef WT_SVC_CONNS
#define WT_SVC_CONNS 4        /* connections served at once (all services) */
#endif
#ifndef WT_SVC_BUF
#define WT_SVC_BUF 1024       /* per connection: echo bytes not yet accepted, HTTP request heads (431 beyond) */
#endif
#ifndef WT_SVC_OUT
#define WT_SVC_OUT 224        /* per connection: an HTTP response head (with an error's short body) */
#endif
#ifndef WT_SVC_PAGE
#define WT_SVC_PAGE 3072      /* the HTTP status page, rendered per GET / (one response at a time) */
#endif

/* Listen on the given ports (0 = service off) and install the core's event handler; the
 * echo port is also a UDP socket when the module and engine have the UDP exports (each
 * datagram goes back to its sender; one larger than the I/O region less 12 bytes,
 * wt_udp_io_max, is counted and logged, not echoed). 0, or the first listen/bind error. */
int wt_services_start(uint16_t echo_port, uint16_t discard_port, uint16_t http_port);
/* The event handler wt_services_start installs (for hosts that wrap it). */
void wt_services_on_event(int32_t sock, int32_t kind, int32_t arg);
/* Connections currently served (for tests and the console). */
int wt_services_active(void);
/* Print the services' own counters (udp_echo_*) on the console. */
void wt_services_print_stats(void);

#endif
