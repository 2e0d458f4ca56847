// Property: for any impairment schedule (phases of loss, duplication, reordering, delay,
// jitter and short blackouts), any transfer sizes and any mix of options, a transfer between
// two emulated stacks delivers exactly the bytes sent in both directions (SHA-256), never
// traps, and ends with both connections CLOSED. fast-check, seeded and shrinkable: a failure
// prints the smallest schedule it found and the seed to replay it.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LinkOptions } from "../src/links/emulated.js";
import { runTransfer, TransferOptions } from "./helpers/transfer.js";

const perMille = (max: number) => fc.integer({ min: 0, max }).map((n) => n / 1000);

/** One phase of link behaviour, lasting durationMs of virtual time. */
const phase = fc.record({
  durationMs: fc.integer({ min: 1, max: 3000 }),
  loss: perMille(200),
  duplicate: perMille(100),
  reorder: perMille(200),
  reorderDelayMs: fc.integer({ min: 1, max: 20 }),
  delayMs: fc.integer({ min: 0, max: 40 }),
  jitterMs: fc.integer({ min: 0, max: 5 }),
  blackout: fc.boolean(), // every frame lost for this phase (kept short below)
});
type Phase = typeof phase extends fc.Arbitrary<infer T> ? T : never;

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  bytes: fc.oneof(fc.constantFrom(0, 1, 1448, 1449), fc.integer({ min: 0, max: 256 * 1024 })),
  replyBytes: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 64 * 1024 })),
  phases: fc.array(phase, { minLength: 1, maxLength: 4 }),
  mss: fc.constantFrom(0, 536, 1000),
  rcvBuf: fc.constantFrom(2048, 4096, 16384, 65536),
  sndBuf: fc.constantFrom(2048, 16384, 65536),
  features: fc.integer({ min: 0, max: 15 }), // timestamps, SACK, window scale, SYN cookies
  delAckMs: fc.constantFrom(0, 40, 200),
  nodelay: fc.boolean(),
  chunk: fc.constantFrom(1, 100, 65536),
});
type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function toOptions(s: Scenario, build?: TransferOptions["build"]): TransferOptions {
  const schedule: { atMs: number; link: Partial<LinkOptions> }[] = [];
  let at = 0;
  const linkOf = (p: Phase): Partial<LinkOptions> => ({
    loss: p.blackout ? 1 : p.loss, duplicate: p.duplicate, reorder: p.reorder, reorderDelayMs: p.reorderDelayMs,
    delayMs: p.delayMs, jitterMs: p.jitterMs,
  });
  for (const p of s.phases) {
    schedule.push({ atMs: at, link: linkOf(p) });
    at += p.blackout ? Math.min(p.durationMs, 2000) : p.durationMs;
  }
  // after the schedule, the last phase's impairments stay (without a blackout)
  const last = s.phases[s.phases.length - 1];
  schedule.push({ atMs: at, link: { ...linkOf(last), loss: last.loss } });
  return {
    bytes: s.bytes, replyBytes: s.replyBytes, seed: s.seed, schedule, build, nodelay: s.nodelay,
    chunk: s.chunk === 1 ? Math.max(1, s.bytes >> 6) : s.chunk,
    // generous retry limits: the property is about integrity and closing, not about giving up
    config: {
      Mss: s.mss, RcvBuf: s.rcvBuf, SndBuf: s.sndBuf, Features: s.features, DelAckMs: s.delAckMs,
      SynRetries: 12, DataRetries: 20, MslMs: 5000,
    },
    limitMs: 24 * 3600_000,
  };
}

function check(s: Scenario, build?: TransferOptions["build"]): void {
  const r = runTransfer(toOptions(s, build));
  expect(r.sent).toBe(s.bytes);
  expect(r.received).toBe(s.bytes);
  expect(r.receivedSha).toBe(r.sentSha);
  expect(r.replySent).toBe(s.replyBytes);
  expect(r.replyReceived).toBe(s.replyBytes);
  expect(r.replyReceivedSha).toBe(r.replySha);
  expect(r.final).toEqual({ client: "CLOSED", server: "CLOSED" });
  // every connection opened; the client's close went through TIME-WAIT or a (legal) reset of it
  expect(r.path.client.slice(0, 3)).toEqual(["CLOSED", "SYN-SENT", "ESTABLISHED"]);
  expect(r.path.server.slice(0, 3)).toEqual(["LISTEN", "SYN-RECEIVED", "ESTABLISHED"]);
}

// PROPERTY_SEED=n replays other schedules; PROPERTY_RUNS=n runs more of them.
const SEED = Number(process.env.PROPERTY_SEED ?? 20240603);
const RUNS = Number(process.env.PROPERTY_RUNS ?? 400);

describe("property: random impairment schedules never lose, corrupt or hang a transfer", () => {
  it("RFC 9293 §3.8 / §3.10.7.4 + RFC 6298 / 5681 / 6675: node build, 400 seeded schedules", () => {
    fc.assert(fc.property(scenario, (s) => { check(s); }), { seed: SEED, numRuns: RUNS });
  }, 240_000);

  it("RFC 9293 §3.8 / §3.10.7.4: MCU build (no SIMD), 100 seeded schedules", () => {
    fc.assert(fc.property(scenario, (s) => { check(s, "mcu"); }), { seed: SEED + 1, numRuns: Math.ceil(RUNS / 4) });
  }, 120_000);
});
