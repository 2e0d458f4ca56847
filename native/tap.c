// Linux TAP device for the Node host: open /dev/net/tun as IFF_TAP|IFF_NO_PI,
// non-blocking, watched by uv_poll on Node's own event loop. On each wakeup the
// addon drains up to one batch of frames (read() until EAGAIN, a full batch or
// a full buffer) straight into a JS-owned buffer, then makes ONE JS call with the
// frame count. Frames are packed back to back; meta[i] holds frame i's length.
//
//   open(name, device?, offload?)       -> handle   (name may be a template "wt%d")
//   name(handle)                        -> actual interface name
//   offload(handle)                     -> true when the device uses virtio-net headers
//   start(handle, rxBuf, meta, frameMax, cb)  cb(count, err): err = 0 or -errno
//   start(handle, memory, meta, frameMax, cb, base, size)
//                                       the same, reading into bytes [base, base + size) of a
//                                       WebAssembly.Memory (a stack's staging region: frames
//                                       land where the core reads them). Its buffer is looked up
//                                       at each wakeup (growth detaches the old one) and the range
//                                       checked against it.
//                                       Plain frames (no offload) are read through io_uring when the
//                                       kernel allows it (ring(handle)): a batch of reads into slots of
//                                       frameMax + 1 bytes per system call; a frame longer than frameMax
//                                       is then dropped and counted (rxBad).
//   stop(handle)                        pause reading (start again with start)
//   write(handle, src, offset, length)  -> bytes written or -errno (frame dropped)
//   writeBatch(handle, src, meta, count, flags?) -> frames written or thinned (packed like rx)
//   stats(handle)                       -> [wakeups, framesRead, framesWritten, writeErrors,
//                                           gsoIn, gsoOut, rxBad, acksThinned, ringCalls]
//   ring(handle)                        -> true when plain frames go through io_uring (uring.h)
//   close(handle)
//   limits                              { segMax, hdrMax, vnetHdr }: buffer sizing for offload
//   splitFrame(buf, len, gsoType, gsoSize, flags, csumStart, csumOffset, meta) -> frames
//                                       (for tests: the rx path's split/checksum on a JS buffer)
// Errors from open are thrown with err.code = "EPERM", "ENOENT", ... .
//
// Offload (open(..., true)): IFF_VNET_HDR + TUNSETOFFLOAD(CSUM|TSO4|TSO_ECN). Every frame on
// the fd then carries a struct virtio_net_hdr, which lets one syscall move a 64 KiB TCP
// super-frame each way (the syscall and the kernel's per-packet work dominate the cost):
//  - rx: the kernel may hand us a TSO super-frame (GSO_TCPV4) or a frame whose checksum
//    is only partial (NEEDS_CSUM). The driver splits super-frames into gso_size segments
//    in place (what TSO would have sent: new IP length/id/checksum, seq, FIN/PSH on the
//    last, CWR on the first) and completes every checksum, so the stack, observers and
//    pcaps only ever see ordinary, fully checksummed frames of at most the MTU. With
//    offload, start() needs meta >= limits.segMax entries and rxBuf >= frameMax +
//    limits.segMax * limits.hdrMax bytes (one read may become that many frames).
//  - tx: writeBatch with WB_GSO merges runs of consecutive full-sized segments of one
//    connection (same headers, contiguous seq, same ack/window/options; PSH/FIN only on
//    the last) into one GSO_TCPV4 write with a partial checksum (the kernel completes it
//    if it ever segments); writev() gathers the payloads where they are, no copy.
//    WB_THIN_ACKS (any mode) also drops a pure ACK that the next frame of the same
//    connection in the same batch supersedes (a pure ACK, same seq, with a larger ack or
//    the same ack and a larger window; only NOP/timestamp options): like the kernel,
//    which ACKs a GRO super-frame once. Duplicate ACKs, SACK-bearing ACKs and anything
//    with data or SYN/FIN/RST are never dropped.
//  Kernel-side captures (tcpdump on the TAP) therefore show our super-frames with
//  partial checksums; our own pcap (TapLink observers) shows the segments the stack sent.
#ifndef NAPI_VERSION
#define NAPI_VERSION 8
#endif
#include <node_api.h>
#include <uv.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <stdint.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include "uring.h"

typedef struct {
  int fd;
  int polling;
  int poll_init;   // uv_poll_init done and uv_close not yet called
  int refs;        // the JS external + the poll handle until its close callback: free at 0
  uv_poll_t poll;
  napi_env env;
  napi_ref cb, rxbuf, meta, resource;
  napi_async_context ctx;
  uint8_t *rx; size_t rxcap;
  int mem;                  // rxbuf is a WebAssembly.Memory: rx = its buffer + mem_base at each wakeup
  size_t mem_base, mem_size;
  uint32_t *mp; size_t mcap;
  size_t frame_max;
  int vnet;        // frames on the fd carry a struct virtio_net_hdr
  struct txf *txf; uint32_t txf_cap;   // writeBatch's parsed frames (grown on demand)
  double wakeups, frames_in, frames_out, write_errors;
  double gso_in, gso_out, rx_bad, acks_thinned, ring_calls;
  char name[IFNAMSIZ];
  // Plain frames (no offload): a batch of reads or writes in one io_uring_enter (uring.h);
  // ring.fd < 0 without one. Reads go to slots of frame_max + 1 bytes, packed back to back
  // afterwards (a frame longer than frame_max is dropped, rx_bad); `stash` holds a frame the
  // ring's probe took at open (delivered first).
  uring_t ring;
  uint8_t *stash; int stash_len;
} tap_t;

