// A node:net-style API over the WebAssembly stack: createStack() -> NetStack, whose
// createServer()/connect() give Server and Socket objects that behave like node:net's
// (Socket is a stream.Duplex with backpressure; errors carry Node's codes).
//
//   const net = createStack({ ip: "198.51.100.2/24", link: { type: "tap", name: "wt0" } });
//   net.createServer((s) => s.pipe(s)).listen(7);
//   const c = net.connect({ host: "198.51.100.1", port: 8080 }, () => c.end("hi"));
//
// Payload crosses into the module through its I/O region (ioBuffer()): we copy into
// linear memory and call tcpWrite/tcpRead with a pointer; no typed array ever goes
// through loader bindings.
//
// The core's events arrive during a wasm call (input, poll). We only note them there
// and act on them in a microtask, after the call has returned, so the core is never
// re-entered from its own callback.
//
// Emulated links run in virtual time: drive them with `await net.until(pred, ms)`,
// which runs the Sim one instant at a time and lets stream callbacks run between
// instants (deterministic for a given seed). On a TAP the stack runs on the real clock.

import { Duplex } from "node:stream";
import type { SocketConnectOpts as NodeSocketConnectOpts } from "node:net";
import { EventEmitter } from "node:events";
import { getSystemErrorMap, inspect } from "node:util";
import { constants as osConstants } from "node:os";
import { BuildName, bytesToIp6, Clock, DHCP_STATE_NAMES, IfaceInfo, ip6ToBytes, ipToU32, Stack, u32ToIp } from "./stack.js";
import {
  Err, ERR_NAMES, EventKind, type Exports, TCP_INFO_NAMES, TCP_STATE_NAMES, TcpOpt, type TcpStateName, TIME_WAIT_ROW, TIME_WAIT_ROW_WORDS,
} from "./abi.js";
import { Link, Sim } from "./links/emulated.js";
import { TapLink, TapLinkOptions } from "./links/tap.js";
import { PcapWriter } from "./pcap.js";
import { Lookup, type LookupAddress, type LookupAllCallback, type LookupOneCallback, type LookupOptions } from "./lookup.js";
import { configureDhcp, DhcpTracker, type DhcpLease, type DhcpOptions } from "./dhcp.js";
import { SntpQueries, type SntpQueryOptions, type SntpResult } from "./sntp.js";
import { bindAddress, ip6Literal, isMapped, ownAddress } from "./addr-text.js";
import { createSocket as createDgramSocket, Socket as DgramSocket, type RemoteInfo, type SocketOptions as DgramOptions, type UdpSocketInfo } from "./dgram.js";

const INFO_FIELDS = TCP_INFO_NAMES.length;
const E_EAGAIN = Err.EAGAIN;
const E_ENOTCONN = Err.ENOTCONN;
const READABLE = 1 << EventKind.Readable;

// ---------------------------------------------------------------------------
// Options

export interface EmulatedDriver {
  type: "emulated";
  /** The Sim whose virtual clock drives this stack. */
  sim: Sim;
  /** The segment to attach to (e.g. sim.link({ delayMs: 1 })). */
  link: Link;
}

export type TapDriver = { type: "tap" } & (
  | ({ /** TAP device name (created if missing). */ name: string } & TapLinkOptions)
  | { /** An already open TapLink. */ tap: TapLink }
);

export interface CreateStackOptions {
  /** RFC 7217 secret_key (16 bytes) for stable IPv6 addresses across restarts (with `ipv6`). */
  ip6Secret?: Uint8Array;
  /**
   * "198.51.100.2/24" or "198.51.100.2" (then `prefix`, default 24); "dhcp" is the same as `dhcp: true`.
   */
  ip?: string;
  /**
   * Start without an address and run the core's DHCP client (RFC 2131), optionally with a host
   * name, client identifier and an address remembered from an earlier boot (src/dhcp.ts).
   * 'dhcp' events ("bound" | "renewed" | "lost", lease) and 'address' events follow the lease.
   */
  dhcp?: boolean | DhcpOptions;
  prefix?: number;
  /** Default 02:00:00:00:00:02. */
  mac?: string;
  gateway?: string;
  mtu?: number;
  /** Bytes per TCP send / receive ring (defaults 128 KiB each). */
  sndBuf?: number;
  rcvBuf?: number;
  /** TCP connection blocks, listeners included (default 32). */
  maxSockets?: number;
  /**
   * Any other core Cfg key by name (assembly/config.ts), applied last. Node's defaults differ from
   * the core's in UdpQueueBytes: 65536 per UDP socket (the core's 2048 suits an MCU), so a
   * reassembled datagram up to ReasmMaxBytes fits.
   */
  config?: Record<string, number>;
  /** Seed for the core's entropy (tests); default: crypto RNG. */
  seed?: number;
  build?: BuildName;
  name?: string;
  /** Where frames go: an emulated segment (virtual time) or a TAP device (real time). */
  link: EmulatedDriver | TapDriver;
  /** Write every frame in and out to this libpcap file. */
  pcap?: string;
  /** Clock for a TAP stack (default: the real clock). Ignored for emulated links (the Sim's clock). */
  clock?: Clock;
  /**
   * IPv6: on by default in a build that has it (dual-stack, as node's; the mcu build has none and
   * stays IPv4-only), `false` turns it off, options tune it. The link-local address forms at once (RFC 4862;
   * `eui64` for EUI-64 identifiers instead of RFC 7217 ones), SLAAC from router advertisements,
   * and `addresses` ("2001:db8::2/64") are added as static ones. `dad: false` skips duplicate
   * address detection (addresses usable at once; otherwise they wait about a second).
   * Sockets are dual-stack: connect({ host: "2001:db8::1" }), listen(port, "::"), createSocket("udp6").
   */
  ipv6?: boolean | Ipv6Options;
}

export interface Ipv6Options {
  eui64?: boolean; addresses?: string[]; dad?: boolean;
  /**
   * A random 0..1 s delay before the first DAD Neighbor Solicitation (or, without DAD, the first
   * Router Solicitation): RFC 4862 §5.4.2 / RFC 4861 §6.3.7, so that hosts powered up together do not
   * solicit at once. Off by default on emulated links (deterministic timing); `wasm-tcpip up` turns it on.
   */
  startDelay?: boolean;
}

/** "IPv6" for an address text with a colon, else "IPv4". */
function familyOf(a: string | undefined | null): "IPv4" | "IPv6" { return a && a.includes(":") ? "IPv6" : "IPv4"; }

/**
 * How a dual-stack listener names an IPv4 peer or local address: IPv4-mapped (RFC 4291 §2.5.5.2),
 * "::ffff:198.51.100.1", family "IPv6", as node:net reports them on a server listening on "::".
 */
function mapped4(a: string): string { return a.includes(":") ? a : `::ffff:${a}`; }

function okIpv4(a: string): boolean { try { ipToU32(a); return true; } catch { return false; } }

/** 16 address bytes as text: IPv4-mapped ones dotted (their family stays IPv4), others RFC 5952. */
function addrText(b: Uint8Array, off: number): string {
  return isMapped(b.subarray(off, off + 16)) ? `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}` : bytesToIp6(b, off);
}

// ---------------------------------------------------------------------------
// Errors

/** An Error shaped like node:net's: err.code is the Node code, err.errno the negative errno. */
export interface NetError extends Error {
  code: string;
  errno: number;
  syscall: string;
  address?: string;
  port?: number;
}

function errnoOf(code: string): number {
  const n = (osConstants.errno as Record<string, number>)[code];
  return n === undefined ? -1 : -n;
}

export function netError(code: string, syscall: string, address?: string, port?: number): NetError {
  const where = address !== undefined ? ` ${address}${port !== undefined ? `:${port}` : ""}` : "";
  const e = new Error(`${syscall} ${code}${where}`) as NetError;
  e.code = code;
  e.errno = errnoOf(code);
  e.syscall = syscall;
  if (address !== undefined) e.address = address;
  if (port !== undefined) e.port = port;
  return e;
}

/**
 * node's uvExceptionWithHostPort (listen, bind): "listen EADDRINUSE: address already in use 1.2.3.4:80",
 * with libuv's text for the code (port 0: neither ":0" nor a `port` property, as node's).
 */
export function uvNetError(code: string, syscall: string, address: string, port: number): NetError {
  const e = netError(code, syscall, address, port || undefined);
  const text = getSystemErrorMap().get(e.errno)?.[1];
  if (text) e.message = `${syscall} ${code}: ${text} ${address}${port ? `:${port}` : ""}`;
  return e;
}

function codeOf(err: number): string { return ERR_NAMES[err] ?? `E${err}`; }

// ---------------------------------------------------------------------------
// Virtual-time driving: a counter every core event bumps, so Sim runs stop after
// the instant in which something happened and JavaScript can react.

let activity = 0;
const nextTurn = (): Promise<void> => new Promise((r) => setImmediate(r));
const nextTick = (): Promise<void> => new Promise((r) => process.nextTick(r));
/**
 * Between two full event-loop turns, runSim runs at most this many instants, spanning less than
 * TURN_SPAN_MS of virtual time; after the others it yields through process.nextTick only. A turn
 * (setImmediate) lets timers, I/O and setImmediate callbacks run, and costs some 30 us on these
 * machines (an epoll_wait, profiled as idle: 18% of the API benchmark's time at one turn per
 * instant); microtasks and nextTicks (streams' 'data', 'drain', 'end') run after every instant.
 * Both bounds are counts and virtual time, never wall time, so runs stay deterministic.
 */
const TURN_INSTANTS = 16;
const TURN_SPAN_MS = 1;

/**
 * Run a Sim until pred() holds or `maxMs` of virtual time have passed, letting
 * microtasks, nextTicks and stream callbacks run between instants (and a full event-loop
 * turn at least every TURN_INSTANTS instants or TURN_SPAN_MS of virtual time). Returns pred().
 */
export async function runSim(sim: Sim, pred: () => boolean, maxMs: number): Promise<boolean> {
  if (sim.driver) return sim.driver.until(pred, maxMs); // a real-time Sim runs by itself: wait in real time
  const end = sim.now() + maxMs;
  let instants = TURN_INSTANTS;
  let turnAt = 0;
  for (;;) {
    if (instants < TURN_INSTANTS && sim.now() - turnAt < TURN_SPAN_MS) {
      instants++;
      await nextTick();
    } else {
      instants = 0;
      turnAt = sim.now();
      await nextTurn();
    }
    if (pred()) return true;
    if (sim.now() >= end) return false;
    const mark = activity;
    sim.runUntil(() => activity !== mark || pred(), end);
  }
}

// ---------------------------------------------------------------------------
// Socket listing

export interface SocketInfo {
  /** The core's handle; 0 for a compact TIME-WAIT entry (the handle is gone, the 4-tuple still waits). */
  handle: number;
  state: TcpStateName;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Bytes queued to send (unacknowledged + unsent). */
  sendQ: number;
  /** Bytes received, not yet read. */
  recvQ: number;
  cwnd: number;
  ssthresh: number;
  /** Smoothed RTT / RTT variance / retransmission timeout, ms. */
  srtt: number;
  rttvar: number;
  rto: number;
  mss: number;
  sndWnd: number;
  rcvWnd: number;
  retransmits: number;
  /** Last error (Node code) or "". */
  error: string;
  /**
   * TIME-WAIT rows from the compact table: ms left of 2*MSL (like `ss -o` timer:(timewait,...)),
   * as of the core's latest input or poll (it may lag the clock by the time since).
   */
  timeWaitMs?: number;
  /** The addresses' family ("IPv4" or "IPv6"); set on the TIME-WAIT rows from the compact table. */
  family?: "IPv4" | "IPv6";
}

