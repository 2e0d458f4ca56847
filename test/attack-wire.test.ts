// Issue 16 attack suite, from the embedded-stack CVE families (AMNESIA:33, Ripple20, NUMBER:JACK,
// INFRA:HALT, NAME:WRECK): every malformed or hostile input is dropped and counted with its named
// counter, never traps, and the stack keeps serving: after each attack a fresh connection from
// the peer completes and its data is echoed back. Both builds (node and mcu).
// Covered elsewhere (not duplicated here; see docs/attack-campaign.md): fragment overlap / tiny /
// past-64k / misaligned (test/ipv4-frag.test.ts), ICMP quotes naming no connection and quotes
// lacking the sequence number (test/tcp-icmp-idle.test.ts), blind RST / SYN / ACK of unsent data
// (test/tcp-security.test.ts RFC 5961), SYN floods and the cookie path (test/tcp-security.test.ts,
// test/tcp-syncookie.test.ts), DNS compression loops (test/dns.test.ts).
import { describe, expect, it } from "vitest";
import { ACK, Host, Net, PSH, RST, RawPeer, S, SYN, bytes, buildTcp, csum16 } from "./helpers/tcp-harness.js";
import { PeerConn, hostAndPeer, peerSend, peerToListener } from "./helpers/tcp-peer.js";

const BUILDS = [["node", "build/testing.wasm"], ["mcu", "build/testing.mcu.wasm"]] as const;

let nextPort = 41000;

/**
 * The stack keeps serving: a fresh handshake from the peer to the listener on `port`, data in
 * the third segment, accepted, read and echoed back by the host, and the echo seen by the peer.
 */
function serves(net: Net, h: Host, p: RawPeer, l: number, port = 80): void {
  const sport = nextPort++;
  p.take();
  p.send(h, { sport, dport: port, seq: 1000, flags: SYN, opts: { mss: 1460 } });
  net.run(3);
  const sa = p.take().find((s) => s.sport === port && s.dport === sport && s.flags === (SYN | ACK));
  expect(sa, "SYN+ACK to a fresh connection").toBeDefined();
  const msg = new TextEncoder().encode(`alive ${sport}`);
  p.send(h, { sport, dport: port, seq: 1001, ack: sa!.seq + 1, flags: ACK | PSH, payload: msg });
  net.run(3);
  const s = h.accept(l);
  expect(s).toBeGreaterThan(0);
  expect(Buffer.from(h.drain(s)).toString()).toBe(`alive ${sport}`);
  expect(h.write(s, msg)).toBe(msg.length);
  net.run(3);
  const echo = p.take().filter((x) => x.dport === sport && x.payload.length > 0);
  expect(Buffer.from(echo[0]?.payload ?? []).toString()).toBe(`alive ${sport}`);
  h.abort(s);
}

/** A host with a listener on 80 and a scripted peer (ARP resolved). */
async function server(build: string, cfg: Record<string, number> = {}) {
  const { net, h, p } = await hostAndPeer(cfg, build);
  const l = h.open();
  h.bind(l, 80);
  h.listen(l, 8);
  return { net, h, p, l };
}

/** An Ethernet + IPv4 frame with every header field the caller's to lie about. */
interface Ip4 { src: number; dst: number; proto: number; payload: Uint8Array; ihl?: number; totalLen?: number; frag?: number; id?: number; pad?: number; options?: Uint8Array }
function ipFrame(to: Host, from: RawPeer, o: Ip4): Uint8Array {
  const opt = o.options ?? new Uint8Array(0);
  const hl = 20 + opt.length;
  const f = new Uint8Array(14 + hl + o.payload.length + (o.pad ?? 0));
  const dv = new DataView(f.buffer);
  f.set(to.mac, 0); f.set(from.mac, 6); dv.setUint16(12, 0x0800);
  f[14] = 0x40 | ((o.ihl ?? hl / 4) & 15);
  dv.setUint16(16, o.totalLen ?? hl + o.payload.length);
  dv.setUint16(18, o.id ?? 7); dv.setUint16(20, o.frag ?? 0);
  f[22] = 64; f[23] = o.proto; dv.setUint32(26, o.src); dv.setUint32(30, o.dst);
  f.set(opt, 34);
  dv.setUint16(24, (~csum16(f.subarray(14, 14 + hl))) & 0xffff);
  f.set(o.payload, 14 + hl);
  return f;
}

