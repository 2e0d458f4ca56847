// Named demo scenarios for `cli demo [--scenario NAME] [--json]`: deterministic TCP
// conversations between two emulated hosts (client 198.51.100.1, server 198.51.100.2)
// that print each side's state transitions and every TCP segment crossing the link.
// The link never loses frames at random here: each scenario scripts its drops
// ("drop the Nth segment matching a predicate"), so a run is the same every time.
//
// --json prints one object per line:
//   {"t":ms,"event":"state","side":"client","from":"SYN-SENT","to":"ESTABLISHED"}
//   {"t":ms,"event":"segment","src":"client","dst":"server","flags":"SYN,ACK","seq":n,"ack":n,"len":n,"dropped":false}
// A run also records notes (what the applications do, errors they see, why a frame was
// dropped) and `ss -tan` listings of both hosts a moment after either side enters a state
// netstat can catch (SYN-RECEIVED, FIN-WAIT-2, CLOSE-WAIT, TIME-WAIT). The CLI tells a run as
// a story (src/story.ts); without a teller, one text line per record.

import { Link, Sim, TapRecord } from "./links/emulated.js";
import { ipToU32, Stack } from "./stack.js";
import {
  ERR_NAMES, EventKind, type Exports, TCP_INFO_NAMES, TCP_STATE_NAMES, type TcpInfo, TcpOpt, TcpState, type TcpStateName,
} from "./abi.js";
import { decodeFrame } from "./trace.js";
import { coreSocketInfo, coreTimeWaitRows, type SocketInfo } from "./net.js";

export interface ScenarioContext {
  /** Print machine-readable JSON instead of text (one JSON object per line). */
  json: boolean;
  /** Seed for every PRNG in the run (deterministic output). */
  seed: number;
  /** Write one line to stdout. */
  out(line: string): void;
  /** Tell a finished TCP scenario run as text (the CLI's story); default: one line per record. */
  tell?(name: string, run: ScenarioRun): Promise<void> | void;
  /** Called with every finished TCP scenario run (the CLI draws its pictures). */
  onRun?(name: string, run: ScenarioRun): void;
}

export interface Scenario {
  /** One line for --help. */
  description: string;
  /** Run the scenario; resolve to the process exit code (0 = success). */
  run(ctx: ScenarioContext): Promise<number> | number;
}

// ---------------------------------------------------------------------------
// A thin TCP socket API over a Stack's exports (numbers only; data through ioBuffer).

/**
 * The socket calls of one Stack. Every call first polls the core at the current time
 * (calls carry no time of their own) and then wakes the stack's driver.
 */
export class TcpApi {
  private readonly x: Exports;
  constructor(readonly stack: Stack, readonly ioLen = 65536) {
    this.x = stack.exports;
  }
  private call(f: (x: Exports) => number): number {
    this.stack.poll();
    const r = f(this.x);
    this.stack.wake();
    return r;
  }
  open(): number { return this.call((x) => x.tcpOpen()); }
  bind(h: number, port: number): number { return this.call((x) => x.tcpBind(h, port)); }
  listen(h: number, backlog = 8): number { return this.call((x) => x.tcpListen(h, backlog)); }
  accept(h: number): number { return this.call((x) => x.tcpAccept(h)); }
  connect(h: number, ip: string, port: number): number { return this.call((x) => x.tcpConnect(h, ipToU32(ip), port)); }
  shutdown(h: number): number { return this.call((x) => x.tcpShutdown(h)); }
  close(h: number): number { return this.call((x) => x.tcpClose(h)); }
  abort(h: number): number { return this.call((x) => x.tcpAbort(h)); }
  setOption(h: number, opt: number, value: number): number { return this.call((x) => x.tcpSetOption(h, opt, value)); }
  state(h: number): number { return this.x.tcpState(h); }
  /** Queue as much of `data` as fits; returns bytes queued or a negative Err. */
  write(h: number, data: Uint8Array): number {
    let done = 0;
    while (done < data.length) {
      const n = Math.min(data.length - done, this.ioLen);
      const io = this.x.ioBuffer();
      this.stack.bytes(io, n).set(data.subarray(done, done + n));
      const r = this.call((x) => x.tcpWrite(h, io, n));
      if (r < 0) return done > 0 ? done : r;
      done += r;
      if (r < n) break;
    }
    return done;
  }
  /** Bytes read (a copy), or a number: 0 = end of stream, negative = -Err (-EAGAIN: nothing yet). */
  read(h: number, max = this.ioLen): Uint8Array | number {
    const io = this.x.ioBuffer();
    const r = this.call((x) => x.tcpRead(h, io, Math.min(max, this.ioLen)));
    if (r <= 0) return r;
    return this.stack.bytes(io, r).slice();
  }
  /** tcpInfo fields (see docs/abi.md), read through the I/O region. */
  info(h: number): TcpInfo {
    const io = this.x.ioBuffer();
    const r = this.x.tcpInfo(h, io);
    if (r !== 0) throw new Error(`tcpInfo(${h}) = ${r}`);
    const u = new Uint32Array(this.stack.memory.buffer, io, TCP_INFO_NAMES.length);
    const o = {} as TcpInfo;
    TCP_INFO_NAMES.forEach((n, i) => { o[n] = u[i]; });
    return o;
  }
  /** Bytes of one connection block and one TIME-WAIT entry. */
  sizes(): { tcb: number; timeWait: number } {
    const io = this.x.ioBuffer();
    this.x.tcpSizes(io);
    const u = new Uint32Array(this.stack.memory.buffer, io, 2);
    return { tcb: u[0], timeWait: u[1] };
  }
}


