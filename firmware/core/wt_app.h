/* The C application interface: the module's socket ABI with C types. Handles are the
 * module's; errors are negative WT_E* codes. Call only from the main loop's task (event
 * handlers included), never from an interrupt. */
#ifndef WT_APP_H
#define WT_APP_H

#include <stdint.h>
#include "wt_core.h"

int wt_tcp_open(void);
int wt_tcp_bind(int h, uint16_t port);               /* port 0: random ephemeral */
int wt_tcp_listen(int h, int backlog);
int wt_tcp_accept(int h);                            /* new handle or -WT_EAGAIN */
int wt_tcp_connect(int h, uint32_t ip, uint16_t port);
int wt_tcp_shutdown(int h);                          /* FIN after queued data */
int wt_tcp_close(int h);                             /* graceful; the stack releases h */
int wt_tcp_abort(int h);                             /* RST */
int wt_tcp_state(int h);                             /* WT_TCP_* */
int wt_tcp_set_option(int h, int opt, uint32_t value);

/* Copying I/O: bytes queued (0 when the send buffer is full) / bytes read (0 = EOF,
 * -WT_EAGAIN = nothing yet). Both go through the module's I/O region. */
int wt_tcp_write(int h, const void *data, uint32_t len);
int wt_tcp_read(int h, void *buf, uint32_t len);

/* Zero-copy I/O on the I/O region (wt_io): write its first len bytes / read into it. */
int wt_tcp_write_io(int h, uint32_t len);
int wt_tcp_read_io(int h, uint32_t len);

/* Zero-copy I/O in the socket's rings (docs/abi.md tcpPeek/tcpConsume, tcpReserve/tcpCommit);
 * each is -WT_EOPNOTSUPP when the module or engine lacks the export (wt_tcp_zero_copy() says
 * whether all four are there). Peek: *data views the first contiguous unread bytes, returns
 * their count (> 0; *more: the bytes after the ring wraps), else as wt_tcp_read (0 = EOF,
 * -WT_EAGAIN). Consume: the first n unread bytes are read. The view holds until a consume,
 * read, close, abort or the next frame/poll. Reserve: *space is the free space at the send
 * ring's tail, returns its contiguous length (0 = full: Writable follows); write there, then
 * commit n of them (as wt_tcp_write would send them) before the next frame/poll. */
int wt_tcp_zero_copy(void);
int wt_tcp_peek(int h, const uint8_t **data, uint32_t *more);
int wt_tcp_consume(int h, uint32_t n);
int wt_tcp_reserve(int h, uint8_t **space);
int wt_tcp_commit(int h, uint32_t n);

/* Open, bind and listen in one call: the listening handle or -WT_E*. */
int wt_tcp_server(uint16_t port, int backlog);

/* UDP (docs/abi.md "UDP sockets"): a Readable event comes for every datagram queued;
 * drain with wt_udp_recvfrom_io until -WT_EAGAIN. */
int wt_udp_open(void);
int wt_udp_bind(int h, uint16_t port);               /* the port bound, or -WT_E* */
int wt_udp_close(int h);
/* Open and bind in one call: the handle or -WT_E*. */
int wt_udp_server(uint16_t port);

/* Where a datagram came from (udpRecvFrom's udpFrom fields). */
typedef struct { uint32_t addr; uint16_t port; uint32_t size; } wt_udp_from;

/* Zero-copy datagrams on the I/O region (wt_io). Receive: the oldest datagram into the
 * region's first wt_udp_io_max() bytes; returns the bytes copied (from->size > result:
 * truncated, the rest is gone) or -WT_EAGAIN when none is queued. Send: the region's
 * first len bytes to addr:port; returns len or -WT_E*. */
int wt_udp_recvfrom_io(int h, wt_udp_from *from);
int wt_udp_sendto_io(int h, uint32_t addr, uint16_t port, uint32_t len);
/* The largest datagram wt_udp_recvfrom_io returns whole (the I/O region less udpFrom's 12 bytes). */
uint32_t wt_udp_io_max(void);

/* The same for both families (udpRecvFrom6 / udpSendTo6; a module with IPv6 on): addresses are
 * 16 bytes in network order, IPv4 ones IPv4-mapped (::ffff:a.b.c.d). The 24 bytes of udpRecvFrom6's
 * fields (docs/abi.md: address, port, full length) take the region's end, so wt_udp_io_max6() is
 * the region less 24 bytes. */
typedef struct { uint8_t addr[16]; uint16_t port; uint32_t size; } wt_udp_from6;
int wt_udp_recvfrom6_io(int h, wt_udp_from6 *from);
int wt_udp_sendto6_io(int h, const uint8_t addr[16], uint16_t port, uint32_t len);
uint32_t wt_udp_io_max6(void);

#endif