/** A TCP segment from the peer to the host's port 80 in an IPv4 frame. */
const tcpTo = (h: Host, p: RawPeer, c: Parameters<typeof buildTcp>[2], ip: Partial<Ip4> = {}) =>
  ipFrame(h, p, { src: p.ip, dst: h.ip, proto: 6, payload: buildTcp(p.ip, h.ip, c), ...ip });

describe.each(BUILDS)("attack suite: TCP header and options (%s)", (_n, build) => {
  it("RFC 9293 §3.1 (AMNESIA:33 / Ripple20): option lengths 0 and 1 and options overflowing the header are dropped (tcp_bad_option)", async () => {
    const { net, h, p, l } = await server(build);
    const bad: number[][] = [
      [2, 0, 5, 0],            // MSS with length 0
      [8, 1, 0, 0],            // timestamps with length 1
      [3, 200, 0, 0],          // window scale running past the header
      [1, 1, 1, 2],            // a kind whose length byte lies past the header
      [5, 18, 0, 0, 0, 0, 0, 0, 0, 0], // SACK claiming 2 blocks in 12 bytes
    ];
    for (const [k, o] of bad.entries()) {
      h.input(tcpTo(h, p, { sport: 30000 + k, dport: 80, seq: 5, flags: SYN, rawOpts: new Uint8Array(o) }));
    }
    expect(h.stat("tcp_bad_option")).toBe(bad.length);
    expect(h.stat("tcp_syn_cookies_tx") + h.stat("tcp_rst_tx")).toBe(0); // none answered
    serves(net, h, p, l);
  });

  it("RFC 9293 §3.1: a data offset below 5 or past the segment is dropped (tcp_bad_offset); a segment shorter than 20 bytes (tcp_truncated)", async () => {
    const { net, h, p, l } = await server(build);
    for (const off of [0, 4, 15]) h.input(tcpTo(h, p, { sport: 30100 + off, dport: 80, seq: 5, flags: SYN, dataOffset: off }));
    expect(h.stat("tcp_bad_offset")).toBe(3);
    const short = buildTcp(p.ip, h.ip, { sport: 30200, dport: 80, seq: 5, flags: SYN }).subarray(0, 12);
    h.input(ipFrame(h, p, { src: p.ip, dst: h.ip, proto: 6, payload: short }));
    expect(h.stat("tcp_truncated")).toBe(1);
    serves(net, h, p, l);
  });

  it("RFC 6093 §3 / RFC 9293 §3.8.5: an urgent pointer past the data is not trusted: the bytes are delivered in order as normal data", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    const data = bytes(100, 4);
    const seg = buildTcp(c.p.ip, c.h.ip, { sport: c.pport, dport: c.hport, seq: c.pseq, ack: c.pack, flags: ACK | PSH | 0x20, payload: data });
    new DataView(seg.buffer).setUint16(18, 60000); // urgent pointer far past the 100 bytes
    const cs = new DataView(seg.buffer); cs.setUint16(16, 0);
    cs.setUint16(16, (~csum16(seg, (c.p.ip >>> 16) + (c.p.ip & 0xffff) + (c.h.ip >>> 16) + (c.h.ip & 0xffff) + 6 + seg.length)) & 0xffff);
    c.h.input(ipFrame(c.h, c.p, { src: c.p.ip, dst: c.h.ip, proto: 6, payload: seg }));
    c.pseq += 100;
    expect(Buffer.from(c.h.drain(c.sock)).equals(Buffer.from(data))).toBe(true);
    peerSend(c, ACK | PSH, bytes(10, 5));
    c.net.run(3);
    expect(c.h.drain(c.sock).length).toBe(10);
    expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
    serves(c.net, c.h, c.p, c.listener);
  });
});

