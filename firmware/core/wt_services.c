/* Echo (TCP and UDP), discard and HTTP /bytes/N over the C application interface.
 * Event-driven: each event for a connection runs its step function, which moves as much
 * data as the module takes and returns when it would block; a Readable event on the UDP
 * echo socket drains its queue. See wt_services.h. */
#include "wt_services.h"
#include "wt_app.h"
#include "wt_ip6.h"
#include "wt_port.h"

#include <stdarg.h>
#include <stddef.h>
#include <string.h>

enum { SVC_ECHO, SVC_DISCARD, SVC_HTTP, SVC_COUNT };

typedef struct {
  int32_t h;          /* module handle, -1 = free slot */
  uint8_t svc;
  uint8_t eof;        /* FIN received and everything read */
  uint8_t replying;   /* HTTP: request parsed, response under way */
  uint8_t keep;       /* HTTP: the connection persists after this response */
  uint8_t body;       /* HTTP: BODY_* of this response */
  uint8_t wait_page;  /* HTTP: GET / waits for the status page buffer */
  uint8_t draining;   /* HTTP: FIN sent after a closing response; reading the rest until the client's FIN */
  uint32_t pend_off, pend_len;  /* bytes of buf still to write (echo leftovers) */
  uint32_t req_len;   /* HTTP: request bytes gathered in buf */
  uint32_t head_len;  /* HTTP: bytes of buf the current request's head takes */
  uint32_t out_off, out_len;    /* HTTP: bytes of out still to write */
  uint32_t body_len, body_sent; /* HTTP: the response body */
  uint8_t out[WT_SVC_OUT];      /* HTTP: the response head (and an error's body) */
  uint8_t buf[WT_SVC_BUF];
} conn;

static int32_t listener[SVC_COUNT] = { -1, -1, -1 };
static conn conns[WT_SVC_CONNS];
static int zc;  /* the module has tcpPeek/tcpConsume/tcpReserve/tcpCommit for us: work in its rings */

/* UDP echo (RFC 862 §"UDP Based Echo Service"): its socket and counters. */
static int32_t udp_echo = -1;
static int udp6;    /* echo through udpRecvFrom6/udpSendTo6 (IPv6 on) */
static uint32_t udp_echoed, udp_too_big, udp_send_errors;

static conn *find(int32_t h) {
  for (int i = 0; i < WT_SVC_CONNS; i++) if (conns[i].h == h && h >= 0) return &conns[i];
  return 0;
}

static void release(conn *c, int abort_it) {
  if (abort_it) wt_tcp_abort(c->h); else wt_tcp_close(c->h);
  c->h = -1;
}

/* Write the pending bytes src[*off .. *off + *len). 1 when all are out, 0 when the module is
 * full, -1 on error. */
static int flush(conn *c, const uint8_t *src, uint32_t *off, uint32_t *len) {
  uint32_t cap;
  while (*len) {
    uint8_t *io = wt_io(&cap);
    uint32_t n = *len < cap ? *len : cap;
    memcpy(io, src + *off, n);
    int w = wt_tcp_write_io(c->h, n);
    if (w < 0) return -1;
    *off += (uint32_t)w;
    *len -= (uint32_t)w;
    if ((uint32_t)w < n) return 0;
  }
  *off = 0;
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
    int f = flush(c, c->buf, &c->pend_off, &c->pend_len);
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

/* ---- HTTP: the behaviour spec in docs/services.md, the same as src/services.ts ----
 * GET / is the status page, GET /bytes/N N bytes (byte i = i mod 251), HEAD of both; a
 * request head ends with CRLF CRLF only; persistent connections unless the client says close
 * (HTTP/1.0: unless it says keep-alive), pipelined requests answered in order; 400 for a
 * malformed head, 405 (Allow: GET, HEAD) for another method, 413 for a request with a body,
 * 431 for a head larger than WT_SVC_BUF, 404 otherwise; 400, 413 and 431 close. */

enum { BODY_NONE, BODY_PATTERN, BODY_PAGE };
#define HTTP_MAX_BYTES (1u << 30)  /* the largest /bytes/N, as the Node server's default */

static char page[WT_SVC_PAGE];     /* the status page being sent (one at a time) */
static uint32_t page_len;
static conn *page_owner;

static uint32_t append(uint8_t *dst, uint32_t n, uint32_t cap, const char *s) {
  while (*s && n < cap) dst[n++] = (uint8_t)*s++;
  return n;
}

static uint32_t append_uint(uint8_t *dst, uint32_t n, uint32_t cap, uint32_t v) {
  char tmp[12];
  int k = 0;
  do { tmp[k++] = (char)('0' + v % 10); v /= 10; } while (v);
  while (k && n < cap) dst[n++] = (uint8_t)tmp[--k];
  return n;
}

/* Index just past the CRLF CRLF ending the request head, or 0 if not complete yet. */
static uint32_t head_end(const uint8_t *b, uint32_t n) {
  for (uint32_t i = 0; i + 3 < n; i++)
    if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') return i + 4;
  return 0;
}

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch + 32 : ch; }