#define VNET_HDR_LEN ((int)sizeof(struct virtio_net_hdr))
// A super-frame splits into at most SEG_MAX segments (gso_size >= 48, the kernel's
// smallest MSS) of at most HDR_MAX header bytes each: rx buffers in offload mode keep
// that much room free for each read.
#define SEG_MAX (65535 / 48 + 1)
#define HDR_MAX (14 + 60 + 60)
#define WB_GSO 1
#define WB_THIN_ACKS 2
#define GSO_IOV_MAX 66     // vnet header + merged headers + up to 64 payloads
#define GSO_SEGS_MAX 64

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, "EINVAL", #call " failed"); return NULL; } } while (0)

static napi_value throw_errno(napi_env env, int err, const char *what) {
  char msg[256];
  const char *hint = err == EPERM || err == EACCES ? " (needs root or CAP_NET_ADMIN)"
                   : err == ENOENT ? " (no TUN/TAP support: modprobe tun)" : "";
  snprintf(msg, sizeof msg, "%s: %s%s", what, strerror(err), hint);
  napi_value code, m, e;
  napi_create_string_utf8(env, err == EPERM ? "EPERM" : err == EACCES ? "EACCES" : err == ENOENT ? "ENOENT"
                          : err == EBUSY ? "EBUSY" : err == EINVAL ? "EINVAL" : "EIO", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &m);
  napi_create_error(env, code, m, &e);
  napi_value n; napi_create_int32(env, -err, &n);
  napi_set_named_property(env, e, "errno", n);
  napi_throw(env, e);
  return NULL;
}

static tap_t *get_tap(napi_env env, napi_value v) {
  tap_t *t = NULL;
  if (napi_get_value_external(env, v, (void **)&t) != napi_ok || !t || t->fd < 0) {
    napi_throw_error(env, "EBADF", "tap: not an open TAP handle");
    return NULL;
  }
  return t;
}

// Bytes of an ArrayBuffer, Buffer or typed array (offset into the view included).
static int get_bytes(napi_env env, napi_value v, uint8_t **p, size_t *len) {
  bool is;
  if (napi_is_arraybuffer(env, v, &is) == napi_ok && is)
    return napi_get_arraybuffer_info(env, v, (void **)p, len) == napi_ok;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type ty; size_t n, off; napi_value ab; void *d;
    if (napi_get_typedarray_info(env, v, &ty, &n, &d, &ab, &off) != napi_ok) return 0;
    size_t el = ty == napi_uint32_array || ty == napi_int32_array || ty == napi_float32_array ? 4
              : ty == napi_uint16_array || ty == napi_int16_array ? 2
              : ty == napi_float64_array || ty == napi_bigint64_array || ty == napi_biguint64_array ? 8 : 1;
    *p = d; *len = n * el;
    return 1;
  }
  return 0;
}

#define STASH_CAP (65535 + 14 + 4 + 1)

static void drop_refs(tap_t *t) {
  napi_ref *refs[] = { &t->cb, &t->rxbuf, &t->meta, &t->resource };
  for (int i = 0; i < 4; i++) if (*refs[i]) { napi_delete_reference(t->env, *refs[i]); *refs[i] = NULL; }
  if (t->ctx) { napi_async_destroy(t->env, t->ctx); t->ctx = NULL; }
}

// --- Internet checksum (RFC 1071) over bytes in memory order -----------------------
// Sums native-endian 32-bit loads; the folded 16-bit result, stored back in native
// order, is the checksum in network order (RFC 1071 §2(B): byte-order independence).

static uint64_t csum_add(uint64_t acc, const uint8_t *p, size_t len) {
  while (len >= 16) {
    uint32_t a, b, c, d;
    memcpy(&a, p, 4); memcpy(&b, p + 4, 4); memcpy(&c, p + 8, 4); memcpy(&d, p + 12, 4);
    acc += (uint64_t)a + b + c + d;
    p += 16; len -= 16;
  }
  while (len >= 4) { uint32_t a; memcpy(&a, p, 4); acc += a; p += 4; len -= 4; }
  if (len >= 2) { uint16_t a; memcpy(&a, p, 2); acc += a; p += 2; len -= 2; }
  if (len) { uint8_t last[2] = { *p, 0 }; uint16_t a; memcpy(&a, last, 2); acc += a; }
  return acc;
}

static uint16_t csum_fold(uint64_t acc) {
  while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
  return (uint16_t)acc;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = (uint8_t)v; }
static void wr32(uint8_t *p, uint32_t v) { p[0] = v >> 24; p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v; }
/** Store ~sum. A UDP checksum of 0 means "none", so UDP sends 0xffff instead (RFC 768); TCP keeps 0. */
static void put_csum(uint8_t *p, uint16_t folded, int udp) { uint16_t v = (uint16_t)~folded; if (!v && udp) v = 0xffff; memcpy(p, &v, 2); }

/** Sum of the TCP/UDP pseudo-header (RFC 9293 §3.1) for an IPv4 header at ip. */
static uint64_t pseudo_sum(const uint8_t *ip, uint8_t proto, uint16_t l4len) {
  uint8_t ph[12];
  memcpy(ph, ip + 12, 8);
  ph[8] = 0; ph[9] = proto; wr16(ph + 10, l4len);
  return csum_add(0, ph, 12);
}

