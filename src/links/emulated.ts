// An in-memory Ethernet segment between stacks, with seeded impairments (loss, delay,
// jitter, reordering, duplication, rate limit with a bounded queue), all driven by a
// virtual clock and an event queue. Deterministic for a given seed: the same seed and
// the same calls give the same frames at the same times.
//
//   const sim = new Sim({ seed: 1 });
//   const link = sim.link({ delayMs: 1, loss: 0.01 });
//   const a = sim.addHost({ name: "a", ip: "198.51.100.1", mac: "02:00:00:00:00:01", link });
//   const b = sim.addHost({ name: "b", ip: "198.51.100.2", mac: "02:00:00:00:00:02", link });
//   a.ping("198.51.100.2", 1);
//   sim.runUntil(() => a.stat("icmp_echo_replies_rx") === 1, 1000);
//
// A link with more than two stacks is a hub (every frame reaches every other port) unless it
// is a learning switch (`sim.link({ learning: true })` or `sim.switch()`): it learns source MACs
// per port, forwards unicast to the learned port, floods broadcast, multicast and unknown
// unicast once to every other port of the same VLAN, and ages entries (agingMs).
// Impairments apply per sending port (each direction has its own queue and rate). A link's
// `hook` may drop, rewrite, delay or duplicate single frames (scripted faults); endpoints that
// are not Stacks (a test's recorder or crafted peer) sit on ports too, `link.deliver` injects a
// frame to one port, `link.detach` unplugs one, and taps capture every frame.
//
// The Sim keeps its stacks' deadlines in a heap: a virtual instant costs in proportion to the
// stacks with work at it, not to every stack. src/links/realtime.ts runs a Sim on the real clock.

import { Prng } from "../prng.js";
import { Stack, StackOptions, VirtualClock } from "../stack.js";

export interface LinkOptions {
  /** Probability (0..1) that a frame is lost. */
  loss?: number;
  /** One-way propagation delay in ms (may be fractional). */
  delayMs?: number;
  /** Extra uniform random delay in [0, jitterMs) ms. Order is kept (FIFO) unless reordered. */
  jitterMs?: number;
  /** Probability (0..1) that a frame is held back by reorderDelayMs, letting later frames pass. */
  reorder?: number;
  /** Extra delay of a reordered frame (default max(1, 2 * delayMs) ms). */
  reorderDelayMs?: number;
  /** Probability (0..1) that a frame is delivered twice. */
  duplicate?: number;
  /** Serialization rate in bits per second (0/undefined = infinitely fast). */
  rateBps?: number;
  /** With rateBps: bytes that may wait to be serialized; more are dropped (tail drop). Default unbounded. */
  queueBytes?: number;
  /** Seed for this link's impairments (default: drawn from the Sim's seed). */
  seed?: number;
  /** Programmable drop: return true to drop this frame (reason "filter"). */
  dropIf?: (frame: Uint8Array, from: number, time: number) => boolean;
  /**
   * Programmable per-frame filter / rewrite / impairment, after dropIf and before the built-in
   * impairments: return "drop" to lose the frame (reason "filter"), a Uint8Array to send that
   * frame instead, a FrameVerdict to also choose how many copies arrive and how late, or nothing
   * to pass the frame unchanged. `from` is the sending port.
   */
  hook?: (frame: Uint8Array, from: number, time: number) => FrameVerdict;
  /**
   * Deliver each frame to the ports attached when it was sent (a station plugged in while a frame
   * is in flight does not get it). Default false: to the ports attached when it arrives.
   */
  sendTimePorts?: boolean;
  /**
   * A learning switch instead of a hub: learn each frame's source MAC on its port (per VLAN),
   * forward unicast to the learned port only, flood broadcast/multicast/unknown unicast once to
   * every other port of the sender's VLAN. Default false (a hub).
   */
  learning?: boolean;
  /** With learning: a learned entry not refreshed for this long (ms) is forgotten (default 300000, IEEE 802.1D). */
  agingMs?: number;
  /**
   * A loopback-like link, as Linux's lo and veth between namespaces: every Stack attached gets a
   * 9000-byte MTU (jumbo frames) and checksum offload (Cfg.CsumOffload 3: TCP and UDP-over-IPv4
   * checksums neither computed on send nor verified on receive; Cfg.LinkTrusted 1: the link is
   * marked trusted, frames never leave the process). Stacks must be attached before init()
   * (Sim.addHost and createStack do). Set at creation only; frames on it carry TCP checksums of 0,
   * so a pcap of it shows them as bad. Default false: MTU as configured, every checksum computed
   * and verified.
   */
  loopbackLike?: boolean;
}