// ---------------------------------------------------------------------------
// Records

export type Side = "client" | "server";
export const CLIENT_IP = "198.51.100.1";
export const SERVER_IP = "198.51.100.2";

export interface StateRecord { t: number; event: "state"; side: Side; from: TcpStateName; to: TcpStateName }
export interface SegmentRecord {
  t: number; event: "segment"; src: Side; dst: Side; flags: string; seq: number; ack: number; len: number; dropped: boolean;
}
export type TraceRecord = StateRecord | SegmentRecord;
/**
 * An `ss -tan`-style listing of both hosts, taken at a moment netstat can catch `state` on `side`
 * (SYN-RECEIVED, FIN-WAIT-2, CLOSE-WAIT, TIME-WAIT); `before` = index of the next record.
 */
export interface Listing { t: number; side: Side; state: TcpStateName; before: number; rows: Record<Side, SocketInfo[]> }
/** States the seed says netstat can catch; a listing is taken CATCH_DELAY ms after one is entered if it still holds. */
export const CATCHABLE: readonly TcpStateName[] = ["SYN-RECEIVED", "FIN-WAIT-2", "CLOSE-WAIT", "TIME-WAIT"];
export const CATCH_DELAY = 1.5;

/** Text-only remarks (application actions, errors); `before` = index of the next record. */
export interface Note { t: number; side: Side | ""; text: string; before: number }

export interface ScenarioRun {
  ok: boolean;
  /** Why the run is not ok (empty when ok). */
  problems: string[];
  records: TraceRecord[];
  notes: Note[];
  /** `ss -tan` listings at the moments netstat can catch a state. */
  listings: Listing[];
  /** Each side's TCP port (from its first segment). */
  ports: Record<Side, number | undefined>;
  /** Text-only remarks about a segment record (by index): why it was dropped, "retransmission". */
  remarks: Map<number, string[]>;
  /** Application-level errors each side saw (Error / Reset events), as names. */
  errors: Record<Side, string[]>;
  /** Bytes each side's application read. */
  received: Record<Side, Uint8Array>;
  /** Every counter of each stack at the end. */
  stats: Record<Side, Record<string, number>>;
}

/** What a drop rule sees of a TCP segment. */
export interface SegView { side: Side; flags: string; seq: number; ack: number; len: number }

const other = (s: Side): Side => (s === "client" ? "server" : "client");

function hasFlags(seg: SegView, ...names: string[]): boolean {
  const f = seg.flags.split(",");
  return names.every((n) => f.includes(n));
}

/** Pure ACK: only the ACK flag, no data. */
export const isPureAck = (s: SegView): boolean => s.flags === "ACK" && s.len === 0;

// ---------------------------------------------------------------------------
// The world a scenario runs in

const START = 100; // ms of virtual time used to resolve ARP before the scenario's t = 0

