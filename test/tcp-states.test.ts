// The RFC 9293 state diagram, edge by edge, between two instances or against a scripted peer.
import { describe, expect, it } from "vitest";
import { ACK, Err, Ev, FIN, RST, S, SYN, connected, flagStr, pair } from "./helpers/tcp-harness.js";
import { activeToPeer, hostAndPeer, hostFin, listenerAndPeer, peerFinAck, peerSend, PEER_IP, synSentToPeer } from "./helpers/tcp-peer.js";

const enc = (s: string) => new TextEncoder().encode(s);

describe("TCP connection establishment", () => {
  it("RFC 9293 §3.5: three-way handshake SYN; SYN+ACK (ack = iss + 1); ACK, both ESTABLISHED", async () => {
    const { net, a, b, l, c, s } = await connected();
    const segs = net.segs();
    expect(segs.slice(0, 3).map((x) => flagStr(x.flags))).toEqual(["SYN", "SYN,ACK", "ACK"]);
    const [syn, synack, ack] = segs;
    expect(synack.ack).toBe((syn.seq + 1) >>> 0);
    expect(ack.seq).toBe((syn.seq + 1) >>> 0);
    expect(ack.ack).toBe((synack.seq + 1) >>> 0);
    expect(a.transitions(c)).toEqual([[S.CLOSED, S.SYN_SENT], [S.SYN_SENT, S.ESTABLISHED]]);
    expect(b.transitions(s)).toEqual([[S.LISTEN, S.SYN_RECEIVED], [S.SYN_RECEIVED, S.ESTABLISHED]]);
    expect(a.hasEvent(c, Ev.Connected)).toBe(true);
    expect(b.hasEvent(l, Ev.Accepted)).toBe(true);
    expect(b.transitions(l)).toEqual([[S.CLOSED, S.LISTEN]]);
  });

  it("RFC 9293 §3.5 (Figure 8): simultaneous open goes SYN-SENT -> SYN-RECEIVED -> ESTABLISHED on both sides", async () => {
    const { net, a, b } = await pair();
    const ha = a.open(), hb = b.open();
    expect(a.bind(ha, 1000)).toBe(0);
    expect(b.bind(hb, 2000)).toBe(0);
    a.connect(ha, "198.51.100.2", 2000);
    b.connect(hb, "198.51.100.1", 1000);
    net.run(50);
    expect(a.state(ha)).toBe(S.ESTABLISHED);
    expect(b.state(hb)).toBe(S.ESTABLISHED);
    const want = [[S.CLOSED, S.SYN_SENT], [S.SYN_SENT, S.SYN_RECEIVED], [S.SYN_RECEIVED, S.ESTABLISHED]];
    expect(a.transitions(ha)).toEqual(want);
    expect(b.transitions(hb)).toEqual(want);
    const fl = net.segs().map((x) => flagStr(x.flags));
    expect(fl.filter((f) => f === "SYN").length).toBe(2);
    expect(fl.filter((f) => f === "SYN,ACK").length).toBe(2);
  });

  it("RFC 9293 §3.5 (Figure 8 line 6): in SYN-RECEIVED, the peer's SYN,ACK that acknowledges our SYN establishes at once", async () => {
    const { net, h, p, s, syn } = await synSentToPeer();
    p.send(h, { sport: 7000, dport: syn.sport, seq: 300, flags: SYN });
    net.run(3);
    expect(h.state(s)).toBe(S.SYN_RECEIVED);
    p.send(h, { sport: 7000, dport: syn.sport, seq: 300, ack: syn.seq + 1, flags: SYN | ACK });
    net.run(3);
    expect(h.state(s)).toBe(S.ESTABLISHED);
    expect(h.stat("tcp_bad_seq")).toBe(0);
    expect(h.info(s).rcvNxt).toBe(301);
  });

  it("RFC 9293 §3.10.7.1: a SYN to a closed port gets <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>; the connector sees ECONNREFUSED", async () => {
    const { net, a, b } = await pair();
    const c = a.open();
    a.connect(c, "198.51.100.2", 81);
    net.run(20);
    const segs = net.segs();
    expect(flagStr(segs[1].flags)).toBe("RST,ACK");
    expect(segs[1].seq).toBe(0);
    expect(segs[1].ack).toBe((segs[0].seq + 1) >>> 0);
    expect(a.state(c)).toBe(S.CLOSED);
    expect(a.hasEvent(c, Ev.Error, Err.ECONNREFUSED)).toBe(true);
    expect(a.info(c).lastError).toBe(Err.ECONNREFUSED);
    expect(b.stat("tcp_no_socket")).toBe(1);
    expect(a.write(c, enc("x"))).toBe(-Err.ECONNREFUSED);
  });

  it("RFC 9293 §3.10.7.1: an ACK segment to a closed port gets <SEQ=SEG.ACK><CTL=RST>; a RST gets nothing", async () => {
    const { net, h, p } = await hostAndPeer();
    p.send(h, { sport: 5555, dport: 99, seq: 123, ack: 777777, flags: ACK, payload: enc("hello") });
    net.run(5);
    expect(p.rx.length).toBe(1);
    expect(flagStr(p.rx[0].flags)).toBe("RST");
    expect(p.rx[0].seq).toBe(777777);
    p.take();
    p.send(h, { sport: 5555, dport: 99, seq: 123, flags: RST });
    net.run(5);
    expect(p.rx.length).toBe(0);
  });

  it("RFC 9293 §3.10.7.3: SYN-SENT drops a SYN+ACK whose ACK is unacceptable and answers <SEQ=SEG.ACK><CTL=RST>", async () => {
    const { net, h, p, s, syn } = await synSentToPeer();
    p.send(h, { sport: 7000, dport: syn.sport, seq: 100, ack: syn.seq + 50, flags: SYN | ACK });
    net.run(3);
    expect(h.state(s)).toBe(S.SYN_SENT);
    expect(flagStr(p.last().flags)).toBe("RST");
    expect(p.last().seq).toBe((syn.seq + 50) >>> 0);
    expect(h.stat("tcp_bad_ack")).toBe(1);
  });

  it("RFC 9293 §3.10.7.3: SYN-SENT ignores a RST whose ACK is unacceptable", async () => {
    const { net, h, p, s, syn } = await synSentToPeer();
    p.send(h, { sport: 7000, dport: syn.sport, seq: 0, ack: syn.seq + 9, flags: RST | ACK });
    net.run(3);
    expect(h.state(s)).toBe(S.SYN_SENT);
    p.send(h, { sport: 7000, dport: syn.sport, seq: 0, ack: syn.seq + 1, flags: RST | ACK });
    net.run(3);
    expect(h.state(s)).toBe(S.CLOSED);
    expect(h.hasEvent(s, Ev.Error, Err.ECONNREFUSED)).toBe(true);
  });

  it("RFC 6298 §5 + RFC 9293 §3.8.1: an unanswered SYN is retransmitted with exponential backoff, then ETIMEDOUT", async () => {
    const { net, h, p } = await hostAndPeer({ SynRetries: 3, RtoInitialMs: 1000 });
    const s = h.open();
    h.connect(s, PEER_IP, 7000);
    net.runUntil(() => h.state(s) === S.CLOSED, 120_000);
    const syns = net.log.filter((x) => x.seg && x.seg.flags === SYN);
    expect(syns.length).toBe(4);
    const gaps = syns.slice(1).map((x, i) => x.t - syns[i].t);
    expect(gaps).toEqual([1000, 2000, 4000]);
    expect(new Set(syns.map((x) => x.seg!.seq)).size).toBe(1);
    expect(h.hasEvent(s, Ev.Error, Err.ETIMEDOUT)).toBe(true);
    expect(h.info(s).lastError).toBe(Err.ETIMEDOUT);
    expect(p.rx.length).toBe(4);
  });

  it("RFC 9293 §3.5: SYN-RECEIVED retransmits SYN+ACK when the final ACK never comes, then drops the half-open connection", async () => {
    const { net, h, p, l } = await listenerAndPeer({ SynRetries: 2, RtoInitialMs: 1000 });
    p.send(h, { sport: 40000, dport: 80, seq: 1, flags: SYN, opts: { mss: 1000 } });
    net.run(20_000);
    const sa = p.rx.filter((x) => x.flags === (SYN | ACK));
    expect(sa.length).toBe(3);
    expect(sa[1].seq).toBe(sa[0].seq);
    // the half-open connection is gone: its ACK now meets a listener and gets a RST
    p.take();
    p.send(h, { sport: 40000, dport: 80, seq: 2, ack: sa[0].seq + 1, flags: ACK, });
    net.run(5);
    expect(flagStr(p.last().flags)).toBe("RST");
    expect(h.accept(l)).toBe(-Err.EAGAIN);
    expect(h.state(l)).toBe(S.LISTEN);
  });

  it("RFC 9293 §3.10.7.4: a retransmitted SYN in SYN-RECEIVED is answered with the same SYN+ACK", async () => {
    const { net, h, p } = await listenerAndPeer();
    p.send(h, { sport: 40000, dport: 80, seq: 1, flags: SYN });
    net.run(5);
    p.send(h, { sport: 40000, dport: 80, seq: 1, flags: SYN });
    net.run(5);
    const sa = p.rx.filter((x) => x.flags === (SYN | ACK));
    expect(sa.length).toBe(2);
    expect(sa[1].seq).toBe(sa[0].seq);
    expect(sa[1].ack).toBe(2);
  });

  it("RFC 9293 §3.10.7.4: SYN-RECEIVED answers an unacceptable ACK with <SEQ=SEG.ACK><CTL=RST>", async () => {
    const { net, h, p, l } = await listenerAndPeer();
    p.send(h, { sport: 40000, dport: 80, seq: 1, flags: SYN });
    net.run(5);
    const sa = p.take()[0];
    p.send(h, { sport: 40000, dport: 80, seq: 2, ack: sa.seq + 100, flags: ACK });
    net.run(5);
    expect(flagStr(p.last().flags)).toBe("RST");
    expect(p.last().seq).toBe((sa.seq + 100) >>> 0);
    expect(h.accept(l)).toBe(-Err.EAGAIN);
  });
});

