// TCP benchmarks of the release module (build/stack.wasm), two instances in one Node
// process joined by an in-process emulated link (a FIFO of frames copied between the two
// linear memories by JS: no loss, no delay, no rate limit), beside node:net over the
// kernel's loopback measured in the same run:
//   - goodput, 64 KiB send/receive buffers, Nagle off (reference: node:net over loopback)
//   - segments received per second, 64-byte segments, timing only the receiver's input()
//   - connections opened and closed per second (reference: node:net over loopback)
//   - memory per connection: the TCB, a TIME-WAIT entry, and the pool bytes one more
//     socket costs with 16 KiB buffers (reference: lwIP's tcp_pcb, 160 bytes on 32-bit)
// Ours and the reference alternate round by round; each figure is the best round.
// Fifo, Host, tick, IP_A/IP_B, pair and connect are exported for the other in-process benchmarks
// (bench/udp.mjs, bench/scale.mjs).
import { randomFillSync } from "node:crypto";
import { readFileSync } from "node:fs";
import net from "node:net";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ROOT } from "./lib.mjs";
import { Cfg, Err } from "../abi/abi.mjs";

/** Config key numbers by name (the module exports none: abi/abi.mjs is the one source). */
const CFG_KEY = Object.fromEntries(Cfg.map((c) => [c.name, c.key]));

const ROUNDS = 3;
const ROUND_MS = Number(process.env.TCP_BENCH_MS ?? 700);
const LWIP_PCB = 160; // bytes of lwIP's tcp_pcb on 32-bit targets (see /work/shared/MACHINE-NOTES.md)
const ESTABLISHED = 4, CLOSED = 0;
const EAGAIN = -Err.find(([n]) => n === "EAGAIN")[1]; // from the ABI declaration

// ---------------------------------------------------------------------------
// Two instances and the link between them

let wasm;
function module() {
  wasm ??= new WebAssembly.Module(readFileSync(join(ROOT, "build", "stack.wasm")));
  return wasm;
}

const t0 = performance.now();
// The time the stacks see: read once per batch of work (tick()), not once per frame.
let clock = 0;
export const tick = () => { clock = Math.floor(performance.now() - t0) >>> 0; return clock; };
const nowMs = () => clock;

const SLOT = 2048;

/** One direction of the link: a ring of preallocated frame slots. */
export class Fifo {
  constructor(slots = 8192) {
    // written once now: a fresh page's first touch (a page fault) must not be timed as a frame's cost
    this.buf = new Uint8Array(slots * SLOT).fill(1);
    this.len = new Uint32Array(slots);
    this.slots = slots;
    this.head = 0;
    this.tail = 0;
  }
  get size() { return this.tail - this.head; }
  push(u8, ptr, n) {
    if (this.tail - this.head >= this.slots) throw new Error("link FIFO overflow");
    const i = this.tail++ % this.slots;
    this.buf.set(u8.subarray(ptr, ptr + n), i * SLOT);
    this.len[i] = n;
  }
  /** Deliver up to `max` frames to `host`; returns how many. */
  deliver(host, max = Infinity) {
    let k = 0;
    while (this.head < this.tail && k < max) {
      const i = this.head++ % this.slots;
      host.input(this.buf, i * SLOT, this.len[i]);
      k++;
    }
    return k;
  }
}

export class Host {
  constructor(ip, mac, cfg, out) {
    this.out = out;
    const imports = {
      env: {
        tx: (ptr, len) => this.out.push(this.mem(), ptr, len),
        entropy: (ptr, len) => randomFillSync(new Uint8Array(this.x.memory.buffer, ptr, len)),
        event: () => {},
        abort: () => { throw new Error("wasm abort"); },
      },
    };
    this.x = new WebAssembly.Instance(module(), imports).exports;
    const key = (name) => CFG_KEY[name];
    const set = (name, v) => { if (this.x.configure(key(name), v >>> 0) !== 0) throw new Error(`configure ${name}`); };
    set("MacHi", 0x0200); set("MacLo", mac); set("Ipv4Addr", ip); set("PrefixLen", 24);
    for (const [k, v] of Object.entries(cfg)) set(k, v);
    if (this.x.init() !== 0) throw new Error("init failed");
    this.rx = this.x.rxBuffer();
    this.io = this.x.ioBuffer();
    this.deadline = 0;
  }
  /** A view of linear memory, renewed only if memory grew (the old buffer is then detached). */
  mem() {
    if (this.u8 === undefined || this.u8.byteLength === 0) this.u8 = new Uint8Array(this.x.memory.buffer);
    return this.u8;
  }
  input(buf, off, len) {
    this.mem().set(buf.subarray(off, off + len), this.rx);
    this.x.input(len, clock);
  }
  poll() {
    const now = tick();
    const r = this.x.poll(now);
    this.deadline = r < 0 ? Infinity : now + r;
  }
  pollIfDue() { if (clock >= this.deadline) this.poll(); }
}

