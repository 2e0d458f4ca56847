// Command line: `node dist/cli.js demo [ping] [--scenario NAME] [--json] [--seed N] [--lang en|zh]
// [--step] [--svg FILE] [--html FILE]`, `ladder CAPTURE.pcap -o OUT`, `states --svg FILE`.
// `demo` (npm start) tells TCP's story on two emulated hosts (198.51.100.1 and .2 /24): the
// walk-through scenario as a terminal ladder with explanations and ss -tan listings
// (src/story.ts); `--scenario NAME` tells another scenario; `demo ping` runs ARP resolution and
// three pings each way, printing every frame and the final counters. Bad usage: one line on
// stderr, exit code 2.

import { pathToFileURL } from "node:url";
import { Sim, TapRecord } from "./links/emulated.js";
import { EventKind, Stack } from "./stack.js";
import { decodeFrame, FrameSummary } from "./trace.js";
import { scenarios, ScenarioContext, type ScenarioRun, TCP_SCENARIOS } from "./scenarios.js";
import { netCommand } from "./cli-net.js";
import { readFileSync, writeFileSync } from "node:fs";
import { LANGS, type Lang, Say } from "./i18n-story.js";
import { tellStory } from "./story.js";
import { type Ladder, ladderFromPcap, ladderFromRun, statePath } from "./ladder.js";
import { ladderHtml, ladderSvg } from "./svg-ladder.js";
import { statesSvg } from "./svg-states.js";

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** ANSI colour in the story (the console: stdout is a TTY and NO_COLOR is unset or empty). */
  color?: boolean;
  /** Wait for Enter (`--step`; the console: only when stdin and stdout are TTYs). */
  waitEnter?(prompt: string): Promise<void>;
}

/** Wait for one line on a TTY stdin, then erase the prompt. */
function ttyWaitEnter(prompt: string): Promise<void> {
  process.stdout.write(prompt);
  return new Promise((resolve) => {
    process.stdin.resume();
    process.stdin.once("data", () => {
      process.stdin.pause();
      process.stdout.write("\x1b[1A\x1b[2K");
      resolve();
    });
  });
}

const consoleIo: CliIo = {
  out: (l) => process.stdout.write(l + "\n"),
  err: (l) => process.stderr.write(l + "\n"),
  color: process.stdout.isTTY === true && !process.env.NO_COLOR,
  waitEnter: process.stdin.isTTY === true && process.stdout.isTTY === true ? ttyWaitEnter : undefined,
};

export function usage(): string {
  const names = Object.keys(scenarios);
  const lines = [
    "usage: wasm-tcpip <command> [options]",
    "",
    "commands:",
    "  demo                 TCP's story on two emulated hosts (npm start): handshake, request and reply,",
    "                       four-way close, TIME-WAIT; a ladder of segments and states, why each step",
    "                       happens, ss -tan listings where netstat can catch a state",
    "  demo ping            two emulated hosts: ARP, then 3 pings each way; prints frames and counters",
    "  ladder CAPTURE.pcap -o OUT.svg|OUT.html [--conn N] [--lang en|zh]",
    "                       draw one TCP connection of a capture (ours or tcpdump's) as a ladder diagram,",
    "                       states inferred from the segments; N counts connections from 1 (default:",
    "                       the first that opens with a SYN)",
    "  states --svg FILE [--scenario NAME | --pcap FILE [--conn N]]",
    "                       RFC 9293's state diagram, the edges that connection took highlighted",
    "  up                   our stack on a TAP device serving echo/discard/HTTP (wasm-tcpip up --help)",
    "  get URL              download over HTTP/1.1 through our stack on a TAP (wasm-tcpip get --help)",
    "  resolve NAME         DNS lookup through our stack on a TAP (wasm-tcpip resolve --help)",
    "  time [SERVER]        SNTP query through our stack on a TAP (wasm-tcpip time --help)",
    "",
    "options (demo):",
    "  --scenario NAME      tell a named scenario (default: walk-through)",
    "  --json               machine-readable output: one JSON object per line (scenarios:",
    "                       state and segment events); one JSON document (demo ping)",
    "  --lang en|zh         the story's language (default en)",
    "  --step               wait for Enter before each segment (on a terminal)",
    "  --svg FILE           also draw the scenario as a ladder diagram (SVG)",
    "  --html FILE          ... and as an HTML page (the diagram and each segment's explanation)",
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

interface DemoArgs {
  ping: boolean; scenario?: string; json: boolean; seed: number; lang: Lang; step: boolean;
  svg?: string; html?: string; o?: string; conn?: number; pcap?: string; positional: string[];
}

/** Options of demo, ladder and states (each command checks which ones it takes). */
function parseArgs(args: string[], allowed: string[]): DemoArgs {
  const out: DemoArgs = { ping: false, json: false, seed: 1, lang: "en", step: false, positional: [] };
  const flags = new Set(["--json", "--step"]);
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const [flag, inline] = a.startsWith("--") && a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === "") throw new UsageError(`option ${flag} needs a value`);
      return v;
    };
    if (a.startsWith("-") && !allowed.includes(flag)) throw new UsageError(`unknown option ${flag} (see --help)`);
    if (flags.has(flag) && inline !== undefined) throw new UsageError(`option ${flag} takes no value`);
    if (flag === "--json") out.json = true;
    else if (flag === "--step") out.step = true;
    else if (flag === "--scenario") out.scenario = value();
    else if (flag === "--svg") out.svg = value();
    else if (flag === "--html") out.html = value();
    else if (flag === "-o") out.o = value();
    else if (flag === "--pcap") out.pcap = value();
    else if (flag === "--lang") {
      const v = value();
      if (!(LANGS as readonly string[]).includes(v)) throw new UsageError(`--lang wants one of ${LANGS.join(", ")}, got ${v}`);
      out.lang = v as Lang;
    } else if (flag === "--seed" || flag === "--conn") {
      const v = value();
      if (!/^\d+$/.test(v)) throw new UsageError(`${flag} wants a non-negative integer, got ${v}`);
      if (flag === "--seed") out.seed = Number(v); else out.conn = Number(v);
    } else out.positional.push(a);
  }
  if (out.scenario !== undefined && !Object.hasOwn(scenarios, out.scenario)) {
    const known = Object.keys(scenarios);
    throw new UsageError(`unknown scenario ${out.scenario} (known: ${known.length ? known.join(", ") : "none"})`);
  }
  return out;
}

