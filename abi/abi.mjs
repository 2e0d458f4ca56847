// THE declaration of the module's ABI: the one place where imports, exports, error codes,
// event kinds, TCP states, config keys (with defaults), tcpSetOption options and the
// tcpInfo layout are written down. Plain data, no logic.
//
// `npm run gen:abi` (abi/gen.mjs) turns it into:
//   src/abi.ts                 the TypeScript binding (constants, the Exports interface)
//   assembly/abi-consts.ts     the AssemblyScript const enums (Err, EventKind, TcpState, Cfg,
//                              TcpOpt, TcpInfoField) and the config defaults
//   firmware/core/wt_abi.h     the C constants and the X-macro list of exports the C core calls
//   docs/abi.md                the tables between <!-- BEGIN GENERATED abi:... --> markers
// test/abi.test.ts fails when a generated file is stale or when build/*.wasm disagree with
// this file (export names, arities, imports, exported enum values).
//
// Types are the AssemblyScript parameter types (i32, u32, usize); every one is a wasm i32.
// Names are the AssemblyScript/TypeScript names; C names are derived (camelCase ->
// WT_<PREFIX>_UPPER_SNAKE) unless an entry gives `c`.

/** Bumped on any incompatible change (a number or a signature changes, an export goes). */
export const ABI_VERSION = 3; // 3: tcpTimeWaitList rows carry the family and 16-byte addresses (48 bytes)

/**
 * Imports, module "env". Every host provides all of them even if a build does not import
 * one (the optimizer drops unused imports). `debugOnly`: only the debug build imports it.
 */
export const imports = [
  {
    name: "tx", params: [["ptr", "usize"], ["len", "i32"]], result: null,
    doc: "send one Ethernet frame of `len` bytes (no FCS) held at `ptr`. The bytes are only valid during the call: copy them or transmit synchronously.",
  },
  {
    name: "entropy", params: [["ptr", "usize"], ["len", "i32"]], result: null,
    doc: "fill `len` bytes at `ptr` from a random source (ISN secret, ephemeral ports). Tests use a seeded PRNG so runs are reproducible.",
  },
  {
    name: "event", params: [["sock", "i32"], ["kind", "i32"], ["arg", "i32"]], result: null,
    doc: "wake the host: something happened (see event kinds). Must not call back into the module.",
  },
  {
    name: "abort", params: [["msg", "usize"], ["file", "usize"], ["line", "u32"], ["col", "u32"]], result: null,
    debugOnly: true,
    doc: "AssemblyScript's abort (only reachable in the debug build; release builds use `noAssert`). `msg`/`file` are strings (see \"Strings\"). Throw / reset.",
  },
];

/**
 * Exported functions, in the order of the docs tables. `section` picks the table in
 * docs/abi.md (a new section needs a marker pair there, see "Adding an export").
 * `firmware: true`: the C core calls it (wt_call up to 3 parameters, wt_callv up to 5); it gets a
 * WT_FN_* id, an entry in every engine's table and survives the AOT build's dead-code pass.
 */