/* Does b[0 .. n) equal the lower-case word w, ignoring case? */
static int word_is(const uint8_t *b, uint32_t n, const char *w) {
  uint32_t i = 0;
  for (; i < n && w[i]; i++) if (lower(b[i]) != w[i]) return 0;
  return i == n && !w[i];
}

static int is_ws(uint8_t ch) { return ch == ' ' || ch == '\t'; }

typedef struct { int code, keep, head; uint32_t len; uint8_t body; } http_req;

/* Parse the head b[0 .. n) (CRLF CRLF included) into r: the status code and what to send. */
static void parse_request(const uint8_t *b, uint32_t n, http_req *r) {
  uint32_t i = 0, m, t0, t1, e;
  int v10, has_close = 0, has_keep = 0, has_body = 0;
  r->code = 400; r->keep = 0; r->head = 0; r->len = 0; r->body = BODY_NONE;
  while (i < n && b[i] >= 'A' && b[i] <= 'Z') i++;               /* method */
  m = i;
  if (m == 0 || i >= n || b[i] != ' ') return;
  t0 = ++i;
  while (i < n && b[i] > ' ' && b[i] < 127) i++;                  /* request-target */
  t1 = i;
  if (t1 == t0 || n - i < 11 || b[i] != ' ' || memcmp(b + i + 1, "HTTP/1.", 7) != 0 ||
      (b[i + 8] != '0' && b[i + 8] != '1') || b[i + 9] != '\r' || b[i + 10] != '\n') return;
  v10 = b[i + 8] == '0';
  i += 11;
  while (i + 2 <= n && !(b[i] == '\r' && b[i + 1] == '\n')) {     /* header fields */
    uint32_t k = i, colon = 0;
    while (k + 1 < n && !(b[k] == '\r' && b[k + 1] == '\n')) { if (!colon && b[k] == ':') colon = k; k++; }
    if (!colon || colon == i) return;
    for (uint32_t j = i; j < colon; j++) if (is_ws(b[j])) return;
    uint32_t v = colon + 1;
    if (word_is(b + i, colon - i, "connection")) {
      while (v < k) {                                             /* comma-separated tokens */
        while (v < k && (is_ws(b[v]) || b[v] == ',')) v++;
        e = v;
        while (e < k && b[e] != ',' && !is_ws(b[e])) e++;
        if (word_is(b + v, e - v, "close")) has_close = 1;
        if (word_is(b + v, e - v, "keep-alive")) has_keep = 1;
        v = e;
      }
    } else if (word_is(b + i, colon - i, "content-length")) {
      for (; v < k; v++) if (b[v] >= '1' && b[v] <= '9') has_body = 1;
    } else if (word_is(b + i, colon - i, "transfer-encoding")) {
      has_body = 1;
    }
    i = k + 2;
  }
  r->keep = v10 ? has_keep : !has_close;
  r->head = m == 4 && memcmp(b, "HEAD", 4) == 0;
  if (has_body) { r->code = 413; r->keep = 0; return; }
  if (!r->head && !(m == 3 && memcmp(b, "GET", 3) == 0)) { r->code = 405; return; }
  e = t0;
  while (e < t1 && b[e] != '?') e++;                              /* the path: before any query */
  if (e - t0 == 1 && b[t0] == '/') { r->code = 200; r->body = BODY_PAGE; return; }
  r->code = 404;
  if (e - t0 < 8 || memcmp(b + t0, "/bytes/", 7) != 0 || e - t0 - 7 > 12) return;
  uint64_t len = 0;
  for (uint32_t j = t0 + 7; j < e; j++) {
    if (b[j] < '0' || b[j] > '9') return;
    len = len * 10 + (uint32_t)(b[j] - '0');
  }
  if (len > HTTP_MAX_BYTES) return;
  r->code = 200; r->body = BODY_PATTERN; r->len = (uint32_t)len;
}

