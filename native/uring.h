// A minimal io_uring for tap.c (raw syscalls, no liburing): runs a batch of plain reads or
// writes on one file descriptor in ONE io_uring_enter instead of one read()/write() each.
//
// Why: on a TAP without offloads every frame is one read() or write(), and on machines with
// page-table isolation a bare system call costs about a microsecond (getppid: 1.15 us on the
// benchmark VM) — as much as the stack's own work on a frame. Every request carries RWF_NOWAIT,
// so io_uring issues it inline, in submission order, during the io_uring_enter call: a read with
// nothing queued completes at once with -EAGAIN, a write to a TAP never waits. (O_NONBLOCK on the
// descriptor is not enough: io_uring arms a read of a pollable file to complete later — a probe
// on Linux 6.18 saw exactly that.) uring_run() returns only when every request of the batch has
// completed, so no buffer is touched by the kernel once it returns.
//
// When the kernel refuses io_uring (ENOSYS, EPERM under seccomp, io_uring_disabled), or a probe
// shows a read would not complete inline, uring_init() fails and tap.c keeps its read()/write()
// loops.
#ifndef WT_URING_H
#define WT_URING_H
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/io_uring.h>
#include <linux/fs.h>   // RWF_NOWAIT

/** Requests per io_uring_enter at most (the ring's submission queue). */
#define URING_MAX 256u

typedef struct {
  int fd;  // -1: none
  unsigned *sq_head, *sq_tail, *sq_mask, *sq_array;
  unsigned *cq_head, *cq_tail, *cq_mask;
  struct io_uring_sqe *sqes;
  struct io_uring_cqe *cqes;
  void *sq_map, *cq_map, *sqe_map;
  size_t sq_len, cq_len, sqe_len;
} uring_t;

static void uring_free(uring_t *u) {
  if (u->fd < 0) return;
  if (u->sqe_map) munmap(u->sqe_map, u->sqe_len);
  if (u->cq_map && u->cq_map != u->sq_map) munmap(u->cq_map, u->cq_len);
  if (u->sq_map) munmap(u->sq_map, u->sq_len);
  close(u->fd);
  memset(u, 0, sizeof *u);
  u->fd = -1;
}

/** Fill the submission entry for position `pos` of the queue: a read or write of `len` bytes at `buf`, tagged `tag`. */
static void uring_put(uring_t *u, unsigned pos, uint8_t op, int fd, uint8_t *buf, uint32_t len, unsigned tag) {
  unsigned idx = pos & *u->sq_mask;
  struct io_uring_sqe *s = &u->sqes[idx];
  memset(s, 0, sizeof *s);
  s->opcode = op;
  s->fd = fd;
  s->addr = (uint64_t)(uintptr_t)buf;
  s->len = len;
  s->off = (uint64_t)-1;     // the file's own position (a TAP has none)
  s->rw_flags = RWF_NOWAIT;  // complete now: data or -EAGAIN, never armed to finish later
  s->user_data = tag;
  u->sq_array[idx] = idx;
}

/**
 * Run `n` (<= URING_MAX) requests of opcode `op` (IORING_OP_READ / IORING_OP_WRITE) on `fd`:
 * request i on bufs[i], lens[i] bytes; res[i] gets its result (bytes, or -errno). Returns 0,
 * or -errno when the ring itself failed (then res[] is not filled and the ring is closed).
 */
static int uring_run(uring_t *u, uint8_t op, int fd, uint8_t *const *bufs, const uint32_t *lens, unsigned n, int *res) {
  unsigned tail = *u->sq_tail;  // only this thread writes it
  for (unsigned i = 0; i < n; i++) uring_put(u, tail++, op, fd, bufs[i], lens[i], i);
  __atomic_store_n(u->sq_tail, tail, __ATOMIC_RELEASE);
  unsigned got = 0;
  while (got < n) {
    unsigned pending = tail - __atomic_load_n(u->sq_head, __ATOMIC_ACQUIRE);
    long r = syscall(__NR_io_uring_enter, u->fd, pending, n - got, IORING_ENTER_GETEVENTS, NULL, 0);
    if (r < 0 && errno != EINTR) { int e = errno; uring_free(u); return -e; }
    unsigned head = *u->cq_head, ctail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
    for (; head != ctail; head++) {
      const struct io_uring_cqe *c = &u->cqes[head & *u->cq_mask];
      if (c->user_data < n) { res[c->user_data] = c->res; got++; }
    }
    __atomic_store_n(u->cq_head, head, __ATOMIC_RELEASE);
  }
  return 0;
}

