/* The C application interface over the socket exports. See wt_app.h. */
#include "wt_app.h"

#include <string.h>

static int32_t call(wt_fn fn, int32_t a, int32_t b, int32_t c) { return wt_call(fn, a, b, c); }

int wt_tcp_open(void) { return call(WT_FN_TCP_OPEN, 0, 0, 0); }
int wt_tcp_bind(int h, uint16_t port) { return call(WT_FN_TCP_BIND, h, port, 0); }
int wt_tcp_listen(int h, int backlog) { return call(WT_FN_TCP_LISTEN, h, backlog, 0); }
int wt_tcp_accept(int h) { return call(WT_FN_TCP_ACCEPT, h, 0, 0); }
int wt_tcp_connect(int h, uint32_t ip, uint16_t port) { return call(WT_FN_TCP_CONNECT, h, (int32_t)ip, port); }
int wt_tcp_shutdown(int h) { return call(WT_FN_TCP_SHUTDOWN, h, 0, 0); }
int wt_tcp_close(int h) { return call(WT_FN_TCP_CLOSE, h, 0, 0); }
int wt_tcp_abort(int h) { return call(WT_FN_TCP_ABORT, h, 0, 0); }
int wt_tcp_state(int h) { return call(WT_FN_TCP_STATE, h, 0, 0); }
int wt_tcp_set_option(int h, int opt, uint32_t value) { return call(WT_FN_TCP_SET_OPTION, h, opt, (int32_t)value); }

static int32_t io_offset(void) { return (int32_t)wt_io_offset(); }

int wt_tcp_write_io(int h, uint32_t len) {
  uint32_t cap;
  if (!wt_io(&cap)) return -WT_ESTATE;
  if (len > cap) len = cap;
  return call(WT_FN_TCP_WRITE, h, io_offset(), (int32_t)len);
}

int wt_tcp_read_io(int h, uint32_t len) {
  uint32_t cap;
  if (!wt_io(&cap)) return -WT_ESTATE;
  if (len > cap) len = cap;
  return call(WT_FN_TCP_READ, h, io_offset(), (int32_t)len);
}

int wt_tcp_write(int h, const void *data, uint32_t len) {
  uint32_t cap;
  uint8_t *io = wt_io(&cap);
  if (!io) return -WT_ESTATE;
  uint32_t done = 0;
  while (done < len) {
    uint32_t n = len - done < cap ? len - done : cap;
    memcpy(io, (const uint8_t *)data + done, n);
    int r = call(WT_FN_TCP_WRITE, h, io_offset(), (int32_t)n);
    if (r < 0) return done ? (int)done : r;
    done += (uint32_t)r;
    if ((uint32_t)r < n) break;
    io = wt_io(&cap);
  }
  return (int)done;
}

