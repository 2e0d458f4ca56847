// Retransmission, RTT estimation, congestion control and loss recovery.
import { describe, expect, it } from "vitest";
import { ACK, Err, Ev, FIN, Host, Net, Rng, S, SYN, connected, transfer, bytes, dropNth } from "./helpers/tcp-harness.js";
import { activeToPeer, peerSend } from "./helpers/tcp-peer.js";

const NO_OPTS = 0; // Features: no timestamps, SACK, window scale or cookies
/** Move `data` from a/c to b/s and check it arrived byte for byte. */
const expectIntact = (net: Net, a: Host, c: number, b: Host, s: number, data: Uint8Array, maxMs: number) =>
  expect(Buffer.compare(Buffer.from(transfer(net, a, c, b, s, data, maxMs)), Buffer.from(data))).toBe(0);

describe("RTO (RFC 6298)", () => {
  it("RFC 6298 §2.2: the first RTT sample sets SRTT = R, RTTVAR = R/2, RTO = SRTT + 4*RTTVAR", async () => {
    const { a, c } = await connected({ DelAckMs: 0 });
    // handshake RTT with 1 ms links is 2 ms: with RTO.min 200 the RTO is clamped
    expect(a.info(c).srtt).toBe(2);
    expect(a.info(c).rttvar).toBe(1);
    expect(a.info(c).rto).toBe(200); // SRTT + 4*RTTVAR = 6, clamped to RtoMinMs
    const { a: a2, c: c2 } = await connected({ DelAckMs: 0, RtoMinMs: 1 });
    expect(a2.info(c2).rto).toBe(6);
  });

  it("RFC 6298 §2.3: later samples update RTTVAR = 3/4 RTTVAR + 1/4 |SRTT - R|, SRTT = 7/8 SRTT + 1/8 R", async () => {
    const net0 = await connected({ DelAckMs: 0, RtoMinMs: 1 });
    const { net, a, b, c, s } = net0;
    // handshake sample: R = 2 -> SRTT 2, RTTVAR 1
    net.delay = 50; // now R = 100 per round trip
    a.write(c, bytes(10));
    net.run(200);
    b.read(s);
    // R = 100: RTTVAR8 = 8 + ((|16 - 800| - 8) >> 2) = 202 -> 25 ms; SRTT8 = 16 + (784 >> 3) = 114 -> 14 ms
    const i = a.info(c);
    expect(i.srtt).toBe(14);
    expect(i.rttvar).toBe(25);
    expect(i.rto).toBe(14 + 101); // SRTT + 4*RTTVAR (RTTVAR8 202 / 2)
  });

  it("RFC 6298 §5.5: each retransmission timeout doubles the RTO (backoff)", async () => {
    const { net, a, c } = await connected({ RtoMinMs: 200 });
    net.hook = (_f, from, seg) => (from === a && seg && seg.payload.length > 0 ? "drop" : undefined);
    a.write(c, bytes(100));
    net.run(10_000);
    const tx = net.log.filter((x) => x.from === a.name && x.seg && x.seg.payload.length > 0).map((x) => x.t);
    const gaps = tx.slice(1, 5).map((t, i) => t - tx[i]);
    expect(gaps).toEqual([200, 400, 800, 1600]);
    expect(a.stat("tcp_rto_timeouts")).toBeGreaterThanOrEqual(4);
  });

  it("RFC 6298 §2.5: the backed-off RTO is capped at RtoMaxMs", async () => {
    const { net, a, c } = await connected({ RtoMinMs: 200, RtoMaxMs: 1000, DataRetries: 20 });
    net.hook = (_f, from, seg) => (from === a && seg && seg.payload.length > 0 ? "drop" : undefined);
    a.write(c, bytes(100));
    net.run(6000);
    const tx = net.log.filter((x) => x.from === a.name && x.seg && x.seg.payload.length > 0).map((x) => x.t);
    expect(tx.slice(1, 7).map((t, i) => t - tx[i])).toEqual([200, 400, 800, 1000, 1000, 1000]);
  });

  it("RFC 6298 §3 (Karn): the ACK of a retransmitted segment gives no RTT sample (no timestamps)", async () => {
    const { net, a, b, c, s } = await connected({ Features: NO_OPTS, DelAckMs: 0 });
    expect(a.info(c).srtt).toBe(0); // no sample from the handshake without timestamps
    let dropped = false;
    net.hook = (_f, from, seg) => {
      if (from === a && seg && seg.payload.length > 0 && !dropped) { dropped = true; return "drop"; }
    };
    a.write(c, bytes(100));
    net.runUntil(() => a.info(c).sndUna === a.info(c).sndNxt, 5000);
    expect(a.stat("tcp_rto_timeouts")).toBe(1);
    expect(a.info(c).srtt).toBe(0);
    b.read(s);
    a.write(c, bytes(100));
    net.run(100);
    expect(a.info(c).srtt).toBe(2);
  });

  it("RFC 9293 §3.8.3 (R2): data retransmission gives up after DataRetries with ETIMEDOUT and a RST", async () => {
    const { net, a, c } = await connected({ DataRetries: 3, RtoMinMs: 100, RtoMaxMs: 1000 });
    net.hook = (_f, from, seg) => (from === a && seg && seg.payload.length > 0 ? "drop" : undefined);
    a.write(c, bytes(100));
    net.runUntil(() => a.state(c) === S.CLOSED, 60_000);
    expect(a.state(c)).toBe(S.CLOSED);
    expect(a.hasEvent(c, Ev.Error, Err.ETIMEDOUT)).toBe(true);
    expect(a.info(c).lastError).toBe(Err.ETIMEDOUT);
    expect(net.segs(a).some((x) => x.flags & 0x04)).toBe(true);
  });

  it("RFC 6298 §5.7: after a retransmitted SYN the initial window is one segment (RFC 5681 §3.1)", async () => {
    const { net, h, p } = await (await import("./helpers/tcp-peer.js")).hostAndPeer({ Features: NO_OPTS });
    const s = h.open();
    h.connect(s, "198.51.100.9", 7000);
    net.run(1500); // SYN lost once (the peer never answered the first)
    const syns = p.take().filter((x) => x.flags === 0x02);
    expect(syns.length).toBe(2);
    p.send(h, { sport: 7000, dport: syns[0].sport, seq: 1, ack: syns[0].seq + 1, flags: 0x12, opts: { mss: 1000 } });
    net.run(3);
    expect(h.state(s)).toBe(S.ESTABLISHED);
    expect(h.info(s).cwnd).toBe(1000);
    expect(h.info(s).rto).toBe(3000); // RFC 6298 §5.7: RTO re-initialized to 3 s for data
  });
});