describe("TCP CLOSE before establishment", () => {
  it("RFC 9293 §3.10.4: CLOSE in LISTEN -> CLOSED; the port is free again", async () => {
    const { a } = await pair();
    const l = a.open(); a.bind(l, 80); a.listen(l, 2);
    expect(a.close(l)).toBe(0);
    expect(a.transitions(l)).toEqual([[S.CLOSED, S.LISTEN], [S.LISTEN, S.CLOSED]]);
    const l2 = a.open();
    expect(a.bind(l2, 80)).toBe(0);
  });

  it("RFC 9293 §3.10.4: CLOSE in SYN-SENT -> CLOSED without a RST; a late SYN+ACK is answered with a RST", async () => {
    const { net, h, p, s, syn } = await synSentToPeer();
    expect(h.close(s)).toBe(0);
    expect(h.transitions(s).at(-1)).toEqual([S.SYN_SENT, S.CLOSED]);
    net.run(3);
    expect(p.rx.length).toBe(0);
    p.send(h, { sport: 7000, dport: syn.sport, seq: 100, ack: syn.seq + 1, flags: SYN | ACK });
    net.run(3);
    expect(flagStr(p.last().flags)).toBe("RST");
    expect(p.last().seq).toBe((syn.seq + 1) >>> 0);
  });
});