static void ip_csum(uint8_t *ip, int ihl) {
  ip[10] = ip[11] = 0;
  uint16_t v = (uint16_t)~csum_fold(csum_add(0, ip, (size_t)ihl));
  memcpy(ip + 10, &v, 2);
}

/** Header lengths of an untagged IPv4/TCP frame (ihl, thl), or 0 when it is not one. */
static int tcp4_hdrs(const uint8_t *f, size_t len, int *ihl, int *thl) {
  if (len < 14 + 20 + 20 || f[12] != 0x08 || f[13] != 0x00 || (f[14] >> 4) != 4 || f[23] != 6) return 0;
  *ihl = (f[14] & 15) * 4;
  if (*ihl < 20 || len < (size_t)14 + *ihl + 20) return 0;
  *thl = (f[14 + *ihl + 12] >> 4) * 4;
  if (*thl < 20 || len < (size_t)14 + *ihl + *thl) return 0;
  if (rd16(f + 16) < *ihl + *thl || (size_t)14 + rd16(f + 16) > len) return 0;
  return 1;
}

// --- rx: complete partial checksums, split super-frames -----------------------------

/** NEEDS_CSUM: sum from csum_start to the end (the field holds the pseudo-header sum). */
static int finish_csum(uint8_t *f, size_t len, const struct virtio_net_hdr *vh) {
  size_t start = vh->csum_start, at = start + vh->csum_offset;
  int ip4 = len >= 34 && f[12] == 0x08 && f[13] == 0x00;
  if (ip4 && (size_t)14 + rd16(f + 16) < len) len = (size_t)14 + rd16(f + 16);  // not the padding
  if (start >= len || at + 2 > len) return 0;
  put_csum(f + at, csum_fold(csum_add(0, f + start, len - start)), ip4 && f[23] == 17);
  return 1;
}

/**
 * Split a GSO_TCPV4 super-frame at f (len bytes) in place into segments of gso_size
 * payload bytes, each with its own headers and full checksums; lens[i] gets segment i's
 * length. Needs room >= segments * headers + payload. Returns the segment count, 0 when
 * the frame is malformed or does not fit.
 */
static size_t gso_split(uint8_t *f, size_t len, const struct virtio_net_hdr *vh, uint32_t *lens,
                        size_t max_segs, size_t room) {
  int ihl, thl;
  if (!tcp4_hdrs(f, len, &ihl, &thl)) return 0;
  size_t H = 14 + (size_t)ihl + thl, mss = vh->gso_size;
  size_t payload = (size_t)14 + rd16(f + 16) - H;  // the IP length, not trailing padding
  if (mss == 0) return 0;
  size_t segs = payload ? (payload + mss - 1) / mss : 1;
  if (segs > max_segs || segs * H + payload > room) return 0;
  uint8_t *ip0 = f + 14, *th0 = ip0 + ihl;
  uint16_t id0 = rd16(ip0 + 4);
  uint32_t seq0 = rd32(th0 + 4);
  uint8_t flags0 = th0[13];
  for (size_t k = segs; k-- > 0;) {   // last first: each move goes to a higher address
    size_t plen = k == segs - 1 ? payload - k * mss : mss;
    uint8_t *d = f + k * (H + mss);
    if (k > 0) {
      memmove(d + H, f + H + k * mss, plen);
      memcpy(d, f, H);
    }
    uint8_t *ip = d + 14, *th = ip + ihl;
    wr16(ip + 2, (uint16_t)(ihl + thl + plen));
    wr16(ip + 4, (uint16_t)(id0 + k));
    ip_csum(ip, ihl);
    wr32(th + 4, seq0 + (uint32_t)(k * mss));
    uint8_t fl = flags0;
    if (k != segs - 1) fl &= (uint8_t)~0x09;  // FIN, PSH only on the last segment
    if (k != 0) fl &= (uint8_t)~0x80;         // CWR only on the first
    th[13] = fl;
    th[16] = th[17] = 0;
    put_csum(th + 16, csum_fold(csum_add(pseudo_sum(ip, 6, (uint16_t)(thl + plen)), th, (size_t)thl + plen)), 0);
    lens[k] = (uint32_t)(H + plen);
  }
  return segs;
}

/**
 * One read in offload mode: the virtio-net header goes aside, the frame lands at dst and
 * is completed/split there. Returns the frames produced (0 = dropped as malformed), or
 * -errno / -EAGAIN from readv. *used gets the bytes they occupy.
 */