describe("Retransmission of SYN-carried state and FIN", () => {
  it("RFC 9293 §3.10.4: a lost FIN is retransmitted by the RTO and then acknowledged", async () => {
    const { net, a, b, c, s } = await connected({ RtoMinMs: 200 });
    let drops = 0;
    net.hook = (_f, from, seg) => (from === a && seg && seg.flags & FIN && drops++ === 0 ? "drop" : undefined);
    a.shutdown(c);
    net.run(100);
    expect(b.state(s)).toBe(S.ESTABLISHED);
    net.run(400);
    expect(b.state(s)).toBe(S.CLOSE_WAIT);
    expect(a.state(c)).toBe(S.FIN_WAIT_2);
    expect(drops).toBe(2);
  });

  it("RFC 9293 §3.10.2: data written in SYN-SENT is queued and sent once the connection is established", async () => {
    const { net, a, b } = await (await import("./helpers/tcp-harness.js")).pair();
    const l = b.open(); b.bind(l, 80); b.listen(l, 2);
    const c = a.open();
    a.connect(c, "198.51.100.2", 80);
    expect(a.state(c)).toBe(S.SYN_SENT);
    expect(a.write(c, new TextEncoder().encode("early"))).toBe(5);
    net.run(10);
    const s = b.accept(l);
    expect(new TextDecoder().decode(b.drain(s))).toBe("early");
  });
});

