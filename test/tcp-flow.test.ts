// Flow control and options: windows, SWS avoidance, zero-window probes, Nagle, delayed
// ACK, MSS, window scale, timestamps + PAWS, keepalive.
import { describe, expect, it } from "vitest";
import { ACK, Err, Ev, PSH, S, SYN, Seg, connected, bytes } from "./helpers/tcp-harness.js";
import { activeToPeer, hostAndPeer, peerSend, peerToListener, PEER_IP } from "./helpers/tcp-peer.js";

const dataSegs = (segs: Seg[]) => segs.filter((x) => x.payload.length > 0);

/** MSS 1000, the peer's window `wnd`: the host writes `n` bytes; returns the data segments it sent at once. */
async function writeIntoWindow(wnd: number, n: number) {
  const c = await activeToPeer({ SndBuf: 65536 }, { mss: 1000 });
  peerSend(c, ACK, undefined, { wnd });
  c.net.run(3);
  c.h.write(c.sock, bytes(n));
  c.net.run(3);
  return { c, d: dataSegs(c.p.take()) };
}

describe("Windows (RFC 9293 §3.8.6)", () => {
  it("RFC 9293 §3.8.6: the sender never sends beyond the peer's advertised window", async () => {
    const { c, d } = await writeIntoWindow(3000, 10000);
    expect(d.map((x) => x.payload.length)).toEqual([1000, 1000, 1000]);
    peerSend(c, ACK, undefined, { ack: d[0].seq + 1000, wnd: 3000 });
    c.net.run(3);
    expect(dataSegs(c.p.take()).map((x) => x.seq)).toEqual([d[0].seq + 3000]);
  });

  it("RFC 9293 §3.8.6.1: a zero window is probed with backoff until it opens, and the peer answering keeps the connection", async () => {
    const { net, a, b, c, s } = await connected({ RcvBuf: 4096, SndBuf: 16384, DataRetries: 3, RtoMinMs: 200 });
    a.write(c, bytes(16384));
    net.run(5000);
    expect(b.info(s).recvQueued).toBe(4096);
    expect(a.stat("tcp_zero_window_probes")).toBeGreaterThanOrEqual(4); // more probes than DataRetries
    expect(a.state(c)).toBe(S.ESTABLISHED);
    const probes = net.log.filter((x) => x.from === a.name && x.seg && x.seg.payload.length === 1).map((x) => x.t);
    const gaps = probes.slice(1).map((t, i) => t - probes[i]);
    for (let i = 1; i < gaps.length; i++) expect(gaps[i]).toBeGreaterThanOrEqual(gaps[i - 1]);
    let total = 0;
    net.runUntil(() => { total += b.drain(s).length; return total >= 16384; }, 60_000);
    expect(total).toBe(16384);
  });

  it("RFC 9293 §3.8.6.2.2: receiver SWS avoidance — a small read does not reopen a zero window", async () => {
    const { net, a, b, c, s } = await connected({ RcvBuf: 5840, SndBuf: 32768, Features: 0 });
    a.write(c, bytes(20000));
    net.run(50);
    expect(b.info(s).rcvWnd).toBe(0);
    const before = net.log.length;
    b.read(s, 100);
    net.run(5);
    const upd = net.log.slice(before).filter((x) => x.from === b.name);
    expect(upd.length).toBe(0);
    expect(b.info(s).rcvWnd).toBe(0);
    b.read(s, 3000); // now 3100 bytes free >= min(RcvBuf/2, MSS): the edge moves
    net.run(5);
    const upd2 = net.log.slice(before).filter((x) => x.from === b.name && x.seg && x.seg.wnd > 0);
    expect(upd2.length).toBeGreaterThan(0);
  });

  it("RFC 9293 §3.8.6.2.1: sender SWS avoidance — no tiny segment into a tiny window while data is in flight", async () => {
    const { c, d } = await writeIntoWindow(2100, 5000);
    expect(d.map((x) => x.payload.length)).toEqual([1000, 1000]); // the 100-byte sliver waits
  });
});