static ssize_t read_vnet(tap_t *t, uint8_t *dst, size_t room, uint32_t *lens, size_t max_segs, size_t *used) {
  struct virtio_net_hdr vh;
  struct iovec iov[2] = { { &vh, sizeof vh }, { dst, room } };
  ssize_t r = readv(t->fd, iov, 2);
  if (r < 0) return -errno;
  *used = 0;
  if (r < VNET_HDR_LEN) { t->rx_bad++; return 0; }
  size_t len = (size_t)r - VNET_HDR_LEN;
  if ((vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4) {
    size_t n = gso_split(dst, len, &vh, lens, max_segs, room);
    if (n == 0) { t->rx_bad++; return 0; }
    t->gso_in++;
    for (size_t i = 0; i < n; i++) *used += lens[i];
    return (ssize_t)n;
  }
  if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE || ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !finish_csum(dst, len, &vh))) {
    t->rx_bad++;
    return 0;
  }
  lens[0] = (uint32_t)len;
  *used = len;
  return 1;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  tap_t *t = h->data;
  if (t->fd < 0 || !t->polling) return;
  int err = status < 0 ? status : 0;
  size_t off = 0, n = 0;
  t->wakeups++;
  napi_env env = t->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  if (t->mem && !err) {
    // the memory's current buffer (growth replaces it); the region must lie inside it
    napi_value m, buf; void *data = NULL; size_t blen = 0;
    if (napi_get_reference_value(env, t->rxbuf, &m) != napi_ok || napi_get_named_property(env, m, "buffer", &buf) != napi_ok
        || napi_get_arraybuffer_info(env, buf, &data, &blen) != napi_ok || data == NULL
        || t->mem_base > blen || t->mem_size > blen - t->mem_base) {
      err = -EFAULT;
    } else {
      t->rx = (uint8_t *)data + t->mem_base;
      t->rxcap = t->mem_size;
    }
  }
  if (t->vnet) {
    // Each read may become up to SEG_MAX frames of up to HDR_MAX more bytes each.
    while (!err && n + SEG_MAX <= t->mcap && t->rxcap - off >= t->frame_max + SEG_MAX * HDR_MAX) {
      size_t used = 0;
      ssize_t k = read_vnet(t, t->rx + off, t->rxcap - off, t->mp + n, t->mcap - n, &used);
      if (k < 0) {
        if (k == -EINTR) continue;
        if (k != -EAGAIN) err = (int)k;
        break;
      }
      n += (size_t)k;
      off += used;
    }
  } else {
    if (t->stash_len > 0 && !err && n < t->mcap && t->rxcap - off >= (size_t)t->stash_len) {
      memcpy(t->rx + off, t->stash, (size_t)t->stash_len);  // the frame the probe took at open
      t->mp[n++] = (uint32_t)t->stash_len;
      off += (size_t)t->stash_len;
      t->stash_len = 0;
    }
    // io_uring: a batch of reads into slots in one call, the frames then packed back to back
    size_t slot = t->frame_max + 1;
    while (!err && t->ring.fd >= 0 && n < t->mcap && t->rxcap - off >= slot) {
      uint8_t *bufs[URING_MAX]; uint32_t lens[URING_MAX]; int res[URING_MAX];
      size_t k = (t->rxcap - off) / slot;
      if (k > t->mcap - n) k = t->mcap - n;
      if (k > URING_MAX) k = URING_MAX;
      for (size_t i = 0; i < k; i++) { bufs[i] = t->rx + off + i * slot; lens[i] = (uint32_t)slot; }
      if (uring_run(&t->ring, IORING_OP_READ, t->fd, bufs, lens, (unsigned)k, res) < 0) break;  // ring gone: read() below
      t->ring_calls++;
      int more = 1;
      for (size_t i = 0; i < k; i++) {
        if (res[i] < 0) {
          more = 0;
          if (res[i] != -EAGAIN && res[i] != -EINTR && !err) err = res[i];
          continue;
        }
        if ((size_t)res[i] > t->frame_max) { t->rx_bad++; continue; }  // longer than frameMax (cut short at the slot): dropped
        if (t->rx + off != bufs[i]) memmove(t->rx + off, bufs[i], (size_t)res[i]);
        t->mp[n++] = (uint32_t)res[i];
        off += (size_t)res[i];
      }
      if (!more) goto delivered;
    }
    while (!err && n < t->mcap && t->rxcap - off >= t->frame_max) {
      ssize_t r = read(t->fd, t->rx + off, t->rxcap - off);
      if (r < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN) err = -errno;
        break;
      }
      t->mp[n++] = (uint32_t)r;
      off += (size_t)r;
    }
  }
delivered:
  t->frames_in += n;
  if (n == 0 && !err) { napi_close_handle_scope(env, scope); return; }
  if (err) { uv_poll_stop(&t->poll); t->polling = 0; }
  napi_value cb, res, argv[2], ret;
  napi_get_reference_value(env, t->cb, &cb);
  napi_get_reference_value(env, t->resource, &res);
  napi_create_uint32(env, (uint32_t)n, &argv[0]);
  napi_create_int32(env, err, &argv[1]);
  if (napi_make_callback(env, t->ctx, res, cb, 2, argv, &ret) == napi_pending_exception) {
    napi_value ex;
    napi_get_and_clear_last_exception(env, &ex);
    napi_fatal_exception(env, ex);
  }
  napi_close_handle_scope(env, scope);
}

static void release(tap_t *t) { if (--t->refs == 0) { free(t->txf); free(t->stash); free(t); } }

static void on_poll_closed(uv_handle_t *h) { release(h->data); }

// Close the poll handle BEFORE the fd: libuv keys epoll registrations by fd number, and a
// stopped-but-open handle whose fd number is reused by a later open() would, when finally
// closed, unregister the NEW device from epoll (reads would silently stop).
static void tap_close(napi_env env, tap_t *t) {
  if (t->fd < 0) return;
  t->polling = 0;
  drop_refs(t);
  if (t->poll_init) { t->poll_init = 0; uv_close((uv_handle_t *)&t->poll, on_poll_closed); }
  uring_free(&t->ring);
  close(t->fd);
  t->fd = -1;
}

