// The demo's TCP scenarios (src/scenarios.ts): each one's exact state paths and the key
// segments, by RFC section; the --json line format; determinism.
import { describe, expect, it } from "vitest";
import { main } from "../src/cli.js";
import {
  LOSS_RECOVERY_BYTES, runScenario, ScenarioRun, SegmentRecord, Side, StateRecord, TCP_SCENARIOS, TraceRecord,
} from "../src/scenarios.js";

const MSL = 30_000;         // Cfg.MslMs default
const RTO_INITIAL = 1000;   // Cfg.RtoInitialMs default
const RTO_MIN = 200;        // Cfg.RtoMinMs default
const SYN_RETRIES = 5;      // Cfg.SynRetries default

const cache = new Map<string, ScenarioRun>();
function run(name: string): ScenarioRun {
  let r = cache.get(name);
  if (!r) { r = runScenario(name); cache.set(name, r); }
  return r;
}

const segs = (r: ScenarioRun, src?: Side): SegmentRecord[] =>
  r.records.filter((x): x is SegmentRecord => x.event === "segment" && (!src || x.src === src));
const states = (r: ScenarioRun, side: Side): StateRecord[] =>
  r.records.filter((x): x is StateRecord => x.event === "state" && x.side === side);
const path = (r: ScenarioRun, side: Side): string[] => {
  const s = states(r, side);
  return s.length ? [s[0].from, ...s.map((x) => x.to)] : [];
};
const has = (s: SegmentRecord, flag: string) => s.flags.split(",").includes(flag);
const u32 = (n: number) => n >>> 0;
/** Time a side entered a state (the first time). */
const entered = (r: ScenarioRun, side: Side, to: string): number => {
  const s = states(r, side).find((x) => x.to === to);
  if (!s) throw new Error(`${side} never entered ${to}`);
  return s.t;
};
/** The state of each side just before record i. */
function stateAt(records: TraceRecord[], i: number): Record<Side, string> {
  const st: Record<Side, string> = { client: "CLOSED", server: "CLOSED" };
  for (let k = 0; k < i; k++) { const x = records[k]; if (x.event === "state") st[x.side] = x.to; }
  return st;
}
/** The first segment from `src` acknowledging `ack` (after index `from`). */
const ackOf = (r: ScenarioRun, src: Side, ack: number): SegmentRecord | undefined =>
  segs(r, src).find((s) => has(s, "ACK") && s.ack === u32(ack));

const ACTIVE = ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"];
const PASSIVE = ["CLOSED", "LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"];

describe("scenario registry", () => {
  it("has the scenarios of issues 3 and 11, each ending ok", () => {
    expect(TCP_SCENARIOS).toEqual([
      "walk-through", "handshake-close", "half-close", "simultaneous-open", "simultaneous-close", "fin-ack-combined",
      "lost-handshake-ack", "syn-received-timeout", "lost-last-ack", "refused", "loss-recovery",
    ]);
    for (const n of TCP_SCENARIOS) expect([n, run(n).problems]).toEqual([n, []]);
  });

  it("is deterministic: the same seed gives the same records", () => {
    for (const n of ["handshake-close", "loss-recovery"]) expect(runScenario(n).records).toEqual(run(n).records);
  });

  it("every scenario reaches its outcome whatever the seed (ISNs and ephemeral ports vary; drops are scripted)", () => {
    const bad: string[] = [];
    for (let seed = 2; seed <= 20; seed++) {
      for (const n of TCP_SCENARIOS) { const r = runScenario(n, seed); if (!r.ok) bad.push(`${n} seed ${seed}: ${r.problems.join("; ")}`); }
    }
    expect(bad).toEqual([]);
  });

  it("seq/ack are absolute numbers that depend on the seed (RFC 6528 ISNs from the host's entropy)", () => {
    const a = segs(run("handshake-close"))[0], b = segs(runScenario("handshake-close", 7))[0];
    expect(a.flags).toBe("SYN");
    expect(b.seq).not.toBe(a.seq);
  });
});