export const functions = [
  // --- core ---
  {
    name: "configure", section: "core", firmware: true, params: [["key", "i32"], ["value", "u32"]], result: "i32",
    doc: "set a config key (below); 0, `-EINVAL` (unknown key), `-ESTATE` (after init)",
  },
  {
    name: "init", section: "core", firmware: true, params: [], result: "i32",
    doc: "reserve pools, start the interface; 0, `-ENOMEM` (a bad config value or out of memory), `-ESTATE` (twice)",
  },
  {
    name: "rxBuffer", section: "core", firmware: true, params: [], result: "usize",
    doc: "where the host writes one received frame (capacity MTU + 14 bytes)",
  },
  {
    name: "input", section: "core", firmware: true, params: [["len", "i32"], ["now", "u32"]], result: null,
    doc: "process the frame of `len` bytes at `rxBuffer()`. A `len` above MTU + 14 is dropped (`eth_too_long`); bad frames never trap, they are counted",
  },
  {
    name: "rxStaging", section: "core", params: [], result: "usize",
    doc: "address of the host staging region (`RxStaging` bytes; 0 when none): the host keeps received frames there (its own layout, e.g. frames in flight on a link or a batch of reads) and hands each to `inputAt` without copying it again",
  },
  {
    name: "inputAt", section: "core", params: [["ptr", "usize"], ["len", "i32"], ["now", "u32"]], result: "i32",
    doc: "process the frame of `len` bytes at `ptr` inside the staging region (as `input`; the frame is read during the call only). 0; `-EINVAL` when `len` < 0 or [ptr, ptr + len) is not inside the staging region (counted, `rx_bad_frame_ref`); `-ESTATE` before `init`; `-ENOSYS` in builds without WT_SCALE (the MCU builds, where `rxStaging` is 0)",
  },
  {
    name: "ackBatch", section: "core", params: [["on", "i32"], ["now", "u32"]], result: "i32",
    doc: "`on` = 1 starts a batch of received frames, 0 ends it (`now`: the clock, as `clock` takes it, for the timestamps the ACKs sent then carry). Within a batch the ACK a connection owes for every second full-sized segment in order (RFC 5681 §4.2) is held, with its ACK number and the timestamp it echoes; the end sends the held ACKs in order, each offering the space free in the receive buffer then, measured from its own ACK number (never less than the window already offered). A host that reads frames in batches ends one after the application read what it delivered: the ACKs are the same, their windows include what those reads freed and the edge moves on by what each acknowledges (a read's own window update is not sent). Anything else a connection sends first sends its held ACKs; more than 256 held sends them all; `poll` ends a batch left open. Returns the ACKs sent (0 on start); `-ENOSYS` in builds without WT_SCALE (the MCU builds)",
  },
  {
    name: "poll", section: "core", firmware: true, params: [["now", "u32"]], result: "i32",
    doc: "run ARP and TCP timers; ms until the next deadline, -1 for none",
  },
  {
    name: "clock", section: "core", firmware: true, params: [["now", "u32"]], result: null,
    doc: "advance the core's clock to `now` (ms, the clock `input`/`poll` get) without running timers; an earlier `now` is ignored; before `init` too. Hosts call it before an API call made outside `input`/`poll`, so timers that call arms start from the true time (the Node `Stack` and the C `wt_call` do it for every call)",
  },
  {
    name: "ping", section: "core", params: [["dst", "u32"], ["id", "i32"], ["seq", "i32"], ["len", "i32"], ["now", "u32"]], result: "i32",
    doc: "send an ICMP echo request to `dst` (host order) with `len` data bytes (0, 1, 2, ... mod 256). 0, `-EINVAL` (len < 0 or > MTU - 28), `-EHOSTUNREACH` (no route, ARP queue full), `-ESTATE` (before init). A reply raises `event(-1, EchoReply, seq)`",
  },
  {
    name: "statsPtr", section: "core", firmware: true, params: [], result: "usize",
    doc: "address of `statCount()` u32 counters, in the order of the counters table (names come from the generated `STAT_NAMES` / `WT_STATS`, not from the module)",
  },
  { name: "statCount", section: "core", firmware: true, params: [], result: "i32", doc: "number of counters" },
  {
    name: "poolBytes", section: "core", firmware: true, params: [], result: "i32",
    doc: "bytes reserved by init (the memory footprint beyond static data)",
  },

  // --- tcp (assembly/sockets.ts) ---
  {
    name: "tcpOpen", section: "tcp", firmware: true, params: [], result: "i32",
    doc: "a new CLOSED socket handle; `-ENOMEM` (pool full), `-ESTATE` (before init)",
  },
  {
    name: "tcpBind", section: "tcp", firmware: true, params: [["h", "i32"], ["port", "i32"]], result: "i32",
    doc: "local port; 0 = random free ephemeral port in 49152-65535 (RFC 6056 §3.3.1). `-EADDRINUSE`, `-EINVAL` (bound already, out of range, not CLOSED)",
  },
  {
    name: "tcpListen", section: "tcp", firmware: true, params: [["h", "i32"], ["backlog", "i32"]], result: "i32",
    doc: "LISTEN with an accept queue of `backlog` (1-1024); binds an ephemeral port if unbound. Half-open connections per listener are bounded by `SynBacklog`; past it SYN cookies (Features bit 3) or a counted drop (`tcp_syn_backlog_full`)",
  },
  {
    name: "tcpAccept", section: "tcp", firmware: true, params: [["h", "i32"]], result: "i32",
    doc: "the oldest established connection as a new handle, or `-EAGAIN`; `-EINVAL` on a non-listener",
  },
  {
    name: "tcpConnect", section: "tcp", firmware: true, params: [["h", "i32"], ["ip", "u32"], ["port", "i32"]], result: "i32",
    doc: "active open (SYN now). 0, then `Connected` or `Error(ECONNREFUSED/ETIMEDOUT)`. Unbound sockets get an RFC 6056 §3.3.3 port. `-EALREADY` (SYN-SENT), `-EISCONN`, `-EOPNOTSUPP` (listener), `-EINVAL` (ip 0/broadcast, port 0), `-ENOMEM` (every ring pair is held by a connection: no SYN sent, the socket stays CLOSED and may connect again later), `-EADDRNOTAVAIL` (no local address; or, unbound, every ephemeral port bound or held by a TIME-WAIT entry: a port in TIME-WAIT is not chosen whatever its peer; at once, without a search)",
  },
  {
    name: "ioBuffer", section: "tcp", firmware: true, params: [], result: "usize",
    doc: "address of the host I/O scratch region (`IoBuf` bytes, default 65536); the host writes payload here for `tcpWrite` and reads it after `tcpRead` (any in-memory pointer works)",
  },
  {
    name: "tcpWrite", section: "tcp", firmware: true, params: [["h", "i32"], ["ptr", "usize"], ["len", "i32"]], result: "i32",
    doc: "bytes queued (may be < len; 0 when the send ring is full, `Writable` follows when ACKs free space). Allowed in SYN-SENT/SYN-RECEIVED (sent once established), ESTABLISHED, CLOSE-WAIT. `-EPIPE` after shutdown/close, `-ENOTCONN` before connect, the connection's error (`-ECONNRESET`...) after it failed",
  },
  {
    name: "tcpRead", section: "tcp", firmware: true, params: [["h", "i32"], ["ptr", "usize"], ["len", "i32"]], result: "i32",
    doc: "bytes copied; 0 = EOF (peer's FIN received and all data read); `-EAGAIN` nothing yet; `-EOPNOTSUPP` on a listener; `-ECONNRESET`/... after a failure with nothing left",
  },
  {
    name: "tcpPeek", section: "tcp", firmware: true, params: [["h", "i32"], ["out", "usize"]], result: "i32",
    doc: "zero-copy receive: view the unread bytes in the receive ring in place. Writes u32 ptr, len, more at `out` (the first contiguous run, and the bytes after the ring wraps, which a second peek after `tcpConsume` shows) and returns len (> 0); otherwise as `tcpRead` (0 = EOF, `-EAGAIN`, ...); `-EINVAL` when `out` is outside memory. The view stays valid until a call that may consume or free the socket's data (`tcpConsume`, `tcpRead`, `tcpClose`, `tcpAbort`, `input`, `poll`); `tcpReserve`/`tcpCommit` leave it valid (an echo copies ring to ring)",
  },
  {
    name: "tcpConsume", section: "tcp", firmware: true, params: [["h", "i32"], ["n", "i32"]], result: "i32",
    doc: "mark the first `n` unread bytes read (after `tcpPeek`; the window update follows as for `tcpRead`): 0; `-EINVAL` when n < 0 or more than are unread; `-EOPNOTSUPP` on a listener",
  },
  {
    name: "tcpReserve", section: "tcp", firmware: true, params: [["h", "i32"], ["out", "usize"]], result: "i32",
    doc: "zero-copy send: writes at `out` the u32 address of the free space at the send ring's tail and returns how many bytes of it are contiguous (the rest of the free space follows at the ring's start: reserve again after `tcpCommit`). 0 when the ring is full (`Writable` follows when ACKs free space). Errors as `tcpWrite` (`-EPIPE`, `-ENOTCONN`, the connection's error, ...); `-EINVAL` when `out` is outside memory. Write the bytes there, then `tcpCommit`, before a call that may free the socket (`tcpClose`, `tcpAbort`, `input`, `poll`)",
  },
  {
    name: "tcpCommit", section: "tcp", firmware: true, params: [["h", "i32"], ["n", "i32"]], result: "i32",
    doc: "make the first `n` bytes of the space `tcpReserve` showed sendable: exactly what `tcpWrite` of those bytes does (the same state rules, Nagle/cork and output). 0; `-EINVAL` when n < 0 or more than the contiguous free space; errors as `tcpWrite`",
  },
  {
    name: "tcpShutdown", section: "tcp", firmware: true, params: [["h", "i32"]], result: "i32",
    doc: "half-close the write side: FIN after queued data (ESTABLISHED -> FIN-WAIT-1, CLOSE-WAIT -> LAST-ACK; in SYN-SENT/SYN-RECEIVED the FIN waits for the handshake); idempotent; `-ENOTCONN` otherwise",
  },
  {
    name: "tcpClose", section: "tcp", firmware: true, params: [["h", "i32"]], result: "i32",
    doc: "graceful close; the stack releases the handle when the connection reaches CLOSED or TIME-WAIT (TIME-WAIT then lives in a compact table, not in a TCB). Closing with unread received data sends a RST instead (RFC 2525 §2.17), and so does new data arriving after the close (FIN-WAIT-1/2: RST, the connection is freed, `tcp_rst_data_after_close`); `tcpShutdown` keeps receiving. A listener's unaccepted connections are reset",
  },
  {
    name: "tcpAbort", section: "tcp", firmware: true, params: [["h", "i32"]], result: "i32",
    doc: "RST (in synchronized states) and release the handle at once",
  },
  {
    name: "tcpState", section: "tcp", firmware: true, params: [["h", "i32"]], result: "i32",
    doc: "TcpState number (table below)",
  },
  {
    name: "tcpInfo", section: "tcp", firmware: true, params: [["h", "i32"], ["out", "usize"]], result: "i32",
    doc: "the tcpInfo fields (table below), one u32 each, at `out`",
  },
  {
    name: "tcpSetOption", section: "tcp", firmware: true, params: [["h", "i32"], ["opt", "i32"], ["value", "i32"]], result: "i32",
    doc: "set a socket option (TcpOpt table below); `-EINVAL` for an unknown option or a value out of range",
  },
  {
    name: "tcpSizes", section: "tcp", params: [["out", "usize"]], result: "i32",
    doc: "two u32: bytes of one TCB (256) and of one TIME-WAIT entry (44); both hold 16-byte, IPv6-capable remote addresses",
  },
  {
    name: "tcpTimeWaitList", section: "tcp", params: [["out", "usize"], ["max", "i32"]], result: "i32",
    doc: "the compact TIME-WAIT entries (connections whose handle is gone): up to `max` rows of 48 bytes at `out` (the timeWaitRow fields below: ports, ms left, family, then the local and remote addresses, 16 bytes each), the entries in use only (the scale build walks its deadline list, oldest first); returns rows written (at most `TimeWaitEntries`). `-EINVAL` for `max` < 0 or the rows outside linear memory",
  },
  // --- the interface at run time (assembly/iface.ts) ---
  {
    name: "ifaceSetIpv4", section: "iface", params: [["addr", "u32"], ["prefixLen", "i32"], ["gateway", "u32"]], result: "i32",
    doc: "set the address, prefix (0-32) and default router (0 = none). `-EINVAL`: prefix outside 0-32; `addr` 0, 0.x.x.x, 127.x.x.x, multicast or class E (255.255.255.255 included), or (prefix 1-30) the subnet's network or broadcast number; a gateway that is not such a valid host, is `addr`, or lies outside the prefix. Same values again: 0, nothing happens. A new address ends the connections on the old one (EADDRNOTAVAIL), drops frames queued for ARP (`iface_queue_flushed`), forgets ARP entries outside the new prefix and is announced at once (RFC 5227 §2.3: `arp_announcements_tx`). One `AddressChanged` event",
  },
  {
    name: "ifaceClearIpv4", section: "iface", params: [], result: "i32",
    doc: "remove the address, prefix and gateway; connections on it end (EADDRNOTAVAIL); the ARP cache and queue are emptied. No address already: 0, no event. DNS servers are kept",
  },
  {
    name: "ifaceSetDns", section: "iface", params: [["index", "i32"], ["addr", "u32"]], result: "i32",
    doc: "DNS server `index` (0-2) = `addr`; 0 clears the slot. `-EINVAL`: index outside 0-2, `addr` loopback, 0.x.x.x, multicast, class E or broadcast. One `AddressChanged` (bit 4) per call that changed a slot",
  },
  {
    name: "ifaceJoinGroup", section: "iface", params: [["group", "u32"]], result: "i32",
    doc: "accept IPv4 group `group` (224.0.0.0/4): its MAC 01:00:5e + low 23 bits (RFC 1112 §6.4) enters the filter or gains a reference. `-EINVAL` (not multicast), `-ENOMEM` (filter full)",
  },
  {
    name: "ifaceLeaveGroup", section: "iface", params: [["group", "u32"]], result: "i32",
    doc: "drop one reference; the entry goes at zero. `-EINVAL` (not multicast, or not joined)",
  },
  {
    name: "ifaceJoinMac", section: "iface", params: [["hi16", "i32"], ["lo32", "u32"]], result: "i32",
    doc: "the same for a raw group MAC `hi16:lo32` (e.g. 33:33:00:00:00:01 = `0x3333, 0x00000001` for IPv6). `-EINVAL`: not a group MAC or broadcast; `-ENOMEM` full",
  },
  {
    name: "ifaceLeaveMac", section: "iface", params: [["hi16", "i32"], ["lo32", "u32"]], result: "i32",
    doc: "drop one reference; `-EINVAL` when not joined",
  },
  {
    name: "ifaceInfo", section: "iface", firmware: true, params: [["out", "usize"]], result: "i32",
    doc: "the ifaceInfo fields (table below), one u32 each, at `out`; `-EINVAL` when they would lie outside linear memory",
  },
  // --- UDP sockets (assembly/udp.ts) ---
  {
    name: "udpOpen", section: "udp", firmware: true, params: [], result: "i32",
    doc: "a new UDP socket handle; `-ENOMEM` when all `UdpSockets` are in use",
  },
  {
    name: "udpBind", section: "udp", firmware: true, params: [["h", "i32"], ["port", "i32"]], result: "i32",
    doc: "bind a local port; 0 = an ephemeral port in 49152-65535 from a random start (RFC 6056 §3.3.1). Returns the port bound (> 0). `-EADDRINUSE`, `-EINVAL` (already bound, port out of range)",
  },
  {
    name: "udpConnect", section: "udp", params: [["h", "i32"], ["ip", "u32"], ["port", "i32"]], result: "i32",
    doc: "fix the peer: only its datagrams are delivered, sends may omit the destination; binds an ephemeral port if unbound. `ip` 0 and `port` 0 dissolve the association. `-EINVAL` for a zero, broadcast or multicast peer or a bad port",
  },
  {
    name: "udpSendTo", section: "udp", firmware: true, params: [["h", "i32"], ["ip", "u32"], ["port", "i32"], ["ptr", "usize"], ["len", "i32"]], result: "i32",
    doc: "send one datagram of `len` bytes at `ptr` (`ip` 0 and `port` 0: to the connected peer); returns `len`. Longer than MTU - 28: sent as IPv4 fragments. `-EMSGSIZE` (more than FragMaxBytes - 8, or than MTU - 28 with FragMaxBytes 0), `-EISCONN`, `-ENOTCONN`, `-EINVAL`, `-EHOSTUNREACH`",
  },
  {
    name: "udpRecvFrom", section: "udp", firmware: true, params: [["h", "i32"], ["ptr", "usize"], ["max", "i32"], ["out", "usize"]], result: "i32",
    doc: "copy the oldest datagram (at most `max` bytes) to `ptr` and the udpFrom fields (table below) to `out`; a longer datagram is truncated (its full length in `size`) and the rest discarded. `-EAGAIN` when none is queued; a refused call consumes nothing",
  },
  {
    name: "udpClose", section: "udp", firmware: true, params: [["h", "i32"]], result: "i32",
    doc: "release the socket and its queued datagrams",
  },
  {
    name: "udpInfo", section: "udp", params: [["h", "i32"], ["out", "usize"]], result: "i32",
    doc: "the udpInfo fields (table below), one u32 each, at `out`",
  },
  // --- DHCP client (assembly/services/dhcp.ts) ---
  {
    name: "dhcpStart", section: "dhcp", firmware: true, params: [], result: "i32",
    doc: "start the RFC 2131 client on UDP port 68 (takes one of the `UdpSockets`): DISCOVER, or INIT-REBOOT (§3.2) with the address remembered from the last lease or set by `dhcpSetRequestAddress` (a NAK or no answer after 4 retransmissions: INIT). 0, `-EALREADY` (running), `-ENOMEM` (no UDP socket free), `-EADDRINUSE` (port 68 bound), `-ESTATE` (before init)",
  },
  {
    name: "dhcpStop", section: "dhcp", firmware: true, params: [["release", "i32"]], result: "i32",
    doc: "stop the client and remove the leased address, router and DNS servers; `release` != 0 sends a DHCPRELEASE to the server first (and forgets the address), 0 keeps it for INIT-REBOOT. 0, `-ENOTCONN` (not running), `-ESTATE` (before init)",
  },
  {
    name: "dhcpInfo", section: "dhcp", firmware: true, params: [["out", "usize"]], result: "i32",
    doc: "the dhcpInfo fields (table below), one u32 each, at `out`; `-EINVAL` when they would lie outside linear memory, `-ESTATE` (before init)",
  },
  {
    name: "dhcpSetHostname", section: "dhcp", firmware: true, params: [["ptr", "usize"], ["len", "i32"]], result: "i32",
    doc: "the host name sent as option 12 in DISCOVER and REQUEST (RFC 2132 §3.14): `len` bytes at `ptr`, one RFC 1123 label (1-63 letters, digits and hyphens, no hyphen first or last); `len` 0 sends none (the default). 0, `-EINVAL` (a byte outside the label rules, longer than 63, outside memory), `-EALREADY` (the client is running: set it before `dhcpStart`), `-ESTATE` (before init)",
  },
  {
    name: "dhcpSetClientId", section: "dhcp", firmware: true, params: [["ptr", "usize"], ["len", "i32"]], result: "i32",
    doc: "the client identifier sent as option 61 (RFC 2132 §9.14): `len` (2-64) bytes at `ptr`, sent as given (the first is the type); `len` 0 restores the default, type 1 + the MAC. 0, `-EINVAL` (length, outside memory), `-EALREADY` (running), `-ESTATE` (before init)",
  },
  {
    name: "dhcpSetRequestAddress", section: "dhcp", firmware: true, params: [["addr", "u32"]], result: "i32",
    doc: "an address the host remembered (e.g. stored at its last boot): the next `dhcpStart` begins in INIT-REBOOT asking for it (RFC 2131 §3.2); 0 forgets it. 0, `-EINVAL` (0/8, loopback, multicast or above), `-EALREADY` (running), `-ESTATE` (before init)",
  },
  // --- DNS stub resolver (assembly/services/dns.ts) ---
  {
    name: "dnsQuery", section: "dns", params: [["namePtr", "usize"], ["nameLen", "i32"]], result: "i32",
    doc: "resolve the dotted name of `nameLen` ASCII bytes at `namePtr` (A records, class IN, recursion desired): a query handle; `DnsDone` follows (at once, from inside this call, on a cache hit). `-EINVAL` (empty name, a label empty or over 63 bytes, over 253 bytes, a byte other than letter/digit/`-`/`_`, or outside memory), `-ENOMEM` (`DnsQueries` in flight, or no UDP socket free), `-EHOSTUNREACH` (no DNS server set), `-ESTATE` (before init)",
  },
  {
    name: "dnsResult", section: "dns", params: [["q", "i32"], ["out", "usize"], ["max", "i32"]], result: "i32",
    doc: "a finished query's answer: the TTL in seconds (u32) at `out`, then up to `max` addresses: IPv4 ones (u32, host order) for an A query, 16-byte IPv6 ones (network order) for an AAAA query (`dnsQueryFamily` 6); returns how many addresses (>= 1) and releases the handle. `-EAGAIN` while in flight (the handle stays); the query's error, releasing the handle: `-ENOTFOUND` (NXDOMAIN), `-ENODATA` (no record of the type asked), `-ESERVFAIL`, `-EREFUSED`, `-ETRUNCATED` (TC=1: no TCP fallback), `-ETIMEDOUT`; `-EBADF`, `-EINVAL` (`max` < 0 or `out` outside memory)",
  },
  {
    name: "dnsCancel", section: "dns", params: [["q", "i32"]], result: "i32",
    doc: "forget a query (in flight or finished): its socket closes, no `DnsDone` follows; 0 or `-EBADF`",
  },
  {
    name: "dnsQueryFamily", section: "dns", params: [["namePtr", "usize"], ["nameLen", "i32"], ["family", "i32"]], result: "i32",
    doc: "`dnsQuery` for `family` 4 (A records) or 6 (AAAA records, RFC 3596, builds with IPv6 only: `dnsResult` then writes 16-byte addresses; an answer keeps max(`DnsMaxAddrs` x 4, 16) / 16 of them). Both families: two queries (the hosts' lookup does so). `-EINVAL` for another family. Servers: the `ifaceSetDns` IPv4 ones, then (builds with IPv6) the `ip6SetDns` ones and the RDNSS ones, queried over UDP over IPv6 with the same checks",
  },
  {
    name: "udpSetOption", section: "udp", params: [["h", "i32"], ["opt", "i32"], ["value", "i32"]], result: "i32",
    doc: "set a socket option (UdpOpt table below); 0, `-EINVAL` for an unknown option",
  },
  {
    name: "udpJoinGroup", section: "udp", params: [["h", "i32"], ["group", "u32"]], result: "i32",
    doc: "this socket receives datagrams to IPv4 group `group` on its port; the interface filter gains a reference and IGMPv2 reports the group when it is new (RFC 2236 §3). `-EINVAL` (not multicast, 224.0.0.1 is always received, or joined already), `-ENOMEM` (the socket's `UDP_GROUPS` = 4 slots, the filter or the IGMP table full)",
  },
  {
    name: "udpLeaveGroup", section: "udp", params: [["h", "i32"], ["group", "u32"]], result: "i32",
    doc: "leave `group`; the last leave on the interface sends an IGMPv2 Leave Group to 224.0.0.2. `-EINVAL` when not joined. `udpClose` leaves every group of the socket",
  },
  // --- IPv6 (assembly/ip/ipv6.ts) ---
  {
    name: "ip6AddrAdd", section: "ipv6", params: [["addr", "usize"], ["prefixLen", "i32"]], result: "i32",
    doc: "add the static address of 16 bytes at `addr` with its on-link prefix length (1-128): tentative until DAD passes (`Ip6AddrState` events). Its index (>= 0); `-EINVAL` (::, multicast, loopback, IPv4-mapped, prefix), `-EADDRINUSE` (ours already), `-ENOMEM` (table full), `-ENOSYS` (IPv6 off)",
  },
  {
    name: "ip6AddrDel", section: "ipv6", params: [["addr", "usize"]], result: "i32",
    doc: "remove our address equal to the 16 bytes at `addr` (any origin); connections on it end (EADDRNOTAVAIL). 0, `-EINVAL` (not ours)",
  },
  {
    name: "ip6AddrInfo", section: "ipv6", firmware: true, params: [["index", "i32"], ["out", "usize"]], result: "i32",
    doc: "address table entry `index` (0..Ip6Addrs-1): the ip6AddrInfo fields at `out`. `-EINVAL` (index or memory)",
  },
  {
    name: "ip6NeighborInfo", section: "ipv6", params: [["index", "i32"], ["out", "usize"]], result: "i32",
    doc: "neighbor cache entry `index` (0..Ip6Neighbors-1): the ip6NeighborInfo fields at `out`. `-EINVAL` (index or memory)",
  },
  {
    name: "ip6Info", section: "ipv6", params: [["out", "usize"]], result: "i32",
    doc: "the IPv6 layer's parameters (ip6Info fields) at `out`",
  },
  {
    name: "ip6Ping", section: "ipv6", params: [["dst", "usize"], ["id", "i32"], ["seq", "i32"], ["len", "i32"]], result: "i32",
    doc: "ICMPv6 echo request to the 16 bytes at `dst` with `len` data bytes (0, 1, 2, ...); a reply raises `EchoReply` like `ping`. 0, `-EINVAL`, `-EADDRNOTAVAIL` (no usable source address), `-EHOSTUNREACH`",
  },
  {
    name: "ip6DnsServerInfo", section: "ipv6", params: [["index", "i32"], ["out", "usize"]], result: "i32",
    doc: "recursive DNS server entry `index` (0..ip6Info.dnsServerSlots-1) learned from router advertisements' RDNSS options (RFC 8106): the ip6DnsServerInfo fields at `out`. `-EINVAL` (index or memory)",
  },
  {
    name: "ip6SetDns", section: "ipv6", params: [["index", "i32"], ["addr", "usize"]], result: "i32",
    doc: "IPv6 DNS server `index` (0..2) = the 16 bytes at `addr` (:: clears it); raises `AddressChanged` (arg 4) when it changes. The resolver's rotation: the `ifaceSetDns` IPv4 servers, then these, then the RDNSS ones not among them. 0, `-EINVAL` (index, multicast, loopback, IPv4-mapped: use `ifaceSetDns`), `-ENOSYS` (IPv6 off)",
  },
  {
    name: "ip6PathMtu", section: "ipv6", params: [["dst", "usize"]], result: "i32",
    doc: "the path MTU towards the 16 bytes at `dst`: the lowest Packet Too Big received for it in the last 10 minutes (RFC 8201, never below 1280), else the link MTU (an RA's MTU option lowers it)",
  },
  {
    name: "tcpConnect6", section: "ipv6", params: [["h", "i32"], ["addr", "usize"], ["port", "i32"]], result: "i32",
    doc: "`tcpConnect` to the 16 bytes at `addr`: an IPv6 address (the source by RFC 6724: link-local towards a link-local peer, else a global one), or an IPv4-mapped one (::ffff:a.b.c.d, as `tcpConnect`). `-EINVAL` (::, multicast, port), `-EADDRNOTAVAIL` (no usable IPv6 address), else as `tcpConnect`",
  },
  {
    name: "tcpBind6", section: "ipv6", params: [["h", "i32"], ["addr", "usize"], ["port", "i32"]], result: "i32",
    doc: "`tcpBind` to one local address, the 16 bytes at `addr`: :: (every address of both families: what `tcpBind` does), ::ffff:0.0.0.0 (every IPv4 address, no IPv6), or one of our addresses (IPv6, or IPv4-mapped). A listener takes only segments to its address (a SYN to another of ours on the port gets a RST, as to a closed port); it keeps its address when the interface loses it. Ports are shared as on Linux: two sockets may bind one port when their addresses do not overlap (a wildcard overlaps every address of its families); a later `tcpConnect`/`tcpConnect6` sends from the bound address. `-EADDRNOTAVAIL` (not ours: tentative or duplicate addresses are not), `-EADDRINUSE` (an overlapping socket holds the port), `-ENOSYS` (built without IPv6: `tcpBind`, the host checking the address), else as `tcpBind`",
  },
  {
    name: "tcpAddrs", section: "ipv6", firmware: true, params: [["h", "i32"], ["out", "usize"]], result: "i32",
    doc: "the connection's local address (16 bytes at `out`) and remote address (16 bytes at `out + 16`), IPv4 ones IPv4-mapped; :: for a socket that has none (unconnected); a listener or a socket bound but not connected: the address it is bound to (`tcpBind6`: :: for every address, ::ffff:0.0.0.0 for every IPv4 one) and ::",
  },
  {
    name: "udpConnect6", section: "ipv6", params: [["h", "i32"], ["addr", "usize"], ["port", "i32"]], result: "i32",
    doc: "`udpConnect` with the 16-byte address at `addr` (IPv4-mapped: as `udpConnect`; :: and port 0 dissolve the association)",
  },
  {
    name: "udpSendTo6", section: "ipv6", firmware: true, params: [["h", "i32"], ["addr", "usize"], ["port", "i32"], ["ptr", "usize"], ["len", "i32"]], result: "i32",
    doc: "`udpSendTo` with the 16-byte address at `addr` (IPv4-mapped: as `udpSendTo`; :: and port 0: the connected peer). Over IPv6 the checksum is mandatory (RFC 8200 §8.1); a datagram over the path MTU - 48 goes as IPv6 fragments (RFC 8200 §4.5) up to 65,519 bytes (`-EAGAIN`, nothing sent, when its next hop is unresolved and the queue cannot hold every fragment: address resolution starts, a retry once it is done passes; counted `ipv6_frag_no_queue`), `-EMSGSIZE` past that (past the path MTU - 48 in builds without WT_FRAG6); `-EINVAL` also when a datagram to fragment lies in the tx frame; `-EADDRNOTAVAIL` (no usable source)",
  },
  {
    name: "udpRecvFrom6", section: "ipv6", firmware: true, params: [["h", "i32"], ["ptr", "usize"], ["max", "i32"], ["out", "usize"]], result: "i32",
    doc: "`udpRecvFrom` writing the udpFrom6 fields (24 bytes, table below) at `out`: the source address (16 bytes, IPv4 ones IPv4-mapped), its port (u32), the datagram's full length (u32). (`udpRecvFrom` reports address 0 for an IPv6 source.) Sockets receive both families unless `UdpOpt.Family` limits them; an IPv6 datagram takes 24 + its length of the queue",
  },
  // --- SNTP client (assembly/services/sntp.ts) ---
  {
    name: "sntpStart", section: "sntp", params: [["server", "u32"], ["intervalS", "i32"]], result: "i32",
    doc: "query NTP server `server` (host order) now and then every `intervalS` seconds (16-86400; 0 = 1024). `server` 0: the NTP servers of the DHCP lease (option 42; the first, the next after each unanswered request, the list read again at every poll). 0, `-EINVAL` (bad server or interval), `-EADDRNOTAVAIL` (server 0 and no NTP server from DHCP), `-ENOMEM` (no UDP socket free), `-ESTATE` (before init). Restarts a running client",
  },
  {
    name: "sntpStop", section: "sntp", params: [], result: "i32",
    doc: "stop the client and close its socket (the learned time is kept). 0",
  },
  {
    name: "sntpInfo", section: "sntp", params: [["out", "usize"]], result: "i32",
    doc: "the sntpInfo fields (table below), one u32 each, at `out`; `-EINVAL` outside linear memory",
  },
  {
    name: "ip6SetSecret", section: "ipv6", firmware: true, params: [["ptr", "usize"]], result: "i32",
    doc: "RFC 7217's secret_key: the 16 bytes at `ptr` key the stable interface identifiers (all zero: the module's key from the host's entropy, new at every start). A host that keeps it across reboots gets the same stable-privacy addresses on every boot. Call it before `init` (the link-local address is formed at init); called later it applies to identifiers formed afterwards (new SLAAC prefixes, DAD retries), existing addresses keep theirs. 0, `-EINVAL` (memory), `-ENOSYS` (built without IPv6)",
  },
];

