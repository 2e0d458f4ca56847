// Command line: `node dist/cli.js demo [--scenario NAME] [--json] [--seed N]`.
// Without a scenario, `demo` runs two emulated hosts (198.51.100.1 and .2 /24) through
// ARP resolution and three pings each way, printing every frame that crosses the link
// and the final counters. Bad usage: one line on stderr, exit code 2.

import { pathToFileURL } from "node:url";
import { Sim, TapRecord } from "./links/emulated.js";
import { EventKind, Stack } from "./stack.js";
import { decodeFrame, FrameSummary } from "./trace.js";
import { scenarios, ScenarioContext } from "./scenarios.js";
import { netCommand } from "./cli-net.js";

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

const consoleIo: CliIo = {
  out: (l) => process.stdout.write(l + "\n"),
  err: (l) => process.stderr.write(l + "\n"),
};

export function usage(): string {
  const names = Object.keys(scenarios);
  const lines = [
    "usage: wasm-tcpip <command> [options]",
    "",
    "commands:",
    "  demo                 two emulated hosts: ARP, then 3 pings each way; prints frames and counters",
    "  up                   our stack on a TAP device serving echo/discard/HTTP (wasm-tcpip up --help)",
    "  get URL              download over HTTP/1.1 through our stack on a TAP (wasm-tcpip get --help)",
    "  resolve NAME         DNS lookup through our stack on a TAP (wasm-tcpip resolve --help)",
    "  time [SERVER]        SNTP query through our stack on a TAP (wasm-tcpip time --help)",
    "",
    "options (demo):",
    "  --scenario NAME      run a named scenario instead of the ping demo",
    "  --json               machine-readable output: one JSON document (ping demo),",
    "                       one JSON object per line (scenarios: state and segment events)",
    "  --seed N             seed for every PRNG (default 1)",
    "  -h, --help           this help",
  ];
  if (names.length) {
    lines.push("", "scenarios:");
    for (const n of names) lines.push(`  ${n.padEnd(20)} ${scenarios[n].description}`);
  }
  return lines.join("\n");
}

class UsageError extends Error {}

interface DemoArgs { scenario?: string; json: boolean; seed: number }

function parseDemoArgs(args: string[]): DemoArgs {
  const out: DemoArgs = { json: false, seed: 1 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new UsageError(`option ${flag} needs a value`);
      return v;
    };
    if (flag === "--json") {
      if (inline !== undefined) throw new UsageError("option --json takes no value");
      out.json = true;
    } else if (flag === "--scenario") out.scenario = value();
    else if (flag === "--seed") {
      const v = value();
      if (!/^\d+$/.test(v)) throw new UsageError(`--seed wants a non-negative integer, got ${v}`);
      out.seed = Number(v);
    } else if (a.startsWith("-")) throw new UsageError(`unknown option ${flag} (see --help)`);
    else throw new UsageError(`unexpected argument ${a} (see --help)`);
  }
  if (out.scenario !== undefined && !Object.hasOwn(scenarios, out.scenario)) {
    const known = Object.keys(scenarios);
    throw new UsageError(`unknown scenario ${out.scenario} (known: ${known.length ? known.join(", ") : "none"})`);
  }
  return out;
}

/** Run the CLI; resolves to the exit code. */
export async function main(argv: string[], io: CliIo = consoleIo): Promise<number> {
  if (argv[0] === "up" || argv[0] === "get" || argv[0] === "resolve" || argv[0] === "time") {
    return netCommand(argv[0], argv.slice(1), { ...io, isTTY: io === consoleIo && process.stderr.isTTY === true });
  }
  if (argv.includes("--help") || argv.includes("-h")) { io.out(usage()); return 0; }
  const [cmd, ...rest] = argv;
  try {
    if (cmd === undefined) throw new UsageError("missing command (see --help)");
    if (cmd !== "demo") throw new UsageError(`unknown command ${cmd} (see --help)`);
    const args = parseDemoArgs(rest);
    const ctx: ScenarioContext = { json: args.json, seed: args.seed, out: io.out };
    if (args.scenario !== undefined) return await scenarios[args.scenario].run(ctx);
    return pingDemo(ctx);
  } catch (e) {
    if (e instanceof UsageError) { io.err(`error: ${e.message}`); return 2; }
    throw e;
  }
}

function fmtTime(ms: number): string { return ms.toFixed(3).padStart(9) + " ms"; }

/** Non-zero counters only. */
export function nonZero(stats: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(stats).filter(([, v]) => v !== 0));
}

/** The default demo: ARP + 3 pings each way between two emulated hosts. Returns the exit code. */
export function pingDemo(ctx: ScenarioContext): number {
  const sim = new Sim({ seed: ctx.seed });
  const link = sim.link({ delayMs: 1 });
  const frames: (FrameSummary & { time: number; from: string; dropped: boolean })[] = [];
  const events: { time: number; host: string; event: string; seq: number }[] = [];
  sim.tap((r: TapRecord) => {
    const d = decodeFrame(r.frame);
    const to = r.link.ports.filter((_, i) => i !== r.from).map((p) => p.stack.name).join(",") || "(none)";
    frames.push({ ...d, time: r.time, from: r.fromName, dropped: r.dropped });
    if (!ctx.json) ctx.out(`${fmtTime(r.time)}  ${r.fromName} -> ${to}  ${r.dropped ? "(dropped) " : ""}${d.info}`);
  });
  const hosts: [Stack, string][] = [];
  for (const [name, ip, mac] of [["a", "198.51.100.1", "02:00:00:00:00:01"], ["b", "198.51.100.2", "02:00:00:00:00:02"]]) {
    const s = sim.addHost({ name, ip, mac, prefix: 24, link });
    s.onEvents((_sock, kind, arg) => {
      if (kind !== EventKind.EchoReply) return;
      events.push({ time: sim.now(), host: name, event: "echo-reply", seq: arg });
      if (!ctx.json) ctx.out(`${fmtTime(sim.now())}  ${name}: echo reply seq=${arg}`);
    });
    hosts.push([s, ip]);
  }
  const [[a, ipA], [b, ipB]] = hosts;
  const pings = 3;
  for (let i = 0; i < pings; i++) {
    sim.at(10 + i * 1000, () => a.ping(ipB, i + 1, { id: 1 }));
    sim.at(510 + i * 1000, () => b.ping(ipA, i + 1, { id: 2 }));
  }
  sim.run(10 + pings * 1000);
  const stats = { a: nonZero(a.stats()), b: nonZero(b.stats()) };
  const replies = events.length;
  const ok = replies === 2 * pings;
  if (ctx.json) {
    ctx.out(JSON.stringify({ ok, replies, events, frames, stats }, null, 2));
  } else {
    ctx.out("");
    ctx.out(`echo replies: ${replies}/${2 * pings}`);
    for (const [name, st] of Object.entries(stats)) {
      ctx.out(`counters ${name}: ${Object.entries(st).map(([k, v]) => `${k}=${v}`).join(" ")}`);
    }
  }
  return ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.stdout.on("error", (e: NodeJS.ErrnoException) => { if (e.code === "EPIPE") process.exit(0); throw e; });
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    process.stderr.write(`error: ${e instanceof Error ? e.stack ?? e.message : String(e)}\n`);
    process.exitCode = 1;
  });
}