export const IP_A = 0xc6336401, IP_B = 0xc6336402; // 198.51.100.1, .2

/** Two hosts, ARP resolved, a listener on B:80; `slots` frames fit in each direction of the link. */
export function pair(cfg, slots = 8192) {
  const ab = new Fifo(slots), ba = new Fifo(slots);
  const a = new Host(IP_A, 1, cfg, ab);
  const b = new Host(IP_B, 2, cfg, ba);
  const pump = () => { let n; do { n = ab.deliver(b) + ba.deliver(a); } while (n > 0); };
  a.x.ping(IP_B, 1, 1, 0, nowMs());
  pump();
  a.poll(); b.poll();
  const l = b.x.tcpOpen();
  b.x.tcpBind(l, 80);
  b.x.tcpListen(l, 128);
  return { a, b, ab, ba, pump, l };
}

/** Connect A to B:80; returns [client handle, server handle]. */
export function connect(p, nodelay) {
  const { a, b, pump, l } = p;
  a.poll();
  const c = a.x.tcpOpen();
  if (nodelay) a.x.tcpSetOption(c, 1, 1);
  if (a.x.tcpConnect(c, IP_B, 80) !== 0) throw new Error("connect failed");
  let s = -1;
  for (let i = 0; i < 1000 && (s < 0 || a.x.tcpState(c) !== ESTABLISHED); i++) {
    pump();
    if (s < 0) { const r = b.x.tcpAccept(l); if (r > 0) s = r; }
  }
  if (s < 0) throw new Error("no connection");
  return [c, s];
}

// ---------------------------------------------------------------------------
// Goodput

function oursGoodput(ms) {
  const p = pair({ SndBuf: 65536, RcvBuf: 65536, IoBuf: 65536, MaxSockets: 4 });
  const { a, b, ab, ba } = p;
  const [c, s] = connect(p, true);
  const readAll = () => {
    let got = 0;
    for (;;) {
      const r = b.x.tcpRead(s, b.io, 65536);
      if (r <= 0) return got;
      got += r;
    }
  };
  let bytes = 0;
  const end = performance.now() + ms;
  let t = performance.now(), warm = false;
  while (performance.now() < end) {
    for (let k = 0; k < 64; k++) {
      tick();
      while (a.x.tcpWrite(c, a.io, 65536) > 0);
      // deliver what is queued now in each direction, reading at B in between
      ab.deliver(b, 16);
      bytes += readAll();
      ba.deliver(a);
      a.pollIfDue(); b.pollIfDue();
    }
    if (!warm && performance.now() - t > ms / 5) { warm = true; t = performance.now(); bytes = 0; } // slow start done
  }
  const secs = (performance.now() - t) / 1000;
  return (bytes * 8) / secs / 1e9;
}

async function nodeGoodput(ms) {
  const chunk = Buffer.alloc(65536, 7);
  let bytes = 0;
  const server = net.createServer((sock) => { sock.on("data", (d) => { bytes += d.length; }); sock.on("error", () => {}); });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const client = net.connect(server.address().port, "127.0.0.1");
  client.setNoDelay(true);
  client.on("error", () => {});
  await new Promise((r) => client.once("connect", r));
  let t = performance.now();
  const warmUntil = t + ms / 5, end = t + ms;
  let warm = false;
  await new Promise((resolve) => {
    const write = () => {
      for (;;) {
        const now = performance.now();
        if (!warm && now > warmUntil) { warm = true; t = now; bytes = 0; }
        if (now >= end) return resolve();
        if (!client.write(chunk)) return client.once("drain", write);
      }
    };
    write();
  });
  const secs = (performance.now() - t) / 1000;
  const got = bytes;
  client.destroy();
  await new Promise((r) => server.close(r));
  return (got * 8) / secs / 1e9;
}

// ---------------------------------------------------------------------------
// Small segments, receive path

