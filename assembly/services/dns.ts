// The DNS stub resolver (RFC 1035 §7, RFC 1536, RFC 5452): A or AAAA (RFC 3596) queries, class IN, RD=1, to the
// interface's DNS servers (iface.ts ifaceDns), each query on its own UDP socket bound to a random
// ephemeral port with a random 16-bit ID from the stack's keyed PRNG (RFC 5452 §9.2). A reply is
// accepted only from the server queried, from port 53, to that socket, with that ID and the same
// question (RFC 5452 §9.1); anything else is dropped and counted, and the query keeps waiting.
//
// Sits on UDP sockets and the interface's accessors like any application; abi.ts calls
// dnsService() after every input and poll (it reads the query sockets and runs the timers).
// Pools (queries, cache) are reserved by dnsInit at init; nothing is allocated later.
//
// Behaviour: retransmission after DnsTimeoutMs, rotating through the servers; the timeout doubles
// after each full round (capped at 8x); DnsTries transmissions in all, then ETIMEDOUT. NXDOMAIN,
// SERVFAIL (and FORMERR / NOTIMP), REFUSED end the query with ENOTFOUND / ESERVFAIL / EREFUSED
// (no retry elsewhere); TC=1 ends it with ETRUNCATED (no TCP fallback). Positive answers are
// cached for their minimum TTL (capped at one day); negative answers are not cached.
// Addresses: each query and cache entry has max(DnsMaxAddrs x 4, 16) bytes of room: an A answer
// keeps DnsMaxAddrs addresses (4 bytes each), an AAAA answer room / 16 (16 bytes each, network order).
// Servers, in rotation order: iface's IPv4 list (ifaceSetDns), then in builds with IPv6 the IPv6
// ones (ip/ipv6.ts ip6DnsServer: those set by ip6SetDns, then RFC 8106 RDNSS ones). In those
// builds a query keeps its server as 16 bytes (IPv4-mapped for IPv4) and reads replies with
// udpRecvFrom6, so the source check covers both families; IPv4-only builds keep the u32 form.
import { cfg, Cfg } from "../config";
import { poolAlloc, validRange } from "../pool";
import { count, Stat } from "../stats";
import { Err, EventKind } from "../errors";
import { hostEvent } from "../host";
import { nearer, netNow } from "../netif";
import { DNS_MAX, ifaceDns } from "../iface";
import { udpOpen, udpBind, udpSendTo, udpRecvFrom, udpClose, udpSendTo6, udpRecvFrom6, UDP_FROM6_BYTES } from "../udp";
import { ip6DnsServer } from "../ip/ipv6";
import { addrEq, addrSetV4 } from "../ip/addr";
import { randomU32 } from "../tcp/isn";
import { FEAT_IPV6, FEAT_SCALE } from "../features";
import { HandleKind, handleEncode, handleEntry, handleNextGen } from "../handles";
import {
  DNS_HLEN, DNS_PORT, DNS_UDP_MAX, DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_CNAME, DNS_CLASS_IN, DNS_RCODE_NOERROR,
  DNS_RCODE_NXDOMAIN, DNS_RCODE_REFUSED, DNS_ETRUNC,
  DnsRr, dnsEncodeName, dnsEmitQuery, dnsReadName, dnsNameEq, dnsNameLen, dnsReadRr, dnsReadA,
  dnsId, dnsQr, dnsOpcode, dnsTc, dnsRcode, dnsQdcount, dnsAncount,
} from "../wire/dns";

/** CNAME links followed within one reply. */
export const DNS_CNAME_MAX: i32 = 8;
/** TTLs are capped here (seconds) so expiry times stay wrap-safe. */
const TTL_CAP: u32 = 86400;
const NAME_ROOM: usize = 256;

const Q_FREE: u8 = 0;
const Q_INFLIGHT: u8 = 1;
const Q_DONE: u8 = 2;

@unmanaged class DnsQ {
  state: u8; tries: u8; qtype: u16;  // DNS_TYPE_A or DNS_TYPE_AAAA
  gen: u16; id: u16;
  sock: i32;
  server: u32;
  deadline: u32;
  result: i32;   // count of addresses or -Err once done
  ttl: u32;      // seconds
}
/** With IPv6: the server queried, 16 bytes (IPv4-mapped for IPv4), after the fields above. */
const Q_HDR: usize = FEAT_IPV6 ? 48 : 32;
@inline function qServer(q: DnsQ): usize { return changetype<usize>(q) + 32; }