/** Exported non-function items besides the enum globals below. */
export const otherExports = [
  { name: "ABI_VERSION", kind: "global", type: "i32", doc: "the ABI version" },
  { name: "memory", kind: "memory", doc: "linear memory; may grow only during `init`" },
];

/** Error codes, returned negated by ABI calls: [name, number, meaning]. */
export const Err = [
  ["OK", 0, "success"],
  ["EINVAL", 1, "bad argument"],
  ["ENOMEM", 2, "pool exhausted / init failed"],
  ["EBADF", 3, "unknown or closed handle"],
  ["EADDRINUSE", 4, "port in use"],
  ["ECONNREFUSED", 5, "connection refused (RST to our SYN)"],
  ["ECONNRESET", 6, "connection reset by peer"],
  ["ETIMEDOUT", 7, "retransmissions exhausted"],
  ["ENOTCONN", 8, "not connected"],
  ["EISCONN", 9, "already connected"],
  ["EPIPE", 10, "write after shutdown"],
  ["EAGAIN", 11, "would block (no data / no space / nothing to accept)"],
  ["EALREADY", 12, "connect already in progress"],
  ["EOPNOTSUPP", 13, "not supported on this socket (e.g. read on a listener)"],
  ["EHOSTUNREACH", 14, "no route to host"],
  ["ESTATE", 15, "called before init / twice"],
  ["EADDRNOTAVAIL", 16, "the local address went away (connections on it end with this); tcpConnect without an address"],
  ["EMSGSIZE", 17, "a datagram larger than one IP packet at the MTU"],
  ["ENOTFOUND", 18, "DNS: the name does not exist (NXDOMAIN, rcode 3)"],
  ["ENODATA", 19, "DNS: the name exists but has no A record"],
  ["ESERVFAIL", 20, "DNS: the server failed (SERVFAIL, rcode 2; also FORMERR / NOTIMP)"],
  ["EREFUSED", 21, "DNS: the server refused (REFUSED, rcode 5)"],
  ["ETRUNCATED", 22, "DNS: the reply was truncated (TC=1; no TCP fallback)"],
  ["EACCES", 23, "a broadcast destination without the socket's Broadcast option (like Linux's SO_BROADCAST)"],
  ["ENOSYS", 24, "the feature was left out of this build (a compile-time switch: docs/abi.md \"Build-time features\")"],
];

