// A DHCP server (RFC 2131) for emulated networks, running on one of our stacks: a NetStack with a
// static address, through its node:dgram-shaped UDP socket on port 67.
//
//   const srv = createStack({ ip: "198.51.100.1/24", link: { type: "emulated", sim, link } });
//   const dhcp = new DhcpServer(srv, { pool: ["198.51.100.10", "198.51.100.250"], leaseSeconds: 3600, seed: 7 });
//   dhcp.leases();   // the lease table: address, client, state, expiry
//   dhcp.stats;      // counters, malformed packets among them
//
// What it does (RFC 2131 §4.3): DISCOVER -> OFFER (the client's current or previous address, else
// the requested one if free, else the next free address in the pool's seeded order); REQUEST ->
// ACK or NAK for the SELECTING, INIT-REBOOT, RENEWING and REBINDING cases of §4.3.2; DECLINE marks
// the address unusable for `declineSeconds`; RELEASE frees it; INFORM gets an ACK with the
// options and no lease (§4.3.5). Options sent: 1, 3, 6, 51, 54, 58, 59 (no lease ones in an
// INFORM's ACK); 12 (host name) and 61 (client identifier) are recorded in the lease table.
// Replies (§4.1, no relay agents here): a NAK, a reply to a client without an address (ciaddr 0)
// and a reply with the BROADCAST flag go to 255.255.255.255:68 (unicast to an address the
// client cannot yet answer ARP for would need an ARP entry a UDP socket cannot make: §4.1 allows
// the broadcast); otherwise unicast to ciaddr:68.
// Bounded: the table holds at most one record per pool address (state kept per address).
// Malformed or unusable packets are dropped and counted (stats); the server never throws on input.
import { Prng } from "./prng.js";
import { ipToU32, u32ToIp } from "./stack.js";
import type { NetStack } from "./net.js";
import type { Socket as DgramSocket, RemoteInfo } from "./dgram.js";

export const DHCP = { DISCOVER: 1, OFFER: 2, REQUEST: 3, DECLINE: 4, ACK: 5, NAK: 6, RELEASE: 7, INFORM: 8 } as const;

export interface DhcpServerOptions {
  /** First and last address of the pool (inclusive, both in the server's subnet). */
  pool: [string, string];
  /** Lease time in seconds (option 51; default 3600). */
  leaseSeconds?: number;
  /** T1 and T2 in seconds (options 58, 59; default 0.5 and 0.875 of the lease). */
  t1Seconds?: number;
  t2Seconds?: number;
  /** Option 3 (default: the server's address; null: none). */
  router?: string | null;
  /** Option 6 (default: [the server's address]; [] none). */
  dns?: string[];
  /** Shuffles the order in which free addresses are handed out (deterministic per seed); undefined: ascending. */
  seed?: number;
  /** How long an offered address stays reserved for the client (default 60 s). */
  offerHoldSeconds?: number;
  /** How long a DECLINEd address stays unusable (default 3600 s). */
  declineSeconds?: number;
}

export type DhcpLeaseState = "offered" | "bound" | "released" | "expired" | "declined";

export interface DhcpServerLease {
  address: string;
  state: DhcpLeaseState;
  /** The client's hardware address (null for a declined address nobody holds). */
  mac: string | null;
  /** Option 61 as hex, when the client sent one. */
  clientId: string | null;
  /** Option 12, when the client sent one. */
  hostname: string | null;
  /** When the offer, lease or decline ends (ms of the stack's clock). */
  expiresMs: number;
}

/** What the server counted. Every dropped packet is counted under one reason. */
export interface DhcpServerStats {
  rx: number; tx: number;
  /** Drops: shorter than the BOOTP header + cookie, longer than the largest message, ... */
  truncated: number; badOp: number; badHardware: number; badCookie: number; badOption: number;
  overload: number; noMsgType: number; badMsgType: number; badRequest: number;
  /** Client messages a server does not answer (DISCOVER with no free address included: poolExhausted). */
  poolExhausted: number; otherServer: number; unknownClient: number;
  discovers: number; requests: number; declines: number; releases: number; informs: number;
  offers: number; acks: number; naks: number;
}

interface Rec {
  state: DhcpLeaseState;
  key: string | null;
  mac: string | null;
  clientId: string | null;
  hostname: string | null;
  expiresMs: number;
}

interface Msg {
  type: number; xid: number; flags: number; ciaddr: number; giaddr: number; chaddr: Uint8Array;
  opts: Map<number, Uint8Array>;
}

const COOKIE = 0x63825363;
const MAX_MSG = 1500;

