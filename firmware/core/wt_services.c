/* Echo (TCP and UDP), discard and HTTP /bytes/N over the C application interface.
 * Event-driven: each event for a connection runs its step function, which moves as much
 * data as the module takes and returns when it would block; a Readable event on the UDP
 * echo socket drains its queue. See wt_services.h. */
#include "wt_services.h"
#include "wt_app.h"

#include <stddef.h>
#include <string.h>

enum { SVC_ECHO, SVC_DISCARD, SVC_HTTP, SVC_COUNT };

typedef struct {
  int32_t h;          /* module handle, -1 = free slot */
  uint8_t svc;
  uint8_t eof;        /* FIN received and everything read */
  uint8_t replying;   /* HTTP: request parsed, response under way */
  uint32_t pend_off, pend_len;  /* bytes of buf still to write (echo leftovers, HTTP header) */
  uint32_t req_len;   /* HTTP: request bytes gathered in buf */
  uint32_t body_len, body_sent; /* HTTP: /bytes/N body */
  uint8_t buf[WT_SVC_BUF];
} conn;

static int32_t listener[SVC_COUNT] = { -1, -1, -1 };
static conn conns[WT_SVC_CONNS];
static int zc;  /* the module has tcpPeek/tcpConsume/tcpReserve/tcpCommit for us: work in its rings */

/* UDP echo (RFC 862 §"UDP Based Echo Service"): its socket and counters. */
static int32_t udp_echo = -1;
static uint32_t udp_echoed, udp_too_big, udp_send_errors;

static conn *find(int32_t h) {
  for (int i = 0; i < WT_SVC_CONNS; i++) if (conns[i].h == h && h >= 0) return &conns[i];
  return 0;
}

static void release(conn *c, int abort_it) {
  if (abort_it) wt_tcp_abort(c->h); else wt_tcp_close(c->h);
  c->h = -1;
}

/* Write the pending bytes of c->buf. 1 when all are out, 0 when the module is full, -1 on error. */
static int flush(conn *c) {
  uint32_t cap;
  while (c->pend_len) {
    uint8_t *io = wt_io(&cap);
    uint32_t n = c->pend_len < cap ? c->pend_len : cap;
    memcpy(io, c->buf + c->pend_off, n);
    int w = wt_tcp_write_io(c->h, n);
    if (w < 0) return -1;
    c->pend_off += (uint32_t)w;
    c->pend_len -= (uint32_t)w;
    if ((uint32_t)w < n) return 0;
  }
  c->pend_off = 0;
  return 1;
}

/* Echo in the rings: the received bytes are copied once, from the receive ring straight into the
 * send ring, and consumed only once the send ring took them (a full send ring leaves them unread:
 * the window closes and the peer waits, no buffer of ours in between). */
static void echo_rings(conn *c) {
  for (;;) {
    const uint8_t *src;
    uint8_t *dst;
    int r = wt_tcp_peek(c->h, &src, 0);
    if (r == -WT_EAGAIN) return;
    if (r < 0) { release(c, 1); return; }
    if (r == 0) { release(c, 0); return; }   /* EOF with everything echoed: our FIN follows */
    int w = wt_tcp_reserve(c->h, &dst);
    if (w < 0) { release(c, 1); return; }
    if (w == 0) return;                       /* send ring full: Writable brings us back */
    uint32_t n = (uint32_t)(r < w ? r : w);
    memcpy(dst, src, n);
    if (wt_tcp_commit(c->h, n) < 0 || wt_tcp_consume(c->h, n) < 0) { release(c, 1); return; }
  }
}

