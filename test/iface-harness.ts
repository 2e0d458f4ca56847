// A single stack (testing build) on a virtual clock whose transmitted frames are captured.
import { Stack, StackOptions, VirtualClock } from "../src/stack.js";
import { decodeFrame, FrameSummary } from "../src/trace.js";
import { MAC_A } from "./wire-build.js";

export const US = "198.51.100.1";
export const PEER = "198.51.100.2";
export const PEER_MAC = "02:00:00:00:00:02";

export interface Harness {
  s: Stack;
  clock: VirtualClock;
  sent: Uint8Array[];
  events: [number, number, number][];
  /** Decoded frames sent since the last take(). */
  take(): (FrameSummary & { raw: Uint8Array })[];
  /** Inject a frame at the current virtual time. */
  rx(frame: Uint8Array): void;
  /** Advance the clock and poll. */
  at(t: number): number;
  stat(name: string): number;
}

export function harness(opts: StackOptions = {}): Harness {
  const clock = opts.clock instanceof VirtualClock ? opts.clock : new VirtualClock(0);
  const sent: Uint8Array[] = [];
  const events: [number, number, number][] = [];
  const s = new Stack({
    build: "testing", name: "us", ip: US, mac: MAC_A, prefix: 24, seed: 7, clock,
    tx: (f) => sent.push(f), ...opts,
  });
  s.onEvents((a, b, c) => events.push([a, b, c]));
  let taken = 0;
  return {
    s, clock, sent, events,
    take() {
      const out = sent.slice(taken).map((raw) => ({ ...decodeFrame(raw), raw }));
      taken = sent.length;
      return out;
    },
    rx(frame) { s.input(frame); },
    at(t) { clock.set(t); return s.poll(); },
    stat(name) { return s.stat(name); },
  };
}