static void finalize(napi_env env, void *data, void *hint) {
  tap_t *t = data;
  tap_close(env, t);
  release(t);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 3; napi_value argv[3];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  char name[IFNAMSIZ + 1] = {0}, dev[256] = "/dev/net/tun";
  size_t len = 0;
  if (argc < 1 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok)
    return throw_errno(env, EINVAL, "tap: name must be a string");
  if (len == 0 || len >= IFNAMSIZ) return throw_errno(env, EINVAL, "tap: interface name must be 1..15 bytes");
  napi_valuetype dt = napi_undefined;
  if (argc > 1) napi_typeof(env, argv[1], &dt);
  if (dt != napi_undefined && dt != napi_null && napi_get_value_string_utf8(env, argv[1], dev, sizeof dev, &len) != napi_ok)
    return throw_errno(env, EINVAL, "tap: device must be a string");
  bool offload = false;
  if (argc > 2) napi_get_value_bool(env, argv[2], &offload);  // anything but true: off
  int fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { char w[300]; snprintf(w, sizeof w, "tap: open %s", dev); return throw_errno(env, errno, w); }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  memcpy(ifr.ifr_name, name, strlen(name));
  int hdrsz = VNET_HDR_LEN;
  if (ioctl(fd, TUNSETIFF, &ifr) < 0 || (offload && ioctl(fd, TUNSETVNETHDRSZ, &hdrsz) < 0)) {
    int e = errno; close(fd);
    char w[300]; snprintf(w, sizeof w, "tap: TUNSETIFF %s", name);
    return throw_errno(env, e, w);
  }
  // Without TUNSETOFFLOAD the kernel sends only plain frames (still behind a vnet header).
  if (offload) ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN);
  tap_t *t = calloc(1, sizeof *t);
  if (!t) { close(fd); return throw_errno(env, ENOMEM, "tap"); }
  t->fd = fd; t->env = env; t->refs = 1; t->vnet = offload;
  memcpy(t->name, ifr.ifr_name, IFNAMSIZ - 1);
  t->ring.fd = -1;
  // Plain frames move one per system call: batch them through io_uring unless the kernel
  // refuses it or WASM_TCPIP_TAP_URING=0 (then the read()/write() loops, as with offload).
  const char *ur = getenv("WASM_TCPIP_TAP_URING");
  if (!offload && !(ur && strcmp(ur, "0") == 0) && (t->stash = malloc(STASH_CAP)) != NULL) {
    int got = -EAGAIN;
    if (uring_init(&t->ring, fd, t->stash, STASH_CAP, &got) == 0 && got > 0) t->stash_len = got;
  }
  napi_value ext;
  if (napi_create_external(env, t, finalize, NULL, &ext) != napi_ok) { close(fd); free(t); return throw_errno(env, ENOMEM, "tap"); }
  return ext;
}

static napi_value js_name(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = get_tap(env, argv[0]); if (!t) return NULL;
  CHECK(napi_create_string_utf8(env, t->name, NAPI_AUTO_LENGTH, &out));
  return out;
}

static napi_value js_offload(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = get_tap(env, argv[0]); if (!t) return NULL;
  CHECK(napi_get_boolean(env, t->vnet != 0, &out));
  return out;
}

static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 7; napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = argc == 5 || argc == 7 ? get_tap(env, argv[0]) : NULL; if (!t) return NULL;
  uint8_t *rx, *mp; size_t rxcap, mlen; uint32_t fmax; napi_valuetype ty;
  int mem = argc == 7;
  uint32_t base = 0, size = 0;
  if (mem) {
    // a WebAssembly.Memory and a range of it, checked against its buffer now and at every wakeup
    napi_value buf; void *data = NULL; size_t blen = 0;
    if (napi_get_value_uint32(env, argv[5], &base) != napi_ok || napi_get_value_uint32(env, argv[6], &size) != napi_ok
        || napi_get_named_property(env, argv[1], "buffer", &buf) != napi_ok
        || napi_get_arraybuffer_info(env, buf, &data, &blen) != napi_ok || base > blen || size > blen - base) {
      napi_throw_range_error(env, "ERANGE", "tap.start: [base, base + size) must lie inside memory.buffer");
      return NULL;
    }
    rx = (uint8_t *)data + base; rxcap = size;
  }
  if ((!mem && !get_bytes(env, argv[1], &rx, &rxcap)) || !get_bytes(env, argv[2], &mp, &mlen)
      || napi_get_value_uint32(env, argv[3], &fmax) != napi_ok || fmax < 60 || fmax > rxcap || mlen < 4
      || ((uintptr_t)mp & 3) || napi_typeof(env, argv[4], &ty) != napi_ok || ty != napi_function) {
    napi_throw_error(env, "EINVAL", "tap.start(handle, rxBuf, meta: Uint32Array, frameMax <= rxBuf size, cb)");
    return NULL;
  }
  if (t->vnet && (mlen / 4 < SEG_MAX || rxcap < fmax + (size_t)SEG_MAX * HDR_MAX)) {
    napi_throw_error(env, "EINVAL", "tap.start: with offload, meta needs limits.segMax entries and rxBuf "
                     "frameMax + limits.segMax * limits.hdrMax bytes at least");
    return NULL;
  }
  if (t->polling) uv_poll_stop(&t->poll);
  t->polling = 0;
  drop_refs(t);
  t->rx = rx; t->rxcap = rxcap; t->mp = (uint32_t *)mp; t->mcap = mlen / 4; t->frame_max = fmax;
  t->mem = mem; t->mem_base = base; t->mem_size = size;
  napi_value res, rname;
  CHECK(napi_create_object(env, &res));
  CHECK(napi_create_string_utf8(env, "wasm-tcpip:tap", NAPI_AUTO_LENGTH, &rname));
  CHECK(napi_async_init(env, res, rname, &t->ctx));
  CHECK(napi_create_reference(env, argv[4], 1, &t->cb));
  CHECK(napi_create_reference(env, argv[1], 1, &t->rxbuf));
  CHECK(napi_create_reference(env, argv[2], 1, &t->meta));
  CHECK(napi_create_reference(env, res, 1, &t->resource));
  if (!t->poll_init) {
    uv_loop_t *loop;
    CHECK(napi_get_uv_event_loop(env, &loop));
    int r = uv_poll_init(loop, &t->poll, t->fd);
    if (r < 0) return throw_errno(env, -r, "tap: uv_poll_init");
    t->poll.data = t;
    t->poll_init = 1;
    // Like a node:net socket's handle, the device alone does not keep the process alive:
    // sockets, servers and lookups on the stack hold it (src/net.ts holdRaw).
    uv_unref((uv_handle_t *)&t->poll);
    t->refs++;
  }
  int r = uv_poll_start(&t->poll, UV_READABLE, on_readable);
  if (r < 0) return throw_errno(env, -r, "tap: uv_poll_start");
  t->polling = 1;
  return NULL;
}