/** Kinds passed to the host's event(sock, kind, arg): name, number, sock, arg, meaning. C prefix WT_EV_. */
export const EventKind = [
  { name: "Readable", value: 1, sock: "socket", arg: "bytes readable", doc: "data (or FIN) can be read" },
  { name: "Writable", value: 2, sock: "socket", arg: "free send-ring bytes", doc: "send buffer space freed" },
  { name: "Connected", value: 3, sock: "socket", arg: "-", doc: "active open completed" },
  { name: "Accepted", value: 4, sock: "listener", arg: "-", doc: "a listener has a connection to accept" },
  { name: "Closed", value: 5, sock: "socket", arg: "-", doc: "connection fully closed (handle can be released)" },
  { name: "Reset", value: 6, sock: "socket", arg: "error code", doc: "connection reset by peer" },
  { name: "Error", value: 7, sock: "socket", arg: "error code (ECONNREFUSED, ETIMEDOUT, ...)", doc: "connection failed" },
  { name: "State", value: 8, sock: "socket", arg: "(from << 8) \\| to, TCP state numbers", doc: "state transition" },
  { name: "EchoReply", value: 9, sock: "-1", arg: "ICMP sequence number of the reply", doc: "ICMP echo reply received" },
  { name: "AddressChanged", value: 10, sock: "-1", arg: "what changed: 1 address/prefix, 2 gateway, 4 DNS", doc: "the interface's configuration changed (ifaceSetIpv4, ifaceClearIpv4, ifaceSetDns)" },
  { name: "DhcpState", value: 11, sock: "-1", arg: "the DHCP client's new state (dhcpInfo's state numbers)", doc: "the DHCP client changed state" },
  { name: "DnsDone", value: 12, sock: "DNS query handle", arg: "addresses found (> 0) or -Err", doc: "a DNS query finished: read it with dnsResult" },
  { name: "SntpSync", value: 13, sock: "-1", arg: "the offset applied, ms (clamped to ±2^31-1)", doc: "the SNTP client obtained the time (sntpInfo has it)" },
  { name: "Ip6AddrState", value: 14, sock: "-1", arg: "(index << 8) \\| state: ip6AddrInfo's index and new state (0 free, 1 tentative, 2 preferred, 3 deprecated, 4 duplicate)", doc: "an IPv6 address changed state (DAD, lifetimes, ip6AddrAdd/Del)" },
  { name: "Ip6DadFailed", value: 15, sock: "-1", arg: "the address's index", doc: "duplicate address detection found the address in use (RFC 4862 §5.4.5): it is never used; an RFC 7217 address retries with the next DAD counter (up to 3)" },
  { name: "McastFilter", value: 16, sock: "-1 - (octets 0-1 of the group MAC \\| 0x10000 when dropped): -257 / -65793 (01:00, IPv4), -13108 / -78644 (33:33, IPv6)", arg: "octets 2-5 of the group MAC (big-endian u32)", doc: "the interface's multicast filter gained (or dropped) one reference to a group MAC, for a hardware filter (e.g. a hash of the MAC); raised by the IGMP table (its groups and 224.0.0.1) and the IPv6 tables (ff02::1, solicited-node groups, socket groups). Builds without IPv6 (the IPv4-only MCU module) raise none" },
];

/** TCP states (RFC 9293): numbers returned by tcpState and carried by State events. C prefix WT_TCP_. */
export const TcpState = [
  ["CLOSED", 0, "CLOSED"],
  ["LISTEN", 1, "LISTEN"],
  ["SYN_SENT", 2, "SYN-SENT"],
  ["SYN_RECEIVED", 3, "SYN-RECEIVED"],
  ["ESTABLISHED", 4, "ESTABLISHED"],
  ["FIN_WAIT_1", 5, "FIN-WAIT-1"],
  ["FIN_WAIT_2", 6, "FIN-WAIT-2"],
  ["CLOSE_WAIT", 7, "CLOSE-WAIT"],
  ["CLOSING", 8, "CLOSING"],
  ["LAST_ACK", 9, "LAST-ACK"],
  ["TIME_WAIT", 10, "TIME-WAIT"],
];

/**
 * Configuration keys for configure(key, value), before init. `default` is what the core
 * uses when a key is never set. Keys are dense from 0 (Cfg.COUNT = the number of keys).
 * Addresses are u32 in host order (198.51.100.2 = 0xC6336402). C prefix WT_CFG_.
 */