describe("handshake-close", () => {
  it("RFC 9293 §3.5: three-way handshake SYN; SYN,ACK (ack = ISS + 1); ACK (ack = server ISS + 1)", () => {
    const [syn, synack, ack] = segs(run("handshake-close"));
    expect([syn.src, syn.flags, synack.src, synack.flags, ack.src, ack.flags]).toEqual(["client", "SYN", "server", "SYN,ACK", "client", "ACK"]);
    expect(synack.ack).toBe(u32(syn.seq + 1));
    expect(ack.seq).toBe(u32(syn.seq + 1));
    expect(ack.ack).toBe(u32(synack.seq + 1));
  });

  it("RFC 9293 §3.3.2 (Figure 5): the active closer goes FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT; the passive one CLOSE-WAIT, LAST-ACK", () => {
    const r = run("handshake-close");
    expect(path(r, "client")).toEqual(ACTIVE);
    expect(path(r, "server")).toEqual(PASSIVE);
  });

  it("RFC 9293 §3.6: each FIN consumes one sequence number: its ACK is seq + len + 1", () => {
    const r = run("handshake-close");
    for (const side of ["client", "server"] as const) {
      const fin = segs(r, side).find((s) => has(s, "FIN"))!;
      const peer = side === "client" ? "server" : "client";
      expect(ackOf(r, peer, fin.seq + fin.len + 1)).toBeDefined();
      expect(ackOf(r, peer, fin.seq + fin.len)).toBeDefined(); // the data before it was acked without the FIN
    }
  });

  it("RFC 9293 §3.10.7.4: TIME-WAIT lasts 2*MSL before CLOSED", () => {
    const r = run("handshake-close");
    expect(states(r, "client").at(-1)!.t - entered(r, "client", "TIME-WAIT")).toBe(2 * MSL);
    expect(r.received.server.toString()).toBe("hello, server");
    expect(r.received.client.toString()).toBe("hello, client");
  });
});

describe("half-close", () => {
  it("RFC 9293 §3.6: after a FIN, CLOSE-WAIT may still send data and FIN-WAIT-2 still receives it", () => {
    const r = run("half-close");
    expect(path(r, "client")).toEqual(ACTIVE);
    expect(path(r, "server")).toEqual(PASSIVE);
    const data = r.records.map((x, i) => [x, i] as const).filter(([x]) => x.event === "segment" && x.src === "server" && x.len > 0);
    expect(data.length).toBe(2);
    for (const [seg, i] of data) {
      expect(stateAt(r.records, i)).toEqual({ server: "CLOSE-WAIT", client: "FIN-WAIT-2" });
      expect(seg.event === "segment" && seg.dropped).toBe(false);
    }
    expect(r.received.client.length).toBe(2000);
    expect(r.received.client.subarray(0, 1000).every((b) => b === 0x61)).toBe(true);
    expect(r.received.client.subarray(1000).every((b) => b === 0x62)).toBe(true);
  });

  it("RFC 9293 §3.10.7.4: FIN-WAIT-2 acknowledges the data it receives and then the FIN (seq + 1)", () => {
    const r = run("half-close");
    const fin = segs(r, "server").find((s) => has(s, "FIN"))!;
    for (const d of segs(r, "server").filter((s) => s.len > 0)) expect(ackOf(r, "client", d.seq + d.len)).toBeDefined();
    expect(ackOf(r, "client", fin.seq + 1)).toBeDefined();
  });
});

