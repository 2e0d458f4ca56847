// The CLI: `demo` (the TCP story, src/story.ts), `demo ping` (ARP + 3 pings each way), flag parsing,
// exit codes; the compiled CLI on a pipe and on a pseudo-terminal (colour, NO_COLOR, --step).
import { describe, expect, it } from "vitest";
import { spawnSync as spawnSyncTop } from "node:child_process";
import { main } from "../src/cli.js";
import { scenarios } from "../src/scenarios.js";

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("cli demo ping", () => {
  it("runs ARP resolution and 3 pings each way, prints each frame and the counters, exits 0", async () => {
    const r = await run(["demo", "ping"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("a -> b  ARP who-has 198.51.100.2 tell 198.51.100.1");
    expect(r.out).toContain("b -> a  ARP 198.51.100.2 is-at 02:00:00:00:00:02");
    for (const seq of [1, 2, 3]) {
      expect(r.out).toContain(`a: echo reply seq=${seq}`);
      expect(r.out).toContain(`b: echo reply seq=${seq}`);
      expect(r.out).toContain(`ICMP echo reply 198.51.100.2 > 198.51.100.1 id=1 seq=${seq}`);
    }
    expect(r.out).toContain("echo replies: 6/6");
    expect(r.out).toMatch(/counters a: .*icmp_echo_replies_rx=3/);
    expect(r.err).toBe("");
  });

  it("is deterministic: two runs print the same thing", async () => {
    expect((await run(["demo", "ping"])).out).toBe((await run(["demo", "ping"])).out);
  });

  it("--json prints one JSON document with the frames, events and counters", async () => {
    const r = await run(["demo", "ping", "--json"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc.ok).toBe(true);
    expect(doc.replies).toBe(6);
    expect(doc.events.map((e: { seq: number }) => e.seq)).toEqual([1, 1, 2, 2, 3, 3]);
    expect(doc.frames.filter((f: { proto: string }) => f.proto === "ICMP")).toHaveLength(12);
    expect(doc.stats.b.icmp_echo_replies_tx).toBe(3);
  });

  it("--help prints usage and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/usage: wasm-tcpip/);
    expect(r.out).toContain("--scenario NAME");
  });

  it.each([
    [["demo", "--bogus"], /unknown option --bogus/],
    [["demo", "--seed"], /--seed needs a value/],
    [["demo", "--seed", "x"], /non-negative integer/],
    [["demo", "extra"], /unexpected argument extra/],
    [["frobnicate"], /unknown command frobnicate/],
    [[], /missing command/],
    [["demo", "--scenario", "nope"], /unknown scenario nope/],
    [["demo", "--lang", "fr"], /--lang wants one of en, zh, got fr/],
    [["demo", "ping", "--svg", "x.svg"], /demo ping takes no --svg/],
    [["demo", "ping", "extra"], /unexpected argument extra/],
    [["demo", "--step=1"], /--step takes no value/],
    [["ladder"], /ladder wants one capture file/],
    [["ladder", "x.pcap"], /ladder wants -o/],
    [["ladder", "x.pcap", "-o", "x.png"], /must end in .svg or .html/],
    [["ladder", "/nonexistent/x.pcap", "-o", "x.svg"], /cannot read \/nonexistent\/x.pcap: ENOENT/],
    [["states"], /states wants --svg FILE/],
    [["states", "--svg", "x.svg", "--scenario", "walk-through", "--pcap", "x.pcap"], /not both/],
    [["states", "--svg", "x.svg", "--bogus"], /unknown option --bogus/],
  ])("bad usage %j: one-line error, exit code 2", async (argv, msg) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(msg);
    expect(r.err.split("\n")).toHaveLength(1);
    expect(r.out).toBe("");
  });

  it("--scenario NAME runs a registered scenario with --json and --seed passed through", async () => {
    const seen: unknown[] = [];
    scenarios["test-only"] = { description: "records its context", run: (ctx) => { seen.push([ctx.json, ctx.seed]); ctx.out("hi"); return 3; } };
    try {
      const r = await run(["demo", "--scenario", "test-only", "--json", "--seed=9"]);
      expect(r.code).toBe(3);
      expect(r.out).toBe("hi");
      expect(seen).toEqual([[true, 9]]);
      expect((await run(["--help"])).out).toContain("test-only");
    } finally {
      delete scenarios["test-only"];
    }
  });
});

describe("the README's npm start output", () => {
  it("is what `demo` prints now (the block under \"What `npm start` shows\")", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync("README.md", "utf8");
    const block = /### What `npm start` shows[\s\S]*?```console\n([\s\S]*?)\n```/.exec(readme)![1];
    const pasted = block.split("\n").filter((l) => !l.startsWith("> ")).join("\n").replace(/^\n+/, "");
    expect(pasted).toBe((await run(["demo"])).out);
  });
});