export class DhcpServer {
  readonly stats: DhcpServerStats = {
    rx: 0, tx: 0, truncated: 0, badOp: 0, badHardware: 0, badCookie: 0, badOption: 0, overload: 0, noMsgType: 0, badMsgType: 0,
    badRequest: 0, poolExhausted: 0, otherServer: 0, unknownClient: 0, discovers: 0, requests: 0, declines: 0, releases: 0,
    informs: 0, offers: 0, acks: 0, naks: 0,
  };
  private readonly sock: DgramSocket;
  private readonly self: number;
  private readonly mask: number;
  private readonly order: number[];
  private readonly inPool: Set<number>;
  private readonly recs = new Map<number, Rec>(); // by pool address: at most the pool's size
  private readonly byClient = new Map<string, number>();
  private readonly lease: number;
  private readonly t1: number;
  private readonly t2: number;
  private readonly router: number | null;
  private readonly dns: number[];
  private readonly offerHoldMs: number;
  private readonly declineMs: number;

  constructor(private readonly net: NetStack, o: DhcpServerOptions) {
    if (net.address === "0.0.0.0") throw new Error("DhcpServer: the stack needs a static address");
    this.self = ipToU32(net.address);
    this.mask = net.prefix === 0 ? 0 : (0xffffffff << (32 - net.prefix)) >>> 0;
    const lo = ipToU32(o.pool[0]), hi = ipToU32(o.pool[1]);
    if (hi < lo) throw new Error("DhcpServer: pool end before pool start");
    if (!this.onNet(lo) || !this.onNet(hi)) throw new Error("DhcpServer: the pool must lie in the server's subnet");
    this.order = [];
    for (let a = lo; a <= hi; a++) if (a !== this.self && (a & ~this.mask) !== 0 && (a | this.mask) >>> 0 !== 0xffffffff) this.order.push(a);
    this.inPool = new Set(this.order);
    if (this.order.length === 0) throw new Error("DhcpServer: the pool holds no usable address");
    if (o.seed !== undefined) {
      const r = new Prng(o.seed);
      for (let i = this.order.length - 1; i > 0; i--) { const j = r.int(i + 1); [this.order[i], this.order[j]] = [this.order[j], this.order[i]]; }
    }
    this.lease = o.leaseSeconds ?? 3600;
    if (!(this.lease >= 1 && this.lease <= 0xfffffffe)) throw new Error("DhcpServer: leaseSeconds out of range");
    this.t1 = o.t1Seconds ?? Math.floor(this.lease * 0.5);
    this.t2 = o.t2Seconds ?? Math.floor(this.lease * 0.875);
    this.router = o.router === null ? null : ipToU32(o.router ?? net.address);
    this.dns = (o.dns ?? [net.address]).map(ipToU32);
    this.offerHoldMs = (o.offerHoldSeconds ?? 60) * 1000;
    this.declineMs = (o.declineSeconds ?? 3600) * 1000;
    this.sock = net.createSocket("udp4");
    this.sock.bind(67);
    this.sock.setBroadcast(true);
    this.sock.on("message", (m: Buffer, r: RemoteInfo) => this.input(m, r));
  }

  /** The pool's size (the table's bound). */
  get poolSize(): number { return this.order.length; }

  /** The lease table: every address with a record (expired entries shown as such), in address order. */
  leases(): DhcpServerLease[] {
    const now = this.now();
    return [...this.recs.entries()].sort((a, b) => a[0] - b[0]).map(([a, r]) => ({
      address: u32ToIp(a), state: this.live(r, now), mac: r.mac, clientId: r.clientId, hostname: r.hostname, expiresMs: r.expiresMs,
    }));
  }

  /** Stop serving (closes the socket). */
  close(): void { this.sock.close(); }

  // --- internal ------------------------------------------------------------

  private now(): number { return this.net.stack.clock.now(); }
  private onNet(a: number): boolean { return ((a & this.mask) >>> 0) === ((this.self & this.mask) >>> 0); }

  /** A record's state now: an offer or lease past its end has expired; a decline past its end is gone (released). */
  private live(r: Rec, now: number): DhcpLeaseState {
    if (now < r.expiresMs) return r.state;
    return r.state === "offered" || r.state === "bound" ? "expired" : r.state === "declined" ? "released" : r.state;
  }

  /** Is `a` free for client `key` now? */
  private freeFor(a: number, key: string, now: number): boolean {
    if (!this.inPool.has(a)) return false;
    const r = this.recs.get(a);
    if (!r) return true;
    const s = this.live(r, now);
    if (s === "declined") return false;
    if (r.key === key) return true;
    return s === "released" || s === "expired";
  }