static void echo_step(conn *c) {
  uint32_t cap;
  if (zc) { echo_rings(c); return; }
  for (;;) {
    int f = flush(c);
    if (f < 0) { release(c, 1); return; }
    if (f == 0) return;
    if (c->eof) { release(c, 0); return; }   /* everything echoed: our FIN follows */
    if (!wt_io(&cap)) return;
    /* Read no more than we can keep if the module takes only part of it back. */
    int r = wt_tcp_read_io(c->h, cap < WT_SVC_BUF ? cap : WT_SVC_BUF);
    if (r == -WT_EAGAIN) return;
    if (r < 0) { release(c, 1); return; }
    if (r == 0) { c->eof = 1; continue; }
    int w = wt_tcp_write_io(c->h, (uint32_t)r);
    if (w < 0) { release(c, 1); return; }
    if (w < r) {
      memcpy(c->buf, wt_io(&cap) + w, (uint32_t)(r - w));
      c->pend_off = 0;
      c->pend_len = (uint32_t)(r - w);
    }
  }
}

/* Discard what is readable. A Readable event comes for the bytes that arrived since the last one
 * and one of its own for the FIN, so a pass that empties the ring is enough: no call that only
 * finds it empty (one per frame in a bulk transfer). `drain` (a new connection, whose events came
 * before we had it, or lost events) goes on until the module says EAGAIN or EOF. */
static void discard_step(conn *c, int drain) {
  uint32_t cap;
  if (!zc && !wt_io(&cap)) return;
  for (;;) {
    int r, emptied;
    if (zc) {
      const uint8_t *p;
      uint32_t more = 0;
      r = wt_tcp_peek(c->h, &p, &more);
      if (r > 0 && wt_tcp_consume(c->h, (uint32_t)r + more) < 0) r = -WT_EINVAL;
      emptied = 1;
    } else {
      r = wt_tcp_read_io(c->h, cap);
      emptied = r < (int)cap;
    }
    if (r == -WT_EAGAIN) return;
    if (r <= 0) { release(c, r < 0); return; }
    if (emptied && !drain) return;
  }
}

/* ---- HTTP ---- */

static uint32_t append(uint8_t *dst, uint32_t n, const char *s) {
  while (*s && n < WT_SVC_BUF) dst[n++] = (uint8_t)*s++;
  return n;
}

static uint32_t append_uint(uint8_t *dst, uint32_t n, uint32_t v) {
  char tmp[12];
  int k = 0;
  do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (k && n < WT_SVC_BUF) dst[n++] = (uint8_t)tmp[--k];
  return n;
}