/** `ss -tan`-style text for a list of sockets; `brief`: only ss's five columns (no cwnd, srtt, rto). */
export function formatSockets(list: SocketInfo[], opts: { brief?: boolean } = {}): string {
  const rows = [["State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port", "cwnd", "srtt", "rto"]];
  for (const s of list) {
    const noConn = s.state === "LISTEN" || s.timeWaitMs !== undefined; // no congestion state to show
    rows.push([s.state, String(s.recvQ), String(s.sendQ), `${s.localAddress}:${s.localPort}`,
      s.state === "LISTEN" ? "0.0.0.0:*" : `${s.remoteAddress}:${s.remotePort}`,
      noConn ? "" : String(s.cwnd), noConn ? "" : `${s.srtt}ms`,
      noConn ? (s.timeWaitMs !== undefined ? `timewait ${s.timeWaitMs}ms` : "") : `${s.rto}ms`]);
  }
  if (opts.brief) for (const r of rows) r.length = 5;
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd()).join("\n");
}

/**
 * The core's compact TIME-WAIT entries (tcpTimeWaitList, rows written at `io`) as SocketInfo rows:
 * the row's own local and remote addresses (IPv4 dotted, IPv6 as node prints them) and family.
 */
export function coreTimeWaitRows(stack: Stack, io: number, ioLen: number): SocketInfo[] {
  const rowBytes = TIME_WAIT_ROW_WORDS * 4;
  const n = stack.exports.tcpTimeWaitList(io, Math.floor(ioLen / rowBytes));
  if (n <= 0) return [];
  const v = new Uint32Array(stack.memory.buffer, io, n * TIME_WAIT_ROW_WORDS);
  const b = new Uint8Array(stack.memory.buffer, io, n * rowBytes);
  const rows: SocketInfo[] = [];
  for (let k = 0; k < n; k++) {
    const r = k * TIME_WAIT_ROW_WORDS;
    rows.push({
      handle: 0, state: "TIME-WAIT", family: v[r + TIME_WAIT_ROW.family] === 6 ? "IPv6" : "IPv4",
      localAddress: addrText(b, (r + TIME_WAIT_ROW.localAddr) * 4), localPort: v[r + TIME_WAIT_ROW.localPort],
      remoteAddress: addrText(b, (r + TIME_WAIT_ROW.remoteAddr) * 4), remotePort: v[r + TIME_WAIT_ROW.remotePort],
      timeWaitMs: v[r + TIME_WAIT_ROW.msLeft],
      sendQ: 0, recvQ: 0, cwnd: 0, ssthresh: 0, srtt: 0, rttvar: 0, rto: 0, mss: 0, sndWnd: 0, rcvWnd: 0,
      retransmits: 0, error: "",
    });
  }
  return rows;
}

/** The core's view of one handle (tcpInfo, written at `io`), or null when the handle is gone. */
export function coreSocketInfo(stack: Stack, io: number, h: number, address: string): SocketInfo | null {
  if (h <= 0) return null;
  const r = stack.exports.tcpInfo(h, io);
  if (r < 0) return null;
  const v = new Uint32Array(stack.memory.buffer, io, INFO_FIELDS);
  return {
    handle: h, state: TCP_STATE_NAMES[v[0]] ?? "CLOSED",
    localAddress: address, localPort: v[1],
    remoteAddress: v[2] ? u32ToIp(v[2]) : "0.0.0.0", remotePort: v[3],
    sndWnd: v[6], rcvWnd: v[8], cwnd: v[9], ssthresh: v[10], srtt: v[11], rttvar: v[12], rto: v[13],
    retransmits: v[14], sendQ: v[15], recvQ: v[16], mss: v[17], error: v[18] ? codeOf(v[18]) : "",
  };
}

// ---------------------------------------------------------------------------
// The stack

interface Pending { bits: number; err: number; free: number }

export interface StateChange {
  handle: number;
  from: TcpStateName;
  to: TcpStateName;
  /** The stack's clock (ms) when it happened. */
  time: number;
}

/** Receive slab size (see NetStack.copyOut). */
const SLAB = 64 * 1024;
/**
 * Bytes one read copies out at most. Not 64 KiB: Buffers of exactly 65536 bytes took twice the
 * page faults of 60 KiB ones on the API bench (perf stat: 47-57 k against 20-28 k per 384 MiB
 * received; glibc hands such blocks back to the kernel more often), and 40% more CPU time.
 */
const READ_MAX = 60 * 1024;

/** Bytes copied per tcpRead/tcpWrite call at most (bounded by the core's I/O region). */
function ioChunk(ioLen: number): number { return Math.max(1, ioLen); }

export class NetStack extends EventEmitter {
  /** The underlying core wrapper (raw ABI, counters). */
  readonly stack: Stack;
  /** @internal The DNS lookups (src/lookup.ts). */
  readonly resolver: Lookup;
  /** The IPv6 DNS servers given to setDns (the core keeps them; ip6DnsServers lists RDNSS ones only). */
  private dns6: string[] = [];
  private autoSelect = true;
  private autoSelectMs = 250;
  private readonly dhcpTracker: DhcpTracker;
  private readonly sntpQueries: SntpQueries;
  /** Our IPv4 address ("0.0.0.0" when none); follows setIpv4/clearIpv4 (an 'address' event tells). */
  address: string;
  prefix: number;
  readonly sim: Sim | null;
  readonly tap: TapLink | null;
  readonly pcap: PcapWriter | null;
  readonly sndBuf: number;
  readonly rcvBuf: number;
  /** IPv6 on (createStack's `ipv6`). */
  readonly ipv6: boolean;
  /** Every state change seen (bounded: the last `historyLimit`). Tests read it; `state` events carry the same. */
  readonly history: StateChange[] = [];
  historyLimit = 10000;

  /** @internal */ readonly ex: Exports;
  /** @internal */ readonly io: number;
  /** @internal */ readonly ioLen: number;

  private socks = new Map<number, Socket>();
  private servers = new Map<number, Server>();
  private dgrams = new Map<number, DgramSocket>();
  /** Handles the user closed that the core still holds (FIN handshake in progress), for sockets(). */
  private closing = new Set<number>();
  private pend = new Map<number, Pending>();
  /** The handle whose entry in `pend` the last event set (0: none since the last flush), and that entry. */
  private lastH = 0;
  private lastP: Pending | null = null;
  private stateQueue: StateChange[] = [];
  private flushScheduled = false;
  private detachPcap: (() => void) | null = null;
  private ownsTap = false;
  private closed = false;
  /**
   * Received bytes are copied out of linear memory into fresh memory the application then owns
   * (a Buffer it holds is never written again). Small reads share a slab (one allocation per
   * SLAB bytes, not per read); a read of SLAB / 4 or more gets a Buffer of its own. Slabs stay
   * below glibc's mmap threshold (128 KiB), so the allocator recycles freed ones instead of
   * mapping (and the kernel faulting in and zeroing) fresh pages for every slab: with 1 MiB slabs
   * that page-fault work was a third of the API path's time.
   */
  private slab: Buffer = Buffer.alloc(0);
  private slabOff = 0;

  /** @internal Copy `n` bytes at linear-memory offset `ptr` into a fresh Buffer. */
  copyOut(ptr: number, n: number): Buffer {
    const chunk = this.freshBuffer(n);
    chunk.set(this.mem8().subarray(ptr, ptr + n));
    return chunk;
  }

