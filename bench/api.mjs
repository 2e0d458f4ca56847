// The API path (issue 12): bulk TCP through the public node:net-style API (`createStack` +
// `Socket` from src/net.ts, dist/ must be built): two stacks in one process on an emulated
// link without delay, 64 MiB sent in 64 KiB writes with Nagle off, the receiver consuming
// 'data' events; beside node:net over the kernel's loopback moving the same bytes the same
// way in the same run. Ours and the reference alternate round by round (API_BENCH_ROUNDS,
// default 15, about 0.2 s each), after API_BENCH_WARM (default 5) unmeasured rounds: each
// figure is the median round, and each ratio the median of the rounds' own ratios (a round's
// transfers run back to back, so a swing of the machine's speed cancels; the rounds' ratios
// are printed). A round is a server, a connection and a transfer on each side: ours on the two
// stacks the process made for that kind of link at its first round (an application makes its
// stack once, as the kernel behind node:net is booted once), and a third row on two stacks made
// afresh for every round (how this bench measured until 2026-11-30: the creation's garbage then
// lands in the timed transfers, ~10% of them). `node bench/api.mjs` runs it alone
// (API_BENCH_MIB=N changes the size).
// ours() and reference() take an optional probe called with "start"/"end" around the timed
// part, for profiling only that (e.g. with node:inspector).
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { median, paired, ROOT } from "./lib.mjs";

const ROUNDS = Number(process.env.API_BENCH_ROUNDS ?? 15);
const WARM = Number(process.env.API_BENCH_WARM ?? 5);
const TOTAL = Number(process.env.API_BENCH_MIB ?? 64) * 1024 * 1024;
const WRITE = 64 * 1024;

const dist = (p) => pathToFileURL(join(ROOT, "dist", p)).href;

/** Write TOTAL bytes to `sock` in WRITE-byte chunks, honouring backpressure. */
function pump(sock, chunk, done) {
  let left = TOTAL / WRITE;
  const go = () => {
    while (left > 0) {
      left--;
      if (!sock.write(chunk)) { sock.once("drain", go); return; }
    }
    done();
  };
  go();
}

/** Two of our stacks on a new emulated link with `linkOptions` (ours() keeps one pair per kind of link). */
async function makePair(linkOptions) {
  const { createStack } = await import(dist("net.js"));
  const { Sim } = await import(dist("links/emulated.js"));
  const sim = new Sim({ seed: 1 });
  const link = sim.link(linkOptions);
  const a = createStack({ ip: "198.51.100.1/24", mac: "02:00:00:00:00:01", seed: 1, link: { type: "emulated", sim, link } });
  const b = createStack({ ip: "198.51.100.2/24", mac: "02:00:00:00:00:02", seed: 2, link: { type: "emulated", sim, link } });
  return { a, b };
}
const pairs = new Map();

/**
 * Seconds to move TOTAL bytes between two of our stacks through the Socket API: a new server and
 * connection on the process's pair of stacks for this kind of link (`fresh`: on two stacks made
 * for this round alone, closed after it; their creation's garbage, 9 MiB of linear memory each,
 * then falls into later rounds' collections). `probe` (profiling aid) is called with "start" and
 * "end" around the timed part; `linkOptions` are the emulated link's (e.g. { loopbackLike: true }:
 * MTU 9000 and checksum offload, as Linux's lo).
 */
export async function ours(probe, linkOptions = {}, fresh = false) {
  const key = JSON.stringify(linkOptions);
  let pair = fresh ? null : pairs.get(key);
  if (!pair) {
    pair = await makePair(linkOptions);
    if (!fresh) pairs.set(key, pair);
  }
  const { a, b } = pair;
  let got = 0, srvSock = null;
  const srv = b.createServer({ noDelay: true }, (s) => {
    srvSock = s;
    s.on("data", (d) => { got += d.length; });
  }).listen(5001);
  const c = a.connect({ host: "198.51.100.2", port: 5001, noDelay: true });
  if (!(await a.until(() => !c.connecting && srvSock !== null, 10_000))) throw new Error("api bench: no connection");
  const chunk = Buffer.alloc(WRITE, 0x5a);
  probe?.("start");
  const t0 = performance.now();
  let written = false;
  pump(c, chunk, () => { written = true; });
  // virtual time barely moves (no delay): the bound is generous
  if (!(await a.until(() => got >= TOTAL, 1e9))) throw new Error(`api bench: ${got} of ${TOTAL} bytes arrived`);
  const secs = (performance.now() - t0) / 1000;
  probe?.("end");
  if (!written || got !== TOTAL) throw new Error(`api bench: ${got} bytes for ${TOTAL}`);
  if (fresh) { a.close(); b.close(); return secs; }
  // as the reference: the client goes, the server closes; let the teardown run out
  c.destroy(); srvSock.destroy(); srv.close();
  const busy = (n) => n.sockets().some((i) => i.handle !== 0 && i.state !== "LISTEN"); // handle 0: a compact TIME-WAIT entry
  if (!(await a.until(() => !busy(a) && !busy(b), 60_000))) throw new Error(`api bench: connections left after a round: ${JSON.stringify([...a.sockets(), ...b.sockets()])}`);
  return secs;
}

