// A Linux TAP device as a link for a Stack, on the real clock.
//
//   const link = TapLink.open("wt0");          // or a template such as "wt%d"
//   link.attach(stack);                         // stack answers frames from the kernel
//   ...
//   link.close();
//
// The native addon (native/tap.c) reads frames in batches: each event-loop wakeup
// drains up to `batch` frames (default 256) into one preallocated buffer and makes one JS call;
// TapLink then feeds them to stack.input() one by one. Frames the stack transmits are
// copied straight from linear memory into a staging buffer and written with one
// writeBatch() call per microtask checkpoint (i.e. once per event-loop callback).
//
// Offload (default on): the device uses virtio-net headers with checksum and TSO
// offloads, so the kernel hands us 64 KiB TCP super-frames (the addon splits them into
// ordinary segments before the stack or any observer sees them) and writeBatch merges
// runs of our full-sized segments into super-frames (one syscall instead of ~44); it
// also drops pure ACKs that a later ACK of the same batch supersedes (see native/tap.c).
// Each read batch is also one of the core's ACK batches (ackBatch, docs/abi.md): the ACKs its
// frames draw wait until the events they raise have let the application read, and then offer
// the window those reads freed (the ACKs themselves are the same: one per two segments).
// A syscall plus the kernel's per-packet work costs several us here, so this is what
// moves throughput from ~1 to several Gbit/s. `offload: false` keeps one frame per syscall.
//
// Impairments (loss, delay, jitter, reorder, duplicate, rate, dropIf) reuse the
// emulated link's code: a Sim + Link from ./emulated.ts with two ports (the TAP and the
// stack) whose virtual clock is pushed forward to the real clock, and whose event queue
// is run by a timer. Without impairments frames take a direct path (no copies, no timers).
//
// Liveness is libuv's: the device's watcher (uv_poll, unref'd in native/tap.c) and the link's
// timers do not keep the process alive; sockets, servers and lookups on the stack do (net.ts holdRaw).

import { createRequire } from "node:module";
import { performance } from "node:perf_hooks";
import { RealtimeDriver, Stack } from "../stack.js";
import { Link, LinkOptions, Sim } from "./emulated.js";

/** The functions native/tap.c exports. */
export interface TapAddon {
  open(name: string, device?: string | null, offload?: boolean): object;
  name(h: object): string;
  offload(h: object): boolean;
  start(h: object, rx: Uint8Array, meta: Uint32Array, frameMax: number, cb: (count: number, err: number) => void): void;
  /** The same, reading into [base, base + size) of `memory` (checked against its buffer at every wakeup). */
  start(h: object, memory: WebAssembly.Memory, meta: Uint32Array, frameMax: number, cb: (count: number, err: number) => void,
    base: number, size: number): void;
  stop(h: object): void;
  write(h: object, src: ArrayBufferLike | ArrayBufferView, offset?: number, length?: number): number;
  /** flags: WB_GSO | WB_THIN_ACKS. Returns frames written (or thinned). */
  writeBatch(h: object, src: ArrayBufferLike | ArrayBufferView, meta: Uint32Array, count: number, flags?: number): number;
  /** [wakeups, framesIn, framesOut, writeErrors, gsoIn, gsoOut, rxBad, acksThinned, ringCalls] */
  stats(h: object): number[];
  /** Plain frames go through io_uring: a batch of reads or writes per system call (native/uring.h). */
  ring?(h: object): boolean;
  close(h: object): void;
  /** For tests: the offload rx path (split a GSO_TCPV4 super-frame / complete a partial checksum) on buf. */
  splitFrame(buf: Uint8Array, len: number, gsoType: number, gsoSize: number, flags: number, csumStart: number, csumOffset: number, meta: Uint32Array): number;
  /** Offload-mode buffer sizing: meta >= segMax entries, rx >= frameMax + segMax * hdrMax bytes. */
  limits: { segMax: number; hdrMax: number; vnetHdr: number };
}