  /** Fresh memory for `n` received bytes: a Buffer of its own, or a slice of the slab for small reads. */
  private freshBuffer(n: number): Buffer {
    if (n >= SLAB >> 2) return Buffer.allocUnsafeSlow(n);
    if (this.slabOff + n > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB);
      this.slabOff = 0;
    }
    const chunk = this.slab.subarray(this.slabOff, this.slabOff + n);
    this.slabOff += (n + 7) & ~7;
    return chunk;
  }

  /** @internal The core has the zero-copy ring exports (tcpReserve/tcpCommit, tcpPeek/tcpConsume). */
  get zeroCopy(): boolean { return typeof this.ex.tcpReserve === "function"; }

  /** @internal The Buffer the latest readChunk() returned bytes in. */
  lastChunk: Buffer | null = null;
  /** Views of the whole of linear memory (renewed if it ever grows). */
  private u8 = new Uint8Array(0);
  private u32 = new Uint32Array(0);

  /** Linear memory as bytes (u32 alongside); the views are made again only if memory grew. */
  private mem8(): Uint8Array {
    const mem = this.stack.memory.buffer;
    if (this.u8.buffer !== mem) { this.u8 = new Uint8Array(mem); this.u32 = new Uint32Array(mem); }
    return this.u8;
  }

  /**
   * @internal Read up to one I/O region's worth from handle h into a fresh Buffer (lastChunk):
   * the byte count, or what tcpRead returns (0 = EOF, a negative Err). With tcpPeek/tcpConsume
   * the bytes are copied straight out of the receive ring (one copy instead of ring -> I/O
   * region -> Buffer).
   */
  readChunk(h: number): number {
    const ex = this.ex;
    if (typeof ex.tcpPeek !== "function") {
      const n = ex.tcpRead(h, this.io, ioChunk(this.ioLen));
      if (n > 0) this.lastChunk = this.copyOut(this.io, n);
      return n;
    }
    const n = ex.tcpPeek(h, this.io);
    if (n <= 0) return n;
    // One Buffer for what is readable (up to one I/O region's worth), both runs of a wrapped
    // ring (tcpPeek's `more`) included: fewer, larger 'data' chunks, as node:net reads 64 KiB.
    this.mem8(); // (renews the views if memory grew)
    const total = Math.min(n + this.u32[(this.io >>> 2) + 2], ioChunk(this.ioLen), READ_MAX);
    const out = this.freshBuffer(total);
    const got = this.fromRing(h, n, out, total);
    this.lastChunk = got === total ? out : out.subarray(0, got);
    return got;
  }

  /**
   * @internal Copy up to `target.length` received bytes on handle h into `target` (onread's
   * buffer): straight from the receive ring with tcpPeek/tcpConsume, through the I/O region
   * otherwise. The byte count, or what tcpRead returns (0 = EOF, a negative Err).
   */
  readInto(h: number, target: Uint8Array): number {
    const ex = this.ex;
    const want = Math.min(target.length, ioChunk(this.ioLen));
    if (typeof ex.tcpPeek !== "function") {
      const n = ex.tcpRead(h, this.io, want);
      if (n > 0) target.set(this.mem8().subarray(this.io, this.io + n));
      return n;
    }
    const n = ex.tcpPeek(h, this.io);
    return n <= 0 ? n : this.fromRing(h, n, target, want);
  }

  /**
   * Copy up to `max` bytes into `out` from handle h's receive ring, after a tcpPeek that returned
   * `n` (> 0): the peeked run, then the run at the ring's start if the ring wraps; each consumed.
   * Returns the bytes copied.
   */
  private fromRing(h: number, n: number, out: Uint8Array, max: number): number {
    const ex = this.ex;
    const q = this.io >>> 2;
    let got = 0;
    for (let run = n; ;) {
      const k = Math.min(run, max - got);
      const u8 = this.mem8(); // before u32: renews both views if memory grew
      const ptr = this.u32[q];
      out.set(u8.subarray(ptr, ptr + k), got);
      const r = ex.tcpConsume(h, k);
      if (r < 0) throw new Error(`tcpConsume(${k}) after tcpPeek: ${codeOf(-r)}`); // cannot happen: k <= the peeked run
      got += k;
      if (got >= max || k < run) return got;
      run = ex.tcpPeek(h, this.io); // the run at the ring's start
      if (run <= 0) return got;
    }
  }

  /**
   * @internal Drop up to one I/O region's worth of received bytes on handle h without copying
   * them anywhere (a consumer that would throw them away): the byte count, or what tcpRead
   * returns (0 = EOF, a negative Err).
   */
  skipChunk(h: number): number {
    const ex = this.ex;
    if (typeof ex.tcpPeek !== "function") return ex.tcpRead(h, this.io, ioChunk(this.ioLen));
    const n = ex.tcpPeek(h, this.io);
    if (n <= 0) return n;
    const r = ex.tcpConsume(h, n);
    if (r < 0) throw new Error(`tcpConsume(${n}) after tcpPeek: ${codeOf(-r)}`); // cannot happen: n is the peeked run
    return n;
  }

  /**
   * @internal Queue up to `len` bytes of `buf` from `off` on handle h: the bytes queued (0 when
   * the send ring is full: a Writable event follows), or what tcpWrite returns (a negative Err).
   * With tcpReserve/tcpCommit the bytes are copied straight into the send ring (one copy instead
   * of Buffer -> I/O region -> ring); a ring that wraps takes two runs.
   */
  writeChunk(h: number, buf: Uint8Array, off: number, len: number): number {
    const ex = this.ex;
    if (typeof ex.tcpReserve !== "function") {
      const n = Math.min(len, ioChunk(this.ioLen));
      new Uint8Array(this.stack.memory.buffer, this.io, n).set(buf.subarray(off, off + n));
      return ex.tcpWrite(h, this.io, n);
    }
    let done = 0;
    while (done < len) {
      const run = ex.tcpReserve(h, this.io);
      if (run <= 0) return done > 0 ? done : run; // a full ring: the core flagged "wants Writable"
      const n = Math.min(run, len - done);
      const at = off + done;
      this.mem8().set(at === 0 && n === buf.length ? buf : buf.subarray(at, at + n), this.u32[this.io >>> 2]);
      const r = ex.tcpCommit(h, n);
      if (r < 0) return done > 0 ? done : r; // (not after a reserve that succeeded: same checks)
      done += n;
    }
    return done;
  }

  constructor(opts: CreateStackOptions) {
    super();
    if (opts.dhcp && opts.ip !== undefined && opts.ip !== "dhcp") throw new Error("createStack: give either ip or dhcp, not both");
    const dhcpOpts: DhcpOptions | null = opts.dhcp ? (opts.dhcp === true ? {} : opts.dhcp) : opts.ip === "dhcp" ? {} : null;
    const dhcp = dhcpOpts !== null;
    if (!dhcp && opts.ip === undefined) throw new Error("createStack: needs ip (\"a.b.c.d/len\") or dhcp");
    const [ipPart, lenPart] = dhcp ? ["0.0.0.0", "0"] : opts.ip!.split("/");
    ipToU32(ipPart); // validates
    const prefix = lenPart !== undefined ? Number(lenPart) : (opts.prefix ?? 24);
    if (!Number.isInteger(prefix) || prefix < 0 || prefix > 32) throw new Error(`bad prefix length in ${opts.ip ?? ""}`);
    this.address = ipPart;
    this.prefix = prefix;
    this.sndBuf = opts.sndBuf ?? 128 * 1024;
    this.rcvBuf = opts.rcvBuf ?? 128 * 1024;
    // IPv6 is on unless `ipv6: false` (dual-stack, like node's); a build without it (mcu) stays IPv4-only
    // when nothing asked for IPv6, and refuses an explicit `ipv6` (below, once the module is loaded).
    const v6: Ipv6Options | null = opts.ipv6 === false ? null : opts.ipv6 === undefined || opts.ipv6 === true ? {} : opts.ipv6;
    const v6Config: Record<string, number> = v6 ? { Ip6Enable: 1, Ip6Flags: (v6.eui64 ? 1 : 0) | (v6.startDelay ? 8 : 0), ...(v6.dad === false ? { Ip6DadTransmits: 0 } : {}) } : {};
    const config: Record<string, number> = {
      MaxSockets: opts.maxSockets ?? 32, SndBuf: this.sndBuf, RcvBuf: this.rcvBuf, UdpQueueBytes: 65536, ...v6Config, ...(opts.config ?? {}),
    };
    const base = {
      name: opts.name ?? (dhcp ? "dhcp" : ipPart), ip: dhcp ? undefined : ipPart, prefix, mac: opts.mac ?? "02:00:00:00:00:02",
      gateway: opts.gateway, mtu: opts.mtu, seed: opts.seed, build: opts.build, config, init: false, ip6Secret: opts.ip6Secret,
    };
    const drv = opts.link;
    if (drv.type === "emulated") {
      this.sim = drv.sim;
      this.tap = null;
      // a staging region: a point-to-point link copies each frame once, sender -> receiver. It holds
      // a full receive window of frames (headers: < 1/8 of the payload down to MTU 576) and 16 KiB
      // of other traffic; at 64 KiB, half a bulk transfer's frames found it full and took the
      // general path (a pooled copy, then a second copy into the rx buffer).
      const rxStaging = Math.min(this.rcvBuf + (this.rcvBuf >> 3) + 16384, 16 << 20); // Cfg.RxStaging: at most 16 MiB
      this.stack = drv.sim.addHost({ ...base, link: drv.link, init: false, rxStaging });
      this.pcap = opts.pcap ? new PcapWriter(opts.pcap, { clockUs: () => drv.sim.now() * 1000 }) : null;
      if (this.pcap) this.detachPcap = this.pcap.attach(drv.link, { epochMs: 0 });
    } else {
      this.sim = null;
      this.stack = new Stack({ ...base, clock: opts.clock });
      if ("tap" in drv) this.tap = drv.tap;
      else {
        const { type: _t, name, ...tapOpts } = drv;
        this.tap = TapLink.open(name, tapOpts);
        this.ownsTap = true;
      }
      this.pcap = opts.pcap ? new PcapWriter(opts.pcap) : null;
      if (this.pcap) this.detachPcap = this.pcap.attach(this.tap);
      this.tap.attach(this.stack);
    }
    // ip6Info before init: -ENOSYS from a build without IPv6 (WT_IPV6=0), -ESTATE from one with it
    const built6 = this.stack.exports.ip6Info(0) !== -Err.ENOSYS;
    if (v6 !== null && !built6 && opts.ipv6 !== undefined) {
      throw new Error(`createStack: ipv6 asked for, but the ${opts.build ?? "node"} build has no IPv6 (give ipv6: false, or a build with it)`);
    }
    this.ipv6 = v6 !== null && built6;
    this.stack.onEvents((h, kind, arg) => this.onEvent(h, kind, arg));
    this.stack.init();
    this.resolver = new Lookup(this.stack, () => this.wake(), (who, on) => this.holdRaw(who, on));
    this.dhcpTracker = new DhcpTracker(this.stack);
    this.sntpQueries = new SntpQueries(this.stack, (t, fn) => this.timerAt(t, fn), (c, sys, addr) => netError(c, sys, addr),
      (who, on) => this.holdRaw(who, on));
    this.ex = this.stack.exports;
    this.io = this.ex.ioBuffer();
    this.ioLen = config.IoBuf ?? 65536; // the core's default I/O region size
    if (this.io === 0) throw new Error("the core has no I/O region (Cfg.IoBuf = 0)");
    for (const a of v6?.addresses ?? []) {
      const r = this.stack.ip6AddrAdd(a);
      if (r < 0) throw netError(codeOf(-r), "ip6AddrAdd", a);
    }
    if (dhcpOpts) {
      const bad = configureDhcp(this.stack, dhcpOpts);
      if (bad) throw netError(codeOf(-bad[1]), bad[0]);
      const r = this.stack.dhcpStart();
      if (r !== 0) throw netError(codeOf(-r), "dhcpStart");
    }
  }

  /** Stop the DHCP client, removing the leased address; `release` (default) sends a DHCPRELEASE first. */
  dhcpStop(release = true): void {
    const r = this.stack.dhcpStop(release);
    if (r !== 0) throw netError(codeOf(-r), "dhcpStop");
  }

  /** The DHCP client's state (docs/abi.md "DHCP client"); see also the 'dhcp' events. */
  dhcpInfo(): ReturnType<Stack["dhcpInfo"]> { return this.stack.dhcpInfo(); }

  /** The current DHCP lease (as in 'dhcp' events), null when none. */
  get dhcpLease(): DhcpLease | null { return this.dhcpTracker.lease; }

  /**
   * One SNTP exchange (RFC 4330) with `server`, or without it with the DHCP lease's NTP servers
   * (option 42; EADDRNOTAVAIL when there are none). Rejects with ETIMEDOUT after `timeoutMs`.
   */
  sntp(server?: string, opts?: SntpQueryOptions): Promise<SntpResult> { return this.sntpQueries.query(server, opts); }

  /** node:dns/promises resolve4: the A records of `hostname` (errors ENOTFOUND, ENODATA, ESERVFAIL, ETIMEOUT, EREFUSED...). */
  resolve4(hostname: string): Promise<string[]> { return this.resolver.resolve4Async(hostname); }
  /** node:dns/promises resolve6: the AAAA records of `hostname` (RFC 3596; same errors as resolve4). */
  resolve6(hostname: string): Promise<string[]> { return this.resolver.resolve6Async(hostname); }

  /** Current time on the stack's clock (ms). */
  now(): number { return this.stack.clock.now(); }

  /**
   * Change the interface's address at run time ("a.b.c.d/len"); connections on a replaced
   * address end with EADDRNOTAVAIL. Throws a NetError (EINVAL...) when the core refuses.
   * An 'address' event (info, changed bits) follows.
   */
  setIpv4(cidr: string, gateway?: string): void {
    const r = this.stack.setIpv4(cidr, gateway);
    if (r !== 0) throw netError(codeOf(-r), "setIpv4", cidr);
  }

  /** Remove the address: connections on it end with EADDRNOTAVAIL, listeners stay. */
  clearIpv4(): void {
    const r = this.stack.clearIpv4();
    if (r !== 0) throw netError(codeOf(-r), "clearIpv4");
  }

  /**
   * Replace the DNS servers: at most 3 IPv4 and 3 IPv6 addresses (the resolver asks the IPv4 ones,
   * then the IPv6 ones, then RDNSS-learned ones). ENOSYS for an IPv6 server without IPv6, EINVAL
   * for too many or a multicast/loopback one.
   */
  setDns(servers: string[]): void {
    const before = this.getServers();
    const r = this.stack.setDns(servers);
    if (r !== 0) {
      this.stack.setDns(before); // the core took part of the list: put the old one back
      throw netError(codeOf(-r), "setDns");
    }
    this.dns6 = servers.filter((a) => a.includes(":")).map((a) => bytesToIp6(ip6ToBytes(a)));
  }

  /**
   * node:dns setServers: "198.51.100.1", "198.51.100.1:53", "2001:db8::53", "[2001:db8::53]" or
   * "[2001:db8::53]:53" (the core asks port 53 only: another port is ERR_INVALID_ARG_VALUE; a bad
   * address ERR_INVALID_IP_ADDRESS, both TypeErrors as in node). Then as setDns.
   */
  setServers(servers: string[]): void {
    const addrs = servers.map((x) => {
      const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(x) ?? /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d+))?$/.exec(x) ?? [x, x, undefined];
      const addr = m[1];
      if (addr.includes(":") ? ip6Literal(addr) !== addr : !/^\d{1,3}(\.\d{1,3}){3}$/.test(addr) || !okIpv4(addr)) {
        throw codedError("ERR_INVALID_IP_ADDRESS", `Invalid IP address: ${x}`, TypeError);
      }
      if (m[2] !== undefined && Number(m[2]) !== 53) {
        throw codedError("ERR_INVALID_ARG_VALUE", `DNS servers are asked on port 53 only by this stack: ${x}`, TypeError);
      }
      return addr;
    });
    this.setDns(addrs);
  }

  /** node:net's: connect() to a name tries its addresses in turn unless its options say otherwise. */
  getDefaultAutoSelectFamily(): boolean { return this.autoSelect; }
  setDefaultAutoSelectFamily(v: boolean): void { this.autoSelect = Boolean(v); }
  /** node:net's: ms an attempt gets before the next address is tried (values below 10 are 10). */
  getDefaultAutoSelectFamilyAttemptTimeout(): number { return this.autoSelectMs; }
  setDefaultAutoSelectFamilyAttemptTimeout(ms: number): void {
    if (!Number.isInteger(ms) || ms < 1) throw codedError("ERR_OUT_OF_RANGE", `The value of "value" is out of range. It must be >= 1 && <= 4294967295. Received ${received(ms)}`, RangeError);
    this.autoSelectMs = Math.max(10, ms);
  }

  /**
   * @internal RFC 6724 §6 between families: IPv6 addresses first when a usable global IPv6
   * address of ours exists (or we have no IPv4 address), else IPv4 first; order kept within each.
   */
  preferFamily(list: LookupAddress[]): LookupAddress[] {
    const v4 = list.filter((x) => x.family === 4), v6 = list.filter((x) => x.family === 6);
    const v6ok = this.ipv6 && this.stack.ip6Addresses().some((a) => a.origin !== "link-local" && (a.state === "preferred" || a.state === "deprecated"));
    return v6ok || this.address === "0.0.0.0" ? [...v6, ...v4] : [...v4, ...v6];
  }

  /** node:dns getServers: the IPv4 servers (set, or by DHCP) then the IPv6 ones set (RDNSS ones: stack.ip6DnsServers()). */
  getServers(): string[] { return [...this.stack.ifaceInfo().dns, ...(this.ipv6 ? this.dns6 : [])]; }

  /**
   * node:dns lookup(hostname, [options], callback) through the core's resolver (the DNS servers
   * set by setDns / DHCP, then RDNSS ones): `family` 4 (A), 6 (AAAA) or 0 (both, the default);
   * `all: true` gives every address. See src/lookup.ts.
   */
  lookup(hostname: string, cb: LookupOneCallback): void;
  lookup(hostname: string, opts: LookupOptions & { all: true }, cb: LookupAllCallback): void;
  lookup(hostname: string, opts: LookupOptions | number, cb: LookupOneCallback): void;
  lookup(hostname: string, a: LookupOptions | number | LookupOneCallback, b?: LookupOneCallback | LookupAllCallback): void {
    this.resolver.lookup(hostname, a, b);
  }

  /** node:dns/promises-shaped: `await net.promises.lookup(name, { all: true })`. */
  get promises(): { lookup(hostname: string, opts?: LookupOptions | number): Promise<LookupAddress | LookupAddress[]> } {
    return { lookup: (hostname, opts) => this.resolver.lookupAsync(hostname, opts as LookupOptions) };
  }

  /** The interface's configuration (address, prefix, gateway, DNS, multicast table use). */
  ifaceInfo(): IfaceInfo { return this.stack.ifaceInfo(); }

  /** A node:net-style server; `listener` is added as a 'connection' listener. */
  createServer(listener?: (s: Socket) => void): Server;
  createServer(opts: ServerOptions, listener?: (s: Socket) => void): Server;
  createServer(a?: ServerOptions | ((s: Socket) => void), b?: (s: Socket) => void): Server {
    const opts = typeof a === "object" ? a : {};
    const listener = typeof a === "function" ? a : b;
    const s = new Server(this, opts);
    if (listener) s.on("connection", listener);
    return s;
  }

  /** A node:dgram-style UDP socket (src/dgram.ts); `onMessage` is added as a 'message' listener. */
  createSocket(type: "udp4" | "udp6" | DgramOptions, onMessage?: (msg: Buffer, rinfo: RemoteInfo) => void): DgramSocket {
    return createDgramSocket(this, type, onMessage);
  }

  /** Open a connection (like net.connect). `cb` is added as a 'connect' listener. */
  connect(opts: ConnectOptions, cb?: () => void): Socket;
  connect(port: number, host?: string, cb?: () => void): Socket;
  connect(a: ConnectOptions | number, b?: string | (() => void), c?: () => void): Socket {
    const opts: ConnectOptions = typeof a === "number" ? { port: a, host: typeof b === "string" ? b : undefined } : a;
    const cb = typeof b === "function" ? b : c;
    const sock = new Socket(this, opts);
    if (cb) sock.once("connect", cb);
    sock.connect(opts);
    return sock;
  }

  /**
   * Every connection the host knows, like `ss -tan`: listeners, open and closing sockets,
   * and the connections the core keeps only in its compact TIME-WAIT table (handle 0).
   */
  sockets(): SocketInfo[] {
    const out: SocketInfo[] = [];
    const handles = [...this.servers.keys(), ...this.socks.keys(), ...this.closing];
    for (const h of handles) {
      const i = this.info(h);
      if (i) out.push(i);
      else this.closing.delete(h);
    }
    return out.concat(this.timeWaitRows());
  }

  /**
   * The bound node:dgram-style sockets, like `ss -uan` (the core's own DHCP/DNS/SNTP sockets are
   * not listed: dhcpInfo() and the resolver report those).
   */
  udpSockets(): UdpSocketInfo[] {
    const out: UdpSocketInfo[] = [];
    for (const h of this.dgrams.keys()) {
      const i = this.stack.udpInfo(h);
      if (!i) continue;
      out.push({
        handle: h, localAddress: this.ifaceInfo().address ?? "0.0.0.0", localPort: i.localPort,
        remoteAddress: i.remoteIp === 0 ? null : u32ToIp(i.remoteIp), remotePort: i.remotePort,
        recvQ: i.recvQueued, datagrams: i.recvDatagrams, drops: i.drops,
      });
    }
    return out;
  }

  /** The core's compact TIME-WAIT entries (tcpTimeWaitList) as SocketInfo rows. */
  private timeWaitRows(): SocketInfo[] { return coreTimeWaitRows(this.stack, this.io, this.ioLen); }

  /** The core's view of one handle, or null when the handle is gone. */
  info(h: number): SocketInfo | null {
    const i = coreSocketInfo(this.stack, this.io, h, this.address);
    if (i && this.ipv6 && i.remoteAddress === "0.0.0.0" && i.state !== "LISTEN") { // an IPv6 peer: tcpInfo carries IPv4 only
      const a = this.addrs(h);
      if (a) { i.localAddress = a[0]; i.remoteAddress = a[1]; }
    }
    return i;
  }

  /** @internal A connection's [local, remote] addresses (tcpAddrs; IPv4 dotted), null when the core has none. */
  addrs(h: number): [string, string] | null {
    if (typeof this.ex.tcpAddrs !== "function" || this.ex.tcpAddrs(h, this.io) < 0) return null;
    const m = this.mem8();
    if (m.subarray(this.io, this.io + 16).every((x) => x === 0)) return null;
    return [addrText(m, this.io), addrText(m, this.io + 16)];
  }

  /** Counters of the core, by name. */
  stats(): Record<string, number> { return this.stack.stats(); }
  /** One counter by name. */
  stat(name: string): number { return this.stack.stat(name); }

  /**
   * Wait until pred() holds: on an emulated link by running virtual time (at most
   * `ms` of it), on a TAP by checking every few ms of real time (at most `ms`).
   */
  async until(pred: () => boolean, ms: number): Promise<boolean> {
    if (this.sim) return runSim(this.sim, pred, ms);
    const t0 = Date.now();
    for (;;) {
      if (pred()) return true;
      if (Date.now() - t0 >= ms) return false;
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  /**
   * Graceful shutdown: stop listening, end() every connection, wait up to `graceMs`
   * for them to close, reset the rest, then close the pcap and the TAP.
   */
  async shutdown(graceMs = 2000): Promise<void> {
    for (const s of [...this.servers.values()]) s.close();
    for (const s of [...this.socks.values()]) if (!s.destroyed) s.end();
    await this.until(() => this.socks.size === 0, graceMs);
    for (const s of [...this.socks.values()]) s.resetAndDestroy();
    await this.until(() => false, 5); // let the resets leave
    this.close();
  }

  /** Immediate teardown: reset everything, flush and close the pcap, close the TAP (if we opened it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.servers.values()]) s.close();
    for (const s of [...this.socks.values()]) s.resetAndDestroy();
    for (const d of [...this.dgrams.values()]) d.close();
    this.detachPcap?.();
    this.pcap?.close();
    if (this.tap && this.ownsTap) this.tap.close();
    else if (this.tap) this.stack.attach(null);
    this.holders.clear();
    if (this.keep !== null) { clearInterval(this.keep); this.keep = null; }
  }

  // --- internal ----------------------------------------------------------

  /** @internal */ wake(): void { this.stack.wake(); }

  /**
   * @internal Run fn at time `t` of the stack's clock (virtual on an emulated link, where
   * it runs after the instant, like core events); returns a cancel function.
   */
  timerAt(t: number, fn: () => void): () => void {
    let live = true;
    const run = () => { if (live) { live = false; fn(); } };
    if (this.sim) {
      this.sim.at(t, () => { if (!live) return; activity++; queueMicrotask(run); });
      return () => { live = false; };
    }
    const timer = setTimeout(run, Math.max(0, t - this.now()));
    timer.unref();
    return () => { live = false; clearTimeout(timer); };
  }
  /** @internal */ track(h: number, s: Socket): void { this.socks.set(h, s); this.hold(s, true); }
  /** @internal */ trackServer(h: number, s: Server): void { this.servers.set(h, s); this.hold(s, true); }
  /** @internal Liveness (libuv-like): an open socket or listening server keeps a real-time Sim's process alive unless unref'd. */
  hold(who: Socket | Server, on: boolean): void {
    // libuv: a connect request keeps the loop alive even when its socket is unref'd
    this.holdRaw(who, on && (who.refed || (who instanceof Socket && who.connecting)));
  }
  /**
   * @internal Liveness of anything (a socket, a server, a datagram socket, an outstanding DNS or
   * SNTP query): on a real-time Sim it holds the Sim; on a TAP link (whose reader and timers do not
   * hold the event loop) a ref'd interval does while anything is held.
   */
  holdRaw(who: object, on: boolean): void {
    if (this.sim) { this.sim.hold(who, on); return; }
    if (on) this.holders.add(who);
    else this.holders.delete(who);
    if (this.holders.size > 0 && this.keep === null) this.keep = setInterval(() => {}, 1 << 30);
    else if (this.holders.size === 0 && this.keep !== null) { clearInterval(this.keep); this.keep = null; }
  }
  private holders = new Set<object>();
  private keep: NodeJS.Timeout | null = null;
  /** @internal A UDP socket's handle (null: forget it). */
  trackDgram(h: number, s: DgramSocket | null): void { if (s) this.dgrams.set(h, s); else this.dgrams.delete(h); }
  /** @internal */ makeError(code: string, syscall: string, address?: string, port?: number): NetError {
    return netError(code, syscall, address, port);
  }
  /** @internal */ untrackServer(h: number): void { const s = this.servers.get(h); if (s) this.hold(s, false); this.servers.delete(h); }
  /** @internal The user let go of handle h (tcpClose/tcpAbort called). */
  release(h: number): void {
    const s = this.socks.get(h);
    if (s) this.hold(s, false);
    this.socks.delete(h);
    if (this.ex.tcpState(h) >= 0) this.closing.add(h);
  }
  /** @internal */ get openSockets(): number { return this.socks.size; }

  /**
   * A core event (one per received segment and ACK in bulk transfer: this path allocates
   * nothing; the closures of the rare kinds live in their own methods, since a closure over a
   * parameter here made V8 allocate a context on every call: half the API bench's garbage).
   */
  private onEvent(h: number, kind: number, arg: number): void {
    activity++;
    // bulk data: one Readable per segment, for the connection whose entry is already pending
    if (kind === EventKind.Readable && h === this.lastH) { this.lastP!.bits |= READABLE; return; }
    if (kind === EventKind.EchoReply) return;
    if (kind === EventKind.DhcpState) { this.onDhcpState(arg); return; }
    if (kind === EventKind.SntpSync) { this.onSntpSync(); return; }
    if (kind === EventKind.DnsDone) { this.resolver.done(h); return; }
    if (kind === EventKind.AddressChanged) { this.onAddressChanged(arg); return; }
    if (kind === EventKind.State) {
      const ch: StateChange = { handle: h, from: TCP_STATE_NAMES[(arg >> 8) & 0xff], to: TCP_STATE_NAMES[arg & 0xff], time: this.now() };
      this.history.push(ch);
      if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
      this.stateQueue.push(ch);
    } else {
      let p = this.pend.get(h);
      if (!p) { p = { bits: 0, err: 0, free: -1 }; this.pend.set(h, p); }
      this.lastH = h;
      this.lastP = p;
      p.bits |= 1 << kind;
      if (kind === EventKind.Reset || kind === EventKind.Error) p.err = arg;
      if (kind === EventKind.Writable) p.free = arg;
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushLater);
    }
  }

  /** flush() for queueMicrotask, made once (an arrow in onEvent would cost a context per call). */
  private readonly flushLater = (): void => this.flush();

  private onDhcpState(arg: number): void {
    const name = DHCP_STATE_NAMES[arg] ?? String(arg);
    const lease = this.dhcpTracker.onState(arg); // reads the lease now, as the core has it at this state
    queueMicrotask(() => {
      this.emit("dhcp", name);
      if (lease) this.emit("dhcp", lease[0], lease[1]);
    });
  }

  private onSntpSync(): void { queueMicrotask(() => this.sntpQueries.synced()); }

  private onAddressChanged(arg: number): void {
    const info = this.stack.ifaceInfo();
    this.address = info.address ?? "0.0.0.0";
    this.prefix = info.prefix;
    queueMicrotask(() => this.emit("address", info, arg));
  }

  private flush(): void {
    this.flushScheduled = false;
    const states = this.stateQueue;
    this.stateQueue = [];
    for (const ch of states) {
      if (this.closing.has(ch.handle) && ch.to === "CLOSED") this.closing.delete(ch.handle);
      this.emit("state", ch);
    }
    const pend = this.pend;
    this.pend = new Map();
    this.lastH = 0;
    this.lastP = null;
    for (const [h, p] of pend) {
      const srv = this.servers.get(h);
      if (srv) { if (p.bits & (1 << EventKind.Accepted)) srv.acceptAll(); continue; }
      const dg = this.dgrams.get(h); // events route by handle: a UDP handle never names a TCP socket
      if (dg) { if (p.bits & ((1 << EventKind.Readable) | (1 << EventKind.Error))) dg.onReadable(); continue; }
      const sock = this.socks.get(h);
      if (sock) sock.onCoreEvents(p.bits, p.err, p.free);
      else if (p.bits & (1 << EventKind.Closed)) this.closing.delete(h);
    }
  }
}