export const Cfg = [
  { name: "MacHi", key: 0, default: 0x0200, hex: 4, doc: "first two MAC octets, big-endian (must not be a group address)" },
  { name: "MacLo", key: 1, default: 0x00000001, hex: 8, doc: "last four MAC octets, big-endian" },
  { name: "Ipv4Addr", key: 2, default: 0, doc: "our address (0 = unconfigured: no IP traffic)" },
  { name: "PrefixLen", key: 3, default: 24, doc: "0..32" },
  { name: "Gateway", key: 4, default: 0, doc: "default router (0 = none: off-link destinations are unreachable)" },
  { name: "Mtu", key: 5, default: 1500, doc: "IP MTU, 576..9000 (frames up to MTU + 14 bytes)" },
  { name: "MaxSockets", key: 6, default: 8, doc: "TCP connection blocks (listeners included), at most 65535 (the handle's 16-bit slot)" },
  { name: "SndBuf", key: 7, default: 16384, doc: "bytes per TCP send ring" },
  { name: "RcvBuf", key: 8, default: 16384, doc: "bytes per TCP receive ring" },
  { name: "ArpEntries", key: 9, default: 16, doc: "ARP cache entries (1..4096)" },
  { name: "ArpQueue", key: 10, default: 8, doc: "frames that may wait for ARP resolution, whole stack (0..4096)" },
  { name: "TimeWaitEntries", key: 11, default: 64, doc: "compact TIME-WAIT entries (at most 65535 in builds with the O(1) lookups)" },
  { name: "MslMs", key: 12, default: 30000, doc: "maximum segment lifetime; TIME-WAIT = 2 MSL" },
  { name: "RtoMinMs", key: 13, default: 200, doc: "RFC 6298 minimum RTO" },
  { name: "RtoMaxMs", key: 14, default: 60000, doc: "RFC 6298 maximum RTO" },
  { name: "RtoInitialMs", key: 15, default: 1000, doc: "RFC 6298 initial RTO" },
  { name: "DelAckMs", key: 16, default: 40, doc: "delayed-ACK limit (0 = ACK at once; RFC 5681 §4.2: under 500 ms). 40 like Linux's minimum: well under the 200 ms minimum RTO of senders (ours, Linux), so a held ACK never races their retransmission timer" },
  { name: "SynBacklog", key: 17, default: 8, doc: "half-open connections per listener" },
  { name: "KeepIdleMs", key: 18, default: 7200000, doc: "keepalive: idle time before the first probe" },
  { name: "KeepIntvlMs", key: 19, default: 75000, doc: "keepalive: interval between probes" },
  { name: "KeepCount", key: 20, default: 9, doc: "keepalive: unanswered probes before ETIMEDOUT" },
  { name: "ArpTimeoutMs", key: 21, default: 60000, doc: "lifetime of a resolved ARP entry" },
  { name: "SynRetries", key: 22, default: 5, doc: "SYN and SYN+ACK retransmissions before giving up" },
  { name: "DataRetries", key: 23, default: 12, doc: "data retransmissions before ETIMEDOUT" },
  { name: "Features", key: 24, default: 15, doc: "bit 0 timestamps, 1 SACK, 2 window scale, 3 SYN cookies" },
  { name: "IoBuf", key: 25, default: 65536, doc: "host I/O scratch region for socket read/write" },
  { name: "Mss", key: 26, default: 0, doc: "0 = MTU - 40" },
  {
    name: "RingPairs", key: 27, default: 0,
    doc: "send + receive ring pairs (`SndBuf` + `RcvBuf` each) = connections at once; 0 (or more than MaxSockets) = MaxSockets. Listeners and TIME-WAIT hold none; a connection takes a pair at `tcpConnect` or at the SYN that creates its passive child, and returns it when freed, or at CLOSED / TIME-WAIT once its unread data is read. None free: `tcpConnect` is `-ENOMEM`, an incoming SYN is dropped (`tcp_no_rings`)",
  },
  { name: "UdpSockets", key: 28, default: 4, doc: "UDP sockets (0..65535, the handle's 16-bit slot; 0 = no UDP: every datagram finds no port)" },
  { name: "UdpQueueBytes", key: 29, default: 2048, doc: "bytes of each UDP socket's receive queue; a datagram takes 8 + its payload length; one that does not fit is dropped (`udp_queue_full`)" },
  { name: "McastGroups", key: 30, default: 8, doc: "multicast filter entries (group MACs joined at once, each reference-counted), 0..256 (0 = no multicast reception)" },
  { name: "ReasmSlots", key: 31, default: 2, doc: "IPv4 datagrams reassembled at once (0..64; 0 = reassembly off: every fragment is dropped, `ipv4_frag_no_reasm`). A new datagram when all are busy evicts the oldest (`ipv4_reasm_evicted`)" },
  { name: "ReasmMaxBytes", key: 32, default: 4096, doc: "largest reassembled IPv4 payload (bytes after the IP header; 8..65515, rounded up to 8); each slot reserves 64 + this + this / 64 bytes (record, IP header, one bit per 8-byte block). A fragment reaching past it drops its datagram (`ipv4_frag_too_big`)" },
  { name: "ReasmTimeoutMs", key: 33, default: 30000, doc: "reassembly timeout from a datagram's first fragment to arrive (1..120000; Linux's 30 s, below RFC 1122 §3.3.2's suggested 60-120 s to free slots sooner); then `ipv4_reasm_timeout` and ICMP Time Exceeded code 1 if the offset-0 fragment had arrived" },
  { name: "FragMaxBytes", key: 34, default: 65515, doc: "largest IPv4 payload (transport header included) sent as fragments when it exceeds MTU - 20 (UDP, ICMP echo; never TCP); 0 = no fragmentation (`-EMSGSIZE` past the MTU). At most 65515" },
  { name: "DhcpFlags", key: 35, default: 0, doc: "DHCP client: bit 0 asks servers to broadcast replies (the BROADCAST flag), bit 1 skips RFC 5227 address conflict detection, bit 2 waits a random 1-10 s before the first DISCOVER (RFC 2131 §4.4.1 SHOULD; off by default so a lone board starts at once)" },
  { name: "DnsQueries", key: 36, default: 2, doc: "DNS queries in flight at once (0..64; 0 = no resolver); each holds one UDP socket from `UdpSockets` while in flight" },
  { name: "DnsMaxAddrs", key: 37, default: 4, doc: "A records kept per answer (1..32)" },
  { name: "DnsCacheEntries", key: 38, default: 4, doc: "cached answers (0..64; 0 = no cache); each lives for the answer's minimum TTL" },
  { name: "DnsTimeoutMs", key: 39, default: 2000, doc: "first retransmission timeout of a DNS query (100..60000); doubled after each round through the servers" },
  { name: "DnsTries", key: 40, default: 4, doc: "transmissions of a query in all, rotating through the servers (1..16), before ETIMEDOUT" },
  { name: "Ip6Enable", key: 41, default: 0, doc: "IPv6 on (1) or off (0, the default until the hosts' CLI and API carry it: 0x86DD frames are an unknown EtherType, no IPv6 pools, the `ip6*` exports `-ENOSYS`). Builds with `--use WT_IPV6=0` have no IPv6 at all" },
  { name: "Ip6Flags", key: 42, default: 0, doc: "IPv6: bit 0 interface identifiers by EUI-64 from the MAC (RFC 4291 App. A) instead of RFC 7217 stable hashes, bit 1 no SLAAC (prefix A flags ignored), bit 2 no router solicitations, bit 3 a random start delay (RFC 4862 §5.4.2 / RFC 4861 §6.3.7 SHOULD: 0..1 s before the first DAD Neighbor Solicitation and its group join, or without DAD before the first Router Solicitation; the stack's PRNG)" },
  { name: "Ip6DadTransmits", key: 43, default: 1, doc: "RFC 4862 DupAddrDetectTransmits (0..10; 0 = addresses usable at once, no DAD)" },
  { name: "Ip6Addrs", key: 44, default: 4, doc: "IPv6 address table entries (1..7: link-local, SLAAC and static addresses)" },
  { name: "Ip6Neighbors", key: 45, default: 8, doc: "IPv6 neighbor cache entries (1..256)" },
  { name: "Ip6Queue", key: 46, default: 2, doc: "frames that may wait for IPv6 address resolution, whole stack (0..64; MTU + 30 bytes each); at most 3 per neighbor, the oldest replaced" },
  { name: "Ip6Secret", key: 47, default: 0, doc: "mixed into the RFC 7217 interface identifier hash (with the module's entropy key)" },
  { name: "Reasm6Slots", key: 48, default: 2, doc: "IPv6 packets reassembled at once (0..64; 0 = reassembly off: every fragment but an atomic one is dropped, `ipv6_frag_no_reasm`); each slot reserves 144 + `ReasmMaxBytes` + `ReasmMaxBytes` / 64 bytes (only with `Ip6Enable`). The fragmentable part of a packet may be `ReasmMaxBytes` long; a new packet when all are busy evicts the oldest (`ipv6_reasm_evicted`). Timeout 60 s (RFC 8200 §4.5)" },
  { name: "RxStaging", key: 49, default: 0, doc: "bytes of the host staging region for `inputAt` (0..16 MiB; 0 = none: only `input` from `rxBuffer`). Taken from the pool at init; ignored by builds without WT_SCALE (the MCU builds)" },
  { name: "CsumOffload", key: 50, default: 0, doc: "TCP/UDP checksum offload, like a NIC's or Linux's loopback (bits; default 0 = compute and verify every checksum): 1 = TX: TCP checksums (both families) and UDP-over-IPv4 checksums are left 0 for the link to fill in (a receiver that verifies drops such TCP segments, `tcp_bad_checksum`; UDP 0 means \"no checksum\", RFC 768, and is accepted); 2 = RX: received TCP checksums (both families) and UDP-over-IPv4 checksums are not verified, only while `LinkTrusted` is 1. IPv4 header, ICMP, IGMP, UDP-over-IPv6 checksums are always computed and verified. Builds without WT_SCALE (the MCU builds) ignore it: they always compute and verify" },
  { name: "LinkTrusted", key: 51, default: 0, doc: "1 = the host marks the link as trusted: every frame handed to `input`/`inputAt` comes from a sender in the same host that never put it on a wire (Linux's CHECKSUM_UNNECESSARY on lo and veth); `CsumOffload` bit 2 takes effect only then. Never set it for a TAP or any real device" },
];

/** tcpSetOption(h, opt, value) options. C prefix WT_TCP_OPT_. */
export const TcpOpt = [
  { name: "NoDelay", value: 1, c: "NODELAY", doc: "Nagle off when value != 0 (Nagle is on by default)" },
  { name: "KeepAlive", value: 2, c: "KEEPALIVE", doc: "keepalive on when value != 0 (KeepIdleMs / KeepIntvlMs / KeepCount)" },
  {
    name: "KeepIdle", value: 3, c: "KEEPIDLE",
    doc: "this socket's keepalive idle time in seconds, 1-65535, like Linux's TCP_KEEPIDLE; 0 = `KeepIdleMs`; kept in the TCB, inherited by a listener's children; with KEEPALIVE on, re-arms the timer from the latest `input`/`poll`. `-EINVAL` outside 0-65535",
  },
];

/**
 * Socket handles (assembly/handles.ts): a positive i32, kind << kindShift | generation << genShift | slot.
 * Kind: TCP 1, UDP 2 (RAW 3, ICMP 4 reserved), DNS 5. The slot indexes the kind's pool (at most
 * 2^slotBits - 1 entries); the generation (1..2^genBits - 1) is bumped on every reuse of a slot.
 */
export const handleLayout = { kindShift: 28, genShift: 16, genBits: 12, slotBits: 16 };

/** udpSetOption(h, opt, value) options. C prefix WT_UDP_OPT_. */
export const UdpOpt = [
  { name: "Broadcast", value: 1, c: "BROADCAST", doc: "like SO_BROADCAST: value != 0 lets the socket send to 255.255.255.255 or the subnet broadcast (else `-EACCES`) and receive datagrams sent to them (else they are not delivered to it). Off by default" },
  { name: "ReuseAddr", value: 2, c: "REUSEADDR", doc: "like SO_REUSEADDR for UDP: value != 0 lets the socket bind a port other sockets with ReuseAddr hold (set before `udpBind`); broadcast and multicast datagrams go to each of them, a unicast one to the first bound. Off by default" },
  { name: "Family", value: 3, c: "FAMILY", doc: "which datagrams the socket receives: 0 both IPv4 and IPv6 (the default: dual-stack), 4 IPv4 only (a Node `udp4` socket), 6 IPv6 only (like IPV6_V6ONLY). `-EINVAL` for other values; builds without IPv6 do not know the option" },
  { name: "JoinGroup6", value: 4, c: "JOIN_GROUP6", doc: "like IPV6_JOIN_GROUP: value is a pointer to a 16-byte IPv6 multicast group; the socket receives datagrams to it on its port (it shares the `UDP_GROUPS` = 4 slots with `udpJoinGroup`); a group new to the interface enters the MAC filter and is reported by MLDv2 (RFC 3810 §6.1). `-EINVAL` (not multicast, ff02::1 which every socket receives, joined already, memory), `-ENOMEM` (the socket's slots or the interface's 4 IPv6 groups full); builds without IPv6 do not know the option" },
  { name: "LeaveGroup6", value: 5, c: "LEAVE_GROUP6", doc: "like IPV6_LEAVE_GROUP: value is a pointer to a group the socket joined (else `-EINVAL`); the interface's last member leaves the MAC filter and reports it once (MLDv2 TO_INCLUDE with no sources). `udpClose` leaves every group of the socket" },
];