/** writeBatch flags. */
export const WB_GSO = 1;
export const WB_THIN_ACKS = 2;

const ADDON_PATH = "../../native/build/Release/tap.node";
let addon: TapAddon | null = null;
let addonError: Error | null = null;

/** Load the addon (once). Throws a clear error (code ERR_TAP_ADDON) when it was not built. */
export function loadTapAddon(): TapAddon {
  if (addon) return addon;
  if (!addonError) {
    try {
      addon = createRequire(import.meta.url)(ADDON_PATH) as TapAddon;
      return addon;
    } catch (e) {
      addonError = Object.assign(
        new Error(`TAP support unavailable: the native addon did not load (${(e as Error).message}). ` +
          "Build it with `npm rebuild wasm-tcpip` in your project (or `npm run build:tap` in the package's directory; " +
          "needs gcc, make, python3 and the Node headers); emulated links do not need it."),
        { code: "ERR_TAP_ADDON" });
    }
  }
  throw addonError;
}

/** One observed frame (the shape of the emulated link's TapRecord, which pcap.ts accepts). */
export interface TapLinkRecord {
  /** ms on the link's clock (since open); add `epochMs` for wall-clock time. */
  time: number;
  /** Port that sent it: 0 = the TAP (kernel side), 1 = the stack. */
  from: number;
  fromName: string;
  /** Only valid during the callback (it may be a view of a reused buffer). */
  frame: Uint8Array;
  dropped: boolean;
  duplicate: boolean;
}

export type TapLinkOptions = Omit<LinkOptions, "seed"> & {
  /** Seed for the impairments (default 1). */
  seed?: number;
  /**
   * Frames read per wakeup at most (default 256: more than a 256 KiB window of full-sized
   * segments, so one wakeup drains what the kernel queued; each wakeup costs a JS call, a
   * microtask checkpoint, a write batch and a poll).
   */
  batch?: number;
  /** Largest frame accepted from the TAP (default 65535 + 14). */
  frameMax?: number;
  /** Character device (default /dev/net/tun); for tests of the error path. */
  device?: string;
  /** Read errors (device gone...): reading stops and this is called. Default: kept in lastError. */
  onError?: (err: Error) => void;
  /**
   * virtio-net header with checksum/TSO offloads (default true): 64 KiB TCP super-frames
   * each way. Falls back to plain frames when the kernel refuses it.
   */
  offload?: boolean;
  /** Drop pure ACKs superseded by a later ACK in the same write batch (default: offload). */
  thinAcks?: boolean;
  /** Staging buffer for transmitted frames, bytes (default 256 KiB). */
  txBuffer?: number;
};

const IMPAIRMENTS = ["loss", "delayMs", "jitterMs", "reorder", "duplicate", "rateBps", "dropIf"] as const;
/** Options that are TapLink's own (not the emulated Link's). */
type OwnKeys = "batch" | "frameMax" | "device" | "onError" | "seed" | "offload" | "thinAcks" | "txBuffer";

/** A port of the internal emulated Link: the only Stack members Link uses are name, attach and input. */
interface PortShim {
  name: string;
  attach(fn: (frame: Uint8Array) => void): void;
  input(frame: Uint8Array): void;
}

export interface TapLinkStats {
  wakeups: number;
  framesIn: number;
  framesOut: number;
  writeErrors: number;
  /** Largest number of frames delivered by one wakeup. */
  maxBatch: number;
  /** The device uses virtio-net headers (offload). */
  offload: boolean;
  /** Frames are read straight into the stack's staging region (no copy in JS); false: into the link's buffer. */
  inPlace: boolean;
  /** TCP super-frames received (and split) / written (merged from segments). */
  gsoIn: number;
  gsoOut: number;
  /** Frames from the kernel the addon dropped as malformed (offload mode), or longer than the frameMax its io_uring reads are sized by (plain frames). */
  rxBad: number;
  /** Pure ACKs not written because a later one superseded them. */
  acksThinned: number;
  /** ACKs the stack held for the end of a read batch (the core's ackBatch), then sent with the window the application's reads left. */
  batchAcks: number;
  /** writeBatch calls (each one or more syscalls). */
  flushes: number;
  /**
   * Plain frames (no offload) are read and written through io_uring: the frames of one wakeup or
   * one writeBatch in one system call (`ringCalls` of them so far), not one read()/write() each.
   * False with offload, when the kernel refuses io_uring, or with WASM_TCPIP_TAP_URING=0.
   */
  ring: boolean;
  ringCalls: number;
  /** Frames the impairments dropped / duplicated (both directions). */
  dropped: number;
  duplicated: number;
}

