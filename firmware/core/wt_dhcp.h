/* The core's DHCP client (RFC 2131 + RFC 5227, docs/abi.md "DHCP client") for C hosts:
 * start, stop (with or without DHCPRELEASE), the lease decoded, and the DhcpState event
 * turned into bound / renewed / lost calls to the application. Call from the main loop's
 * task only. Needs the dhcpStart/dhcpStop/dhcpInfo and ifaceInfo exports. */
#ifndef WT_DHCP_H
#define WT_DHCP_H

#include <stdint.h>

/* dhcpInfo's state numbers (the table in docs/abi.md). */
enum {
  WT_DHCP_STOPPED = 0, WT_DHCP_INIT = 1, WT_DHCP_SELECTING = 2, WT_DHCP_REQUESTING = 3,
  WT_DHCP_CHECKING = 4, WT_DHCP_BOUND = 5, WT_DHCP_RENEWING = 6, WT_DHCP_REBINDING = 7,
  WT_DHCP_INIT_REBOOT = 8, WT_DHCP_REBOOTING = 9, WT_DHCP_STATES = 10
};

#define WT_DHCP_DNS_MAX 3

typedef struct {
  uint32_t state;        /* WT_DHCP_* */
  uint32_t address;      /* host order; 0 = none */
  uint32_t prefix_len;
  uint32_t router;       /* 0 = none */
  uint32_t server_id;
  uint32_t lease_secs;   /* 0xffffffff = infinite */
  uint32_t t1_left, t2_left, lease_left;  /* seconds */
  uint32_t retries, declines;
  uint32_t dns[WT_DHCP_DNS_MAX];          /* the interface's DNS servers (option 6), 0 = unset */
} wt_dhcp_lease;

/* What happened, for the application's callback. */
typedef enum {
  WT_DHCP_EV_STATE,    /* any other state change (SELECTING, REQUESTING, ...) */
  WT_DHCP_EV_BOUND,    /* a new lease is in use (from INIT, INIT-REBOOT or after a loss) */
  WT_DHCP_EV_RENEWED,  /* back to BOUND from RENEWING or REBINDING: the lease was extended */
  WT_DHCP_EV_LOST,     /* left BOUND/RENEWING/REBINDING without wt_dhcp_stop (expiry, NAK): the address is gone */
  WT_DHCP_EV_RELEASED  /* wt_dhcp_stop(1) sent a DHCPRELEASE for the lease (called from wt_dhcp_stop) */
} wt_dhcp_event;

typedef void (*wt_dhcp_fn)(wt_dhcp_event ev, const wt_dhcp_lease *lease);

/* Start the client; fn (may be 0) gets every change. Takes the DhcpState events (the
 * others on no handle still reach the default handler). 0 or -WT_E* (dhcpStart's). */
int wt_dhcp_start(wt_dhcp_fn fn);
/* Stop: release != 0 sends a DHCPRELEASE when a lease is held (and forgets the address;
 * the callback gets RELEASED); 0 keeps the address for INIT-REBOOT at the next start. No
 * LOST call follows. 0 or -WT_E*. */
int wt_dhcp_stop(int release);
/* The current lease and state. 0 or -WT_E*. */
int wt_dhcp_info(wt_dhcp_lease *out);
/* "BOUND", "INIT-REBOOT", ... ("?" for an unknown number). */
const char *wt_dhcp_state_name(uint32_t state);
/* The console line every port prints for ev (a wt_dhcp_fn can call it):
 *   bound 198.51.100.57/24 router 198.51.100.1 dns 198.51.100.1 lease 120s
 *   renewed 198.51.100.57/24 router ... lease 120s
 *   lease lost: 198.51.100.57 (DHCP state INIT)
 *   released 198.51.100.57
 *   dhcp: SELECTING                (other states, only when verbose) */
void wt_dhcp_log(wt_dhcp_event ev, const wt_dhcp_lease *lease, int verbose);

#endif