  /** The address for a DISCOVER (RFC 2131 §4.3.1), or null when the pool is exhausted. */
  private pick(key: string, requested: number | null, now: number): number | null {
    const mine = this.byClient.get(key);
    if (mine !== undefined && this.freeFor(mine, key, now)) return mine;
    if (requested !== null && this.freeFor(requested, key, now)) return requested;
    let best: number | null = null, bestEnd = Infinity;
    for (const a of this.order) {
      const r = this.recs.get(a);
      if (!r) return a; // never used: first
      if (this.freeFor(a, key, now) && r.expiresMs < bestEnd) { best = a; bestEnd = r.expiresMs; } // else least recently used
    }
    return best;
  }

  private bind(a: number, key: string, m: Msg, state: DhcpLeaseState, untilMs: number): void {
    const old = this.recs.get(a);
    if (old?.key && old.key !== key && this.byClient.get(old.key) === a) this.byClient.delete(old.key);
    const prev = this.byClient.get(key);
    if (prev !== undefined && prev !== a) {
      const pr = this.recs.get(prev);
      if (pr && pr.key === key && pr.state !== "declined") { pr.state = "released"; pr.expiresMs = Math.min(pr.expiresMs, this.now()); }
    }
    const h = m.opts.get(12);
    this.recs.set(a, {
      state, key, mac: [...m.chaddr].map((b) => b.toString(16).padStart(2, "0")).join(":"),
      clientId: m.opts.has(61) ? Buffer.from(m.opts.get(61)!).toString("hex") : null,
      hostname: h ? Buffer.from(h).toString("latin1") : old?.key === key ? old.hostname : null, expiresMs: untilMs,
    });
    this.byClient.set(key, a);
  }

  private input(b: Buffer, rinfo: RemoteInfo): void {
    this.stats.rx++;
    const m = this.parse(b);
    if (m === null) return;
    const key = m.opts.has(61) ? `id:${Buffer.from(m.opts.get(61)!).toString("hex")}` : `hw:${Buffer.from(m.chaddr).toString("hex")}`;
    const now = this.now();
    const opt50 = m.opts.get(50), opt54 = m.opts.get(54);
    if ((opt50 && opt50.length !== 4) || (opt54 && opt54.length !== 4)) { this.stats.badOption++; return; }
    const requested = opt50 ? be32(opt50, 0) : null;
    const serverId = opt54 ? be32(opt54, 0) : null;
    switch (m.type) {
      case DHCP.DISCOVER: {
        this.stats.discovers++;
        const a = this.pick(key, requested, now);
        if (a === null) { this.stats.poolExhausted++; return; }
        const r = this.recs.get(a);
        const keep = r && r.key === key && this.live(r, now) === "bound"; // offering the current lease: keep it bound
        this.bind(a, key, m, keep ? "bound" : "offered", keep ? r.expiresMs : now + this.offerHoldMs);
        this.stats.offers++;
        this.reply(m, DHCP.OFFER, a, true);
        return;
      }
      case DHCP.REQUEST: {
        this.stats.requests++;
        if (serverId !== null) { // SELECTING (§4.3.2)
          if (serverId !== this.self) { // the client chose another server: our offer is void
            this.stats.otherServer++;
            const mine = this.byClient.get(key);
            const r = mine !== undefined ? this.recs.get(mine) : undefined;
            if (r && r.state === "offered") { r.state = "released"; r.expiresMs = now; }
            return;
          }
          if (requested === null || m.ciaddr !== 0) { this.stats.badRequest++; return this.nak(m); }
          const mine = this.byClient.get(key);
          const r = mine !== undefined ? this.recs.get(mine) : undefined;
          if (mine !== requested || !r || r.key !== key || this.live(r, now) === "declined" || !this.freeFor(requested, key, now)) return this.nak(m);
          return this.ack(m, key, requested, now);
        }
        if (requested !== null && m.ciaddr === 0) { // INIT-REBOOT
          if (!this.onNet(requested)) return this.nak(m); // the client is on the wrong network
          const mine = this.byClient.get(key);
          if (mine === undefined) { this.stats.unknownClient++; return; } // no record of this client: silent
          if (mine !== requested || !this.freeFor(requested, key, now)) return this.nak(m);
          return this.ack(m, key, requested, now);
        }
        if (requested === null && m.ciaddr !== 0) { // RENEWING (unicast) or REBINDING (broadcast)
          const r = this.recs.get(m.ciaddr);
          if (!r || !this.inPool.has(m.ciaddr)) { this.stats.unknownClient++; return; }
          if (r.key !== key || !this.freeFor(m.ciaddr, key, now)) return this.nak(m);
          return this.ack(m, key, m.ciaddr, now);
        }
        this.stats.badRequest++;
        return;
      }
      case DHCP.DECLINE: {
        this.stats.declines++;
        if (requested === null || serverId !== this.self) { this.stats.badRequest++; return; }
        const r = this.recs.get(requested);
        if (!r || r.key !== key) { this.stats.unknownClient++; return; }
        r.state = "declined"; r.key = null; r.mac = null; r.clientId = null; r.hostname = null; r.expiresMs = now + this.declineMs;
        if (this.byClient.get(key) === requested) this.byClient.delete(key);
        return;
      }
      case DHCP.RELEASE: {
        this.stats.releases++;
        const r = this.recs.get(m.ciaddr);
        if (!r || r.key !== key) { this.stats.unknownClient++; return; }
        if (r.state !== "declined") { r.state = "released"; r.expiresMs = now; } // kept for the client: asked again, it gets it back
        return;
      }
      case DHCP.INFORM: {
        this.stats.informs++;
        if (m.ciaddr === 0) { this.stats.badRequest++; return; }
        this.stats.acks++;
        this.reply(m, DHCP.ACK, 0, false);
        return;
      }
      default:
        this.stats.badMsgType++; // OFFER, ACK, NAK: server to client only
    }
    void rinfo;
  }