/** Create a stack on an emulated segment or a TAP device. */
export function createStack(opts: CreateStackOptions): NetStack { return new NetStack(opts); }

// ---------------------------------------------------------------------------
// Socket

export interface ConnectOptions {
  port: number;
  host?: string;
  /** Bind this local port first (default: an ephemeral port, RFC 6056). */
  localPort?: number;
  /** Keep the write side open after the peer's FIN (default false: end() automatically). */
  allowHalfOpen?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** Keepalive idle time in ms before the first probe (see Socket.setKeepAlive). */
  keepAliveInitialDelay?: number;
  /** Idle timeout in ms, set with socket.setTimeout() before connecting (like node:net). */
  timeout?: number;
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
  /** A name's address family: 4 (A records), 6 (AAAA) or 0 (both, the default); literals ignore it. */
  family?: number;
  /**
   * With family 0 and a name with several addresses: try them in turn, families alternating (the
   * one RFC 6724 prefers first), the next when one is refused, unreachable or silent for
   * `autoSelectFamilyAttemptTimeout` ms (node:net's; default NetStack.getDefaultAutoSelectFamily(), true).
   */
  autoSelectFamily?: boolean;
  /** ms before the next address is tried (default 250, at least 10; node:net's). */
  autoSelectFamilyAttemptTimeout?: number;
  /** Received bytes go into this buffer instead of 'data' events (node:net's; see OnReadOptions). */
  onread?: OnReadOptions;
}

