// Stacks on an emulated network, made in one call: a pair of node:net-style stacks on a
// real-time Sim (run a real library over an emulated network), and fleets of K devices on a
// learning switch (bring-up, memory and throughput at scale).
//
//   const { a, b } = emulatedPair({ loss: 0.02, reorder: 0.02 });  // real time, seeded impairments
//   b.createServer((s) => s.pipe(s)).listen(7);
//   const c = a.connect(7, "198.51.100.2");
//
//   const fleet = createFleet({ count: 1000, build: "mcu" });        // virtual time (see createFleet)

import { Link, LinkOptions, Sim } from "./links/emulated.js";
import { realtime, RealtimeOptions, RealtimeSim } from "./links/realtime.js";
import { CreateStackOptions, createStack, NetStack } from "./net.js";

export interface PairOptions extends LinkOptions {
  /** The Sim's seed (impairments and both stacks' seeds derive from it). Default 1. */
  simSeed?: number;
  /** Run on the real clock (default true), with these options; false: virtual time (drive it with net.until). */
  realtime?: boolean | RealtimeOptions;
  /** Extra createStack options for each side (addresses default to 198.51.100.1/24 and .2/24). */
  a?: Partial<CreateStackOptions>;
  b?: Partial<CreateStackOptions>;
}

export interface Pair {
  sim: Sim;
  link: Link;
  /** The real-time driver (null when `realtime: false`). */
  rt: RealtimeSim | null;
  a: NetStack;
  b: NetStack;
  /** Close both stacks and stop the driver. */
  close(): void;
}

/** Two stacks (198.51.100.1 and .2) on one emulated link, by default running on the real clock. */
export function emulatedPair(opts: PairOptions = {}): Pair {
  const { simSeed, realtime: rtOpt, a: aOpt, b: bOpt, ...linkOpts } = opts;
  const sim = new Sim({ seed: simSeed ?? 1 });
  const link = sim.link({ delayMs: 1, ...linkOpts });
  const mk = (n: number, o: Partial<CreateStackOptions> = {}) => createStack({
    ip: `198.51.100.${n}/24`, mac: `02:00:00:00:00:0${n}`, name: n === 1 ? "a" : "b", ...o, link: { type: "emulated", sim, link },
  } as CreateStackOptions);
  const a = mk(1, aOpt), b = mk(2, bOpt);
  const rt = rtOpt === false ? null : realtime(sim, rtOpt === true || rtOpt === undefined ? {} : rtOpt);
  return { sim, link, rt, a, b, close: () => { a.close(); b.close(); rt?.stop(); } };
}
