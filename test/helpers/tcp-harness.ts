// A small deterministic harness for the TCP engine: instances of build/testing.wasm
// (each a src/stack.ts Stack) on one segment of the emulator (src/links/emulated.ts: a Sim's
// link, its virtual clock and event queue), a hook to drop / inspect / rewrite frames, seeded
// impairments, a capture of every frame, and a RawPeer that crafts segments by hand (answering
// ARP for its own address) to test single rules.
import { Link, Sim, type TapRecord } from "../../src/links/emulated.js";
import { TcpApi } from "../../src/scenarios.js";
import { formatMac, ipToU32, Stack, u32ToIp } from "../../src/stack.js";
import { decodeFrame, onesSum, pseudoSum, type TcpOpts } from "../../src/trace.js";
import { Cfg, EventKind, type Exports as AbiExports, STAT_NAMES, TCP_INFO_NAMES, type TcpInfo, TcpState } from "../../src/abi.js";

// The ABI's numbers, from the generated binding (src/abi.ts), under the short names the tests use.
export { Cfg, Err } from "../../src/abi.js";
export const Ev = EventKind;
export const S = TcpState;

export const FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10;

/** "198.51.100.1" -> host-order u32. */
export const ip = ipToU32;

/** xorshift32: deterministic bytes for entropy and payloads. */
export class Rng {
  constructor(private s: number) { if (this.s === 0) this.s = 0x9e3779b9; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  /** [0, 1) */
  float(): number { return this.next() / 4294967296; }
  bytes(n: number): Uint8Array {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) b[i] = this.next() & 255;
    return b;
  }
}

/** `n` deterministic payload bytes. */
export const bytes = (n: number, seed = 1): Uint8Array => new Rng(seed).bytes(n);

// ---------------------------------------------------------------------------
// Decoding (test side)

export type { TcpOpts };
export interface Seg {
  src: number; dst: number; sport: number; dport: number; seq: number; ack: number; flags: number;
  wnd: number; hlen: number; payload: Uint8Array; opts: TcpOpts; csumOk: boolean;
}

/** The folded ones'-complement sum (src/trace.ts: the one decoder's checksum). */
export const csum16 = onesSum;

function pseudo(src: number, dst: number, len: number): number { return pseudoSum(src, dst, 6, len); }

/** Decode an Ethernet frame carrying IPv4/TCP (through src/trace.ts decodeFrame), or null. */
export function decodeTcp(f: Uint8Array): Seg | null {
  const d = decodeFrame(f);
  if (d.proto !== "TCP" || d.bad || !d.ip || !d.payload) return null;
  return {
    src: d.ip.src32, dst: d.ip.dst32, sport: d.srcPort!, dport: d.dstPort!, seq: d.seq!, ack: d.ack!,
    flags: d.tcpFlags! & 0xff, wnd: d.win!, hlen: d.tcpHlen!, payload: d.payload.slice(), opts: d.tcpOpts!, csumOk: d.l4SumOk!,
  };
}

export function flagStr(f: number): string {
  const n: string[] = [];
  if (f & FIN) n.push("FIN"); if (f & SYN) n.push("SYN"); if (f & RST) n.push("RST");
  if (f & PSH) n.push("PSH"); if (f & ACK) n.push("ACK");
  return n.join(",");
}

// ---------------------------------------------------------------------------
// Encoding (crafted segments)

export interface Craft {
  sport: number; dport: number; seq: number; ack?: number; flags: number; wnd?: number;
  payload?: Uint8Array; opts?: TcpOpts; rawOpts?: Uint8Array; badChecksum?: boolean; dataOffset?: number;
}

export function encodeOpts(o: TcpOpts): number[] {
  const b: number[] = [];
  if (o.mss !== undefined) b.push(2, 4, o.mss >> 8, o.mss & 255);
  if (o.wscale !== undefined) b.push(1, 3, 3, o.wscale);
  if (o.sackOk) b.push(1, 1, 4, 2);
  if (o.ts) {
    b.push(1, 1, 8, 10);
    for (const v of o.ts) b.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  }
  if (o.sack && o.sack.length) {
    b.push(1, 1, 5, 2 + 8 * o.sack.length);
    for (const [s, e] of o.sack) for (const v of [s, e]) b.push(v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255);
  }
  return b;
}