/**
 * node:net's `onread`: received bytes are copied into `buffer` (or a buffer the function returns,
 * asked again after each callback) and handed to `callback(nread, buffer)` instead of 'data'
 * events; a callback returning false stops reading until resume() (node's readStop).
 */
export interface OnReadOptions {
  buffer: Uint8Array | (() => Uint8Array);
  callback: (nread: number, buf: Uint8Array) => boolean | void;
}

export interface SocketOptions {
  onread?: OnReadOptions;
  allowHalfOpen?: boolean;
  /** Both sides' high-water mark (node:net's `highWaterMark`); the side-specific options win. */
  highWaterMark?: number;
  readableHighWaterMark?: number;
  writableHighWaterMark?: number;
}

interface PendingWrite { buf: Uint8Array; off: number; cb: (err?: Error | null) => void }

/** node:net's ERR_MISSING_ARGS / ERR_SOCKET_CLOSED_BEFORE_CONNECTION / EPIPE-after-FIN errors. */
function codedError(code: string, message: string, ctor: ErrorConstructor = Error): Error & { code: string } {
  return Object.assign(new ctor(message), { code });
}

/** How node's errors describe a received value ("type number (70000)", "an instance of Foo"...). */
function received(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (typeof v === "function") return `function ${v.name}`;
  if (typeof v === "object") return v.constructor?.name ? `an instance of ${v.constructor.name}` : inspect(v, { depth: -1 });
  let s = inspect(v, { colors: false });
  if (s.length > 28) s = `${s.slice(0, 25)}...`;
  return `type ${typeof v} (${s})`;
}

/**
 * Is this call coming from node's JSStreamSocket constructor? node:tls (and http2) take over a
 * net.Socket's C++ handle; any other Duplex is wrapped in a JSStreamSocket, which pauses it first.
 */
function calledFromStreamWrap(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 8; // enough to see the constructor whatever the application set
  try {
    return /\bnew JSStreamSocket\b/.test(new Error().stack ?? "");
  } finally {
    Error.stackTraceLimit = limit;
  }
}

export class Socket extends Duplex {
  readonly net: NetStack;
  /** The core's handle (0 before connect, or after release). */
  handle = 0;
  connecting = false;
  bytesRead = 0;
  /** The Server that accepted this socket (null for a client socket), like node:net; node:http sets its own. */
  server: unknown = null;
  /** @internal The Server counting this socket among its connections (node's _server). */
  acceptedBy: Server | null = null;
  localAddress: string | undefined;
  localPort: number | undefined;
  /** node:net's: "address:port" of each attempt when connecting to a name tries several (autoSelectFamily). */
  autoSelectFamilyAttemptedAddresses: string[] = [];
  /** The addresses still to try (autoSelectFamily), the errors so far and the attempt timer. */
  private attempts: { addrs: LookupAddress[]; k: number; port: number; ms: number; errors: Error[]; cancel: (() => void) | null; opts: ConnectOptions } | null = null;

  /** Bytes handed to the core by _write (the rest of bytesWritten is still queued in the stream). */
  private dispatched = 0;
  private peer: { address: string; port: number } | null = null;
  private wantRead = false;
  private pulling = false;
  private eof = false;
  private pendingWrite: PendingWrite | null = null;
  private freeHint = 0;
  private resetOnDestroy = false;
  private released = false;
  private noDelay = false;
  private keepAlive = false;
  /** Keepalive idle time (s) for the core's KEEPIDLE option; 0 = the stack's Cfg KeepIdleMs. */
  private keepIdleS = 0;
  /** Idle timeout (ms) set by setTimeout(); undefined until set, 0 = disabled (node:net's socket.timeout). */
  timeout: number | undefined = undefined;
  /** Stack-clock time of the last read or write (or of setTimeout). */
  private lastActive = 0;
  private cancelIdle: (() => void) | null = null;
  /** node's JSStreamSocket wraps us (node:tls over this socket): it ends our writable side itself. */
  private wrapped = false;

  constructor(net: NetStack, opts: SocketOptions = {}) {
    super({
      allowHalfOpen: Boolean(opts.allowHalfOpen),
      readableHighWaterMark: opts.readableHighWaterMark ?? opts.highWaterMark ?? 64 * 1024,
      writableHighWaterMark: opts.writableHighWaterMark ?? opts.highWaterMark ?? 16 * 1024,
      decodeStrings: true,
      // 'close' carries hadError and comes after the handle is let go (see _destroy), like node:net.
      emitClose: false,
      autoDestroy: true,
    });
    this.net = net;
    // like node:net, an onread without a Uint8Array (or function) buffer and a callback is ignored
    const o = opts.onread as Partial<OnReadOptions> | undefined | null;
    if (o && typeof o === "object" && (o.buffer instanceof Uint8Array || typeof o.buffer === "function") && typeof o.callback === "function") {
      const gen = typeof o.buffer === "function" ? o.buffer : null;
      const first = gen ? gen() : o.buffer as Uint8Array;
      this.onread = { buf: first, gen, cb: o.callback };
    }
    this.freeHint = net.sndBuf;
    this.on("end", this.onReadableEnd);
  }

  /** After the peer's FIN with allowHalfOpen false: the Duplex ends our side; a later write is EPIPE (node:net). */
  private onReadableEnd(): void {
    if (this.allowHalfOpen) return;
    if (this.wrapped) {
      // node:tls over a net.Socket reads its handle and ends it after its last record (the
      // TLSSocket inherits allowHalfOpen); do the same here instead of ending under it.
      this.allowHalfOpen = true;
      process.nextTick(() => { this.allowHalfOpen = false; });
      return;
    }
    this.write = this.writeAfterFIN;
  }

  private writeAfterFIN(chunk: unknown, enc?: unknown, cb?: unknown): boolean {
    if (!this.writableEnded) return Duplex.prototype.write.call(this, chunk, enc as BufferEncoding, cb as () => void);
    const done = typeof enc === "function" ? enc : cb;
    const er = codedError("EPIPE", "This socket has been ended by the other party");
    if (typeof done === "function") process.nextTick(done as (e: Error) => void, er);
    this.destroy(er);
    return false;
  }

  /** node:net's onread mode (see OnReadOptions): the current buffer, its generator, the callback. */
  private onread: { buf: Uint8Array; gen: (() => Uint8Array) | null; cb: OnReadOptions["callback"] } | null = null;
  /** onread: the callback returned false (node's readStop); resume() reads again. */
  private onreadStopped = false;

  override pause(): this {
    // JSStreamSocket pauses the stream before it listens for 'data': check only then (pause() is hot under pipe())
    if (!this.wrapped && this.listenerCount("data") === 0 && calledFromStreamWrap()) this.wrapped = true;
    if (this.onread && !this.connecting && this.handle > 0) this.onreadStopped = true; // node: readStop
    return super.pause();
  }