@unmanaged class DnsC {
  used: u32;
  expires: u32;  // netNow ms
  count: i32;
  qtype: u32;
}
const C_HDR: usize = 16;

let ready = false;
let nQ: i32 = 0;
let nC: i32 = 0;
let maxAddrs: i32 = 0;
let room: usize = 0;     // address bytes per query / cache entry
let qStride: usize = 0;
let cStride: usize = 0;
let qBase: usize = 0;
let cBase: usize = 0;

const msgBuf: usize = memory.data(DNS_UDP_MAX + 16, 16); // a query being built / a reply read
const fromBuf: usize = memory.data(16, 4);
/** udpRecvFrom6's source, port and size (builds with IPv6). */
const from6: usize = memory.data(UDP_FROM6_BYTES, 8);
const nameA: usize = memory.data(<i32>NAME_ROOM, 4);
const nameB: usize = memory.data(<i32>NAME_ROOM, 4);
const nameC: usize = memory.data(<i32>NAME_ROOM, 4);
const rr: DnsRr = changetype<DnsRr>(memory.data(offsetof<DnsRr>(), 4));

/** Reserve the query pool and the cache. Called once by init(). */
export function dnsInit(): bool {
  let q = cfg(Cfg.DnsQueries), m = cfg(Cfg.DnsMaxAddrs), c = cfg(Cfg.DnsCacheEntries);
  let t = cfg(Cfg.DnsTimeoutMs), tries = cfg(Cfg.DnsTries);
  if (q > 64 || m < 1 || m > 32 || c > 64 || t < 100 || t > 60000 || tries < 1 || tries > 16) return false;
  nQ = <i32>q; nC = <i32>c; maxAddrs = <i32>m;
  room = m < 4 ? 16 : <usize>m << 2;
  qStride = Q_HDR + NAME_ROOM + room;
  cStride = C_HDR + NAME_ROOM + room;
  ready = true;
  if (nQ > 0) { qBase = poolAlloc(<usize>nQ * qStride); if (qBase == 0) return false; }
  if (nC > 0) { cBase = poolAlloc(<usize>nC * cStride); if (cBase == 0) return false; }
  return true;
}

@inline function qAt(i: i32): DnsQ { return changetype<DnsQ>(qBase + <usize>i * qStride); }
@inline function qName(q: DnsQ): usize { return changetype<usize>(q) + Q_HDR; }
@inline function qAddrs(q: DnsQ): usize { return changetype<usize>(q) + Q_HDR + NAME_ROOM; }
@inline function qSlot(q: DnsQ): i32 { return <i32>((changetype<usize>(q) - qBase) / qStride); }
@inline function qHandle(q: DnsQ): i32 { return handleEncode(HandleKind.DNS, <i32>q.gen, qSlot(q)); }
@inline function cAt(i: i32): DnsC { return changetype<DnsC>(cBase + <usize>i * cStride); }
@inline function cName(c: DnsC): usize { return changetype<usize>(c) + C_HDR; }
@inline function cAddrs(c: DnsC): usize { return changetype<usize>(c) + C_HDR + NAME_ROOM; }
@inline function expired(t: u32): bool { return <i32>(t - netNow) <= 0; }

function fromHandle(h: i32): DnsQ | null {
  let q = changetype<DnsQ>(handleEntry(h, HandleKind.DNS, qBase, nQ, qStride, offsetof<DnsQ>("gen")));
  return q != null && q.state != Q_FREE ? q : null;
}


/** The IPv4 servers set (iface's list). */
function count4(): i32 {
  let n = 0;
  for (let i = 0; i < DNS_MAX; i++) if (ifaceDns(i) != 0) n++;
  return n;
}

function serverCount(): i32 {
  if (!FEAT_IPV6) return count4();
  let n = 0;
  while (ip6DnsServer(n, from6)) n++;
  return count4() + n;
}

/** With IPv6: server k (k < serverCount()) as 16 bytes at out: the IPv4 ones mapped, then ip6DnsServer's. */
function serverAt6(k: i32, out: usize): void {
  let n4 = count4();
  if (k < n4) addrSetV4(out, serverAt(k));
  else ip6DnsServer(k - n4, out);
}

/** The k-th set server (k < serverCount()). */
function serverAt(k: i32): u32 {
  for (let i = 0; i < DNS_MAX; i++) {
    let a = ifaceDns(i);
    if (a == 0) continue;
    if (k == 0) return a;
    k--;
  }
  return 0;
}

function closeSock(q: DnsQ): void {
  if (q.sock > 0) { udpClose(q.sock); q.sock = 0; }
}