describe.each(BUILDS)("attack suite: IPv4 header lies (%s)", (_n, build) => {
  it("RFC 791 §3.1 (Ripple20 CVE-2020-11896/11898): total length past the frame, below the header, IHL below 5 or past the packet are dropped and counted", async () => {
    const { net, h, p, l } = await server(build);
    const c = { sport: 30300, dport: 80, seq: 5, flags: SYN };
    const tcp = buildTcp(p.ip, h.ip, c);
    h.input(tcpTo(h, p, c, { totalLen: 20 + tcp.length + 200 })); // longer than the frame
    h.input(tcpTo(h, p, c, { totalLen: 12 }));                      // shorter than the IPv4 header
    h.input(tcpTo(h, p, c, { totalLen: 0xffff }));
    expect(h.stat("ipv4_bad_total_length")).toBe(3);
    h.input(tcpTo(h, p, c, { ihl: 4 }));                            // header length below 20
    h.input(tcpTo(h, p, c, { ihl: 15, totalLen: 40 }));             // header length past the total length (ipv4_truncated)
    h.input(tcpTo(h, p, c, { ihl: 0 }));
    expect(h.stat("ipv4_bad_ihl")).toBe(2);
    expect(h.stat("ipv4_truncated")).toBe(1);
    expect(h.stat("tcp_rx")).toBe(0);
    serves(net, h, p, l);
  });

  it("RFC 791 §3.1: a total length shorter than the frame (padding) trims the datagram: the TCP segment then fails its checksum or length, never reads the padding", async () => {
    const { net, h, p, l } = await server(build);
    const c = { sport: 30400, dport: 80, seq: 5, flags: SYN };
    const tcp = buildTcp(p.ip, h.ip, c);
    // the total length says 8 bytes of TCP: truncated at the transport, the rest of the frame ignored
    h.input(tcpTo(h, p, c, { totalLen: 28 }));
    expect(h.stat("tcp_truncated")).toBe(1);
    // 4 bytes short: the checksum over the trimmed segment fails
    h.input(tcpTo(h, p, { ...c, payload: bytes(8, 1) }, { totalLen: 20 + tcp.length + 4 }));
    expect(h.stat("tcp_bad_checksum")).toBe(1);
    // padding after an honest total length is ignored: the SYN is answered
    h.input(tcpTo(h, p, c, { pad: 30 }));
    expect(h.stat("tcp_syn_cookies_tx") + p.rx.length).toBeGreaterThanOrEqual(0);
    net.run(3);
    expect(p.take().some((s) => s.dport === 30400 && s.flags === (SYN | ACK))).toBe(true);
    serves(net, h, p, l);
  });

  it("RFC 791 §3.1 / RFC 1858: fragments overlapping, tiny, and with out-of-bounds offsets in one burst are each dropped and counted", async () => {
    const { net, h, p, l } = await server(build);
    const seg = buildTcp(p.ip, h.ip, { sport: 30500, dport: 80, seq: 5, flags: SYN, payload: bytes(40, 2) });
    const fr = (frag: number, payload: Uint8Array, id: number) => ipFrame(h, p, { src: p.ip, dst: h.ip, proto: 6, payload, frag, id });
    h.input(fr(0x2000, seg.subarray(0, 8), 1));                       // tiny first fragment (< 20 bytes of TCP)
    expect(h.stat("ipv4_frag_tiny")).toBe(1);
    h.input(fr(0x2000 | 1, seg.subarray(8, 16), 2));                  // TCP at offset 8
    expect(h.stat("ipv4_frag_tcp_offset1")).toBe(1);
    h.input(fr(0x1fff, seg.subarray(0, 16), 3));                      // offset 65528 + 16 > 65535
    expect(h.stat("ipv4_frag_past_64k")).toBe(1);
    h.input(fr(0x2000, seg.subarray(0, 32), 4));
    h.input(fr(0x0000 | 2, seg.subarray(16), 4));                     // overlaps bytes 16-31
    expect(h.stat("ipv4_frag_overlap")).toBe(1);
    expect(h.stat("tcp_rx")).toBe(0);
    serves(net, h, p, l);
  });
});

