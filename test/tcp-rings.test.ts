// Send/receive rings come from their own pool (Cfg.RingPairs), separate from the connection
// blocks: listeners and TIME-WAIT hold none, a connection takes a pair at connect() or at the
// SYN that creates its passive child, and gives it back when it is over.
import { describe, expect, it } from "vitest";
import { ACK, Err, Host, Net, RST, S, SYN, pair } from "./helpers/tcp-harness.js";
import { HOST_IP, listenerAndPeer } from "./helpers/tcp-peer.js";

const SMALL = { MaxSockets: 8, SndBuf: 4096, RcvBuf: 4096, IoBuf: 4096 };
const rings = (h: Host) => (h.x.ringFreeCount as () => number)();
const poolBytes = (h: Host) => (h.x.poolBytes as () => number)();

async function poolBytesWith(cfg: Record<string, number>): Promise<number> {
  const net = new Net();
  return poolBytes(await net.host({ ip: HOST_IP, cfg: cfg as never }));
}

/** `n` clients on A connect to B's listener on port 80; returns A's handles and B's accepted ones. */
function connectMany(net: Net, a: Host, b: Host, l: number, n: number): { cs: number[]; ss: number[] } {
  const cs: number[] = [];
  const ss: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = a.open();
    expect(a.connect(c, "198.51.100.2", 80)).toBe(0);
    cs.push(c);
  }
  net.runUntil(() => {
    for (;;) { const s = b.accept(l); if (s <= 0) break; ss.push(s); }
    return ss.length === n && cs.every((c) => a.state(c) === S.ESTABLISHED);
  }, 10_000);
  return { cs, ss };
}