function finish(q: DnsQ, result: i32): void {
  q.state = Q_DONE;
  q.result = result;
  closeSock(q);
  hostEvent(qHandle(q), <i32>EventKind.DnsDone, result);
}

/** Send (or resend) q to the next server with a fresh ID; arm its timer. */
function transmit(q: DnsQ): void {
  let n = serverCount();
  if (n == 0) { finish(q, -Err.EHOSTUNREACH); return; }
  let k = <i32>q.tries;
  if (FEAT_IPV6) serverAt6(k % n, qServer(q));
  else q.server = serverAt(k % n);
  q.id = <u16>randomU32();
  let round = k / n;
  let timeout = cfg(Cfg.DnsTimeoutMs) << <u32>(round < 3 ? round : 3);
  q.deadline = netNow + timeout;
  q.tries++;
  let len = dnsEmitQuery(msgBuf, q.id, qName(q), dnsNameLen(qName(q)), q.qtype);
  count(k == 0 ? Stat.DnsQueriesTx : Stat.DnsRetransmits);
  // a failed send (ARP/ND queue full, no source address) is retried on timeout
  if (FEAT_IPV6) udpSendTo6(q.sock, qServer(q), <i32>DNS_PORT, msgBuf, len);
  else udpSendTo(q.sock, q.server, <i32>DNS_PORT, msgBuf, len);
}

function cacheFind(name: usize, qtype: u16): DnsC | null {
  for (let i = 0; i < nC; i++) {
    let c = cAt(i);
    if (c.used == 0) continue;
    if (expired(c.expires)) { c.used = 0; continue; }
    if (c.qtype == <u32>qtype && dnsNameEq(cName(c), name)) return c;
  }
  return null;
}

function cacheStore(q: DnsQ): void {
  if (nC == 0 || q.ttl == 0) return;
  let victim: DnsC | null = null;
  for (let i = 0; i < nC; i++) {
    let c = cAt(i);
    if (c.used == 0 || expired(c.expires) || (c.qtype == <u32>q.qtype && dnsNameEq(cName(c), qName(q)))) { victim = c; break; }
    if (victim == null || <i32>(c.expires - victim.expires) < 0) victim = c;
  }
  let c = victim!;
  c.used = 1;
  c.expires = netNow + q.ttl * 1000;
  c.count = q.result;
  c.qtype = q.qtype;
  memory.copy(cName(c), qName(q), NAME_ROOM);
  memory.copy(cAddrs(c), qAddrs(q), room);
}

/**
 * Start resolving the dotted name at namePtr: a query handle (DnsDone follows), -EINVAL,
 * -ENOMEM (no query slot or UDP socket), -EHOSTUNREACH (no server), -ESTATE (before init).
 */
export function dnsQuery(namePtr: usize, nameLen: i32): i32 { return dnsQueryFamily(namePtr, nameLen, 4); }

/** dnsQuery for `family` 4 (A records) or 6 (AAAA records, RFC 3596); other families -EINVAL. */
export function dnsQueryFamily(namePtr: usize, nameLen: i32, family: i32): i32 {
  if (!ready) return -Err.ESTATE;
  if (family != 4 && (family != 6 || !FEAT_IPV6)) return -Err.EINVAL; // AAAA: in builds with IPv6
  let qtype = family == 4 ? DNS_TYPE_A : DNS_TYPE_AAAA;
  if (!validRange(namePtr, nameLen)) return -Err.EINVAL;
  if (dnsEncodeName(namePtr, nameLen, nameA) < 0) return -Err.EINVAL;
  let q: DnsQ | null = null;
  for (let i = 0; i < nQ; i++) if (qAt(i).state == Q_FREE) { q = qAt(i); break; }
  if (q == null) return -Err.ENOMEM;
  let gen = handleNextGen(<i32>q.gen);
  memory.fill(changetype<usize>(q), 0, qStride);
  q.gen = <u16>gen;
  q.qtype = qtype;
  memory.copy(qName(q), nameA, NAME_ROOM);
  let c = cacheFind(nameA, qtype);
  if (c != null) {
    count(Stat.DnsCacheHits);
    memory.copy(qAddrs(q), cAddrs(c), room);
    q.ttl = (c.expires - netNow) / 1000;
    finish(q, c.count);
    return qHandle(q);
  }
  if (serverCount() == 0) return -Err.EHOSTUNREACH;
  let s = udpOpen();
  if (s < 0) return -Err.ENOMEM;
  let r = udpBind(s, 0); // a random ephemeral port (RFC 6056 §3.3.1, RFC 5452 §9.2)
  if (r < 0) { udpClose(s); return r; }
  q.sock = s;
  q.state = Q_INFLIGHT;
  if (FEAT_SCALE) mayBeInFlight = true;
  transmit(q);
  return qHandle(q);
}

