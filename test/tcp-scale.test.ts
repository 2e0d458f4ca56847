// Issue 15: TCP at scale on one stack, deterministic (emulated link, virtual clock). The release
// and testing builds look connections, listeners and TIME-WAIT entries up by hash, keep free lists
// and counts, and run poll() from a heap of deadlines (assembly/tcp/index.ts, FEAT_SCALE); the MCU
// builds scan their few entries instead (WT_SCALE=0). Behaviour is the same: the existing suite runs
// on both, and the cases here that fit the MCU's scan cost run on both too.
import { describe, expect, it } from "vitest";
import { ACK, Err, FIN, Host, Net, RawPeer, RST, S, SYN, type Seg } from "./helpers/tcp-harness.js";
import { HOST_IP, PEER_IP } from "./helpers/tcp-peer.js";

const NODE = "build/testing.wasm";
const MCU = "build/testing.mcu.wasm";
const BUILDS = [["node", NODE], ["mcu", MCU]] as const;
const isSynAck = (s: Seg) => (s.flags & (SYN | ACK)) === (SYN | ACK);

async function setup(cfg: Record<string, number>, build = NODE, buckets = 0, peers = [PEER_IP]): Promise<{ net: Net; h: Host; ps: RawPeer[] }> {
  const net = new Net();
  const h = await net.host({
    ip: HOST_IP, cfg: cfg as never, build,
    beforeInit: buckets > 0 ? (x) => (x.scaleTestBuckets as (n: number) => void)(buckets) : undefined,
  });
  const ps = peers.map((ip, i) => net.peer(ip, 0xf0 + i));
  for (const p of ps) (h.x.ping as (d: number, i: number, s: number, l: number) => number)(p.ip, 1, 1, 0);
  net.run(5);
  for (const p of ps) p.take();
  net.log = [];
  return { net, h, ps };
}

const twCount = (h: Host) => (h.x.twCount as () => number)();
const tcbFree = (h: Host) => (h.x.tcbFreeCount as () => number)();
const isScale = (h: Host) => (h.x.scaleBuild as () => number)() === 1;
/** A 4-byte payload naming connection `i`. */
const tag = (i: number) => new Uint8Array([i >>> 24, (i >>> 16) & 255, (i >>> 8) & 255, i & 255]);
const untag = (b: Uint8Array) => ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;

/**
 * `n` connections from the peers to the host's listener on port 80, in batches (the accept
 * queue holds 1024): SYN, SYN+ACK, ACK carrying tag(i); all accepted. Returns the accepted
 * handles in order, and each connection's peer sequence number after the tag.
 */
function openPassive(net: Net, h: Host, ps: RawPeer[], l: number, n: number, batch = 500) {
  const socks: number[] = [];
  const who: { p: RawPeer; sport: number; seq: number; ack: number }[] = [];
  for (let b = 0; b < n; b += batch) {
    const m = Math.min(batch, n - b);
    for (let k = 0; k < m; k++) {
      const i = b + k;
      const p = ps[i % ps.length];
      p.send(h, { sport: 1024 + Math.floor(i / ps.length), dport: 80, seq: i * 7919, flags: SYN, opts: { mss: 1460 }, wnd: 65535 });
    }
    net.run(3);
    for (let k = 0; k < m; k++) {
      const i = b + k;
      const p = ps[i % ps.length];
      const sport = 1024 + Math.floor(i / ps.length);
      const sa = p.rx.find((s) => isSynAck(s) && s.dport === sport);
      expect(sa, `SYN+ACK for connection ${i}`).toBeDefined();
      p.send(h, { sport, dport: 80, seq: i * 7919 + 1, ack: sa!.seq + 1, flags: ACK, wnd: 65535, payload: tag(i) });
      who.push({ p, sport, seq: i * 7919 + 5, ack: sa!.seq + 1 });
    }
    for (const p of ps) p.take();
    net.run(3);
    for (let k = 0; k < m; k++) {
      const s = h.accept(l);
      expect(s).toBeGreaterThan(0);
      socks.push(s);
    }
  }
  return { socks, who };
}