describe("TCP ring-pair pool (Cfg.RingPairs)", () => {
  it("listeners hold no rings: poolBytes counts RingPairs x (SndBuf + RcvBuf), and three listeners leave every pair free", async () => {
    const per = SMALL.SndBuf + SMALL.RcvBuf;
    const all = await poolBytesWith({ ...SMALL, RingPairs: 8 });
    const four = await poolBytesWith({ ...SMALL, RingPairs: 4 });
    expect(all - four).toBe(4 * per);
    // the default (0) is one pair per connection block: Node behaviour unchanged
    expect(await poolBytesWith({ ...SMALL })).toBe(all);

    const { net, a, b } = await pair({ ...SMALL, RingPairs: 4 });
    const before = poolBytes(b);
    const ls = [80, 81, 82].map((port) => { const l = b.open(); b.bind(l, port); expect(b.listen(l, 8)).toBe(0); return l; });
    expect(poolBytes(b)).toBe(before); // no allocation after init
    expect(rings(b)).toBe(4);
    // 3 listeners + 4 connections of 4 KiB + 4 KiB on B, all pairs in use by connections
    const { ss } = connectMany(net, a, b, ls[0], 4);
    expect(ss.length).toBe(4);
    expect(rings(b)).toBe(0);
    expect(b.info(ls[1]).state).toBe(S.LISTEN);
  });

  it("with RingPairs=2, a third connect fails cleanly with -ENOMEM (no SYN) and works again after one connection closes", async () => {
    const { net, a, b } = await pair({ ...SMALL, RingPairs: 2 }, SMALL);
    const l = b.open(); b.bind(l, 80); b.listen(l, 8);
    const { cs, ss } = connectMany(net, a, b, l, 2);
    expect(ss.length).toBe(2);
    expect(rings(a)).toBe(0);
    const c3 = a.open();
    expect(c3).toBeGreaterThan(0); // connection blocks are still free: only the rings ran out
    const synsBefore = net.log.filter((e) => e.seg && (e.seg.flags & SYN) && e.from === a.name).length;
    expect(a.connect(c3, "198.51.100.2", 80)).toBe(-Err.ENOMEM);
    expect(a.state(c3)).toBe(S.CLOSED);
    net.run(50);
    expect(net.log.filter((e) => e.seg && (e.seg.flags & SYN) && e.from === a.name).length).toBe(synsBefore);
    // graceful close of the first connection: A's side goes through TIME-WAIT into the compact table
    a.close(cs[0]);
    net.run(20);
    b.close(ss[0]);
    net.runUntil(() => rings(a) === 1, 5_000);
    expect(rings(a)).toBe(1);
    expect(a.connect(c3, "198.51.100.2", 80)).toBe(0);
    net.runUntil(() => a.state(c3) === S.ESTABLISHED, 5_000);
    expect(a.state(c3)).toBe(S.ESTABLISHED);
    expect(rings(a)).toBe(0);
  });

  it("RFC 9293 §3.10.7.4: TIME-WAIT never holds rings, even while the user still holds the handle", async () => {
    const { net, a, b } = await pair({ ...SMALL, RingPairs: 2, MslMs: 1000 }, SMALL);
    const l = b.open(); b.bind(l, 80); b.listen(l, 8);
    const { cs, ss } = connectMany(net, a, b, l, 1);
    expect(rings(a)).toBe(1);
    a.shutdown(cs[0]);
    net.run(20);
    b.close(ss[0]);
    net.runUntil(() => a.state(cs[0]) === S.TIME_WAIT, 5_000);
    expect(a.state(cs[0])).toBe(S.TIME_WAIT);
    expect(rings(a)).toBe(2);
    expect(a.read(cs[0])).toBe(0); // EOF, not a trap, without rings
  });

  it("a connection reset with unread data keeps its rings until the user has read the data", async () => {
    const { net, h, p, l } = await listenerAndPeer({ ...SMALL, RingPairs: 1 });
    p.send(h, { sport: 40000, dport: 80, seq: 100, flags: SYN, opts: { mss: 1460 }, wnd: 65535 });
    net.run(3);
    const sa = p.take().find((s) => (s.flags & (SYN | ACK)) === (SYN | ACK))!;
    p.send(h, { sport: 40000, dport: 80, seq: 101, ack: sa.seq + 1, flags: ACK, wnd: 65535, payload: new Uint8Array([1, 2, 3]) });
    net.run(3);
    const s = h.accept(l);
    expect(s).toBeGreaterThan(0);
    p.send(h, { sport: 40000, dport: 80, seq: 104, ack: sa.seq + 1, flags: RST, wnd: 0 });
    net.run(3);
    expect(h.state(s)).toBe(S.CLOSED);
    expect(rings(h)).toBe(0);
    expect(h.read(s)).toEqual(new Uint8Array([1, 2, 3]));
    expect(rings(h)).toBe(1);
    expect(h.read(s)).toBe(-Err.ECONNRESET);
  });

  it("a SYN with no free ring pair is dropped and counted (tcp_no_rings); the next one after a pair frees succeeds", async () => {
    const { net, h, p, l } = await listenerAndPeer({ ...SMALL, RingPairs: 1 });
    p.send(h, { sport: 40000, dport: 80, seq: 100, flags: SYN, opts: { mss: 1460 }, wnd: 65535 });
    net.run(3);
    const sa = p.take().find((s) => (s.flags & (SYN | ACK)) === (SYN | ACK))!;
    expect(sa).toBeDefined();
    expect(rings(h)).toBe(0); // the half-open child holds the only pair
    p.send(h, { sport: 40000, dport: 80, seq: 101, ack: sa.seq + 1, flags: ACK, wnd: 65535 });
    net.run(3);
    const s1 = h.accept(l);
    expect(s1).toBeGreaterThan(0);

    p.send(h, { sport: 40001, dport: 80, seq: 500, flags: SYN, opts: { mss: 1460 }, wnd: 65535 });
    net.run(3);
    expect(p.take().filter((s) => s.dport === 40001)).toEqual([]); // no SYN+ACK, no RST
    expect(h.stat("tcp_no_rings")).toBe(1);
    expect(h.stat("tcp_syn_cookies_tx")).toBe(0);

    expect(h.abort(s1)).toBe(0);
    net.run(3);
    expect(rings(h)).toBe(1);
    p.take();
    p.send(h, { sport: 40001, dport: 80, seq: 500, flags: SYN, opts: { mss: 1460 }, wnd: 65535 }); // the SYN retransmitted
    net.run(3);
    const sa2 = p.take().find((s) => s.dport === 40001 && (s.flags & (SYN | ACK)) === (SYN | ACK));
    expect(sa2?.ack).toBe(501);
    expect(h.stat("tcp_no_rings")).toBe(1);
    p.send(h, { sport: 40001, dport: 80, seq: 501, ack: sa2!.seq + 1, flags: ACK, wnd: 65535 });
    net.run(3);
    const s2 = h.accept(l);
    expect(s2).toBeGreaterThan(0);
    expect(h.info(s2).remotePort).toBe(40001);
    expect(h.info(s2).state).toBe(S.ESTABLISHED);
  });
});