export class TapLink {
  /** Actual interface name (templates like "wt%d" are resolved by the kernel). */
  readonly name: string;
  /** Wall-clock ms (Unix epoch) at the link's time 0. */
  readonly epochMs: number;
  /** Last read error; reading has stopped when set. */
  lastError: Error | null = null;
  maxBatch = 0;
  /** The stack's staging region the addon reads into (null: into this.rx, copied by stack.input). */
  private inPlace: { base: number; size: number } | null = null;

  private readonly addon: TapAddon;
  private h: object | null;
  private readonly origin = performance.now();
  private readonly rx: Uint8Array;
  private readonly meta: Uint32Array;
  private readonly frameMax: number;
  private readonly opts: TapLinkOptions;
  // Transmit staging: frames packed back to back, lengths in txMeta, flushed by flushTx().
  private readonly txBuf: Uint8Array;
  private readonly txMeta: Uint32Array;
  private readonly txFlags: number;
  private txOff = 0;
  private txCount = 0;
  private txQueued = false;
  /** The view stage() read the last frame through. */
  private txView: Uint8Array | null = null;
  private flushes = 0;
  /** Read batches are ACK batches (until the stack's build says it has none). */
  private batching = true;
  /** The stack's ACK batch is open until endBatchLater runs. */
  private batchOpen = false;
  private batchAcks = 0;
  private stack: Stack | null = null;
  private driver: RealtimeDriver | null = null;
  private observers: ((rec: TapLinkRecord) => void)[] = [];
  // Impaired path only:
  private sim: Sim | null = null;
  private link: Link | null = null;
  private fromTap: ((frame: Uint8Array) => void) | null = null;
  private fromStack: ((frame: Uint8Array) => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;

  private constructor(tap: TapAddon, h: object, opts: TapLinkOptions) {
    this.addon = tap;
    this.h = h;
    this.opts = opts;
    this.name = tap.name(h);
    this.epochMs = performance.timeOrigin + this.origin;
    const batch = Math.max(1, opts.batch ?? 256);
    this.frameMax = opts.frameMax ?? 65535 + 14;
    const offload = tap.offload(h);
    // Offload: one read may split into limits.segMax frames of limits.hdrMax more bytes each.
    const { segMax, hdrMax } = tap.limits;
    this.rx = new Uint8Array(batch * 2048 + this.frameMax + (offload ? segMax * hdrMax : 0));
    this.meta = new Uint32Array(batch + (offload ? segMax : 0));
    this.txBuf = new Uint8Array(Math.max(opts.txBuffer ?? 256 * 1024, this.frameMax));
    this.txMeta = new Uint32Array(Math.ceil(this.txBuf.length / 60));
    this.txFlags = (offload ? WB_GSO : 0) | ((opts.thinAcks ?? offload) ? WB_THIN_ACKS : 0);
    if (IMPAIRMENTS.some((k) => opts[k])) this.setupImpairments();
  }

  /** Open (creating if needed) the TAP device `name`. Throws with err.code EPERM/EACCES/ENOENT/EINVAL/EBUSY. */
  static open(name: string, opts: TapLinkOptions = {}): TapLink {
    const tap = loadTapAddon();
    const offload = opts.offload ?? true;
    let h: object;
    try {
      h = tap.open(name, opts.device, offload);
    } catch (e) {
      // A kernel without IFF_VNET_HDR/TUNSETVNETHDRSZ: plain frames still work.
      if (!offload || (e as { code?: string }).code !== "EINVAL") throw e;
      h = tap.open(name, opts.device, false);
    }
    return new TapLink(tap, h, opts);
  }

  /** ms on this link's clock. */
  now(): number { return performance.now() - this.origin; }

  get isOpen(): boolean { return this.h !== null; }

  /**
   * Connect a stack (one per TAP). Its transmitted frames go to the TAP; frames read
   * from the TAP go to stack.input(). Unless the stack already has a driver
   * (stack.waker set), a RealtimeDriver polls it at its deadlines.
   */
  attach(stack: Stack): void {
    const h = this.handle();
    if (this.stack) throw new Error(`${this.name}: a stack is already attached`);
    this.stack = stack;
    this.wireStack(stack);
    if (!stack.waker) {
      this.driver = new RealtimeDriver();
      this.driver.add(stack);
    }
    // Without impairments the addon reads frames straight into the stack's staging region (no
    // copy in JS; the core reads them where they land). It must hold a full batch: a stack not
    // yet initialized is asked for one that does.
    const want = this.rx.length;
    if (!this.link && !stack.isInitialized && stack.stagingSize < want && stack.exports.inputAt !== undefined) stack.configure("RxStaging", want);
    stack.afterInit(() => {
      if (!this.h || this.stack !== stack) return;
      const region = this.link ? null : this.claimRegion(stack);
      this.inPlace = region;
      if (region) this.addon.start(h, stack.memory, this.meta, this.readMax(), this.onFramesFn, region.base, region.size);
      else this.addon.start(h, this.rx, this.meta, this.readMax(), this.onFramesFn);
    });
  }

  /**
   * frameMax for the addon's reads: with offload the kernel's super-frames (this.frameMax); plain
   * frames no longer than the stack takes (its MTU + 18), which is what the addon sizes its io_uring
   * read slots by (a longer frame is dropped there, counted rxBad; the stack would drop it too).
   */
  private readMax(): number {
    const h = this.handle();
    return this.addon.offload(h) || !this.stack ? this.frameMax : Math.min(this.frameMax, Math.max(60, this.stack.maxFrame));
  }

  /** The stack's staging region when it is large enough for a batch (see the constructor's rx sizing). */
  private claimRegion(stack: Stack): { base: number; size: number } | null {
    const offload = this.addon.offload(this.handle());
    const { segMax, hdrMax } = this.addon.limits;
    if (stack.stagingSize < this.frameMax + (offload ? segMax * hdrMax : 0) + 2048) return null;
    return stack.claimStaging();
  }

  private readonly onFramesFn = (n: number, err: number): void => this.onFrames(n, err);

  /**
   * Observe every frame in both directions (dropped and duplicated ones flagged), like
   * the emulated Link's tap(), so a PcapWriter attaches to either. Returns an unsubscribe function.
   */
  tap(fn: (rec: TapLinkRecord) => void): () => void {
    this.observers.push(fn);
    return () => { this.observers = this.observers.filter((o) => o !== fn); };
  }

  /**
   * Change impairments on the fly (like the emulated Link's set()); a link opened
   * without impairments switches to the impaired path (seeded with opts.seed) for good.
   */
  set(opts: Partial<LinkOptions>): void {
    if (!this.link) {
      this.setupImpairments();
      if (this.stack) this.wireStack(this.stack);
      if (this.inPlace && this.h) {
        // impaired frames are copied into the link's Sim: read into our own buffer from now on
        this.inPlace = null;
        this.addon.start(this.h, this.rx, this.meta, this.readMax(), this.onFramesFn);
      }
    }
    this.link!.set(opts);
  }

  /** Write one frame to the TAP directly (bypassing stack and impairments). Returns bytes or -errno. */
  write(frame: Uint8Array): number {
    return this.addon.write(this.handle(), frame);
  }

  stats(): TapLinkStats {
    const [wakeups, framesIn, framesOut, writeErrors, gsoIn, gsoOut, rxBad, acksThinned, ringCalls = 0] =
      this.h ? this.addon.stats(this.h) : [0, 0, 0, 0, 0, 0, 0, 0, 0];
    return { wakeups, framesIn, framesOut, writeErrors, maxBatch: this.maxBatch,
      dropped: this.link?.dropped ?? 0, duplicated: this.link?.duplicated ?? 0,
      offload: this.h ? this.addon.offload(this.h) : false, inPlace: this.inPlace !== null, gsoIn, gsoOut, rxBad, acksThinned, batchAcks: this.batchAcks, flushes: this.flushes,
      ring: this.h ? this.addon.ring?.(this.h) ?? false : false, ringCalls };
  }

  /** Stop reading, detach the stack and close the device (a non-persistent TAP disappears). */
  close(): void {
    if (!this.h) return;
    this.flushTx(); // frames the stack sent last (RSTs from a shutdown) still leave
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.driver && this.stack) this.driver.remove(this.stack);
    this.stack?.attach(null);
    this.addon.close(this.h);
    this.h = null;
  }

