// RFC 5961 (blind in-window attacks), RFC 6528 ISNs, RFC 6056 ports, SYN floods.
import { describe, expect, it } from "vitest";
import { ACK, Err, Ev, Net, RST, Rng, S, SYN, connected, flagStr, ip, transfer, bytes } from "./helpers/tcp-harness.js";
import { activeToPeer, hostAndPeer, peerSend, PEER_IP, type PeerConn } from "./helpers/tcp-peer.js";


/** The peer sends `flags` at RCV.NXT + `off`: the connection survives and answers with exactly one ACK at RCV.NXT. */
function expectChallengeAck(c: PeerConn, flags: number, off: number): void {
  peerSend(c, flags, undefined, { seq: c.pseq + off });
  c.net.run(3);
  expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
  const r = c.p.take();
  expect(r.length).toBe(1);
  expect(r[0].flags).toBe(ACK);
  expect(r[0].ack).toBe(c.pseq);
}

describe("RFC 5961", () => {
  it("RFC 5961 §3.2: a RST exactly at RCV.NXT resets the connection", async () => {
    const c = await activeToPeer();
    peerSend(c, RST);
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.CLOSED);
    expect(c.h.hasEvent(c.sock, Ev.Reset, Err.ECONNRESET)).toBe(true);
  });

  it("RFC 5961 §3.2: an in-window RST not at RCV.NXT gets a challenge ACK and the connection survives", async () => {
    const c = await activeToPeer();
    expectChallengeAck(c, RST, 1000);
    expect(c.h.stat("tcp_challenge_ack")).toBe(1);
  });

  it("RFC 5961 §3.2: an out-of-window RST is dropped silently", async () => {
    const c = await activeToPeer();
    peerSend(c, RST, undefined, { seq: c.pseq + 10_000_000 });
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
    expect(c.p.take().length).toBe(0);
  });

  it("RFC 5961 §4.2: a SYN in a synchronized state gets a challenge ACK, never a reset", async () => {
    for (const off of [0, 100, 50_000_000]) {
      expectChallengeAck(await activeToPeer(), SYN, off);
    }
  });

  it("RFC 5961 §5.2: an ACK for data never sent is answered with an ACK and dropped", async () => {
    const c = await activeToPeer();
    peerSend(c, ACK, bytes(10), { ack: c.pack + 5000 });
    c.net.run(3);
    expect(c.h.stat("tcp_bad_ack")).toBe(1);
    expect(c.h.info(c.sock).recvQueued).toBe(0);
    expect(c.p.last().ack).toBe(c.pseq - 10);
  });

  it("RFC 5961 §5.2: an ACK older than SND.UNA - MAX.SND.WND gets a challenge ACK and the data is dropped", async () => {
    const c = await activeToPeer();
    peerSend(c, ACK, bytes(10), { ack: c.pack - 200_000 });
    c.net.run(3);
    expect(c.h.stat("tcp_challenge_ack")).toBe(1);
    expect(c.h.info(c.sock).recvQueued).toBe(0);
  });

  it("RFC 5961 §7: challenge ACKs are rate limited per second", async () => {
    const c = await activeToPeer();
    for (let i = 0; i < 25; i++) peerSend(c, RST, undefined, { seq: c.pseq + 100 + i });
    c.net.run(3);
    expect(c.h.stat("tcp_challenge_ack")).toBe(10);
    expect(c.h.stat("tcp_challenge_ack_limited")).toBe(15);
    expect(c.p.take().length).toBe(10);
    c.net.run(1000);
    peerSend(c, RST, undefined, { seq: c.pseq + 5 });
    c.net.run(3);
    expect(c.h.stat("tcp_challenge_ack")).toBe(11);
    expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
  });

  it("RFC 9293 §3.10.7.4: an unacceptable segment is answered with <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK> and counted", async () => {
    const c = await activeToPeer();
    peerSend(c, ACK, bytes(10), { seq: c.pseq + 1_000_000 });
    c.net.run(3);
    const r = c.p.take();
    expect(r.length).toBe(1);
    expect(r[0].ack).toBe(c.pseq);
    expect(r[0].seq).toBe(c.pack);
    expect(c.h.stat("tcp_bad_seq")).toBe(1);
  });
});