static napi_value js_stop(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = get_tap(env, argv[0]); if (!t) return NULL;
  if (t->polling) uv_poll_stop(&t->poll);
  t->polling = 0;
  return NULL;
}

static int write_one(tap_t *t, const uint8_t *p, size_t len) {
  static const struct virtio_net_hdr plain;  // no offload requested: all zero
  for (;;) {
    ssize_t w;
    if (t->vnet) {
      struct iovec iov[2] = { { (void *)&plain, sizeof plain }, { (void *)p, len } };
      w = writev(t->fd, iov, 2);
      if (w >= VNET_HDR_LEN) w -= VNET_HDR_LEN;
    } else {
      w = write(t->fd, p, len);
    }
    if (w >= 0) { t->frames_out++; return (int)w; }
    if (errno == EINTR) continue;
    t->write_errors++;
    return -errno;
  }
}

// --- tx: merge segments into GSO super-frames, thin superseded ACKs ----------------

typedef struct txf {
  const uint8_t *f;
  uint32_t len;
  int tcp;          // an IPv4/TCP frame we understand
  int ihl, thl;
  uint32_t payload; // TCP payload bytes
} txf_t;

static void txf_parse(txf_t *x, const uint8_t *f, uint32_t len) {
  x->f = f; x->len = len;
  x->tcp = tcp4_hdrs(f, len, &x->ihl, &x->thl) && x->ihl == 20 && (rd16(f + 20) & 0x3fff) == 0;  // no options, unfragmented
  x->payload = x->tcp ? rd16(f + 16) - (uint32_t)(x->ihl + x->thl) : 0;
}

static const uint8_t *txf_th(const txf_t *x) { return x->f + 14 + x->ihl; }

/** Same Ethernet + IP header (but length/id/checksum) and same ports as a. */
static int same_flow(const txf_t *a, const txf_t *b) {
  const uint8_t *p = a->f, *q = b->f;
  return memcmp(p, q, 14) == 0 && p[14] == q[14] && p[15] == q[15] && memcmp(p + 20, q + 20, 4) == 0
      && memcmp(p + 26, q + 26, 8) == 0 && memcmp(txf_th(a), txf_th(b), 4) == 0;
}

/** b continues the super-frame that starts with a and holds `bytes` payload bytes so far. */
static int gso_mergeable(const txf_t *a, const txf_t *b, uint32_t bytes) {
  const uint8_t *ta = txf_th(a), *tb = txf_th(b);
  return b->tcp && b->thl == a->thl && b->payload > 0 && b->payload <= a->payload
      && 20 + a->thl + bytes + b->payload <= 65535
      && same_flow(a, b)
      && rd32(tb + 4) == rd32(ta + 4) + bytes                         // contiguous
      && memcmp(ta + 8, tb + 8, 4) == 0 && memcmp(ta + 14, tb + 14, 2) == 0  // ack, window
      && (tb[13] & ~0x09) == 0x10                                     // ACK (+PSH/FIN)
      && (a->thl == 20 || memcmp(ta + 20, tb + 20, (size_t)a->thl - 20) == 0);  // options
}

/** Write frames x[0..k) as one GSO_TCPV4 super-frame (x[0] a full-sized data segment). */
static int write_gso(tap_t *t, const txf_t *x, int k) {
  uint8_t hdr[HDR_MAX];
  const txf_t *a = &x[0];
  size_t H = 14 + (size_t)a->ihl + a->thl;
  uint32_t total = 0;
  struct virtio_net_hdr vh;
  struct iovec iov[GSO_IOV_MAX];
  memcpy(hdr, a->f, H);
  iov[0].iov_base = &vh; iov[0].iov_len = sizeof vh;
  iov[1].iov_base = hdr; iov[1].iov_len = H;
  for (int i = 0; i < k; i++) {
    iov[2 + i].iov_base = (void *)(x[i].f + H);
    iov[2 + i].iov_len = x[i].payload;
    total += x[i].payload;
  }
  uint8_t *ip = hdr + 14, *th = ip + a->ihl;
  wr16(ip + 2, (uint16_t)(a->ihl + a->thl + total));
  ip_csum(ip, a->ihl);
  th[13] = txf_th(&x[k - 1])[13];  // PSH/FIN of the last segment
  uint16_t ps = csum_fold(pseudo_sum(ip, 6, (uint16_t)(a->thl + total)));
  memcpy(th + 16, &ps, 2);          // partial checksum: the kernel (or nobody, locally) completes it
  memset(&vh, 0, sizeof vh);
  vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
  vh.hdr_len = (uint16_t)H;
  vh.gso_size = (uint16_t)a->payload;
  vh.csum_start = (uint16_t)(14 + a->ihl);
  vh.csum_offset = 16;
  for (;;) {
    ssize_t w = writev(t->fd, iov, 2 + k);
    if (w >= 0) { t->frames_out += k; t->gso_out++; return k; }
    if (errno == EINTR) continue;
    t->write_errors++;
    return 0;
  }
}