describe("issue 15: 10,000 connections on one stack", () => {
  it("10,000 passive connections: every handle distinct (16-bit slots), each segment demultiplexed to its own connection, 10,000 delayed ACKs from the timer heap", async () => {
    const N = 10_000;
    const { net, h, ps } = await setup({ MaxSockets: 14_000, SndBuf: 256, RcvBuf: 256, IoBuf: 4096, SynBacklog: 1024 });
    expect(isScale(h)).toBe(true);
    net.logEnabled = false;
    const l = h.open();
    expect(h.bind(l, 80)).toBe(0);
    expect(h.listen(l, 1024)).toBe(0);
    const { socks, who } = openPassive(net, h, ps, l, N);
    expect(new Set(socks).size).toBe(N);
    expect(Math.max(...socks.map((s) => s & 0xffff))).toBeGreaterThanOrEqual(N); // slots past the old 10-bit limit
    expect(h.stat("tcp_syn_cookies_tx")).toBe(0);
    // each accepted socket holds the tag of the connection whose ACK created it
    const byTag = new Map<number, number>();
    for (const s of socks) {
      const d = h.read(s) as Uint8Array;
      expect(d.length).toBe(4);
      const i = untag(d);
      expect(h.info(s).remotePort).toBe(who[i].sport);
      byTag.set(i, s);
    }
    expect(byTag.size).toBe(N);
    // one more segment on every connection, in a scrambled order: each lands on its own socket
    net.run(500); // the delayed ACKs of the tags went out (one heap entry per connection)
    ps[0].take();
    for (let k = 0; k < N; k++) {
      const i = (k * 7919) % N;
      const w = who[i];
      w.p.send(h, { sport: w.sport, dport: 80, seq: w.seq, ack: w.ack, flags: ACK, wnd: 65535, payload: tag(N + i) });
    }
    net.run(3);
    for (let i = 0; i < N; i++) expect(untag(h.read(byTag.get(i)!) as Uint8Array)).toBe(N + i);
    net.run(500);
    const acked = new Set(ps[0].take().filter((s) => s.flags === ACK && s.ack >>> 0 === (who[s.dport - 1024].seq + 4) >>> 0).map((s) => s.dport));
    expect(acked.size).toBe(N); // every connection's delayed ACK fired
    // abort them all: the pool is whole again
    for (const s of socks) h.abort(s);
    expect(tcbFree(h)).toBe(14_000 - 1);
  }, 120_000);

  it("init takes MaxSockets 65535 with small rings (the 16-bit slot), and refuses 65536", async () => {
    const { h } = await setup({ MaxSockets: 65_535, SndBuf: 64, RcvBuf: 64, RingPairs: 1024, TimeWaitEntries: 16_384 });
    expect(tcbFree(h)).toBe(65_535);
    const net = new Net();
    await expect(net.host({ ip: HOST_IP, cfg: { MaxSockets: 65_536, SndBuf: 64, RcvBuf: 64 } })).rejects.toThrow();
  });
});