describe("npm start (compiled CLI)", () => {
  // tsc emits even when another file has a type error; only the run matters here.
  let built = false;
  const build = async () => {
    const { spawnSync } = await import("node:child_process");
    if (!built) spawnSync("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { encoding: "utf8" });
    built = true;
    return spawnSync;
  };
  const ESC = "\x1b[";

  it("`node dist/cli.js demo` (npm start) tells the story on a pipe: no colour, exit 0; `demo ping` still pings", async () => {
    const spawnSync = await build();
    const r = spawnSync("node", ["dist/cli.js", "demo"], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("── SYN seq=0 len=0 ─");
    expect(r.stdout).toContain("ss -tan on both hosts");
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("result: ok");
    expect(r.stdout).not.toContain(ESC);
    const ping = spawnSync("node", ["dist/cli.js", "demo", "ping"], { encoding: "utf8", timeout: 30_000 });
    expect(ping.status).toBe(0);
    expect(ping.stdout).toContain("echo replies: 6/6");
    const bad = spawnSync("node", ["dist/cli.js", "demo", "--nope"], { encoding: "utf8", timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });

  // script(1) (util-linux) runs the CLI on a pseudo-terminal: stdin and stdout are TTYs there
  const hasScript = spawnSyncTop("script", ["--version"]).status === 0;
  it.skipIf(!hasScript)("on a terminal: colour, none with NO_COLOR; --step waits for Enter before each segment after the first", async () => {
    const spawnSync = await build();
    const tty = (cmd: string, env: NodeJS.ProcessEnv, input = "") =>
      spawnSync("script", ["-qec", cmd, "/dev/null"], { encoding: "utf8", timeout: 30_000, env: { ...process.env, ...env }, input });
    const plain = { ...process.env };
    delete plain.NO_COLOR;
    const coloured = spawnSync("script", ["-qec", "node dist/cli.js demo", "/dev/null"], { encoding: "utf8", timeout: 30_000, env: plain });
    expect(coloured.status).toBe(0);
    expect(coloured.stdout).toContain(`${ESC}32mresult: ok${ESC}0m`);
    const noColor = tty("node dist/cli.js demo", { NO_COLOR: "1" });
    expect(noColor.status).toBe(0);
    expect(noColor.stdout).not.toContain(ESC);
    expect(noColor.stdout).toContain("result: ok");
    const segments = spawnSync("node", ["dist/cli.js", "demo", "--json"], { encoding: "utf8" }).stdout.split("\n").filter((l) => l.includes('"segment"')).length;
    const stepped = tty("node dist/cli.js demo --step", { NO_COLOR: "1" }, "\n".repeat(segments + 5));
    expect(stepped.status).toBe(0);
    expect(stepped.stdout.split("(Enter: next step)").length - 1).toBe(segments - 1);
    // not a terminal: --step is ignored, the story runs through
    const piped = spawnSync("node", ["dist/cli.js", "demo", "--step"], { encoding: "utf8", timeout: 30_000, input: "" });
    expect(piped.status).toBe(0);
    expect(piped.stdout).not.toContain("Enter: next step");
  });
});