/** Seconds to move TOTAL bytes over node:net loopback (`probe` as for ours()). */
export async function reference(probe) {
  let got = 0;
  let finish;
  const finished = new Promise((r) => { finish = r; });
  const srv = net.createServer((s) => {
    s.setNoDelay(true);
    s.on("data", (d) => { got += d.length; if (got >= TOTAL) finish(); });
  });
  await new Promise((r) => srv.listen(0, "127.0.0.1", r));
  const c = net.connect({ port: srv.address().port, host: "127.0.0.1", noDelay: true });
  await new Promise((r) => c.once("connect", r));
  const chunk = Buffer.alloc(WRITE, 0x5a);
  probe?.("start");
  const t0 = performance.now();
  pump(c, chunk, () => {});
  await finished;
  const secs = (performance.now() - t0) / 1000;
  probe?.("end");
  c.destroy(); srv.close();
  if (got !== TOTAL) throw new Error(`api bench (node:net): ${got} bytes for ${TOTAL}`);
  return secs;
}

export default async function apiBench() {
  // the row (default MTU 1500, every checksum computed and verified) and a loopback-like
  // link (MTU 9000, checksum offload: what the kernel's lo does for node:net), rounds interleaved
  // with node:net so that all see the same minutes; the order within a round rotates so
  // that none always runs first (after the other's garbage)
  const gbps = (s) => (TOTAL * 8) / s / 1e9;
  const runs = { ours: [], ref: [], lo: [], fresh: [] };
  const legs = [["ours", () => ours()], ["ref", () => reference()], ["lo", () => ours(undefined, { loopbackLike: true })],
    ["fresh", () => ours(undefined, {}, true)]];
  // unmeasured rounds first: both sides speed up over their first few transfers in a process, ours
  // by up to 2x over the first five (not the wasm's tier-up: --no-wasm-dynamic-tiering and
  // --no-liftoff ramp the same; the first transfers also take most of the page faults)
  for (let r = 0; r < WARM; r++) for (const [, run] of legs) await run();
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < legs.length; k++) {
      const [key, run] = legs[(r + k) % legs.length];
      runs[key].push(gbps(await run()));
    }
  }
  for (const { a, b } of pairs.values()) { a.close(); b.close(); } // (the later bench modules run in this process)
  pairs.clear();
  const plain = paired(runs.ours, runs.ref), lo = paired(runs.lo, runs.ref), fresh = paired(runs.fresh, runs.ref);
  console.log(`bench api: ours / node:net by round: ${plain.per}; loopback-like / node:net: ${lo.per}; fresh stacks / node:net: ${fresh.per}`);
  const tag = `[median of ${ROUNDS} paired rounds]`;
  return [{
    name: `TCP bulk through the API: createStack + Socket, 2 stacks, emulated link (no delay), ${TOTAL >> 20} MiB, 64 KiB writes, Nagle off vs node:net loopback ${tag}`,
    ours: median(runs.ours), reference: median(runs.ref), unit: "Gbit/s", ratio: plain.ratio,
  }, {
    name: `API, loopback-like link (MTU 9000, checksum offload): the same transfer vs node:net loopback (lo: MTU 64 KiB, no checksums) ${tag}`,
    ours: median(runs.lo), reference: median(runs.ref), unit: "Gbit/s", ratio: lo.ratio,
  }, {
    name: `API, two stacks created for every round (then closed): the first row's transfer vs node:net loopback ${tag}`,
    ours: median(runs.fresh), reference: median(runs.ref), unit: "Gbit/s", ratio: fresh.ratio,
  }];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import("./table.mjs");
  const { loadavg } = await import("node:os");
  printTable(await apiBench());
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(" ")}`);
}