describe("issue 15: lookups under hash collisions", () => {
  /** A run of opens, data, closes and TIME-WAIT hits; returns what the host sent (the transcript). */
  async function transcript(buckets: number) {
    const { net, h, ps } = await setup({ MaxSockets: 400, SndBuf: 512, RcvBuf: 512, TimeWaitEntries: 64, SynBacklog: 64 }, NODE, buckets,
      [PEER_IP, "198.51.100.10", "198.51.100.11"]);
    const l = h.open(); h.bind(l, 80); h.listen(l, 64);
    const l2 = h.open(); h.bind(l2, 81); h.listen(l2, 8); // a second listener in the same chain
    const { socks, who } = openPassive(net, h, ps, l, 300, 60);
    const data: number[] = [];
    for (const s of socks) data.push(untag(h.read(s) as Uint8Array));
    expect(new Set(data).size).toBe(300);
    // the host closes every third connection: FIN, the peer's FIN+ACK, TIME-WAIT in the table
    for (let i = 0; i < 300; i += 3) h.close(socks[data.indexOf(i)]);
    net.run(3);
    for (let i = 0; i < 300; i += 3) {
      const w = who[i];
      const fin = w.p.rx.find((s) => (s.flags & FIN) !== 0 && s.dport === w.sport)!;
      expect(fin).toBeDefined();
      w.p.send(h, { sport: w.sport, dport: 80, seq: w.seq, ack: fin.seq + 1, flags: FIN | ACK, wnd: 65535 });
    }
    net.run(3);
    expect(twCount(h)).toBe(64); // 100 entered, the oldest recycled
    // a retransmitted FIN on each of the last 64: answered from its TIME-WAIT entry
    for (const p of ps) p.take();
    for (let i = 300 - 64 * 3; i < 300; i += 3) {
      const w = who[i];
      w.p.send(h, { sport: w.sport, dport: 80, seq: w.seq, ack: 0, flags: FIN | ACK, wnd: 65535 });
    }
    net.run(3);
    const want = new Map<string, number>();
    for (let i = 300 - 64 * 3; i < 300; i += 3) want.set(`${who[i].p.ip}:${who[i].sport}`, (who[i].seq + 1) >>> 0);
    const twAcks = ps.flatMap((p) => p.take()).filter((s) => s.flags === ACK && want.get(`${s.dst}:${s.dport}`) === s.ack >>> 0);
    expect(new Set(twAcks.map((s) => `${s.dst}:${s.dport}`)).size).toBe(64);
    // data on the others still reaches the right sockets
    for (let i = 1; i < 300; i += 3) {
      const w = who[i];
      w.p.send(h, { sport: w.sport, dport: 80, seq: w.seq, ack: w.ack, flags: ACK, wnd: 65535, payload: tag(1000 + i) });
    }
    net.run(3);
    for (let i = 1; i < 300; i += 3) expect(untag(h.read(socks[data.indexOf(i)]) as Uint8Array)).toBe(1000 + i);
    net.run(50); // the delayed ACKs of that data (DelAckMs) join the transcript
    // a SYN to the second listener, and one to a port nobody listens on
    ps[1].send(h, { sport: 9999, dport: 81, seq: 1, flags: SYN, opts: { mss: 1460 } });
    ps[1].send(h, { sport: 9999, dport: 82, seq: 1, flags: SYN, opts: { mss: 1460 } });
    net.run(3);
    const last = ps[1].take();
    expect(last.some((s) => isSynAck(s) && s.sport === 81)).toBe(true);
    expect(last.some((s) => s.sport === 82 && (s.flags & 0x04) !== 0)).toBe(true);
    return net.segs(h).map((s) => `${s.sport}>${s.dport} ${s.flags} ${s.seq >>> 0} ${s.ack >>> 0} ${s.payload.length}`);
  }

  it("every lookup table in one chain (1 bucket) gives the very same transcript as the full-size tables", async () => {
    const one = await transcript(1);
    const full = await transcript(0);
    expect(one.length).toBeGreaterThan(700); // 766 segments: every phase above is in it
    expect(one).toEqual(full);
  }, 60_000);
});