class World {
  readonly sim: Sim;
  readonly link: Link;
  readonly stack: Record<Side, Stack>;
  readonly tcp: Record<Side, TcpApi>;
  readonly records: TraceRecord[] = [];
  readonly notes: Note[] = [];
  readonly listings: Listing[] = [];
  readonly ports: Record<Side, number | undefined> = { client: undefined, server: undefined };
  /** Every TCP handle each side's state events named (for the listings). */
  private readonly handles: Record<Side, Set<number>> = { client: new Set(), server: new Set() };
  readonly remarks = new Map<number, string[]>();
  private pendingRemarks: string[] = [];
  readonly errors: Record<Side, string[]> = { client: [], server: [] };
  readonly received: Record<Side, Uint8Array[]> = { client: [], server: [] };
  /** The connection handle each side's application holds (-1 until it has one). */
  readonly conn: Record<Side, number> = { client: -1, server: -1 };
  /** ISN (SYN's seq) and FIN seq seen from each side, for drop predicates and tests. */
  readonly iss: Record<Side, number | undefined> = { client: undefined, server: undefined };
  readonly fin: Record<Side, number | undefined> = { client: undefined, server: undefined };
  /** Highest sequence number sent so far (for "is this a retransmission?"). */
  private readonly sndMax: Record<Side, number | undefined> = { client: undefined, server: undefined };
  private readonly lastSyn: Record<Side, string> = { client: "", server: "" };
  /** Bytes the application still wants to write on each side (written as space frees). */
  readonly pending: Record<Side, Uint8Array[]> = { client: [], server: [] };
  readonly pumping: Record<Side, boolean> = { client: false, server: false };
  private readonly dropRules: { side: Side; match: (s: SegView, w: World) => boolean; nth: number[] | "all"; seen: number; why: string; until?: () => boolean }[] = [];
  private readonly handlers: Record<Side, ((sock: number, kind: number, arg: number) => void)[]> = { client: [], server: [] };
  private started = false;

  constructor(seed: number, config: Record<string, number>) {
    this.sim = new Sim({ seed });
    this.link = this.sim.link({ delayMs: 1, dropIf: (frame, from) => this.dropFrame(frame, from) });
    const mk = (side: Side, ip: string, mac: string): Stack => {
      const s = this.sim.addHost({ name: side, ip, mac, prefix: 24, link: this.link, config });
      s.onEvents((sock, kind, arg) => this.onEvent(side, sock, kind, arg));
      return s;
    };
    this.stack = { client: mk("client", CLIENT_IP, "02:00:00:00:00:01"), server: mk("server", SERVER_IP, "02:00:00:00:00:02") };
    this.tcp = { client: new TcpApi(this.stack.client), server: new TcpApi(this.stack.server) };
    this.sim.tap((r) => this.onFrame(r));
    // resolve ARP both ways first, so the scenario shows TCP only
    this.sim.at(0, () => { this.stack.client.ping(SERVER_IP, 1); this.stack.server.ping(CLIENT_IP, 1); });
    this.sim.run(START);
    this.started = true;
  }

  now(): number { return this.sim.now() - START; }
  note(side: Side | "", text: string): void { this.notes.push({ t: this.now(), side, text, before: this.records.length }); }
  /** Run fn at scenario time t (ms). */
  at(t: number, fn: () => void): void { this.sim.at(START + t, fn); }

  /**
   * Drop the nth (1-based) segments from `side` that match, or all of them ("all") while
   * `until` (if given) is false.
   */
  drop(side: Side, why: string, match: (s: SegView, w: World) => boolean, nth: number[] | "all", until?: () => boolean): void {
    this.dropRules.push({ side, match, nth, seen: 0, why, until });
  }

  /** Application reactions: run after the core call that raised the event returns (same instant). */
  on(side: Side, fn: (sock: number, kind: number, arg: number) => void): void { this.handlers[side].push(fn); }

  private onEvent(side: Side, sock: number, kind: number, arg: number): void {
    if (kind === EventKind.State) {
      const from = TCP_STATE_NAMES[arg >> 8], to = TCP_STATE_NAMES[arg & 255];
      if (this.started) {
        this.records.push({ t: this.now(), event: "state", side, from, to });
        this.handles[side].add(sock);
        if (CATCHABLE.includes(to)) this.sim.after(CATCH_DELAY, () => this.catchState(side, sock, to));
      }
    } else if ((kind === EventKind.Error || kind === EventKind.Reset) && sock === this.conn[side]) {
      const name = ERR_NAMES[arg] ?? `error ${arg}`;
      this.errors[side].push(name);
      this.note(side, `${kind === EventKind.Reset ? "connection reset" : "connection failed"}: ${name}`);
    }
    for (const h of this.handlers[side]) this.sim.after(0, () => h(sock, kind, arg));
  }

  /** Both hosts' sockets, like `ss -tan` (CLOSED handles left out). */
  sockets(side: Side): SocketInfo[] {
    const st = this.stack[side], io = st.exports.ioBuffer(), ip = side === "client" ? CLIENT_IP : SERVER_IP;
    const rows: SocketInfo[] = [];
    for (const h of this.handles[side]) {
      const i = coreSocketInfo(st, io, h, ip);
      if (i && i.state !== "CLOSED") rows.push(i);
    }
    return rows.concat(coreTimeWaitRows(st, io, this.tcp[side].ioLen));
  }

