// RFC 5681 §4.1 (restart after idle) and RFC 1122 §4.2.3.9 / RFC 5461 / RFC 5927
// (ICMP Destination Unreachable handed to TCP, validated against blind attacks).
import { describe, expect, it } from "vitest";
import { ACK, Err, Ev, Host, RawPeer, S, connected, csum16, transfer, bytes } from "./helpers/tcp-harness.js";
import { activeToPeer, peerSend, synSentToPeer } from "./helpers/tcp-peer.js";


// ---------------------------------------------------------------------------
// RFC 5681 §4.1

/** Payload bytes `from` sends in one burst right after writing `n` bytes, with every ACK held back. */
function burstAfterWrite(c: Awaited<ReturnType<typeof connected>>, n: number): number {
  const { net, a, b } = c;
  net.log = [];
  net.hook = (_f, from) => (from === b ? "drop" : undefined);
  expect(a.write(c.c, bytes(n, 7))).toBeGreaterThan(8 * 1460); // the send buffer takes what fits
  net.run(1); // everything sent at the write, nothing acknowledged
  net.hook = null;
  return net.segs(a).filter((s) => s.payload.length > 0).reduce((sum, s) => sum + s.payload.length, 0);
}

describe("RFC 5681 §4.1 restart after idle", () => {
  it("RFC 5681 §4.1: after more than one RTO without sending, cwnd restarts at RW = min(IW, cwnd)", async () => {
    const c = await connected();
    const { net, a, b } = c;
    // grow cwnd well past the initial window
    const got = transfer(net, a, c.c, b, c.s, bytes(300_000));
    expect(got.length).toBe(300_000);
    net.run(500); // let the last ACKs (and delayed ACKs) settle
    const before = a.info(c.c);
    const mss = before.mss;
    const iw = mss > 2190 ? 2 * mss : mss > 1095 ? 3 * mss : 4 * mss; // RFC 5681 §3.1 on the peer's MSS
    expect(before.cwnd).toBeGreaterThan(4 * mss);
    expect(before.sndUna).toBe(before.sndNxt); // nothing in flight: idle from now
    net.run(before.rto + 100);
    const sent = burstAfterWrite(c, 60_000);
    const after = a.info(c.c);
    // The first flight after idle is exactly the restart window (effective MSS may be less than
    // the peer's MSS by the timestamp option, so bound it by the IW formula on the peer's MSS).
    expect(after.cwnd).toBeLessThanOrEqual(iw);
    expect(after.cwnd).toBeLessThan(before.cwnd);
    expect(sent).toBe(after.cwnd);
    expect(after.ssthresh).toBe(before.ssthresh); // only cwnd restarts
  });

  it("RFC 5681 §4.1: a pause shorter than the RTO keeps cwnd (the ACK clock is still valid)", async () => {
    const c = await connected();
    const { net, a, b } = c;
    transfer(net, a, c.c, b, c.s, bytes(300_000));
    net.run(60); // past the peer's delayed ACK (DelAckMs 40) of the last segment, well under the RTO
    const before = a.info(c.c);
    expect(before.sndUna).toBe(before.sndNxt);
    expect(before.cwnd).toBeGreaterThan(4 * before.mss);
    const sent = burstAfterWrite(c, 60_000);
    const wnd = Math.min(before.cwnd, before.sndWnd);
    expect(sent).toBeGreaterThan(4 * before.mss);
    expect(sent).toBeLessThanOrEqual(wnd);
    expect(a.info(c.c).cwnd).toBe(before.cwnd);
  });
});

// ---------------------------------------------------------------------------
// ICMP Destination Unreachable

const ROUTER = 0xc6336401; // 198.51.100.1: sends the ICMP error

interface Quote { src: number; dst: number; sport: number; dport: number; seq: number; proto?: number; tcpBytes?: number }

/** An Ethernet frame carrying ICMP type 3 `code` from ROUTER to `h`, quoting an IPv4 header + TCP bytes. */
function unreach(h: Host, p: RawPeer, code: number, q: Quote): Uint8Array {
  const tcpBytes = q.tcpBytes ?? 8;
  const quote = new Uint8Array(20 + tcpBytes);
  const qd = new DataView(quote.buffer);
  quote[0] = 0x45; qd.setUint16(2, 20 + 40); qd.setUint16(6, 0x4000); quote[8] = 63; quote[9] = q.proto ?? 6;
  qd.setUint32(12, q.src >>> 0); qd.setUint32(16, q.dst >>> 0);
  qd.setUint16(10, (~csum16(quote.subarray(0, 20))) & 0xffff);
  const tcp = new Uint8Array(8);
  const td = new DataView(tcp.buffer);
  td.setUint16(0, q.sport); td.setUint16(2, q.dport); td.setUint32(4, q.seq >>> 0);
  quote.set(tcp.subarray(0, Math.min(8, tcpBytes)), 20);
  const icmp = new Uint8Array(8 + quote.length);
  icmp[0] = 3; icmp[1] = code; icmp.set(quote, 8);
  new DataView(icmp.buffer).setUint16(2, (~csum16(icmp)) & 0xffff);
  const f = new Uint8Array(14 + 20 + icmp.length);
  const dv = new DataView(f.buffer);
  f.set(h.mac, 0); f.set(p.mac, 6); dv.setUint16(12, 0x0800);
  f[14] = 0x45; dv.setUint16(16, 20 + icmp.length); f[22] = 64; f[23] = 1;
  dv.setUint32(26, ROUTER); dv.setUint32(30, h.ip);
  dv.setUint16(24, (~csum16(f.subarray(14, 34))) & 0xffff);
  f.set(icmp, 34);
  return f;
}