describe("issue 15: the scale build and the MCU build (scans) behave alike", () => {
  /** A mixed run: passive and active opens, data, closes into a small TIME-WAIT table, keepalives, retransmissions. */
  async function run(build: string) {
    const { net, h, ps } = await setup({
      MaxSockets: 40, SndBuf: 1024, RcvBuf: 1024, TimeWaitEntries: 8, SynBacklog: 8, KeepIdleMs: 5000, KeepIntvlMs: 1000, KeepCount: 3,
    }, build, 0, [PEER_IP, "198.51.100.10"]);
    const l = h.open(); h.bind(l, 80); h.listen(l, 16);
    const { socks, who } = openPassive(net, h, ps, l, 20, 7);
    for (const s of socks) h.read(s);
    for (let i = 0; i < 20; i += 4) h.setOption(socks[i], 2, 1); // keepalive on
    // active opens: the first peer answers half of them, the rest retransmit their SYNs
    const act: number[] = [];
    for (let i = 0; i < 10; i++) { const s = h.open(); expect(h.connect(s, ps[i % 2].ip, 7000 + i)).toBe(0); act.push(s); }
    net.run(3);
    for (const syn of ps[0].take().filter((x) => x.flags === SYN)) {
      ps[0].send(h, { sport: syn.dport, dport: syn.sport, seq: 50_000, ack: syn.seq + 1, flags: SYN | ACK, opts: { mss: 1460 }, wnd: 65535 });
    }
    net.run(3);
    // the host closes its established active opens and a third of the passive ones
    for (const s of act) if (h.state(s) === S.ESTABLISHED) h.close(s);
    for (let i = 1; i < 20; i += 3) h.close(socks[i]);
    net.run(3);
    for (const p of ps) {
      for (const fin of p.take().filter((x) => (x.flags & FIN) !== 0)) {
        const passive = fin.sport === 80;
        const seq = passive ? who.find((w) => w.p === p && w.sport === fin.dport)!.seq : 50_001;
        p.send(h, { sport: fin.dport, dport: fin.sport, seq, ack: fin.seq + 1, flags: FIN | ACK, wnd: 65535 });
      }
    }
    net.run(3);
    ps[1].send(h, { sport: 5555, dport: 9, seq: 1, flags: SYN }); // a closed port: RST
    net.run(60_000); // retransmission backoff, keepalive probes and aborts, TIME-WAIT expiry
    expect(twCount(h)).toBe(0);
    const rows = net.log.filter((c) => c.from === h.name && c.seg).map((c) => {
      const s = c.seg!;
      return `${c.t} ${s.src}:${s.sport}>${s.dst}:${s.dport} ${s.flags} ${s.seq >>> 0} ${s.ack >>> 0} ${s.wnd} ${s.payload.length}`;
    });
    return rows.sort(); // (timers due at one instant may fire in another order: compare per instant)
  }

  it("one seed, the same segments at the same instants: hashes, free lists and the timer heap (node) vs scans (mcu)", async () => {
    const node = await run(NODE);
    const mcu = await run(MCU);
    expect(node.length).toBeGreaterThan(100);
    expect(node).toEqual(mcu);
  }, 60_000);
});

describe("issue 15: ephemeral ports exhausted", () => {
  it("RFC 6056: with all 16,384 ephemeral ports bound, bind(0) is -EADDRINUSE and connect -EADDRNOTAVAIL at once (no SYN); one port freed is the one taken", async () => {
    const { net, h, ps } = await setup({ MaxSockets: 16_400, SndBuf: 64, RcvBuf: 64, RingPairs: 4 });
    const socks: number[] = [];
    const ports = new Set<number>();
    for (let i = 0; i < 16_384; i++) {
      const s = h.open();
      expect(h.bind(s, 0)).toBe(0);
      socks.push(s);
      ports.add(h.info(s).localPort);
    }
    expect(ports.size).toBe(16_384);
    const s = h.open();
    expect(h.bind(s, 0)).toBe(-Err.EADDRINUSE);
    expect(h.connect(s, PEER_IP, 7000)).toBe(-Err.EADDRNOTAVAIL);
    net.run(3);
    expect(ps[0].take().length).toBe(0);
    const freed = h.info(socks[1234]).localPort;
    h.close(socks[1234]);
    expect(h.connect(s, PEER_IP, 7000)).toBe(0);
    expect(h.info(s).localPort).toBe(freed);
  }, 60_000);
});