describe("Initial sequence numbers and ports", () => {
  it("RFC 6528: ISNs differ per 4-tuple, between hosts with different secrets, and advance with the clock", async () => {
    const isns = async (seed: number, ports: number[], at: number) => {
      const net = new Net();
      const h = await net.host({ ip: "198.51.100.2", seed });
      const p = net.peer(PEER_IP);
      net.run(at);
      const out: number[] = [];
      for (const port of ports) {
        const s = h.open();
        h.bind(s, 1000);
        h.connect(s, PEER_IP, port);
        net.run(5);
        out.push(p.take().find((x) => x.flags === SYN)!.seq);
        h.abort(s);
      }
      return out;
    };
    const a = await isns(1, [80, 81], 10);
    const b = await isns(2, [80, 81], 10);
    const later = await isns(1, [80], 1010);
    expect(a[0]).not.toBe(a[1]);
    expect(a[0]).not.toBe(b[0]);
    // same secret, same tuple, 1000 ms later: M advanced by 1000 ms of 4 us ticks (+ the connect time)
    expect(((later[0] - a[0]) >>> 0)).toBe(1000 * 250);
  });

  it("RFC 6056 §3.3.1: bind(0) picks a random free port in 49152-65535", async () => {
    const { h } = await hostAndPeer({ MaxSockets: 40 });
    const ports = new Set<number>();
    for (let i = 0; i < 30; i++) {
      const s = h.open();
      expect(h.bind(s, 0)).toBe(0);
      const p = h.info(s).localPort;
      expect(p).toBeGreaterThanOrEqual(49152);
      ports.add(p);
    }
    expect(ports.size).toBe(30);
    const sorted = [...ports].sort((x, y) => x - y);
    expect(sorted.some((p, i) => i > 0 && p !== sorted[i - 1] + 1)).toBe(true); // not sequential
  });

  it("RFC 6056 §3.3.3: connect without bind chooses distinct ephemeral ports for the same destination", async () => {
    const { net, h, p } = await hostAndPeer();
    const ports = new Set<number>();
    for (let i = 0; i < 5; i++) {
      const s = h.open();
      h.connect(s, PEER_IP, 80);
      net.run(3);
      const syn = p.take().find((x) => x.flags === SYN)!;
      expect(syn.sport).toBeGreaterThanOrEqual(49152);
      ports.add(syn.sport);
    }
    expect(ports.size).toBe(5);
  });
});