describe("RFC 1122 §4.2.3.9 ICMP Destination Unreachable to TCP", () => {
  for (const [code, name] of [[2, "protocol"], [3, "port"]] as const) {
    it(`RFC 1122 §4.2.3.9 / RFC 5461 §4: ${name} unreachable (code ${code}) aborts SYN-SENT with ECONNREFUSED`, async () => {
      const { net, h, p, s, syn } = await synSentToPeer();
      expect(h.state(s)).toBe(S.SYN_SENT);
      h.input(unreach(h, p, code, { src: h.ip, dst: p.ip, sport: syn.sport, dport: syn.dport, seq: syn.seq }));
      expect(h.state(s)).toBe(S.CLOSED);
      expect(h.hasEvent(s, Ev.Error, Err.ECONNREFUSED)).toBe(true);
      expect(h.info(s).lastError).toBe(Err.ECONNREFUSED);
      expect(h.stat("tcp_icmp_accepted")).toBe(1);
      expect(h.stat("tcp_icmp_rejected")).toBe(0);
      net.run(10_000);
      expect(p.take().length).toBe(0); // no SYN retransmission after the abort
    });
  }

  for (const code of [0, 1, 5]) {
    it(`RFC 1122 §4.2.3.9: soft error (code ${code}) in SYN-SENT is recorded, never aborts; the connect times out reporting EHOSTUNREACH`, async () => {
      const { net, h, p, s, syn } = await synSentToPeer({ SynRetries: 2 });
      h.input(unreach(h, p, code, { src: h.ip, dst: p.ip, sport: syn.sport, dport: syn.dport, seq: syn.seq }));
      expect(h.stat("tcp_icmp_accepted")).toBe(1);
      expect(h.state(s)).toBe(S.SYN_SENT);
      expect(h.info(s).lastError).toBe(Err.EHOSTUNREACH);
      net.run(1500);
      expect(p.take().some((g) => g.seq === syn.seq)).toBe(true); // the SYN is still retransmitted
      net.runUntil(() => h.state(s) === S.CLOSED, 120_000);
      expect(h.state(s)).toBe(S.CLOSED);
      expect(h.hasEvent(s, Ev.Error, Err.EHOSTUNREACH)).toBe(true);
      expect(h.hasEvent(s, Ev.Error, Err.ETIMEDOUT)).toBe(false);
    });
  }

  it("RFC 1122 §4.2.3.9: without an ICMP error the same connect times out with ETIMEDOUT", async () => {
    const { net, h, s } = await synSentToPeer({ SynRetries: 2 });
    net.runUntil(() => h.state(s) === S.CLOSED, 120_000);
    expect(h.hasEvent(s, Ev.Error, Err.ETIMEDOUT)).toBe(true);
  });

  for (const code of [0, 1, 3, 5]) {
    it(`RFC 1122 §4.2.3.9 / RFC 5461 §4: code ${code} never aborts an ESTABLISHED connection; recorded, cleared by new ACKs`, async () => {
      const c = await activeToPeer();
      expect(c.h.write(c.sock, bytes(1000))).toBe(1000);
      c.net.run(3);
      const data = c.p.take().find((g) => g.payload.length > 0)!;
      c.h.input(unreach(c.h, c.p, code, { src: c.h.ip, dst: c.p.ip, sport: c.hport, dport: c.pport, seq: data.seq }));
      expect(c.h.stat("tcp_icmp_accepted")).toBe(1);
      expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
      expect(c.h.info(c.sock).lastError).toBe(code === 3 ? Err.ECONNREFUSED : Err.EHOSTUNREACH);
      expect(c.h.hasEvent(c.sock, Ev.Error)).toBe(false);
      peerSend(c, ACK, undefined, { ack: (data.seq + 1000) >>> 0 });
      c.net.run(3);
      expect(c.h.info(c.sock).sndUna).toBe((data.seq + 1000) >>> 0);
      expect(c.h.info(c.sock).lastError).toBe(0);
    });
  }

  it("RFC 1122 §4.2.3.9: a soft error on an ESTABLISHED connection is what a later data timeout reports", async () => {
    const c = await activeToPeer({ DataRetries: 2 });
    c.h.write(c.sock, bytes(500));
    c.net.run(3);
    const data = c.p.take().find((g) => g.payload.length > 0)!;
    c.h.input(unreach(c.h, c.p, 1, { src: c.h.ip, dst: c.p.ip, sport: c.hport, dport: c.pport, seq: data.seq }));
    c.net.runUntil(() => c.h.state(c.sock) === S.CLOSED, 300_000);
    expect(c.h.state(c.sock)).toBe(S.CLOSED);
    expect(c.h.hasEvent(c.sock, Ev.Error, Err.EHOSTUNREACH)).toBe(true);
  });

  it("RFC 1122 §4.2.3.9: fragmentation needed (code 4) is validated and set aside (no path MTU discovery)", async () => {
    const c = await activeToPeer();
    c.h.write(c.sock, bytes(1000));
    c.net.run(3);
    const data = c.p.take().find((g) => g.payload.length > 0)!;
    c.h.input(unreach(c.h, c.p, 4, { src: c.h.ip, dst: c.p.ip, sport: c.hport, dport: c.pport, seq: data.seq }));
    expect(c.h.stat("tcp_icmp_accepted")).toBe(1);
    expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
    expect(c.h.info(c.sock).lastError).toBe(0);
  });
});