describe("Nagle and delayed ACK", () => {
  it("RFC 9293 §3.7.4 (Nagle): small writes are held while data is unacknowledged", async () => {
    const c = await activeToPeer({}, { mss: 1000 });
    for (let i = 0; i < 5; i++) c.h.write(c.sock, bytes(10, i));
    c.net.run(3);
    const d = dataSegs(c.p.take());
    expect(d.map((x) => x.payload.length)).toEqual([10]);
    peerSend(c, ACK, undefined, { ack: d[0].seq + 10 });
    c.net.run(3);
    expect(dataSegs(c.p.take()).map((x) => x.payload.length)).toEqual([40]);
  });

  it("RFC 9293 §3.7.4: NODELAY sends each small write at once", async () => {
    const c = await activeToPeer({}, { mss: 1000 });
    expect(c.h.setOption(c.sock, 1, 1)).toBe(0);
    for (let i = 0; i < 5; i++) c.h.write(c.sock, bytes(10, i));
    c.net.run(3);
    expect(dataSegs(c.p.take()).map((x) => x.payload.length)).toEqual([10, 10, 10, 10, 10]);
  });

  it("RFC 9293 §3.8.6.3 / RFC 5681 §4.2: one segment is ACKed after DelAckMs, every second full segment at once", async () => {
    const c = await activeToPeer({ DelAckMs: 100 }, { mss: 1460 });
    peerSend(c, ACK, bytes(500));
    c.net.run(50);
    expect(c.p.rx.length).toBe(0);
    c.net.run(60);
    expect(c.p.take().length).toBe(1);
    expect(c.h.stat("tcp_delayed_acks")).toBe(1);
    peerSend(c, ACK, bytes(1460));
    c.net.run(2);
    expect(c.p.rx.length).toBe(0);
    peerSend(c, ACK, bytes(1460));
    c.net.run(2);
    expect(c.p.take().map((x) => x.ack)).toEqual([c.pseq]);
  });

  it("RFC 5681 §4.2: out-of-order data is acknowledged immediately (duplicate ACK)", async () => {
    const c = await activeToPeer({ DelAckMs: 200 });
    peerSend(c, ACK, bytes(100), { seq: c.pseq + 500 });
    c.net.run(3);
    expect(c.p.take().map((x) => x.ack)).toEqual([c.pseq]);
  });
});

