// Linux TAP device for the Node host: open /dev/net/tun as IFF_TAP|IFF_NO_PI,
// non-blocking, watched by uv_poll on Node's own event loop. On each wakeup the
// addon drains up to one batch of frames (read() until EAGAIN, a full batch or
// a full buffer) straight into a JS-owned buffer, then makes ONE JS call with the
// frame count. Frames are packed back to back; meta[i] holds frame i's length.
//
//   open(name, device?)                 -> handle   (name may be a template "wt%d")
//   name(handle)                        -> actual interface name
//   start(handle, rxBuf, meta, frameMax, cb)  cb(count, err): err = 0 or -errno
//   stop(handle)                        pause reading (start again with start)
//   write(handle, src, offset, length)  -> bytes written or -errno (frame dropped)
//   writeBatch(handle, src, meta, count)-> frames written (packed like rx)
//   stats(handle)                       -> [wakeups, framesRead, framesWritten, writeErrors]
//   close(handle)
// Errors from open are thrown with err.code = "EPERM", "ENOENT", ... .
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
#include <net/if.h>
#include <linux/if_tun.h>

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
  uint32_t *mp; size_t mcap;
  size_t frame_max;
  double wakeups, frames_in, frames_out, write_errors;
  char name[IFNAMSIZ];
} tap_t;

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

static void drop_refs(tap_t *t) {
  napi_ref *refs[] = { &t->cb, &t->rxbuf, &t->meta, &t->resource };
  for (int i = 0; i < 4; i++) if (*refs[i]) { napi_delete_reference(t->env, *refs[i]); *refs[i] = NULL; }
  if (t->ctx) { napi_async_destroy(t->env, t->ctx); t->ctx = NULL; }
}

static void on_readable(uv_poll_t *h, int status, int events) {
  tap_t *t = h->data;
  if (t->fd < 0 || !t->polling) return;
  int err = status < 0 ? status : 0;
  size_t off = 0, n = 0;
  t->wakeups++;
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
  t->frames_in += n;
  if (n == 0 && !err) return;
  if (err) { uv_poll_stop(&t->poll); t->polling = 0; }
  napi_env env = t->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
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

static void release(tap_t *t) { if (--t->refs == 0) free(t); }

static void on_poll_closed(uv_handle_t *h) { release(h->data); }

// Close the poll handle BEFORE the fd: libuv keys epoll registrations by fd number, and a
// stopped-but-open handle whose fd number is reused by a later open() would, when finally
// closed, unregister the NEW device from epoll (reads would silently stop).
static void tap_close(napi_env env, tap_t *t) {
  if (t->fd < 0) return;
  t->polling = 0;
  drop_refs(t);
  if (t->poll_init) { t->poll_init = 0; uv_close((uv_handle_t *)&t->poll, on_poll_closed); }
  close(t->fd);
  t->fd = -1;
}

static void finalize(napi_env env, void *data, void *hint) {
  tap_t *t = data;
  tap_close(env, t);
  release(t);
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 2; napi_value argv[2];
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
  int fd = open(dev, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { char w[300]; snprintf(w, sizeof w, "tap: open %s", dev); return throw_errno(env, errno, w); }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int e = errno; close(fd);
    char w[300]; snprintf(w, sizeof w, "tap: TUNSETIFF %s", name);
    return throw_errno(env, e, w);
  }
  tap_t *t = calloc(1, sizeof *t);
  if (!t) { close(fd); return throw_errno(env, ENOMEM, "tap"); }
  t->fd = fd; t->env = env; t->refs = 1;
  memcpy(t->name, ifr.ifr_name, IFNAMSIZ - 1);
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

static napi_value js_start(napi_env env, napi_callback_info info) {
  size_t argc = 5; napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = argc == 5 ? get_tap(env, argv[0]) : NULL; if (!t) return NULL;
  uint8_t *rx, *mp; size_t rxcap, mlen; uint32_t fmax; napi_valuetype ty;
  if (!get_bytes(env, argv[1], &rx, &rxcap) || !get_bytes(env, argv[2], &mp, &mlen)
      || napi_get_value_uint32(env, argv[3], &fmax) != napi_ok || fmax < 60 || fmax > rxcap || mlen < 4
      || ((uintptr_t)mp & 3) || napi_typeof(env, argv[4], &ty) != napi_ok || ty != napi_function) {
    napi_throw_error(env, "EINVAL", "tap.start(handle, rxBuf, meta: Uint32Array, frameMax <= rxBuf size, cb)");
    return NULL;
  }
  if (t->polling) uv_poll_stop(&t->poll);
  t->polling = 0;
  drop_refs(t);
  t->rx = rx; t->rxcap = rxcap; t->mp = (uint32_t *)mp; t->mcap = mlen / 4; t->frame_max = fmax;
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
  for (;;) {
    ssize_t w = write(t->fd, p, len);
    if (w >= 0) { t->frames_out++; return (int)w; }
    if (errno == EINTR) continue;
    t->write_errors++;
    return -errno;
  }
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
  size_t argc = 4; napi_value argv[4], out;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = argc == 4 ? get_tap(env, argv[0]) : NULL; if (!t) return NULL;
  uint8_t *p, *m; size_t cap, mlen; uint32_t count, done = 0;
  if (!get_bytes(env, argv[1], &p, &cap) || !get_bytes(env, argv[2], &m, &mlen) || ((uintptr_t)m & 3)
      || napi_get_value_uint32(env, argv[3], &count) != napi_ok || count > mlen / 4) {
    napi_throw_error(env, "EINVAL", "tap.writeBatch(handle, src, meta: Uint32Array, count)");
    return NULL;
  }
  const uint32_t *lens = (const uint32_t *)m;
  size_t off = 0;
  for (uint32_t i = 0; i < count; i++) {
    if (lens[i] > cap - off) { napi_throw_range_error(env, "ERANGE", "tap.writeBatch: frame outside src"); return NULL; }
    if (write_one(t, p + off, lens[i]) >= 0) done++;
    off += lens[i];
  }
  CHECK(napi_create_uint32(env, done, &out));
  return out;
}

static napi_value js_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1; napi_value argv[1], arr, v;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  tap_t *t = get_tap(env, argv[0]); if (!t) return NULL;
  double vals[4] = { t->wakeups, t->frames_in, t->frames_out, t->write_errors };
  CHECK(napi_create_array_with_length(env, 4, &arr));
  for (uint32_t i = 0; i < 4; i++) { napi_create_double(env, vals[i], &v); napi_set_element(env, arr, i, v); }
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
    { "open", js_open }, { "name", js_name }, { "start", js_start }, { "stop", js_stop },
    { "write", js_write }, { "writeBatch", js_write_batch }, { "stats", js_stats }, { "close", js_close },
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, NULL, &f);
    napi_set_named_property(env, exports, fns[i].name, f);
  }
  return exports;
}
