/* IPv6 for C hosts (docs/abi.md "IPv6"): the address table decoded, addresses as text
 * (RFC 5952), and the Ip6AddrState / Ip6DadFailed events turned into console lines.
 * The core turns IPv6 on with Cfg Ip6Enable before wt_init; a module built without IPv6
 * (build/stack.mcu.wasm, --use WT_IPV6=0) answers ip6AddrInfo with -ENOSYS, and then
 * wt_ip6_start says so and the port runs IPv4 only. Call from the main loop's task only. */
#ifndef WT_IP6_H
#define WT_IP6_H

#include <stdint.h>

/* ip6AddrInfo's states and origins (the tables in docs/abi.md). */
enum { WT_IP6_FREE = 0, WT_IP6_TENTATIVE = 1, WT_IP6_PREFERRED = 2, WT_IP6_DEPRECATED = 3, WT_IP6_DUPLICATE = 4 };
enum { WT_IP6_LINK_LOCAL = 1, WT_IP6_SLAAC = 2, WT_IP6_STATIC = 3 };

#define WT_IP6_STR 46   /* the longest text form with its NUL (RFC 4291 §2.2 with an IPv4 tail) */

typedef struct {
  uint32_t state, origin, prefix_len;
  uint32_t valid_left, preferred_left;  /* seconds; 0xffffffff = infinite */
  uint8_t addr[16];                     /* network order */
} wt_ip6_addr;

/* The address table's entry `index` (0 .. Ip6Addrs - 1). 0, -WT_EINVAL past the table,
 * -WT_ENOSYS when the module has no IPv6 (or it is off). */
int wt_ip6_addr_get(int index, wt_ip6_addr *out);
/* addr as text into out (WT_IP6_STR bytes): RFC 5952 (lower case, the longest run of two or more
 * zero groups as ::, the first of equal runs); ::ffff:a.b.c.d for IPv4-mapped ones. Its length. */
uint32_t wt_ip6_str(const uint8_t addr[16], char *out);
/* "tentative", "preferred", ... and "link-local", "slaac", "static". */
const char *wt_ip6_state_name(uint32_t state);
const char *wt_ip6_origin_name(uint32_t origin);

/* Take the Ip6AddrState and Ip6DadFailed events (after wt_init) and log every address as it
 * changes state:
 *   ip6 preferred fe80::1c2a:93ff:fe4e:7d10/64 (link-local)
 *   ip6 preferred 2001:db8:1:0:1c2a:93ff:fe4e:7d10/64 (slaac)
 *   ip6 deprecated ... / ip6 removed ... / ip6 duplicate ... (DAD found it in use)
 *   ip6 tentative ...                  (only when verbose)
 * 0 when IPv6 is on, -WT_ENOSYS when the module has no IPv6 or Ip6Enable was 0 (nothing taken). */
int wt_ip6_start(int verbose);
/* Non-zero once wt_ip6_start found IPv6 on. */
int wt_ip6_on(void);

/* RFC 7217 secret_key (16 bytes) for the stable IPv6 addresses (ip6SetSecret): kept by the
 * board across reboots, it gives the device the same addresses on every boot. Before wt_init
 * (so that the link-local address formed at init uses it) the bytes pass through the top 16
 * bytes of linear memory, which nothing uses until init reserves the pools; after it, through
 * the I/O region (then only addresses formed later use it). 0 or -WT_E*. */
int wt_ip6_set_secret(const uint8_t key[16]);
/* The port's hook: fill key with the board's stored secret and return 1, or return 0 when it
 * keeps none (the module's key from wt_port_entropy is used: new addresses every boot). A weak
 * default returning 0 is linked when the port has none. */
int wt_port_ip6_secret(uint8_t key[16]);
/* Before wt_init: ask the port (wt_port_ip6_secret) and pass its secret on. 1 when one was set,
 * 0 when the port keeps none, -WT_E* on failure. */
int wt_ip6_secret_load(void);

#endif
