// Audit of the TCP engine against issue 3 (see docs/tcp-conformance.md): one test for each
// implemented rule that no other test would catch if the rule were removed. Each comment
// says what the engine would do without the rule, i.e. why the test fails then.
import { describe, expect, it } from "vitest";
import { ACK, Err, FIN, PSH, RST, S, SYN, connected, transfer, bytes, dropNth } from "./helpers/tcp-harness.js";
import { activeToPeer, hostFin, listenerAndPeer, peerFinAck, peerSend, synSentToPeer } from "./helpers/tcp-peer.js";

const NO_OPTS = 0; // Features: no timestamps, SACK or window scale (NewReno, MSS 1460 payloads)

describe("RFC 9293 §3.10.7.4 segment processing", () => {
  it("RFC 9293 §3.10.7.4 (SND.WL1/SND.WL2): a segment older than the last window update does not change SND.WND", async () => {
    const c = await activeToPeer({ DelAckMs: 0 });
    // out of order, 100 bytes ahead, advertising 30000: SND.WL1 becomes pseq + 100
    peerSend(c, ACK, bytes(10), { seq: c.pseq + 100, wnd: 30000 });
    c.net.run(3);
    expect(c.h.info(c.sock).sndWnd).toBe(30000);
    // the in-order segment was sent earlier (seq < SND.WL1) with a stale, smaller window
    peerSend(c, ACK, bytes(100, 2), { wnd: 1000 });
    c.net.run(3);
    expect(c.h.info(c.sock).recvQueued).toBe(110); // it was accepted (and filled the hole) ...
    expect(c.h.info(c.sock).sndWnd).toBe(30000);  // ... but its window was not applied
  });

  it("RFC 9293 §3.10.7.4: with a zero receive window, a data segment at RCV.NXT still has its ACK processed", async () => {
    const c = await activeToPeer({ DelAckMs: 0, RcvBuf: 1024 });
    expect(c.h.write(c.sock, bytes(100))).toBe(100);
    c.net.run(3);
    peerSend(c, ACK, bytes(1024, 3)); // fills our receive ring: window 0; does not ack our data
    c.net.run(3);
    expect(c.h.info(c.sock).rcvWnd).toBe(0);
    expect(c.h.info(c.sock).sendQueued).toBe(100);
    c.p.take();
    // more data (cannot be taken) carrying an ACK of our 100 bytes
    peerSend(c, ACK | PSH, bytes(10, 4), { seq: c.pseq, ack: c.pack + 100 });
    c.net.run(3);
    expect(c.h.info(c.sock).sendQueued).toBe(0);   // the ACK was used
    expect(c.h.info(c.sock).recvQueued).toBe(1024); // the text was not
    expect(c.p.last().ack).toBe(c.pseq);             // and we say so
  });

  it("RFC 9293 §3.10.7.4: segment text arriving in CLOSE-WAIT (after the peer's FIN) is ignored, not delivered after EOF", async () => {
    const c = await activeToPeer({ DelAckMs: 0 });
    peerSend(c, FIN | ACK);
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.CLOSE_WAIT);
    c.p.take();
    peerSend(c, ACK, bytes(20)); // at RCV.NXT, in the window: acceptable, but after the FIN
    c.net.run(3);
    expect(c.h.info(c.sock).recvQueued).toBe(0);
    expect(c.h.read(c.sock)).toBe(0); // EOF, no bytes after it
    expect(c.p.last().ack).toBe((c.pseq - 20) >>> 0); // acknowledged up to the FIN only
  });

  it("RFC 9293 §3.10.7.2: a RST (even with ACK) to a listener is ignored: no RST back, still LISTEN", async () => {
    const { net, h, p, l } = await listenerAndPeer();
    p.send(h, { sport: 40000, dport: 80, seq: 1234, ack: 5678, flags: RST | ACK });
    net.run(5);
    expect(p.rx.length).toBe(0);
    expect(h.stat("tcp_rst_tx")).toBe(0);
    expect(h.state(l)).toBe(S.LISTEN);
  });

  it("RFC 9293 §3.10.4 (Figure 6 edge SYN-RECEIVED -> FIN-WAIT-1): CLOSE in SYN-RECEIVED after a simultaneous open sends the FIN once ESTABLISHED", async () => {
    const { net, h, p, s, syn } = await synSentToPeer();
    p.send(h, { sport: 7000, dport: syn.sport, seq: 777, flags: SYN, opts: { mss: 1460 } });
    net.run(3);
    expect(h.state(s)).toBe(S.SYN_RECEIVED);
    p.take();
    expect(h.shutdown(s)).toBe(0);
    net.run(3);
    expect(p.rx.filter((x) => x.flags & FIN).length).toBe(0); // no FIN before our SYN is acknowledged
    p.send(h, { sport: 7000, dport: syn.sport, seq: 778, ack: syn.seq + 1, flags: ACK });
    net.run(3);
    expect(h.transitions(s)).toEqual([
      [S.CLOSED, S.SYN_SENT], [S.SYN_SENT, S.SYN_RECEIVED], [S.SYN_RECEIVED, S.ESTABLISHED], [S.ESTABLISHED, S.FIN_WAIT_1],
    ]);
    const fin = p.rx.find((x) => x.flags & FIN)!;
    expect(fin.seq).toBe((syn.seq + 1) >>> 0);
    expect(fin.ack).toBe(778);
  });
});