describe("SYN backlog and SYN floods", () => {
  const flood = async (features: number) => {
    const { net, a, b, c, s } = await connected({ Features: features, SynBacklog: 4, MaxSockets: 16 });
    const l2 = b.open();
    b.bind(l2, 8080);
    b.listen(l2, 4);
    const p = net.peer("198.51.100.77", 0x77);
    for (let i = 0; i < 200; i++) p.send(b, { sport: 10000 + i, dport: 8080, seq: i * 1000, flags: SYN, opts: { mss: 1460 } });
    net.run(5);
    return { net, a, b, c, s, l2, p };
  };

  it("RFC 4987 §3.1 (bounded backlog): a SYN flood holds at most SynBacklog half-open connections; the rest is dropped and counted", async () => {
    const { net, a, b, c, s, l2, p } = await flood(0);
    expect(b.stat("tcp_syn_backlog_full")).toBe(196);
    expect(p.rx.filter((x) => x.flags === (SYN | ACK)).length).toBe(4);
    // the established connection is unaffected
    const data = bytes(50_000);
    const got = transfer(net, a, c, b, s, data, 10_000);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(data))).toBe(0);
    expect(b.accept(l2)).toBe(-Err.EAGAIN);
  });

  it("RFC 4987 §3.6 (SYN cookies): past the backlog, SYN+ACKs carry cookies and a real client still gets in", async () => {
    const { net, a, b, l2, p } = await flood(8);
    expect(b.stat("tcp_syn_cookies_tx")).toBe(196);
    expect(b.stat("tcp_syn_backlog_full")).toBe(0);
    // a legitimate client completes through a cookie while the backlog is still full
    const cl = a.open();
    a.connect(cl, "198.51.100.2", 8080);
    net.run(10);
    expect(a.state(cl)).toBe(S.ESTABLISHED);
    expect(b.stat("tcp_syn_cookies_ok")).toBe(1);
    const sv = b.accept(l2);
    expect(sv).toBeGreaterThan(0);
    const msg = new TextEncoder().encode("through the flood");
    const got = transfer(net, a, cl, b, sv, msg, 5000);
    expect(new TextDecoder().decode(got)).toBe("through the flood");
    expect(p.rx.length).toBeGreaterThan(0);
  });

  it("RFC 4987 §3.6: with the default pool a flood neither exhausts TCBs nor locks out real clients or outgoing connections", async () => {
    const { net, a, b } = await connected({}); // defaults: MaxSockets 8, SynBacklog 8, cookies on
    const l2 = b.open(); b.bind(l2, 8080); b.listen(l2, 4);
    const p = net.peer("198.51.100.77", 0x77);
    for (let i = 0; i < 500; i++) p.send(b, { sport: 10000 + i, dport: 8080, seq: i * 1000, flags: SYN });
    net.run(5);
    expect(b.stat("tcp_syn_cookies_tx")).toBeGreaterThan(480);
    const cl = a.open();
    a.connect(cl, "198.51.100.2", 8080);
    net.run(10);
    expect(a.state(cl)).toBe(S.ESTABLISHED);
    expect(b.accept(l2)).toBeGreaterThan(0);
    const out = b.open(); // and b can still open outgoing connections
    expect(out).toBeGreaterThan(0);
    const la = a.open(); a.bind(la, 9000); a.listen(la, 1);
    b.connect(out, "198.51.100.1", 9000);
    net.run(10);
    expect(b.state(out)).toBe(S.ESTABLISHED);
  });

  it("RFC 4987 §3.6: an ACK with a forged cookie is refused with a RST and counted", async () => {
    const { net, b, p } = await flood(8);
    p.take();
    p.send(b, { sport: 30000, dport: 8080, seq: 5, ack: 0x12345678, flags: ACK });
    net.run(5);
    expect(b.stat("tcp_syn_cookies_bad")).toBe(1);
    expect(flagStr(p.last().flags)).toBe("RST");
  });

  it("RFC 4987 §3.6: a cookie connection keeps the MSS, SACK and window scale encoded in the cookie", async () => {
    const { net, b, l2, p } = await flood(8 | 2 | 4);
    p.take();
    p.send(b, { sport: 31000, dport: 8080, seq: 1000, flags: SYN, opts: { mss: 1440, sackOk: true, wscale: 5 } });
    net.run(3);
    const sa = p.take().find((x) => x.flags === (SYN | ACK))!;
    expect(sa.opts.mss).toBe(1460);
    expect(sa.opts.wscale).toBeDefined();
    p.send(b, { sport: 31000, dport: 8080, seq: 1001, ack: sa.seq + 1, flags: ACK, wnd: 100 });
    net.run(3);
    expect(b.stat("tcp_syn_cookies_ok")).toBe(1);
    const sv = b.accept(l2);
    const info = b.info(sv);
    expect(info.mss).toBe(1440);
    expect(info.sndWnd).toBe(100 << 5);
    expect(info.state).toBe(S.ESTABLISHED);
  });

  it("RFC 9293 §3.10.7.2: the listener's accept queue is bounded by its backlog", async () => {
    const { net, h, p } = await hostAndPeer({ Features: 0, SynBacklog: 8 });
    const l = h.open();
    h.bind(l, 80);
    h.listen(l, 2);
    for (let i = 0; i < 4; i++) {
      p.send(h, { sport: 20000 + i, dport: 80, seq: 100, flags: SYN });
      net.run(3);
      const sa = p.take().find((x) => x.flags === (SYN | ACK));
      if (sa) p.send(h, { sport: 20000 + i, dport: 80, seq: 101, ack: sa.seq + 1, flags: ACK });
      net.run(3);
    }
    let accepted = 0;
    while (h.accept(l) > 0) accepted++;
    expect(accepted).toBe(2);
    expect(h.stat("tcp_syn_backlog_full")).toBeGreaterThan(0);
  });
});

describe("Robustness", () => {
  it("random segments to every state never trap and never disturb an established connection's data", async () => {
    const { net, a, b, c, s } = await connected();
    const p = net.peer("198.51.100.66", 0x66);
    const rng = new Rng(99);
    for (let i = 0; i < 2000; i++) {
      const flags = rng.next() & 0x3f;
      const len = rng.next() % 64;
      p.send(b, { sport: 1 + (rng.next() % 3), dport: [80, 81, 0][rng.next() % 3], seq: rng.next(), ack: rng.next(), flags,
        wnd: rng.next() & 0xffff, payload: rng.bytes(len), rawOpts: rng.next() % 4 === 0 ? rng.bytes((rng.next() % 10) * 4) : undefined });
    }
    net.run(100);
    const data = bytes(20_000, 5);
    const got = transfer(net, a, c, b, s, data, 10_000);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(data))).toBe(0);
    expect(ip("198.51.100.66")).toBe(p.ip);
  });
});
