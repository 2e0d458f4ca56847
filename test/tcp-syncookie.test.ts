// SYN cookies (RFC 4987 §3.6) must cost a connection nothing: the ACK that completes a cookie
// handshake establishes the connection with the window the cookie SYN+ACK offered, and data
// or a FIN it carries, or that follows it at once or after a pause, is delivered at once
// (regression: the child advertised a zero window, so the client's first data segment was
// answered with a duplicate ACK and waited an RTO for its retransmission).
// Every option mix the client can offer, several MSS values, both builds; from the wire
// (a scripted peer) and through the node:net-style API (two stacks on the emulated link).
import { describe, expect, it } from "vitest";
import { ACK, FIN, Host, Net, PSH, RawPeer, S, SYN, Seg, TcpOpts, bytes } from "./helpers/tcp-harness.js";
import { Sim } from "../src/links/emulated.js";
import { createStack, Socket } from "../src/net.js";

const HOST_IP = "198.51.100.2";
const PEER_IP = "198.51.100.9";
const BUILDS = [["node", "build/testing.wasm"], ["mcu", "build/testing.mcu.wasm"]] as const;
type Mode = "data-in-third" | "data-fin-in-third" | "data-after-pause" | "window-after-pause";

/** A host whose listener on 80 answers with cookies: its SYN backlog (1) is taken by a half-open SYN. */
async function cookieListener(build: string): Promise<{ net: Net; h: Host; p: RawPeer; l: number }> {
  const net = new Net();
  const h = await net.host({ ip: HOST_IP, build, cfg: { SynBacklog: 1, MaxSockets: 8 } });
  const p = net.peer(PEER_IP);
  (h.x.ping as (d: number, i: number, s: number, l: number) => number)(p.ip, 1, 1, 0); // resolve ARP first
  net.run(5);
  const l = h.open();
  h.bind(l, 80);
  h.listen(l, 4);
  p.send(h, { sport: 1999, dport: 80, seq: 77, flags: SYN, opts: { mss: 1460 } }); // half-open: fills the backlog
  net.run(2);
  p.take();
  return { net, h, p, l };
}

/** The cookie table's MSS for an offer (the largest entry not above it), capped at ours. */
const cookieMss = (offer: number | undefined) => Math.min(1460, [536, 1220, 1440, 1460].filter((m) => m <= (offer ?? 536)).pop() ?? 536);

async function runCase(build: string, o: { ts: boolean; ws: boolean; sack: boolean; mss?: number }, mode: Mode) {
  const { net, h, p, l } = await cookieListener(build);
  const iss = 0x7fff_0000;
  const opts: TcpOpts = {};
  if (o.mss !== undefined) opts.mss = o.mss;
  if (o.ws) opts.wscale = 7;
  if (o.sack) opts.sackOk = true;
  if (o.ts) opts.ts = [1000, 0];
  const cookiesBefore = h.stat("tcp_syn_cookies_tx");
  p.send(h, { sport: 40000, dport: 80, seq: iss, flags: SYN, opts, wnd: 65535 });
  net.run(3);
  expect(h.stat("tcp_syn_cookies_tx")).toBe(cookiesBefore + 1);
  const sa = p.take().find((s) => s.flags === (SYN | ACK)) as Seg;
  expect(sa).toBeDefined();
  expect(sa.opts.wscale !== undefined).toBe(o.ws);
  expect(sa.opts.sackOk === true).toBe(o.sack);
  expect(sa.opts.ts !== undefined).toBe(o.ts);
  expect(sa.wnd).toBeGreaterThan(0);
  let tsv = 1001;
  const tsOpt = (): TcpOpts | undefined => (o.ts ? { ts: [tsv++, sa.opts.ts![0]] } : undefined);
  const seq0 = iss + 1;
  const ack = (sa.seq + 1) >>> 0;
  const data = bytes(500, 3);
  const wnd = o.ws ? 512 : 65535; // scaled by 7: 64 KiB
  const peer = { sport: 40000, dport: 80, ack, wnd };
  const t0 = net.now;
  if (mode === "data-in-third") {
    p.send(h, { ...peer, seq: seq0, flags: ACK | PSH, payload: data, opts: tsOpt() });
  } else if (mode === "data-fin-in-third") {
    p.send(h, { ...peer, seq: seq0, flags: ACK | PSH | FIN, payload: data, opts: tsOpt() });
  } else {
    p.send(h, { ...peer, seq: seq0, flags: ACK, opts: tsOpt() });
    net.run(mode === "data-after-pause" ? 700 : 1);
    if (mode === "window-after-pause") {
      // a full receive window's worth of back-to-back segments right after the handshake
      const big = bytes(4 * 500, 4);
      for (let i = 0; i < 4; i++) {
        p.send(h, { ...peer, seq: seq0 + i * 500, flags: ACK, payload: big.subarray(i * 500, (i + 1) * 500), opts: tsOpt() });
      }
      data.set(big.subarray(0, 500));
    } else {
      p.send(h, { ...peer, seq: seq0, flags: ACK | PSH, payload: data, opts: tsOpt() });
    }
  }
  net.run(3); // far less than any retransmission timeout
  expect(h.stat("tcp_syn_cookies_ok")).toBe(1);
  const sv = h.accept(l);
  expect(sv).toBeGreaterThan(0);
  const info = h.info(sv);
  expect(info.mss).toBe(cookieMss(o.mss) - 0);
  expect(info.sndWnd).toBe(o.ws ? 512 << 7 : 65535);
  const expectLen = mode === "window-after-pause" ? 2000 : 500;
  expect(info.recvQueued).toBe(expectLen);
  const got = h.drain(sv);
  expect(got.length).toBe(expectLen);
  expect(Buffer.compare(Buffer.from(got.subarray(0, 500)), Buffer.from(data))).toBe(0);
  // no duplicate ACK for the handshake's sequence number, nothing dropped
  const acks = p.rx.filter((s) => (s.flags & ACK) && s.seq === ack);
  expect(acks.every((s) => s.ack !== seq0 || mode === "data-after-pause" || mode === "window-after-pause")).toBe(true);
  expect(h.stat("tcp_rcv_buf_drop")).toBe(0);
  expect(h.stat("tcp_bad_seq")).toBe(0);
  if (mode === "data-fin-in-third") {
    expect(h.state(sv)).toBe(S.CLOSE_WAIT);
    expect(h.read(sv)).toBe(0); // EOF after the data
  } else {
    expect(h.state(sv)).toBe(S.ESTABLISHED);
  }
  // everything the peer sent is acknowledged without waiting for a retransmission
  net.run(250);
  const finLen = mode === "data-fin-in-third" ? 1 : 0;
  expect(p.rx.some((s) => s.ack === ((seq0 + expectLen + finLen) >>> 0))).toBe(true);
  expect(net.now - t0).toBeLessThan(1000);
}

