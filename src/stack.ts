// Loads the WebAssembly core (a plain WebAssembly.Instance), owns time, wraps the ABI.
//
// A Stack never sleeps and never sets timers itself: after input() or any API call the
// host calls poll(), which returns the next deadline; whoever drives the stack (the
// emulated link's Sim, or RealtimeDriver below) schedules the next poll then.
// See docs/abi.md for the contract this implements.

import { readFileSync } from "node:fs";
import { randomFillSync } from "node:crypto";
import { Prng } from "./prng.js";
import { StagingRing } from "./links/staging.js";
import {
  Cfg, DHCP_INFO_NAMES, HANDLE_LAYOUT, type DhcpInfoRaw, Err, ERR_NAMES, type Exports, IFACE_INFO_NAMES, type IfaceInfoRaw, type Imports,
  SNTP_INFO_NAMES, type SntpInfoRaw, IP6_ADDR_INFO_NAMES, IP6_NEIGHBOR_INFO_NAMES, IP6_INFO_NAMES, IP6_DNS_SERVER_INFO_NAMES, type Ip6InfoRaw, STAT_COUNT, STAT_NAMES, UDP_INFO_NAMES, type UdpInfo, UdpOpt,
} from "./abi.js";

/** Counter name -> index at statsPtr(). */
const STAT_INDEX: ReadonlyMap<string, number> = new Map(STAT_NAMES.map((n, i) => [n, i]));

export type BuildName = "node" | "mcu" | "debug" | "testing" | "testing-mcu";

const BUILD_FILES: Record<BuildName, string> = {
  node: "stack.wasm",
  mcu: "stack.mcu.wasm",
  debug: "stack.debug.wasm",
  testing: "testing.wasm",
  "testing-mcu": "testing.mcu.wasm",
};

// The ABI's constants and export signatures come from the generated binding (src/abi.ts,
// from abi/abi.mjs); these re-exports keep the names this module always offered.
export { ERR_NAMES, EventKind, TCP_STATE_NAMES, TcpOpt, UdpOpt, SNTP_INFO_NAMES, TCP_INFO_NAMES, UDP_INFO_NAMES, UDP_FROM_NAMES, IFACE_INFO_NAMES } from "./abi.js";
export type { TcpInfo, TcpStateName, UdpInfo, IfaceInfoRaw, SntpInfoRaw, DhcpInfoRaw } from "./abi.js";
export { DHCP_INFO_NAMES, IP6_ADDR_INFO_NAMES, IP6_NEIGHBOR_INFO_NAMES, IP6_INFO_NAMES } from "./abi.js";
export type { Ip6InfoRaw } from "./abi.js";

/** The DHCP client's states (dhcpInfo().state, DhcpState events), by number (docs/abi.md "DHCP client"). */
export const DHCP_STATE_NAMES = [
  "STOPPED", "INIT", "SELECTING", "REQUESTING", "CHECKING", "BOUND", "RENEWING", "REBINDING", "INIT-REBOOT", "REBOOTING",
] as const;

/** sntpInfo decoded (docs/abi.md "SNTP client"). */
export interface SntpInfo extends SntpInfoRaw {
  /** "stopped" | "waiting" | "idle" | "denied". */
  stateName: string;
  /** The learned time as of the latest input/poll, or null before the first accepted reply. */
  time: Date | null;
  /** The latest offset in milliseconds (fractional), signed. */
  offsetMs: number;
  /** The kiss code as text ("RATE"), or "" for none. */
  kissCode: string;
}

/** NTP seconds + fraction (era-relative: values below 2^31 are after 2036, RFC 4330 §3) as Unix ms. */
export function ntpToUnixMs(sec: number, frac: number): number {
  const era = sec >= 0x80000000 ? 0 : 1;
  return (sec + era * 0x100000000 - 2208988800) * 1000 + (frac / 0x100000000) * 1000;
}

/**
 * Socket handles carry their kind (abi/abi.mjs handleLayout): kind << 28 | generation << 16 | slot.
 * Events carry the full handle, so hosts route them by handle (a UDP and a TCP handle never collide).
 */
export const HandleKind = { TCP: 1, UDP: 2, RAW: 3, ICMP: 4, DNS: 5 } as const;

/** The kind of a socket handle (0 for -1 and other non-handles). */
export function handleKind(h: number): number { return h > 0 ? h >>> HANDLE_LAYOUT.kindShift : 0; }

/** A DNS answer read by Stack.dnsResult. */
export interface DnsAnswer { ttl: number; addresses: string[] }

/** One datagram read by Stack.udpRecvFrom. */
export interface UdpDatagram {
  /** The payload (truncated to the buffer given when `size` > data.length). */
  data: Uint8Array;
  /** Source address and port. */
  address: string;
  port: number;
  /** The datagram's full payload length. */
  size: number;
}

/** Bits of an AddressChanged event's arg: what changed (see docs/abi.md). */
export const AddressChange = { Address: 1, Gateway: 2, Dns: 4 } as const;

/** ifaceInfo decoded: addresses as dotted strings ("0.0.0.0" = none). */
export interface IfaceInfo {
  address: string | null;
  prefix: number;
  netmask: string;
  gateway: string | null;
  broadcast: string;
  mtu: number;
  mac: string;
  dns: string[];
  multicastGroups: number;
  multicastSize: number;
  /** Bumped by every configuration change (AddressChanged event). */
  generation: number;
  arpEntries: number;
}

// ---------------------------------------------------------------------------
// Time

export interface Clock {
  /** Milliseconds (may be fractional); the stack sees floor(now) as a wrapping u32. */
  now(): number;
}

export class RealClock implements Clock {
  private readonly origin = performance.now();
  now(): number { return performance.now() - this.origin; }
}

/** A clock that only moves when told to (tests, the emulated link). */
export class VirtualClock implements Clock {
  private t: number;
  constructor(start = 0) { this.t = start; }
  now(): number { return this.t; }
  set(t: number): void {
    if (t < this.t) throw new Error(`virtual clock cannot go back (${t} < ${this.t})`);
    this.t = t;
  }
  advance(ms: number): void { this.set(this.t + ms); }
}

// ---------------------------------------------------------------------------
// Addresses

/** "198.51.100.1" -> 0xC6336401 (host order, unsigned). */
export function ipToU32(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4) throw new Error(`bad IPv4 address: ${ip}`);
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) throw new Error(`bad IPv4 address: ${ip}`);
    v = v * 256 + Number(p);
  }
  return v >>> 0;
}