  /** Take a listing if `sock` on `side` is still in `state` and the listing differs from the last one. */
  private catchState(side: Side, sock: number, state: TcpStateName): void {
    const rows = { client: this.sockets("client"), server: this.sockets("server") };
    if (!rows[side].some((r) => r.state === state && (r.handle === sock || r.handle === 0))) return;
    const key = (x: Record<Side, SocketInfo[]>) => JSON.stringify([x.client.map((r) => r.state), x.server.map((r) => r.state)]);
    const last = this.listings.at(-1);
    if (last && key(last.rows) === key(rows)) return;
    this.listings.push({ t: this.now(), side, state, before: this.records.length, rows });
  }

  private segView(frame: Uint8Array, side: Side): SegView | null {
    const d = decodeFrame(frame);
    if (d.proto !== "TCP" || d.bad) return null;
    return { side, flags: d.flags!, seq: d.seq!, ack: d.ack!, len: d.len };
  }

  private dropFrame(frame: Uint8Array, from: number): boolean {
    if (!this.started) return false;
    const side: Side = from === 0 ? "client" : "server";
    const seg = this.segView(frame, side);
    if (!seg) return false;
    for (const r of this.dropRules) {
      if (r.side !== side || !r.match(seg, this)) continue;
      if (r.until?.()) continue;
      r.seen++;
      if (r.nth === "all" || r.nth.includes(r.seen)) {
        this.pendingRemarks.push(r.why);
        return true;
      }
    }
    return false;
  }

  private onFrame(r: TapRecord): void {
    if (!this.started || r.duplicate) return;
    const src: Side = r.fromName === "client" ? "client" : "server";
    const seg = this.segView(r.frame, src);
    if (!seg) {
      this.pendingRemarks = [];
      const d = decodeFrame(r.frame);
      this.note(src, `${d.info}${r.dropped ? " (dropped)" : ""}`);
      return;
    }
    if (this.ports[src] === undefined) this.ports[src] = decodeFrame(r.frame).srcPort;
    if (hasFlags(seg, "SYN")) this.iss[src] = seg.seq;
    if (hasFlags(seg, "FIN")) this.fin[src] = (seg.seq + seg.len) >>> 0;
    const end = (seg.seq + seg.len + (hasFlags(seg, "SYN") ? 1 : 0) + (hasFlags(seg, "FIN") ? 1 : 0)) >>> 0;
    const max = this.sndMax[src];
    // (a SYN+ACK answering a simultaneous open re-sends the SYN's number: not a retransmission)
    const synAck = seg.flags === "SYN,ACK" && this.lastSyn[src] === "SYN";
    if (hasFlags(seg, "SYN")) this.lastSyn[src] = seg.flags;
    if (end !== seg.seq && !synAck) {
      if (max !== undefined && ((end - max) | 0) <= 0) this.pendingRemarks.unshift("retransmission");
      else this.sndMax[src] = end;
    }
    if (this.pendingRemarks.length) { this.remarks.set(this.records.length, this.pendingRemarks); this.pendingRemarks = []; }
    this.records.push({
      t: this.now(), event: "segment", src, dst: other(src), flags: seg.flags, seq: seg.seq, ack: seg.ack, len: seg.len, dropped: r.dropped,
    });
  }

  /** Read everything available on the side's connection; returns what read() ended with (0 = EOF). */
  drain(side: Side): number {
    const h = this.conn[side];
    for (;;) {
      const r = this.tcp[side].read(h);
      if (!(r instanceof Uint8Array)) return r;
      this.received[side].push(r);
      this.note(side, `application reads ${r.length} bytes`);
    }
  }

  /** The side's connection is CLOSED (it had one and it ended). */
  closed(side: Side): boolean {
    const h = this.conn[side];
    return h > 0 && this.tcp[side].state(h) === TcpState.CLOSED;
  }

  run(done: () => boolean, limitMs: number): boolean {
    return this.sim.runUntil(done, START + limitMs);
  }

  finish(check: (w: World) => string[]): ScenarioRun {
    const problems = check(this);
    for (const side of ["client", "server"] as const) {
      if (this.conn[side] > 0) this.tcp[side].close(this.conn[side]); // release the handle (no state change when CLOSED)
    }
    const received = {
      client: Buffer.concat(this.received.client), server: Buffer.concat(this.received.server),
    };
    return {
      ok: problems.length === 0, problems, records: this.records, notes: this.notes, listings: this.listings, ports: this.ports, remarks: this.remarks, errors: this.errors, received,
      stats: { client: this.stack.client.stats(), server: this.stack.server.stats() },
    };
  }