describe("simultaneous-open", () => {
  it("RFC 9293 §3.5 (Figure 8): both sides go SYN-SENT -> SYN-RECEIVED -> ESTABLISHED", () => {
    const r = run("simultaneous-open");
    const open = ["CLOSED", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"];
    expect(path(r, "client").slice(0, 4)).toEqual(open);
    expect(path(r, "server").slice(0, 4)).toEqual(open);
    expect(path(r, "client").slice(3)).toEqual(["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"]);
    expect(path(r, "server").slice(3)).toEqual(["ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"]);
  });

  it("RFC 9293 §3.5: each side answers the other's SYN with SYN,ACK re-sending its own ISS, ack = peer ISS + 1", () => {
    const r = run("simultaneous-open");
    for (const side of ["client", "server"] as const) {
      const peer = side === "client" ? "server" : "client";
      const syn = segs(r, side).find((s) => s.flags === "SYN")!;
      const peerSyn = segs(r, peer).find((s) => s.flags === "SYN")!;
      const sa = segs(r, side).find((s) => s.flags === "SYN,ACK")!;
      expect(sa.seq).toBe(syn.seq);
      expect(sa.ack).toBe(u32(peerSyn.seq + 1));
    }
    // both SYNs left before either side received the other's
    const fl = segs(r).map((s) => s.flags);
    expect(fl.slice(0, 2)).toEqual(["SYN", "SYN"]);
  });
});

describe("simultaneous-close", () => {
  it("RFC 9293 §3.6 (Figure 13): both sides go FIN-WAIT-1 -> CLOSING -> TIME-WAIT -> CLOSED", () => {
    const r = run("simultaneous-close");
    const close = ["ESTABLISHED", "FIN-WAIT-1", "CLOSING", "TIME-WAIT", "CLOSED"];
    expect(path(r, "client")).toEqual(["CLOSED", "SYN-SENT", ...close]);
    expect(path(r, "server")).toEqual(["CLOSED", "LISTEN", "SYN-RECEIVED", ...close]);
  });

  it("RFC 9293 §3.6: the FINs cross (both sent before either arrives) and each is acknowledged with seq + 1", () => {
    const r = run("simultaneous-close");
    const fins = segs(r).filter((s) => has(s, "FIN"));
    expect(fins.map((f) => f.src).sort()).toEqual(["client", "server"]);
    expect(fins[0].t).toBe(fins[1].t);
    for (const f of fins) expect(ackOf(r, f.src === "client" ? "server" : "client", f.seq + 1)).toBeDefined();
    // both TIME-WAITs last 2*MSL
    for (const side of ["client", "server"] as const) expect(states(r, side).at(-1)!.t - entered(r, side, "TIME-WAIT")).toBe(2 * MSL);
  });
});

describe("fin-ack-combined", () => {
  it("RFC 9293 §3.10.7.4: FIN-WAIT-1 goes straight to TIME-WAIT on a FIN,ACK that acknowledges our FIN", () => {
    const r = run("fin-ack-combined");
    expect(path(r, "client")).toEqual(["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "TIME-WAIT", "CLOSED"]);
    expect(path(r, "server")).toEqual(PASSIVE);
    const cfin = segs(r, "client").find((s) => has(s, "FIN"))!;
    const dropped = segs(r, "server").filter((s) => s.dropped);
    expect(dropped.map((s) => [s.flags, s.ack])).toEqual([["ACK", u32(cfin.seq + 1)]]);
    const sfin = segs(r, "server").find((s) => has(s, "FIN"))!;
    expect(sfin.flags).toBe("FIN,ACK");
    expect(sfin.ack).toBe(u32(cfin.seq + 1));
    // the client entered TIME-WAIT when that FIN,ACK arrived (one link delay later)
    expect(entered(r, "client", "TIME-WAIT")).toBe(sfin.t + 1);
  });
});

describe("walk-through (npm start)", () => {
  it("RFC 9293 §3.3.2: the active closer and the passive one take Figure 5's paths; CLOSE-WAIT still sends, FIN-WAIT-2 receives", () => {
    const r = run("walk-through");
    expect(path(r, "client")).toEqual(ACTIVE);
    expect(path(r, "server")).toEqual(PASSIVE);
    expect(Buffer.from(r.received.client).toString()).toBe("hello, clientbye");
    expect(Buffer.from(r.received.server).toString()).toBe("hello, server");
    const cfin = segs(r, "client").find((s) => has(s, "FIN"))!;
    const sfin = segs(r, "server").find((s) => has(s, "FIN"))!;
    // the server's bare ACK of the FIN comes first, its last data later, its FIN last: four segments close
    const sAck = ackOf(r, "server", cfin.seq + 1)!;
    expect(sAck.flags).toBe("ACK");
    const bye = segs(r, "server").find((s) => s.len === 3)!;
    expect(sAck.t).toBeLessThan(bye.t);
    expect(bye.t).toBeLessThan(sfin.t);
    expect(stateAt(r.records, r.records.indexOf(bye))).toEqual({ client: "FIN-WAIT-2", server: "CLOSE-WAIT" });
  });

  it("takes ss -tan listings where netstat can catch SYN-RECEIVED (last ACK on the wire), FIN-WAIT-2 with CLOSE-WAIT, TIME-WAIT", () => {
    const r = run("walk-through");
    const states = r.listings.map((l) => [l.rows.client.map((x) => x.state), l.rows.server.map((x) => x.state)]);
    expect(states).toEqual([
      [["ESTABLISHED"], ["LISTEN", "SYN-RECEIVED"]],
      [["FIN-WAIT-2"], ["LISTEN", "CLOSE-WAIT"]],
      [["TIME-WAIT"], ["LISTEN"]],
    ]);
    const [syn, half, tw] = r.listings;
    expect(syn.rows.server[1]).toMatchObject({ localPort: 80, remoteAddress: "198.51.100.1", remotePort: r.ports.client });
    expect(syn.rows.client[0].sendQ).toBe(13); // the request is queued, unacknowledged
    expect(half.rows.client[0]).toMatchObject({ localPort: r.ports.client, remotePort: 80 });
    expect(tw.rows.client[0].remotePort).toBe(80);
  });
});

describe("lost-handshake-ack", () => {
  it("RFC 9293 §3.5 + RFC 6298 §5: only the handshake's ACK is lost; SYN-RECEIVED resends the same SYN,ACK after the initial RTO, the re-ACK completes the handshake", () => {
    const r = run("lost-handshake-ack");
    expect(path(r, "client")).toEqual(ACTIVE);
    expect(path(r, "server")).toEqual(PASSIVE);
    const dropped = segs(r).filter((s) => s.dropped);
    expect(dropped).toHaveLength(1);
    const firstAck = segs(r, "client")[1];
    expect(dropped[0]).toBe(firstAck);
    expect(firstAck.flags).toBe("ACK");
    const sa = segs(r, "server").filter((s) => s.flags === "SYN,ACK");
    expect(sa).toHaveLength(2);
    expect(sa[1].seq).toBe(sa[0].seq);
    expect(sa[1].t - sa[0].t).toBe(RTO_INITIAL);
    const reAck = segs(r, "client")[2];
    expect(reAck).toMatchObject({ flags: "ACK", ack: u32(sa[0].seq + 1), dropped: false });
    expect(entered(r, "server", "ESTABLISHED")).toBe(reAck.t + 1);
    // the client was ESTABLISHED all along: its SYN,ACK arrived
    expect(entered(r, "client", "ESTABLISHED")).toBe(sa[0].t + 1);
  });

  it("the ss -tan listing catches the server in SYN-RECEIVED while the client is ESTABLISHED", () => {
    const r = run("lost-handshake-ack");
    const l = r.listings.find((x) => x.state === "SYN-RECEIVED")!;
    expect(l.rows.server.map((x) => x.state)).toEqual(["LISTEN", "SYN-RECEIVED"]);
    expect(l.rows.client.map((x) => x.state)).toEqual(["ESTABLISHED"]);
    expect(l.t).toBeLessThan(entered(r, "server", "ESTABLISHED"));
  });
});

describe("syn-received-timeout", () => {
  it("RFC 9293 §3.5 + RFC 6298 §5.5: SYN-RECEIVED retransmits the same SYN,ACK with doubling intervals", () => {
    const r = run("syn-received-timeout");
    const sa = segs(r, "server").filter((s) => s.flags === "SYN,ACK");
    expect(sa.length).toBe(1 + SYN_RETRIES);
    expect(new Set(sa.map((s) => s.seq)).size).toBe(1);
    const gaps = sa.slice(1).map((s, i) => s.t - sa[i].t);
    expect(gaps).toEqual(Array.from({ length: SYN_RETRIES }, (_, i) => RTO_INITIAL << i));
    // every one was re-acknowledged by the client, and every ACK was lost
    const acks = segs(r, "client").filter((s) => s.flags === "ACK");
    expect(acks.length).toBe(sa.length);
    expect(acks.every((s) => s.dropped)).toBe(true);
  });

  it("RFC 9293 §3.5: after the last retry times out the half-open connection is dropped (SYN-RECEIVED -> CLOSED)", () => {
    const r = run("syn-received-timeout");
    expect(path(r, "server")).toEqual(["CLOSED", "LISTEN", "SYN-RECEIVED", "CLOSED"]);
    const last = segs(r, "server").filter((s) => s.flags === "SYN,ACK").at(-1)!;
    expect(states(r, "server").at(-1)!.t - last.t).toBe(RTO_INITIAL << SYN_RETRIES);
    expect(r.stats.server.tcp_conns_opened).toBe(0);
  });

  it("RFC 9293 §3.10.7.2 + §3.5.2: the client's next segment meets the listener, gets <SEQ=SEG.ACK><CTL=RST>, ECONNRESET", () => {
    const r = run("syn-received-timeout");
    const data = segs(r, "client").find((s) => s.len > 0)!;
    const rst = segs(r, "server").find((s) => has(s, "RST"))!;
    expect(data.dropped).toBe(false);
    expect(rst.flags).toBe("RST");
    expect(rst.seq).toBe(data.ack);
    expect(path(r, "client")).toEqual(["CLOSED", "SYN-SENT", "ESTABLISHED", "CLOSED"]);
    expect(r.errors.client).toEqual(["ECONNRESET"]);
  });
});

describe("lost-last-ack", () => {
  it("RFC 9293 §3.10.7.4: LAST-ACK retransmits its FIN; TIME-WAIT re-ACKs it and restarts the 2*MSL timer", () => {
    const r = run("lost-last-ack");
    expect(path(r, "client")).toEqual(ACTIVE);
    expect(path(r, "server")).toEqual(PASSIVE);
    const fins = segs(r, "server").filter((s) => has(s, "FIN"));
    expect(fins.length).toBe(2);
    expect(fins[1].seq).toBe(fins[0].seq);
    const acks = segs(r, "client").filter((s) => s.flags === "ACK" && s.ack === u32(fins[0].seq + 1));
    expect(acks.map((a) => a.dropped)).toEqual([true, false]);
    // the FIN went again after the RTO, while the client sat in TIME-WAIT
    expect(fins[1].t - fins[0].t).toBeGreaterThanOrEqual(RTO_MIN);
    const tw = entered(r, "client", "TIME-WAIT");
    expect(tw).toBeLessThan(fins[1].t);
    // the timer restarted at the re-ACK: CLOSED 2*MSL after it, not after entering TIME-WAIT
    const closedAt = states(r, "client").at(-1)!.t;
    expect(closedAt).toBe(acks[1].t + 2 * MSL);
    expect(closedAt).toBeGreaterThan(tw + 2 * MSL);
    expect(entered(r, "server", "CLOSED")).toBe(acks[1].t + 1);
  });
});

describe("refused", () => {
  it("RFC 9293 §3.10.7.1: a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>; the client sees ECONNREFUSED", () => {
    const r = run("refused");
    const [syn, rst] = segs(r);
    expect(syn.flags).toBe("SYN");
    expect([rst.src, rst.flags, rst.seq, rst.ack]).toEqual(["server", "RST,ACK", 0, u32(syn.seq + 1)]);
    expect(segs(r).length).toBe(2);
    expect(path(r, "client")).toEqual(["CLOSED", "SYN-SENT", "CLOSED"]);
    expect(path(r, "server")).toEqual([]);
    expect(r.errors.client).toEqual(["ECONNREFUSED"]);
    expect(r.stats.server.tcp_no_socket).toBe(1);
  });
});

describe("loss-recovery", () => {
  const dataSegs = (r: ScenarioRun) => segs(r, "client").filter((s) => s.len > 0);

  it("RFC 5681 §3.2: the 4th data segment is resent on the third duplicate ACK, before any RTO", () => {
    const r = run("loss-recovery");
    const lost = dataSegs(r).filter((s) => s.dropped)[0];
    const again = dataSegs(r).find((s) => !s.dropped && s.seq === lost.seq && s.t > lost.t)!;
    expect(again).toBeDefined();
    const dups = segs(r, "server").filter((s) => s.flags === "ACK" && s.len === 0 && s.ack === lost.seq && s.t > lost.t && s.t <= again.t);
    expect(dups.length).toBeGreaterThanOrEqual(3);
    expect(again.t - lost.t).toBeLessThan(RTO_MIN);
    expect(r.stats.client.tcp_fast_retransmits).toBeGreaterThanOrEqual(1);
  });

  it("RFC 6298 §5: the lost last segment (no duplicate ACKs follow) is resent when the RTO expires", () => {
    const r = run("loss-recovery");
    const all = dataSegs(r);
    const tail = all.filter((s) => s.dropped)[1];
    expect(u32(tail.seq + tail.len - all[0].seq)).toBe(LOSS_RECOVERY_BYTES);
    const again = all.find((s) => !s.dropped && s.seq === tail.seq && s.t > tail.t)!;
    expect(again.t - tail.t).toBeGreaterThanOrEqual(RTO_MIN);
    expect(r.stats.client.tcp_rto_timeouts).toBeGreaterThanOrEqual(1);
  });

  it("RFC 9293 §3.10.7.4: the receiver delivers every byte once and in order, and both sides close", () => {
    const r = run("loss-recovery");
    expect(r.received.server.length).toBe(LOSS_RECOVERY_BYTES);
    for (let i = 0; i < LOSS_RECOVERY_BYTES; i++) {
      if (r.received.server[i] !== ((i * 7 + (i >> 8)) & 255)) throw new Error(`byte ${i} differs`);
    }
    expect(path(r, "client")).toEqual(ACTIVE);
    expect(path(r, "server")).toEqual(PASSIVE);
    expect(segs(r).filter((s) => s.dropped).length).toBe(2);
  });
});

describe("cli demo --scenario", () => {
  async function cli(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  }
  const STATE = /^\{"t":\d+,"event":"state","side":"(client|server)","from":"[A-Z12-]+","to":"[A-Z12-]+"\}$/;
  const SEGMENT = /^\{"t":\d+,"event":"segment","src":"(client|server)","dst":"(client|server)","flags":"((FIN|SYN|RST|PSH|ACK),?)+","seq":\d+,"ack":\d+,"len":\d+,"dropped":(true|false)\}$/;
  const ORDER = ["FIN", "SYN", "RST", "PSH", "ACK"];

  it("--json prints one state or segment object per line, keys and flag order as documented", async () => {
    for (const name of TCP_SCENARIOS) {
      const r = await cli(["demo", "--scenario", name, "--json"]);
      expect(r.code).toBe(0);
      expect(r.out.length).toBe(run(name).records.length);
      for (const line of r.out) {
        expect(STATE.test(line) || SEGMENT.test(line), line).toBe(true);
        const o = JSON.parse(line);
        if (o.event === "segment") {
          const idx = o.flags.split(",").map((f: string) => ORDER.indexOf(f));
          expect(idx).toEqual([...idx].sort((a: number, b: number) => a - b));
          expect(o.dst).not.toBe(o.src);
        }
      }
      expect(r.out.map((l) => JSON.parse(l))).toEqual(run(name).records);
    }
  });

  it("text output is the story: each transition and segment, drops and retransmissions marked, ends with the result", async () => {
    const r = await cli(["demo", "--scenario", "lost-last-ack"]);
    expect(r.code).toBe(0);
    const text = r.out.join("\n");
    const prose = text.replace(/\n {24}(?=\S)/g, " "); // explanations unwrapped
    expect(text).toMatch(/^[ \d.ms]{9} TIME-WAIT +· waits 2·MSL \(60000 ms\)/m);
    expect(prose).toContain("Client is still in TIME-WAIT, so it can acknowledge the resent FIN again");
    expect(text).toMatch(/── ACK seq=\d+ ack=\d+ len=0 ─+ ✕ *$/m);
    expect(prose).toContain("Lost on the link: server never sees this segment.");
    expect(text).toMatch(/◀─+ \(rtx\) FIN,ACK seq=\d+ ack=\d+ len=0 ──$/m);
    expect(prose).toContain("A retransmission: no ACK came back before the retransmission timer fired");
    expect(r.out.at(-1)).toBe("result: ok");
    expect(text).not.toContain("\x1b["); // no colour unless asked
  });

  it("--help lists every scenario", async () => {
    const r = await cli(["--help"]);
    for (const n of TCP_SCENARIOS) expect(r.out.join("\n")).toMatch(new RegExp(`^  ${n} +\\S`, "m"));
  });
});