  override resume(): this {
    super.resume();
    if (this.onread && this.onreadStopped && !this.connecting && this.handle > 0) {
      this.onreadStopped = false;
      queueMicrotask(() => this.pull());
    }
    return this;
  }

  /** The peer's address: undefined until connected (node:net). */
  get remoteAddress(): string | undefined { return this.connecting ? undefined : this.peer?.address; }
  get remotePort(): number | undefined { return this.connecting ? undefined : this.peer?.port; }
  get remoteFamily(): string | undefined { return this.connecting || !this.peer ? undefined : familyOf(this.peer.address); }
  get localFamily(): string | undefined { return this.localPort === undefined ? undefined : familyOf(this.localAddress); }

  /** Every byte handed to write()/end(), sent or still queued (node:net). */
  get bytesWritten(): number {
    let n = this.dispatched + (this.connectWrite?.buf.length ?? 0);
    for (const el of (this as unknown as { writableBuffer: unknown }).writableBuffer as { chunk: Uint8Array | string; encoding: BufferEncoding }[]) {
      n += typeof el.chunk === "string" ? Buffer.byteLength(el.chunk, el.encoding) : el.chunk.length;
    }
    return n;
  }

  /** Bytes queued in the stream, not yet taken by the core (node:net); undefined without a handle. */
  get bufferSize(): number {
    // node:net gives undefined without a handle too, though @types/node says number
    return this.handle > 0 && !this.released ? this.writableLength : undefined as unknown as number;
  }

  get pending(): boolean { return this.handle === 0 || this.connecting; }

  get readyState(): "opening" | "open" | "readOnly" | "writeOnly" | "closed" {
    if (this.connecting) return "opening";
    if (this.readable && this.writable) return "open";
    if (this.readable && !this.writable) return "readOnly";
    if (!this.readable && this.writable) return "writeOnly";
    return "closed";
  }

  /** The core's state name for this connection ("CLOSED" once released). */
  get tcpState(): TcpStateName {
    return this.handle > 0 && !this.released ? (this.net.info(this.handle)?.state ?? "CLOSED") : "CLOSED";
  }

  /** end(), then destroy once the writable side finished (node:net). */
  destroySoon(): void {
    if (this.writable) this.end();
    if (this.writableFinished) this.destroy();
    else this.once("finish", () => this.destroy());
  }

