/* The module's ABI as seen from C: export ids, configuration keys, error codes,
 * event kinds and TCP states. Mirrors assembly/abi.ts, assembly/errors.ts and
 * assembly/config.ts (docs/abi.md is the contract). Portable C99, no board here. */
#ifndef WT_ABI_H
#define WT_ABI_H

#include <stdint.h>

/* Every exported function the hosts call. The engine maps each id to the export of
 * the same name (wt_fn_name) with wt_fn_arity i32 parameters and one i32 result
 * (functions without a result return 0 through the engine). */
typedef enum {
  WT_FN_CONFIGURE, WT_FN_INIT, WT_FN_RX_BUFFER, WT_FN_INPUT, WT_FN_POLL,
  WT_FN_STATS_PTR, WT_FN_STAT_COUNT, WT_FN_STAT_NAMES, WT_FN_POOL_BYTES,
  WT_FN_IO_BUFFER, WT_FN_TCP_OPEN, WT_FN_TCP_BIND, WT_FN_TCP_LISTEN, WT_FN_TCP_ACCEPT,
  WT_FN_TCP_CONNECT, WT_FN_TCP_WRITE, WT_FN_TCP_READ, WT_FN_TCP_SHUTDOWN, WT_FN_TCP_CLOSE,
  WT_FN_TCP_ABORT, WT_FN_TCP_STATE, WT_FN_TCP_INFO, WT_FN_TCP_SET_OPTION,
  WT_FN_COUNT
} wt_fn;

/* Configuration keys (assembly/config.ts Cfg). */
enum {
  WT_CFG_MAC_HI = 0, WT_CFG_MAC_LO = 1, WT_CFG_IPV4_ADDR = 2, WT_CFG_PREFIX_LEN = 3,
  WT_CFG_GATEWAY = 4, WT_CFG_MTU = 5, WT_CFG_MAX_SOCKETS = 6, WT_CFG_SND_BUF = 7,
  WT_CFG_RCV_BUF = 8, WT_CFG_ARP_ENTRIES = 9, WT_CFG_ARP_QUEUE = 10,
  WT_CFG_TIME_WAIT_ENTRIES = 11, WT_CFG_MSL_MS = 12, WT_CFG_RTO_MIN_MS = 13,
  WT_CFG_RTO_MAX_MS = 14, WT_CFG_RTO_INITIAL_MS = 15, WT_CFG_DEL_ACK_MS = 16,
  WT_CFG_SYN_BACKLOG = 17, WT_CFG_KEEP_IDLE_MS = 18, WT_CFG_KEEP_INTVL_MS = 19,
  WT_CFG_KEEP_COUNT = 20, WT_CFG_ARP_TIMEOUT_MS = 21, WT_CFG_SYN_RETRIES = 22,
  WT_CFG_DATA_RETRIES = 23, WT_CFG_FEATURES = 24, WT_CFG_IO_BUF = 25, WT_CFG_MSS = 26,
  WT_CFG_RING_PAIRS = 27, WT_CFG_MCAST_GROUPS = 28, WT_CFG_COUNT = 29
};

/* Error codes, returned negated (assembly/errors.ts Err). */
enum {
  WT_OK = 0, WT_EINVAL = 1, WT_ENOMEM = 2, WT_EBADF = 3, WT_EADDRINUSE = 4,
  WT_ECONNREFUSED = 5, WT_ECONNRESET = 6, WT_ETIMEDOUT = 7, WT_ENOTCONN = 8,
  WT_EISCONN = 9, WT_EPIPE = 10, WT_EAGAIN = 11, WT_EALREADY = 12,
  WT_EOPNOTSUPP = 13, WT_EHOSTUNREACH = 14, WT_ESTATE = 15, WT_EADDRNOTAVAIL = 16
};

/* Kinds of the event(sock, kind, arg) import (assembly/errors.ts EventKind). */
enum {
  WT_EV_READABLE = 1, WT_EV_WRITABLE = 2, WT_EV_CONNECTED = 3, WT_EV_ACCEPTED = 4,
  WT_EV_CLOSED = 5, WT_EV_RESET = 6, WT_EV_ERROR = 7, WT_EV_STATE = 8,
  WT_EV_ECHO_REPLY = 9, WT_EV_ADDRESS_CHANGED = 10
};

/* TCP states (RFC 9293 names; numbers used by tcpState and State events). */
enum {
  WT_TCP_CLOSED = 0, WT_TCP_LISTEN = 1, WT_TCP_SYN_SENT = 2, WT_TCP_SYN_RECEIVED = 3,
  WT_TCP_ESTABLISHED = 4, WT_TCP_FIN_WAIT_1 = 5, WT_TCP_FIN_WAIT_2 = 6,
  WT_TCP_CLOSE_WAIT = 7, WT_TCP_CLOSING = 8, WT_TCP_LAST_ACK = 9, WT_TCP_TIME_WAIT = 10
};

/* Export names and arities, indexed by wt_fn (defined in wt_core.c). */
extern const char *const wt_fn_name[WT_FN_COUNT];
extern const uint8_t wt_fn_arity[WT_FN_COUNT];

#endif
