// A Sim on the real clock: virtual time follows performance.now() by itself, so libraries
// that use timers and I/O events (http, ws, mqtt...) run over emulated stacks unchanged, with
// the link's seeded impairments (loss, delay, reordering...) drawn from the same RNG.
//
//   const sim = new Sim({ seed: 1 });
//   const rt = realtime(sim);                     // or realtimePair() below
//   const a = createStack({ ip: "198.51.100.1/24", link: { type: "emulated", sim, link } });
//
// How it runs: slices. Each slice (a setImmediate or setTimeout callback) runs virtual
// instants up to the virtual time the real clock has reached, and returns after an instant
// in which a stack raised events (so stream callbacks run before the next instant, as with
// net.until) or after `sliceMs` of wall time (checked every few polls and frame deliveries,
// even inside one crowded instant). When nothing is due before the real clock, it arms one
// timer for the next event and costs nothing until then.
//
// Liveness is libuv's: a listening Server and an open or connecting Socket hold the Sim
// (Sim.hold); while nothing holds it the driver's timer is unref'd and the process may exit.
// ref()/unref() on Server and Socket change that.

import type { Sim, SimDriver } from "./emulated.js";

export interface RealtimeOptions {
  /** Virtual ms per real ms (default 1: real time). */
  speed?: number;
  /** Wall-clock budget of one slice in ms before yielding to the event loop (default 4). */
  sliceMs?: number;
  /**
   * When virtual time lags the real clock by more than this (ms of virtual time: the stacks
   * had more work than the CPU could do in time), forget the lag instead of racing to catch
   * up (default 1000). Timers then fire late, as on an overloaded host.
   */
  maxLagMs?: number;
}

export class RealtimeSim implements SimDriver {
  readonly sim: Sim;
  readonly speed: number;
  readonly sliceMs: number;
  readonly maxLagMs: number;
  /** Slices run, and the longest one (ms of wall time): the event loop was never blocked longer. */
  slices = 0;
  longestSliceMs = 0;
  /** Slices that stopped at the sliceMs budget with work left (the rest ran after a yield). */
  budgetStops = 0;
  /** Virtual ms dropped because the stacks fell behind by more than maxLagMs. */
  lagDroppedMs = 0;
  private wall0: number;
  private virt0: number;
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Infinity;
  private immediate: NodeJS.Immediate | null = null;
  private stopped = false;
  /** While something holds the Sim: a ref'd handle that keeps the event loop alive even with no event queued (a listening server waits forever). */
  private keep: NodeJS.Timeout | null = null;

  constructor(sim: Sim, opts: RealtimeOptions = {}) {
    if (sim.driver !== null) throw new Error("realtime: this Sim already has a real-time driver");
    this.sim = sim;
    this.speed = opts.speed ?? 1;
    this.sliceMs = opts.sliceMs ?? 4;
    this.maxLagMs = opts.maxLagMs ?? 1000;
    if (!(this.speed > 0)) throw new Error("realtime: speed must be > 0");
    this.wall0 = performance.now();
    this.virt0 = sim.now();
    sim.driver = this;
    this.refChanged();
    this.kick();
  }

  /** The virtual time that corresponds to the real clock now. */
  target(): number { return this.virt0 + (performance.now() - this.wall0) * this.speed; }

  /** Virtual ms the Sim is behind the real clock (0 when idle and caught up). */
  get lagMs(): number { return Math.max(0, this.target() - this.sim.now()); }

  /** Something changed outside a slice: run one soon. */
  kick(): void {
    if (this.stopped || this.immediate !== null) return;
    this.clearTimer();
    this.immediate = setImmediate(this.run);
    if (this.sim.refs === 0) this.immediate.unref();
  }

  refChanged(): void {
    const ref = this.sim.refs > 0 && !this.stopped;
    if (ref && this.keep === null) this.keep = setInterval(() => {}, 1 << 30);
    else if (!ref && this.keep !== null) { clearInterval(this.keep); this.keep = null; }
    if (this.timer) { if (ref) this.timer.ref(); else this.timer.unref(); }
    if (this.immediate) { if (ref) this.immediate.ref(); else this.immediate.unref(); }
  }

  /** Stop driving the Sim (it keeps its state; net.until drives it in virtual time again). */
  stop(): void {
    this.stopped = true;
    this.refChanged();
    this.clearTimer();
    if (this.immediate) clearImmediate(this.immediate);
    this.immediate = null;
    if (this.sim.driver === this) this.sim.driver = null;
  }

  /** Wait (in real time) until pred() holds, at most `ms` of real time; checks after every slice and every 10 ms. */
  async until(pred: () => boolean, ms: number): Promise<boolean> {
    const end = performance.now() + ms;
    for (;;) {
      if (pred()) return true;
      const left = end - performance.now();
      if (left <= 0) return false;
      await new Promise((r) => setTimeout(r, Math.min(10, left)));
    }
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Infinity;
  }

  private readonly run = (): void => {
    this.immediate = null;
    this.timer = null;
    this.timerAt = Infinity;
    if (this.stopped) return;
    const t0 = performance.now();
    let target = this.target();
    if (target - this.sim.now() > this.maxLagMs) {
      // fell too far behind: slide the mapping (virtual time keeps its order, timers fire late)
      const drop = target - this.sim.now() - this.maxLagMs;
      this.virt0 -= drop;
      this.lagDroppedMs += drop;
      target -= drop;
    }
    const r = this.sim.slice(target, t0 + this.sliceMs);
    const took = performance.now() - t0;
    this.slices++;
    if (took > this.longestSliceMs) this.longestSliceMs = took;
    if (r === "budget") this.budgetStops++;
    if (this.stopped) return;
    if (r !== "idle") { this.kick(); return; }
    this.arm();
  };

  /** Nothing due before the real clock: one timer for the next event (none when there is none). */
  private arm(): void {
    const next = this.sim.nextTime();
    if (next === Infinity) return;
    const delay = Math.max(0, (next - this.target()) / this.speed);
    const at = performance.now() + delay;
    if (this.timer && Math.abs(at - this.timerAt) < 0.5) return;
    this.clearTimer();
    // setTimeout has ms granularity; ceil so we wake at or after the event (never spin early)
    this.timer = setTimeout(this.run, Math.ceil(delay));
    this.timerAt = at;
    if (this.sim.refs === 0) this.timer.unref();
  }
}

/** Run `sim` on the real clock (see RealtimeSim). */
export function realtime(sim: Sim, opts: RealtimeOptions = {}): RealtimeSim { return new RealtimeSim(sim, opts); }