  /**
   * Start an active open: connect(options, cb?) or connect(port, host?, cb?), like node:net.
   * A closed socket can connect again (a new connection, the stream reopened).
   */
  connect(opts: ConnectOptions | NodeSocketConnectOpts | number | string, hostOrCb?: string | (() => void), cb?: () => void): this;
  connect(a: ConnectOptions | NodeSocketConnectOpts | number | string, b?: string | (() => void), c?: () => void): this {
    if (typeof a === "object" && a !== null && "path" in a) {
      throw codedError("ERR_INVALID_ARG_VALUE", `IPC paths are not supported by this stack: ${a.path}`, TypeError);
    }
    if (typeof a === "string" && !/^\d+$/.test(a)) {
      throw codedError("ERR_INVALID_ARG_VALUE", `IPC paths are not supported by this stack: ${a}`, TypeError);
    }
    const opts: ConnectOptions = typeof a === "object" && a !== null ? a as ConnectOptions
      : { port: Number(a), host: typeof b === "string" ? b : undefined };
    const cb = typeof b === "function" ? b : c;
    if (cb) this.once("connect", cb);
    if (opts.port === undefined || opts.port === null) {
      throw codedError("ERR_MISSING_ARGS", 'The "options" or "port" or "path" argument must be specified', TypeError);
    }
    if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) {
      throw codedError("ERR_SOCKET_BAD_PORT", `Port should be >= 0 and < 65536. Received ${received(opts.port)}.`, RangeError);
    }
    if (this.write !== Socket.prototype.write) this.write = Socket.prototype.write;
    if (this.destroyed) this.reopen();
    return this.startConnect(opts);
  }

  /** A destroyed socket connecting again: forget the old connection, reopen the stream (node's _undestroy). */
  private reopen(): void {
    this.handle = 0;
    this.released = false;
    this.eof = false;
    this.wantRead = false;
    this.pendingWrite = null;
    this.resetOnDestroy = false;
    this.onreadStopped = false;
    this.peer = null;
    this.localAddress = undefined;
    this.localPort = undefined;
    this.freeHint = this.net.sndBuf;
    (this as unknown as { _undestroy(): void })._undestroy();
  }

  private startConnect(opts: ConnectOptions): this {
    const net = this.net;
    let host = opts.host ?? "127.0.0.1";
    const port = opts.port;
    let ip = 0;
    const v6 = ip6Literal(host);
    if (v6 !== null) host = v6;
    else try { ip = ipToU32(host); } catch {
      this.resolveAndConnect(host, opts);
      return this;
    }
    const fail = (r: number, syscall: string, addr: string, p: number) => {
      if (h > 0) net.ex.tcpClose(h);
      this.connecting = true; // node: a failed bind/connect destroys a socket that was connecting
      process.nextTick(() => this.connectFailed(netError(codeOf(-r), syscall, addr, p)));
      return this;
    };
    const h = net.ex.tcpOpen();
    if (h < 0) return fail(h, "connect", host, port);
    if (opts.localPort !== undefined) {
      const r = net.ex.tcpBind(h, opts.localPort);
      if (r < 0) {
        net.ex.tcpClose(h);
        this.connecting = true;
        process.nextTick(() => this.connectFailed(uvNetError(codeOf(-r), "bind", net.address, opts.localPort!)));
        return this;
      }
    }
    this.peer = { address: host, port };
    this.connecting = true; // before attachHandle: a connect request holds the process even unref'd
    this.attachHandle(h);
    if (opts.noDelay) this.setNoDelay(true);
    if (opts.keepAlive) this.setKeepAlive(true, opts.keepAliveInitialDelay);
    if (opts.timeout !== undefined) this.setTimeout(opts.timeout);
    const r = v6 !== null ? net.ex.tcpConnect6(h, net.stack.putIo(ip6ToBytes(v6)), port) : net.ex.tcpConnect(h, ip, port);
    if (v6 !== null && r === 0) this.localAddress = net.addrs(h)?.[0] ?? this.localAddress; // RFC 6724's choice
    net.wake();
    if (r < 0) process.nextTick(() => this.connectFailed(netError(codeOf(-r), "connect", host, port)));
    return this;
  }

  /**
   * A name: look it up (src/lookup.ts) for `family` (4, 6, or 0: both), 'lookup' events for its
   * addresses, then connect to the first (RFC 6724's family first), or with autoSelectFamily and
   * family 0 to each in turn, families alternating (node:net's autoSelectFamily).
   */
  private resolveAndConnect(host: string, opts: ConnectOptions): void {
    const net = this.net;
    const family = opts.family ?? 0;
    if (family !== 0 && family !== 4 && family !== 6) {
      throw codedError("ERR_INVALID_ARG_VALUE", `The property 'options.family' must be one of: 0, 4, 6. Received ${received(family)}`, TypeError);
    }
    const auto = opts.autoSelectFamily ?? net.getDefaultAutoSelectFamily();
    const ms = opts.autoSelectFamilyAttemptTimeout === undefined ? net.getDefaultAutoSelectFamilyAttemptTimeout() : Math.max(10, opts.autoSelectFamilyAttemptTimeout);
    this.connecting = true;
    net.resolver.lookup(host, { all: true, family: family === 0 && !net.ipv6 ? 4 : family }, ((err: NodeJS.ErrnoException | null, list: LookupAddress[]) => {
      if (this.destroyed || !this.connecting) return;
      if (err) {
        this.emit("lookup", err, undefined, undefined, host);
        this.connecting = false;
        this.destroy(err);
        return;
      }
      const addrs = net.preferFamily(list).filter((x, i, all) => all.findIndex((y) => y.address === x.address) === i);
      if (!auto || family !== 0 || addrs.length === 1) {
        this.emit("lookup", null, addrs[0].address, addrs[0].family, host);
        if (this.destroyed) return;
        this.connecting = false;
        this.startConnect({ ...opts, host: addrs[0].address });
        return;
      }
      for (const x of addrs) {
        this.emit("lookup", null, x.address, x.family, host);
        if (this.destroyed) return;
      }
      const first = addrs.filter((x) => x.family === addrs[0].family), other = addrs.filter((x) => x.family !== addrs[0].family);
      const order: LookupAddress[] = [];
      for (let i = 0; i < Math.max(first.length, other.length); i++) {
        if (i < first.length) order.push(first[i]);
        if (i < other.length) order.push(other[i]);
      }
      this.autoSelectFamilyAttemptedAddresses = [];
      this.attempts = { addrs: order, k: 0, port: opts.port, ms, errors: [], cancel: null, opts };
      this.nextAttempt();
    }) as LookupAllCallback);
  }

  /**
   * node:net's autoSelectFamily: connect to the next address ('connectionAttempt'), armed with the
   * attempt timeout unless it is the last; when none is left, destroy with every attempt's error
   * (an AggregateError whose code is the first one's).
   */
  private nextAttempt(): void {
    const m = this.attempts!;
    m.cancel?.();
    m.cancel = null;
    this.dropAttempt();
    if (m.k === m.addrs.length) {
      this.attempts = null;
      const e = Object.assign(new AggregateError(m.errors, m.errors.map((x) => x.message).join("; ")), { code: (m.errors[0] as NodeJS.ErrnoException | undefined)?.code ?? "ETIMEDOUT" });
      this.connecting = true;
      this.destroy(e);
      return;
    }
    const cur = m.addrs[m.k++];
    this.autoSelectFamilyAttemptedAddresses.push(`${cur.address}:${m.port}`);
    this.emit("connectionAttempt", cur.address, m.port, cur.family);
    if (this.destroyed) return;
    this.startConnect({ ...m.opts, host: cur.address });
    if (m.k < m.addrs.length && this.attempts === m && !this.destroyed) {
      m.cancel = this.net.timerAt(this.net.now() + m.ms, () => {
        m.cancel = null;
        if (this.attempts !== m || this.destroyed) return;
        m.errors.push(netError("ETIMEDOUT", "connect", cur.address, m.port));
        this.emit("connectionAttemptTimeout", cur.address, m.port, cur.family);
        this.nextAttempt();
      });
    }
  }

  /** Let go of a failed or abandoned attempt's handle (the socket stays, connecting). */
  private dropAttempt(): void {
    const h = this.handle;
    if (h <= 0 || this.released) return;
    this.net.ex.tcpAbort(h);
    this.net.release(h);
    this.net.wake();
    this.handle = 0;
    this.peer = null;
    this.localPort = undefined;
    this.localAddress = undefined;
  }

  /** A connect (or its bind) failed: the next address when trying several, else the socket's error. */
  private connectFailed(err: Error): void {
    const m = this.attempts;
    if (!m || this.destroyed) { if (!this.destroyed) this.destroy(err); return; }
    const cur = m.addrs[m.k - 1];
    m.errors.push(err);
    this.emit("connectionAttemptFailed", cur.address, m.port, cur.family, err);
    if (!this.destroyed) this.nextAttempt();
  }

  /** @internal A handle from tcpAccept: already established; reading starts now unless `paused` (pauseOnConnect). */
  attachAccepted(h: number, paused = false): void {
    this.attachHandle(h);
    const i = this.net.info(h);
    if (i) {
      const m = this.acceptedBy?.dualStack ? mapped4 : (a: string) => a; // node:net on "::": IPv4 peers as ::ffff:a.b.c.d
      this.peer = { address: m(i.remoteAddress), port: i.remotePort };
      this.localAddress = m(i.localAddress);
    }
    if (paused) (this as unknown as { readableFlowing: boolean }).readableFlowing = false;
    else this.read(0);
  }

  private attachHandle(h: number): void {
    this.handle = h;
    this.net.track(h, this);
    const i = this.net.info(h);
    this.localAddress = this.net.address;
    this.localPort = i?.localPort;
    if (this.noDelay) this.net.ex.tcpSetOption(h, TcpOpt.NoDelay, 1);
    this.applyKeepAlive();
  }

  /** Hand the keepalive settings to the core (idle time first, so arming uses it). */
  private applyKeepAlive(): void {
    if (this.handle <= 0 || this.released) return;
    if (this.keepIdleS > 0) this.net.ex.tcpSetOption(this.handle, TcpOpt.KeepIdle, this.keepIdleS);
    if (this.keepAlive) this.net.ex.tcpSetOption(this.handle, TcpOpt.KeepAlive, 1);
  }

  address(): { address: string; family: string; port: number } | Record<string, never> {
    if (this.localPort === undefined) return {};
    const a = this.localAddress ?? this.net.address;
    return { address: a, family: familyOf(a), port: this.localPort };
  }

  /** Nagle off (true) or on (false). */
  setNoDelay(noDelay = true): this {
    this.noDelay = noDelay;
    if (this.handle > 0 && !this.released) this.net.ex.tcpSetOption(this.handle, TcpOpt.NoDelay, noDelay ? 1 : 0);
    this.net.wake();
    return this;
  }

  /**
   * Keepalive probes on or off (RFC 1122 §4.2.3.6). `initialDelay` (ms) is the idle time
   * before the first probe, kept in whole seconds like TCP_KEEPIDLE (at least 1 s, at most
   * 65535 s); 0 leaves it unchanged (default: the stack's Cfg KeepIdleMs). The interval and
   * count are the stack's Cfg KeepIntvlMs / KeepCount.
   */
  setKeepAlive(enable = false, initialDelay = 0): this {
    this.keepAlive = enable;
    if (initialDelay > 0) this.keepIdleS = Math.min(0xffff, Math.max(1, Math.floor(initialDelay / 1000)));
    if (enable) this.applyKeepAlive();
    else if (this.handle > 0 && !this.released) this.net.ex.tcpSetOption(this.handle, TcpOpt.KeepAlive, 0);
    this.net.wake();
    return this;
  }

  /**
   * Emit 'timeout' after `ms` of inactivity (no bytes read or written), once per idle
   * period, on the stack's clock; the socket stays open (node:net semantics). 0 disables.
   * `cb` is added as a one-time 'timeout' listener (removed when disabling with 0).
   */
  setTimeout(ms: number, cb?: () => void): this {
    if (typeof ms !== "number") {
      throw Object.assign(new TypeError(`The "msecs" argument must be of type number. Received ${received(ms)}`), { code: "ERR_INVALID_ARG_TYPE" });
    }
    if (ms < 0 || !Number.isFinite(ms)) {
      throw Object.assign(new RangeError(`The value of "msecs" is out of range. It must be a non-negative finite number. Received ${ms}`), { code: "ERR_OUT_OF_RANGE" });
    }
    if (cb !== undefined && typeof cb !== "function") {
      throw Object.assign(new TypeError(`The "callback" argument must be of type function. Received ${received(cb)}`), { code: "ERR_INVALID_ARG_TYPE" });
    }
    if (this.destroyed) return this;
    this.timeout = ms;
    this.stopIdleTimer();
    if (ms === 0) {
      if (cb) this.removeListener("timeout", cb);
      return this;
    }
    this.lastActive = this.net.now();
    this.armIdleTimer();
    if (cb) this.once("timeout", cb);
    return this;
  }

  /** Bytes moved: the idle period starts again (re-armed if 'timeout' already fired for the last one). */
  private touch(): void {
    if (!this.timeout) return;
    this.lastActive = this.net.now();
    if (!this.cancelIdle) this.armIdleTimer();
  }

  private armIdleTimer(): void {
    this.cancelIdle = this.net.timerAt(this.lastActive + this.timeout!, () => {
      this.cancelIdle = null;
      if (this.destroyed || !this.timeout) return;
      if (this.net.now() < this.lastActive + this.timeout) this.armIdleTimer(); // active meanwhile
      else this.emit("timeout");
    });
  }

  private stopIdleTimer(): void {
    this.cancelIdle?.();
    this.cancelIdle = null;
  }

  /** Abort the connection with a RST (like node:net's resetAndDestroy). */
  resetAndDestroy(): this {
    this.resetOnDestroy = true;
    this.destroy();
    return this;
  }

  /** @internal Whether this socket, while open, keeps a real-time Sim's process alive (ref/unref). */
  refed = true;
  /** Keep the process alive while this socket is open (the default; on a real-time Sim). */
  ref(): this { this.refed = true; if (this.handle > 0 && !this.released) this.net.hold(this, true); return this; }
  /** Let the process exit even though this socket is open. */
  unref(): this { this.refed = false; this.net.hold(this, this.handle > 0 && !this.released); return this; }

  // --- core events (from NetStack.flush) ---------------------------------

  /** @internal */
  onCoreEvents(bits: number, err: number, free: number): void {
    if (this.destroyed) return;
    if (bits & (1 << EventKind.Connected)) {
      if (this.attempts) { this.attempts.cancel?.(); this.attempts = null; }
      this.connecting = false;
      if (!this.refed) this.net.hold(this, false); // the connect request no longer holds an unref'd socket
      const i = this.net.info(this.handle);
      if (i) this.localPort = i.localPort;
      // The core arms the keepalive timer only when the option is set on an established
      // connection (see test/net-impaired.test.ts): set it again now.
      if (this.keepAlive) { this.applyKeepAlive(); this.net.wake(); }
      this.touch();
      this.emit("connect");
      this.emit("ready");
      // Start reading (node: the first read, or an immediate EOF), so a FIN is seen even unread.
      if (!this.destroyed && !this.isPaused()) this.read(0);
    }
    if (this.destroyed) return;
    if (bits & ((1 << EventKind.Reset) | (1 << EventKind.Error))) {
      const code = codeOf(err || 6);
      if (this.connecting && this.attempts) { this.connectFailed(netError(code, "connect", this.peer?.address, this.peer?.port)); return; }
      // node: a failed connect names the address ("connect ECONNREFUSED 1.2.3.4:80"), a read error does not
      this.destroy(this.connecting ? netError(code, "connect", this.peer?.address, this.peer?.port) : netError(code, "read"));
      return;
    }
    if (bits & (1 << EventKind.Writable)) {
      if (free >= 0) this.freeHint = free;
      this.flushWrite();
    }
    if (bits & ((1 << EventKind.Readable) | (1 << EventKind.Closed))) this.pull();
  }

  // --- stream implementation ----------------------------------------------

  override _read(): void {
    this.wantRead = true;
    if (!this.pulling) this.pull();
  }

  /** Move received bytes from the core into the stream while the consumer wants them. */
  private pull(): void {
    if (this.handle <= 0 || this.released || this.eof) return;
    if (this.onread) { this.pullInto(); return; }
    const net = this.net;
    this.pulling = true;
    let moved = false;
    let ended = false;
    try {
      while (this.wantRead && !this.destroyed) {
        const sink = this.discards();
        const n = sink ? net.skipChunk(this.handle) : net.readChunk(this.handle);
        if (n > 0) {
          moved = true;
          this.bytesRead += n;
          this.touch();
          if (sink) continue;
          this.wantRead = this.push(net.lastChunk!);
          net.lastChunk = null;
        } else if (n === 0) {
          this.eof = true;
          this.wantRead = false;
          this.push(null);
          ended = true;
        } else if (n === -E_EAGAIN || n === -E_ENOTCONN) {
          break;
        } else {
          this.destroy(netError(codeOf(-n), "read"));
          break;
        }
      }
    } finally {
      this.pulling = false;
    }
    if (moved) net.wake(); // reading may have opened the window (an ACK went out)
    // node: push(null) then read(0), so 'end' comes even when nobody reads (nothing buffered)
    if (ended && !this.destroyed) this.read(0);
  }

  /**
   * Received bytes would reach nobody: the stream flows (resume() without a 'data' listener, as
   * a discard sink does), nothing is buffered, and no 'data' or 'readable' listener, pipe or
   * stream wrapper would see them; node:net emits them to no one. They are then consumed in the
   * ring without being copied into a Buffer first.
   */
  private discards(): boolean {
    return this.readableFlowing === true && this.readableLength === 0 && !this.wrapped &&
      this.listenerCount("data") === 0 && this.listenerCount("readable") === 0;
  }

  /** onread mode: copy received bytes into the user's buffer, one callback per buffer-full, until it returns false. */
  private pullInto(): void {
    const o = this.onread!;
    const net = this.net;
    if (this.pulling) return;
    this.pulling = true;
    let moved = false;
    let ended = false;
    try {
      while (!this.onreadStopped && !this.destroyed) {
        if (o.buf.length === 0) break; // an empty user buffer: nothing can be delivered
        // straight from the receive ring into the user's buffer: what does not fit stays in the ring
        const k = net.readInto(this.handle, o.buf);
        if (k === 0) { this.eof = true; this.push(null); ended = true; break; }
        if (k === -E_EAGAIN || k === -E_ENOTCONN) break;
        if (k < 0) { this.destroy(netError(codeOf(-k), "read")); break; }
        moved = true;
        this.bytesRead += k;
        this.touch();
        const buf = o.buf;
        if (o.gen) { const next = o.gen(); if (next instanceof Uint8Array) o.buf = next; }
        if (o.cb.call(this, k, buf) === false) this.onreadStopped = true;
      }
    } finally {
      this.pulling = false;
    }
    if (moved) net.wake();
    if (ended && !this.destroyed) this.read(0);
  }

  /** A write made while connecting: waits for 'connect' (node: ERR_SOCKET_CLOSED_BEFORE_CONNECTION if it closes first). */
  private connectWrite: PendingWrite | null = null;

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const w: PendingWrite = { buf: chunk, off: 0, cb };
    if (this.connecting) { this.writeOnConnect(w, _enc); return; }
    if (this.handle <= 0 || this.released) {
      cb(codedError("ERR_SOCKET_CLOSED", "Socket is closed"));
      return;
    }
    this.startWrite(w);
  }

  /**
   * node:net: a write made while connecting waits for 'connect' (a listener, so it runs before
   * 'ready'); if the socket closes first its callback gets ERR_SOCKET_CLOSED_BEFORE_CONNECTION.
   * (Its own method: closures in _write would cost V8 a context on every write.)
   */
  private writeOnConnect(w: PendingWrite, enc: BufferEncoding): void {
    this.connectWrite = w;
    const onClose = () => {
      this.connectWrite = null;
      w.cb(codedError("ERR_SOCKET_CLOSED_BEFORE_CONNECTION", "Socket closed before the connection was established"));
    };
    this.once("close", onClose);
    this.once("connect", () => {
      this.off("close", onClose);
      this.connectWrite = null;
      this._write(w.buf as Buffer, enc, w.cb);
    });
  }

  private startWrite(w: PendingWrite): void {
    this.dispatched += w.buf.length;
    this.pendingWrite = w;
    // libuv: a write request in flight keeps the loop alive even when its socket is unref'd
    this.net.holdRaw(w, true);
    this.flushWrite();
  }

  /** Copy as much of the pending write into the core's send ring as fits. */
  private flushWrite(): void {
    const w = this.pendingWrite;
    if (!w || this.handle <= 0 || this.released) return;
    const net = this.net;
    const max = ioChunk(net.ioLen);
    let err: Error | null = null;
    if (net.zeroCopy) {
      // tcpReserve says how much fits: the whole rest goes straight into the ring in one call,
      // no free-space bookkeeping; a full ring (fewer bytes taken) leaves the core wanting Writable
      const want = w.buf.length - w.off;
      const n = net.writeChunk(this.handle, w.buf, w.off, want);
      if (n < 0) err = netError(codeOf(-n), "write");
      else {
        w.off += n;
        if (n > 0) this.touch();
      }
    }
    while (err === null && w.off < w.buf.length && !net.zeroCopy) {
      let want = Math.min(max, w.buf.length - w.off);
      if (this.freeHint < want) {
        const i = net.info(this.handle);
        if (i) this.freeHint = Math.max(0, net.sndBuf - i.sendQ);
      }
      // Copy no more than (about) what fits; an empty ring hint still tries 1 byte so the
      // core flags "wants Writable" and wakes us when space frees.
      want = Math.max(1, Math.min(want, this.freeHint));
      const n = net.writeChunk(this.handle, w.buf, w.off, want);
      if (n < 0) { err = netError(codeOf(-n), "write"); break; }
      w.off += n;
      if (n > 0) this.touch();
      this.freeHint = Math.max(0, this.freeHint - n);
      if (n < want) { this.freeHint = 0; break; } // ring full: the core sends Writable when space frees
    }
    net.wake();
    if (err || w.off >= w.buf.length) {
      this.pendingWrite = null;
      net.holdRaw(w, false);
      w.cb(err);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    // node:net: a pending socket (connecting, or never connected) ends once it connects
    if (this.connecting || this.handle <= 0) { this.once("connect", () => this._final(cb)); return; }
    if (this.released) { cb(); return; }
    const r = this.net.ex.tcpShutdown(this.handle);
    this.net.wake();
    // Like a shutdown request on node's handle, the end completes asynchronously: a destroy()
    // right after end() comes first and there is no 'finish'.
    if (r < 0 && r !== -E_ENOTCONN) process.nextTick(cb, netError(codeOf(-r), "shutdown"));
    else process.nextTick(cb);
  }

  override _destroy(err: Error | null, cb: (err: Error | null) => void): void {
    const h = this.handle;
    const hadHandle = h > 0 && !this.released;
    if (hadHandle) {
      this.released = true;
      if (this.resetOnDestroy) this.net.ex.tcpAbort(h);
      else this.net.ex.tcpClose(h);
      this.net.release(h);
      this.net.wake();
    }
    this.stopIdleTimer();
    if (this.attempts) { this.attempts.cancel?.(); this.attempts = null; }
    const w = this.pendingWrite;
    this.pendingWrite = null;
    if (w) { this.net.holdRaw(w, false); w.cb(err ?? netError("EPIPE", "write")); }
    this.connecting = false;
    this.acceptedBy?.onSocketDestroyed(this);
    cb(err);
    // node:net: 'close' (hadError) once the handle is closed, after 'error'; without a handle, next tick, no argument
    if (hadHandle) setImmediate(() => this.emit("close", err !== null && err !== undefined));
    else process.nextTick(() => this.emit("close"));
  }
}

