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
// A link with more than two stacks is a hub: every frame reaches every other port.
// Impairments apply per sending port (each direction has its own queue and rate).

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
}

export type DropReason = "loss" | "queue" | "filter";

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

export class EventQueue {
  private heap: SimEvent[] = [];
  private seq = 0;

  get size(): number { return this.heap.length; }
  /** The sequence number the latest push() took (-1 before any). */
  get lastSeq(): number { return this.seq - 1; }
  peekTime(): number { return this.heap.length ? this.heap[0].t : Infinity; }

  push(t: number, fn: () => void): void {
    const h = this.heap;
    const ev = { t, seq: this.seq++, fn };
    let i = h.length;
    h.push(ev);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(ev, h[p])) break;
      h[i] = h[p];
      i = p;
    }
    h[i] = ev;
  }

  pop(): SimEvent | undefined {
    const h = this.heap;
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

function less(a: SimEvent, b: SimEvent): boolean {
  return a.t < b.t || (a.t === b.t && a.seq < b.seq);
}

// ---------------------------------------------------------------------------
// Link

/** Frames a Link delivers in one queue event, in send order (pooled buffers, valid lengths). */
interface Batch { at: number; seq: number; n: number; bufs: Uint8Array[]; lens: number[]; froms: number[]; run: () => void }
const EMPTY = new Uint8Array(0);

interface PortState {
  stack: Endpoint;
  /** The endpoint is a Stack: frames reach it by Stack.input(buf, len) from pooled buffers. */
  raw: Stack | null;
  /** The view sendRaw read the last frame through (reused while the core sends from the same place). */
  txView: Uint8Array | null;
  busyUntil: number;    // end of serialization of the last accepted frame
  lastArrival: number;  // FIFO floor for jitter
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

  constructor(private sim: Sim, opts: LinkOptions, seed: number) {
    this.opts = { ...opts };
    this.rng = new Prng(opts.seed ?? seed);
  }

  /** Change impairments on the fly (e.g. start losing frames mid-test). */
  set(opts: Partial<LinkOptions>): void { Object.assign(this.opts, opts); }

  /** Attach a stack to this link: its transmitted frames go to every other port. */
  attach(stack: Endpoint): number {
    const idx = this.ports.length;
    const raw = stack instanceof Stack ? stack : null;
    this.ports.push({ stack, raw, txView: null, busyUntil: 0, lastArrival: 0 });
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
    if (this.taps.length > 0 || this.sim.tapCount > 0 || o.dropIf || o.duplicate || !this.allStacks()) {
      this.send(from, new Uint8Array(stack.memory.buffer, ptr, len).slice());
      return;
    }
    const now = this.sim.clock.now();
    const port = this.ports[from];
    this.sent++;
    if (o.loss && this.rng.next() < o.loss) { this.dropped++; return; }
    const at = this.arrival(port, now, len);
    if (at < 0) { this.dropped++; return; }
    let free = this.pool.get(len);
    if (free === undefined) { free = []; this.pool.set(len, free); }
    const buf = free.pop() ?? new Uint8Array(len);
    // the core transmits most frames from the same place: reuse the view of the last one
    const mem = stack.memory.buffer;
    let v = port.txView;
    if (v === null || v.buffer !== mem || v.byteOffset !== ptr || v.length !== len) v = port.txView = new Uint8Array(mem, ptr, len);
    buf.set(v);
    let b = this.open;
    if (b === null || b.at !== at || this.sim.events.lastSeq !== b.seq) {
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
  }

  private newBatch(): Batch {
    const b: Batch = { at: 0, seq: 0, n: 0, bufs: [], lens: [], froms: [], run: () => this.deliverBatch(b) };
    return b;
  }

  private allStacks(): boolean {
    for (const p of this.ports) if (p.raw === null) return false;
    return true;
  }

  private deliverBatch(b: Batch): void {
    if (this.open === b) this.open = null; // frames sent from here on queue behind
    const ports = this.ports;
    for (let k = 0; k < b.n; k++) {
      const buf = b.bufs[k], len = b.lens[k], from = b.froms[k];
      b.bufs[k] = EMPTY;
      for (let i = 0; i < ports.length; i++) {
        if (i === from) continue;
        const p = ports[i];
        if (p.raw) p.raw.input(buf, len);
        else p.stack.input(buf.slice(0, len));
      }
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
    if (o.dropIf && o.dropIf(frame, from, now)) return this.drop(rec, "filter");
    if (o.loss && this.rng.next() < o.loss) return this.drop(rec, "loss");
    const at = this.arrival(port, now, frame.length);
    if (at < 0) return this.drop(rec, "queue");
    rec.deliverAt = at;
    this.emit(rec);
    this.deliverAt(at, from, frame);
    if (o.duplicate && this.rng.next() < o.duplicate) {
      this.duplicated++;
      this.emit({ ...rec, duplicate: true });
      this.deliverAt(at, from, frame);
    }
  }

  private drop(rec: TapRecord, reason: DropReason): void {
    this.dropped++;
    rec.dropped = true;
    rec.reason = reason;
    this.emit(rec);
  }

  private deliverAt(at: number, from: number, frame: Uint8Array): void {
    const ports = this.ports;
    this.sim.events.push(at, () => {
      for (let i = 0; i < ports.length; i++) if (i !== from) ports[i].stack.input(frame);
    });
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
}

/** Polls a stack may ask for at one instant before the Sim calls it a livelock. */
const MAX_POLLS_PER_INSTANT = 10000;

export class Sim {
  readonly clock: VirtualClock;
  readonly events = new EventQueue();
  readonly stacks: Stack[] = [];
  readonly links: Link[] = [];
  private rng: Prng;
  private seed: number;
  private taps: Tap[] = [];
  private dirty = new Set<Stack>();
  private pollsAt = new Map<Stack, { t: number; n: number }>();

  constructor(opts: SimOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.rng = new Prng(this.seed);
    this.clock = new VirtualClock(opts.start ?? 0);
  }

  now(): number { return this.clock.now(); }

  /** A new link (segment). */
  link(opts: LinkOptions = {}): Link {
    const l = new Link(this, opts, this.rng.nextU32());
    this.links.push(l);
    return l;
  }

  /** Create a stack on the Sim's clock with a seed derived from the Sim's. */
  addHost(opts: HostOptions): Stack {
    const s = new Stack({ seed: this.rng.nextU32(), ...opts, clock: this.clock, init: false });
    this.addStack(s);
    if (opts.link) opts.link.attach(s);
    if (opts.init !== false) s.init();
    return s;
  }

  /** Drive an existing stack (it must use this Sim's clock). */
  addStack(s: Stack): void {
    if (s.clock !== this.clock) throw new Error("stack must use the Sim's clock");
    this.stacks.push(s);
    s.waker = (st) => this.dirty.add(st);
    this.dirty.add(s);
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
  at(t: number, fn: () => void): void { this.events.push(Math.max(t, this.clock.now()), fn); }

  /** Run fn after ms of virtual time. */
  after(ms: number, fn: () => void): void { this.at(this.clock.now() + ms, fn); }

  /** Run until virtual time `until` (ms); the clock ends at `until`. */
  run(until: number): void {
    this.runUntil(() => false, until);
  }

  /** Run for `ms` more virtual milliseconds. */
  runFor(ms: number): void { this.run(this.clock.now() + ms); }

  /**
   * Run until pred() is true (checked after every instant) or virtual time `until`.
   * Returns whether pred became true. The clock stays where pred became true.
   */
  runUntil(pred: () => boolean, until = Infinity): boolean {
    for (;;) {
      this.servicePolls();
      if (pred()) return true;
      let t = this.events.peekTime();
      for (const s of this.stacks) if (s.nextDeadline < t) t = s.nextDeadline;
      if (t === Infinity || t > until) {
        if (until !== Infinity && until > this.clock.now()) this.clock.set(until);
        this.servicePolls();
        return pred();
      }
      if (t > this.clock.now()) this.clock.set(t);
      const now = this.clock.now();
      while (this.events.peekTime() <= now) this.events.pop()!.fn();
      for (const s of this.stacks) if (s.nextDeadline <= now) this.dirty.add(s);
    }
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
}