  /** State names a side went through, in order (from the state records). */
  path(side: Side): string[] {
    const recs = this.records.filter((r): r is StateRecord => r.event === "state" && r.side === side);
    return recs.length ? [recs[0].from, ...recs.map((r) => r.to)] : [];
  }
}

// ---------------------------------------------------------------------------
// Building blocks shared by the scenarios

const SERVER_PORT = 80;
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Server: listen on port 80, accept one connection, then call onConn(handle). */
/** The server answers the first data it reads with `reply`, once. */
function replyOnce(w: World, reply: string): void {
  let replied = false;
  w.on("server", (sock, kind) => {
    if (sock === w.conn.server && kind === EventKind.Readable && !replied && w.received.server.length) {
      replied = true;
      send(w, "server", text(reply));
    }
  });
}

function serve(w: World, onConn: (h: number) => void = () => {}): void {
  const t = w.tcp.server;
  const l = t.open();
  t.bind(l, SERVER_PORT);
  t.listen(l, 4);
  w.on("server", (sock, kind) => {
    if (sock !== l || kind !== EventKind.Accepted || w.conn.server > 0) return;
    const h = t.accept(l);
    if (h > 0) { w.conn.server = h; w.note("server", "application accepts the connection"); onConn(h); }
  });
}

/** Client: connect to the server at time t; onConnected runs when the handshake completes. */
function dial(w: World, t: number, port = SERVER_PORT, onConnected: () => void = () => {}): void {
  w.at(t, () => {
    const c = w.tcp.client;
    const h = c.open();
    w.conn.client = h;
    w.note("client", `application connects to ${SERVER_IP}:${port}`);
    c.connect(h, SERVER_IP, port);
  });
  w.on("client", (sock, kind) => { if (sock === w.conn.client && kind === EventKind.Connected) onConnected(); });
}

/** On Readable: read everything; at end of stream call onEof once. */
function reader(w: World, side: Side, onEof: () => void = () => {}): void {
  let eof = false;
  w.on(side, (sock, kind) => {
    if (sock !== w.conn[side] || kind !== EventKind.Readable || eof) return;
    if (w.drain(side) === 0) { eof = true; w.note(side, "application sees end of stream"); onEof(); }
  });
}

function shutdown(w: World, side: Side): void {
  w.note(side, "application shuts down its sending side (FIN)");
  w.tcp[side].shutdown(w.conn[side]);
}

/** The application writes `data`; what does not fit now is written on Writable events. */
function send(w: World, side: Side, data: Uint8Array): void {
  w.note(side, `application writes ${data.length} bytes`);
  if (!w.pumping[side]) {
    w.pumping[side] = true;
    w.on(side, (sock, kind) => { if (sock === w.conn[side] && kind === EventKind.Writable) pump(w, side); });
  }
  w.pending[side].push(data);
  pump(w, side);
}

function pump(w: World, side: Side): void {
  const q = w.pending[side];
  while (q.length) {
    const n = w.tcp[side].write(w.conn[side], q[0]);
    if (n <= 0) break;
    q[0] = q[0].subarray(n);
    if (q[0].length) { w.note(side, `the send buffer is full: ${q[0].length} bytes wait for space`); break; }
    q.shift();
  }
}

/** Check helpers: exact state paths and expected errors. */
function expectPath(w: World, side: Side, want: string[]): string[] {
  const got = w.path(side);
  return got.join(" ") === want.join(" ") ? [] : [`${side} went ${got.join(" -> ")}; expected ${want.join(" -> ")}`];
}

const ACTIVE_CLOSE = ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"];
const PASSIVE_CLOSE = ["CLOSED", "LISTEN", "SYN-RECEIVED", "ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"];

/** Connect; at t = 100 the client shuts down; the server shuts down when it sees end of stream. */
function clientClosesFirst(w: World): void {
  serve(w);
  reader(w, "server", () => shutdown(w, "server"));
  reader(w, "client");
  dial(w, 0);
  w.at(100, () => shutdown(w, "client"));
}

/** Drop the first bare ACK from `acker` that acknowledges the other side's FIN. */
function dropAckOfFin(w: World, acker: Side, why: string): void {
  const finSide = other(acker);
  w.drop(acker, why, (s, x) => isPureAck(s) && x.fin[finSide] !== undefined && s.ack === ((x.fin[finSide]! + 1) >>> 0), [1]);
}

/** Run until both connections are CLOSED (or the limit). */
function runToClosed(w: World, limitMs = 300_000): void {
  w.run(() => w.closed("client") && w.closed("server"), limitMs);
}

// ---------------------------------------------------------------------------
// The scenarios

type Script = (w: World) => string[];

