// The TCP story (src/story.ts, src/i18n-story.ts) and the ladder model (src/ladder.ts): what
// `npm start` says at each step, the ss -tan listings, English and Chinese, colour and --step;
// the states inferred from a capture (ours, a kernel capture, a Linux cooked capture) against
// the states the core reported; the ladder and states commands.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../src/cli.js";
import { type Ladder, ladderFromPcap, ladderFromRun, statePath } from "../src/ladder.js";
import { PcapWriter } from "../src/pcap.js";
import { runScenario, type ScenarioRun, TCP_SCENARIOS } from "../src/scenarios.js";
import { tellStory } from "../src/story.js";
import { FIGURE_EDGES, statesSvg, takenEdges } from "../src/svg-states.js";
import { readPcap, writePcap } from "./helpers/pcap.js";

const runs = new Map<string, ScenarioRun>();
const run = (n: string): ScenarioRun => { if (!runs.has(n)) runs.set(n, runScenario(n)); return runs.get(n)!; };

async function story(name: string, opts: Partial<Parameters<typeof tellStory>[3]> = {}): Promise<string[]> {
  const out: string[] = [];
  await tellStory(name, run(name), (l) => out.push(l), { lang: "en", color: false, ...opts });
  return out;
}
/** The explanations unwrapped (continuation lines are indented 24 columns). */
const prose = (lines: string[]) => lines.join("\n").replace(/\n {24}(?=\S)/g, " ");
const segCount = (name: string) => run(name).records.filter((r) => r.event === "segment").length;

const tmp = mkdtempSync(join(tmpdir(), "wt-story-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("npm start's story (walk-through)", () => {
  it("draws every segment as an arrow with flags, relative seq/ack and len, in both directions", async () => {
    const out = await story("walk-through");
    const arrows = out.filter((l) => /─▶$|^ +◀─/.test(l));
    expect(arrows).toHaveLength(segCount("walk-through"));
    expect(arrows[0]).toMatch(/^ {24}── SYN seq=0 len=0 ─+▶$/);
    expect(arrows[1]).toMatch(/^ {24}◀─+ SYN,ACK seq=0 ack=1 len=0 ──$/);
    expect(arrows[2]).toMatch(/── ACK seq=1 ack=1 len=0 ─+▶$/);
  });

  it("shows each side's state changes in its own column, in the order the core reported them", async () => {
    const out = await story("walk-through");
    const l = ladderFromRun("walk-through", run("walk-through"));
    const client = out.map((x) => /^[ \d.ms]{9} ([A-Z12-]+) +· /.exec(x)?.[1]).filter(Boolean);
    const server = out.map((x) => / · ([A-Z12-]+)$/.exec(x)?.[1]).filter(Boolean);
    expect(["CLOSED", ...client]).toEqual(statePath(l, "client"));
    expect(["CLOSED", ...server]).toEqual(statePath(l, "server"));
  });

  it("says why in the seed's terms: ACK = seq + 1 for SYN and FIN, three segments to open, four to close, TIME-WAIT 2·MSL", async () => {
    const text = prose(await story("walk-through"));
    expect(text).toContain("ack=1 is the SYN's seq + 1 because a SYN takes one number");
    expect(text).toContain("opening needs three segments, not four");
    expect(text).toContain("(ack=15 = the FIN's seq + 1) but does not close yet: it may still have data to send. That is why closing takes four segments");
    expect(text).toContain("3 bytes from server on a half-closed connection");
    expect(text).toContain("Client stays in TIME-WAIT for 2·MSL: if this ACK is lost, server sends its FIN again");
    expect(text).toMatch(/TIME-WAIT +· waits 2·MSL \(60000 ms\)/);
  });

  it("prints ss -tan listings of both hosts at SYN-RECEIVED, FIN-WAIT-2 / CLOSE-WAIT and TIME-WAIT", async () => {
    const out = await story("walk-through");
    const titles = out.filter((l) => l.includes("── ss -tan on both hosts at"));
    expect(titles.map((t) => /at ([\d.]+) ms/.exec(t)![1])).toEqual(run("walk-through").listings.map((x) => String(x.t)));
    const text = out.join("\n");
    const port = run("walk-through").ports.client;
    expect(text).toMatch(new RegExp(`SYN-RECEIVED +0 +0 +198\\.51\\.100\\.2:80 +198\\.51\\.100\\.1:${port}`));
    expect(text).toMatch(new RegExp(`FIN-WAIT-2 +0 +0 +198\\.51\\.100\\.1:${port} +198\\.51\\.100\\.2:80`));
    expect(text).toMatch(new RegExp(`CLOSE-WAIT +0 +0 +198\\.51\\.100\\.2:80 +198\\.51\\.100\\.1:${port}`));
    expect(text).toMatch(new RegExp(`TIME-WAIT +0 +0 +198\\.51\\.100\\.1:${port} +198\\.51\\.100\\.2:80`));
    expect(prose(out)).toContain("it stays visible when the handshake's last ACK is withheld or lost");
  });

  it("--lang zh tells the same ladder in Chinese", async () => {
    const [en, zh] = [await story("walk-through"), await story("walk-through", { lang: "zh" })];
    const arrows = (o: string[]) => o.filter((l) => /─▶$|◀─/.test(l));
    expect(arrows(zh)).toEqual(arrows(en));
    const text = zh.join("\n").replace(/\n {24}(?=\S)/g, "");
    expect(text).toContain("因为 SYN 占一个序号");
    expect(text).toContain("所以关闭要四个报文");
    expect(text).toContain("停留 2·MSL");
    expect(text).toContain("客户端：应用程序发起连接");
    expect(text).not.toContain("opening needs three segments");
    expect(zh.at(-1)).toBe("结果：正常");
  });

  it("colour only when asked; --step is called before each segment after the first", async () => {
    expect((await story("walk-through")).join("")).not.toContain("\x1b[");
    expect((await story("walk-through", { color: true })).join("")).toContain("\x1b[32mresult: ok\x1b[0m");
    let steps = 0;
    await story("walk-through", { step: async () => { steps++; } });
    expect(steps).toBe(segCount("walk-through") - 1);
  });

  it("every scenario can be told (lost segments end in ✕, retransmissions say (rtx))", async () => {
    for (const n of TCP_SCENARIOS) {
      const out = await story(n);
      expect(out.at(-1), n).toBe("result: ok");
      const r = run(n);
      const lost = r.records.filter((x) => x.event === "segment" && x.dropped).length;
      expect(out.filter((l) => l.includes("✕")).length, n).toBe(lost);
    }
    expect((await story("lost-handshake-ack")).some((l) => /◀─+ \(rtx\) SYN,ACK seq=0 ack=1 len=0 ──$/.test(l))).toBe(true);
  });
});