describe.each(BUILDS)("attack suite: ICMP errors quoting too little (%s)", (_n, build) => {
  it("RFC 792 / RFC 5927 §4.1: ICMP errors quoting 0, 10, 19 or 24 bytes (less than an IPv4 header + 8) change nothing and are counted", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    const { h, p } = c;
    let counted = 0;
    for (const q of [0, 10, 19, 24]) {
      const quote = new Uint8Array(q);
      const qd = new DataView(quote.buffer);
      if (q >= 20) {
        quote[0] = 0x45; qd.setUint16(2, 60); quote[9] = 6; qd.setUint32(12, h.ip); qd.setUint32(16, p.ip);
        qd.setUint16(20, c.hport); qd.setUint16(22, c.pport);
      } else if (q >= 10) { quote[0] = 0x45; quote[9] = 6; }
      const icmp = new Uint8Array(8 + q);
      icmp[0] = 3; icmp[1] = 3; icmp.set(quote, 8);
      new DataView(icmp.buffer).setUint16(2, (~csum16(icmp)) & 0xffff);
      const before = h.stat("icmp_truncated") + h.stat("tcp_icmp_rejected") + h.stat("udp_icmp_bad_quote") + h.stat("icmp_dest_unreach_rx");
      h.input(ipFrame(h, p, { src: p.ip, dst: h.ip, proto: 1, payload: icmp }));
      if (h.stat("icmp_truncated") + h.stat("tcp_icmp_rejected") + h.stat("udp_icmp_bad_quote") + h.stat("icmp_dest_unreach_rx") > before) counted++;
    }
    expect(counted).toBe(4);
    expect(h.stat("tcp_icmp_accepted")).toBe(0);
    expect(h.state(c.sock)).toBe(S.ESTABLISHED);
    expect(h.info(c.sock).lastError).toBe(0);
    serves(c.net, h, p, c.listener);
  });
});

