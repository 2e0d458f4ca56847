/* Shared harness code: one wasm2c instance of build/testing.mcu.wasm per snapshot, a
 * virtual clock, a frame builder for the peer (198.51.100.1) of the stack (198.51.100.2),
 * tracking of what the stack transmits, and the invariants checked after every input. */
#ifndef FZ_COMMON_H
#define FZ_COMMON_H
#include <stdint.h>
#include <stddef.h>
#include "stack.h"
#include "wt_abi.h"

#define FZ_MAX_SNAPS 12
#define FZ_MAX_HANDLES 32
#define FZ_MAX_FLOWS 32
#define FZ_STACK_IP 0xC6336402u /* 198.51.100.2 */
#define FZ_PEER_IP 0xC6336401u  /* 198.51.100.1 */
#define FZ_DNS_IP 0xC6336405u   /* 198.51.100.5 (a DNS/SNTP server on the link) */

/* Harness-side state; saved and restored with the module's memory. */
typedef struct {
  uint32_t now;
  uint64_t rng;
  int32_t handles[FZ_MAX_HANDLES]; /* handles the application holds (tcpOpen/tcpAccept) */
  uint8_t errored[FZ_MAX_HANDLES]; /* an Error/Reset event was seen for it */
  uint8_t closed_quiet[FZ_MAX_HANDLES]; /* it went to CLOSED from a synchronized state */
  int nhandles;
  int32_t seen[FZ_MAX_HANDLES]; /* every TCP handle an event named */
  int nseen;
  struct { uint16_t lport, pport; uint32_t snd_hi, rcv; uint8_t used, syn; } flows[FZ_MAX_FLOWS];
  /* The last UDP datagram the stack sent, by destination port (67, 53, 123). */
  uint32_t udp_sport[3];
  uint8_t udp_head[3][48];
  uint32_t tx_count;
} fz_state;

typedef struct {
  const uint32_t *cfg; /* pairs key, value; ends with key 0xffffffff */
} fz_config;

extern Z_stack_instance_t *I;
extern fz_state S;
extern uint32_t fz_cfg_sndbuf, fz_cfg_rcvbuf, fz_cfg_iobuf; /* the I/O region (fz_io()) holds fz_cfg_iobuf bytes */
#define M(name, ...) Z_stackZ_##name(I, ##__VA_ARGS__)
static inline uint32_t fz_io(void) { return Z_stackZ_ioBuffer(I); }

/* Boot a fresh instance into snapshot slot k (configure, init, ARP exchange). */
void fz_boot(int k, const uint32_t *cfg);
void fz_save(int k);     /* snapshot the current instance (slot k's instance) */
void fz_restore(int k);  /* restore slot k and make it current */
int fz_same_slot(int k); /* select slot k without restoring */

/* Peer side. */
void fz_frame(const uint8_t *f, uint32_t len);              /* raw frame in, then poll */
void fz_tcp(uint16_t pport, uint16_t lport, uint32_t seq, uint32_t ack, uint8_t flags,
            uint16_t win, const uint8_t *opt, uint32_t optlen, const uint8_t *data, uint32_t len);
void fz_udp(uint32_t src, uint16_t sport, uint16_t dport, const uint8_t *data, uint32_t len);
void fz_udp_to(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, const uint8_t *data, uint32_t len);
void fz_l4(uint32_t dst, uint8_t proto, const uint8_t *l4, uint32_t len, int csum_off);
void fz_ip_raw(const uint8_t *ip, uint32_t len);
extern int fz_boot_addr;
extern int fz_check_payload; /* check every transmitted TCP byte against fz_wbyte */
/* The byte the application writes / the peer sends at sequence number s. */
static inline uint8_t fz_wbyte(uint32_t s) { return (uint8_t)((s * 0x9E3779B1u) >> 24) ^ 0x5a; }
static inline uint8_t fz_pbyte(uint32_t s) { return (uint8_t)((s * 2654435761u) >> 16); } /* fz_boot configures 198.51.100.2 (1, the default) or no address */
void fz_advance(uint32_t ms);                               /* clock forward, timers run */
int fz_flow(uint16_t pport, uint16_t lport);                /* flow index, -1 */
uint32_t fz_rand(void);
void fz_hold(int32_t h);
void fz_release(int32_t h);
int fz_held(int32_t h);

/* Invariants. */
void fz_fail(const char *what);
void fz_step_begin(void);
void fz_step_check(void);
void fz_final_check(void); /* close every handle, let time pass, every pool back to initial */
extern uint32_t fz_tcb0, fz_ring0, fz_udp0, fz_dns0, fz_polls;
#endif