/** Where the switch sends a frame: a port index, FLOOD, or FILTER (the destination sits on the sender's own port). */
const FLOOD = -1, FILTER = -2;

interface FdbEntry { port: number; t: number }

export type DropReason = "loss" | "queue" | "filter" | "detached";

/**
 * What a link's hook decides for one frame: "drop", a replacement frame, or `{ frame, delays }`:
 * the frame to send (default the original) and one copy per entry of `delays`, each arriving that
 * many ms after the link's own arrival time ([] loses it, reason "loss"; [0, 1] duplicates it with
 * the copy 1 ms behind); undefined: pass the frame unchanged.
 */
export type FrameVerdict = "drop" | Uint8Array | { frame?: Uint8Array; delays: number[] } | undefined | void;

export interface TapRecord {
  /** Virtual time (ms) the frame was sent. */
  time: number;
  /** When it is (or would have been) delivered; undefined when dropped. */
  deliverAt?: number;
  link: Link;
  /** Index of the sending port on the link. */
  from: number;
  fromName: string;
  frame: Uint8Array;
  dropped: boolean;
  reason?: DropReason;
  /** This record is the extra copy made by duplication. */
  duplicate: boolean;
}

export type Tap = (rec: TapRecord) => void;

/** Anything that can sit on a link: a Stack, or a test's frame recorder / injector. */
export interface Endpoint {
  readonly name: string;
  /** A frame arrives from the link. */
  input(frame: Uint8Array): void;
  /** The link gives the endpoint the function it calls to transmit. */
  attach(fn: ((frame: Uint8Array) => void) | null): void;
}

// ---------------------------------------------------------------------------
// Event queue: a binary heap ordered by (time, insertion order).

interface SimEvent { t: number; seq: number; fn: () => void }

/** A binary min-heap of entries ordered by (t, seq): the event queue, and the Sim's deadline heap. */
class TimeHeap<T extends { t: number; seq: number }> {
  private h: T[] = [];

  get size(): number { return this.h.length; }
  peek(): T | undefined { return this.h[0]; }