export function u32ToIp(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** "02:00:00:00:00:01" -> [hi16, lo32]. */
export function parseMac(mac: string): [number, number] {
  const parts = mac.split(/[:-]/);
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`bad MAC address: ${mac}`);
  const b = parts.map((p) => parseInt(p, 16));
  return [(b[0] << 8) | b[1], ((b[2] << 24) | (b[3] << 16) | (b[4] << 8) | b[5]) >>> 0];
}

export function formatMac(b: Uint8Array, off = 0): string {
  const out: string[] = [];
  for (let i = 0; i < 6; i++) out.push(b[off + i].toString(16).padStart(2, "0"));
  return out.join(":");
}

// ---------------------------------------------------------------------------
// Module cache: compile each .wasm once per process.

const modules = new Map<string, WebAssembly.Module>();

function wasmModule(path: string): WebAssembly.Module {
  let m = modules.get(path);
  if (!m) {
    m = new WebAssembly.Module(readFileSync(path));
    modules.set(path, m);
  }
  return m;
}


/** The 16 bytes of an IPv6 address in text form ("2001:db8::1", "fe80::1"; no zone, no embedded IPv4). */
export function ip6ToBytes(text: string): Uint8Array {
  let ip = text;
  // RFC 4291 §2.2 (3): the low 32 bits may be written as dotted IPv4 ("::ffff:198.51.100.1")
  const dotted = /:(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(ip);
  if (dotted) {
    let v4: number;
    try { v4 = ipToU32(dotted[1]); } catch { throw new Error(`bad IPv6 address ${text}`); }
    ip = `${ip.slice(0, dotted.index + 1)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const halves = ip.split("::");
  if (halves.length > 2) throw new Error(`bad IPv6 address ${text}`);
  const words = (h: string) => (h === "" ? [] : h.split(":").map((w) => {
    if (!/^[0-9a-fA-F]{1,4}$/.test(w)) throw new Error(`bad IPv6 address ${text}`);
    return parseInt(w, 16);
  }));
  const head = words(halves[0]);
  const tail = halves.length === 2 ? words(halves[1]) : [];
  const fill = 8 - head.length - tail.length;
  if (fill < 0 || (halves.length === 1 && fill !== 0) || (halves.length === 2 && fill < 1)) throw new Error(`bad IPv6 address ${text}`);
  const all = [...head, ...new Array(halves.length === 2 ? fill : 0).fill(0), ...tail];
  const b = new Uint8Array(16);
  all.forEach((w, i) => { b[2 * i] = w >> 8; b[2 * i + 1] = w & 255; });
  return b;
}

/** RFC 5952 text of 16 address bytes (lower case, the longest run of two or more zero words as ::). */
/** An IPv6 address from the four big-endian u32 words an info layout carries. */
export function ip6FromWords(...w: number[]): string {
  const b = new Uint8Array(16);
  const dv = new DataView(b.buffer);
  w.forEach((x, k) => dv.setUint32(4 * k, x));
  return bytesToIp6(b);
}

export function bytesToIp6(b: Uint8Array, off = 0): string {
  const w = Array.from({ length: 8 }, (_, i) => (b[off + 2 * i] << 8) | b[off + 2 * i + 1]);
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = (a: number[]) => a.map((x) => x.toString(16)).join(":");
  return best < 0 ? hex(w) : `${hex(w.slice(0, best))}::${hex(w.slice(best + bestLen))}`;
}

/** One IPv6 address of the interface (ip6AddrInfo decoded). */
export interface Ip6Address {
  index: number;
  address: string;
  prefix: number;
  state: "tentative" | "preferred" | "deprecated" | "duplicate";
  origin: "link-local" | "slaac" | "static";
  validLeft: number;
  preferredLeft: number;
  dadCount: number;
}

/** One IPv6 neighbor cache entry (ip6NeighborInfo decoded). */
/** An IPv6 recursive DNS server from a router advertisement's RDNSS option (RFC 8106). */
export interface Ip6DnsServer {
  address: string;
  /** Seconds of its lifetime left (0xffffffff: infinite). */
  lifetimeLeft: number;
}

export interface Ip6Neighbor {
  index: number;
  address: string;
  mac: string;
  state: "INCOMPLETE" | "REACHABLE" | "STALE" | "DELAY" | "PROBE";
  isRouter: boolean;
  probes: number;
  queued: number;
}

export const IP6_ADDR_STATES = ["free", "tentative", "preferred", "deprecated", "duplicate"] as const;
export const IP6_NEIGHBOR_STATES = ["free", "INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE"] as const;

export function buildPath(build: BuildName = "node"): string {
  return new URL(`../build/${BUILD_FILES[build]}`, import.meta.url).pathname;
}

// ---------------------------------------------------------------------------
// The stack

export interface StackOptions {
  /** Which build to load (default "node" = build/stack.wasm). */
  build?: BuildName;
  /** Explicit path to a .wasm (overrides build). */
  wasmPath?: string;
  name?: string;
  /** "02:00:00:00:00:01" */
  mac?: string;
  /** "198.51.100.1" */
  ip?: string;
  prefix?: number;
  gateway?: string;
  mtu?: number;
  /** Any Cfg key by name (see Cfg in src/abi.ts), e.g. { ArpTimeoutMs: 1000 }. Applied last. */
  config?: Record<string, number>;
  /** Seed for the entropy import; without it, crypto.randomFillSync. Tests must pass one. */
  seed?: number;
  clock?: Clock;
  /** Where transmitted frames go (a copy each). Can be set later with attach(). */
  tx?: (frame: Uint8Array, stack: Stack) => void;
  /** Call configure()/init() now (default true). */
  init?: boolean;
  /**
   * Bytes of the staging region where links place received frames for `inputStaged` (one copy
   * per frame: e.g. straight from the sender's memory). Default 0 = none (opt-in: every byte is
   * reserved per Stack, and fleets hold thousands; createStack asks for 64 KiB on emulated links,
   * TapLink for a batch). Cfg.RxStaging
   * in `config` wins.
   */
  rxStaging?: number;
  /** RFC 7217 secret_key (16 bytes, ip6SetSecret before init): the same stable IPv6 addresses on every start. */
  ip6Secret?: Uint8Array;
}

export type EventListener = (sock: number, kind: number, arg: number) => void;

/** Raw exports of the core (numbers only; signatures from src/abi.ts); testing builds add more. */
export type CoreExports = Exports & Record<string, any>;

export class Stack {
  readonly name: string;
  readonly exports: CoreExports;
  readonly memory: WebAssembly.Memory;
  readonly clock: Clock;
  /** Named config keys (Cfg in src/abi.ts; test/abi.test.ts checks the module's exported Cfg.* agree). */
  readonly cfgKeys: Record<string, number>;
  /** Frames handed to tx while no driver was attached (they are dropped). */
  txUnattached = 0;
  /** Absolute time (ms) of the next deadline the core asked for, or Infinity. */
  nextDeadline = Infinity;
  /** Called when the stack needs poll() soon (after input, or when an API call changed state). */
  waker: ((s: Stack) => void) | null = null;

  private txFn: ((frame: Uint8Array, stack: Stack) => void) | null;
  private txRawFn: ((ptr: number, len: number, stack: Stack) => void) | null = null;
  private listeners: EventListener[] = [];
  /** >0 while the core is calling out to us (tx/event): the core is mid-call and its rx buffer busy. */
  private inCallback = 0;
  /** Frames delivered re-entrantly (from inside a tx/event callback), processed once the core returns. */
  private deferred: Uint8Array[] = [];
  private rxPtr = 0;
  private rxCap = 0;
  /** The whole of linear memory (renewed when memory grows). */
  private rxView = new Uint8Array(0);
  private mtu = 1500;
  private prng: Prng | null;
  private ioLen = 65536;
  /** Frames links placed in the core's staging region (null before init or without one). */
  private staging: StagingRing | null = null;
  private stagingBytes = 0;
  private stagingClaimed = false;
  private inited = false;
  private initHooks: (() => void)[] | null = null; // (made on first use: fleets hold thousands of Stacks)

  constructor(opts: StackOptions = {}) {
    this.name = opts.name ?? opts.ip ?? "stack";
    this.clock = opts.clock ?? new RealClock();
    this.txFn = opts.tx ?? null;
    this.prng = opts.seed !== undefined ? new Prng(opts.seed) : null;
    const path = opts.wasmPath ?? buildPath(opts.build ?? "node");
    const imports = {
      env: {
        tx: (ptr: number, len: number) => this.onTx(ptr, len),
        entropy: (ptr: number, len: number) => this.onEntropy(ptr, len),
        event: (sock: number, kind: number, arg: number) => this.onEvent(sock, kind, arg),
        abort: (msg: number, file: number, line: number, col: number) => {
          throw new Error(`wasm abort: ${this.readString(msg)} at ${this.readString(file)}:${line}:${col}`);
        },
      } satisfies Imports,
    };
    // A plain instance: the loader's instantiate adds ~30 KiB of JavaScript per instance (runtime
    // helpers and demangled wrappers) that nothing here uses; a fleet of devices pays it K times.
    const { exports } = new WebAssembly.Instance(wasmModule(path), imports as unknown as WebAssembly.Imports);
    this.exports = this.clocked(exports as unknown as CoreExports);
    this.memory = this.exports.memory;
    // The module carries no counter names: ours (STAT_NAMES) must describe the same counters.
    const n = this.exports.statCount();
    if (n !== STAT_COUNT) throw new Error(`${path}: ${n} counters, this host knows ${STAT_COUNT} (module and host built from different abi/abi.mjs)`);
    this.cfgKeys = { ...Cfg };
    this.applyConfig(opts);
    if (opts.ip6Secret) this.ip6SetSecret(opts.ip6Secret);
    if (opts.init !== false) this.init();
  }

  /**
   * The exports as the host calls them: every API call first brings the core's clock to now
   * (`clock`), so the timers it arms (RTO, ARP, DHCP) start from the true time and not from the
   * last input/poll, which may be long past after an idle spell. input/poll carry their own time.
   */
  private clocked(raw: CoreExports): CoreExports {
    if (typeof raw.clock !== "function") return raw; // a module built before the clock export
    const own = new Set(["input", "inputAt", "rxStaging", "poll", "clock", "ping", "rxBuffer", "ioBuffer", "statsPtr", "statCount"]);
    const out: Record<string, unknown> = {};
    let fed = -1;
    const sync = () => {
      const t = this.nowMs();
      if (t !== fed) { fed = t; raw.clock(t); }
    };
    for (const [name, v] of Object.entries(raw)) {
      if (typeof v !== "function" || own.has(name)) { out[name] = v; continue; }
      const f = v as (a?: number, b?: number, c?: number, d?: number, e?: number, g?: number) => number;
      // Fixed arity (extra arguments are ignored by wasm): no rest-array allocation per call.
      out[name] = (a?: number, b?: number, c?: number, d?: number, e?: number, g?: number) => { sync(); return f(a, b, c, d, e, g); };
    }
    return out as CoreExports;
  }

  private applyConfig(opts: StackOptions): void {
    if (opts.mac) {
      const [hi, lo] = parseMac(opts.mac);
      this.configure("MacHi", hi);
      this.configure("MacLo", lo);
    }
    if (opts.ip) this.configure("Ipv4Addr", ipToU32(opts.ip));
    if (opts.prefix !== undefined) this.configure("PrefixLen", opts.prefix);
    if (opts.gateway) this.configure("Gateway", ipToU32(opts.gateway));
    if (opts.mtu !== undefined) this.configure("Mtu", opts.mtu);
    for (const [k, v] of Object.entries(opts.config ?? {})) this.configure(k, v);
    if (opts.config?.RxStaging === undefined && typeof this.exports.inputAt === "function") {
      if (opts.rxStaging) this.configure("RxStaging", opts.rxStaging);
    }
  }

  /** The longest Ethernet frame (no FCS) worth handing to the stack: the MTU + 14 header bytes + 4 for an 802.1Q tag. */
  get maxFrame(): number { return this.mtu + 18; }

  /** Set a config key by name (before init). Throws on unknown keys or refusal. */
  configure(key: string, value: number): void {
    const id = this.cfgKeys[key];
    if (id === undefined) throw new Error(`unknown config key ${key}`);
    const r = this.exports.configure(id, value >>> 0);
    if (r !== 0) throw new Error(`configure(${key}, ${value}) failed: ${ERR_NAMES[-r] ?? r}`);
    if (key === "Mtu") this.mtu = value;
    if (key === "IoBuf") this.ioLen = value;
    if (key === "RxStaging") this.stagingBytes = value;
  }

  /** Reserve the pools and start the interface (sends a gratuitous ARP through tx). */
  init(): void {
    const r = this.exports.init();
    if (r !== 0) throw new Error(`init failed: ${ERR_NAMES[-r] ?? r}`);
    this.rxPtr = this.exports.rxBuffer();
    // the host's records of the region only when there is one (a fleet's stacks have none)
    const stagingBase = typeof this.exports.rxStaging === "function" ? this.exports.rxStaging() : 0;
    if (stagingBase !== 0 && this.stagingBytes > 0) this.staging = new StagingRing(stagingBase, this.stagingBytes);
    this.inited = true;
    const hooks = this.initHooks;
    this.initHooks = null;
    for (const fn of hooks ?? []) fn();
    this.rxCap = typeof this.exports.ifaceRxCapacity === "function"
      ? this.exports.ifaceRxCapacity()
      : this.mtu + 14;
    this.wake();
  }

  /** Route transmitted frames to fn (a copy each). */
  attach(fn: ((frame: Uint8Array, stack: Stack) => void) | null): void { this.txFn = fn; this.txRawFn = null; }

  /**
   * Route transmitted frames to fn as (ptr, len) in linear memory, without the copy attach()
   * makes: the bytes are valid only during the call (copy them out of
   * `new Uint8Array(stack.memory.buffer, ptr, len)`). Replaces attach()'s function and vice versa.
   */
  attachRaw(fn: (ptr: number, len: number, stack: Stack) => void): void { this.txRawFn = fn; this.txFn = null; }

  /** Listen to the core's events; returns a function that removes the listener. */
  onEvents(fn: EventListener): () => void {
    this.listeners.push(fn);
    return () => { this.listeners = this.listeners.filter((l) => l !== fn); };
  }

  /** The stack's current time as the core sees it (u32 ms). */
  nowMs(): number { return Math.floor(this.clock.now()) >>> 0; }

  /** Deliver one received Ethernet frame: the first `len` bytes of `frame` (default all; copied at once). */
  input(frame: Uint8Array, len = frame.length): void {
    if (len > frame.length) len = frame.length;
    if (this.inCallback > 0) {
      // A driver answered a tx synchronously (e.g. a link that delivers at once): the core is
      // still inside the call that transmitted, and writing rxBuffer now would overwrite the
      // frame it may be parsing. Queue a copy; deliver it as soon as the core has returned.
      this.deferred.push(frame.slice(0, len));
      if (this.deferred.length === 1) queueMicrotask(this.drainLater);
      return;
    }
    const n = Math.min(len, this.rxCap);
    // a view of a buffer that growth detached has length 0 (cheaper than the buffer getter per frame)
    if (this.rxView.length === 0) this.rxView = new Uint8Array(this.memory.buffer);
    this.rxView.set(n === frame.length ? frame : frame.subarray(0, n), this.rxPtr);
    this.exports.input(len, this.nowMs());
    this.wake();
  }

  /** Run `fn` once the stack is initialized (now if it is). Drivers attached before init use it. */
  afterInit(fn: () => void): void {
    if (this.inited) fn();
    else (this.initHooks ??= []).push(fn);
  }

  /** init() has run. */
  get isInitialized(): boolean { return this.inited; }

  /** Bytes of the staging region this stack asks for (before init; see StackOptions.rxStaging). */
  get stagingSize(): number { return this.stagingBytes; }

  /**
   * Give the whole staging region to one driver (e.g. a TAP reading batches straight into it):
   * its address and size, or null (no region, not initialized, or claimed already). stageFrame
   * then refuses every frame (links fall back to pooled copies).
   */
  claimStaging(): { base: number; size: number } | null {
    const st = this.staging;
    if (st === null || st.size === 0 || this.stagingClaimed || st.held > 0) return null;
    this.stagingClaimed = true;
    return { base: st.base, size: st.size };
  }

  /**
   * The core processes the `len`-byte frame at `ptr` in place (it must lie in the staging region:
   * claimStaging). As input(): deferred (copied) when it arrives while the core is mid-call.
   * `now`: its arrival time (default the stack's clock now; a link reading a batch passes one time for all).
   */
  inputInPlace(ptr: number, len: number, now = this.nowMs()): void {
    if (this.inCallback > 0) {
      if (this.rxView.length === 0) this.rxView = new Uint8Array(this.memory.buffer);
      this.deferred.push(this.rxView.slice(ptr, ptr + len));
      if (this.deferred.length === 1) queueMicrotask(this.drainLater);
      return;
    }
    const r = this.exports.inputAt(ptr, len, now);
    if (r !== 0) throw new Error(`inputAt(${ptr}, ${len}): ${ERR_NAMES[-r] ?? r}`);
    this.wake();
  }

  /**
   * Start (`on`) or end a batch of received frames (the core's ackBatch, docs/abi.md): the ACKs TCP
   * owes within it wait for its end, then each offers the free space measured from its own ACK
   * number. A link that delivers frames in batches ends one after the application has read what it
   * delivered (a microtask queued after the frames' events). Returns the ACKs sent at the end;
   * builds without WT_SCALE (the MCU builds) return -ENOSYS and send every ACK at once.
   */
  ackBatch(on: boolean): number {
    return this.exports.ackBatch(on ? 1 : 0, this.nowMs());
  }

  /**
   * Copy one received frame (`frame`, e.g. a view of another stack's memory) into the staging
   * region: a slot for inputStaged/releaseStaged, or -1 when there is no region or no room (then
   * deliver it with input()). The frame's only copy until it is delivered.
   */
  stageFrame(frame: Uint8Array): number {
    const st = this.staging;
    if (st === null || st.size === 0 || this.stagingClaimed) return -1;
    const slot = st.alloc(frame.length);
    if (slot < 0) return -1;
    if (this.rxView.length === 0) this.rxView = new Uint8Array(this.memory.buffer);
    this.rxView.set(frame, st.addr(slot));
    return slot;
  }

  /** The core processes the frame staged in `slot` in place (as input()), and the slot is released. */
  inputStaged(slot: number): void {
    const st = this.staging!;
    if (this.inCallback > 0) {
      // as input(): the core is mid-call; keep a copy for after it returns
      if (this.rxView.length === 0) this.rxView = new Uint8Array(this.memory.buffer);
      const a = st.addr(slot);
      this.deferred.push(this.rxView.slice(a, a + st.length(slot)));
      st.release(slot);
      if (this.deferred.length === 1) queueMicrotask(this.drainLater);
      return;
    }
    const r = this.exports.inputAt(st.addr(slot), st.length(slot), this.nowMs());
    st.release(slot);
    if (r !== 0) throw new Error(`inputAt: ${ERR_NAMES[-r] ?? r}`);
    this.wake();
  }

  /** A view of a staged frame (valid until the slot is released or memory grows). */
  stagedView(slot: number): Uint8Array {
    const st = this.staging!;
    return new Uint8Array(this.memory.buffer, st.addr(slot), st.length(slot));
  }

  /** Give back a staged frame's slot without delivering it. */
  releaseStaged(slot: number): void { this.staging!.release(slot); }

  /** Frames staged and not yet delivered or released. */
  get stagedFrames(): number { return this.staging?.held ?? 0; }

  /** Run the core's timers now; returns ms until the next deadline (-1 = none) and records nextDeadline. */
  poll(): number {
    const now = this.clock.now();
    const r = this.exports.poll(Math.floor(now) >>> 0);
    this.nextDeadline = r < 0 ? Infinity : Math.floor(now) + r;
    return r;
  }

  /** Ask the driver to poll soon (call after any API call that may have queued work). */
  wake(): void { this.waker?.(this); }

  /** Send an ICMP echo request; returns 0 or a negative Err. */
  ping(dst: string, seq: number, opts: { id?: number; len?: number } = {}): number {
    const r = this.exports.ping(ipToU32(dst), opts.id ?? 0x5757, seq, opts.len ?? 56, this.nowMs());
    this.wake();
    return r;
  }

  // -------------------------------------------------------------------------
  // UDP sockets (docs/abi.md "UDP"): each returns the core's result (a negative Err on failure).
  // Payload passes through the host I/O region (ioBuffer(), Cfg.IoBuf bytes).

  private ioRegion(): number {
    const io = this.exports.ioBuffer() as number;
    if (io === 0 || this.ioLen < 32) throw new Error("the core has no I/O region (Cfg.IoBuf = 0)");
    return io;
  }

  // -------------------------------------------------------------------------
  // DNS stub resolver (docs/abi.md "DNS stub resolver"): the name and the answer pass through
  // the I/O region. A DnsDone event (sock = the query handle) says when dnsResult has an answer.

  /** Start resolving `name` (family 4: A records, 6: AAAA records): a query handle, or a negative Err. */
  dnsQuery(name: string, family: 4 | 6 = 4): number {
    const io = this.ioRegion();
    const b = Buffer.from(name, "utf8"); // non-ASCII bytes are refused by the core (-EINVAL)
    if (b.length > 1024) return -Err.EINVAL;
    new Uint8Array(this.memory.buffer, io, b.length).set(b);
    return family === 4 ? this.exports.dnsQuery(io, b.length) : this.exports.dnsQueryFamily(io, b.length, family);
  }

  /** A finished query's addresses and TTL (the handle is released), or a negative Err (-EAGAIN: in flight). `family`: the query's. */
  dnsResult(q: number, max = 32, family: 4 | 6 = 4): DnsAnswer | number {
    const io = this.ioRegion();
    const n = this.exports.dnsResult(q, io, max);
    if (n < 0) return n;
    const ttl = new Uint32Array(this.memory.buffer, io, 1)[0];
    if (family === 6) {
      const b = new Uint8Array(this.memory.buffer, io + 4, 16 * n);
      return { ttl, addresses: Array.from({ length: n }, (_, i) => bytesToIp6(b, 16 * i)) };
    }
    const v = new Uint32Array(this.memory.buffer, io, n + 1);
    return { ttl, addresses: Array.from(v.subarray(1), (a) => u32ToIp(a)) };
  }

  /** Forget a query (no DnsDone follows); 0 or -EBADF. */
  dnsCancel(q: number): number { return this.exports.dnsCancel(q); }

  /** A new UDP socket handle, or a negative Err. */
  udpOpen(): number { return this.exports.udpOpen(); }

  /** Bind a local port (0 = a random ephemeral one); returns the port bound or a negative Err. */
  udpBind(h: number, port = 0): number { return this.exports.udpBind(h, port); }

  /** Fix the peer (only its datagrams are delivered); ip null and port 0 dissolve it. 0 or a negative Err. */
  udpConnect(h: number, ip: string | null, port: number): number {
    return this.exports.udpConnect(h, ip === null ? 0 : ipToU32(ip), port);
  }

  /** Send one datagram (ip null and port 0: to the connected peer); bytes sent or a negative Err. */
  udpSendTo(h: number, ip: string | null, port: number, data: Uint8Array): number {
    if (data.length > this.ioLen) return -Err.EMSGSIZE; // cannot even stage it
    const io = this.ioRegion();
    this.bytes(io, data.length).set(data);
    const r = this.exports.udpSendTo(h, ip === null ? 0 : ipToU32(ip), port, io, data.length);
    this.wake();
    return r;
  }

  /** The oldest queued datagram (at most `max` bytes of it), or a negative Err (-EAGAIN: none). */
  udpRecvFrom(h: number, max = this.ioLen - 16): UdpDatagram | number {
    const io = this.ioRegion();
    const cap = Math.max(0, Math.min(max, this.ioLen - 16));
    const n = this.exports.udpRecvFrom(h, io + 16, cap, io);
    if (n < 0) return n;
    const v = new DataView(this.memory.buffer, io, 12);
    return {
      data: this.bytes(io + 16, n).slice(), address: u32ToIp(v.getUint32(0, true)), port: v.getUint32(4, true),
      size: v.getUint32(8, true),
    };
  }

  /** Release a UDP socket; 0 or a negative Err. */
  udpClose(h: number): number { return this.exports.udpClose(h); }

  /** Local port, peer and queue of a UDP socket, or null for a bad handle. */
  udpInfo(h: number): UdpInfo | null {
    const io = this.ioRegion();
    if (this.exports.udpInfo(h, io) < 0) return null;
    const v = new Uint32Array(this.memory.buffer, io, UDP_INFO_NAMES.length);
    const out = {} as UdpInfo;
    UDP_INFO_NAMES.forEach((k, i) => { out[k] = v[i]; });
    return out;
  }

  /** Set a UDP socket option (UdpOpt); 0 or a negative Err. */
  udpSetOption(h: number, opt: number, value: number | boolean): number {
    return this.exports.udpSetOption(h, opt, typeof value === "boolean" ? (value ? 1 : 0) : value);
  }

  /**
   * The socket receives datagrams to `group` on its port (IGMPv2 reports it; an IPv6 group through
   * UdpOpt.JoinGroup6, MLDv2 reports it); 0 or a negative Err.
   */
  udpJoinGroup(h: number, group: string): number {
    const r = group.includes(":") ? this.exports.udpSetOption(h, UdpOpt.JoinGroup6, this.putIo(ip6ToBytes(group)))
      : this.exports.udpJoinGroup(h, ipToU32(group));
    this.wake();
    return r;
  }

  /** Leave `group` (the last leave sends an IGMP Leave Group); 0 or a negative Err. */
  udpLeaveGroup(h: number, group: string): number {
    const r = group.includes(":") ? this.exports.udpSetOption(h, UdpOpt.LeaveGroup6, this.putIo(ip6ToBytes(group)))
      : this.exports.udpLeaveGroup(h, ipToU32(group));
    this.wake();
    return r;
  }

  // --- SNTP client (docs/abi.md "SNTP client") ---

  /** Query NTP server `server` (null: the DHCP lease's NTP servers) now and every `intervalS` seconds (0 = 1024); 0 or a negative Err. */
  sntpStart(server: string | null, intervalS = 0): number {
    const r = this.exports.sntpStart(server === null ? 0 : ipToU32(server), intervalS);
    this.wake();
    return r;
  }

  /** Stop the SNTP client (the learned time is kept). */
  sntpStop(): number { return this.exports.sntpStop(); }

  /** The SNTP client's state and learned time. */
  sntpInfo(): SntpInfo {
    const o: SntpInfoRaw = this.readLayout("sntpInfo", (out) => this.exports.sntpInfo(out), SNTP_INFO_NAMES);
    for (const k of ["offsetSec", "offsetUs", "delayUs"] as const) o[k] = o[k] | 0; // signed
    const kiss = o.kiss === 0 ? "" : String.fromCharCode(o.kiss >>> 24, (o.kiss >>> 16) & 255, (o.kiss >>> 8) & 255, o.kiss & 255);
    return {
      ...o, stateName: ["stopped", "waiting", "idle", "denied"][o.state] ?? String(o.state),
      time: o.synced ? new Date(ntpToUnixMs(o.timeSec, o.timeFrac)) : null,
      offsetMs: o.offsetSec * 1000 + o.offsetUs / 1000, kissCode: kiss,
    };
  }

  // --- the interface at run time (docs/abi.md "Interface configuration at run time") ---

  /** Set the address as "a.b.c.d/len" (len defaults to 24) and the gateway; 0 or a negative Err. */
  setIpv4(cidr: string, gateway?: string): number {
    const [ip, len] = cidr.split("/");
    const prefix = len === undefined ? 24 : Number(len);
    if (!Number.isInteger(prefix)) return -Err.EINVAL;
    const r = this.exports.ifaceSetIpv4(ipToU32(ip), prefix, gateway ? ipToU32(gateway) : 0);
    this.wake();
    return r;
  }

  /** Remove the address (connections on it end with EADDRNOTAVAIL); 0 or a negative Err. */
  clearIpv4(): number {
    const r = this.exports.ifaceClearIpv4();
    this.wake();
    return r;
  }

  /**
   * Replace the DNS server list: at most ifaceInfo().dnsMax = 3 IPv4 addresses (ifaceSetDns) and
   * 3 IPv6 ones (ip6SetDns; the resolver asks the IPv4 ones first, then the IPv6 ones, then RDNSS
   * servers). 0 or the first negative Err (-ENOSYS for an IPv6 server without IPv6).
   */
  setDns(servers: string[]): number {
    const max = this.ifaceInfoRaw().dnsMax;
    const v6 = servers.filter((a) => a.includes(":"));
    const addrs = servers.filter((a) => !a.includes(":")).map(ipToU32);
    if (addrs.length > max || v6.length > 3) return -Err.EINVAL;
    for (let i = 0; i < max; i++) {
      const r = this.exports.ifaceSetDns(i, addrs[i] ?? 0);
      if (r !== 0) return r;
    }
    for (let i = 0; i < 3; i++) {
      const r = this.exports.ip6SetDns(i, this.putIo(ip6ToBytes(v6[i] ?? "::")));
      if (r !== 0 && (v6.length > 0 || r !== -Err.ENOSYS)) return r; // (without IPv6, clearing is a no-op)
    }
    return 0;
  }

  /** Join / leave an IPv4 multicast group (RFC 1112: its 01:00:5e MAC enters the filter). */
  joinGroup(group: string): number { return this.exports.ifaceJoinGroup(ipToU32(group)); }
  leaveGroup(group: string): number { return this.exports.ifaceLeaveGroup(ipToU32(group)); }
  /** Join / leave a raw group MAC ("33:33:00:00:00:01"). */
  joinMac(mac: string): number { const [hi, lo] = parseMac(mac); return this.exports.ifaceJoinMac(hi, lo); }
  leaveMac(mac: string): number { const [hi, lo] = parseMac(mac); return this.exports.ifaceLeaveMac(hi, lo); }

  /** The raw ifaceInfo fields. Uses the core's I/O region (or, without one, the rx buffer). */
  ifaceInfoRaw(): IfaceInfoRaw { return this.readLayout("ifaceInfo", (out) => this.exports.ifaceInfo(out), IFACE_INFO_NAMES); }

  /**
   * Call an export that writes the u32 fields `names` (a layout declared in abi/abi.mjs) at a
   * pointer, and read them by name. Uses the core's I/O region (or, without one, the rx buffer).
   */
  private readLayout<K extends string>(what: string, call: (out: number) => number, names: readonly K[]): Record<K, number> {
    const io = typeof this.exports.ioBuffer === "function" ? this.exports.ioBuffer() : 0;
    if (io === 0 && this.inCallback > 0) throw new Error(`${what} inside a callback needs the I/O region (Cfg.IoBuf > 0)`);
    const out = io !== 0 ? io : this.rxPtr;
    const r = call(out);
    if (r !== 0) throw new Error(`${what} failed: ${ERR_NAMES[-r] ?? r}`);
    const v = new Uint32Array(this.memory.buffer, out, names.length);
    const o = {} as Record<K, number>;
    names.forEach((n, i) => { o[n] = v[i]; });
    return o;
  }

  /** The interface's configuration, decoded. */
  ifaceInfo(): IfaceInfo {
    const r = this.ifaceInfoRaw();
    const mac = new Uint8Array(6);
    new DataView(mac.buffer).setUint16(0, r.macHi);
    new DataView(mac.buffer).setUint32(2, r.macLo);
    return {
      address: r.ipv4 === 0 ? null : u32ToIp(r.ipv4), prefix: r.prefixLen, netmask: u32ToIp(r.netmask),
      gateway: r.gateway === 0 ? null : u32ToIp(r.gateway), broadcast: u32ToIp(r.broadcast), mtu: r.mtu,
      mac: formatMac(mac), dns: [r.dns0, r.dns1, r.dns2].filter((d) => d !== 0).map(u32ToIp),
      multicastGroups: r.mcastInUse, multicastSize: r.mcastSize, generation: r.generation, arpEntries: r.arpInUse,
    };
  }

  /** Start the DHCP client (docs/abi.md "DHCP client"); 0 or a negative Err. */
  dhcpStart(): number { const r = this.exports.dhcpStart(); this.wake(); return r; }

  /** Option 12 for the next dhcpStart ("" = none); 0 or a negative Err (-EINVAL: not a 1-63 byte RFC 1123 label). */
  dhcpSetHostname(name: string): number {
    const b = Buffer.from(name, "utf8");
    if (b.length > 255) return -Err.EINVAL;
    return this.exports.dhcpSetHostname(this.putIo(b), b.length);
  }

  /** Option 61 for the next dhcpStart, sent as given (empty = the default: type 1 + the MAC); 0 or a negative Err. */
  dhcpSetClientId(id: Uint8Array): number {
    if (id.length > 255) return -Err.EINVAL;
    return this.exports.dhcpSetClientId(this.putIo(id), id.length);
  }

  /** The address the next dhcpStart asks for first (RFC 2131 §3.2 INIT-REBOOT); null forgets it. */
  dhcpSetRequestAddress(ip: string | null): number { return this.exports.dhcpSetRequestAddress(ip === null ? 0 : ipToU32(ip)); }

  /** Add a static IPv6 address "2001:db8::1/64": its index, or a negative Err. */
  ip6AddrAdd(cidr: string): number {
    const [a, len] = cidr.split("/");
    const r = this.exports.ip6AddrAdd(this.putIo(ip6ToBytes(a)), len === undefined ? 128 : Number(len));
    this.wake();
    return r;
  }

  /** Remove our IPv6 address `a`; 0 or a negative Err. */
  ip6AddrDel(a: string): number { return this.exports.ip6AddrDel(this.putIo(ip6ToBytes(a))); }

  /**
   * ip6SetSecret: the RFC 7217 secret_key (16 bytes). Before init (the link-local address is formed
   * at init) the bytes pass through the last 16 bytes of linear memory, which nothing uses until
   * init reserves the pools; after init through the I/O region.
   */
  ip6SetSecret(secret: Uint8Array): number {
    if (secret.length !== 16) throw new Error("ip6Secret: 16 bytes");
    const at = this.rxPtr !== 0 ? this.ioRegion() : this.memory.buffer.byteLength - 16;
    new Uint8Array(this.memory.buffer, at, 16).set(secret);
    return this.exports.ip6SetSecret(at);
  }

  /** The IPv6 address table (entries in use). */
  ip6Addresses(): Ip6Address[] {
    return this.usedSlots(this.ip6Info().addrSlots, "ip6AddrInfo", (i, o) => this.exports.ip6AddrInfo(i, o), IP6_ADDR_INFO_NAMES, (r, i) => ({
      index: i, address: ip6FromWords(r.addr0, r.addr1, r.addr2, r.addr3), prefix: r.prefixLen, state: IP6_ADDR_STATES[r.state] as Ip6Address["state"],
      origin: (["", "link-local", "slaac", "static"] as const)[r.origin] as Ip6Address["origin"],
      validLeft: r.validLeft, preferredLeft: r.preferredLeft, dadCount: r.dadCount,
    }));
  }

  /** The records of slots 0..n-1 of an info table whose `state` is not 0 (free), mapped by `f`. */
  private usedSlots<K extends string, T>(n: number, what: string, call: (i: number, out: number) => number,
    names: readonly K[], f: (r: Record<K, number>, i: number) => T): T[] {
    const out: T[] = [];
    for (let i = 0; i < n; i++) {
      const r = this.readLayout(what, (o) => call(i, o), names);
      if ((r as Record<string, number>).state !== 0) out.push(f(r, i));
    }
    return out;
  }

  /** IPv6 DNS servers learned from RDNSS options (RFC 8106), live entries only. */
  ip6DnsServers(): Ip6DnsServer[] {
    return this.usedSlots(this.ip6Info().dnsServerSlots, "ip6DnsServerInfo", (i, o) => this.exports.ip6DnsServerInfo(i, o), IP6_DNS_SERVER_INFO_NAMES, (r) => ({
      address: ip6FromWords(r.addr0, r.addr1, r.addr2, r.addr3), lifetimeLeft: r.lifetimeLeft,
    }));
  }

  /** The IPv6 neighbor cache (entries in use). */
  ip6Neighbors(): Ip6Neighbor[] {
    return this.usedSlots(this.ip6Info().neighborSlots, "ip6NeighborInfo", (i, o) => this.exports.ip6NeighborInfo(i, o), IP6_NEIGHBOR_INFO_NAMES, (r, i) => {
      const mac = new Uint8Array(6);
      new DataView(mac.buffer).setUint16(0, r.macHi);
      new DataView(mac.buffer).setUint32(2, r.macLo);
      return {
        index: i, address: ip6FromWords(r.addr0, r.addr1, r.addr2, r.addr3), mac: formatMac(mac), state: IP6_NEIGHBOR_STATES[r.state] as Ip6Neighbor["state"],
        isRouter: r.isRouter !== 0, probes: r.probes, queued: r.queued,
      };
    });
  }


  /** The IPv6 layer's parameters (ip6Info). */
  ip6Info(): Ip6InfoRaw { return this.readLayout("ip6Info", (o) => this.exports.ip6Info(o), IP6_INFO_NAMES); }

  /** ICMPv6 echo request to `dst`; 0 or a negative Err (replies: EchoReply events). */
  ip6Ping(dst: string, seq: number, opts: { id?: number; len?: number } = {}): number {
    const r = this.exports.ip6Ping(this.putIo(ip6ToBytes(dst)), opts.id ?? 1, seq, opts.len ?? 0);
    this.wake();
    return r;
  }

  /** Path MTU towards `dst`. */
  ip6PathMtu(dst: string): number { return this.exports.ip6PathMtu(this.putIo(ip6ToBytes(dst))); }

  /** Copy `b` into the I/O region; its address (for calls taking a 16-byte address: IPv6 sockets). */
  putIo(b: Uint8Array): number {
    const io = this.ioRegion();
    new Uint8Array(this.memory.buffer, io, b.length).set(b);
    return io;
  }

  /** Stop the DHCP client and remove the leased address; `release` sends a DHCPRELEASE first. */
  dhcpStop(release = true): number { const r = this.exports.dhcpStop(release ? 1 : 0); this.wake(); return r; }

  /** The DHCP client's dhcpInfo fields (addresses as u32, host order). */
  dhcpInfoRaw(): DhcpInfoRaw { return this.readLayout("dhcpInfo", (out) => this.exports.dhcpInfo(out), DHCP_INFO_NAMES); }

  /** dhcpInfo decoded: the state's name and dotted addresses (null = none). */
  dhcpInfo(): Omit<DhcpInfoRaw, "state" | "address" | "router" | "serverId"> & {
    state: string; address: string | null; router: string | null; serverId: string | null;
    /** The lease's NTP servers (option 42). */
    ntp: string[];
  } {
    const r = this.dhcpInfoRaw();
    const ip = (v: number) => (v === 0 ? null : u32ToIp(v));
    return {
      ...r, state: DHCP_STATE_NAMES[r.state] ?? String(r.state), address: ip(r.address), router: ip(r.router), serverId: ip(r.serverId),
      ntp: [r.ntp0, r.ntp1, r.ntp2].slice(0, r.ntpCount).map(u32ToIp),
    };
  }

  /** Counter names, in order (the generated STAT_NAMES: the module carries none). */
  statNames(): readonly string[] { return STAT_NAMES; }

  /** Decode an AssemblyScript string (UTF-16; its byte length is the u32 before it). */
  readString(ptr: number): string {
    if (!ptr) return "";
    const bytes = new DataView(this.memory.buffer).getUint32(ptr - 4, true);
    return Buffer.from(new Uint8Array(this.memory.buffer, ptr, bytes)).toString("utf16le");
  }

  /** All counters as { name: value }. */
  stats(): Record<string, number> {
    const names = STAT_NAMES;
    const n = this.exports.statCount();
    const view = new Uint32Array(this.memory.buffer, this.exports.statsPtr(), n);
    const out: Record<string, number> = {};
    for (let i = 0; i < n; i++) out[names[i] ?? `stat${i}`] = view[i];
    return out;
  }

  /** One counter by name. */
  stat(name: string): number {
    const i = STAT_INDEX.get(name) ?? -1;
    if (i < 0) throw new Error(`unknown counter ${name}`);
    return new Uint32Array(this.memory.buffer, this.exports.statsPtr(), i + 1)[i];
  }

  /** A fresh view of linear memory (re-read after anything that may grow memory). */
  bytes(ptr: number, len: number): Uint8Array { return new Uint8Array(this.memory.buffer, ptr, len); }

  private onTx(ptr: number, len: number): void {
    if (this.txRawFn) {
      this.inCallback++;
      try { this.txRawFn(ptr, len, this); } finally { this.inCallback--; }
      return;
    }
    if (!this.txFn) { this.txUnattached++; return; }
    this.inCallback++;
    try { this.txFn(new Uint8Array(this.memory.buffer, ptr, len).slice(), this); } finally { this.inCallback--; }
  }

  /** drainDeferred() for queueMicrotask, made once (an arrow in input() would cost a context per frame). */
  private readonly drainLater = (): void => this.drainDeferred();

  /** Frames that arrived re-entrantly, in arrival order (each may defer more: they queue behind). */
  private drainDeferred(): void {
    while (this.deferred.length > 0 && this.inCallback === 0) this.input(this.deferred.shift()!);
  }

  /** Frames waiting because they arrived while the core was mid-call (normally 0). */
  get deferredFrames(): number { return this.deferred.length; }

  private onEntropy(ptr: number, len: number): void {
    const out = new Uint8Array(this.memory.buffer, ptr, len);
    if (this.prng) this.prng.fill(out);
    else randomFillSync(out);
  }

  private onEvent(sock: number, kind: number, arg: number): void {
    this.inCallback++;
    try { for (const l of this.listeners) l(sock, kind, arg); } finally { this.inCallback--; }
  }
}

/** Create a stack (async for symmetry with hosts that compile asynchronously). */
export async function loadStack(opts: StackOptions = {}): Promise<Stack> {
  return new Stack(opts);
}

/**
 * Drives stacks in real time: polls after each wake and at each deadline with setTimeout.
 * (The emulated link's Sim drives stacks in virtual time instead.)
 */
export class RealtimeDriver {
  private slots = new Map<Stack, DriverSlot>();

  add(stack: Stack): void {
    const slot: DriverSlot = { pending: false, timer: null, due: Infinity, run: () => this.run(stack, slot), fire: () => this.fire(stack, slot) };
    this.slots.set(stack, slot);
    stack.waker = () => this.schedule(slot);
    this.schedule(slot);
  }

  remove(stack: Stack): void {
    stack.waker = null;
    const slot = this.slots.get(stack);
    if (slot?.timer) clearTimeout(slot.timer);
    this.slots.delete(stack);
  }

  /** One poll per event-loop turn however many wakes came (no allocation per wake). */
  private schedule(slot: DriverSlot): void {
    if (slot.pending) return;
    slot.pending = true;
    setImmediate(slot.run);
  }

  private run(stack: Stack, slot: DriverSlot): void {
    slot.pending = false;
    if (stack.waker === null) return;
    const r = stack.poll();
    if (r < 0) {
      if (slot.timer) clearTimeout(slot.timer);
      slot.timer = null;
      slot.due = Infinity;
      return;
    }
    // Keep an armed timer that fires no later than needed (an early poll just re-arms): most
    // polls leave the deadline where it was or later, and re-arming each time costs a timer.
    const due = performance.now() + Math.max(r, 1);
    if (slot.timer !== null && slot.due <= due) return;
    if (slot.timer) clearTimeout(slot.timer);
    slot.due = due;
    slot.timer = setTimeout(slot.fire, Math.max(r, 1));
    slot.timer.unref();
  }

  private fire(stack: Stack, slot: DriverSlot): void {
    slot.timer = null;
    slot.due = Infinity;
    if (stack.waker !== null) this.schedule(slot);
  }
}

/** RealtimeDriver's state per stack. */
interface DriverSlot {
  pending: boolean;
  timer: NodeJS.Timeout | null;
  /** performance.now() at which the armed timer fires. */
  due: number;
  run: () => void;
  fire: () => void;
}