export function buildTcp(src: number, dst: number, c: Craft): Uint8Array {
  let ob = c.rawOpts ? Array.from(c.rawOpts) : encodeOpts(c.opts ?? {});
  while (ob.length % 4) ob.push(0);
  const hlen = 20 + ob.length;
  const pl = c.payload ?? new Uint8Array(0);
  const seg = new Uint8Array(hlen + pl.length);
  const dv = new DataView(seg.buffer);
  dv.setUint16(0, c.sport); dv.setUint16(2, c.dport); dv.setUint32(4, c.seq >>> 0); dv.setUint32(8, (c.ack ?? 0) >>> 0);
  seg[12] = ((c.dataOffset ?? hlen / 4) & 15) << 4; seg[13] = c.flags; dv.setUint16(14, c.wnd ?? 65535);
  seg.set(ob, 20); seg.set(pl, hlen);
  let cs = (~csum16(seg, pseudo(src, dst, seg.length))) & 0xffff;
  if (c.badChecksum) cs ^= 0x5555;
  dv.setUint16(16, cs);
  return seg;
}

export function buildFrame(dstMac: Uint8Array, srcMac: Uint8Array, src: number, dst: number, tcp: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + 20 + tcp.length);
  const dv = new DataView(f.buffer);
  f.set(dstMac, 0); f.set(srcMac, 6); dv.setUint16(12, 0x0800);
  f[14] = 0x45; dv.setUint16(16, 20 + tcp.length); dv.setUint16(18, 1); dv.setUint16(20, 0x4000);
  f[22] = 64; f[23] = 6; dv.setUint32(26, src); dv.setUint32(30, dst);
  dv.setUint16(24, (~csum16(f.subarray(14, 34))) & 0xffff);
  f.set(tcp, 34);
  return f;
}

// ---------------------------------------------------------------------------
// Instances

export interface HostOptions {
  ip: string; mac?: number; cfg?: Partial<Record<keyof typeof Cfg, number>>; seed?: number; build?: string;
  /** Called with the module's exports after instantiation and configuration, before init. */
  beforeInit?: (x: Exports) => void;
}
export interface EventRec { t: number; sock: number; kind: number; arg: number }

/** The module's exports (src/abi.ts) plus whatever the testing build adds. */
type Exports = AbiExports & { [k: string]: unknown };

/** tcpInfo field names, in order (the ABI's, from src/abi.ts). */
export { TCP_INFO_NAMES as INFO_NAMES };

/** An AssemblyScript static string of a raw instance: UTF-16LE, byte length in the u32 before it. */
export function asString(memory: WebAssembly.Memory, ptr: number): string {
  const len = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return Buffer.from(new Uint8Array(memory.buffer, ptr, len)).toString("utf16le");
}

/** A station of the harness: a Stack on the Sim's link (an endpoint that polls after every input and call). */
export class Host {
  x!: Exports;
  ip: number;
  mac: Uint8Array;
  events: EventRec[] = [];
  private statIdx = new Map<string, number>();
  /** The link's transmit function (Endpoint.attach). */
  private send: ((frame: Uint8Array) => void) | null = null;

  constructor(public net: Net, public name: string, public opts: HostOptions) {
    this.ip = ip(opts.ip);
    const m = opts.mac ?? (0x000000 + (this.ip & 0xff));
    this.mac = new Uint8Array([0x02, 0x00, (m >>> 24) & 255, (m >>> 16) & 255, (m >>> 8) & 255, m & 255]);
  }

  /** The one typed wrapper of the host (src/stack.ts): instantiation, config, entropy, events. */
  stack!: Stack;
  /** Its socket calls (src/scenarios.ts), shared with the scenarios. */
  api!: TcpApi;

  async start(): Promise<void> {
    this.stack = new Stack({
      wasmPath: this.opts.build ?? "build/testing.wasm",
      name: this.name,
      mac: formatMac(this.mac),
      ip: this.opts.ip,
      prefix: 24,
      config: this.opts.cfg as Record<string, number> | undefined,
      seed: this.opts.seed ?? (this.ip ^ 0x5eed),
      clock: this.net.sim.clock,
      tx: (f) => this.send?.(f),
      init: false,
    });
    this.x = this.stack.exports as Exports;
    this.api = new TcpApi(this.stack, this.opts.cfg?.IoBuf ?? 65536);
    this.stack.onEvents((sock, kind, arg) => { this.events.push({ t: this.net.now, sock, kind, arg }); });
    this.net.link.attach(this);
    this.net.sim.addStack(this.stack);
    this.opts.beforeInit?.(this.x);
    this.stack.init();
    STAT_NAMES.forEach((n, i) => this.statIdx.set(n, i));
    this.poll();
  }