static void pagef(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (page_len + 1 < sizeof page) page_len += wt_vfmt(page + page_len, (uint32_t)(sizeof page - page_len), fmt, ap);
  va_end(ap);
}

/* Pad the page with spaces to column `col` of the current line (at least one space when the
 * line is already past it: a long IPv6 address). */
static void pad_to(uint32_t line_start, uint32_t col) {
  if (page_len - line_start >= col && page_len + 2 < sizeof page) page[page_len++] = ' ';
  while (page_len - line_start < col && page_len + 2 < sizeof page) page[page_len++] = ' ';
  page[page_len] = 0;
}

static void ip_str(char *out, uint32_t a) {
  char *o = out;
  for (int k = 3; k >= 0; k--) {
    uint32_t v = a >> (8 * k) & 255, d = 100;
    int started = 0;
    while (d) { if (v / d || started || d == 1) { *o++ = (char)('0' + v / d % 10); started = 1; } d /= 10; }
    if (k) *o++ = '.';
  }
  *o = 0;
}

/* An address of either family as text: a.b.c.d for IPv4(-mapped) ones, [v6] otherwise (out: 48 bytes). */
static const char *peer_str(const uint8_t a[16], char *out) {
  static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
  if (memcmp(a, mapped, 12) == 0) { wt_ip6_str(a, out); return out + 7; }  /* past "::ffff:" */
  out[0] = '[';
  uint32_t n = wt_ip6_str(a, out + 1);
  out[n + 1] = ']';
  out[n + 2] = 0;
  return out;
}

static const char *const tcp_state_names[] = { "CLOSED", "LISTEN", "SYN-SENT", "SYN-RECEIVED", "ESTAB",
  "FIN-WAIT-1", "FIN-WAIT-2", "CLOSE-WAIT", "CLOSING", "LAST-ACK", "TIME-WAIT" };

/* One row of the sockets table for handle h (tcpInfo, then tcpAddrs with IPv6 on, through the
 * I/O region): IPv4 peers as a.b.c.d:port, IPv6 ones as [addr]:port. */
static void page_socket(int32_t h, const char *ip) {
  uint32_t cap, off = (uint32_t)wt_call(WT_FN_IO_BUFFER, 0, 0, 0);
  if (!wt_has(WT_FN_TCP_INFO) || wt_call(WT_FN_TCP_INFO, h, (int32_t)off, 0) != 0) return;
  uint8_t *io = wt_io(&cap);
  if (!io || cap < 4u * WT_TCP_INFO_COUNT) return;
#define F(i) ((uint32_t)io[4 * (i)] | (uint32_t)io[4 * (i) + 1] << 8 | (uint32_t)io[4 * (i) + 2] << 16 | (uint32_t)io[4 * (i) + 3] << 24)
  uint32_t st = F(WT_TCP_INFO_STATE), line = page_len, rq = F(WT_TCP_INFO_RECV_QUEUED), sq = F(WT_TCP_INFO_SEND_QUEUED);
  uint32_t lport = F(WT_TCP_INFO_LOCAL_PORT), rport = F(WT_TCP_INFO_REMOTE_PORT), rip = F(WT_TCP_INFO_REMOTE_IP);
#undef F
  char local[48], peer[48];
  uint8_t addrs[32];
  int six = wt_ip6_on() && st != WT_TCP_LISTEN && wt_has(WT_FN_TCP_ADDRS) &&
            wt_call(WT_FN_TCP_ADDRS, h, (int32_t)off, 0) == 0 && (io = wt_io(&cap)) && cap >= 32;
  if (six) memcpy(addrs, io, 32);
  pagef("%s", st < sizeof tcp_state_names / sizeof tcp_state_names[0] ? tcp_state_names[st] : "?");
  pad_to(line, 12); pagef("%u", rq);
  pad_to(line, 20); pagef("%u", sq);
  pad_to(line, 28);
  if (st == WT_TCP_LISTEN && wt_ip6_on()) pagef("*:%u", lport);   /* dual-stack: every address */
  else pagef("%s:%u", six ? peer_str(addrs, local) : ip, lport);
  pad_to(line, 50);
  if (st == WT_TCP_LISTEN) pagef(wt_ip6_on() ? "*:*\n" : "0.0.0.0:*\n");
  else if (six) pagef("%s:%u\n", peer_str(addrs + 16, peer), rport);
  else { ip_str(peer, rip); pagef("%s:%u\n", peer, rport); }
}