describe("TCP connection termination", () => {
  it("RFC 9293 §3.6: four-way close; a FIN consumes one sequence number (ack = seq + 1); LAST-ACK -> CLOSED", async () => {
    const { net, a, b, c, s } = await connected();
    a.close(c);
    net.run(10);
    expect(b.state(s)).toBe(S.CLOSE_WAIT);
    expect(b.read(s)).toBe(0); // EOF
    b.close(s);
    net.run(10);
    const fins = net.segs().filter((x) => x.flags & FIN);
    expect(fins.length).toBe(2);
    const [finA, finB] = fins;
    const acks = net.segs();
    const ackOfA = acks.find((x) => x.src === finB.src && x.ack === ((finA.seq + finA.payload.length + 1) >>> 0));
    expect(ackOfA).toBeTruthy();
    const ackOfB = acks.find((x) => x.src === finA.src && x.ack === ((finB.seq + 1) >>> 0));
    expect(ackOfB).toBeTruthy();
    expect(a.transitions(c)).toEqual([[0, 2], [2, 4], [S.ESTABLISHED, S.FIN_WAIT_1], [S.FIN_WAIT_1, S.FIN_WAIT_2], [S.FIN_WAIT_2, S.TIME_WAIT]]);
    expect(b.transitions(s).slice(2)).toEqual([[S.ESTABLISHED, S.CLOSE_WAIT], [S.CLOSE_WAIT, S.LAST_ACK], [S.LAST_ACK, S.CLOSED]]);
    expect(b.hasEvent(s, Ev.Closed)).toBe(true);
    // both handles released by the stack (closed by the user, then CLOSED / TIME-WAIT)
    expect(a.state(c)).toBe(-Err.EBADF);
    expect(b.state(s)).toBe(-Err.EBADF);
  });

  it("RFC 9293 §3.10.4: a shutdown in SYN-SENT is queued; the FIN follows the data once ESTABLISHED", async () => {
    const { net, a, b } = await pair();
    const l = b.open(); b.bind(l, 80); b.listen(l, 2);
    const c = a.open();
    a.connect(c, "198.51.100.2", 80);
    expect(a.write(c, enc("bye"))).toBe(3);
    expect(a.shutdown(c)).toBe(0);
    expect(a.state(c)).toBe(S.SYN_SENT);
    expect(a.write(c, enc("x"))).toBe(-Err.EPIPE);
    net.run(20);
    expect(a.transitions(c)).toEqual([[0, 2], [2, 4], [4, 5], [5, 6]]);
    const s = b.accept(l);
    expect(new TextDecoder().decode(b.drain(s))).toBe("bye");
    expect(b.read(s)).toBe(0);
  });

  it("RFC 9293 §3.6: half-close — CLOSE-WAIT may still send data, FIN-WAIT-2 still receives it", async () => {
    const { net, a, b, c, s } = await connected();
    expect(a.shutdown(c)).toBe(0);
    net.run(10);
    expect(a.state(c)).toBe(S.FIN_WAIT_2);
    expect(b.state(s)).toBe(S.CLOSE_WAIT);
    expect(b.write(s, enc("late reply"))).toBe(10);
    net.run(10);
    const r = a.read(c);
    expect(r instanceof Uint8Array && new TextDecoder().decode(r)).toBe("late reply");
    expect(a.write(c, enc("x"))).toBe(-Err.EPIPE);
    expect(b.read(s)).toBe(0);
    b.shutdown(s);
    net.run(10);
    expect(a.state(c)).toBe(S.TIME_WAIT);
    expect(a.read(c)).toBe(0);
    expect(b.state(s)).toBe(S.CLOSED);
  });

  it("RFC 9293 §3.10.7.4: FIN-WAIT-1 goes straight to TIME-WAIT on a FIN+ACK that acknowledges our FIN", async () => {
    const c = await activeToPeer();
    c.h.shutdown(c.sock);
    c.net.run(3);
    const fin = c.p.take().find((x) => x.flags & FIN)!;
    expect(c.h.state(c.sock)).toBe(S.FIN_WAIT_1);
    peerSend(c, FIN | ACK, undefined, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.TIME_WAIT);
    expect(c.h.transitions(c.sock).slice(-2)).toEqual([[S.ESTABLISHED, S.FIN_WAIT_1], [S.FIN_WAIT_1, S.TIME_WAIT]]);
    expect(c.p.last().ack).toBe(c.pseq);
    expect(c.p.last().flags).toBe(ACK);
  });

  it("RFC 9293 §3.6 (Figure 13): simultaneous close passes through CLOSING to TIME-WAIT on both sides", async () => {
    const { net, a, b, c, s } = await connected();
    a.shutdown(c);
    b.shutdown(s);
    net.run(20);
    for (const [h, x] of [[a, c], [b, s]] as const) {
      expect(h.state(x)).toBe(S.TIME_WAIT);
      expect(h.transitions(x).slice(-3)).toEqual([[S.ESTABLISHED, S.FIN_WAIT_1], [S.FIN_WAIT_1, S.CLOSING], [S.CLOSING, S.TIME_WAIT]]);
    }
  });

  it("RFC 9293 §3.10.7.4: CLOSING waits for the ACK of our FIN (a FIN alone does not end it)", async () => {
    const c = await activeToPeer();
    c.h.shutdown(c.sock);
    c.net.run(3);
    const fin = c.p.take().find((x) => x.flags & FIN)!;
    peerSend(c, FIN | ACK, undefined, { ack: fin.seq }); // their FIN, not acking ours
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.CLOSING);
    peerSend(c, ACK, undefined, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.TIME_WAIT);
  });

  it("RFC 9293 §3.10.7.4: TIME-WAIT lasts 2*MSL, re-ACKs a retransmitted FIN and restarts its timer", async () => {
    const c = await activeToPeer({ MslMs: 1000 });
    const fin = hostFin(c);
    peerFinAck(c, fin);
    expect(c.h.hasEvent(c.sock, Ev.State, (S.FIN_WAIT_1 << 8) | S.TIME_WAIT)).toBe(true);
    expect(c.h.state(c.sock)).toBe(-Err.EBADF); // closed by the user: moved to the TIME-WAIT table
    c.p.take();
    c.net.run(1500);
    // the last ACK was "lost": the peer retransmits its FIN
    peerSend(c, FIN | ACK, undefined, { seq: c.pseq - 1, ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.p.last().flags).toBe(ACK);
    expect(c.p.last().ack).toBe(c.pseq);
    expect(c.p.last().seq).toBe((fin.seq + 1) >>> 0);
    c.p.take();
    c.net.run(1000); // 2.5 s after entering TIME-WAIT, but only 1 s after the restart
    peerSend(c, FIN | ACK, undefined, { seq: c.pseq - 1, ack: fin.seq + 1 });
    c.net.run(3);
    expect(c.p.last().flags).toBe(ACK);
    c.p.take();
    c.net.run(2100); // now past 2*MSL with no FIN: the entry is gone
    peerSend(c, ACK, undefined, { ack: fin.seq + 1 });
    c.net.run(3);
    expect(flagStr(c.p.last().flags)).toBe("RST");
  });

  it("RFC 9293 §3.10.7.4 (RFC 6191): a new SYN above the old sequence space reopens a TIME-WAIT connection", async () => {
    const { net, a, b, l, c, s } = await connected({ MslMs: 60_000 });
    const port = a.info(c).localPort;
    b.close(s); // the server closes first and ends in TIME-WAIT
    net.run(10);
    a.close(c);
    net.run(10);
    expect((b.x.twCount as () => number)()).toBe(1);
    const p = net.peer("198.51.100.1", 0x01); // impersonate the client's address with a scripted peer
    net.remove(a);
    const lastSeq = net.segs(a).at(-1)!.seq;
    p.send(b, { sport: port, dport: 80, seq: lastSeq + 100000, flags: SYN });
    net.run(5);
    expect(p.last().flags).toBe(SYN | ACK);
    expect((b.x.twCount as () => number)()).toBe(0);
    expect(b.state(l)).toBe(S.LISTEN);
  });

  it("RFC 9293 §3.10.7.4: TIME-WAIT held by the user's handle expires to CLOSED after 2*MSL", async () => {
    const { net, a, b, c, s } = await connected({ MslMs: 500 });
    a.shutdown(c);
    net.run(10);
    b.shutdown(s);
    net.run(10);
    expect(a.state(c)).toBe(S.TIME_WAIT);
    net.run(900);
    expect(a.state(c)).toBe(S.TIME_WAIT);
    net.run(200);
    expect(a.state(c)).toBe(S.CLOSED);
    expect(a.close(c)).toBe(0);
    expect(a.state(c)).toBe(-Err.EBADF);
  });

  it("RFC 9293 §3.10.7.4: a retransmitted FIN in CLOSE-WAIT is acknowledged again", async () => {
    const c = await activeToPeer();
    peerSend(c, FIN | ACK);
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.CLOSE_WAIT);
    c.p.take();
    peerSend(c, FIN | ACK, undefined, { seq: c.pseq - 1 });
    c.net.run(3);
    expect(c.p.last().flags).toBe(ACK);
    expect(c.p.last().ack).toBe(c.pseq);
    expect(c.h.state(c.sock)).toBe(S.CLOSE_WAIT);
  });

  it("RFC 9293 §3.10.7.4: a FIN received out of order is held until the gap fills", async () => {
    const c = await activeToPeer();
    const start = c.pseq;
    peerSend(c, FIN | ACK, enc("world"), { seq: start + 5 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
    peerSend(c, ACK, enc("hello"), { seq: start });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.CLOSE_WAIT);
    const r = c.h.read(c.sock);
    expect(r instanceof Uint8Array && new TextDecoder().decode(r)).toBe("helloworld");
    expect(c.h.read(c.sock)).toBe(0);
    expect(c.p.last().ack).toBe((start + 11) >>> 0);
  });
});

