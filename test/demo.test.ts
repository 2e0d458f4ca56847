// The CLI: `demo` (ARP + 3 pings each way), flag parsing, exit codes.
import { describe, expect, it } from "vitest";
import { main } from "../src/cli.js";
import { scenarios } from "../src/scenarios.js";

async function run(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

describe("cli demo", () => {
  it("runs ARP resolution and 3 pings each way, prints each frame and the counters, exits 0", async () => {
    const r = await run(["demo"]);
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
    expect((await run(["demo"])).out).toBe((await run(["demo"])).out);
  });

  it("--json prints one JSON document with the frames, events and counters", async () => {
    const r = await run(["demo", "--json"]);
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

describe("npm start (compiled CLI)", () => {
  it("`node dist/cli.js demo` exits 0 and prints the replies", async () => {
    const { spawnSync } = await import("node:child_process");
    // tsc emits even when another file has a type error; only the run matters here.
    spawnSync("node", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"], { encoding: "utf8" });
    const r = spawnSync("node", ["dist/cli.js", "demo"], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("echo replies: 6/6");
    const bad = spawnSync("node", ["dist/cli.js", "demo", "--nope"], { encoding: "utf8", timeout: 30_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });
});