describe.each(BUILDS)("attack suite: hostile peers on a connection (%s)", (_n, build) => {
  for (const mss of [0, 1]) {
    it(`RFC 9293 §3.7.1 / RFC 6691: an MSS option of ${mss} is clamped (no endless segmentation loop): 16 KiB leaves in a bounded number of segments`, async () => {
      const c = await peerToListener({}, { mss }, 9000, 80, build);
      const info = c.h.info(c.sock);
      expect(info.mss).toBeGreaterThanOrEqual(64);
      const data = bytes(16384, 7);
      let sent = 0;
      const got: Uint8Array[] = [];
      let segs = 0;
      c.net.runUntil(() => {
        if (sent < data.length) { const n = c.h.write(c.sock, data.subarray(sent)); if (n > 0) sent += n; }
        for (const s of c.p.take()) {
          if (s.payload.length === 0) continue;
          segs++;
          if (s.seq === c.pack) { got.push(s.payload); c.pack = (c.pack + s.payload.length) >>> 0; }
          peerSend(c, ACK);
        }
        return c.pack === ((c.syn.seq + 1 + data.length) >>> 0);
      }, 120_000);
      expect(Buffer.concat(got).equals(Buffer.from(data))).toBe(true);
      expect(segs).toBeLessThanOrEqual(Math.ceil(data.length / info.mss) * 2);
      serves(c.net, c.h, c.p, c.listener);
    });
  }

  it("RFC 1122 §4.2.2.17 / RFC 9293 §3.8.6.1: a zero window held for 10 minutes: the persist timer backs off (probes bounded, spacing grows to RtoMax), never spins", async () => {
    const c = await peerToListener({ RtoMaxMs: 60_000 }, { mss: 1460 }, 9000, 80, build);
    peerSend(c, ACK, undefined, { wnd: 0 });
    c.net.run(3);
    expect(c.h.write(c.sock, bytes(2000, 8))).toBe(2000);
    const probeTimes: number[] = [];
    const start = c.net.now;
    c.net.runUntil(() => {
      for (const s of c.p.take()) {
        if (s.payload.length > 0 || s.seq !== c.pack) {
          probeTimes.push(c.net.now);
          peerSend(c, ACK, undefined, { wnd: 0 }); // still closed: ACK nothing new
        }
      }
      return false;
    }, 600_000);
    const probes = c.h.stat("tcp_zero_window_probes");
    // exponential backoff from the RTO to 60 s: about 10 probes in 10 minutes, never hundreds
    expect(probes).toBeGreaterThanOrEqual(5);
    expect(probes).toBeLessThanOrEqual(20);
    expect(probeTimes.length).toBeLessThanOrEqual(20);
    const gaps = probeTimes.slice(1).map((t, i) => t - probeTimes[i]);
    expect(Math.max(...gaps)).toBeGreaterThanOrEqual(30_000);
    expect(c.net.now - start).toBeGreaterThanOrEqual(600_000);
    expect(c.h.state(c.sock)).toBe(S.ESTABLISHED); // a live peer keeps it open while held
    // the window opens: all 2000 bytes arrive
    const got: Uint8Array[] = [];
    peerSend(c, ACK, undefined, { wnd: 65535 });
    c.net.runUntil(() => {
      for (const s of c.p.take()) if (s.payload.length && s.seq === c.pack) { got.push(s.payload); c.pack = (c.pack + s.payload.length) >>> 0; peerSend(c, ACK); }
      return Buffer.concat(got).length >= 2000;
    }, 30_000);
    expect(Buffer.concat(got).equals(Buffer.from(bytes(2000, 8)))).toBe(true);
    serves(c.net, c.h, c.p, c.listener);
  });

  it("RFC 5961 §5.2: an ACK of data never sent is dropped (tcp_bad_ack), SND.UNA unchanged, the connection keeps working", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    const una = c.h.info(c.sock).sndUna;
    for (const d of [1, 1000, 0x7fffffff]) peerSend(c, ACK, bytes(10, d & 255), { ack: (c.pack + d) >>> 0, seq: c.pseq });
    c.net.run(3);
    expect(c.h.stat("tcp_bad_ack")).toBeGreaterThanOrEqual(3);
    expect(c.h.info(c.sock).sndUna).toBe(una);
    expect(c.h.drain(c.sock).length).toBe(0); // the data on them dropped too
    peerSend(c, ACK | PSH, bytes(10, 9));
    c.net.run(3);
    expect(c.h.drain(c.sock).length).toBe(10);
    serves(c.net, c.h, c.p, c.listener);
  });

  it("RFC 5961 §3-§5: blind RST, SYN and data injection at 1000 random sequence numbers never reset or corrupt the connection", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    let x = 12345;
    const rnd = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x; };
    for (let i = 0; i < 1000; i++) {
      let seq = rnd();
      if (((seq - c.pseq) >>> 0) < 0x20000 || ((c.pseq - seq) >>> 0) < 0x20000) seq = (seq + 0x40000000) >>> 0; // blind: not in the window
      const kind = i % 3;
      const flags = kind === 0 ? RST : kind === 1 ? SYN : ACK | PSH;
      c.p.inject(c.h, { sport: c.pport, dport: c.hport, seq, ack: rnd(), flags, payload: kind === 2 ? bytes(20, i & 255) : undefined });
    }
    c.net.run(3);
    expect(c.h.state(c.sock)).toBe(S.ESTABLISHED);
    expect(c.h.stat("tcp_rst_rx")).toBe(0);
    expect(c.h.drain(c.sock).length).toBe(0);
    expect(c.h.stat("tcp_bad_seq") + c.h.stat("tcp_challenge_ack") + c.h.stat("tcp_challenge_ack_limited")).toBeGreaterThanOrEqual(1000);
    const data = bytes(50, 10);
    peerSend(c, ACK | PSH, data);
    c.net.run(3);
    expect(Buffer.from(c.h.drain(c.sock)).equals(Buffer.from(data))).toBe(true);
    serves(c.net, c.h, c.p, c.listener);
  });
});