describe("issue 15: ephemeral ports without a scan", () => {
  /** 8,192 ports bound explicitly (all but every 50th of 49152-57343), then connects and bind(0)s: the local ports. */
  async function ports(build: string) {
    const { net, h } = await setup({ MaxSockets: 8_600, SndBuf: 64, RcvBuf: 64, RingPairs: 300 }, build);
    net.logEnabled = false;
    for (let k = 0; k < 8192; k++) if (k % 50 !== 0) { const s = h.open(); expect(h.bind(s, 49152 + k)).toBe(0); }
    const out: number[] = [];
    for (let i = 0; i < 300; i++) {
      const s = h.open();
      if (i % 3 === 2) expect(h.bind(s, 0)).toBe(0);
      else expect(h.connect(s, PEER_IP, 7000 + (i % 4))).toBe(0);
      out.push(h.info(s).localPort);
    }
    return out;
  }

  it("RFC 6056 §3.3.1 and §3.3.3: the scale build's busy-port bitmap picks the very ports the MCU build's candidate search does, skipping long runs of bound ports", async () => {
    const node = await ports(NODE);
    expect(new Set(node).size).toBe(300);
    for (const p of node) expect(p >= 57344 || (p - 49152) % 50 === 0).toBe(true); // only free ports
    expect(node.filter((p) => p < 57344).length).toBeGreaterThan(0); // some found among the bound runs
    expect(await ports(MCU)).toEqual(node);
  }, 60_000);
});

describe.each(BUILDS)("issue 15: a listener's close and a removed address reach only their connections (%s)", (_n, build) => {
  it("RFC 9293 §3.10.4: closing a listener resets its 150 half-open and 50 queued children, not its 200 accepted connections; removing the address then ends those 200 (EADDRNOTAVAIL) and nothing else", async () => {
    const { net, h, ps } = await setup({ MaxSockets: 900, SndBuf: 64, RcvBuf: 64, SynBacklog: 200, IoBuf: 4096 }, build);
    net.logEnabled = false;
    const l = h.open(); h.bind(l, 80); h.listen(l, 1024);
    const { socks } = openPassive(net, h, ps, l, 200, 100);
    const p = ps[0];
    for (let i = 0; i < 200; i++) p.send(h, { sport: 20_000 + i, dport: 80, seq: 1000 * i, flags: SYN, opts: { mss: 1460 }, wnd: 65535 });
    net.run(3);
    for (const sa of p.take().filter(isSynAck)) {
      if (sa.dport >= 20_150) p.send(h, { sport: sa.dport, dport: 80, seq: 1000 * (sa.dport - 20_000) + 1, ack: sa.seq + 1, flags: ACK, wnd: 65535 });
    }
    net.run(3);
    p.take();
    // a second listener must survive the first one's close
    const l2 = h.open(); h.bind(l2, 81); h.listen(l2, 8);
    const aborted = h.stat("tcp_conns_aborted");
    expect(h.close(l)).toBe(0);
    net.run(1);
    const rsts = p.take().filter((x) => (x.flags & 4) !== 0);
    expect(rsts.length).toBe(200);
    expect(new Set(rsts.map((x) => x.dport)).size).toBe(200);
    for (const r of rsts) expect(r.dport >= 20_000 && r.dport < 20_200).toBe(true);
    expect(h.stat("tcp_conns_aborted")).toBe(aborted + 200);
    for (const s of socks) expect(h.state(s)).toBe(S.ESTABLISHED);
    expect(h.state(l2)).toBe(S.LISTEN);
    // the address goes: its 200 connections end at once, the listener stays
    expect((h.x.ifaceClearIpv4 as () => number)()).toBe(0);
    for (const s of socks) {
      expect(h.state(s)).toBe(S.CLOSED);
      expect(h.info(s).lastError).toBe(Err.EADDRNOTAVAIL);
    }
    expect(h.state(l2)).toBe(S.LISTEN);
    expect(h.stat("tcp_conns_aborted")).toBe(aborted + 400);
    for (const s of socks) expect(h.close(s)).toBe(0);
    expect(tcbFree(h)).toBe(900 - 1);
  }, 60_000);
});