// ---------------------------------------------------------------------------

/** A scenario's frames as a pcap, as `PcapWriter.attach` would record them (dropped frames left out). */
function scenarioPcap(name: string): Uint8Array {
  const path = join(tmp, `${name}.pcap`);
  // re-run the scenario with a writer attached to its link through the scenario's own Sim
  const w = new PcapWriter(path, { clockUs: () => 0 });
  const r = runScenario(name, 1, (sim) => w.attach(sim));
  w.close();
  expect(r.ok).toBe(true);
  return readFileSync(path);
}

/** The core's path without what a capture cannot show: the listener's CLOSED -> LISTEN and the end of TIME-WAIT. */
function wireView(path: string[]): string[] {
  const p = path[0] === "CLOSED" && path[1] === "LISTEN" ? path.slice(1) : path;
  return p.at(-2) === "TIME-WAIT" && p.at(-1) === "CLOSED" ? p.slice(0, -1) : p;
}

describe("ladder from a capture: states inferred from the segments (RFC 9293 §3.3.2)", () => {
  const core = (n: string, side: "client" | "server") => wireView(statePath(ladderFromRun(n, run(n)), side));

  it.each(TCP_SCENARIOS.filter((n) => n !== "syn-received-timeout"))("%s: the inferred paths are the core's", (n) => {
    const l = ladderFromPcap(scenarioPcap(n));
    expect(l.inferred).toBe(true);
    for (const side of ["client", "server"] as const) expect([n, side, statePath(l, side)]).toEqual([n, side, core(n, side)]);
    // the same segments, minus the ones the link dropped
    const wire = run(n).records.filter((x) => x.event === "segment" && !x.dropped).length;
    expect(l.items.filter((x) => x.kind === "segment")).toHaveLength(wire);
  });

  it("a kernel capture (test/fixtures/kernel.pcap, dumpcap on a veth): handshake, a retransmission, half-close, close", () => {
    const l = ladderFromPcap(readFileSync("test/fixtures/kernel.pcap"));
    expect(l.ends).toEqual({ client: "client 198.51.100.1:44120", server: "server 198.51.100.2:5000" });
    expect(statePath(l, "client")).toEqual(["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"]);
    expect(statePath(l, "server")).toEqual(["LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"]);
    const segs = l.items.filter((x) => x.kind === "segment");
    expect(segs.filter((s) => s.retransmission).map((s) => [s.relSeq, s.len])).toEqual([[101, 777]]);
    expect(segs[1]).toMatchObject({ flags: "SYN,ACK", relSeq: 0, relAck: 1 });
  });

  it("reads Linux cooked (tcpdump -i any: SLL, SLL2) and raw IP captures to the same ladder", () => {
    const eth = readPcap(readFileSync("test/fixtures/kernel.pcap"));
    const sll = eth.packets.map((p) => {
      const d = new Uint8Array(16 + p.data.length - 14);
      d.set([0, 0, 0, 1, 0, 6], 0);           // packet type, ARPHRD_ETHER, address length
      d.set(p.data.subarray(6, 12), 6);       // source MAC
      d.set(p.data.subarray(12), 14);         // protocol + payload
      return { tsSec: p.tsSec, tsUsec: p.tsUsec, data: d };
    });
    const a = ladderFromPcap(readFileSync("test/fixtures/kernel.pcap"));
    const b = ladderFromPcap(writePcap(sll, 113));
    expect(b.items).toEqual(a.items);
    // LINKTYPE_LINUX_SLL2 (tcpdump -i any since libpcap 1.10): protocol first, 20-byte header
    const sll2 = eth.packets.map((p) => {
      const d = new Uint8Array(20 + p.data.length - 14);
      d.set(p.data.subarray(12, 14), 0);      // protocol
      d.set([0, 1, 0, 6], 8);                 // ARPHRD_ETHER, packet type, address length
      d.set(p.data.subarray(14), 20);
      return { tsSec: p.tsSec, tsUsec: p.tsUsec, data: d };
    });
    expect(ladderFromPcap(writePcap(sll2, 276)).items).toEqual(a.items);
    // LINKTYPE_RAW: the IP packet alone (ARP frames dropped, as a raw capture has none)
    const raw = eth.packets.filter((p) => p.data[12] === 0x08 && p.data[13] === 0x00).map((p) => ({ tsSec: p.tsSec, tsUsec: p.tsUsec, data: p.data.subarray(14) }));
    expect(ladderFromPcap(writePcap(raw, 101)).items).toEqual(a.items);
  });

  it("a capture that starts mid-connection starts both sides ESTABLISHED", () => {
    const eth = readPcap(readFileSync("test/fixtures/kernel.pcap"));
    const l = ladderFromPcap(writePcap(eth.packets.slice(12)));
    expect(l.initial).toEqual({ client: "ESTABLISHED", server: "ESTABLISHED" });
  });

  it("--conn N picks the Nth connection; out of range is an error", () => {
    const bytes = readFileSync("test/fixtures/kernel.pcap");
    expect(ladderFromPcap(bytes, 1).ends.server).toBe("server 198.51.100.2:5000");
    expect(() => ladderFromPcap(bytes, 2)).toThrow(/has 1 TCP connection/);
  });
});