const MIXES: { ts: boolean; ws: boolean; sack: boolean }[] = [];
for (const ts of [false, true]) for (const ws of [false, true]) for (const sack of [false, true]) MIXES.push({ ts, ws, sack });
const mixName = (m: { ts: boolean; ws: boolean; sack: boolean }) => `TS ${m.ts ? "on" : "off"}, WS ${m.ws ? "on" : "off"}, SACK ${m.sack ? "on" : "off"}`;

describe("RFC 4987 §3.6 SYN cookies: the first data segment is delivered at once (wire)", () => {
  for (const [bname, build] of BUILDS) {
    for (const m of MIXES) {
      for (const mode of ["data-in-third", "data-fin-in-third", "data-after-pause", "window-after-pause"] as Mode[]) {
        it(`${bname}: ${mixName(m)}, ${mode}, MSS 536/1220/1300/1460/none`, async () => {
          for (const mss of [536, 1220, 1300, 1460, undefined]) await runCase(build, { ...m, mss }, mode);
        });
      }
    }
  }
});

describe("RFC 4987 §3.6 SYN cookies through the API", () => {
  it("connections that complete through cookies (MaxSockets 4: three SYNs at once meet the TCB reserve) echo their first write at once", async () => {
    const sim = new Sim({ seed: 3 });
    const link = sim.link({ delayMs: 1 });
    const a = createStack({ ip: "198.51.100.1/24", mac: "02:00:00:00:00:01", seed: 1, link: { type: "emulated", sim, link } });
    const b = createStack({ ip: "198.51.100.2/24", mac: "02:00:00:00:00:02", seed: 2, link: { type: "emulated", sim, link },
      config: { MaxSockets: 4, SynBacklog: 8 } });
    b.createServer((s) => s.pipe(s)).listen(7);
    const replies: { at: number; text: string }[] = [];
    const socks: Socket[] = [];
    const start = sim.now();
    for (let i = 0; i < 3; i++) {
      const c = a.connect({ host: "198.51.100.2", port: 7 }, () => c.write(`hello ${i}`));
      c.on("data", (d: Buffer) => replies.push({ at: sim.now() - start, text: d.toString() }));
      socks.push(c);
    }
    expect(await a.until(() => replies.length === 3, 5_000)).toBe(true);
    expect(b.stats().tcp_syn_cookies_ok).toBeGreaterThanOrEqual(1);
    expect(replies.map((r) => r.text).sort()).toEqual(["hello 0", "hello 1", "hello 2"]);
    // a handshake and a round trip on a 1 ms link: no reply waited for a retransmission timeout
    for (const r of replies) expect(r.at).toBeLessThan(50);
    for (const s of socks) s.destroy();
  });
});