describe("RFC 5927 §4.1 blind ICMP attacks: the quote must name a connection and unacknowledged data", () => {
  it("RFC 5927 §4.1: a port unreachable whose quoted seq is outside [SND.UNA, SND.NXT) is dropped and counted", async () => {
    const { h, p, s, syn } = await synSentToPeer();
    for (const seq of [syn.seq + 1, syn.seq - 1, syn.seq + 0x40000000]) {
      h.input(unreach(h, p, 3, { src: h.ip, dst: p.ip, sport: syn.sport, dport: syn.dport, seq }));
    }
    expect(h.state(s)).toBe(S.SYN_SENT);
    expect(h.stat("tcp_icmp_rejected")).toBe(3);
    expect(h.stat("tcp_icmp_accepted")).toBe(0);
    expect(h.info(s).lastError).toBe(0);
  });

  it("RFC 5927 §4.1: a quote that does not match the connection's 4-tuple is dropped and counted", async () => {
    const { h, p, s, syn } = await synSentToPeer();
    const ok = { src: h.ip, dst: p.ip, sport: syn.sport, dport: syn.dport, seq: syn.seq };
    h.input(unreach(h, p, 3, { ...ok, sport: syn.sport + 1 }));       // another local port
    h.input(unreach(h, p, 3, { ...ok, dport: syn.dport + 1 }));       // another remote port
    h.input(unreach(h, p, 3, { ...ok, dst: (p.ip + 1) >>> 0 }));      // another remote address
    h.input(unreach(h, p, 3, { ...ok, src: (h.ip + 5) >>> 0 }));      // not a datagram we sent
    h.input(unreach(h, p, 3, { ...ok, tcpBytes: 4 }));                // quote lacks the sequence number
    expect(h.state(s)).toBe(S.SYN_SENT);
    expect(h.stat("tcp_icmp_rejected")).toBe(5);
    expect(h.stat("tcp_icmp_accepted")).toBe(0);
    h.input(unreach(h, p, 3, ok)); // the genuine one still works afterwards
    expect(h.state(s)).toBe(S.CLOSED);
    expect(h.stat("tcp_icmp_accepted")).toBe(1);
  });

  it("RFC 5927 §4.1: with nothing outstanding on an ESTABLISHED connection every quote is rejected", async () => {
    const c = await activeToPeer();
    const info = c.h.info(c.sock);
    expect(info.sndUna).toBe(info.sndNxt);
    c.h.input(unreach(c.h, c.p, 1, { src: c.h.ip, dst: c.p.ip, sport: c.hport, dport: c.pport, seq: info.sndUna }));
    expect(c.h.stat("tcp_icmp_rejected")).toBe(1);
    expect(c.h.info(c.sock).lastError).toBe(0);
  });

  it("RFC 1122 §4.2.3.9: an unreachable quoting a non-TCP datagram is not TCP's (neither counter moves)", async () => {
    const { h, p, s, syn } = await synSentToPeer();
    h.input(unreach(h, p, 3, { src: h.ip, dst: p.ip, sport: syn.sport, dport: syn.dport, seq: syn.seq, proto: 17 }));
    expect(h.stat("icmp_dest_unreach_rx")).toBe(1);
    expect(h.stat("tcp_icmp_rejected") + h.stat("tcp_icmp_accepted")).toBe(0);
    expect(h.state(s)).toBe(S.SYN_SENT);
  });
});