describe.each(BUILDS)("issue 12: the connection lookup's last-match hint (%s)", (_n, build) => {
  // The node build tries the connection the previous segment matched before hashing the tuple
  // (tcp/input.ts findConn); the hint is checked like a chain entry, so another connection's
  // segment, or one for a connection whose slot another now holds, never lands on it. The MCU
  // build scans: the same outcome.
  it("segments alternating between two connections each land on their own; once a connection is aborted and its slot holds a new one (the hint), a segment on the old 4-tuple draws a RST and delivers nothing", async () => {
    const { net, h, ps } = await setup({ MaxSockets: 8, SndBuf: 1024, RcvBuf: 1024, IoBuf: 4096 }, build);
    const p = ps[0];
    const l = h.open(); h.bind(l, 80); h.listen(l, 8);
    const d = h.open(); h.bind(d, 81); h.listen(d, 8);
    const { socks, who } = openPassive(net, h, ps, l, 2, 2);
    const [a, b] = socks;
    for (const s of socks) h.read(s); // the tags
    const send = (i: number, t: number) => {
      const w = who[i];
      p.send(h, { sport: w.sport, dport: 80, seq: w.seq, ack: w.ack, flags: ACK, wnd: 65535, payload: tag(t) });
      w.seq += 4;
      net.run(3);
    };
    // alternate: every segment's lookup misses the connection the previous one matched
    for (let k = 0; k < 6; k++) {
      send(k % 2, 100 + k);
      expect(untag(h.read(socks[k % 2]) as Uint8Array)).toBe(100 + k);
      expect(h.read(socks[1 - (k % 2)])).toBe(-Err.EAGAIN);
    }
    send(0, 7); // a is the hint
    expect(untag(h.read(a) as Uint8Array)).toBe(7);
    expect(h.abort(a)).toBe(0); // (the handle is released: no close)
    net.run(3);
    // a new connection on port 81 takes a's slot; its ACK makes it the hint
    p.take();
    p.send(h, { sport: 5555, dport: 81, seq: 1, flags: SYN, opts: { mss: 1460 }, wnd: 65535 });
    net.run(3);
    const sa = p.take().find(isSynAck)!;
    expect(sa).toBeDefined();
    p.send(h, { sport: 5555, dport: 81, seq: 2, ack: sa.seq + 1, flags: ACK, wnd: 65535, payload: tag(8) });
    net.run(3);
    const e = h.accept(d);
    expect(e & 0xffff).toBe(a & 0xffff);
    expect(untag(h.read(e) as Uint8Array)).toBe(8);
    // a's 4-tuple matches no connection now (nor, with port 80's listener closed, a listener)
    expect(h.close(l)).toBe(0);
    p.take();
    const noSocket = h.stat("tcp_no_socket");
    send(0, 9);
    expect(h.stat("tcp_no_socket")).toBe(noSocket + 1);
    expect(p.take().filter((x) => (x.flags & RST) !== 0).map((x) => x.dport)).toEqual([who[0].sport]);
    expect(h.read(e)).toBe(-Err.EAGAIN);
    expect(h.read(b)).toBe(-Err.EAGAIN);
    // and b still gets its own
    send(1, 10);
    expect(untag(h.read(b) as Uint8Array)).toBe(10);
  });
});