describe.each(BUILDS)("attack suite: SYN flood (%s)", (_n, build) => {
  it("RFC 4987 §3.6: 400 spoofed on-link SYNs to the port a client uses: the backlog stays bounded, cookies answer, the client's ARP entry survives (RFC 1122 §2.3.2.2) and its first data segment is delivered at once", async () => {
    const { net, h, p, l } = await server(build);
    let x = 4242;
    for (let i = 0; i < 400; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const src = (0xc6336400 | (10 + (x >>> 24) % 200)) >>> 0; // on-link spoofed sources
      if (src === p.ip || src === h.ip) continue;
      const seg = buildTcp(src, h.ip, { sport: 1024 + (x & 0x7fff), dport: 80, seq: x, flags: SYN, opts: { mss: 1460 } });
      h.input(ipFrame(h, p, { src, dst: h.ip, proto: 6, payload: seg }));
    }
    net.run(2);
    expect(h.stat("tcp_syn_cookies_tx")).toBeGreaterThan(300);
    expect((h.x.tcbFreeCount as () => number)()).toBeGreaterThan(0); // half-open state bounded by SynBacklog
    // the legitimate client: handshake, data in the third segment read at once, echoed
    // the SYN+ACKs to the spoofed sources wait for ARP: counted, bounded (ArpQueue), and they evict
    // only their own pending entries, never the resolved neighbour in use (RFC 1122 §2.3.2.2)
    expect(h.stat("arp_queue_full")).toBeGreaterThan(300);
    expect(h.stat("arp_cache_full")).toBeGreaterThan(300);
    expect((h.x.arpLookup as (ip: number) => bigint)(p.ip)).not.toBe(-1n);
    const before = h.stat("tcp_syn_cookies_ok");
    serves(net, h, p, l);
    expect(h.stat("tcp_syn_cookies_ok")).toBe(before + 1); // it came in through a cookie
    expect(h.stat("tcp_retransmits")).toBe(0);
  });
});

describe.each(BUILDS)("attack suite: ARP (%s)", (_n, build) => {
  const arp = (srcMac: Uint8Array, op: number, spa: number, tpa: number) => {
    const r = new Uint8Array(42);
    const v = new DataView(r.buffer);
    r.fill(0xff, 0, 6); r.set(srcMac, 6); v.setUint16(12, 0x0806);
    v.setUint16(14, 1); v.setUint16(16, 0x0800); r[18] = 6; r[19] = 4; v.setUint16(20, op);
    r.set(srcMac, 22); v.setUint32(28, spa); v.setUint32(38, tpa);
    return r;
  };

  it("RFC 5227 §2.4 (INFRA:HALT-style poisoning): a gratuitous ARP claiming our address is counted (arp_addr_conflict) and never enters the cache; our peers' entries are untouched", async () => {
    const { net, h, p, l } = await server(build);
    const evil = new Uint8Array([0x02, 0xee, 0, 0, 0, 1]);
    const peerMac = (h.x.arpLookup as (ip: number) => bigint)(p.ip);
    for (const op of [1, 2]) h.input(arp(evil, op, h.ip, h.ip));   // gratuitous: sender = target = our address
    h.input(arp(evil, 1, h.ip, p.ip));                           // a request "from" our address
    expect(h.stat("arp_addr_conflict")).toBe(3);
    expect((h.x.arpLookup as (ip: number) => bigint)(h.ip)).toBe(-1n);
    expect((h.x.arpLookup as (ip: number) => bigint)(p.ip)).toBe(peerMac);
    serves(net, h, p, l);
  });

  it("RFC 826 / RFC 1122 §2.3.2.1: an ARP flood from 5000 random addresses keeps the cache bounded (ArpEntries) and the entry in use survives", async () => {
    const { net, h, p, l } = await server(build, { ArpEntries: 8 });
    const peerMac = (h.x.arpLookup as (ip: number) => bigint)(p.ip);
    expect(peerMac).not.toBe(-1n);
    serves(net, h, p, l); // the peer's entry is in use
    let x = 99;
    for (let i = 0; i < 5000; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      const spa = (0xc6336400 | (x >>> 24)) >>> 0;        // 198.51.100.0/24, random hosts
      if (spa === p.ip || spa === h.ip || (spa & 255) === 0 || (spa & 255) === 255) continue;
      const mac = new Uint8Array([0x02, 0xaa, x & 255, (x >>> 8) & 255, (x >>> 16) & 255, 7]);
      h.input(arp(mac, (i & 1) ? 1 : 2, spa, h.ip));
    }
    let resolved = 0;
    for (let k = 1; k < 255; k++) if ((h.x.arpLookup as (ip: number) => bigint)((0xc6336400 | k) >>> 0) !== -1n) resolved++;
    expect(resolved).toBeLessThanOrEqual(8);
    expect(h.stat("arp_cache_full")).toBeGreaterThan(0);
    expect((h.x.arpLookup as (ip: number) => bigint)(p.ip)).toBe(peerMac);
    const sentArp = h.stat("arp_requests_tx");
    serves(net, h, p, l);
    expect(h.stat("arp_requests_tx")).toBe(sentArp); // no re-resolution needed
  });
});