describe("TIME-WAIT and FIN-WAIT-2 without a user handle", () => {
  /** The host closes first; the peer ACKs and FINs: the host's connection is a TIME-WAIT table entry. */
  const toTimeWaitEntry = async () => {
    const c = await activeToPeer({ MslMs: 60_000 });
    peerFinAck(c, hostFin(c));
    expect((c.h.x.twCount as () => number)()).toBe(1);
    c.p.take();
    return c;
  };

  it("RFC 5961 §3.2 in a TIME-WAIT entry: an in-window RST that is not exact is ignored; the exact one ends it", async () => {
    const c = await toTimeWaitEntry();
    peerSend(c, RST, undefined, { seq: c.pseq + 5 });
    c.net.run(3);
    expect((c.h.x.twCount as () => number)()).toBe(1);
    // still there: a retransmitted FIN is ACKed again (RFC 9293 §3.10.7.4)
    peerSend(c, FIN | ACK, undefined, { seq: c.pseq - 1 });
    c.net.run(3);
    const re = c.p.take();
    expect(re.length).toBe(1);
    expect(re[0].flags).toBe(ACK);
    expect(re[0].ack).toBe(c.pseq);
    peerSend(c, RST, undefined, { seq: c.pseq });
    c.net.run(3);
    expect((c.h.x.twCount as () => number)()).toBe(0);
  });

  it("RFC 9293 §3.6 (orphaned FIN-WAIT-2): after close() a silent peer's connection is released after 2*MSL, not held forever", async () => {
    const c = await activeToPeer({ MslMs: 1000 });
    c.h.close(c.sock);
    c.net.run(3);
    const fin = c.p.take().find((x) => x.flags & FIN)!;
    peerSend(c, ACK, undefined, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    const free = c.h.stat("tcp_conns_closed");
    c.net.run(1900);
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_2);
    c.net.run(200);
    expect(c.h.state(c.sock)).toBe(-Err.EBADF); // the TCB went back to the pool
    expect(c.h.stat("tcp_conns_closed")).toBe(free + 1);
  });
});

describe("RFC 7323 timestamps", () => {
  it("RFC 7323 §4.3: TS.Recent is not taken from an out-of-order segment (SEG.SEQ > Last.ACK.sent), so the in-order one passes PAWS", async () => {
    const c = await activeToPeer({ DelAckMs: 0 }, { mss: 1460, ts: [1000, 0] });
    peerSend(c, ACK, bytes(10), { seq: c.pseq + 100, opts: { ts: [5000, 0] } }); // later segment, newer TSval
    c.net.run(3);
    peerSend(c, ACK, bytes(100, 2), { opts: { ts: [2000, 0] } }); // the earlier one, sent before it
    c.net.run(3);
    expect(c.h.stat("tcp_paws_drop")).toBe(0);
    expect(c.h.info(c.sock).recvQueued).toBe(110);
    expect(c.p.last().opts.ts![1]).toBe(2000); // TSecr echoes the in-order segment's TSval
  });
});