// ---------------------------------------------------------------------------
// Server

export interface ServerOptions {
  /** Accepted sockets keep their write side open after the peer's FIN (default false). */
  allowHalfOpen?: boolean;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** Keepalive idle time in ms for accepted sockets (see Socket.setKeepAlive). */
  keepAliveInitialDelay?: number;
  /** Accepted sockets start paused: nothing is read until resume() (node:net). */
  pauseOnConnect?: boolean;
  /** High-water mark of accepted sockets' streams (node:net's highWaterMark). */
  highWaterMark?: number;
}

export interface ListenOptions { port?: number; host?: string; backlog?: number }

export class Server extends EventEmitter {
  readonly net: NetStack;
  listening = false;
  private handle = 0;
  private port = 0;
  /** The address listened on, as address() reports it. */
  private bound: { address: string; family: "IPv4" | "IPv6" } = { address: "0.0.0.0", family: "IPv4" };
  private conns = new Set<Socket>();
  private opts: ServerOptions;
  /** Refuse (close) connections past this many open ones, with a 'drop' event (node:net); unset = no limit. */
  maxConnections: number = undefined as unknown as number; // unset like node:net (typed number by @types/node)
  /** Accepted sockets start paused (node:net's option, also settable here). */
  pauseOnConnect: boolean;
  /** Accepted sockets keep their write side open after the peer's FIN. */
  allowHalfOpen: boolean;

  constructor(net: NetStack, opts: ServerOptions = {}) {
    super();
    this.net = net;
    this.opts = opts;
    this.pauseOnConnect = Boolean(opts.pauseOnConnect);
    this.allowHalfOpen = Boolean(opts.allowHalfOpen);
  }

  /** listen(port?, host?, backlog?, cb?) or listen({ port, host, backlog }, cb?). Port 0 = ephemeral. */
  listen(...args: unknown[]): this {
    let cb: (() => void) | undefined;
    if (typeof args[args.length - 1] === "function") cb = args.pop() as () => void;
    let o: ListenOptions;
    if (typeof args[0] === "object" && args[0] !== null) o = args[0] as ListenOptions;
    else o = { port: args[0] as number | undefined, host: typeof args[1] === "string" ? args[1] : undefined,
      backlog: typeof args[1] === "number" ? args[1] : (args[2] as number | undefined) };
    if (cb) this.once("listening", cb);
    const port = o.port ?? 0;
    const net = this.net;
    if (this.listening) throw Object.assign(new Error("Listen method has been called more than once without closing."), { code: "ERR_SERVER_ALREADY_LISTEN" });
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw Object.assign(new RangeError(`options.port should be >= 0 and < 65536. Received ${received(port)}.`), { code: "ERR_SOCKET_BAD_PORT" });
    }
    // As node:net on Linux: no host is "::" (every address, both families) on a stack with IPv6, else
    // "0.0.0.0" (every IPv4 address); an IP literal is that address of ours, and only segments to it
    // reach the server (a SYN to another of ours on the port is answered as a closed port's: RST).
    // A port is shared by servers on distinct addresses, never by an address and a wildcard over it.
    const host = o.host ?? (net.ipv6 ? "::" : "0.0.0.0");
    const b = bindAddress(host); // (names are not resolved: EADDRNOTAVAIL)
    const h = b === null ? -Err.EADDRNOTAVAIL : net.ex.tcpOpen();
    let r = h < 0 || b === null ? h : this.bindTo(h, b.bytes, port);
    if (r >= 0) r = net.ex.tcpListen(h, o.backlog ?? 511);
    if (r < 0 || b === null) {
      if (h > 0) net.ex.tcpClose(h);
      process.nextTick(() => this.emit("error", uvNetError(codeOf(-r), "listen", host, port)));
      return this;
    }
    this.bound = { address: b.address, family: b.family };
    this.handle = h;
    this.port = net.info(h)?.localPort ?? port;
    this.listening = true;
    net.trackServer(h, this);
    process.nextTick(() => { if (this.handle === h) this.emit("listening"); }); // not after close() (node:net)
    return this;
  }

  /**
   * Bind handle `h` to the 16-byte address and `port` (tcpBind6). A module without IPv6 (-ENOSYS: the
   * mcu build) has one address, IPv4: a server on it or on a wildcard is a tcpBind (every address)
   * once the host has checked that the address is ours.
   */
  private bindTo(h: number, bytes: Uint8Array, port: number): number {
    const ex = this.net.ex;
    const r = typeof ex.tcpBind6 === "function" ? ex.tcpBind6(h, this.net.stack.putIo(bytes), port) : -Err.ENOSYS;
    if (r !== -Err.ENOSYS) return r;
    return ownAddress(bytes, this.net) ? ex.tcpBind(h, port) : -Err.EADDRNOTAVAIL;
  }

  /**
   * @internal Listening on an IPv6 address ("::", and no host on an IPv6 stack, included): as node:net's
   * AF_INET6 socket, IPv4 peers and local addresses are named ::ffff:a.b.c.d.
   */
  get dualStack(): boolean { return this.bound.family === "IPv6"; }

  /** The address listened on (node:net: "::" / "0.0.0.0" for the wildcards) with its family, and the port. */
  address(): { address: string; family: string; port: number } | null {
    if (!this.listening) return null;
    return { ...this.bound, port: this.port };
  }

  /** Stop accepting; 'close' once every accepted connection has closed (like node:net). */
  close(cb?: (err?: Error) => void): this {
    // node:net: a server not running still emits 'close' (when drained), and cb gets ERR_SERVER_NOT_RUNNING then
    if (cb) {
      if (!this.listening) this.once("close", () => cb(codedError("ERR_SERVER_NOT_RUNNING", "Server is not running.")));
      else this.once("close", () => cb());
    }
    if (this.listening) {
      this.net.ex.tcpClose(this.handle);
      this.net.untrackServer(this.handle);
      this.net.wake();
      this.handle = 0;
      this.listening = false;
    }
    this.maybeClosed();
    return this;
  }

  getConnections(cb: (err: Error | null, n: number) => void): this {
    process.nextTick(() => cb(null, this.conns.size));
    return this;
  }

  /** Accepted connections still open. */
  get openConnections(): ReadonlySet<Socket> { return this.conns; }

  /** How many accepted connections are open (node:net's deprecated `connections`). */
  get connections(): number { return this.conns.size; }

  /** `await using server`: close it (node:net). */
  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.listening) return;
    await new Promise<void>((resolve) => this.close(() => resolve()));
  }

  /** @internal Whether this server, while listening, keeps a real-time Sim's process alive (ref/unref). */
  refed = true;
  /** Keep the process alive while listening (the default; on a real-time Sim). */
  ref(): this { this.refed = true; if (this.listening) this.net.hold(this, true); return this; }
  /** Let the process exit even though this server listens. */
  unref(): this { this.refed = false; this.net.hold(this, false); return this; }

  /** @internal Take every established connection the listener holds. */
  acceptAll(): void {
    for (;;) {
      if (!this.listening) return;
      const c = this.net.ex.tcpAccept(this.handle);
      if (c < 0) return;
      if (this.maxConnections !== undefined && this.maxConnections > 0 && this.conns.size >= this.maxConnections) {
        const i = this.net.info(c);
        this.net.ex.tcpClose(c);
        this.net.wake();
        const m = this.dualStack ? mapped4 : (a: string) => a;
        const [la, ra] = i ? [m(i.localAddress), m(i.remoteAddress)] : ["", ""];
        this.emit("drop", i ? {
          localAddress: la, localPort: i.localPort, localFamily: familyOf(la),
          remoteAddress: ra, remotePort: i.remotePort, remoteFamily: familyOf(ra),
        } : undefined);
        continue;
      }
      const hwm = this.opts.highWaterMark;
      const s = new Socket(this.net, { allowHalfOpen: this.allowHalfOpen, highWaterMark: hwm });
      s.server = this;
      s.acceptedBy = this;
      this.conns.add(s);
      s.attachAccepted(c, this.pauseOnConnect);
      if (this.opts.noDelay) s.setNoDelay(true);
      if (this.opts.keepAlive) s.setKeepAlive(true, this.opts.keepAliveInitialDelay);
      this.emit("connection", s);
    }
  }

  /** @internal An accepted socket was destroyed (node: the server's count drops then, before the socket's 'close'). */
  onSocketDestroyed(s: Socket): void {
    if (this.conns.delete(s)) this.maybeClosed();
  }

  /** node's _emitCloseIfDrained: 'close' when not listening and no accepted connection is open. */
  private maybeClosed(): void {
    if (this.listening || this.conns.size > 0) return;
    process.nextTick(() => this.emit("close"));
  }
}