/** A pure ACK (flags exactly ACK, no payload) whose options are only NOP/EOL/timestamps. */
static int pure_ack(const txf_t *x) {
  if (!x->tcp || x->payload != 0 || txf_th(x)[13] != 0x10) return 0;
  const uint8_t *o = txf_th(x) + 20, *end = txf_th(x) + x->thl;
  while (o < end) {
    if (*o == 0) break;
    if (*o == 1) { o++; continue; }
    if (*o != 8 || o + 1 >= end || o[1] != 10) return 0;
    o += 10;
  }
  return 1;
}

/**
 * x[i] is a pure ACK that the next frame of the same connection in x[i+1..n) supersedes:
 * a pure ACK with the same seq and a larger ack, or the same ack and a larger window (a
 * window update); and x[i] is not itself a duplicate of the connection's previous ACK in
 * this batch (duplicate ACKs all count: RFC 5681 §3.2).
 */
static int ack_superseded(const txf_t *x, uint32_t i, uint32_t n) {
  if (!pure_ack(&x[i])) return 0;
  const uint8_t *ti = txf_th(&x[i]);
  for (uint32_t j = i; j-- > 0;) {
    if (!x[j].tcp || !same_flow(&x[i], &x[j])) continue;
    if (pure_ack(&x[j]) && rd32(txf_th(&x[j]) + 8) == rd32(ti + 8)) return 0;
    break;
  }
  for (uint32_t j = i + 1; j < n; j++) {
    if (!x[j].tcp || !same_flow(&x[i], &x[j])) continue;
    const uint8_t *tj = txf_th(&x[j]);
    if (!pure_ack(&x[j]) || rd32(tj + 4) != rd32(ti + 4)) return 0;  // something else of this flow came between
    int32_t newer = (int32_t)(rd32(tj + 8) - rd32(ti + 8));
    if (newer > 0) return 1;                                          // strictly newer ack
    return newer == 0 && rd16(tj + 14) > rd16(ti + 14);               // same ack, larger window: a window update
  }
  return 0;
}

static napi_value js_write(napi_env env, napi_callback_info info) {
  size_t argc = 4; napi_value argv[4], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = argc >= 2 ? get_tap(env, argv[0]) : NULL; if (!t) return NULL;
  uint8_t *p; size_t cap; uint32_t off = 0, len;
  if (!get_bytes(env, argv[1], &p, &cap)) { napi_throw_error(env, "EINVAL", "tap.write: src must be an ArrayBuffer or view"); return NULL; }
  len = (uint32_t)cap;
  if (argc >= 3) CHECK(napi_get_value_uint32(env, argv[2], &off));
  if (argc >= 4) CHECK(napi_get_value_uint32(env, argv[3], &len));
  else len = off <= cap ? (uint32_t)(cap - off) : 0;
  if ((size_t)off > cap || (size_t)len > cap - off) { napi_throw_range_error(env, "ERANGE", "tap.write: frame outside src"); return NULL; }
  CHECK(napi_create_int32(env, write_one(t, p + off, len), &out));
  return out;
}