int wt_tcp_read(int h, void *buf, uint32_t len) {
  uint32_t cap;
  uint8_t *io = wt_io(&cap);
  if (!io) return -WT_ESTATE;
  if (len > cap) len = cap;
  int r = call(WT_FN_TCP_READ, h, io_offset(), (int32_t)len);
  if (r > 0) memcpy(buf, wt_io(&cap), (uint32_t)r);
  return r;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- zero-copy TCP: views into the rings, their words written at the I/O region's start ---- */

int wt_tcp_zero_copy(void) {
  return wt_has(WT_FN_TCP_PEEK) && wt_has(WT_FN_TCP_CONSUME) && wt_has(WT_FN_TCP_RESERVE) && wt_has(WT_FN_TCP_COMMIT);
}

/* Call fn(h, io) and turn the word(s) it wrote there into a view of linear memory. */
static int ring_view(wt_fn fn, int h, uint8_t **p, uint32_t *more) {
  uint32_t io = wt_io_offset();
  if (!io) return -WT_ESTATE;
  int r = call(fn, h, (int32_t)io, 0);
  if (r <= 0) return r;
  const uint8_t *w = wt_mem(io, 12);
  uint8_t *v = w ? wt_mem(le32(w), (uint32_t)r) : 0;
  if (!v) return -WT_EINVAL;  /* cannot happen: the module's rings are in its memory */
  *p = v;
  if (more) *more = le32(w + 8);
  return r;
}

int wt_tcp_peek(int h, const uint8_t **data, uint32_t *more) {
  uint8_t *p = 0;
  int r = ring_view(WT_FN_TCP_PEEK, h, &p, more);
  if (r > 0) *data = p;
  return r;
}

int wt_tcp_consume(int h, uint32_t n) { return call(WT_FN_TCP_CONSUME, h, (int32_t)n, 0); }

int wt_tcp_reserve(int h, uint8_t **space) { return ring_view(WT_FN_TCP_RESERVE, h, space, 0); }

int wt_tcp_commit(int h, uint32_t n) { return call(WT_FN_TCP_COMMIT, h, (int32_t)n, 0); }

int wt_tcp_server(uint16_t port, int backlog) {
  int h = wt_tcp_open();
  if (h < 0) return h;
  int r = wt_tcp_bind(h, port);
  if (r == 0) r = wt_tcp_listen(h, backlog);
  if (r < 0) { wt_tcp_close(h); return r; }
  return h;
}

/* ---- UDP ---- */

int wt_udp_open(void) { return call(WT_FN_UDP_OPEN, 0, 0, 0); }
int wt_udp_bind(int h, uint16_t port) { return call(WT_FN_UDP_BIND, h, port, 0); }
int wt_udp_close(int h) { return call(WT_FN_UDP_CLOSE, h, 0, 0); }

int wt_udp_server(uint16_t port) {
  int h = wt_udp_open();
  if (h < 0) return h;
  int r = wt_udp_bind(h, port);
  if (r < 0) { wt_udp_close(h); return r; }
  return h;
}

/* The udpFrom fields go to the last WT_UDP_FROM_COUNT words of the I/O region. */
#define FROM_BYTES (4u * WT_UDP_FROM_COUNT)

uint32_t wt_udp_io_max(void) {
  uint32_t cap;
  return wt_io(&cap) && cap > FROM_BYTES ? cap - FROM_BYTES : 0;
}

int wt_udp_recvfrom_io(int h, wt_udp_from *from) {
  uint32_t max = wt_udp_io_max();
  if (!max) return -WT_ESTATE;
  int32_t io = io_offset();
  const int32_t args[4] = { h, io, (int32_t)max, io + (int32_t)max };
  int r = wt_callv(WT_FN_UDP_RECV_FROM, args);
  if (r < 0) return r;
  uint32_t cap;
  const uint8_t *f = wt_io(&cap) + max;
  from->addr = le32(f + 4 * WT_UDP_FROM_ADDRESS);
  from->port = (uint16_t)le32(f + 4 * WT_UDP_FROM_PORT);
  from->size = le32(f + 4 * WT_UDP_FROM_SIZE);
  return r;
}

int wt_udp_sendto_io(int h, uint32_t addr, uint16_t port, uint32_t len) {
  uint32_t cap;
  if (!wt_io(&cap)) return -WT_ESTATE;
  if (len > cap) return -WT_EMSGSIZE;
  const int32_t args[5] = { h, (int32_t)addr, port, io_offset(), (int32_t)len };
  return wt_callv(WT_FN_UDP_SEND_TO, args);
}

/* udpRecvFrom6's fields (abi/abi.mjs udpFrom6, WT_UDP_FROM6_*): the source address (16 bytes),
 * its port (u32), the datagram's full length (u32), at the last FROM6_BYTES of the I/O region. */
#define FROM6_BYTES (4u * WT_UDP_FROM6_COUNT)
#define FROM6_PORT (4u * WT_UDP_FROM6_PORT)
#define FROM6_SIZE (4u * WT_UDP_FROM6_SIZE)

uint32_t wt_udp_io_max6(void) {
  uint32_t cap;
  return wt_io(&cap) && cap > FROM6_BYTES ? cap - FROM6_BYTES : 0;
}

int wt_udp_recvfrom6_io(int h, wt_udp_from6 *from) {
  uint32_t max = wt_udp_io_max6(), cap;
  if (!max) return -WT_ESTATE;
  int32_t io = io_offset();
  const int32_t args[4] = { h, io, (int32_t)max, io + (int32_t)max };
  int r = wt_callv(WT_FN_UDP_RECV_FROM6, args);
  if (r < 0) return r;
  const uint8_t *f = wt_io(&cap) + max;
  memcpy(from->addr, f + 4u * WT_UDP_FROM6_ADDR0, 16);
  from->port = (uint16_t)le32(f + FROM6_PORT);
  from->size = le32(f + FROM6_SIZE);
  return r;
}

int wt_udp_sendto6_io(int h, const uint8_t addr[16], uint16_t port, uint32_t len) {
  uint32_t max = wt_udp_io_max6(), cap;
  if (!max) return -WT_ESTATE;
  if (len > max) return -WT_EMSGSIZE;
  uint8_t *a = wt_io(&cap) + max;   /* the address goes where udpRecvFrom6 put the source */
  if (a != addr) memmove(a, addr, 16);
  const int32_t args[5] = { h, io_offset() + (int32_t)max, port, io_offset(), (int32_t)len };
  return wt_callv(WT_FN_UDP_SEND_TO6, args);
}