/* The IPv6 addresses (with IPv6 on), one line each: "ip6 ADDR/LEN STATE ORIGIN". */
static void page_ip6(void) {
  wt_ip6_addr a;
  char text[WT_IP6_STR];
  for (int i = 0; wt_ip6_on() && i < 8 && wt_ip6_addr_get(i, &a) == 0; i++) {
    if (a.state == WT_IP6_FREE) continue;
    wt_ip6_str(a.addr, text);
    pagef("ip6 %s/%u %s %s\n", text, a.prefix_len, wt_ip6_state_name(a.state), wt_ip6_origin_name(a.origin));
  }
}

/* The status page (the same sections as src/services.ts statusPage): the address, the
 * uptime, the services' TCP sockets and every counter that moved. */
static void render_page(void) {
  uint32_t cap, off = (uint32_t)wt_call(WT_FN_IO_BUFFER, 0, 0, 0), addr = 0, plen = 0, now = wt_port_now_ms();
  char ip[16], name[48];
  if (wt_has(WT_FN_IFACE_INFO) && wt_call(WT_FN_IFACE_INFO, (int32_t)off, 0, 0) == 0) {
    uint8_t *io = wt_io(&cap);
    if (io && cap >= 8) {
      addr = (uint32_t)io[0] | (uint32_t)io[1] << 8 | (uint32_t)io[2] << 16 | (uint32_t)io[3] << 24;
      plen = io[4];
    }
  }
  ip_str(ip, addr);
  page_len = 0;
  if (addr) pagef("wasm-tcpip %s/%u\n", ip, plen); else pagef("wasm-tcpip (no address)\n");
  page_ip6();
  pagef("uptime %u.%u s\n\nsockets:\nState       Recv-Q  Send-Q  Local Address:Port    Peer Address:Port\n", now / 1000, now / 100 % 10);
  for (int s = 0; s < SVC_COUNT; s++) if (listener[s] >= 0) page_socket(listener[s], ip);
  for (int i = 0; i < WT_SVC_CONNS; i++) if (conns[i].h >= 0) page_socket(conns[i].h, ip);
  pagef("\ncounters:\n");
  int n = wt_stat_count();
  for (int i = 0; i < n; i++) {
    uint32_t v = wt_stat(i, name, sizeof name), line = page_len;
    if (!v) continue;
    pagef("  %s", name);
    pad_to(line, 31);
    pagef("%u\n", v);
  }
  if (page_len + 2 >= sizeof page) {   /* cut at the last whole line */
    while (page_len && page[page_len - 1] != '\n') page_len--;
  }
}

static const char *reason(int code) {
  switch (code) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    default: return "Request Header Fields Too Large";
  }
}

/* Start the response to the request whose head is c->buf[0 .. head): its head (and an
 * error's short body) into c->out. 0 when it must wait for the status page buffer. */