/**
 * A finished query's TTL (u32 at out) and up to max addresses after it (4 bytes each for an A
 * query, 16 for an AAAA one); see docs/abi.md.
 */
export function dnsResult(h: i32, out: usize, max: i32): i32 {
  let q = fromHandle(h);
  if (q == null) return -Err.EBADF;
  let size = FEAT_IPV6 && q.qtype == DNS_TYPE_AAAA ? 16 : 4;
  if (<u32>max > 0x10000 || !validRange(out, 4 + max * size)) return -Err.EINVAL; // (negative: a huge u32)
  if (q.state == Q_INFLIGHT) return -Err.EAGAIN;
  let r = q.result;
  q.state = Q_FREE;
  if (r < 0) return r;
  let n = r < max ? r : max;
  store<u32>(out, q.ttl);
  memory.copy(out + 4, qAddrs(q), <usize>(n * size));
  return n;
}

/** Free query slots (a scan: for the fuzz harnesses' pool invariants, not a hot path). */
export function dnsFreeCount(): i32 {
  let n = 0;
  for (let i = 0; i < nQ; i++) if (qAt(i).state == Q_FREE) n++;
  return n;
}

/** Forget a query; no DnsDone follows. */
export function dnsCancel(h: i32): i32 {
  let q = fromHandle(h);
  if (q == null) return -Err.EBADF;
  closeSock(q);
  q.state = Q_FREE;
  return 0;
}

/** The counter for a name decoding failure (a DNS_E* code). */
function nameStat(e: i32): Stat {
  let k = <u32>(DNS_ETRUNC - e); // DNS_ETRUNC (-1) .. DNS_ENAME (-6): 0 .. 5
  return k < 6 ? <Stat>load<u16>(NAME_STATS + (<usize>k << 1)) : Stat.DnsNameTooLong;
}
// by DNS_E* code, from DNS_ETRUNC down (wire/dns.ts)
const NAME_STATS: usize = memory.data<u16>([
  <u16>Stat.DnsMalformed, <u16>Stat.DnsPointerForward, <u16>Stat.DnsPointerOutOfBounds, <u16>Stat.DnsPointerLoop,
  <u16>Stat.DnsLabelTooLong, <u16>Stat.DnsNameTooLong,
]);

/** The error a reply's header reports (0 for none): rcode first, then TC. */
function replyError(m: usize): i32 {
  let rcode = dnsRcode(m);
  if (rcode == DNS_RCODE_NXDOMAIN) return -Err.ENOTFOUND;
  if (rcode == DNS_RCODE_REFUSED) return -Err.EREFUSED;
  if (rcode != DNS_RCODE_NOERROR) return -Err.ESERVFAIL;
  if (dnsTc(m) != 0) return -Err.ETRUNCATED;
  return 0;
}

/**
 * One datagram of `n` bytes at msgBuf from src:sport on q's socket. Returns 0 (never a DNS counter) when it ended
 * the query, or the drop counter to increment (the query keeps waiting).
 */