  /** Endpoint: the link hands over its transmit function. */
  attach(fn: ((frame: Uint8Array) => void) | null): void { this.send = fn; }

  /** The time of the next poll the core asked for (Infinity: none). */
  get deadline(): number { return this.stack.nextDeadline; }

  mem(): Uint8Array { return new Uint8Array(this.x.memory.buffer); }

  stat(name: string): number {
    const i = this.statIdx.get(name);
    if (i === undefined) throw new Error(`no counter ${name}`);
    return new Uint32Array(this.x.memory.buffer, this.x.statsPtr(), this.x.statCount())[i];
  }

  input(frame: Uint8Array): void {
    this.stack.input(frame);
    this.poll();
  }

  poll(): void { this.stack.poll(); }

  // --- socket API: src/scenarios.ts TcpApi (polls the core before each call); afterwards the
  // harness refreshes its deadline ---
  private after<T>(v: T): T { this.poll(); return v; }
  open(): number { return this.after(this.api.open()); }
  bind(h: number, port: number): number { return this.after(this.api.bind(h, port)); }
  listen(h: number, backlog = 8): number { return this.after(this.api.listen(h, backlog)); }
  accept(h: number): number { return this.after(this.api.accept(h)); }
  connect(h: number, to: string | number, port: number): number {
    return this.after(this.api.connect(h, typeof to === "string" ? to : u32ToIp(to), port));
  }
  /** Queue as much of `data` as the send ring takes; bytes queued or a negative Err. */
  write(h: number, data: Uint8Array): number { return this.after(this.api.write(h, data)); }
  /** Bytes read, or a number (0 = EOF, negative = -Err). */
  read(h: number, max = 65536): Uint8Array | number { return this.after(this.api.read(h, max)); }
  shutdown(h: number): number { return this.after(this.api.shutdown(h)); }
  close(h: number): number { return this.after(this.api.close(h)); }
  abort(h: number): number { return this.after(this.api.abort(h)); }
  /** Read everything available now; returns the bytes (possibly empty). */
  drain(h: number): Uint8Array {
    const parts: Uint8Array[] = [];
    for (;;) {
      const r = this.read(h);
      if (!(r instanceof Uint8Array)) break;
      parts.push(r);
    }
    return Buffer.concat(parts);
  }
  state(h: number): number { return this.api.state(h); }
  setOption(h: number, opt: number, v: number): number { return this.after(this.api.setOption(h, opt, v)); }
  info(h: number): TcpInfo { return this.api.info(h); }
  sizes(): { tcb: number; timeWait: number } { return this.api.sizes(); }
  /** State transitions reported for a handle, as [from, to] pairs. */
  transitions(h: number): [number, number][] {
    return this.events.filter((e) => e.sock === h && e.kind === Ev.State).map((e) => [e.arg >> 8, e.arg & 255]);
  }
  hasEvent(h: number, kind: number, arg?: number): boolean {
    return this.events.some((e) => e.sock === h && e.kind === kind && (arg === undefined || e.arg === arg));
  }
}

