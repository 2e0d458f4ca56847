// The Node host's copies (issue 12): Socket writes go straight from the caller's Buffer into the
// send ring (NetStack.writeChunk over tcpReserve/tcpCommit), reads straight from the receive ring
// into Buffers the application owns (readChunk over tcpPeek/tcpConsume, NetStack.copyOut), and
// with node's `onread` straight from the receive ring into the application's buffer (readInto).
// Whatever the path, the bytes are intact, and a Buffer handed to the application is never
// written again by later reads.
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";
import { createStack, NetStack, Socket } from "../src/net.js";

const A_IP = "198.51.100.1";
const B_IP = "198.51.100.2";

function env(sndBuf: number, rcvBuf: number) {
  const sim = new Sim({ seed: 3 });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, mac: string, seed: number) => createStack({
    ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link }, sndBuf, rcvBuf,
  });
  return { a: mk(A_IP, "02:00:00:00:00:01", 1), b: mk(B_IP, "02:00:00:00:00:02", 2) };
}

function payload(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; b[i] = x & 255; }
  return b;
}

/** Send `writes` (Buffers) from a to b's server; the chunks b's socket emitted, each kept as given, and copies taken on arrival. */
async function transfer(a: NetStack, b: NetStack, writes: Buffer[]) {
  const held: Buffer[] = [];
  const snapshots: Buffer[] = [];
  let closed = false;
  b.createServer((s: Socket) => {
    s.on("data", (d: Buffer) => { held.push(d); snapshots.push(Buffer.from(d)); });
    s.on("close", () => { closed = true; });
  }).listen(9);
  const c = a.connect({ host: B_IP, port: 9 }, () => {
    for (const w of writes) c.write(w);
    c.end();
  });
  expect(await a.until(() => closed, 120_000)).toBe(true);
  return { held, snapshots, c };
}

describe("net: one copy each way between Buffers and the rings", () => {
  it("odd-sized writes across many wraps of small rings arrive intact; every Buffer the application holds keeps its bytes", async () => {
    const { a, b } = env(5000, 3000); // rings that wrap at odd offsets
    const sizes = [1, 4999, 5000, 5001, 777, 65536, 3, 12345, 100000, 2];
    const writes = sizes.map((n, i) => payload(n, i + 1));
    const { held, snapshots, c } = await transfer(a, b, writes);
    const want = Buffer.concat(writes);
    expect(Buffer.concat(held).equals(want)).toBe(true);
    // the chunks were read from the same rings over and over: none was overwritten after it was handed out
    held.forEach((h, i) => expect(h.equals(snapshots[i])).toBe(true));
    expect(c.bytesWritten).toBe(want.length);
    // and the writer's Buffers were only read
    writes.forEach((w, i) => expect(w.equals(payload(sizes[i], i + 1))).toBe(true));
  });

  it("without the zero-copy exports (an older module), writes and reads go through the I/O region, with the same result", async () => {
    const { a, b } = env(5000, 3000);
    for (const n of [a, b]) {
      const ex = n.ex as unknown as Record<string, unknown>;
      delete ex.tcpReserve; delete ex.tcpCommit; delete ex.tcpPeek; delete ex.tcpConsume;
    }
    const writes = [70000, 1, 4097].map((n, i) => payload(n, i + 20));
    const { held, snapshots } = await transfer(a, b, writes);
    expect(Buffer.concat(held).equals(Buffer.concat(writes))).toBe(true);
    held.forEach((h, i) => expect(h.equals(snapshots[i])).toBe(true));
  });

  it("large reads get Buffers of their own, small ones share slabs without overlapping", async () => {
    const { a, b } = env(256 * 1024, 256 * 1024);
    const writes = [payload(200_000, 7), ...Array.from({ length: 200 }, (_, i) => payload(1 + (i * 37) % 900, 100 + i))];
    const { held, snapshots } = await transfer(a, b, writes);
    expect(Buffer.concat(held).equals(Buffer.concat(writes))).toBe(true);
    held.forEach((h, i) => expect(h.equals(snapshots[i])).toBe(true));
    // no two held Buffers share bytes
    const spans = held.map((h) => [h.buffer, h.byteOffset, h.byteOffset + h.length] as const);
    for (let i = 0; i < spans.length; i++) {
      for (let j = i + 1; j < spans.length; j++) {
        if (spans[i][0] !== spans[j][0]) continue;
        expect(spans[i][2] <= spans[j][1] || spans[j][2] <= spans[i][1]).toBe(true);
      }
    }
  });

  it("a flowing socket nobody listens to (resume() alone) drains the ring without copying; a 'data' listener added later sees what follows", async () => {
    const { a, b } = env(16 * 1024, 8 * 1024);
    let srv: Socket | null = null;
    b.createServer((s: Socket) => { srv = s; s.resume(); }).listen(9);
    const copies = { n: 0 };
    const readChunk = b.readChunk.bind(b); // the copying read (skipChunk drops bytes in place)
    b.readChunk = (h: number) => { copies.n++; return readChunk(h); };
    const first = payload(200_000, 31); // 25 receive rings' worth: only drained reads let it through
    const c = a.connect({ host: B_IP, port: 9 });
    expect(await a.until(() => srv !== null, 10_000)).toBe(true);
    copies.n = 0; // (accepting reads once, before the handler resumes the socket)
    let written = false;
    c.write(first, () => { written = true; });
    expect(await a.until(() => written && srv !== null && srv.bytesRead === first.length, 60_000)).toBe(true);
    expect(copies.n).toBe(0);
    const got: Buffer[] = [];
    let ended = false;
    srv!.on("data", (d: Buffer) => got.push(d));
    srv!.on("end", () => { ended = true; });
    const second = payload(30_000, 32);
    c.end(second);
    expect(await a.until(() => ended, 60_000)).toBe(true);
    expect(Buffer.concat(got).equals(second)).toBe(true);
    expect(copies.n).toBeGreaterThan(0);
    expect(srv!.bytesRead).toBe(first.length + second.length);
  });

  it("onread: bytes go straight from the receive ring into the application's buffer (no Buffer per read); what does not fit waits in the ring, intact across its wraps", async () => {
    for (const [size, zeroCopy] of [[1000, true], [7, true], [70_000, true], [1000, false]] as const) {
      const { a, b } = env(5000, 3000); // a receive ring (a's) that wraps at odd offsets under every buffer size
      if (!zeroCopy) {
        const ex = a.ex as unknown as Record<string, unknown>;
        delete ex.tcpPeek; delete ex.tcpConsume;
      }
      const want = payload(150_000, size);
      const buf = Buffer.alloc(size);
      const parts: Buffer[] = [];
      let maxN = 0, ended = false;
      a.readChunk = () => { throw new Error("readChunk in onread mode"); }; // no Buffer of ours per read
      const c = a.connect({ host: B_IP, port: 9, onread: { buffer: buf, callback(n: number, got: Uint8Array) {
        expect(got).toBe(buf);
        maxN = Math.max(maxN, n);
        parts.push(Buffer.from(got.subarray(0, n)));
        return true;
      } } });
      c.on("end", () => { ended = true; });
      b.createServer((s: Socket) => { s.end(want); }).listen(9);
      expect(await a.until(() => ended, 120_000)).toBe(true);
      expect(Buffer.concat(parts).equals(want)).toBe(true);
      // a buffer-full at a time; a large buffer takes all the ring held (two MSS-sized segments), its wrap included
      if (size < 1448) expect(maxN).toBe(size);
      else expect(maxN).toBe(2 * 1448);
      expect(c.bytesRead).toBe(want.length);
    }
  });
});