static napi_value js_write_batch(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = argc >= 4 ? get_tap(env, argv[0]) : NULL; if (!t) return NULL;
  uint8_t *p, *m; size_t cap, mlen; uint32_t count, flags = 0, done = 0;
  if (!get_bytes(env, argv[1], &p, &cap) || !get_bytes(env, argv[2], &m, &mlen) || ((uintptr_t)m & 3)
      || napi_get_value_uint32(env, argv[3], &count) != napi_ok || count > mlen / 4
      || (argc >= 5 && napi_get_value_uint32(env, argv[4], &flags) != napi_ok)) {
    napi_throw_error(env, "EINVAL", "tap.writeBatch(handle, src, meta: Uint32Array, count, flags?)");
    return NULL;
  }
  const uint32_t *lens = (const uint32_t *)m;
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (lens[i] > cap - off) { napi_throw_range_error(env, "ERANGE", "tap.writeBatch: frame outside src"); return NULL; }
    off += lens[i];
  }
  int gso = (flags & WB_GSO) && t->vnet, thin = flags & WB_THIN_ACKS;
  if (!gso && !thin) {
    off = 0;
    uint32_t i = 0;
    // io_uring: up to URING_MAX frames per call (plain frames only: no virtio-net header to add)
    while (!t->vnet && t->ring.fd >= 0 && i < count) {
      uint8_t *bufs[URING_MAX]; int res[URING_MAX];
      unsigned k = count - i < URING_MAX ? count - i : URING_MAX;
      size_t o = off;
      for (unsigned j = 0; j < k; j++) { bufs[j] = p + o; o += lens[i + j]; }
      if (uring_run(&t->ring, IORING_OP_WRITE, t->fd, bufs, lens + i, k, res) < 0) break;  // ring gone: write() below
      t->ring_calls++;
      for (unsigned j = 0; j < k; j++) {
        if (res[j] >= 0) { t->frames_out++; done++; } else t->write_errors++;
      }
      i += k;
      off = o;
    }
    for (; i < count; i++) { if (write_one(t, p + off, lens[i]) >= 0) done++; off += lens[i]; }
    CHECK(napi_create_uint32(env, done, &out));
    return out;
  }
  if (count > t->txf_cap) {
    txf_t *nx = realloc(t->txf, count * sizeof *nx);
    if (!nx) return throw_errno(env, ENOMEM, "tap.writeBatch");
    t->txf = nx; t->txf_cap = count;
  }
  txf_t *x = t->txf;
  off = 0;
  for (uint32_t i = 0; i < count; i++) { txf_parse(&x[i], p + off, lens[i]); off += lens[i]; }
  for (uint32_t i = 0; i < count;) {
    if (thin && ack_superseded(x, i, count)) { t->acks_thinned++; done++; i++; continue; }
    if (gso && x[i].tcp && x[i].payload > 0 && txf_th(&x[i])[13] == 0x10) {
      uint32_t k = 1, bytes = x[i].payload;
      while (k < GSO_SEGS_MAX && i + k < count && x[i + k - 1].payload == x[i].payload
             && txf_th(&x[i + k - 1])[13] == 0x10 && gso_mergeable(&x[i], &x[i + k], bytes)) {
        bytes += x[i + k].payload;
        k++;
      }
      if (k > 1) { done += (uint32_t)write_gso(t, x + i, (int)k); i += k; continue; }
    }
    if (write_one(t, x[i].f, x[i].len) >= 0) done++;
    i++;
  }
  CHECK(napi_create_uint32(env, done, &out));
  return out;
}

// For tests: what rx does to one frame read with a virtio-net header, on a JS buffer.
// splitFrame(buf, len, gsoType, gsoSize, flags, csumStart, csumOffset, meta) -> frames (0 = dropped)
static napi_value js_split_frame(napi_env env, napi_callback_info info) {
  size_t argc = 8; napi_value argv[8], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint8_t *p, *m; size_t cap, mlen; uint32_t v[6];
  int ok = argc == 8 && get_bytes(env, argv[0], &p, &cap) && get_bytes(env, argv[7], &m, &mlen) && !((uintptr_t)m & 3);
  for (int i = 0; ok && i < 6; i++) ok = napi_get_value_uint32(env, argv[1 + i], &v[i]) == napi_ok;
  if (!ok || v[0] > cap) { napi_throw_error(env, "EINVAL", "tap.splitFrame(buf, len, gsoType, gsoSize, flags, csumStart, csumOffset, meta)"); return NULL; }
  struct virtio_net_hdr vh = { .flags = (uint8_t)v[3], .gso_type = (uint8_t)v[1], .gso_size = (uint16_t)v[2],
                               .csum_start = (uint16_t)v[4], .csum_offset = (uint16_t)v[5] };
  size_t n;
  if ((vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_TCPV4) n = gso_split(p, v[0], &vh, (uint32_t *)m, mlen / 4, cap);
  else if (vh.gso_type != VIRTIO_NET_HDR_GSO_NONE || mlen < 4) n = 0;
  else if ((vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && !finish_csum(p, v[0], &vh)) n = 0;
  else { ((uint32_t *)m)[0] = v[0]; n = 1; }
  CHECK(napi_create_uint32(env, (uint32_t)n, &out));
  return out;
}

static napi_value js_ring(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = get_tap(env, argv[0]); if (!t) return NULL;
  CHECK(napi_get_boolean(env, t->ring.fd >= 0, &out));
  return out;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], arr, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = get_tap(env, argv[0]); if (!t) return NULL;
  double vals[9] = { t->wakeups, t->frames_in, t->frames_out, t->write_errors,
                     t->gso_in, t->gso_out, t->rx_bad, t->acks_thinned, t->ring_calls };
  CHECK(napi_create_array_with_length(env, 9, &arr));
  for (uint32_t i = 0; i < 9; i++) { napi_create_double(env, vals[i], &v); napi_set_element(env, arr, i, v); }
  return arr;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], (void **)&t) != napi_ok || !t) {
    napi_throw_error(env, "EBADF", "tap.close: not a TAP handle");
    return NULL;
  }
  tap_close(env, t);  // idempotent; memory is released by the finalizer
  return NULL;
}

NAPI_MODULE_INIT() {
  struct { const char *name; napi_callback fn; } fns[] = {
    { "open", js_open }, { "name", js_name }, { "offload", js_offload }, { "start", js_start }, { "stop", js_stop },
    { "write", js_write }, { "writeBatch", js_write_batch }, { "splitFrame", js_split_frame }, { "stats", js_stats }, { "ring", js_ring }, { "close", js_close },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  napi_value limits, v;
  napi_create_object(env, &limits);
  napi_create_uint32(env, SEG_MAX, &v); napi_set_named_property(env, limits, "segMax", v);
  napi_create_uint32(env, HDR_MAX, &v); napi_set_named_property(env, limits, "hdrMax", v);
  napi_create_uint32(env, VNET_HDR_LEN, &v); napi_set_named_property(env, limits, "vnetHdr", v);
  napi_set_named_property(env, exports, "limits", limits);
  return exports;
}