/**
 * Set up a ring for the O_NONBLOCK descriptor `fd` and probe it: one read into `probe` (`cap`
 * bytes) must complete inside the call. 0 with *got = -EAGAIN (nothing was queued) or the
 * length of a frame the probe took (the caller delivers it first); or -errno: no ring, use
 * read()/write(). `probe` must stay allocated as long as the descriptor is open.
 */
static int uring_init(uring_t *u, int fd, uint8_t *probe, uint32_t cap, int *got) {
  memset(u, 0, sizeof *u);
  u->fd = -1;
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_SUBMIT_ALL;
  int rfd = (int)syscall(__NR_io_uring_setup, URING_MAX, &p);
  if (rfd < 0 && errno == EINVAL) { memset(&p, 0, sizeof p); rfd = (int)syscall(__NR_io_uring_setup, URING_MAX, &p); }
  if (rfd < 0) return -errno;
  u->fd = rfd;
  u->sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  u->cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  int single = (p.features & IORING_FEAT_SINGLE_MMAP) != 0;
  if (single) u->sq_len = u->cq_len = u->sq_len > u->cq_len ? u->sq_len : u->cq_len;
  u->sq_map = mmap(NULL, u->sq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_SQ_RING);
  if (u->sq_map == MAP_FAILED) { u->sq_map = NULL; uring_free(u); return -ENOMEM; }
  u->cq_map = single ? u->sq_map : mmap(NULL, u->cq_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_CQ_RING);
  if (u->cq_map == MAP_FAILED) { u->cq_map = NULL; uring_free(u); return -ENOMEM; }
  u->sqe_len = p.sq_entries * sizeof(struct io_uring_sqe);
  u->sqe_map = mmap(NULL, u->sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, rfd, IORING_OFF_SQES);
  if (u->sqe_map == MAP_FAILED) { u->sqe_map = NULL; uring_free(u); return -ENOMEM; }
  uint8_t *sq = u->sq_map, *cq = u->cq_map;
  u->sq_head = (unsigned *)(sq + p.sq_off.head);
  u->sq_tail = (unsigned *)(sq + p.sq_off.tail);
  u->sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  u->sq_array = (unsigned *)(sq + p.sq_off.array);
  u->cq_head = (unsigned *)(cq + p.cq_off.head);
  u->cq_tail = (unsigned *)(cq + p.cq_off.tail);
  u->cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  u->cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);
  u->sqes = u->sqe_map;
  // The probe: submit one read and do NOT wait. Completed inside the call (a frame or -EAGAIN):
  // the ring is usable. Not completed (the kernel armed it to finish later): give the ring up;
  // closing it cancels the request (and `probe` outlives the descriptor anyway).
  uring_put(u, *u->sq_tail, IORING_OP_READ, fd, probe, cap, 0);
  __atomic_store_n(u->sq_tail, *u->sq_tail + 1, __ATOMIC_RELEASE);
  long r;
  do r = syscall(__NR_io_uring_enter, rfd, 1, 0, IORING_ENTER_GETEVENTS, NULL, 0); while (r < 0 && errno == EINTR);
  unsigned head = *u->cq_head, ctail = __atomic_load_n(u->cq_tail, __ATOMIC_ACQUIRE);
  if (r != 1 || head == ctail) { uring_free(u); return -EOPNOTSUPP; }
  int pr = u->cqes[head & *u->cq_mask].res;
  __atomic_store_n(u->cq_head, head + 1, __ATOMIC_RELEASE);
  if (pr < 0 && pr != -EAGAIN) { uring_free(u); return pr; }
  *got = pr;
  return 0;
}
#endif