  // -------------------------------------------------------------------------

  private handle(): object {
    if (!this.h) throw Object.assign(new Error(`TAP ${this.name} is closed`), { code: "EBADF" });
    return this.h;
  }

  private wireStack(stack: Stack): void {
    if (this.link) {
      const port: PortShim = { name: stack.name, attach: (fn) => { this.fromStack = fn; }, input: (f) => stack.input(f) };
      this.link.attach(port as unknown as Stack);
      stack.attach((frame) => { this.syncClock(); this.fromStack!(frame); this.pump(); });
    } else {
      stack.attachRaw((ptr, len) => this.stage(stack, ptr, len));
    }
  }

  private emit(from: number, frame: Uint8Array): void {
    if (this.observers.length === 0) return;
    const rec: TapLinkRecord = { time: this.now(), from, fromName: from === 0 ? `tap:${this.name}` : this.stack!.name,
      frame, dropped: false, duplicate: false };
    for (const o of this.observers) o(rec);
  }

  /** Copy one transmitted frame out of linear memory into the staging buffer. */
  private stage(stack: Stack, ptr: number, len: number): void {
    if (!this.h) return;
    if (this.txOff + len > this.txBuf.length || this.txCount === this.txMeta.length) this.flushTx();
    // the core sends most frames from the same place: reuse the view of the last one (no
    // allocation per frame; a view of a buffer that memory growth detached has length 0)
    let v = this.txView;
    if (v === null || v.length !== len || v.byteOffset !== ptr) v = this.txView = new Uint8Array(stack.memory.buffer, ptr, len);
    if (len > this.txBuf.length) { // cannot happen with frameMax-sized staging; never drop silently
      const frame = v.slice();
      this.emit(1, frame);
      this.addon.write(this.h, frame);
      return;
    }
    const off = this.txOff;
    this.txBuf.set(v, off);
    this.txOff = off + len;
    this.txMeta[this.txCount++] = len;
    if (this.observers.length) this.emit(1, this.txBuf.subarray(off, off + len));
    if (!this.txQueued) {
      this.txQueued = true;
      queueMicrotask(this.flushLater);
    }
  }