describe("RFC 6298 retransmission timer", () => {
  it("RFC 6298 §5.3: an ACK of new data restarts the retransmission timer (RTO from now, not from the first send)", async () => {
    const c = await activeToPeer({ DelAckMs: 0, RtoInitialMs: 1000, RtoMinMs: 200 });
    expect(c.h.setOption(c.sock, 1, 1)).toBe(0); // NODELAY: both writes go out at once
    c.h.write(c.sock, bytes(100));
    c.h.write(c.sock, bytes(100, 2));
    c.net.run(3);
    expect(c.p.take().length).toBe(2);
    c.net.run(700);
    peerSend(c, ACK, undefined, { ack: c.pack + 100 }); // the first segment, ~700 ms later
    c.net.run(400); // past the first send + the initial RTO of 1000 ms
    expect(c.h.stat("tcp_rto_timeouts")).toBe(0);
    expect(c.p.take().length).toBe(0);
    c.net.run(5000);
    expect(c.h.stat("tcp_rto_timeouts")).toBe(1); // the timer still runs for the second segment
  });
});

describe("RFC 5681 / RFC 6582 congestion window after recovery", () => {
  /** A NewReno recovery episode (one lost segment); records the largest cwnd seen during it. */
  const recovered = async () => {
    const k = await connected({ Features: NO_OPTS, DelAckMs: 0, SndBuf: 65536, RcvBuf: 65536 });
    const { net, a, b, c, s } = k;
    a.write(c, bytes(30 * 1460));
    net.run(50);
    b.drain(s);
    net.hook = dropNth(a, [3]);
    let maxCwnd = 0;
    const data = bytes(16 * 1460, 7);
    const got: Uint8Array[] = [];
    let sent = 0, n = 0;
    net.runUntil(() => {
      if (sent < data.length) sent += Math.max(0, a.write(c, data.subarray(sent)));
      const r = b.drain(s);
      got.push(r); n += r.length;
      maxCwnd = Math.max(maxCwnd, a.info(c).cwnd);
      return n >= data.length && a.info(c).sndUna === a.info(c).sndNxt;
    }, 10_000);
    net.hook = null;
    expect(Buffer.compare(Buffer.concat(got), Buffer.from(data))).toBe(0);
    expect(a.stat("tcp_fast_retransmits")).toBe(1);
    expect(a.stat("tcp_rto_timeouts")).toBe(0);
    return { ...k, maxCwnd };
  };

  it("RFC 6582 §3.2 step 3: a full acknowledgment deflates cwnd to at most ssthresh (+ the congestion-avoidance growth since)", async () => {
    const { a, c, maxCwnd } = await recovered();
    const { cwnd, ssthresh } = a.info(c);
    expect(maxCwnd).toBeGreaterThanOrEqual(ssthresh + 3 * 1460); // it was inflated during recovery ...
    expect(cwnd).toBeLessThanOrEqual(ssthresh + 1460);           // ... and deflated when it ended
  });

  it("RFC 5681 §3.1: above ssthresh (congestion avoidance) cwnd grows by about one SMSS per window, not per ACK", async () => {
    const { net, a, b, c, s } = await recovered();
    transfer(net, a, c, b, s, bytes(40 * 1460, 9), 10_000); // slow start back up past ssthresh
    net.run(10);
    const before = a.info(c);
    expect(before.cwnd).toBeGreaterThan(before.ssthresh); // in congestion avoidance
    const segs = Math.floor(before.cwnd / 1460);
    const got = transfer(net, a, c, b, s, bytes(segs * 1460, 8), 10_000);
    expect(got.length).toBe(segs * 1460);
    net.run(10);
    const grown = a.info(c).cwnd - before.cwnd;
    expect(grown).toBeGreaterThan(0);
    expect(grown).toBeLessThanOrEqual(2 * 1460); // slow start would add ~segs * 1460
  });
});