/** The u32 fields tcpInfo(h, out) writes at out, in order. */
export const tcpInfo = [
  ["state", "TcpState number"],
  ["localPort", "local port"],
  ["remoteIp", "remote IPv4 address (host order)"],
  ["remotePort", "remote port"],
  ["sndUna", "oldest unacknowledged sequence number"],
  ["sndNxt", "next sequence number to send"],
  ["sndWnd", "peer's window (bytes, scaled)"],
  ["rcvNxt", "next sequence number expected"],
  ["rcvWnd", "window we advertised"],
  ["cwnd", "congestion window (bytes)"],
  ["ssthresh", "slow-start threshold (bytes)"],
  ["srtt", "smoothed RTT (ms)"],
  ["rttvar", "RTT variation (ms)"],
  ["rto", "retransmission timeout (ms)"],
  ["retransmits", "retransmissions"],
  ["sendQueued", "bytes in the send ring"],
  ["recvQueued", "bytes in the receive ring"],
  ["mss", "peer's MSS (without options)"],
  ["lastError", "the connection's error (Err), 0 = none"],
];

/**
 * The fields of one tcpTimeWaitList row, in order: [name, doc, u32 words (default 1)]. The
 * addresses are 16 bytes in network byte order (4 words: read them as bytes), IPv4 held
 * IPv4-mapped (::ffff:a.b.c.d) as tcpAddrs writes them; `family` says which.
 */
export const timeWaitRow = [
  ["localPort", "local port"],
  ["remotePort", "remote port"],
  ["msLeft", "ms left of 2*MSL as of the latest input/poll"],
  ["family", "4 (IPv4: the addresses are ::ffff:a.b.c.d) or 6"],
  ["localAddr", "local address, 16 bytes in network byte order", 4],
  ["remoteAddr", "remote address, 16 bytes in network byte order", 4],
];

/** The u32 fields ifaceInfo(out) writes, in order. */
export const ifaceInfo = [
  ["ipv4", "our address, 0 = none"],
  ["prefixLen", "0 without an address"],
  ["netmask", "from prefixLen"],
  ["gateway", "0 = none"],
  ["broadcast", "the subnet's broadcast address (255.255.255.255 without an address, or on a /31 or /32)"],
  ["mtu", "IP MTU"],
  ["macHi", "our MAC, first two octets (as Cfg.MacHi)"],
  ["macLo", "our MAC, last four octets (as Cfg.MacLo)"],
  ["dnsMax", "DNS server slots (3)"],
  ["dns0", "DNS server 0, 0 = unset"],
  ["dns1", "DNS server 1, 0 = unset"],
  ["dns2", "DNS server 2, 0 = unset"],
  ["mcastInUse", "multicast filter entries in use"],
  ["mcastSize", "McastGroups"],
  ["generation", "configuration changes so far (one per AddressChanged)"],
  ["arpInUse", "ARP cache entries in use (pending or resolved)"],
];

/** The u32 fields ip6AddrInfo(index, out) writes, in order. */
export const ip6AddrInfo = [
  ["state", "0 free, 1 tentative (DAD running), 2 preferred, 3 deprecated, 4 duplicate (never used)"],
  ["origin", "1 link-local, 2 SLAAC (router advertisement), 3 static (ip6AddrAdd)"],
  ["prefixLen", "prefix length"],
  ["validLeft", "seconds of valid lifetime left (0xffffffff infinite)"],
  ["preferredLeft", "seconds of preferred lifetime left (0xffffffff infinite)"],
  ["dadCount", "RFC 7217 DAD counter (identifiers tried after a conflict)"],
  ["addr0", "address bytes 0-3 (big-endian u32)"],
  ["addr1", "address bytes 4-7"],
  ["addr2", "address bytes 8-11"],
  ["addr3", "address bytes 12-15"],
];

/** The u32 fields ip6NeighborInfo(index, out) writes, in order. */
export const ip6NeighborInfo = [
  ["state", "RFC 4861 §7.3.2: 0 free, 1 INCOMPLETE, 2 REACHABLE, 3 STALE, 4 DELAY, 5 PROBE"],
  ["macHi", "link-layer address, first two octets"],
  ["macLo", "link-layer address, last four octets"],
  ["isRouter", "1 when the neighbor is a router"],
  ["probes", "solicitations sent in INCOMPLETE / PROBE"],
  ["queued", "frames waiting for its resolution"],
  ["addr0", "address bytes 0-3 (big-endian u32)"],
  ["addr1", "address bytes 4-7"],
  ["addr2", "address bytes 8-11"],
  ["addr3", "address bytes 12-15"],
];

/** The u32 fields ip6Info(out) writes, in order. */
export const ip6Info = [
  ["addrSlots", "Ip6Addrs"],
  ["neighborSlots", "Ip6Neighbors"],
  ["linkMtu", "the IPv6 link MTU (an RA's MTU option may lower the interface MTU)"],
  ["hopLimit", "CurHopLimit (64, or an RA's)"],
  ["baseReachableMs", "BaseReachableTime"],
  ["reachableMs", "ReachableTime (random 0.5-1.5 x the base, RFC 4861 §6.3.2)"],
  ["retransMs", "RetransTimer"],
  ["routers", "default routers with a lifetime left"],
  ["prefixes", "on-link prefixes from RAs with a lifetime left"],
  ["rsLeft", "router solicitations still to send"],
  ["dnsServerSlots", "RDNSS table entries (ip6DnsServerInfo indexes)"],
];

/** The u32 fields ip6DnsServerInfo(index, out) writes, in order. */
export const ip6DnsServerInfo = [
  ["state", "0 free (or expired), 1 in use"],
  ["lifetimeLeft", "seconds of the RDNSS lifetime left (0xffffffff infinite)"],
  ["addr0", "address bytes 0-3 (big-endian u32)"],
  ["addr1", "address bytes 4-7"],
  ["addr2", "address bytes 8-11"],
  ["addr3", "address bytes 12-15"],
];

/** The u32 fields udpInfo(h, out) writes, in order. */
export const udpInfo = [
  ["localPort", "bound port, 0 = unbound"],
  ["remoteIp", "connected peer (host order), 0 = none"],
  ["remotePort", "connected peer's port, 0 = none"],
  ["recvQueued", "queue bytes in use: 8 + the payload length per datagram queued (of `UdpQueueBytes`)"],
  ["recvDatagrams", "datagrams queued"],
  ["drops", "datagrams for this socket dropped because its queue was full (its share of `udp_queue_full`)"],
];

/** The u32 fields udpRecvFrom writes at `out`, in order. */
/** The u32 fields udpRecvFrom6(h, ptr, max, out) writes at `out`, in order (24 bytes). */
export const udpFrom6 = [
  ["addr0", "source address bytes 0-3 (the 16 bytes in network order; IPv4 sources IPv4-mapped)"],
  ["addr1", "source address bytes 4-7"],
  ["addr2", "source address bytes 8-11"],
  ["addr3", "source address bytes 12-15"],
  ["port", "source port"],
  ["size", "the datagram's full payload length (> the result when truncated)"],
];

export const udpFrom = [
  ["address", "source IPv4 address (host order)"],
  ["port", "source port"],
  ["size", "the datagram's full payload length (> the result when truncated)"],
];

/** The u32 fields dhcpInfo(out) writes, in order. */
export const dhcpInfo = [
  ["state", "0 STOPPED, 1 INIT, 2 SELECTING, 3 REQUESTING, 4 CHECKING (RFC 5227 probes), 5 BOUND, 6 RENEWING, 7 REBINDING, 8 INIT-REBOOT, 9 REBOOTING"],
  ["address", "the leased (or offered, or remembered) address, 0 = none"],
  ["prefixLen", "from option 1 (subnet mask); 0 = none"],
  ["router", "option 3's first router, 0 = none"],
  ["serverId", "option 54 of the server holding the lease, 0 = none"],
  ["leaseSecs", "option 51 of the lease (0xffffffff = infinite)"],
  ["t1Left", "seconds until RENEWING (T1), 0 when not bound or past it"],
  ["t2Left", "seconds until REBINDING (T2), 0 when not bound or past it"],
  ["leaseLeft", "seconds until the lease expires, 0 when none (0xffffffff infinite)"],
  ["xid", "transaction id of the current exchange"],
  ["retries", "retransmissions in the current exchange"],
  ["declines", "DHCPDECLINEs sent (RFC 5227 conflicts) since dhcpStart"],
  ["ntpCount", "NTP servers in the lease (option 42, at most 3 kept), 0 when not bound"],
  ["ntp0", "NTP server 0, 0 = none"],
  ["ntp1", "NTP server 1, 0 = none"],
  ["ntp2", "NTP server 2, 0 = none"],
];

/** The u32 fields sntpInfo(out) writes, in order. NTP time = seconds since 1900 (era-relative, RFC 5905 §6) + 2^-32 fractions. */
export const sntpInfo = [
  ["state", "0 stopped, 1 waiting for a reply, 2 idle until the next poll, 3 denied (kiss-o'-death DENY/RSTR: stopped)"],
  ["server", "the server queried (host order), 0 = none"],
  ["synced", "1 once a reply was accepted (the time fields are valid)"],
  ["timeSec", "our NTP time now (as of the latest input/poll): seconds, era-relative (values below 2^31 are era 1, after 2036)"],
  ["timeFrac", "our NTP time now: fraction of a second in 2^-32 units"],
  ["offsetSec", "the latest offset (RFC 5905 θ) whole seconds, signed (i32)"],
  ["offsetUs", "the latest offset, the rest in microseconds, signed (i32), same sign as offsetSec"],
  ["delayUs", "the latest round-trip delay (RFC 5905 δ) in microseconds, signed (i32)"],
  ["stratum", "the server's stratum in the latest accepted reply"],
  ["pollS", "the poll interval in seconds (doubled by a RATE kiss)"],
  ["kiss", "the latest kiss code (4 ASCII characters, big-endian), 0 = none"],
  ["syncs", "replies accepted"],
  ["requests", "requests sent"],
  ["nextMs", "ms until the next request or retry, as of the latest input/poll (0 when stopped)"],
];

/**
 * The counters (statsPtr / statCount): one u32 each, numbered in this order across the groups.
 * The name is the one hosts show (snake_case); the AssemblyScript `Stat` member is its
 * PascalCase form (ipv4_frag_past_64k -> Stat.Ipv4FragPast64k), the C one WT_STAT_<UPPER>.
 * The module carries no names: hosts take them from the generated STAT_NAMES / WT_STATS.
 * Append within a group freely (counter numbers are not part of ABI_VERSION's promise:
 * hosts always index by the generated names of the same build).
 */