static int http_begin(conn *c, uint32_t head, int too_large) {
  http_req r;
  if (too_large) { r.code = 431; r.keep = 0; r.head = 0; r.len = 0; r.body = BODY_NONE; }
  else parse_request(c->buf, head, &r);
  if (r.body == BODY_PAGE) {
    if (page_owner && page_owner != c) { c->wait_page = 1; return 0; }
    render_page();
    page_owner = c;
    r.len = page_len;
  }
  uint8_t *o = c->out;
  uint32_t n = 0, cap = sizeof c->out;
  const char *why = reason(r.code);
  n = append(o, n, cap, "HTTP/1.1 ");
  n = append_uint(o, n, cap, (uint32_t)r.code);
  n = append(o, n, cap, " ");
  n = append(o, n, cap, why);
  n = append(o, n, cap, r.body == BODY_PATTERN ? "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                                                : "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ");
  uint32_t err_len = 0;
  if (r.code != 200) { const char *p = why; while (*p) p++; err_len = 4 + (uint32_t)(p - why) + 1; }
  n = append_uint(o, n, cap, r.code != 200 ? err_len : r.len);
  n = append(o, n, cap, r.keep ? "\r\nConnection: keep-alive\r\nServer: wasm-tcpip\r\n" : "\r\nConnection: close\r\nServer: wasm-tcpip\r\n");
  if (r.code == 405) n = append(o, n, cap, "Allow: GET, HEAD\r\n");
  n = append(o, n, cap, "\r\n");
  if (r.code != 200 && !r.head) {
    n = append_uint(o, n, cap, (uint32_t)r.code);
    n = append(o, n, cap, " ");
    n = append(o, n, cap, why);
    n = append(o, n, cap, "\n");
  }
  c->out_off = 0;
  c->out_len = n;
  c->keep = (uint8_t)r.keep;
  c->body = r.head ? BODY_NONE : r.body;
  if (r.head && r.body == BODY_PAGE) page_owner = 0;
  c->body_len = r.len;
  c->body_sent = 0;
  c->head_len = too_large ? c->req_len : head;
  c->wait_page = 0;
  c->replying = 1;
  return 1;
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

static void http_step(conn *c);

/* The status page buffer is free again: start a response that waited for it. */
static void page_release(conn *c) {
  if (page_owner != c) return;
  page_owner = 0;
  for (int i = 0; i < WT_SVC_CONNS; i++)
    if (conns[i].h >= 0 && conns[i].wait_page && &conns[i] != c) { http_step(&conns[i]); return; }
}

/* Body bytes [body_sent, body_sent + n) of c's response into dst. */
static void body_fill(const conn *c, uint8_t *dst, uint32_t n) {
  if (c->body == BODY_PATTERN) fill_body(dst, n, c->body_sent % 251);
  else memcpy(dst, page + c->body_sent, n);
}

/* Send the response body: 1 when all of it is out, 0 when the module is full, -1 on error.
 * With the zero-copy exports the bytes are generated straight into the send ring. */
static int http_body(conn *c) {
  uint32_t cap;
  while (c->body_sent < c->body_len && c->body != BODY_NONE) {
    uint32_t left = c->body_len - c->body_sent, n;
    if (zc) {
      uint8_t *dst;
      int w = wt_tcp_reserve(c->h, &dst);
      if (w < 0) return -1;
      if (w == 0) return 0;                         /* full: Writable brings us back */
      n = left < (uint32_t)w ? left : (uint32_t)w;
      body_fill(c, dst, n);
      if (wt_tcp_commit(c->h, n) < 0) return -1;
      c->body_sent += n;
      continue;
    }
    uint8_t *io = wt_io(&cap);
    n = left < cap ? left : cap;
    body_fill(c, io, n);
    int w = wt_tcp_write_io(c->h, n);
    if (w < 0) return -1;
    c->body_sent += (uint32_t)w;   /* bytes not taken are generated again next time */
    if ((uint32_t)w < n) return 0;
  }
  return 1;
}

static void http_close(conn *c, int abort_it) {
  page_release(c);
  release(c, abort_it);
}

static void http_step(conn *c) {
  uint32_t cap;
  if (!wt_io(&cap)) return;
  for (;;) {
    if (c->draining) {   /* until the client's FIN, or 64 KiB more (then RST) */
      int r = wt_tcp_read_io(c->h, cap);
      if (r == -WT_EAGAIN) return;
      if (r <= 0 || (c->body_sent += (uint32_t)r) > 65536) { http_close(c, r != 0); return; }
      continue;
    }
    if (c->replying) {
      int f = flush(c, c->out, &c->out_off, &c->out_len);
      if (f == 0) return;
      if (f > 0) f = http_body(c);
      if (f < 0) { http_close(c, 1); return; }
      if (f == 0) return;
      if (c->body == BODY_PAGE) page_release(c);
      c->replying = 0;
      if (!c->keep) {   /* RFC 9112 §9.6 lingering close: FIN, then read what is left of the request */
        c->draining = 1;
        c->body_sent = 0;
        if (wt_tcp_shutdown(c->h) < 0) { http_close(c, 1); return; }
        continue;
      }
      memmove(c->buf, c->buf + c->head_len, c->req_len - c->head_len);  /* pipelined requests */
      c->req_len -= c->head_len;
      continue;
    }
    uint32_t e = head_end(c->buf, c->req_len);
    if (e || c->req_len == WT_SVC_BUF) {
      if (!http_begin(c, e, e == 0)) return;
      continue;
    }
    if (c->eof) { http_close(c, 0); return; }   /* the client is done and nothing is pending */
    int r = wt_tcp_read_io(c->h, WT_SVC_BUF - c->req_len < cap ? WT_SVC_BUF - c->req_len : cap);
    if (r == -WT_EAGAIN) return;
    if (r < 0) { http_close(c, 1); return; }
    if (r == 0) { c->eof = 1; continue; }
    memcpy(c->buf + c->req_len, wt_io(&cap), (uint32_t)r);
    c->req_len += (uint32_t)r;
  }
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
    memset(c, 0, offsetof(conn, out));
    c->h = h;
    c->svc = (uint8_t)svc;
    step(c, 1);
  }
}

/* 1, 2, 4, 8, ...: log the first of a kind of drop and then ever more rarely. */
static int log_this(uint32_t n) { return (n & (n - 1)) == 0; }

/* Send every queued datagram back to its sender. The datagram goes through the module's
 * I/O region: received into it and sent from it, no copy here. With IPv6 on, through
 * udpRecvFrom6/udpSendTo6: one socket echoes both families. */
static void udp_echo_drain(void) {
  char text[48];
  for (;;) {
    uint32_t size, max, port;
    const char *who;
    int r, w;
    if (udp6) {
      wt_udp_from6 from;
      r = wt_udp_recvfrom6_io(udp_echo, &from);
      if (r < 0) { if (r != -WT_EAGAIN) wt_logf("udp echo: udpRecvFrom6 = %d\n", r); return; }
      size = from.size; port = from.port; max = wt_udp_io_max6();
      who = peer_str(from.addr, text);
      /* the rest of a truncated datagram is gone: echoing a part would be wrong */
      w = size > (uint32_t)r ? 0 : wt_udp_sendto6_io(udp_echo, from.addr, from.port, (uint32_t)r);
    } else {
      wt_udp_from from;
      r = wt_udp_recvfrom_io(udp_echo, &from);
      if (r < 0) { if (r != -WT_EAGAIN) wt_logf("udp echo: udpRecvFrom = %d\n", r); return; }
      uint32_t a = from.addr;
      size = from.size; port = from.port; max = wt_udp_io_max();
      ip_str(text, a);
      who = text;
      w = size > (uint32_t)r ? 0 : wt_udp_sendto_io(udp_echo, a, from.port, (uint32_t)r);
    }
    if (size > (uint32_t)r) {
      if (log_this(++udp_too_big))
        wt_logf("udp echo: %u-byte datagram from %s:%u exceeds the %u-byte buffer, not echoed (%u so far)\n",
                size, who, port, max, udp_too_big);
      continue;
    }
    if (w < 0) {
      if (log_this(++udp_send_errors))
        wt_logf("udp echo: reply of %d bytes to %s:%u failed: %d (%u so far)\n", r, who, port, w, udp_send_errors);
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
    case WT_EV_CLOSED: case WT_EV_RESET: case WT_EV_ERROR:
      if (c->svc == SVC_HTTP) http_close(c, 0); else release(c, 0);
      break;
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
      udp6 = wt_ip6_on() && wt_has(WT_FN_UDP_RECV_FROM6) && wt_has(WT_FN_UDP_SEND_TO6);
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
