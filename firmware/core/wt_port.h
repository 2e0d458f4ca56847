/* What each port (board) provides to the core: the MAC, a millisecond clock, a way to
 * sleep, entropy and a console. Portable C99; the core calls nothing else of the board. */
#ifndef WT_PORT_H
#define WT_PORT_H

#include <stdint.h>

/* MAC interface: send one Ethernet frame (without FCS). 0 on success, -1 if dropped. */
int wt_mac_send(const uint8_t *frame, uint32_t len);
/* Receive one frame into buf (at most cap bytes) without blocking: its length, or 0 when
 * none is waiting. Interrupt-driven ports pop from their receive queue here. */
int wt_mac_recv(uint8_t *buf, uint32_t cap);
/* Sleep until a frame may be waiting or ms milliseconds passed (ms < 0: no deadline). */
void wt_port_wait(int32_t ms);
/* Milliseconds from any origin; wraps at 2^32 (the module compares wrap-safe). */
uint32_t wt_port_now_ms(void);
/* Fill buf with len bytes from the best random source the board has. */
void wt_port_entropy(uint8_t *buf, uint32_t len);
/* Console output of one NUL-terminated string (no newline added). */
void wt_port_puts(const char *s);
/* Unrecoverable error (module trap or abort): log and stop or reset the board. */
void wt_port_fatal(const char *why);

#endif