describe("Congestion control and loss recovery", () => {
  it("RFC 5681 §3.1: slow start grows cwnd by at most one SMSS per ACK from an initial window of 3 segments (SMSS 1460)", async () => {
    const { net, a, b, c, s } = await connected({ Features: NO_OPTS, DelAckMs: 0, SndBuf: 65536 });
    expect(a.info(c).cwnd).toBe(3 * 1460);
    a.write(c, bytes(3 * 1460));
    net.run(10);
    b.read(s);
    expect(a.info(c).cwnd).toBe(6 * 1460);
  });

  it("RFC 3042: limited transmit lets a 3-segment window lose its first segment and still recover without an RTO", async () => {
    const { net, a, b, c, s } = await connected({ Features: NO_OPTS, DelAckMs: 0, SndBuf: 65536, RcvBuf: 65536 });
    expect(a.info(c).cwnd).toBe(3 * 1460);
    net.hook = dropNth(a, [1]);
    const data = bytes(8 * 1460, 6);
    expectIntact(net, a, c, b, s, data, 10_000);
    expect(a.stat("tcp_rto_timeouts")).toBe(0);
    expect(a.stat("tcp_fast_retransmits")).toBe(1);
  });

  it("RFC 5681 §3.2: three duplicate ACKs trigger a fast retransmit before the RTO", async () => {
    const { net, a, b, c, s } = await connected({ Features: NO_OPTS, DelAckMs: 0, SndBuf: 65536, RcvBuf: 65536 });
    a.write(c, bytes(20 * 1460)); // grow the window first
    net.run(50);
    b.drain(s);
    net.hook = dropNth(a, [2]);
    const data = bytes(10 * 1460, 3);
    const t0 = net.now;
    const got = transfer(net, a, c, b, s, data, 10_000);
    expect(got.length).toBe(data.length);
    expect(a.stat("tcp_fast_retransmits")).toBe(1);
    expect(a.stat("tcp_rto_timeouts")).toBe(0);
    expect(b.stat("tcp_out_of_order")).toBeGreaterThanOrEqual(3);
    expect(net.now - t0).toBeLessThan(200);
    expect(a.info(c).ssthresh).toBeLessThan(0x7fffffff);
  });

  it("RFC 6582 §3.2: NewReno retransmits the next hole on a partial ACK without waiting for an RTO", async () => {
    const { net, a, b, c, s } = await connected({ Features: NO_OPTS, DelAckMs: 0, SndBuf: 65536, RcvBuf: 65536 });
    a.write(c, bytes(30 * 1460));
    net.run(50);
    b.drain(s);
    net.hook = dropNth(a, [2, 5]);
    const data = bytes(12 * 1460, 4);
    expectIntact(net, a, c, b, s, data, 10_000);
    expect(a.stat("tcp_fast_retransmits")).toBe(1); // one recovery episode for both losses
    expect(a.stat("tcp_rto_timeouts")).toBe(0);
    expect(a.stat("tcp_retransmits")).toBe(2);
  });

  it("RFC 6675 §5: SACK-based recovery repairs several holes in one episode", async () => {
    const { net, a, b, c, s } = await connected({ DelAckMs: 0, SndBuf: 65536, RcvBuf: 65536 });
    a.write(c, bytes(30 * 1448));
    net.run(50);
    b.drain(s);
    net.hook = dropNth(a, [2, 4, 6]);
    const data = bytes(14 * 1448, 5);
    expectIntact(net, a, c, b, s, data, 10_000);
    expect(a.stat("tcp_sack_recoveries")).toBe(1);
    expect(a.stat("tcp_rto_timeouts")).toBe(0);
    expect(a.stat("tcp_retransmits")).toBe(3);
  });

  it("RFC 6582 §3.2: with SACK negotiated but no SACK blocks received, partial ACKs still repair the next hole", async () => {
    const { buildFrame, buildTcp } = await import("./helpers/tcp-harness.js");
    const { net, a, b, c, s } = await connected({ DelAckMs: 0, SndBuf: 65536, RcvBuf: 65536 });
    a.write(c, bytes(30 * 1448));
    net.run(50);
    b.drain(s);
    const drop = dropNth(a, [2, 5]);
    net.hook = (f, from, seg) => {
      if (from === b && seg && seg.opts.sack) { // a receiver that never reports SACK blocks
        return buildFrame(f.subarray(0, 6), f.subarray(6, 12), seg.src, seg.dst, buildTcp(seg.src, seg.dst, {
          sport: seg.sport, dport: seg.dport, seq: seg.seq, ack: seg.ack, flags: seg.flags, wnd: seg.wnd, opts: { ts: seg.opts.ts },
        }));
      }
      return drop(f, from, seg);
    };
    const data = bytes(12 * 1448, 4);
    expectIntact(net, a, c, b, s, data, 10_000);
    expect(a.stat("tcp_fast_retransmits")).toBe(1);
    expect(a.stat("tcp_rto_timeouts")).toBe(0);
  });

  it("RFC 6582 §3.2 step 3: a full acknowledgment sets cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)", async () => {
    const c = await activeToPeer({ DelAckMs: 0, SndBuf: 65536, Features: NO_OPTS }, { mss: 1460 });
    c.h.write(c.sock, bytes(6 * 1460));
    c.net.run(3);
    let high = 0;
    for (const x of c.p.take()) high = Math.max(high, x.seq + x.payload.length);
    for (let i = 0; i < 4; i++) { // the first segment is "lost": duplicate ACKs
      peerSend(c, ACK);
      c.net.run(3);
      for (const x of c.p.take()) high = Math.max(high, x.seq + x.payload.length);
    }
    expect(c.h.stat("tcp_fast_retransmits")).toBe(1);
    peerSend(c, ACK, undefined, { ack: high >>> 0 }); // all acknowledged: FlightSize 0
    c.net.run(3);
    const i = c.h.info(c.sock);
    expect(i.sndNxt - i.sndUna).toBe(0);
    expect(i.cwnd).toBe(Math.min(i.ssthresh, 2 * 1460));
  });

  it("RFC 5681 §3.1: an RTO collapses cwnd to one segment and sets ssthresh to half the flight", async () => {
    const { net, a, c } = await connected({ Features: NO_OPTS, DelAckMs: 0, SndBuf: 65536 });
    net.hook = (_f, from, seg) => (from === a && seg && seg.payload.length > 0 ? "drop" : undefined);
    a.write(c, bytes(3 * 1460));
    net.runUntil(() => a.stat("tcp_rto_timeouts") === 1, 5000);
    expect(a.info(c).cwnd).toBe(1460);
    expect(a.info(c).ssthresh).toBe(2 * 1460); // max(flight/2 = 2190, 2*SMSS)
  });
});