  /** flushTx() for queueMicrotask, made once (an arrow in stage() would cost V8 a context per frame). */
  private readonly flushLater = (): void => this.flushTx();

  /** Write every staged frame (one writeBatch call: merged super-frames, thinned ACKs). */
  private flushTx(): void {
    this.txQueued = false;
    if (this.txCount > 0 && this.h) {
      this.flushes++;
      this.addon.writeBatch(this.h, this.txBuf, this.txMeta, this.txCount, this.txFlags);
    }
    this.txCount = 0;
    this.txOff = 0;
  }

  /** End the core's ACK batch (queued after the batch's events: the application has read what it delivered). */
  private readonly endBatchLater = (): void => {
    this.batchOpen = false;
    const r = this.h && this.stack ? this.stack.ackBatch(false) : 0;
    if (r > 0) this.batchAcks += r;
  };

  private onFrames(n: number, err: number): void {
    if (n > this.maxBatch) this.maxBatch = n;
    const stack = this.stack;
    // One ACK batch per read batch (the core's ackBatch): the ACKs the frames draw wait until the
    // events they raise have let the application read (the stack's event microtask, queued during
    // input, runs before the one queued after it), then offer the window those reads freed.
    const batch = this.batching && n > 0 && stack !== null && !this.link && !this.batchOpen;
    if (batch) {
      if (stack.ackBatch(true) < 0) this.batching = false; // a build without it (-ENOSYS): ACKs leave at once
      else this.batchOpen = true;
    }
    try {
      this.deliver(n);
    } finally {
      if (batch && this.batchOpen) queueMicrotask(this.endBatchLater);
    }
    if (err < 0) {
      this.lastError = Object.assign(new Error(`TAP ${this.name}: read failed (errno ${-err})`), { errno: err });
      this.opts.onError?.(this.lastError);
    }
  }