/** A scripted peer (an endpoint of the link, not a Stack): answers ARP, records TCP segments sent to it, sends crafted ones. */
export class RawPeer {
  ip: number;
  mac: Uint8Array;
  rx: Seg[] = [];
  readonly name: string;
  constructor(public net: Net, ipStr: string, mac = 0xfe) {
    this.ip = ip(ipStr);
    this.mac = new Uint8Array([0x02, 0x00, 0, 0, 0, mac]);
    this.name = `peer:${ipStr}`;
  }
  /** Endpoint: it sends by scheduling frames to one host (Net.schedule), not through the link's fan-out. */
  attach(): void {}
  /** Endpoint: a frame from the link, taken from the host whose MAC sent it (others are ignored). */
  input(f: Uint8Array): void {
    const from = this.net.hosts.find((h) => h.mac.every((b, i) => b === f[6 + i]));
    if (from) this.receive(f, from);
  }
  receive(f: Uint8Array, from: Host): void {
    const dv = new DataView(f.buffer, f.byteOffset, f.length);
    const type = dv.getUint16(12);
    if (type === 0x0806 && dv.getUint16(20) === 1 && dv.getUint32(38) === this.ip) {
      const r = new Uint8Array(42);
      const rv = new DataView(r.buffer);
      r.set(f.subarray(6, 12), 0); r.set(this.mac, 6); rv.setUint16(12, 0x0806);
      rv.setUint16(14, 1); rv.setUint16(16, 0x0800); r[18] = 6; r[19] = 4; rv.setUint16(20, 2);
      r.set(this.mac, 22); rv.setUint32(28, this.ip); r.set(f.subarray(22, 28), 32); rv.setUint32(38, dv.getUint32(28));
      this.net.schedule(from, r);
      return;
    }
    const s = decodeTcp(f);
    if (s && s.dst === this.ip) this.rx.push(s);
  }
  /** Send a crafted segment to `to` (delivered after the link delay). */
  send(to: Host, c: Craft): void {
    this.net.schedule(to, buildFrame(to.mac, this.mac, this.ip, to.ip, buildTcp(this.ip, to.ip, c)));
  }
  /** Deliver a crafted segment now (synchronously). */
  inject(to: Host, c: Craft): void {
    to.input(buildFrame(to.mac, this.mac, this.ip, to.ip, buildTcp(this.ip, to.ip, c)));
  }
  last(): Seg { return this.rx[this.rx.length - 1]; }
  take(): Seg[] { const r = this.rx; this.rx = []; return r; }
}

export interface Captured { t: number; from: string; seg: Seg | null; frame: Uint8Array; dropped: boolean }
/** Return "drop" to lose the frame, a Uint8Array to replace it, or nothing to pass it. */
export type Hook = (frame: Uint8Array, from: Host, seg: Seg | null) => "drop" | Uint8Array | void;

/** A hook dropping the n-th (1-based) data segments `from` sends, first transmission only. */
export function dropNth(from: { name: string }, which: number[]): Hook {
  let k = 0;
  const seen = new Set<number>();
  return (_f, h, seg) => {
    if (h.name !== from.name || !seg || seg.payload.length === 0 || seen.has(seg.seq)) return;
    seen.add(seg.seq);
    if (which.includes(++k)) return "drop";
  };
}

/**
 * One Ethernet segment of the Sim (src/links/emulated.ts): the Sim's clock and event queue
 * carry every frame; the link's hook runs the harness's `hook` and then its seeded `impair`ments
 * (the harness's own Rng: draws per frame in send order), and a tap on the link keeps the `log`.
 * Every host frame goes to every other station present when it is sent, `delay` ms later
 * (same-time frames in send order); hosts are polled at their deadlines after the frames of
 * that instant, in the order they joined.
 */
export class Net {
  readonly sim = new Sim();
  readonly link: Link;
  hosts: Host[] = [];
  peers: RawPeer[] = [];
  hook: Hook | null = null;
  /** Seeded impairments applied to host frames after the hook: loss, duplication, reordering (extra delay). */
  impair: { loss?: number; dup?: number; reorder?: number; reorderMs?: number; rng: Rng } | null = null;
  log: Captured[] = [];
  logEnabled = true;

  constructor() {
    this.link = this.sim.link({ delayMs: 1, sendTimePorts: true, hook: (f, port) => this.verdict(f, this.link.ports[port].stack as Host) });
    this.link.tap((r) => this.capture(r));
  }

  /** Virtual time (ms); setting it jumps the clock forward (the next run polls what came due). */
  get now(): number { return this.sim.now(); }
  set now(t: number) { this.sim.clock.set(t); }
  /** One-way delay of the segment (ms). */
  get delay(): number { return this.link.opts.delayMs ?? 0; }
  set delay(ms: number) { this.link.set({ delayMs: ms }); }
  /** Frames in flight (for tests that want an idle link). */
  get queued(): number { return this.sim.events.size; }

  async host(opts: HostOptions): Promise<Host> {
    const h = new Host(this, `h${this.hosts.length}:${opts.ip}`, opts);
    this.hosts.push(h);
    await h.start();
    return h;
  }
  peer(ipStr: string, mac?: number): RawPeer {
    const p = new RawPeer(this, ipStr, mac);
    this.peers.push(p);
    this.link.attach(p);
    return p;
  }

  /** Take a host off the segment: it receives nothing more, and is no longer polled. */
  remove(h: Host): void {
    this.hosts.splice(this.hosts.indexOf(h), 1);
    this.link.detach(h);
    this.sim.removeStack(h.stack);
  }