function oursSmallSegments(ms) {
  const p = pair({ SndBuf: 65536, RcvBuf: 65536, IoBuf: 65536, MaxSockets: 4 });
  const { a, b, ab, ba } = p;
  const [c, s] = connect(p, true);
  let segs = 0, spent = 0;
  while (spent < ms) {
    tick();
    // A sends as many 64-byte segments as its window and congestion window allow
    for (let k = 0; k < 2000 && ab.size < 2000; k++) if (a.x.tcpWrite(c, a.io, 64) <= 0) break;
    const n = ab.size;
    if (n === 0) { a.poll(); b.poll(); ba.deliver(a); continue; }
    const t = performance.now();
    ab.deliver(b);
    spent += performance.now() - t;
    segs += n;
    while (b.x.tcpRead(s, b.io, 65536) > 0);
    ba.deliver(a);
    a.pollIfDue(); b.pollIfDue();
  }
  return segs / (spent / 1000);
}

// ---------------------------------------------------------------------------
// Connections opened and closed

function oursConnRate(ms) {
  const p = pair({ MaxSockets: 8, SndBuf: 4096, RcvBuf: 4096, IoBuf: 4096, TimeWaitEntries: 64 });
  const { a, b, pump } = p;
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < ms) {
    tick();
    const [c, s] = connect(p, false);
    a.x.tcpClose(c); // FIN; A's TIME-WAIT moves to the compact table
    for (let i = 0; i < 100; i++) {
      pump();
      if (b.x.tcpRead(s, b.io, 4096) === 0) break; // end of stream
    }
    b.x.tcpClose(s); // LAST-ACK
    pump();
    if (b.x.tcpState(s) !== -3 && b.x.tcpState(s) !== CLOSED) throw new Error(`server socket not closed: ${b.x.tcpState(s)}`);
    n++;
  }
  return n / ((performance.now() - t) / 1000);
}

async function nodeConnRate(ms) {
  const server = net.createServer((sock) => { sock.on("end", () => sock.end()); sock.on("error", () => {}); sock.resume(); });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  let n = 0;
  const t = performance.now();
  while (performance.now() - t < ms) {
    await new Promise((resolve, reject) => {
      const c = net.connect(port, "127.0.0.1", () => c.end());
      c.on("error", reject);
      c.resume();
      c.on("close", resolve);
    });
    n++;
  }
  const rate = n / ((performance.now() - t) / 1000);
  await new Promise((r) => server.close(r));
  return rate;
}

// ---------------------------------------------------------------------------
// Memory per connection

function memory() {
  const sizesOf = (cfg) => {
    const h = new Host(IP_A, 1, cfg, new Fifo(4));
    h.x.tcpSizes(h.io);
    const u = new Uint32Array(h.x.memory.buffer, h.io, 2);
    return { tcb: u[0], tw: u[1], pool: h.x.poolBytes() };
  };
  const base = sizesOf({ MaxSockets: 8 });
  const more = sizesOf({ MaxSockets: 9 });
  return { tcb: base.tcb, tw: base.tw, perSocket: more.pool - base.pool };
}

// ---------------------------------------------------------------------------

export default async function tcpBench() {
  let ours = 0, ref = 0, smalls = 0, connOurs = 0, connRef = 0;
  for (let r = 0; r < ROUNDS; r++) {
    ours = Math.max(ours, oursGoodput(ROUND_MS));
    ref = Math.max(ref, await nodeGoodput(ROUND_MS));
    smalls = Math.max(smalls, oursSmallSegments(ROUND_MS / 2));
    connOurs = Math.max(connOurs, oursConnRate(ROUND_MS / 2));
    connRef = Math.max(connRef, await nodeConnRate(ROUND_MS / 2));
  }
  const m = memory();
  return [
    { name: "TCP goodput, 2 stacks in-process (64 KiB buffers, Nagle off) vs node:net loopback", ours, reference: ref, unit: "Gbit/s", ratio: ours / ref },
    { name: "TCP segments received per second (64-byte segments, receiver input only)", ours: smalls / 1e6, unit: "M seg/s" },
    { name: "TCP connections opened+closed per second vs node:net loopback", ours: connOurs / 1e3, reference: connRef / 1e3, unit: "k conn/s", ratio: connOurs / connRef },
    { name: "TCP connection block (TCB, no buffers) vs lwIP tcp_pcb (32-bit)", ours: m.tcb, reference: LWIP_PCB, unit: "bytes", ratio: m.tcb / LWIP_PCB },
    { name: "TCP TIME-WAIT entry vs lwIP (keeps the whole tcp_pcb)", ours: m.tw, reference: LWIP_PCB, unit: "bytes", ratio: m.tw / LWIP_PCB },
    { name: "TCP pool bytes per extra socket (16 KiB send + 16 KiB receive ring)", ours: m.perSocket, unit: "bytes" },
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { printTable } = await import("./table.mjs");
  printTable(await tcpBench());
}