  /** Hand the `n` frames a read batch left (in the stack's staging region or in this.rx) to the stack or the impaired link. */
  private deliver(n: number): void {
    const region = this.inPlace;
    const stack = this.stack;
    if (region !== null && !this.link) {
      // frames lie back to back in the stack's staging region: the core reads each in place (one
      // arrival time for the batch: it was read in one wakeup)
      let at = region.base;
      const now = stack?.nowMs() ?? 0;
      for (let i = 0; i < n && this.h && stack; i++) {
        const len = this.meta[i];
        if (this.observers.length) this.emit(0, new Uint8Array(stack.memory.buffer, at, len));
        stack.inputInPlace(at, len, now);
        at += len;
      }
      return;
    }
    let off = 0;
    for (let i = 0; i < n && this.h; i++) {
      const len = this.meta[i];
      const frame = this.rx.subarray(off, off + len);
      off += len;
      if (this.link) {
        this.syncClock();
        this.fromTap!(frame.slice());
      } else {
        this.emit(0, frame);
        stack?.input(frame);
      }
    }
    if (this.link) this.pump();
  }

  private setupImpairments(): void {
    const linkOpts: Partial<TapLinkOptions> = { ...this.opts };
    for (const k of ["batch", "frameMax", "device", "onError", "seed", "offload", "thinAcks", "txBuffer"] satisfies OwnKeys[]) delete linkOpts[k];
    const seed = this.opts.seed;
    const sim = new Sim({ seed: seed ?? 1 });
    this.sim = sim;
    this.link = sim.link({ ...linkOpts, seed: seed ?? 1 });
    const port: PortShim = {
      name: `tap:${this.name}`,
      attach: (fn) => { this.fromTap = fn; },
      input: (f) => { if (this.h) this.addon.write(this.h, f); },
    };
    this.link.attach(port as unknown as Stack);
    this.link.tap((rec) => {
      if (this.observers.length === 0) return;
      const r: TapLinkRecord = { time: rec.time, from: rec.from, fromName: rec.fromName, frame: rec.frame,
        dropped: rec.dropped, duplicate: rec.duplicate };
      for (const o of this.observers) o(r);
    });
  }

  /** Move the Sim's virtual clock up to the real clock (never back). */
  private syncClock(): void {
    const c = this.sim!.clock;
    const t = this.now();
    if (t > c.now()) c.set(t);
  }

  /** Run due link events, then arm one timer for the next. */
  private pump(): void {
    const sim = this.sim!;
    sim.run(Math.max(this.now(), sim.clock.now()));
    const next = sim.events.peekTime();
    if (next === Infinity || !this.h) return;
    if (this.timer && next >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = next;
    this.timer = setTimeout(() => { this.timer = null; this.timerAt = Infinity; this.pump(); },
      Math.max(0, Math.ceil(next - this.now())));
    this.timer.unref(); // the link does not hold the process (sockets on the stack do)
  }
}