describe("ladder and states commands", () => {
  async function cli(argv: string[]) {
    const out: string[] = [], err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  }

  it("`ladder CAPTURE -o OUT.svg|.html` draws a kernel capture; prints the inferred paths", async () => {
    const svg = join(tmp, "k.svg"), html = join(tmp, "k.html");
    const r = await cli(["ladder", "test/fixtures/kernel.pcap", "-o", svg]);
    expect(r.code).toBe(0);
    expect(r.out[1]).toBe("  client: CLOSED -> SYN-SENT -> ESTABLISHED -> FIN-WAIT-1 -> FIN-WAIT-2 -> TIME-WAIT (inferred)");
    const s = readFileSync(svg, "utf8");
    expect(s.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"")).toBe(true);
    expect(s.match(/class="seg-label/g)).toHaveLength(21);
    expect(s).toContain("↻ PSH,ACK seq=101 ack=1 len=777");
    expect((await cli(["ladder", "test/fixtures/kernel.pcap", "-o", html, "--conn", "1", "--lang", "zh"])).code).toBe(0);
    expect(readFileSync(html, "utf8")).toMatch(/^<!doctype html>[\s\S]*<svg[\s\S]*客户端/);
    const bad = await cli(["ladder", "test/fixtures/kernel.pcap", "-o", svg, "--conn", "3"]);
    expect([bad.code, bad.err]).toEqual([2, ["error: test/fixtures/kernel.pcap: --conn 3: the capture has 1 TCP connection(s)"]]);
  });

  it("a capture it cannot read is a one-line error, exit code 2: pcapng, truncated, no TCP, unknown link type", async () => {
    const cases: [Uint8Array, RegExp][] = [
      [new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, ...new Array(28).fill(0)]), /pcapng is not supported/],
      [readFileSync("test/fixtures/kernel.pcap").subarray(0, 200), /runs past the end/],
      [writePcap([]), /no TCP\/IPv4 segments/],
      [writePcap([{ data: new Uint8Array(60) }], 147), /link type 147 is not supported/],
    ];
    for (const [bytes, msg] of cases) {
      const f = join(tmp, "bad.pcap");
      writeFileSync(f, bytes);
      const r = await cli(["ladder", f, "-o", join(tmp, "bad.svg")]);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(msg);
    }
  });

  it("`demo --scenario NAME --svg F --html F` writes both pictures", async () => {
    const svg = join(tmp, "s.svg"), html = join(tmp, "s.html");
    const r = await cli(["demo", "--scenario", "lost-handshake-ack", "--json", "--svg", svg, "--html", html]);
    expect(r.code).toBe(0);
    expect(r.out.every((l) => JSON.parse(l))).toBe(true);
    expect(readFileSync(svg, "utf8")).toContain("ACK seq=1 ack=1 len=0 (lost)");
    expect(readFileSync(html, "utf8")).toContain("Lost on the link: server never sees this segment.");
  });

  it("`states --svg F --scenario NAME | --pcap F` highlights the edges the connection took", async () => {
    const f = join(tmp, "st.svg");
    expect((await cli(["states", "--svg", f, "--scenario", "simultaneous-close"])).code).toBe(0);
    const s = readFileSync(f, "utf8");
    expect(s).toMatch(/class="edge taken both" d="[^"]+" data-from="FIN-WAIT-1" data-to="CLOSING"/);
    expect(s).toMatch(/class="edge taken both" d="[^"]+" data-from="CLOSING" data-to="TIME-WAIT"/);
    expect(s).toMatch(/class="edge" d="[^"]+" data-from="FIN-WAIT-1" data-to="FIN-WAIT-2"/);
    expect((await cli(["states", "--svg", f, "--pcap", "test/fixtures/kernel.pcap"])).code).toBe(0);
    expect(readFileSync(f, "utf8")).toMatch(/class="edge taken client" d="[^"]+" data-from="FIN-WAIT-2" data-to="TIME-WAIT"/);
    expect((await cli(["states", "--svg", f])).code).toBe(0);
    expect(readFileSync(f, "utf8")).not.toContain("class=\"edge taken");
  });

  it("every transition of every scenario is one of Figure 5's edges, except the resets and timeouts it leaves out", () => {
    const fig = new Set(FIGURE_EDGES.map((e) => `${e.from}>${e.to}`));
    const extra = new Set<string>();
    for (const n of TCP_SCENARIOS) {
      const l: Ladder = ladderFromRun(n, run(n));
      for (const side of ["client", "server"] as const) for (const [a, b] of takenEdges(l)[side]) if (!fig.has(`${a}>${b}`)) extra.add(`${a}>${b}`);
      expect(statesSvg(l)).toContain("taken");
    }
    expect([...extra].sort()).toEqual(["ESTABLISHED>CLOSED-END", "SYN-RECEIVED>CLOSED-END"]);
  });
});