interface ScenarioDef {
  description: string;
  config?: Record<string, number>;
  script: Script;
}

const defs: Record<string, ScenarioDef> = {
  "walk-through": {
    description: "npm start's story: handshake, a request and a reply, the client closes, the server sends its last bytes in CLOSE-WAIT, then closes; TIME-WAIT 2*MSL",
    script: (w) => {
      serve(w);
      reader(w, "server", () => {
        // CLOSE-WAIT: the client is done, the server is not: it sends what it still has, then its FIN
        w.sim.after(20, () => send(w, "server", text("bye")));
        w.sim.after(40, () => shutdown(w, "server"));
      });
      replyOnce(w, "hello, client");
      dial(w, 0, SERVER_PORT, () => send(w, "client", text("hello, server")));
      reader(w, "client");
      let closing = false;
      w.on("client", (sock, kind) => {
        if (sock === w.conn.client && kind === EventKind.Readable && !closing && w.received.client.length) {
          closing = true;
          w.sim.after(10, () => shutdown(w, "client"));
        }
      });
      runToClosed(w);
      const got = Buffer.concat(w.received.client).toString();
      return [
        ...expectPath(w, "client", ACTIVE_CLOSE), ...expectPath(w, "server", PASSIVE_CLOSE),
        ...(got === "hello, clientbye" ? [] : [`client read ${JSON.stringify(got)}, expected "hello, clientbye"`]),
      ];
    },
  },

  "handshake-close": {
    description: "three-way handshake, one request and reply, four-way close (FIN takes one seq), TIME-WAIT 2*MSL",
    script: (w) => {
      serve(w);
      reader(w, "server", () => shutdown(w, "server"));
      replyOnce(w, "hello, client");
      dial(w, 0, SERVER_PORT, () => send(w, "client", text("hello, server")));
      reader(w, "client");
      w.on("client", (sock, kind) => {
        if (sock === w.conn.client && kind === EventKind.Readable && w.received.client.length && w.tcp.client.state(sock) === TcpState.ESTABLISHED) shutdown(w, "client");
      });
      runToClosed(w);
      return [...expectPath(w, "client", ACTIVE_CLOSE), ...expectPath(w, "server", PASSIVE_CLOSE)];
    },
  },

  "half-close": {
    description: "client shuts down its side; the server keeps sending in CLOSE-WAIT, the client receives in FIN-WAIT-2",
    script: (w) => {
      serve(w);
      reader(w, "server", () => {
        // CLOSE-WAIT: the server still sends, then closes its side
        w.sim.after(50, () => send(w, "server", new Uint8Array(1000).fill(0x61)));
        w.sim.after(100, () => send(w, "server", new Uint8Array(1000).fill(0x62)));
        w.sim.after(150, () => shutdown(w, "server"));
      });
      dial(w, 0, SERVER_PORT, () => { send(w, "client", text("request")); shutdown(w, "client"); });
      reader(w, "client");
      runToClosed(w);
      const got = w.received.client.reduce((n, b) => n + b.length, 0);
      return [
        ...expectPath(w, "client", ACTIVE_CLOSE), ...expectPath(w, "server", PASSIVE_CLOSE),
        ...(got === 2000 ? [] : [`client received ${got} bytes in FIN-WAIT-2, expected 2000`]),
      ];
    },
  },

  "simultaneous-open": {
    description: "both sides connect to each other at once: SYN-SENT -> SYN-RECEIVED -> ESTABLISHED on both",
    script: (w) => {
      const [cp, sp] = [5001, 5002];
      for (const [side, lport, rip, rport] of [["client", cp, SERVER_IP, sp], ["server", sp, CLIENT_IP, cp]] as const) {
        w.at(0, () => {
          const t = w.tcp[side];
          const h = t.open();
          t.bind(h, lport);
          w.conn[side] = h;
          w.note(side, `application connects from port ${lport} to ${rip}:${rport}`);
          t.connect(h, rip, rport);
        });
      }
      reader(w, "server", () => shutdown(w, "server"));
      reader(w, "client");
      w.at(100, () => shutdown(w, "client"));
      runToClosed(w);
      const open = ["CLOSED", "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"];
      return [
        ...expectPath(w, "client", [...open, "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"]),
        ...expectPath(w, "server", [...open, "CLOSE-WAIT", "LAST-ACK", "CLOSED"]),
      ];
    },
  },

  "simultaneous-close": {
    description: "both sides send FIN at once: FIN-WAIT-1 -> CLOSING -> TIME-WAIT -> CLOSED on both",
    script: (w) => {
      serve(w);
      reader(w, "server");
      reader(w, "client");
      dial(w, 0);
      w.at(100, () => { shutdown(w, "client"); shutdown(w, "server"); });
      runToClosed(w);
      const close = ["ESTABLISHED", "FIN-WAIT-1", "CLOSING", "TIME-WAIT", "CLOSED"];
      return [
        ...expectPath(w, "client", ["CLOSED", "SYN-SENT", ...close]),
        ...expectPath(w, "server", ["CLOSED", "LISTEN", "SYN-RECEIVED", ...close]),
      ];
    },
  },

  "fin-ack-combined": {
    description: "the server's bare ACK of the client's FIN is lost; its FIN+ACK takes the client FIN-WAIT-1 -> TIME-WAIT",
    script: (w) => {
      clientClosesFirst(w);
      dropAckOfFin(w, "server", "the bare ACK of the client's FIN");
      runToClosed(w);
      return [
        ...expectPath(w, "client", ["CLOSED", "SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "TIME-WAIT", "CLOSED"]),
        ...expectPath(w, "server", PASSIVE_CLOSE),
      ];
    },
  },

  "lost-handshake-ack": {
    description: "only the client's first ACK (the handshake's third segment) is lost: the server waits in SYN-RECEIVED, retransmits SYN+ACK, the client re-ACKs",
    script: (w) => {
      serve(w);
      reader(w, "server", () => shutdown(w, "server"));
      reader(w, "client");
      dial(w, 0);
      w.drop("client", "the handshake's third segment (the client's ACK)", isPureAck, [1]);
      // the client stays quiet until the server has retransmitted (any segment of it would carry the ACK)
      w.at(1500, () => shutdown(w, "client"));
      runToClosed(w);
      const synAcks = w.records.filter((r) => r.event === "segment" && r.src === "server" && r.flags === "SYN,ACK").length;
      return [
        ...expectPath(w, "client", ACTIVE_CLOSE), ...expectPath(w, "server", PASSIVE_CLOSE),
        ...(synAcks === 2 ? [] : [`server sent SYN,ACK ${synAcks} times, expected 2 (one retransmission)`]),
      ];
    },
  },

  "syn-received-timeout": {
    description: "every client segment after its SYN is lost: SYN-RECEIVED retransmits SYN+ACK with backoff, then gives up; the client's next segment gets a RST",
    script: (w) => {
      serve(w);
      dial(w, 0);
      let gaveUp = false;
      w.on("server", (_sock, kind, arg) => {
        if (kind === EventKind.State && arg === ((TcpState.SYN_RECEIVED << 8) | TcpState.CLOSED) && !gaveUp) {
          gaveUp = true;
          w.note("server", "the half-open connection is dropped; the link is healed");
          // the client still believes it is connected: its next segment meets the listener
          w.sim.after(1000, () => send(w, "client", text("anyone there?")));
        }
      });
      w.drop("client", "the client's ACK never arrives", (s) => !hasFlags(s, "SYN"), "all", () => gaveUp);
      // the server side never had a connection to accept: track the child by its events
      w.on("server", (sock, kind, arg) => { if (kind === EventKind.State && arg === ((TcpState.LISTEN << 8) | TcpState.SYN_RECEIVED)) w.conn.server = sock; });
      w.run(() => gaveUp && w.closed("client"), 300_000);
      return [
        ...expectPath(w, "client", ["CLOSED", "SYN-SENT", "ESTABLISHED", "CLOSED"]),
        ...expectPath(w, "server", ["CLOSED", "LISTEN", "SYN-RECEIVED", "CLOSED"]),
        ...(w.errors.client.join() === "ECONNRESET" ? [] : [`client errors ${w.errors.client.join() || "none"}, expected ECONNRESET`]),
      ];
    },
  },

  "lost-last-ack": {
    description: "the client's last ACK is lost: LAST-ACK retransmits its FIN, TIME-WAIT re-ACKs it and restarts 2*MSL",
    script: (w) => {
      clientClosesFirst(w);
      dropAckOfFin(w, "client", "the last ACK (of the server's FIN)");
      runToClosed(w);
      return [...expectPath(w, "client", ACTIVE_CLOSE), ...expectPath(w, "server", PASSIVE_CLOSE)];
    },
  },

  refused: {
    description: "SYN to a port nobody listens on: RST+ACK, the client sees ECONNREFUSED",
    script: (w) => {
      dial(w, 0, 81);
      w.run(() => w.closed("client"), 10_000);
      return [
        ...expectPath(w, "client", ["CLOSED", "SYN-SENT", "CLOSED"]),
        ...(w.errors.client.join() === "ECONNREFUSED" ? [] : [`client errors ${w.errors.client.join() || "none"}, expected ECONNREFUSED`]),
      ];
    },
  },

  "loss-recovery": {
    description: "32 KiB with scripted losses: the 4th data segment (fast retransmit on 3 dup ACKs), the last one (RTO)",
    script: (w) => {
      const data = new Uint8Array(LOSS_RECOVERY_BYTES);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 8)) & 255;
      serve(w);
      reader(w, "server", () => shutdown(w, "server"));
      reader(w, "client");
      dial(w, 0, SERVER_PORT, () => {
        w.tcp.client.setOption(w.conn.client, TcpOpt.NoDelay, 1);
        send(w, "client", data);
      });
      w.at(3000, () => shutdown(w, "client"));
      const isData = (s: SegView) => s.len > 0;
      w.drop("client", "4th data segment", isData, [4]);
      w.drop("client", "the last data segment (a tail loss: no duplicate ACKs follow)",
        (s, x) => isData(s) && x.iss.client !== undefined && ((s.seq + s.len) >>> 0) === ((x.iss.client + 1 + data.length) >>> 0), [1]);
      runToClosed(w);
      const got = Buffer.concat(w.received.server);
      return [
        ...expectPath(w, "client", ACTIVE_CLOSE), ...expectPath(w, "server", PASSIVE_CLOSE),
        ...(Buffer.compare(got, data) === 0 ? [] : [`server received ${got.length} bytes, not the ${data.length} sent`]),
      ];
    },
  },
};