describe("TCP reset handling", () => {
  const rstIn = async (reach: (c: Awaited<ReturnType<typeof activeToPeer>>) => void, want: number, err: number) => {
    const c = await activeToPeer();
    reach(c);
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(want);
    peerSend(c, RST);
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.CLOSED);
    expect(c.h.transitions(c.sock).at(-1)).toEqual([want, S.CLOSED]);
    if (err) expect(c.h.hasEvent(c.sock, Ev.Reset, err)).toBe(true);
    else expect(c.h.hasEvent(c.sock, Ev.Reset)).toBe(false);
    expect(c.h.hasEvent(c.sock, Ev.Closed)).toBe(true);
  };
  it("RFC 9293 §3.10.7.4: RST in ESTABLISHED -> CLOSED with ECONNRESET", () => rstIn(() => {}, S.ESTABLISHED, Err.ECONNRESET));
  it("RFC 9293 §3.10.7.4: RST in FIN-WAIT-1 -> CLOSED with ECONNRESET", () => rstIn((c) => c.h.shutdown(c.sock), S.FIN_WAIT_1, Err.ECONNRESET));
  it("RFC 9293 §3.10.7.4: RST in FIN-WAIT-2 -> CLOSED with ECONNRESET", () => rstIn((c) => {
    c.h.shutdown(c.sock); c.net.run(3);
    const fin = c.p.take().find((x) => x.flags & FIN)!;
    peerSend(c, ACK, undefined, { ack: fin.seq + 1 });
  }, S.FIN_WAIT_2, Err.ECONNRESET));
  it("RFC 9293 §3.10.7.4: RST in CLOSE-WAIT -> CLOSED with ECONNRESET", () => rstIn((c) => peerSend(c, FIN | ACK), S.CLOSE_WAIT, Err.ECONNRESET));
  it("RFC 9293 §3.10.7.4: RST in CLOSING -> CLOSED", () => rstIn((c) => {
    c.h.shutdown(c.sock); c.net.run(3);
    const fin = c.p.take().find((x) => x.flags & FIN)!;
    peerSend(c, FIN | ACK, undefined, { ack: fin.seq });
  }, S.CLOSING, 0));
  it("RFC 9293 §3.10.7.4: RST in LAST-ACK -> CLOSED", () => rstIn((c) => {
    peerSend(c, FIN | ACK); c.net.run(3); c.h.shutdown(c.sock);
  }, S.LAST_ACK, 0));
  it("RFC 9293 §3.10.7.4: RST in TIME-WAIT -> CLOSED", () => rstIn((c) => {
    c.h.shutdown(c.sock); c.net.run(3);
    const fin = c.p.take().find((x) => x.flags & FIN)!;
    peerSend(c, FIN | ACK, undefined, { ack: fin.seq + 1 });
  }, S.TIME_WAIT, 0));

  it("RFC 9293 §3.10.7.4: RST in SYN-RECEIVED (passive open) returns to LISTEN without an accept", async () => {
    const { net, h, p, l } = await listenerAndPeer();
    p.send(h, { sport: 40000, dport: 80, seq: 1, flags: SYN });
    net.run(5);
    p.send(h, { sport: 40000, dport: 80, seq: 2, flags: RST });
    net.run(5);
    expect(h.state(l)).toBe(S.LISTEN);
    expect(h.accept(l)).toBe(-Err.EAGAIN);
    const sa = p.take().find((x) => x.flags === (SYN | ACK))!;
    p.send(h, { sport: 40000, dport: 80, seq: 2, ack: sa.seq + 1, flags: ACK });
    net.run(5);
    expect(flagStr(p.last().flags)).toBe("RST"); // the child is gone
  });

  it("RFC 9293 §3.10.7.4: RST in SYN-RECEIVED after a simultaneous open -> CLOSED with ECONNREFUSED", async () => {
    const { net, h, p, s, syn } = await synSentToPeer();
    p.send(h, { sport: 7000, dport: syn.sport, seq: 300, flags: SYN });
    net.run(3);
    expect(h.state(s)).toBe(S.SYN_RECEIVED);
    p.send(h, { sport: 7000, dport: syn.sport, seq: 301, flags: RST });
    net.run(3);
    expect(h.state(s)).toBe(S.CLOSED);
    expect(h.hasEvent(s, Ev.Error, Err.ECONNREFUSED)).toBe(true);
  });

  it("RFC 9293 §3.10.7.4: abort sends <SEQ=SND.NXT><CTL=RST>; the peer reports ECONNRESET", async () => {
    const { net, a, b, c, s } = await connected();
    expect(a.abort(c)).toBe(0);
    net.run(10);
    const rst = net.segs(a).find((x) => x.flags & RST)!;
    expect(rst).toBeTruthy();
    expect(b.state(s)).toBe(S.CLOSED);
    expect(b.hasEvent(s, Ev.Reset, Err.ECONNRESET)).toBe(true);
    expect(b.read(s)).toBe(-Err.ECONNRESET);
    expect(a.state(c)).toBe(-Err.EBADF);
  });

  it("RFC 2525 §2.17: closing with unread received data resets the connection", async () => {
    const { net, a, b, c, s } = await connected();
    a.write(c, enc("unread"));
    net.run(10);
    b.close(s);
    net.run(10);
    expect(net.segs(b).some((x) => x.flags & RST)).toBe(true);
    expect(a.hasEvent(c, Ev.Reset, Err.ECONNRESET)).toBe(true);
  });
});