describe("Options (RFC 9293 §3.7.1, RFC 7323)", () => {
  it("RFC 9293 §3.7.1: our SYN carries MSS = MTU - 40; the peer's MSS limits our segments", async () => {
    const c = await activeToPeer({ SndBuf: 65536 }, { mss: 536 });
    expect(c.syn.opts.mss).toBe(1460);
    c.h.write(c.sock, bytes(2000));
    c.net.run(3);
    expect(Math.max(...dataSegs(c.p.take()).map((x) => x.payload.length))).toBe(536);
    expect(c.h.info(c.sock).mss).toBe(536);
  });

  it("RFC 9293 §3.7.1: without an MSS option the send MSS defaults to 536", async () => {
    const c = await activeToPeer({}, {});
    expect(c.h.info(c.sock).mss).toBe(536);
  });

  it("RFC 9293 §3.7.1: the MSS follows a smaller configured MTU", async () => {
    const { net, h, p } = await hostAndPeer({ Mtu: 1000 });
    h.connect(h.open(), PEER_IP, 7000);
    net.run(3);
    expect(p.rx[0].opts.mss).toBe(960);
  });

  it("RFC 7323 §2: window scale is offered for a large buffer and applied to later windows (never on SYN)", async () => {
    const { net, a, b, c, s } = await connected({ RcvBuf: 262144, SndBuf: 262144 });
    const [syn, synack] = net.segs();
    expect(syn.opts.wscale).toBe(3);
    expect(synack.opts.wscale).toBe(3);
    expect(synack.wnd).toBe(65535);
    a.write(c, bytes(1000));
    net.run(300);
    const ack = net.segs(b).at(-1)!;
    expect(ack.wnd).toBe((262144 - 1000) >> 3);
    expect(a.info(c).sndWnd).toBe(((262144 - 1000) >> 3) << 3);
    b.drain(s);
  });

  it("RFC 7323 §2.2: no window scaling unless both SYNs carry the option", async () => {
    const c = await activeToPeer({ RcvBuf: 262144 }, { mss: 1460 });
    expect(c.syn.opts.wscale).toBe(3);
    peerSend(c, ACK, bytes(100));
    c.net.run(300);
    expect(c.p.last().wnd).toBe(65535 - 100); // unscaled, capped; SWS avoidance keeps the edge
    peerSend(c, ACK, undefined, { wnd: 1000 });
    c.net.run(3);
    expect(c.h.info(c.sock).sndWnd).toBe(1000);
  });

  it("RFC 7323 §2.2: the window of a SYN+ACK is never scaled; later windows are", async () => {
    const c = await activeToPeer({ RcvBuf: 262144 }, { mss: 1460, wscale: 7 });
    expect(c.h.info(c.sock).sndWnd).toBe(65535);
    peerSend(c, ACK, undefined, { wnd: 1000 });
    c.net.run(3);
    expect(c.h.info(c.sock).sndWnd).toBe(1000 << 7);
  });

  it("RFC 7323 §2.2: the final ACK of a passive open is scaled", async () => {
    const c = await peerToListener({ RcvBuf: 262144 }, { mss: 1460, wscale: 4 });
    expect(c.syn.opts.wscale).toBe(3);
    expect(c.h.info(c.sock).sndWnd).toBe(65535 << 4);
  });

  it("RFC 7323 §2.3: a shift above 14 is treated as 14", async () => {
    const c = await activeToPeer({ SndBuf: 65536 }, { mss: 1460, wscale: 20 });
    peerSend(c, ACK, undefined, { wnd: 1 });
    c.net.run(3);
    expect(c.h.info(c.sock).sndWnd).toBe(1 << 14);
  });

  it("RFC 7323 §3: timestamps are negotiated and TSecr echoes the peer's TSval", async () => {
    const c = await activeToPeer({}, { mss: 1460, ts: [1000, 0] });
    expect(c.syn.opts.ts).toBeTruthy();
    peerSend(c, ACK, bytes(10), { opts: { ts: [1005, 0] } });
    c.net.run(300);
    const ack = c.p.last();
    expect(ack.opts.ts![1]).toBe(1005);
  });

  it("RFC 7323 §3.2: once timestamps are negotiated, a non-RST segment without them is dropped silently (a RST is not)", async () => {
    const c = await activeToPeer({ DelAckMs: 0 }, { mss: 1460, ts: [1000, 0] });
    peerSend(c, ACK, bytes(10));
    c.net.run(3);
    expect(c.h.info(c.sock).recvQueued).toBe(0);
    expect(c.h.stat("tcp_no_timestamp")).toBe(1);
    expect(c.p.take().length).toBe(0);
    peerSend(c, 0x04, undefined, { seq: c.pseq - 10 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.CLOSED);
  });

  it("RFC 7323 §5.3: PAWS drops a segment whose TSval is older than TS.Recent and ACKs it", async () => {
    const c = await activeToPeer({ DelAckMs: 0 }, { mss: 1460, ts: [50000, 0] });
    peerSend(c, ACK, bytes(10), { opts: { ts: [50010, 0] } });
    c.net.run(3);
    c.p.take();
    peerSend(c, ACK, bytes(10, 2), { opts: { ts: [40000, 0] } });
    c.net.run(3);
    expect(c.h.stat("tcp_paws_drop")).toBe(1);
    expect(c.h.info(c.sock).recvQueued).toBe(10);
    expect(c.p.last().ack).toBe(c.pseq - 10);
  });

  it("RFC 7323 §5.5: PAWS compares modulo 2^32 (a TSval that wrapped is newer)", async () => {
    const c = await activeToPeer({ DelAckMs: 0 }, { mss: 1460, ts: [0xfffffff0, 0] });
    peerSend(c, ACK, bytes(10), { opts: { ts: [0x10, 0] } });
    c.net.run(3);
    expect(c.h.stat("tcp_paws_drop")).toBe(0);
    expect(c.h.info(c.sock).recvQueued).toBe(10);
  });

  it("RFC 7323 §4.3: a timestamp sample (TSecr) gives an RTT even for retransmitted data", async () => {
    const c = await activeToPeer({ DelAckMs: 0, RtoMinMs: 100 }, { mss: 1460, ts: [7, 0] });
    c.h.write(c.sock, bytes(100));
    c.net.run(1050); // initial RTO (no sample from a SYN+ACK whose TSecr is 0): retransmitted
    const d = dataSegs(c.p.take());
    expect(d.length).toBe(2);
    c.net.run(40);
    peerSend(c, ACK, undefined, { ack: d[1].seq + 100, opts: { ts: [8, d[1].opts.ts![0]] } });
    c.net.run(1);
    // retransmitted at +1000 ms, acknowledged at +1091 ms: R = 91 (not 1091, and not discarded per Karn)
    expect(c.h.info(c.sock).srtt).toBe(91);
  });

  it("RFC 6691: SACK blocks count against the MSS — a full data segment never exceeds MSS + 40 bytes", async () => {
    const c = await activeToPeer({ SndBuf: 65536 }, { mss: 1460, sackOk: true, ts: [1, 0] });
    peerSend(c, ACK, new Uint8Array(100), { seq: c.pseq + 1000, opts: { ts: [2, 0] } }); // a hole: SACK due
    c.net.run(3);
    expect(c.p.take().at(-1)!.opts.sack).toBeTruthy();
    c.h.write(c.sock, new Uint8Array(10)); // a small segment has room for the blocks
    c.net.run(3);
    expect(c.p.take().find((x) => x.payload.length === 10)!.opts.sack).toEqual([[c.pseq + 1000, c.pseq + 1100]]);
    c.h.setOption(c.sock, 1, 1);
    c.h.write(c.sock, new Uint8Array(5000));
    c.net.run(3);
    const d = c.p.take().filter((x) => x.payload.length > 0);
    expect(d.length).toBeGreaterThan(1);
    for (const x of d) expect(x.hlen + x.payload.length).toBeLessThanOrEqual(1460 + 20);
    expect(d[0].payload.length).toBe(1448);
    expect(c.h.stat("tcp_tx_too_big")).toBe(0);
  });

  it("RFC 2018 §2: SACK-permitted is offered and honoured only when both SYNs carry it", async () => {
    const c = await activeToPeer({}, { mss: 1460 });
    expect(c.syn.opts.sackOk).toBe(true);
    peerSend(c, ACK, bytes(10), { seq: c.pseq + 100 });
    c.net.run(3);
    expect(c.p.last().opts.sack).toBeUndefined();
  });
});

describe("Keepalive (RFC 1122 §4.2.3.6)", () => {
  it("RFC 1122 §4.2.3.6: an idle connection with KEEPALIVE sends SEG.SEQ = SND.NXT - 1 probes and times out unanswered", async () => {
    const c = await activeToPeer({ KeepIdleMs: 10_000, KeepIntvlMs: 1000, KeepCount: 3 });
    expect(c.h.setOption(c.sock, 2, 1)).toBe(0);
    c.net.run(9000);
    expect(c.p.rx.length).toBe(0);
    c.net.run(1500);
    const probe = c.p.take()[0];
    expect(probe.seq).toBe((c.pack - 1) >>> 0);
    expect(probe.payload.length).toBe(0);
    // answered: the idle timer starts over
    peerSend(c, ACK);
    c.net.run(9000);
    expect(c.p.take().length).toBe(0);
    c.net.run(10_000);
    expect(c.h.stat("tcp_keepalives_tx")).toBe(4);
    expect(c.h.state(c.sock)).toBe(S.CLOSED);
    expect(c.h.hasEvent(c.sock, Ev.Error, Err.ETIMEDOUT)).toBe(true);
  });

  it("RFC 1122 §4.2.3.6: KEEPALIVE set before connect arms once the connection is established", async () => {
    const { net, h, p } = await hostAndPeer({ KeepIdleMs: 1000, KeepIntvlMs: 500, KeepCount: 3 });
    const s = h.open();
    expect(h.setOption(s, 2, 1)).toBe(0);
    h.connect(s, PEER_IP, 7000);
    net.run(3);
    const syn = p.take()[0];
    p.send(h, { sport: 7000, dport: syn.sport, seq: 10, ack: syn.seq + 1, flags: SYN | ACK, opts: { mss: 1460 } });
    net.run(1500);
    expect(h.stat("tcp_keepalives_tx")).toBe(1);
  });

  it("RFC 1122 §4.2.3.6: keepalive is off by default", async () => {
    const c = await activeToPeer({ KeepIdleMs: 1000 });
    c.net.run(10_000);
    expect(c.p.rx.length).toBe(0);
    expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
  });
});

describe("Accepted connections", () => {
  it("RFC 9293 §3.5: a passive open negotiates options from the SYN and delivers data queued before accept", async () => {
    const c = await peerToListener({}, { mss: 1200, sackOk: true, ts: [5, 0], wscale: 2 });
    expect(c.syn.opts.mss).toBe(1460);
    expect(c.syn.opts.ts![1]).toBe(5);
    expect(c.syn.opts.sackOk).toBe(true);
    expect(c.h.info(c.sock).mss).toBe(1200);
    peerSend(c, ACK | PSH, new TextEncoder().encode("GET /"), { opts: { ts: [6, c.syn.opts.ts![0]] } });
    c.net.run(3);
    const r = c.h.read(c.sock);
    expect(r instanceof Uint8Array && new TextDecoder().decode(r)).toBe("GET /");
  });

  it("RFC 9293 §3.5: a SYN+ACK ignores options the SYN did not offer", async () => {
    const c = await peerToListener({}, { mss: 1200 });
    expect(c.syn.opts.ts).toBeUndefined();
    expect(c.syn.opts.sackOk).toBeUndefined();
    expect(c.syn.opts.wscale).toBeUndefined();
    expect(c.syn.flags).toBe(SYN | ACK);
  });
});