export const LOSS_RECOVERY_BYTES = 32768;

/**
 * Run a scenario by name and return everything it recorded. `observe` gets the simulation once
 * ARP is resolved, before the scenario starts (e.g. to attach a PcapWriter).
 */
export function runScenario(name: string, seed = 1, observe?: (sim: Sim) => void): ScenarioRun {
  const def = defs[name];
  if (!def) throw new Error(`unknown scenario ${name}`);
  const w = new World(seed, def.config ?? {});
  observe?.(w.sim);
  return w.finish(def.script);
}

export const TCP_SCENARIOS = Object.keys(defs);

// ---------------------------------------------------------------------------
// Printing

function fmtT(t: number): string { return `${t.toFixed(0).padStart(7)} ms`; }

/** One text line for a record. */
export function formatRecord(r: TraceRecord): string {
  if (r.event === "state") return `${fmtT(r.t)}  ${r.side.padEnd(6)}  ${r.from} -> ${r.to}`;
  const flags = `[${r.flags}]`.padEnd(14);
  return `${fmtT(r.t)}  ${r.src} > ${r.dst}  ${flags} seq=${r.seq} ack=${r.ack} len=${r.len}${r.dropped ? "  DROPPED" : ""}`;
}

/** The JSON line for a record, with keys in the documented order. */
export function jsonRecord(r: TraceRecord): string {
  if (r.event === "state") return JSON.stringify({ t: r.t, event: r.event, side: r.side, from: r.from, to: r.to });
  return JSON.stringify({ t: r.t, event: r.event, src: r.src, dst: r.dst, flags: r.flags, seq: r.seq, ack: r.ack, len: r.len, dropped: r.dropped });
}