/* Index just past the blank line ending the request head, or 0 if not complete yet. */
static uint32_t head_end(const uint8_t *b, uint32_t n) {
  for (uint32_t i = 0; i + 1 < n; i++) {
    if (b[i] == '\n' && b[i + 1] == '\n') return i + 2;
    if (i + 3 < n && b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i + 4;
  }
  return 0;
}

/* Parse "GET /bytes/N HTTP/1.x": 200 and N, 404 for another path, 400 when malformed. */
static int parse_request(const uint8_t *b, uint32_t n, uint32_t *len) {
  static const char get[] = "GET ", path[] = "/bytes/";
  if (n < 4 || memcmp(b, get, 4) != 0) return 400;
  uint32_t i = 4;
  if (n - i < sizeof path - 1 || memcmp(b + i, path, sizeof path - 1) != 0) return 404;
  i += sizeof path - 1;
  uint32_t v = 0, digits = 0;
  while (i < n && b[i] >= '0' && b[i] <= '9') {
    uint32_t d = (uint32_t)(b[i++] - '0');
    if (v > (0xffffffffu - d) / 10) return 400;
    v = v * 10 + d;
    digits++;
  }
  if (digits == 0 || i >= n || b[i] != ' ') return 404;
  *len = v;
  return 200;
}

static void http_respond(conn *c, int status) {
  uint8_t *b = c->buf;
  uint32_t n = 0;
  if (status == 200) {
    n = append(b, n, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ");
    n = append_uint(b, n, c->body_len);
  } else {
    n = append(b, n, status == 404 ? "HTTP/1.1 404 Not Found" : "HTTP/1.1 400 Bad Request");
    n = append(b, n, "\r\nContent-Length: 0");
    c->body_len = 0;
  }
  n = append(b, n, "\r\nConnection: close\r\n\r\n");
  c->pend_off = 0;
  c->pend_len = n;
  c->body_sent = 0;
  c->replying = 1;
}

/* The body bytes at offsets v, v + 1, ... (byte i = i mod 251) into io[0 .. n): one period by
 * hand, then doubling copies (the pattern repeats every 251 bytes). The module may take only
 * part of it (the send ring's free space), and the rest is generated again on the next Writable:
 * this keeps that cheap (it was a byte loop over the whole I/O region per call). */
static void fill_body(uint8_t *io, uint32_t n, uint32_t v) {
  uint32_t done = n < 251 ? n : 251;
  for (uint32_t i = 0; i < done; i++) { io[i] = (uint8_t)v; if (++v == 251) v = 0; }
  while (done < n) {
    uint32_t k = n - done < done ? n - done : done;  /* done is a multiple of 251 here */
    memcpy(io + done, io, k);
    done += k;
  }
}

static void http_step(conn *c) {
  uint32_t cap;
  uint8_t *io = wt_io(&cap);
  if (!io) return;
  while (!c->replying) {
    uint32_t room = WT_SVC_BUF - c->req_len;
    if (room == 0) { http_respond(c, 400); break; }
    int r = wt_tcp_read_io(c->h, room < cap ? room : cap);
    if (r == -WT_EAGAIN) return;
    if (r <= 0) { release(c, r < 0); return; }   /* peer left before a full request */
    memcpy(c->buf + c->req_len, wt_io(&cap), (uint32_t)r);
    c->req_len += (uint32_t)r;
    if (head_end(c->buf, c->req_len)) http_respond(c, parse_request(c->buf, c->req_len, &c->body_len));
  }
  int f = flush(c);
  if (f < 0) { release(c, 1); return; }
  if (f == 0) return;
  while (zc && c->body_sent < c->body_len) {   /* generated straight into the send ring */
    uint8_t *dst;
    int w = wt_tcp_reserve(c->h, &dst);
    if (w < 0) { release(c, 1); return; }
    if (w == 0) return;                           /* full: Writable brings us back */
    uint32_t n = c->body_len - c->body_sent < (uint32_t)w ? c->body_len - c->body_sent : (uint32_t)w;
    fill_body(dst, n, c->body_sent % 251);
    if (wt_tcp_commit(c->h, n) < 0) { release(c, 1); return; }
    c->body_sent += n;
  }
  while (c->body_sent < c->body_len) {
    io = wt_io(&cap);
    uint32_t n = c->body_len - c->body_sent < cap ? c->body_len - c->body_sent : cap;
    fill_body(io, n, c->body_sent % 251);
    int w = wt_tcp_write_io(c->h, n);
    if (w < 0) { release(c, 1); return; }
    c->body_sent += (uint32_t)w;   /* bytes not taken are generated again next time */
    if ((uint32_t)w < n) return;
  }
  release(c, 0);
}

/* `drain`: events for c may have been missed (just accepted, or lost): do not rely on them. */
static void step(conn *c, int drain) {
  switch (c->svc) {
    case SVC_ECHO: echo_step(c); break;
    case SVC_DISCARD: discard_step(c, drain); break;
    default: http_step(c); break;
  }
}

static void accept_all(int svc) {
  for (;;) {
    int h = wt_tcp_accept(listener[svc]);
    if (h < 0) return;
    conn *c = 0;
    for (int i = 0; i < WT_SVC_CONNS; i++) if (conns[i].h < 0) { c = &conns[i]; break; }
    if (!c) { wt_tcp_abort(h); continue; }   /* table full: refuse with RST */
    memset(c, 0, offsetof(conn, buf));
    c->h = h;
    c->svc = (uint8_t)svc;
    step(c, 1);
  }
}

/* 1, 2, 4, 8, ...: log the first of a kind of drop and then ever more rarely. */
static int log_this(uint32_t n) { return (n & (n - 1)) == 0; }

/* Send every queued datagram back to its sender. The datagram goes through the module's
 * I/O region: received into it and sent from it, no copy here. */
static void udp_echo_drain(void) {
  wt_udp_from from;
  for (;;) {
    int r = wt_udp_recvfrom_io(udp_echo, &from);
    if (r == -WT_EAGAIN) return;
    if (r < 0) { wt_logf("udp echo: udpRecvFrom = %d\n", r); return; }
    uint32_t a = from.addr;
    if (from.size > (uint32_t)r) {  /* the rest of it is gone: echoing a part would be wrong */
      if (log_this(++udp_too_big))
        wt_logf("udp echo: %u-byte datagram from %u.%u.%u.%u:%u exceeds the %u-byte buffer, not echoed (%u so far)\n",
                from.size, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, from.port, wt_udp_io_max(), udp_too_big);
      continue;
    }
    int w = wt_udp_sendto_io(udp_echo, a, from.port, (uint32_t)r);
    if (w < 0) {
      if (log_this(++udp_send_errors))
        wt_logf("udp echo: reply of %d bytes to %u.%u.%u.%u:%u failed: %d (%u so far)\n",
                r, a >> 24, a >> 16 & 255, a >> 8 & 255, a & 255, from.port, w, udp_send_errors);
      continue;
    }
    udp_echoed++;
  }
}

void wt_services_on_event(int32_t sock, int32_t kind, int32_t arg) {
  (void)arg;
  if (sock >= 0 && sock == udp_echo) {
    if (kind == WT_EV_READABLE) udp_echo_drain();
    return;
  }
  if (kind == 0) {  /* events were lost: look at everything */
    if (udp_echo >= 0) udp_echo_drain();
    for (int s = 0; s < SVC_COUNT; s++) if (listener[s] >= 0) accept_all(s);
    for (int i = 0; i < WT_SVC_CONNS; i++) if (conns[i].h >= 0) step(&conns[i], 1);
    return;
  }
  if (kind == WT_EV_ACCEPTED) {
    for (int s = 0; s < SVC_COUNT; s++) if (listener[s] == sock) accept_all(s);
    return;
  }
  conn *c = find(sock);
  if (!c) return;
  switch (kind) {
    case WT_EV_READABLE: case WT_EV_WRITABLE: case WT_EV_CONNECTED: step(c, 0); break;
    /* Reset/Error come before Closed; the handle stays ours until we close it. */
    case WT_EV_CLOSED: case WT_EV_RESET: case WT_EV_ERROR: release(c, 0); break;
    default: break;
  }
}

int wt_services_start(uint16_t echo_port, uint16_t discard_port, uint16_t http_port) {
  const uint16_t ports[SVC_COUNT] = { echo_port, discard_port, http_port };
  for (int i = 0; i < WT_SVC_CONNS; i++) conns[i].h = -1;
  zc = wt_tcp_zero_copy();
  wt_set_event_handler(wt_services_on_event);
  for (int s = 0; s < SVC_COUNT; s++) {
    listener[s] = -1;
    if (!ports[s]) continue;
    int h = wt_tcp_server(ports[s], 8);
    if (h < 0) return h;
    listener[s] = h;
  }
  udp_echo = -1;
  if (echo_port) {
    if (wt_has(WT_FN_UDP_OPEN) && wt_has(WT_FN_UDP_RECV_FROM) && wt_has(WT_FN_UDP_SEND_TO)) {
      int h = wt_udp_server(echo_port);
      if (h < 0) return h;
      udp_echo = h;
    } else {
      wt_logf("udp echo: off (the module or the %s engine cannot call the UDP exports)\n", wt_engine_used()->name);
    }
  }
  return 0;
}

void wt_services_print_stats(void) {
  if (udp_echo < 0) return;
  wt_logf("  udp_echo_datagrams %u\n  udp_echo_too_big %u\n  udp_echo_send_errors %u\n",
          udp_echoed, udp_too_big, udp_send_errors);
}

int wt_services_active(void) {
  int n = 0;
  for (int i = 0; i < WT_SVC_CONNS; i++) n += conns[i].h >= 0;
  return n;
}