  private ack(m: Msg, key: string, a: number, now: number): void {
    this.bind(a, key, m, "bound", now + this.lease * 1000);
    this.stats.acks++;
    this.reply(m, DHCP.ACK, a, true);
  }

  private nak(m: Msg): void {
    this.stats.naks++;
    this.reply(m, DHCP.NAK, 0, false);
  }

  /** Build and send a reply (RFC 2131 Table 3 fields, §4.1 destination). */
  private reply(m: Msg, type: number, yiaddr: number, lease: boolean): void {
    const o: number[] = [53, 1, type, 54, 4, ...bytes32(this.self)];
    if (type !== DHCP.NAK) {
      if (lease) o.push(51, 4, ...bytes32(this.lease), 58, 4, ...bytes32(this.t1), 59, 4, ...bytes32(this.t2));
      o.push(1, 4, ...bytes32(this.mask));
      if (this.router !== null) o.push(3, 4, ...bytes32(this.router));
      if (this.dns.length) o.push(6, 4 * this.dns.length, ...this.dns.flatMap(bytes32));
    }
    o.push(255);
    const p = Buffer.alloc(Math.max(300, 240 + o.length));
    p[0] = 2; p[1] = 1; p[2] = 6;
    p.writeUInt32BE(m.xid, 4);
    p.writeUInt16BE(m.flags & 0x8000, 10);
    if (type === DHCP.ACK) p.writeUInt32BE(m.ciaddr, 12);
    p.writeUInt32BE(yiaddr, 16);
    p.writeUInt32BE(m.giaddr, 24);
    p.set(m.chaddr, 28);
    p.writeUInt32BE(COOKIE, 236);
    p.set(o, 240);
    const broadcast = type === DHCP.NAK || m.ciaddr === 0 || (m.flags & 0x8000) !== 0;
    this.stats.tx++;
    this.sock.send(p, 68, broadcast ? "255.255.255.255" : u32ToIp(m.ciaddr));
  }

  /** Validate a client message; null (counted) when it is dropped. */
  private parse(b: Buffer): Msg | null {
    const s = this.stats;
    if (b.length < 240 || b.length > MAX_MSG) { s.truncated++; return null; }
    if (b[0] !== 1) { s.badOp++; return null; }
    if (b[1] !== 1 || b[2] !== 6) { s.badHardware++; return null; }
    if (b.readUInt32BE(236) !== COOKIE) { s.badCookie++; return null; }
    const opts = new Map<number, Uint8Array>();
    let i = 240, end = false;
    while (i < b.length) {
      const code = b[i++];
      if (code === 0) continue;
      if (code === 255) { end = true; break; }
      if (i >= b.length || i + 1 + b[i] > b.length) { s.badOption++; return null; }
      const len = b[i++];
      const v = b.subarray(i, i + len);
      const prev = opts.get(code); // RFC 3396: a repeated option is concatenated
      opts.set(code, prev ? Buffer.concat([prev, v]) : v);
      i += len;
    }
    if (!end) { s.badOption++; return null; }
    if (opts.has(52)) { s.overload++; return null; }
    const t = opts.get(53);
    if (!t) { s.noMsgType++; return null; }
    if (t.length !== 1 || t[0] < 1 || t[0] > 8) { s.badMsgType++; return null; }
    return {
      type: t[0], xid: b.readUInt32BE(4), flags: b.readUInt16BE(10), ciaddr: b.readUInt32BE(12), giaddr: b.readUInt32BE(24),
      chaddr: Uint8Array.from(b.subarray(28, 34)), opts,
    };
  }
}

function be32(b: Uint8Array, o: number): number { return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0; }
function bytes32(v: number): number[] { return [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]; }