describe("issue 15: a TIME-WAIT table of 16,384 entries", () => {
  it("RFC 9293 §3.10.7.4: 16,384 active closes fill the table; each entry answers its FIN; connect is -EADDRNOTAVAIL at once; 2*MSL later all have expired and connect works", async () => {
    const MSL = 600_000;
    const { net, h, ps } = await setup({ MaxSockets: 80, SndBuf: 256, RcvBuf: 256, TimeWaitEntries: 16_384, MslMs: MSL });
    net.logEnabled = false;
    const p = ps[0];
    const tuples: { sport: number; seq: number; ack: number }[] = [];
    for (let b = 0; b < 16_384; b += 64) {
      const batch: number[] = [];
      for (let k = 0; k < 64; k++) { const s = h.open(); expect(h.connect(s, PEER_IP, 7000)).toBe(0); batch.push(s); }
      net.run(3);
      for (const syn of p.take().filter((x) => x.flags === SYN)) {
        p.send(h, { sport: 7000, dport: syn.sport, seq: 1000, ack: syn.seq + 1, flags: SYN | ACK, opts: { mss: 1460 }, wnd: 65535 });
      }
      net.run(3);
      for (const s of batch) { expect(h.state(s)).toBe(S.ESTABLISHED); h.close(s); }
      net.run(3);
      for (const fin of p.take().filter((x) => (x.flags & FIN) !== 0)) {
        p.send(h, { sport: 7000, dport: fin.sport, seq: 1001, ack: fin.seq + 1, flags: FIN | ACK, wnd: 65535 });
        tuples.push({ sport: fin.sport, seq: 1001, ack: fin.seq + 1 });
      }
      net.run(3);
    }
    expect(tuples.length).toBe(16_384);
    expect(twCount(h)).toBe(16_384);
    expect(h.stat("tcp_time_wait_full")).toBe(0);
    expect(tcbFree(h)).toBe(80);
    // every ephemeral port is in TIME-WAIT: connect fails at once
    const s = h.open();
    expect(h.connect(s, PEER_IP, 7000)).toBe(-Err.EADDRNOTAVAIL);
    // a retransmitted FIN on entries spread over the table: each answered with the right ACK
    p.take();
    for (let i = 0; i < 16_384; i += 1021) {
      const t = tuples[i];
      p.send(h, { sport: 7000, dport: t.sport, seq: t.seq, ack: t.ack, flags: FIN | ACK, wnd: 65535 });
    }
    net.run(3);
    const acks = p.take();
    expect(acks.length).toBe(Math.ceil(16_384 / 1021));
    for (const a of acks) {
      expect(a.flags).toBe(ACK);
      expect(a.ack >>> 0).toBe(1002);
    }
    // 2*MSL later every entry is gone (those whose timer a FIN restarted last)
    net.run(2 * MSL + 10);
    expect(twCount(h)).toBe(0);
    expect(h.stat("tcp_conns_closed")).toBeGreaterThanOrEqual(16_384);
    expect(h.connect(s, PEER_IP, 7000)).toBe(0);
  }, 120_000);
});

describe.each(BUILDS)("issue 15: timers with many connections (%s)", (_n, build) => {
  it("RFC 6298 §5: 1,000 SYN retransmissions fire in deadline order, each exactly one RTO after its SYN; aborted connections' timers never fire; poll's next deadline is the earliest", async () => {
    const { net, h, ps } = await setup({ MaxSockets: 1100, SndBuf: 64, RcvBuf: 64, RingPairs: 1000 }, build);
    const p = ps[0];
    const socks: number[] = [];
    const t0 = net.now;
    for (let i = 0; i < 1000; i++) {
      const s = h.open();
      expect(h.connect(s, PEER_IP, 1 + i)).toBe(0);
      socks.push(s);
      if (i === 0) expect(h.deadline).toBe(t0 + 1000); // the SYN's RTO (RtoInitialMs)
      net.run(1);
    }
    for (let i = 0; i < 1000; i += 3) h.abort(socks[i]);
    expect(h.deadline).toBe(t0 + 1 + 1000); // socket 0 is gone; socket 1 connected 1 ms later
    net.log = [];
    net.runUntil(() => false, 1100);
    const rtx = net.log.filter((c) => c.seg && c.seg.flags === SYN && c.from === h.name);
    const expected = [...Array(1000).keys()].filter((i) => i % 3 !== 0);
    expect(rtx.map((c) => c.seg!.dport - 1)).toEqual(expected);
    for (const c of rtx) expect(c.t - t0).toBe(c.seg!.dport - 1 + 1000);
    expect(p.rx.length).toBeGreaterThan(0);
  }, 60_000);
});