describe("Receive side (RFC 2018, RFC 9293 §3.10.7.4)", () => {
  it("RFC 2018 §4: out-of-order data is SACKed, the most recently received block first", async () => {
    const c = await activeToPeer({}, { mss: 1460, sackOk: true });
    const base = c.pseq;
    peerSend(c, ACK, bytes(100), { seq: base + 1000 });
    c.net.run(3);
    peerSend(c, ACK, bytes(100), { seq: base + 3000 });
    c.net.run(3);
    const last = c.p.last();
    expect(last.ack).toBe(base);
    expect(last.opts.sack).toEqual([[base + 3000, base + 3100], [base + 1000, base + 1100]]);
    peerSend(c, ACK, bytes(100), { seq: base + 1100 });
    c.net.run(3);
    expect(c.p.last().opts.sack).toEqual([[base + 1000, base + 1200], [base + 3000, base + 3100]]);
  });

  it("RFC 9293 §3.10.7.4: out-of-order segments are reassembled in the receive buffer and delivered in order", async () => {
    const c = await activeToPeer();
    const data = bytes(5000);
    const base = c.pseq;
    for (const off of [4000, 1000, 3000, 2000, 0]) {
      peerSend(c, ACK, data.subarray(off, off + 1000), { seq: base + off });
      c.net.run(2);
    }
    const r = c.h.read(c.sock);
    expect(r instanceof Uint8Array && Buffer.compare(Buffer.from(r), Buffer.from(data))).toBe(0);
    expect(c.h.stat("tcp_out_of_order")).toBe(4);
    expect(c.p.last().ack).toBe((base + 5000) >>> 0);
  });

  it("RFC 9293 §3.10.7.4: out-of-order ranges are bounded (a seventh gap is dropped and counted)", async () => {
    const c = await activeToPeer();
    const base = c.pseq;
    for (let i = 1; i <= 7; i++) {
      peerSend(c, ACK, bytes(10), { seq: base + i * 100 });
      c.net.run(2);
    }
    expect(c.h.stat("tcp_ofo_dropped")).toBe(1);
    expect(c.h.stat("tcp_out_of_order")).toBe(7);
  });

  it("RFC 9293 §3.10.7.4: data beyond the receive window is trimmed, the in-window part kept", async () => {
    const c = await activeToPeer({ RcvBuf: 4096 });
    for (let i = 0; i < 3; i++) {
      peerSend(c, ACK, bytes(1400, i));
      c.net.run(2);
    }
    const i = c.h.info(c.sock);
    expect(i.recvQueued).toBe(4096);
    expect(c.h.stat("tcp_rcv_buf_drop")).toBe(1);
    expect(c.p.last().ack).toBe((c.pseq - 4200 + 4096) >>> 0);
    expect(c.p.last().wnd).toBe(0);
  });

  it("RFC 9293 §3.10.7.4: a segment with only old data is acknowledged again and not delivered twice", async () => {
    const c = await activeToPeer();
    peerSend(c, ACK, bytes(100));
    c.net.run(3);
    c.p.take();
    peerSend(c, ACK, bytes(100), { seq: c.pseq - 100 });
    c.net.run(3);
    expect(c.p.last().ack).toBe(c.pseq);
    expect(c.h.info(c.sock).recvQueued).toBe(100);
    expect(c.h.stat("tcp_bad_seq")).toBe(1);
  });

  it("RFC 9293 §3.10.7.4: a segment overlapping rcvNxt delivers only its new bytes", async () => {
    const c = await activeToPeer();
    const data = bytes(300);
    peerSend(c, ACK, data.subarray(0, 200));
    c.net.run(3);
    peerSend(c, ACK, data.subarray(100, 300), { seq: c.pseq - 100 });
    c.net.run(3);
    const r = c.h.read(c.sock) as Uint8Array;
    expect(Buffer.compare(Buffer.from(r), Buffer.from(data))).toBe(0);
  });

  it("RFC 9293 §3.10.7.4: after our FIN is acknowledged, FIN-WAIT-2 still delivers the peer's data and FIN", async () => {
    const c = await activeToPeer();
    c.h.shutdown(c.sock);
    c.net.run(3);
    const fin = c.p.take().find((x) => x.flags & FIN)!;
    peerSend(c, ACK, bytes(50), { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    expect((c.h.read(c.sock) as Uint8Array).length).toBe(50);
    peerSend(c, FIN | ACK, undefined, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.TIME_WAIT);
    expect(c.h.read(c.sock)).toBe(0);
  });
});

describe("Sequence space wrap (RFC 9293 §3.4)", () => {
  it("RFC 9293 §3.4: our sequence numbers wrap modulo 2^32 mid-transfer (ISN just below 2^32), under loss", async () => {
    const { pair: mkPair } = await import("./helpers/tcp-harness.js");
    const { net, a, b } = await mkPair({ SndBuf: 65536, RcvBuf: 65536 });
    const l = b.open(); b.bind(l, 80); b.listen(l, 2);
    // RFC 6528: ISN = M + F(tuple), M a 4 us clock (250 per ms). Learn this tuple's ISN at t0,
    // then connect again from the same tuple at the moment M has carried it to 2^32 - ~5000.
    let c = a.open(); a.bind(c, 4000); a.connect(c, "198.51.100.2", 80);
    const iss0 = net.segs(a).at(-1)!.seq;
    const t0 = net.log.find((x) => x.seg?.seq === iss0)!.t;
    a.abort(c);
    net.run(5);
    b.drain(b.accept(l));
    const behind = (0xffffec78 - iss0 - (net.now - t0) * 250) >>> 0; // ISN units still to go
    net.now += Math.floor(behind / 250); // virtual time: jump the clock (calls poll at the new time first)
    c = a.open(); a.bind(c, 4000);
    a.connect(c, "198.51.100.2", 80);
    net.run(5); // (hours later the neighbour must be resolved again before the SYN leaves)
    const iss = net.segs(a).filter((x) => x.flags & SYN).at(-1)!.seq;
    expect(iss).toBeGreaterThan(0xffff0000);
    const s = b.accept(l);
    net.impair = { loss: 0.03, rng: new Rng(11) };
    const data = bytes(300_000, 9);
    expectIntact(net, a, c, b, s, data, 60_000);
    expect(a.info(c).sndUna).toBeLessThan(iss); // wrapped
    a.shutdown(c);
    net.run(400);
    expect(a.state(c)).toBe(S.FIN_WAIT_2);
  });

  it("RFC 9293 §3.4: the peer's sequence numbers wrap modulo 2^32 (peer ISN just below 2^32)", async () => {
    const c = await activeToPeer({}, { mss: 1460 }, 0xfffffc00);
    const data = bytes(5000, 3);
    for (let off = 0; off < data.length; off += 1000) {
      peerSend(c, ACK, data.subarray(off, off + 1000));
      c.net.run(2);
    }
    expect(Buffer.compare(Buffer.from(c.h.drain(c.sock)), Buffer.from(data))).toBe(0);
    c.net.run(300);
    expect(c.p.last().ack).toBe((0xfffffc00 + 1 + 5000) >>> 0);
  });
});