  push(e: T): void {
    const h = this.h;
    let i = h.length;
    h.push(e);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(e, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = e;
  }

  pop(): T | undefined {
    const h = this.h;
    if (h.length === 0) return undefined;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      const n = h.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && less(h[r], h[l]) ? r : l;
        if (!less(h[c], last)) break;
        h[i] = h[c];
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

function less(a: { t: number; seq: number }, b: { t: number; seq: number }): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

export class EventQueue {
  private heap = new TimeHeap<SimEvent>();
  private seq = 0;

  get size(): number { return this.heap.size; }
  /** The sequence number the latest push() took (-1 before any). */
  get lastSeq(): number { return this.seq - 1; }
  peekTime(): number { const e = this.heap.peek(); return e === undefined ? Infinity : e.t; }

  push(t: number, fn: () => void): void { this.heap.push({ t, seq: this.seq++, fn }); }

  pop(): SimEvent | undefined { return this.heap.pop(); }
}

// ---------------------------------------------------------------------------
// Link

/** Frames a Link delivers in one queue event, in send order (pooled buffers, valid lengths). */
interface Batch {
  at: number; seq: number; n: number; bufs: Uint8Array[]; lens: number[]; froms: number[];
  /** The receiver's staging slot holding the frame (bufs[k] unused), or -1: the frame is in bufs[k]. */
  slots: number[];
  run: () => void;
}
const EMPTY = new Uint8Array(0);
/** The MTU of a loopbackLike link's stacks (jumbo frames, as veth/virtio commonly run). */
export const LOOPBACK_LIKE_MTU = 9000;
/** Frame deliveries (frames x ports) one batch may carry at most. */
const BATCH_WORK = 256;

interface PortState {
  stack: Endpoint;
  /** The endpoint is a Stack: frames reach it by Stack.input(buf, len) from pooled buffers. */
  raw: Stack | null;
  /** The view sendRaw read the last frame through (reused while the core sends from the same place). */
  txView: Uint8Array | null;
  busyUntil: number;    // end of serialization of the last accepted frame
  lastArrival: number;  // FIFO floor for jitter
  /** Port-based VLAN (learning switch only; default 1). */
  vlan: number;
  /** Unplugged (Link.detach): receives nothing; what it sends is dropped (reason "detached"). */
  detached: boolean;
}

export class Link {
  readonly opts: LinkOptions;
  readonly ports: PortState[] = [];
  private taps: Tap[] = [];
  private rng: Prng;
  /** Frame buffers free for sendRaw, by length (a frame is delivered as a whole buffer, never a subarray). */
  private pool = new Map<number, Uint8Array[]>();
  /** Delivery batches free for reuse, and the batch still open to more frames (the latest event queued). */
  private batchPool: Batch[] = [];
  private open: Batch | null = null;
  /** Frames sent / dropped / duplicated on this link. */
  sent = 0;
  dropped = 0;
  duplicated = 0;
  /** Frames copied once, straight into the receiver's staging region (the rest went through pooled copies). */
  staged = 0;
  /** Learning switch: frames forwarded to one port, frames flooded, frames filtered (destination on the sending port). */
  forwarded = 0;
  flooded = 0;
  filtered = 0;
  /** Ports whose endpoint is not a Stack (frames to them are copies). */
  private endpoints = 0;
  /** Learning switch: the forwarding database, per VLAN: MAC (48-bit number) -> port and time last seen. */
  private fdb = new Map<number, Map<number, FdbEntry>>();

  constructor(private sim: Sim, opts: LinkOptions, seed: number) {
    this.opts = { ...opts };
    this.rng = new Prng(opts.seed ?? seed);
  }

  /** Change impairments on the fly (e.g. start losing frames mid-test). */
  set(opts: Partial<LinkOptions>): void { Object.assign(this.opts, opts); }

  /** Attach a stack to this link: its transmitted frames go to every other port. */
  attach(stack: Endpoint, opts: { vlan?: number } = {}): number {
    const idx = this.ports.length;
    const raw = stack instanceof Stack ? stack : null;
    if (raw && this.opts.loopbackLike) {
      if (raw.isInitialized) throw new Error("a loopback-like link configures its stacks (MTU, checksum offload): attach before init()");
      raw.configure("Mtu", LOOPBACK_LIKE_MTU);
      raw.configure("CsumOffload", 3);
      raw.configure("LinkTrusted", 1);
    }
    this.ports.push({ stack, raw, txView: null, busyUntil: 0, lastArrival: 0, vlan: opts.vlan ?? 1, detached: false });
    if (raw === null) this.endpoints++;
    if (raw) raw.attachRaw((ptr, len) => this.sendRaw(idx, raw, ptr, len));
    else stack.attach((frame) => this.send(idx, frame));
    return idx;
  }

  /**
   * A Stack transmitted `len` bytes at `ptr` in its memory. Without observers or impairments
   * that keep or duplicate frames (taps, dropIf, duplicate) and with only Stacks on the link,
   * the bytes are copied into a pooled buffer and delivered in a batch (one queue event per
   * run of frames with nothing else queued between them): no allocation per frame. Otherwise
   * a fresh copy takes the general path.
   */
  private sendRaw(from: number, stack: Stack, ptr: number, len: number): void {
    const o = this.opts;
    if (this.taps.length > 0 || this.sim.tapCount > 0 || o.dropIf || o.hook || o.duplicate || o.sendTimePorts || !this.allStacks() || this.ports[from].detached) {
      this.send(from, new Uint8Array(stack.memory.buffer, ptr, len).slice());
      return;
    }
    const now = this.sim.clock.now();
    const port = this.ports[from];
    this.sent++;
    if (o.loss && this.rng.next() < o.loss) { this.dropped++; return; }
    const at = this.arrival(port, now, len);
    if (at < 0) { this.dropped++; return; }
    // the core transmits most frames from the same place: reuse the view of the last one (a view
    // of a buffer that memory growth detached has length 0)
    let v = port.txView;
    if (v === null || v.length !== len || v.byteOffset !== ptr) v = port.txView = new Uint8Array(stack.memory.buffer, ptr, len);
    // a point-to-point link: the frame's one copy goes straight into the receiver's staging
    // region (delivered from there by inputStaged); without room, into a pooled buffer
    let buf: Uint8Array = EMPTY, slot = -1;
    if (this.ports.length === 2 && !o.learning) slot = (this.ports[1 - from].raw as Stack).stageFrame(v);
    if (slot >= 0) this.staged++;
    else {
      let free = this.pool.get(len);
      if (free === undefined) { free = []; this.pool.set(len, free); }
      buf = free.pop() ?? new Uint8Array(len);
      buf.set(v);
    }
    let b = this.open;
    // a batch is one queue event: bounded (frames x ports) so a real-time slice can stop between them
    if (b === null || b.at !== at || this.sim.events.lastSeq !== b.seq || b.n * this.ports.length >= BATCH_WORK) {
      b = this.batchPool.pop() ?? this.newBatch();
      b.at = at;
      b.n = 0;
      this.sim.events.push(at, b.run);
      b.seq = this.sim.events.lastSeq;
      this.open = b;
    }
    const k = b.n++;
    b.bufs[k] = buf;
    b.lens[k] = len;
    b.froms[k] = from;
    b.slots[k] = slot;
  }

  private newBatch(): Batch {
    const b: Batch = { at: 0, seq: 0, n: 0, bufs: [], lens: [], froms: [], slots: [], run: () => this.deliverBatch(b) };
    return b;
  }

  private allStacks(): boolean { return this.endpoints === 0; }

  private portOf(port: number | Endpoint, what: string): number {
    const i = typeof port === "number" ? port : this.ports.findIndex((p) => p.stack === port || p.raw === port);
    if (i < 0 || i >= this.ports.length) throw new Error(`${what}: no such port`);
    return i;
  }

  /**
   * Unplug a port: from now on it receives nothing (frames in flight to it included) and what it
   * sends is dropped (reason "detached"). Port numbers of the others do not change.
   */
  detach(port: number | Endpoint): void { this.ports[this.portOf(port, "detach")].detached = true; }

  /**
   * Deliver `frame` to one port after `delayMs` (default the link's delay), past the hook, the
   * impairments and the taps: a scripted injection, e.g. a test's crafted frame or reply.
   */
  deliver(to: number | Endpoint, frame: Uint8Array, delayMs = this.opts.delayMs ?? 0): void {
    const p = this.ports[this.portOf(to, "deliver")];
    const sim = this.sim;
    sim.events.push(sim.clock.now() + delayMs, () => {
      if (p.detached) return;
      if (p.raw) p.raw.input(frame);
      else p.stack.input(frame);
    });
    if (sim.driver !== null && !sim.running) sim.driver.kick();
  }

  /** Move a port to another VLAN (learning switch): it then only exchanges frames with ports of that VLAN. */
  setVlan(port: number | Endpoint, vlan: number): void {
    const i = this.portOf(port, "setVlan");
    this.ports[i].vlan = vlan;
    for (const t of this.fdb.values()) for (const [mac, e] of t) if (e.port === i) t.delete(mac);
  }

  /** Learning switch: the port learned for `mac` ("02:00:..") in `vlan`, or undefined (unknown or aged out). */
  learned(mac: string, vlan = 1): number | undefined {
    const hex = mac.split(":").map((x) => parseInt(x, 16));
    const key = ((hex[0] << 8) | hex[1]) * 0x100000000 + (((hex[2] << 24) | (hex[3] << 16) | (hex[4] << 8) | hex[5]) >>> 0);
    const e = this.fdb.get(vlan)?.get(key);
    return e && this.sim.now() - e.t <= (this.opts.agingMs ?? 300000) ? e.port : undefined;
  }

  /** Learning switch: learn the frame's source on port `from`, and say where the frame goes. */
  private forward(buf: Uint8Array, len: number, from: number): number {
    if (len < 14) return FLOOD;
    const vlan = this.ports[from].vlan;
    let t = this.fdb.get(vlan);
    if (t === undefined) { t = new Map(); this.fdb.set(vlan, t); }
    const now = this.sim.now();
    const src = ((buf[6] << 8) | buf[7]) * 0x100000000 + (((buf[8] << 24) | (buf[9] << 16) | (buf[10] << 8) | buf[11]) >>> 0);
    if ((buf[6] & 1) === 0) { // a group address is never a source
      const e = t.get(src);
      if (e === undefined) t.set(src, { port: from, t: now });
      else { e.port = from; e.t = now; }
    }
    if (buf[0] & 1) return FLOOD; // broadcast, multicast
    const dst = ((buf[0] << 8) | buf[1]) * 0x100000000 + (((buf[2] << 24) | (buf[3] << 16) | (buf[4] << 8) | buf[5]) >>> 0);
    const e = t.get(dst);
    if (e === undefined) return FLOOD;
    if (now - e.t > (this.opts.agingMs ?? 300000)) { t.delete(dst); return FLOOD; }
    return e.port === from ? FILTER : e.port;
  }

  /** Hand a frame to every port it goes to (all others on a hub; the switch's choice otherwise). */
  private fanOut(buf: Uint8Array, len: number, from: number, fresh: boolean, nports = this.ports.length): void {
    const ports = this.ports;
    let to = FLOOD;
    if (this.opts.learning) {
      to = this.forward(buf, len, from);
      if (to === FILTER) { this.filtered++; return; }
      if (to >= 0) {
        this.forwarded++;
        const p = ports[to];
        if (to >= nports || p.detached) return;
        if (p.raw) p.raw.input(buf, len);
        else p.stack.input(fresh ? buf : buf.slice(0, len));
        return;
      }
      this.flooded++;
    }
    const vlan = ports[from].vlan, learning = !!this.opts.learning;
    for (let i = 0; i < nports; i++) {
      if (i === from) continue;
      const p = ports[i];
      if (p.detached || (learning && p.vlan !== vlan)) continue;
      if (p.raw) p.raw.input(buf, len);
      else p.stack.input(fresh ? buf : buf.slice(0, len));
    }
  }

  private deliverBatch(b: Batch): void {
    if (this.open === b) this.open = null; // frames sent from here on queue behind
    for (let k = 0; k < b.n; k++) {
      const len = b.lens[k], from = b.froms[k], slot = b.slots[k];
      let buf = b.bufs[k];
      b.bufs[k] = EMPTY;
      if (slot >= 0) {
        const to = this.ports[1 - from], st = to.raw as Stack;
        if (this.ports.length === 2 && !this.opts.learning) {
          // still point to point: the receiver reads the frame where it lies
          if (to.detached) st.releaseStaged(slot);
          else st.inputStaged(slot);
          continue;
        }
        // a port was attached (or the hub became a switch) while the frame was in flight: the
        // general path, from a pooled copy
        let free = this.pool.get(len);
        if (free === undefined) { free = []; this.pool.set(len, free); }
        buf = free.pop() ?? new Uint8Array(len);
        buf.set(st.stagedView(slot));
        st.releaseStaged(slot);
      }
      this.fanOut(buf, len, from, false);
      this.pool.get(len)!.push(buf);
    }
    b.n = 0;
    this.batchPool.push(b);
  }

  /** Delivery time of a `len`-byte frame sent now from `port` (rate, delay, jitter, reordering), or -1: tail drop. */
  private arrival(port: PortState, now: number, len: number): number {
    const o = this.opts;
    let departs = now;
    if (o.rateBps && o.rateBps > 0) {
      const start = Math.max(now, port.busyUntil);
      if (o.queueBytes !== undefined && ((start - now) * o.rateBps) / 8000 > o.queueBytes) return -1;
      departs = start + (len * 8000) / o.rateBps;
      port.busyUntil = departs;
    }
    let at = departs + (o.delayMs ?? 0);
    if (o.jitterMs) at += this.rng.next() * o.jitterMs;
    const reordered = !!o.reorder && this.rng.next() < o.reorder;
    if (reordered) at += o.reorderDelayMs ?? Math.max(1, 2 * (o.delayMs ?? 0));
    else {
      at = Math.max(at, port.lastArrival); // jitter alone never reorders
      port.lastArrival = at;
    }
    return at;
  }

  /** Observe every frame (sent, dropped, duplicated); returns an unsubscribe function. */
  tap(fn: Tap): () => void {
    this.taps.push(fn);
    return () => { this.taps = this.taps.filter((t) => t !== fn); };
  }

  private emit(rec: TapRecord): void {
    for (const t of this.taps) t(rec);
    this.sim.emitTap(rec);
  }

  private send(from: number, frame: Uint8Array): void {
    const o = this.opts;
    const now = this.sim.clock.now();
    const port = this.ports[from];
    this.sent++;
    const rec: TapRecord = { time: now, link: this, from, fromName: port.stack.name, frame, dropped: false, duplicate: false };
    if (port.detached) return this.drop(rec, "detached");
    if (o.dropIf && o.dropIf(frame, from, now)) return this.drop(rec, "filter");
    let delays: number[] | null = null;
    if (o.hook) {
      const v = o.hook(frame, from, now);
      if (v === "drop") return this.drop(rec, "filter");
      if (v instanceof Uint8Array) rec.frame = frame = v;
      else if (v) {
        if (v.frame) rec.frame = frame = v.frame;
        if (v.delays.length === 0) return this.drop(rec, "loss");
        delays = v.delays;
      }
    }
    if (o.loss && this.rng.next() < o.loss) return this.drop(rec, "loss");
    const at = this.arrival(port, now, frame.length);
    if (at < 0) return this.drop(rec, "queue");
    const nports = o.sendTimePorts ? this.ports.length : -1;
    rec.deliverAt = at + (delays ? delays[0] : 0);
    this.emit(rec);
    this.deliverAt(rec.deliverAt, from, frame, nports);
    if (delays) {
      for (let k = 1; k < delays.length; k++) {
        this.duplicated++;
        this.emit({ ...rec, deliverAt: at + delays[k], duplicate: true });
        this.deliverAt(at + delays[k], from, frame, nports);
      }
    }
    if (o.duplicate && this.rng.next() < o.duplicate) {
      this.duplicated++;
      this.emit({ ...rec, duplicate: true });
      this.deliverAt(rec.deliverAt, from, frame, nports);
    }
  }

  private drop(rec: TapRecord, reason: DropReason): void {
    this.dropped++;
    rec.dropped = true;
    rec.reason = reason;
    this.emit(rec);
  }

  /** Queue the delivery of `frame` at `at` to the ports it goes to (the first `nports` only when >= 0). */
  private deliverAt(at: number, from: number, frame: Uint8Array, nports: number): void {
    const sim = this.sim;
    sim.events.push(at, nports < 0 ? () => this.fanOut(frame, frame.length, from, true) : () => this.fanOut(frame, frame.length, from, true, nports));
    if (sim.driver !== null && !sim.running) sim.driver.kick(); // an endpoint sent from outside a run (a bridge)
  }
}

// ---------------------------------------------------------------------------
// Sim

export interface SimOptions {
  seed?: number;
  /** Start time of the virtual clock (ms). */
  start?: number;
}

export interface HostOptions extends StackOptions {
  name: string;
  /** Attach to this link before init, so the gratuitous ARP is seen. */
  link?: Link;
  /** The port's VLAN on a learning switch (default 1). */
  vlan?: number;
}

/** Polls a stack may ask for at one instant before the Sim calls it a livelock. */
const MAX_POLLS_PER_INSTANT = 10000;

/**
 * @internal What drives a Sim on the real clock (src/links/realtime.ts): told when a stack
 * wants a poll, when liveness changes, and asked for the time the virtual clock may reach now.
 */
export interface SimDriver {
  /** A stack was woken outside a run (an API call from a timer or an I/O callback). */
  kick(): void;
  /** The set of ref'd holders changed between empty and not. */
  refChanged(): void;
  /** The virtual time that corresponds to the real clock now. */
  target(): number;
  /** Wait in real time until pred() holds (net.until on a real-time Sim). */
  until(pred: () => boolean, ms: number): Promise<boolean>;
}

/**
 * The Sim's clock. With a real-time driver and outside a run, reading it first brings it up
 * to the real clock (never past the next queued event or deadline), so API calls made from
 * timers and I/O callbacks are stamped with the present, not with the last instant run.
 */
class SimClock extends VirtualClock {
  sim: Sim | null = null;
  override now(): number {
    const sim = this.sim;
    if (sim !== null && sim.driver !== null && !sim.running) sim.catchUp();
    return super.now();
  }
  /** The time without catching up. */
  raw(): number { return super.now(); }
}

/** Deadline heap entries: (time, stack), ordered by time then insertion. */
interface Due { t: number; seq: number; s: Stack }

export class Sim {
  readonly clock: VirtualClock;
  readonly events = new EventQueue();
  readonly stacks: Stack[] = [];
  readonly links: Link[] = [];
  /** Core events seen from every stack (the real-time driver yields to JavaScript after an instant with any). */
  activity = 0;
  /** @internal The real-time driver, when one runs this Sim (src/links/realtime.ts). */
  driver: SimDriver | null = null;
  /** @internal A run is in progress (the clock moves only by it). */
  running = false;
  private rng: Prng;
  private seed: number;
  private taps: Tap[] = [];
  private dirty = new Set<Stack>();
  private pollsAt = new Map<Stack, { t: number; n: number }>();
  /** Stacks by the order they joined (due stacks are polled in this order, as when every stack was scanned). */
  private order = new Map<Stack, number>();
  /** The deadline each stack has in the heap (a heap entry with another time is stale). */
  private queued = new Map<Stack, number>();
  private dueHeap = new TimeHeap<Due>();
  private dueSeq = 0;
  /** Stacks that have joined (their order numbers). */
  private joined = 0;
  /** Liveness: objects (listening servers, open sockets) that keep a real-time Sim's process alive. */
  private holders = new Set<object>();

  constructor(opts: SimOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.rng = new Prng(this.seed);
    const clock = new SimClock(opts.start ?? 0);
    clock.sim = this;
    this.clock = clock;
  }

  now(): number { return this.clock.now(); }

  /** A new link (segment). */
  link(opts: LinkOptions = {}): Link {
    const l = new Link(this, opts, this.rng.nextU32());
    this.links.push(l);
    return l;
  }

  /** A new learning switch: a link with `learning: true` (see LinkOptions). */
  switch(opts: LinkOptions = {}): Link { return this.link({ ...opts, learning: true }); }

  /** Create a stack on the Sim's clock with a seed derived from the Sim's. */
  addHost(opts: HostOptions): Stack {
    const s = new Stack({ seed: this.rng.nextU32(), ...opts, clock: this.clock, init: false });
    this.addStack(s);
    if (opts.link) opts.link.attach(s, { vlan: opts.vlan });
    if (opts.init !== false) s.init();
    return s;
  }

  /** Drive an existing stack (it must use this Sim's clock). */
  addStack(s: Stack): void {
    if (s.clock !== this.clock) throw new Error("stack must use the Sim's clock");
    this.order.set(s, this.joined++);
    this.stacks.push(s);
    s.waker = (st) => {
      this.dirty.add(st);
      if (this.driver !== null && !this.running) this.driver.kick();
    };
    s.onEvents(() => { this.activity++; });
    // every poll (ours, or a host's own to refresh the core's clock) files the new deadline
    const poll = s.poll;
    s.poll = () => { const r = poll.call(s); this.fileDeadline(s); return r; };
    this.dirty.add(s);
    if (this.driver !== null && !this.running) this.driver.kick();
  }

  /**
   * Stop driving a stack (it keeps its ports: detach them from their links to unplug it too):
   * no more polls at its deadlines or when woken.
   */
  removeStack(s: Stack): void {
    const i = this.stacks.indexOf(s);
    if (i < 0) return;
    this.stacks.splice(i, 1);
    this.order.delete(s);
    this.queued.delete(s);
    this.dirty.delete(s);
    this.pollsAt.delete(s);
    s.waker = null;
    delete (s as { poll?: unknown }).poll; // the prototype's poll again
  }

  /** Connect two stacks with a new link. */
  connect(a: Stack, b: Stack, opts: LinkOptions = {}): Link {
    const l = this.link(opts);
    l.attach(a);
    l.attach(b);
    return l;
  }

  /** Observe every frame on every link. */
  tap(fn: Tap): () => void {
    this.taps.push(fn);
    return () => { this.taps = this.taps.filter((t) => t !== fn); };
  }

  /** @internal */
  emitTap(rec: TapRecord): void { for (const t of this.taps) t(rec); }
  /** @internal Observers of every link (a link with any keeps fresh copies of its frames). */
  get tapCount(): number { return this.taps.length; }

  /** Run fn at absolute virtual time t (ms). */
  at(t: number, fn: () => void): void {
    this.events.push(Math.max(t, this.clock.now()), fn);
    if (this.driver !== null && !this.running) this.driver.kick();
  }

  /** Run fn after ms of virtual time. */
  after(ms: number, fn: () => void): void { this.at(this.clock.now() + ms, fn); }

  /**
   * Liveness (libuv-like, for a real-time Sim): `who` (a listening server, an open socket)
   * does or does not keep the process alive. While no holder is left, the real-time driver's
   * timer is unref'd and the process may exit.
   */
  hold(who: object, on: boolean): void {
    const before = this.holders.size;
    if (on) this.holders.add(who);
    else this.holders.delete(who);
    if ((before === 0) !== (this.holders.size === 0)) this.driver?.refChanged();
  }

  /** Holders keeping a real-time Sim's process alive. */
  get refs(): number { return this.holders.size; }

  /** Run until virtual time `until` (ms); the clock ends at `until`. */
  run(until: number): void {
    this.runUntil(() => false, until);
  }

  /** Run for `ms` more virtual milliseconds. */
  runFor(ms: number): void { this.run(this.clock.now() + ms); }

  /** The time of the next queued event or stack deadline (Infinity: nothing). */
  nextTime(): number {
    const t = this.events.peekTime();
    const d = this.peekDue();
    return d < t ? d : t;
  }

  /**
   * Run until pred() is true (checked after every instant) or virtual time `until`.
   * Returns whether pred became true. The clock stays where pred became true.
   */
  runUntil(pred: () => boolean, until = Infinity): boolean {
    const was = this.running;
    this.running = true;
    try {
      for (;;) {
        this.servicePolls();
        if (pred()) return true;
        const t = this.nextTime();
        if (t === Infinity || t > until) {
          if (until !== Infinity && until > this.clock.now()) this.clock.set(until);
          this.servicePolls();
          return pred();
        }
        if (t > this.clock.now()) this.clock.set(t);
        const now = this.clock.now();
        while (this.events.peekTime() <= now) this.events.pop()!.fn();
        this.takeDue(now);
      }
    } finally {
      this.running = was;
    }
  }

  /**
   * @internal One bounded slice of real-time running: run instants up to virtual time `until`,
   * stopping after an instant with core events (JavaScript reacts before the next), or once
   * performance.now() reaches `wallEnd` (checked every few polls/events, even inside an instant:
   * what is left of it runs in the next slice). Returns "idle" (nothing left before `until`;
   * the clock is at `until`), "activity" or "budget".
   */
  slice(until: number, wallEnd: number): "idle" | "activity" | "budget" {
    const was = this.running;
    this.running = true;
    const mark = this.activity;
    let n = 0;
    try {
      for (;;) {
        for (const s of this.dirty) {
          this.dirty.delete(s);
          s.poll();
          if (s.nextDeadline <= this.clock.now()) this.noteImmediate(s);
          if (performance.now() >= wallEnd) return "budget";
        }
        if (this.activity !== mark) return "activity";
        const t = this.nextTime();
        if (t > until) {
          if (until !== Infinity && until > this.clock.now()) this.clock.set(until);
          return "idle";
        }
        if (t > this.clock.now()) this.clock.set(t);
        const now = this.clock.now();
        while (this.events.peekTime() <= now) {
          this.events.pop()!.fn();
          if (performance.now() >= wallEnd) return "budget";
        }
        this.takeDue(now);
        if (performance.now() >= wallEnd) return "budget";
      }
    } finally {
      this.running = was;
    }
  }

  /** @internal (SimClock) Bring an idle real-time Sim's clock up to the real clock, not past its next event. */
  catchUp(): void {
    const target = this.driver!.target();
    const next = this.nextTime();
    const t = next < target ? next : target;
    if (t > (this.clock as SimClock).raw()) this.clock.set(t);
  }

  /** Poll every stack that was woken or whose deadline has come, until none is left. */
  private servicePolls(): void {
    while (this.dirty.size > 0) {
      const batch = [...this.dirty];
      this.dirty.clear();
      for (const s of batch) {
        s.poll();
        if (s.nextDeadline <= this.clock.now()) this.noteImmediate(s);
      }
    }
  }

  private noteImmediate(s: Stack): void {
    const now = this.clock.now();
    const rec = this.pollsAt.get(s);
    if (rec && rec.t === now) {
      if (++rec.n > MAX_POLLS_PER_INSTANT) throw new Error(`${s.name}: poll keeps returning 0 at t=${now} (livelock)`);
    } else this.pollsAt.set(s, { t: now, n: 1 });
    this.dirty.add(s);
  }

  // --- the deadline heap -------------------------------------------------

  /** File s's deadline after a poll (once per distinct deadline; older entries become stale). */
  private fileDeadline(s: Stack): void {
    const t = s.nextDeadline;
    if (this.queued.get(s) === t) return;
    if (t === Infinity) { this.queued.delete(s); return; }
    this.queued.set(s, t);
    this.dueHeap.push({ t, seq: this.dueSeq++, s });
  }

  /** The earliest live deadline (stale entries are dropped on the way). */
  private peekDue(): number {
    for (;;) {
      const e = this.dueHeap.peek();
      if (e === undefined) return Infinity;
      if (this.queued.get(e.s) === e.t && e.s.nextDeadline === e.t) return e.t;
      this.dueHeap.pop();
    }
  }

  /** Mark every stack whose deadline has come dirty, in the order the stacks joined. */
  private takeDue(now: number): void {
    let due: Stack[] | null = null;
    for (;;) {
      const t = this.peekDue();
      if (t > now) break;
      const e = this.dueHeap.pop()!;
      this.queued.delete(e.s);
      (due ??= []).push(e.s);
    }
    if (due === null) return;
    if (due.length > 1) due.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    for (const s of due) this.dirty.add(s);
  }
}