function reply(q: DnsQ, n: i32, src: u32, sport: u32): Stat {
  // RFC 5452 §9.1: from the address queried (with IPv6 the 16 bytes at from6) and port 53
  if ((FEAT_IPV6 ? !addrEq(from6, qServer(q)) : src != q.server) || sport != <u32>DNS_PORT) return Stat.DnsWrongSource;
  if (n < DNS_HLEN) return Stat.DnsMalformed;
  let m = msgBuf;
  if (dnsQr(m) != 1 || dnsOpcode(m) != 0) return Stat.DnsNotReply;
  if (dnsId(m) != q.id) return Stat.DnsBadId;
  // the question must be ours (RFC 5452 §9.1): name (any case), type, class
  if (dnsQdcount(m) != 1) return Stat.DnsBadQuestion;
  let off = dnsReadName(m, n, DNS_HLEN, nameB);
  if (off < 0) return nameStat(off);
  if (off + 4 > n) return Stat.DnsMalformed;
  if (!dnsNameEq(nameB, qName(q)) || load<u32>(m + <usize>off) != bswap<u32>((<u32>q.qtype << 16) | DNS_CLASS_IN)) {
    return Stat.DnsBadQuestion;
  }
  off += 4;
  let err = replyError(m);
  if (err != 0) { count(Stat.DnsRepliesAccepted); finish(q, err); return 0; }
  // Answer section: follow the CNAME chain from our name (nameA = the name sought), collect A records.
  let an = dnsAncount(m);
  memory.copy(nameA, qName(q), NAME_ROOM);
  let got = 0;
  let ttl: u32 = TTL_CAP;
  let addrs = qAddrs(q);
  let v6 = FEAT_IPV6 && q.qtype == DNS_TYPE_AAAA;
  let size = v6 ? 16 : 4;
  let keep = v6 ? <i32>(room >> 4) : maxAddrs;
  for (let pass = 0; pass <= DNS_CNAME_MAX; pass++) {
    let p = off;
    let cname = false;
    for (let i = 0; i < an; i++) {
      p = dnsReadName(m, n, p, nameB);
      if (p < 0) return nameStat(p);
      p = dnsReadRr(m, n, p, rr);
      if (p < 0) return Stat.DnsMalformed;
      if (rr.klass != DNS_CLASS_IN || !dnsNameEq(nameB, nameA)) continue;
      if (rr.type == q.qtype) {
        if (rr.rdLen != size) return Stat.DnsMalformed; // RFC 1035 §3.4.1: 4 bytes; RFC 3596 §2.2: 16
        if (rr.ttl < ttl) ttl = rr.ttl;
        if (got < keep) {
          if (!v6) store<u32>(addrs + (<usize>got << 2), dnsReadA(m, rr.rdOff));
          else memory.copy(addrs + (<usize>got << 4), m + <usize>rr.rdOff, 16);
          got++;
        }
      } else if (rr.type == DNS_TYPE_CNAME && !cname) {
        let e = dnsReadName(m, rr.rdOff + rr.rdLen, rr.rdOff, nameC); // the target lies within its RDATA
        if (e < 0) return nameStat(e);
        if (rr.ttl < ttl) ttl = rr.ttl;
        cname = true;
      }
    }
    if (got > 0 || !cname) break;
    if (pass == DNS_CNAME_MAX) { count(Stat.DnsCnameTooDeep); break; }
    memory.copy(nameA, nameC, NAME_ROOM);
  }
  count(Stat.DnsRepliesAccepted);
  q.ttl = ttl;
  if (got > 0) { q.result = got; cacheStore(q); }
  finish(q, got > 0 ? got : -Err.ENODATA);
  return 0;
}

/**
 * Builds with WT_SCALE: false once a dnsService found no query in flight, until the next starts.
 * abi.ts runs dnsService after every received frame: the scan of the table is then skipped.
 */
let mayBeInFlight = false;

/** Read the query sockets and run the retransmission timers; ms until the next deadline, -1 for none. */
export function dnsService(): i32 {
  if (FEAT_SCALE && !mayBeInFlight) return -1;
  let next: i32 = -1;
  let left = false;
  for (let i = 0; i < nQ; i++) {
    let q = qAt(i);
    if (q.state != Q_INFLIGHT) continue;
    if (FEAT_SCALE) left = true; // (still in flight, or finished below: scanned again next time)
    let done = false;
    while (!done) {
      let drop: Stat;
      if (FEAT_IPV6) {
        let n = udpRecvFrom6(q.sock, msgBuf, DNS_UDP_MAX, from6);
        if (n < 0) break;
        count(Stat.DnsRepliesRx);
        drop = load<u32>(from6, 20) > <u32>DNS_UDP_MAX ? Stat.DnsTooLong : reply(q, n, 0, load<u32>(from6, 16));
      } else {
        let n = udpRecvFrom(q.sock, msgBuf, DNS_UDP_MAX, fromBuf);
        if (n < 0) break;
        count(Stat.DnsRepliesRx);
        drop = load<u32>(fromBuf, 8) > <u32>DNS_UDP_MAX ? Stat.DnsTooLong : reply(q, n, load<u32>(fromBuf), load<u32>(fromBuf, 4));
      }
      if (drop == 0) done = true;
      else count(drop);
    }
    if (done) continue;
    if (expired(q.deadline)) {
      if (<u32>q.tries >= cfg(Cfg.DnsTries)) { count(Stat.DnsTimeouts); finish(q, -Err.ETIMEDOUT); continue; }
      transmit(q);
      if (q.state != Q_INFLIGHT) continue;
    }
    next = nearer(next, q.deadline);
  }
  if (FEAT_SCALE) mayBeInFlight = left;
  return next;
}