function parseDemoArgs(args: string[]): DemoArgs {
  const out = parseArgs(args, ["--json", "--step", "--scenario", "--svg", "--html", "--lang", "--seed"]);
  const [first, ...extra] = out.positional;
  if (first === "ping") {
    out.ping = true;
    for (const f of ["scenario", "svg", "html"] as const) if (out[f] !== undefined) throw new UsageError(`demo ping takes no --${f}`);
  } else if (first !== undefined) throw new UsageError(`unexpected argument ${first} (see --help)`);
  if (extra.length) throw new UsageError(`unexpected argument ${extra[0]} (see --help)`);
  return out;
}

/** Read a capture file for `ladder` / `states --pcap` (a missing file is a usage error). */
function readCapture(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
}

function ladderOfCapture(path: string, conn: number | undefined): Ladder {
  const bytes = readCapture(path);
  try {
    return ladderFromPcap(bytes, conn, path.split("/").pop() ?? path);
  } catch (e) {
    throw new UsageError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Write a ladder picture as SVG or as an HTML page. */
function writeLadder(path: string, html: boolean, l: Ladder, lang: Lang, io: CliIo): void {
  writeFileSync(path, html ? ladderHtml(l, lang) : ladderSvg(l));
  io.err(`wrote ${path}`);
}

/** `wasm-tcpip ladder CAPTURE.pcap -o OUT.svg|OUT.html [--conn N] [--lang en|zh]` */
function ladderCommand(args: string[], io: CliIo): number {
  const a = parseArgs(args, ["-o", "--conn", "--lang"]);
  if (a.positional.length !== 1) throw new UsageError("ladder wants one capture file (see --help)");
  if (!a.o) throw new UsageError("ladder wants -o OUT.svg or -o OUT.html");
  if (!/\.(svg|html?)$/i.test(a.o)) throw new UsageError(`-o ${a.o}: the name must end in .svg or .html`);
  const l = ladderOfCapture(a.positional[0], a.conn);
  const segs = l.items.filter((x) => x.kind === "segment").length;
  io.out(`${l.ends.client} <-> ${l.ends.server}: ${segs} segments`);
  for (const side of ["client", "server"] as const) io.out(`  ${side}: ${statePath(l, side).join(" -> ")} (inferred)`);
  writeLadder(a.o, /\.html?$/i.test(a.o), l, a.lang, io);
  return 0;
}

/** `wasm-tcpip states --svg FILE [--scenario NAME | --pcap FILE [--conn N]]` */
async function statesCommand(args: string[], io: CliIo): Promise<number> {
  const a = parseArgs(args, ["--svg", "--scenario", "--pcap", "--conn", "--seed"]);
  if (a.positional.length) throw new UsageError(`unexpected argument ${a.positional[0]} (see --help)`);
  if (!a.svg) throw new UsageError("states wants --svg FILE");
  if (a.scenario !== undefined && a.pcap !== undefined) throw new UsageError("states takes --scenario or --pcap, not both");
  if (a.scenario !== undefined && !TCP_SCENARIOS.includes(a.scenario)) throw new UsageError(`${a.scenario} is not a TCP scenario`);
  const { runScenario } = await import("./scenarios.js");
  const l = a.scenario !== undefined ? ladderFromRun(a.scenario, runScenario(a.scenario, a.seed))
    : a.pcap !== undefined ? ladderOfCapture(a.pcap, a.conn) : undefined;
  writeFileSync(a.svg, statesSvg(l));
  io.err(`wrote ${a.svg}`);
  return 0;
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
    if (cmd === "ladder") return ladderCommand(rest, io);
    if (cmd === "states") return await statesCommand(rest, io);
    if (cmd !== "demo") throw new UsageError(`unknown command ${cmd} (see --help)`);
    const args = parseDemoArgs(rest);
    const ctx: ScenarioContext = { json: args.json, seed: args.seed, out: io.out };
    if (args.ping) return pingDemo(ctx);
    const name = args.scenario ?? "walk-through";
    const wait = args.step && io.waitEnter ? io.waitEnter : undefined;
    const prompt = new Say(args.lang).step();
    ctx.tell = (n: string, run: ScenarioRun) =>
      tellStory(n, run, io.out, { lang: args.lang, color: io.color === true, step: wait && (() => wait(prompt)) });
    ctx.onRun = (n: string, run: ScenarioRun) => {
      if (args.svg !== undefined) writeLadder(args.svg, false, ladderFromRun(n, run), args.lang, io);
      if (args.html !== undefined) writeLadder(args.html, true, ladderFromRun(n, run), args.lang, io);
    };
    if ((args.svg !== undefined || args.html !== undefined) && !TCP_SCENARIOS.includes(name)) {
      throw new UsageError(`--svg/--html draw TCP scenarios; ${name} is not one`);
    }
    return await scenarios[name].run(ctx);
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