function printRun(name: string, run: ScenarioRun, ctx: ScenarioContext): void {
  if (ctx.json) {
    for (const r of run.records) ctx.out(jsonRecord(r));
    return;
  }
  ctx.out(`scenario ${name}: client ${CLIENT_IP}, server ${SERVER_IP}, link delay 1 ms each way`);
  ctx.out("");
  let n = 0;
  const notesBefore = (i: number) => {
    for (; n < run.notes.length && run.notes[n].before <= i; n++) {
      const x = run.notes[n];
      ctx.out(`${fmtT(x.t)}  ${x.side ? `${x.side}: ` : ""}${x.text}`);
    }
  };
  run.records.forEach((r, i) => {
    notesBefore(i);
    const rem = run.remarks.get(i);
    ctx.out(formatRecord(r) + (rem ? ` (${rem.join("; ")})` : ""));
  });
  notesBefore(Infinity);
  ctx.out("");
  ctx.out(run.ok ? "result: ok" : `result: FAILED\n${run.problems.map((p) => `  ${p}`).join("\n")}`);
}

export const scenarios: Record<string, Scenario> = {};
for (const [name, def] of Object.entries(defs)) {
  scenarios[name] = {
    description: def.description,
    run: async (ctx) => {
      const r = runScenario(name, ctx.seed);
      ctx.onRun?.(name, r);
      if (ctx.tell && !ctx.json) await ctx.tell(name, r);
      else printRun(name, r, ctx);
      return r.ok ? 0 : 1;
    },
  };
}