export const stats = [
  { group: "link / ethernet", counters: [
    ["rx_frames", "frames handed to `input`"],
    ["tx_frames", "frames passed to `tx`"],
    ["eth_truncated", "frame shorter than an Ethernet header"],
    ["eth_not_for_us", "unicast frame to another MAC"],
    ["eth_unknown_type", "EtherType neither ARP nor IPv4"],
    ["eth_too_long", "`input` length above MTU + 14"],
    ["rx_bad_frame_ref", "`inputAt` refused: a negative length or a frame not inside the staging region (nothing processed)"],
  ] },
  { group: "arp", counters: [
    ["arp_rx", "ARP packets received"],
    ["arp_truncated", "ARP packet too short"],
    ["arp_bad_format", "not Ethernet/IPv4 request or reply, or a group, zero or our own sender MAC"],
    ["arp_requests_rx", "requests received"],
    ["arp_replies_rx", "replies received"],
    ["arp_requests_tx", "requests sent"],
    ["arp_replies_tx", "replies sent"],
    ["arp_queue_full", "frame dropped: no room in the queue waiting for resolution"],
    ["arp_queue_timeout", "queued frame dropped: the address never resolved"],
    ["arp_cache_full", "no cache entry free for a new neighbour"],
  ] },
  { group: "ipv4", counters: [
    ["ipv4_rx", "IPv4 packets received"],
    ["ipv4_tx", "IPv4 packets sent"],
    ["ipv4_truncated", "shorter than 20 bytes"],
    ["ipv4_bad_version", "version not 4"],
    ["ipv4_bad_ihl", "header length below 20 or past the packet"],
    ["ipv4_bad_total_length", "total length below the header or past the frame"],
    ["ipv4_bad_checksum", "header checksum wrong"],
    ["ipv4_not_for_us", "to another address, or a group address in a unicast frame"],
    ["ipv4_unknown_proto", "protocol not ICMP, IGMP, TCP or UDP"],
    ["ipv4_no_route", "send failed: no address, or off-link without a gateway"],
    ["ipv4_bad_source", "source is broadcast, multicast, loopback or ours (RFC 1122 §3.2.1.3)"],
  ] },
  { group: "ipv4 fragments", counters: [
    ["ipv4_frag_rx", "fragments received"],
    ["ipv4_frag_no_reasm", "fragment dropped: reassembly off (`ReasmSlots` 0)"],
    ["ipv4_reasm_ok", "datagrams reassembled"],
    ["ipv4_frag_duplicate", "fragment on bytes already held, identical (ignored)"],
    ["ipv4_frag_overlap", "overlapping fragment: whole datagram dropped"],
    ["ipv4_frag_tiny", "first fragment shorter than the transport header (RFC 1858 §3)"],
    ["ipv4_frag_tcp_offset1", "TCP fragment at offset 8 (RFC 1858 §4)"],
    ["ipv4_frag_past_64k", "fragment ends past 65535 bytes"],
    ["ipv4_frag_too_big", "fragment past `ReasmMaxBytes`: datagram dropped"],
    ["ipv4_frag_zero_length", "non-last fragment without data"],
    ["ipv4_frag_misaligned", "non-last fragment length not a multiple of 8"],
    ["ipv4_frag_bad_last", "inconsistent end of datagram: datagram dropped"],
    ["ipv4_reasm_evicted", "oldest datagram dropped for a new one (all slots busy)"],
    ["ipv4_reasm_timeout", "datagram incomplete after `ReasmTimeoutMs`"],
    ["ipv4_reasm_time_exceeded_tx", "ICMP Time Exceeded code 1 sent"],
    ["ipv4_frag_tx", "fragments sent"],
  ] },
  { group: "icmp", counters: [
    ["icmp_rx", "ICMP messages received"],
    ["icmp_truncated", "shorter than 8 bytes"],
    ["icmp_bad_checksum", "checksum wrong"],
    ["icmp_echo_requests_rx", "echo requests received"],
    ["icmp_echo_replies_tx", "echo replies sent"],
    ["icmp_echo_replies_rx", "echo replies received (`ping`)"],
    ["icmp_dest_unreach_rx", "Destination Unreachable received"],
    ["icmp_dest_unreach_tx", "Destination Unreachable sent (port or protocol)"],
    ["icmp_other_rx", "other ICMP types received (ignored)"],
    ["icmp_rate_limited", "ICMP error not sent: rate limit"],
    ["icmp_echo_broadcast_ignored", "echo request to broadcast/multicast ignored (RFC 1122 §3.2.2.6)"],
  ] },
  { group: "udp", counters: [
    ["udp_rx", "UDP datagrams received"],
    ["udp_truncated", "shorter than 8 bytes"],
    ["udp_bad_length", "UDP length below 8 or past the IP payload"],
    ["udp_bad_checksum", "checksum wrong"],
    ["udp_no_port", "no socket on the port (port unreachable, rate-limited)"],
    ["udp_queue_full", "datagram dropped: the socket's queue is full"],
    ["udp_tx", "datagrams sent"],
  ] },
  { group: "dhcp", counters: [
    ["dhcp_tx", "DHCP messages sent"],
    ["dhcp_rx", "DHCP messages received"],
    ["dhcp_truncated", "shorter than the fixed header, or larger than the receive buffer"],
    ["dhcp_bad_cookie", "magic cookie wrong"],
    ["dhcp_bad_option", "malformed option"],
    ["dhcp_overload", "option 52 (overload) present: refused"],
    ["dhcp_no_msg_type", "no option 53"],
    ["dhcp_bad_op", "not a BOOTREPLY"],
    ["dhcp_bad_xid", "transaction id not ours"],
    ["dhcp_bad_chaddr", "hardware type, length or address not ours"],
    ["dhcp_bad_port", "source port not 67"],
    ["dhcp_unexpected", "message not expected in the current state"],
    ["dhcp_bad_offer", "offer or ACK without a usable address or lease"],
    ["dhcp_offers_rx", "DHCPOFFERs accepted"],
    ["dhcp_acks_rx", "DHCPACKs accepted"],
    ["dhcp_naks_rx", "DHCPNAKs accepted"],
    ["dhcp_retransmits", "retransmissions (RFC 2131 §4.1 backoff)"],
    ["dhcp_acd_probes_tx", "ARP probes sent (RFC 5227)"],
    ["dhcp_acd_conflicts", "offered address in use by another host"],
    ["dhcp_declines_tx", "DHCPDECLINEs sent"],
    ["dhcp_releases_tx", "DHCPRELEASEs sent"],
    ["dhcp_lease_expired", "leases that expired"],
  ] },
  { group: "dns", counters: [
    ["dns_queries_tx", "queries sent (first transmissions)"],
    ["dns_retransmits", "queries sent again"],
    ["dns_timeouts", "queries that ended in ETIMEDOUT"],
    ["dns_replies_rx", "datagrams received on query sockets"],
    ["dns_replies_accepted", "replies that ended a query (answer or error)"],
    ["dns_cache_hits", "queries answered from the cache"],
    ["dns_wrong_source", "reply not from the server queried or not from port 53"],
    ["dns_bad_id", "reply ID not the query's"],
    ["dns_bad_question", "question not the query's"],
    ["dns_not_reply", "QR not set or opcode not QUERY"],
    ["dns_malformed", "message truncated or inconsistent"],
    ["dns_too_long", "reply longer than 512 bytes"],
    ["dns_pointer_forward", "compression pointer not pointing backwards"],
    ["dns_pointer_out_of_bounds", "compression pointer past the message"],
    ["dns_pointer_loop", "compression pointers form a loop"],
    ["dns_label_too_long", "label over 63 bytes or a reserved label type"],
    ["dns_name_too_long", "name over 255 bytes"],
    ["dns_cname_too_deep", "CNAME chain longer than the bound"],
  ] },
  { group: "udp-group (broadcast, multicast, ICMP errors to sockets)", counters: [
    ["udp_broadcast_filtered", "broadcast datagram with no socket that enabled Broadcast"],
    ["udp_broadcast_refused", "send to a broadcast address without Broadcast (`-EACCES`)"],
    ["udp_mcast_no_member", "multicast datagram with no socket in the group"],
    ["udp_icmp_errors", "ICMP errors matching a UDP socket"],
    ["udp_icmp_bad_quote", "ICMP error whose quote matches no UDP socket"],
  ] },
  { group: "igmp", counters: [
    ["igmp_rx", "IGMP messages received"],
    ["igmp_bad_length", "shorter than 8 bytes"],
    ["igmp_bad_checksum", "checksum wrong"],
    ["igmp_bad_group", "group not a multicast address"],
    ["igmp_queries_rx", "membership queries received"],
    ["igmp_reports_rx", "reports received"],
    ["igmp_reports_suppressed", "our pending report cancelled by another host's (RFC 2236 §3)"],
    ["igmp_reports_tx", "reports sent"],
    ["igmp_leaves_tx", "leave messages sent"],
    ["igmp_table_full", "join refused: no group entry free"],
  ] },
  { group: "sntp", counters: [
    ["sntp_tx", "requests sent"],
    ["sntp_rx", "replies received"],
    ["sntp_bad_source", "reply not from the server and port 123"],
    ["sntp_bad_format", "shorter than 48 bytes, not mode 4 (server) or version not 1-4"],
    ["sntp_bad_origin", "origin timestamp not our request's (RFC 4330 §5)"],
    ["sntp_unsynchronized", "leap indicator 3 or stratum above 15"],
    ["sntp_zero_transmit", "transmit timestamp zero"],
    ["sntp_kiss", "kiss-o'-death received"],
    ["sntp_timeouts", "requests unanswered (retried)"],
  ] },
  { group: "tcp (wire)", counters: [
    ["tcp_rx", "segments received"],
    ["tcp_tx", "segments sent"],
    ["tcp_truncated", "shorter than 20 bytes"],
    ["tcp_bad_offset", "data offset below 20 or past the segment"],
    ["tcp_bad_checksum", "checksum wrong"],
    ["tcp_bad_option", "malformed option"],
  ] },
  { group: "tcp (engine)", counters: [
    ["tcp_no_socket", "no connection or listener for the segment (answered with a RST unless it is one)"],
    ["tcp_rst_tx", "RSTs sent"],
    ["tcp_rst_rx", "acceptable RSTs received"],
    ["tcp_bad_seq", "segment outside the receive window"],
    ["tcp_bad_ack", "unacceptable ACK"],
    ["tcp_challenge_ack", "challenge ACKs sent (RFC 5961)"],
    ["tcp_challenge_ack_limited", "challenge ACK not sent: rate limit"],
    ["tcp_syn_backlog_full", "SYN dropped: half-open backlog full, no cookies"],
    ["tcp_syn_cookies_tx", "SYN cookies sent"],
    ["tcp_syn_cookies_ok", "connections completed from a cookie"],
    ["tcp_syn_cookies_bad", "ACK to a listener with an invalid cookie"],
    ["tcp_paws_drop", "old timestamp (RFC 7323 PAWS)"],
    ["tcp_retransmits", "segments retransmitted"],
    ["tcp_fast_retransmits", "fast retransmits (RFC 5681)"],
    ["tcp_rto_timeouts", "retransmission timeouts"],
    ["tcp_dup_acks", "duplicate ACKs received"],
    ["tcp_out_of_order", "segments queued out of order"],
    ["tcp_ofo_dropped", "out-of-order segment dropped: no room"],
    ["tcp_zero_window_probes", "zero-window probes sent"],
    ["tcp_keepalives_tx", "keepalive probes sent"],
    ["tcp_delayed_acks", "delayed ACKs sent by the timer"],
    ["tcp_time_wait_full", "TIME-WAIT table full: the oldest entry reused"],
    ["tcp_conns_opened", "connections reaching ESTABLISHED"],
    ["tcp_conns_closed", "connections closed"],
    ["tcp_conns_aborted", "connections aborted"],
    ["tcp_rcv_buf_drop", "data past the receive ring dropped"],
    ["tcp_sack_recoveries", "SACK-based recoveries (RFC 6675)"],
    ["tcp_tx_too_big", "segment not sent: it would overrun the MTU"],
    ["tcp_no_timestamp", "segment without timestamps once negotiated (RFC 7323 §3.2)"],
    ["tcp_no_rings", "SYN dropped: no ring pair free"],
    ["tcp_icmp_accepted", "ICMP errors applied to a connection"],
    ["tcp_icmp_rejected", "ICMP errors whose quote fails validation"],
    ["tcp_zero_window_drop", "data sent into a closed window dropped"],
    ["tcp_rst_data_after_close", "new data after tcpClose (FIN-WAIT-1/2): answered with RST, connection freed (RFC 2525 §2.17)"],
  ] },
  { group: "interface at run time (addresses, multicast filter)", counters: [
    ["eth_multicast_not_joined", "group MAC not in the multicast filter"],
    ["ipv4_unconfigured", "non-UDP packet while we have no address"],
    ["ipv4_multicast_not_joined", "IPv4 group not joined"],
    ["arp_announcements_tx", "ARP announcements sent (RFC 5227)"],
    ["iface_addr_changes", "address configuration changes"],
    ["iface_queue_flushed", "queued frames dropped by an address change"],
    ["arp_addr_conflict", "ARP from another MAC claiming our address: ignored, never cached (RFC 5227 §2.4)"],
  ] },
  { group: "ipv6", counters: [
    ["ipv6_rx", "IPv6 packets received"],
    ["ipv6_tx", "IPv6 packets sent"],
    ["ipv6_truncated", "shorter than 40 bytes"],
    ["ipv6_bad_version", "version not 6"],
    ["ipv6_bad_length", "payload length past the frame"],
    ["ipv6_bad_source", "source multicast, loopback or IPv4-mapped (or a loopback destination) (RFC 4291)"],
    ["ipv6_not_for_us", "destination not one of our addresses or groups, unicast in a group frame, or not NS/NA to a tentative address"],
    ["ipv6_ext_truncated", "extension header past the payload"],
    ["ipv6_ext_chain_too_long", "more than 8 extension headers"],
    ["ipv6_hbh_not_first", "Hop-by-Hop header not first (RFC 8200 §4.1): parameter problem"],
    ["ipv6_bad_option", "option past its header"],
    ["ipv6_unknown_option", "unrecognized option (RFC 8200 §4.2 action bits)"],
    ["ipv6_rh0", "routing header type 0 with segments left (RFC 5095): parameter problem"],
    ["ipv6_routing_rejected", "other routing header with segments left (a host does not forward): parameter problem"],
    ["ipv6_frag_rx", "fragments received"],
    ["ipv6_frag_no_reasm", "fragment dropped: reassembly off (`Reasm6Slots` 0, or a build without WT_FRAG)"],
    ["ipv6_atomic_fragments", "atomic fragments processed as whole packets (RFC 6946)"],
    ["ipv6_no_next_header", "next header 59"],
    ["ipv6_unknown_next_header", "unrecognized next header: parameter problem code 1"],
    ["ipv6_udp_no_port", "UDP over IPv6 that no socket takes: port unreachable (RFC 4443 §3.1, rate-limited)"],
    ["ipv6_no_route", "send failed: off-link without a default router"],
    ["ipv6_no_source", "send failed: no usable source address"],
    ["ipv6_too_big", "send failed: payload over the link MTU"],
  ] },
  { group: "icmpv6", counters: [
    ["icmp6_rx", "ICMPv6 messages received"],
    ["icmp6_truncated", "shorter than its type needs"],
    ["icmp6_bad_checksum", "checksum wrong"],
    ["icmp6_echo_requests_rx", "echo requests received"],
    ["icmp6_echo_replies_tx", "echo replies sent"],
    ["icmp6_echo_replies_rx", "echo replies received"],
    ["icmp6_errors_rx", "error messages received (destination unreachable, time exceeded, parameter problem, unknown)"],
    ["icmp6_packet_too_big_rx", "Packet Too Big received"],
    ["icmp6_bad_quote", "Packet Too Big not quoting a packet of ours"],
    ["icmp6_unknown_type", "unknown informational message (RFC 4443 §2.4 (b))"],
    ["icmp6_errors_tx", "errors sent"],
    ["icmp6_errors_suppressed", "error not sent: group destination, :: or multicast source, or about an ICMPv6 error (RFC 4443 §2.4 (e))"],
    ["icmp6_rate_limited", "error not sent: rate limit (RFC 4443 §2.4 (f))"],
  ] },
  { group: "nd", counters: [
    ["nd_bad_hop_limit", "ND message with hop limit not 255 (RFC 4861 §6.1, §7.1)"],
    ["nd_bad_code", "ND message with code not 0"],
    ["nd_truncated", "ND message shorter than its fixed part"],
    ["nd_bad_option", "option of length 0 or past the message"],
    ["nd_bad_target", "NS/NA target multicast"],
    ["nd_bad_dad_ns", "NS from :: not to a solicited-node group, or with a source link-layer option"],
    ["nd_bad_na", "NA to a group with the Solicited flag"],
    ["nd_ra_bad_source", "RA not from a link-local address"],
    ["nd_ns_rx", "valid NS received"],
    ["nd_na_rx", "valid NA received"],
    ["nd_ra_rx", "valid RA received"],
    ["nd_ns_tx", "NS sent"],
    ["nd_na_tx", "NA sent"],
    ["nd_rs_tx", "RS sent"],
    ["nd_rs_ignored", "RS received (a host ignores them)"],
    ["nd_redirect_ignored", "redirect received and not acted on, unchecked (builds without WT_IP6_SHOULD: the mcu6 module)"],
    ["nd_not_for_us", "NS for a target that is not ours"],
    ["nd_na_unsolicited", "NA for a neighbor not in the cache (discarded)"],
    ["nd_addr_conflict", "NA from another node for an address we use"],
    ["nd_cache_full", "neighbor entry evicted for a new one"],
    ["nd_queue_full", "frame dropped: no room waiting for resolution"],
    ["nd_queue_dropped", "queued frame dropped: resolution failed or entry evicted"],
    ["nd_resolution_failed", "neighbor unreachable after its solicitations"],
    ["nd_router_list_full", "RA from a new router with the default router list full"],
    ["nd_prefix_list_full", "on-link prefix not kept: list full"],
    ["nd_prefix_ignored", "prefix information ignored (link-local, preferred > valid, not /64 for SLAAC)"],
    ["nd_bad_mtu", "RA MTU option outside 1280..interface MTU"],
    ["ip6_dad_ns_tx", "DAD probes sent"],
    ["ip6_dad_conflicts", "DAD found an address in use (RFC 4862 §5.4.5)"],
    ["ip6_slaac_addrs", "addresses formed from RA prefixes"],
    ["ip6_addr_expired", "addresses removed at the end of their valid lifetime"],
    ["ip6_addr_table_full", "address not formed: table full"],
    ["mld_reports_tx", "MLDv2 reports sent"],
    ["mld_queries_rx", "MLD queries received"],
    ["mld_bad_query", "MLD query too short, not from link-local, or hop limit not 1"],
    ["mld_other_rx", "MLD reports and dones of other nodes (ignored)"],
  ] },
  { group: "transport over IPv6", counters: [
    ["tcp_pmtu_lowered", "Packet Too Big lowered a connection's MSS (RFC 8201 §5.2)"],
    ["udp6_rx", "UDP datagrams over IPv6 received"],
    ["udp6_zero_checksum", "UDP over IPv6 with checksum 0 dropped (RFC 8200 §8.1)"],
    ["udp6_bad_checksum", "UDP over IPv6 with a wrong checksum"],
    ["udp6_bad_length", "UDP over IPv6: length below 8 or not the payload's"],
  ] },
  { group: "ipv6 fragments (RFC 8200 §4.5)", counters: [
    ["ipv6_reasm_ok", "packets reassembled and processed"],
    ["ipv6_frag_misaligned", "non-last fragment not a multiple of 8 bytes: parameter problem code 0 at the payload length"],
    ["ipv6_frag_zero_length", "non-last fragment with no data: dropped"],
    ["ipv6_frag_past_64k", "fragment reaching past a 65,535-byte payload: parameter problem code 0 at the fragment offset"],
    ["ipv6_frag_incomplete_chain", "first fragment without the whole header chain (RFC 7112): parameter problem code 3"],
    ["ipv6_frag_too_big", "fragment past `ReasmMaxBytes`: packet dropped"],
    ["ipv6_frag_overlap", "fragment overlapping received data (RFC 5722): packet abandoned silently"],
    ["ipv6_frag_abandoned", "fragment of a packet abandoned for overlap (RFC 5722): dropped silently until its timeout"],
    ["ipv6_frag_duplicate", "exact duplicate of received bytes: ignored"],
    ["ipv6_frag_bad_last", "fragment contradicting the packet's known end: packet dropped"],
    ["ipv6_frag_nested", "fragment header inside a reassembled packet: dropped"],
    ["ipv6_frag_to_tentative", "fragment to a tentative address: dropped"],
    ["ipv6_reasm_evicted", "incomplete packet evicted for a new one (all slots busy)"],
    ["ipv6_reasm_timeout", "packet incomplete 60 s after its first fragment: Time Exceeded code 1 if the offset-0 fragment arrived"],
    ["ipv6_frag_tx", "fragments sent (a packet over the path MTU)"],
  ] },
  { group: "rdnss (RFC 8106)", counters: [
    ["nd_rdnss_rx", "RDNSS options received in valid RAs"],
    ["nd_rdnss_bad", "RDNSS option shorter than 24 bytes or with a bad address: ignored (RFC 8106 §5.1)"],
    ["nd_rdnss_replaced", "RDNSS table full: the entry expiring first replaced (RFC 8106 §5.3.1)"],
  ] },
  { group: "ipv6 fragments waiting for resolution", counters: [
    ["ipv6_frag_no_queue", "fragmented datagram refused whole (-EAGAIN): its fragments would not all fit the queue of an unresolved next hop (Ip6Queue, at most 3 per neighbor); resolution started"],
  ] },
  { group: "nd redirects (RFC 4861 §8)", counters: [
    ["nd_redirect_rx", "valid redirect acted on: the destination's first hop set (§8.3)"],
    ["nd_redirect_bad_source", "redirect not from a link-local address: dropped (§8.1)"],
    ["nd_redirect_bad_target", "redirect for a multicast destination, or whose target is neither link-local nor the destination: dropped (§8.1)"],
    ["nd_redirect_not_first_hop", "redirect not from the current first hop for its destination: dropped (§8.1)"],
  ] },
];