  /** The link's hook: the test's hook, then the impairments (what they decide is the frame's fate). */
  private verdict(f: Uint8Array, from: Host): "drop" | { frame: Uint8Array; delays: number[] } {
    let frame = f;
    if (this.hook) {
      const r = this.hook(f, from, decodeTcp(f));
      if (r === "drop") return "drop";
      if (r instanceof Uint8Array) frame = r;
    }
    let copies = 1;
    let extra = 0;
    const im = this.impair;
    if (im) {
      if (im.loss && im.rng.float() < im.loss) return { frame, delays: [] };
      if (im.dup && im.rng.float() < im.dup) copies = 2;
      if (im.reorder && im.rng.float() < im.reorder) extra = im.reorderMs ?? 5;
    }
    return { frame, delays: copies === 2 ? [extra, extra + 1] : [extra] };
  }

  /** The capture: one record per frame a host sends (impairment losses count as sent; hook drops as dropped). */
  private capture(r: TapRecord): void {
    if (!this.logEnabled || r.duplicate) return;
    const dropped = r.reason === "filter";
    this.log.push({ t: r.time, from: r.fromName, seg: decodeTcp(r.frame), frame: r.frame, dropped });
  }

  /** Deliver `f` to one station after `delay` ms (past the hook, impairments and capture). */
  schedule(to: Host | RawPeer, f: Uint8Array, delay = this.delay): void { this.link.deliver(to, f, delay); }

  /** TCP segments seen on the wire (not dropped), optionally from one host. */
  segs(from?: Host): Seg[] {
    return this.log.filter((c) => !c.dropped && c.seg && (!from || c.from === from.name)).map((c) => c.seg!);
  }

  /** Run until `pred` holds (checked after each instant) or `maxMs` of virtual time pass. */
  runUntil(pred: () => boolean, maxMs = 60_000): boolean {
    const end = this.now + maxMs;
    this.sim.run(this.now); // first what is due now (after a jump of the clock)
    return this.sim.runUntil(pred, end);
  }

  run(ms: number): void { this.runUntil(() => false, ms); }
}

/** Two hosts, A (198.51.100.1) and B (198.51.100.2), with ARP already resolved (`build`: their module, default the testing build). */
export async function pair(cfg: HostOptions["cfg"] = {}, cfgB?: HostOptions["cfg"], build?: string): Promise<{ net: Net; a: Host; b: Host }> {
  const net = new Net();
  const a = await net.host({ ip: "198.51.100.1", cfg, build });
  const b = await net.host({ ip: "198.51.100.2", cfg: cfgB ?? cfg, build });
  // resolve ARP both ways first (a ping each way), so handshakes measure only the link
  (a.x.ping as (d: number, i: number, s: number, l: number) => number)(b.ip, 1, 1, 0);
  (b.x.ping as (d: number, i: number, s: number, l: number) => number)(a.ip, 1, 1, 0);
  net.run(10);
  net.log = [];
  return { net, a, b };
}

/** A listener on B:port and a connected client on A; returns handles once established. */
export async function connected(cfg: HostOptions["cfg"] = {}, port = 80, cfgB?: HostOptions["cfg"], build?: string) {
  const { net, a, b } = await pair(cfg, cfgB, build);
  const l = b.open();
  b.bind(l, port);
  b.listen(l, 8);
  const c = a.open();
  a.connect(c, "198.51.100.2", port);
  let s = -1;
  net.runUntil(() => { if (s < 0) { const r = b.accept(l); if (r > 0) s = r; } return s > 0 && a.state(c) === S.ESTABLISHED; }, 30_000);
  if (s < 0) throw new Error("no connection");
  return { net, a, b, l, c, s };
}

/** Move `data` from `from`/`fh` to `to`/`th`, reading everything; returns the bytes received. */
export function transfer(net: Net, from: Host, fh: number, to: Host, th: number, data: Uint8Array, maxMs = 600_000): Uint8Array {
  const chunks: Uint8Array[] = [];
  let got = 0, sent = 0;
  const pump = () => {
    while (sent < data.length) {
      const n = from.write(fh, data.subarray(sent, Math.min(data.length, sent + 65536)));
      if (n <= 0) break;
      sent += n;
    }
    for (;;) {
      const r = to.read(th);
      if (!(r instanceof Uint8Array)) break;
      chunks.push(r); got += r.length;
    }
    return got >= data.length;
  };
  net.runUntil(pump, maxMs);
  const out = new Uint8Array(got);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}
