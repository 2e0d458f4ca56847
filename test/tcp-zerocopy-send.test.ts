// Zero-copy send (issue 12): tcpReserve shows the free space at the send ring's tail in place,
// tcpCommit makes the bytes written there sendable. Commit is tcpWrite's own path: the same
// state rules and the same output (Nagle, cork, window), so a transfer written through
// reserve/commit puts exactly the frames on the wire that tcpWrite calls of the same sizes do.
// Both test builds (SIMD and MCU).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Err, Ev, Host, Net, S } from "./helpers/tcp-harness.js";

const BUILDS = [["node", "build/testing.wasm"], ["mcu", "build/testing.mcu.wasm"]] as const;
const RING = 4096;
const SMALL = { MaxSockets: 4, SndBuf: RING, RcvBuf: RING, IoBuf: 4096 };

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed * 13 + (i >> 9)) & 255;
  return b;
}

/** tcpReserve through the I/O region: [result, address]. */
function reserve(h: Host, sock: number): [number, number] {
  const out = h.x.ioBuffer();
  const r = h.x.tcpReserve(sock, out);
  return [r, new Uint32Array(h.x.memory.buffer, out, 1)[0]];
}

/** Reserve, copy `data` (at most the contiguous run) into the ring, commit: bytes committed or -Err. */
function put(h: Host, sock: number, data: Uint8Array): number {
  h.poll(); // the time, as the harness's write() tells it before tcpWrite
  const [r, ptr] = reserve(h, sock);
  if (r <= 0) return r;
  const n = Math.min(r, data.length);
  h.mem().set(data.subarray(0, n), ptr);
  const c = h.x.tcpCommit(sock, n);
  h.poll();
  return c < 0 ? c : n;
}

/** tcpWrite with the same calls around it as put(). */
function write(h: Host, sock: number, data: Uint8Array): number {
  h.poll();
  const io = h.x.ioBuffer();
  h.mem().set(data, io);
  const r = h.x.tcpWrite(sock, io, data.length);
  h.poll();
  return r;
}

/** Everything readable on b's socket s now. */
function drain(b: Host, s: number, into: number[]): void {
  for (;;) {
    const r = b.read(s, 65536);
    if (!(r instanceof Uint8Array)) return;
    for (const x of r) into.push(x);
  }
}

/** The wire so far, as comparable text: time, sender, and every byte of each frame. */
const wire = (net: Net) => net.log.map((c) => `${c.t} ${c.from.split(":")[0]} ${Buffer.from(c.frame).toString("hex")}`);

for (const [bname, build] of BUILDS) {
  const cfg = (extra: Record<string, number> = {}) => ({ ...SMALL, ...extra });
  /** An established connection on `build`: client c on a, accepted s on b. */
  async function conn(extra: Record<string, number> = {}) {
    const net = new Net();
    const a = await net.host({ ip: "198.51.100.1", cfg: cfg(extra), build });
    const b = await net.host({ ip: "198.51.100.2", cfg: cfg(extra), build });
    (a.x.ping as (d: number, i: number, s: number, l: number) => number)(b.ip, 1, 1, 0);
    (b.x.ping as (d: number, i: number, s: number, l: number) => number)(a.ip, 1, 1, 0);
    net.run(10);
    const l = b.open(); b.bind(l, 80); expect(b.listen(l, 4)).toBe(0);
    const c = a.open();
    expect(a.connect(c, "198.51.100.2", 80)).toBe(0);
    let s = -1;
    expect(net.runUntil(() => { if (s <= 0) s = b.accept(l); return s > 0 && a.state(c) === S.ESTABLISHED; }, 5000)).toBe(true);
    net.log = [];
    return { net, a, b, c, s, l };
  }

  describe(`zero-copy send: tcpReserve / tcpCommit (${bname} build)`, () => {
    it("reserve shows the free space at the ring's tail; committed bytes arrive intact and in order", async () => {
      const { net, a, b, c, s } = await conn();
      const [r, ptr] = reserve(a, c);
      expect(r).toBe(RING); // an empty ring: all of it, contiguous
      const data = pattern(1000, 1);
      a.mem().set(data, ptr);
      expect(a.x.tcpCommit(c, 1000)).toBe(0);
      a.poll();
      const [r2, ptr2] = reserve(a, c);
      expect([r2, ptr2]).toEqual([RING - 1000, ptr + 1000]); // the tail moved by what was committed
      const got: number[] = [];
      expect(net.runUntil(() => { drain(b, s, got); return got.length >= 1000; }, 5000)).toBe(true);
      expect(Uint8Array.from(got)).toEqual(data);
    });

    it("bytes reserved and written but not committed are never sent; committing 0 sends nothing", async () => {
      const { net, a, c } = await conn();
      const [, ptr] = reserve(a, c);
      a.mem().fill(0xee, ptr, ptr + 500);
      expect(a.x.tcpCommit(c, 0)).toBe(0);
      a.poll();
      net.run(500);
      expect(net.segs(a).filter((x) => x.payload.length > 0)).toEqual([]);
      expect(a.info(c).sendQueued).toBe(0);
    });

    it("wrap-around: the run stops at the ring's end, the next reserve starts at the ring's start, the stream stays intact", async () => {
      const { net, a, b, c, s } = await conn();
      const first = pattern(3000, 2);
      expect(put(a, c, first)).toBe(3000);
      const got: number[] = [];
      expect(net.runUntil(() => { drain(b, s, got); return got.length >= 3000 && a.info(c).sendQueued === 0; }, 5000)).toBe(true);
      const [r, ptr] = reserve(a, c);
      expect(r).toBe(RING - 3000); // free: the whole ring, but only 1096 bytes before its end
      const second = pattern(3000, 3);
      a.mem().set(second.subarray(0, r), ptr);
      expect(a.x.tcpCommit(c, r)).toBe(0);
      a.poll();
      const [r2, ptr2] = reserve(a, c);
      expect([r2, ptr2]).toEqual([3000, ptr + r - RING]); // back at the start: the rest of the free space
      a.mem().set(second.subarray(r), ptr2);
      expect(a.x.tcpCommit(c, 3000 - r)).toBe(0);
      a.poll();
      expect(net.runUntil(() => { drain(b, s, got); return got.length >= 6000; }, 5000)).toBe(true);
      expect(Uint8Array.from(got.slice(3000))).toEqual(second);
    });

    it("a full ring reserves 0 and Writable follows when ACKs free space (as after a short tcpWrite)", async () => {
      const { net, a, b, c, s } = await conn();
      net.hook = () => "drop"; // nothing is acknowledged for now
      let queued = 0;
      for (let i = 0; i < 3; i++) { const n = put(a, c, pattern(2000, 4)); if (n > 0) queued += n; }
      expect(queued).toBe(RING);
      expect(reserve(a, c)[0]).toBe(0);
      a.events = [];
      net.hook = null;
      const got: number[] = [];
      expect(net.runUntil(() => { drain(b, s, got); return a.hasEvent(c, Ev.Writable); }, 20_000)).toBe(true);
      expect(reserve(a, c)[0]).toBeGreaterThan(0);
    });

    it("EINVAL: committing more than the contiguous run, a negative count, or `out` outside memory; nothing is queued", async () => {
      const { net, a, c } = await conn();
      expect(put(a, c, pattern(3000, 5))).toBe(3000);
      expect(net.runUntil(() => a.info(c).sendQueued === 0, 5000)).toBe(true);
      const [r] = reserve(a, c); // 1096 bytes to the ring's end, 4096 free in all
      expect(r).toBe(RING - 3000);
      expect(a.x.tcpCommit(c, r + 1)).toBe(-Err.EINVAL); // would reach past the ring's end
      expect(a.x.tcpCommit(c, RING + 1)).toBe(-Err.EINVAL);
      expect(a.x.tcpCommit(c, -1)).toBe(-Err.EINVAL);
      expect(a.x.tcpReserve(c, a.x.memory.buffer.byteLength - 2)).toBe(-Err.EINVAL);
      expect(a.info(c).sendQueued).toBe(0);
      expect(a.x.tcpCommit(c, r)).toBe(0); // the whole run is fine
      expect(a.info(c).sendQueued).toBe(r);
    });

    it("errors as tcpWrite: a bad handle, a listener, before connect, after shutdown, after close, after a refused connect", async () => {
      const { net, a, b, c, s, l } = await conn();
      const write1 = (h: Host, k: number) => write(h, k, new Uint8Array(1));
      expect(a.x.tcpReserve(0x7fffffff, a.x.ioBuffer())).toBe(-Err.EBADF);
      expect(a.x.tcpCommit(0x7fffffff, 0)).toBe(-Err.EBADF);
      expect(reserve(b, l)[0]).toBe(-Err.EOPNOTSUPP);
      expect(b.x.tcpCommit(l, 0)).toBe(-Err.EOPNOTSUPP);
      const fresh = a.open();
      expect(reserve(a, fresh)[0]).toBe(-Err.ENOTCONN);
      expect(a.x.tcpCommit(fresh, 0)).toBe(-Err.ENOTCONN);
      expect(write1(a, fresh)).toBe(-Err.ENOTCONN);
      // after shutdown: EPIPE, and the space reserved before it cannot be committed
      const [, ptr] = reserve(a, c);
      expect(a.shutdown(c)).toBe(0);
      expect(reserve(a, c)[0]).toBe(-Err.EPIPE);
      a.mem()[ptr] = 1;
      expect(a.x.tcpCommit(c, 1)).toBe(-Err.EPIPE);
      expect(write1(a, c)).toBe(-Err.EPIPE);
      // after close (both sides: our end reaches TIME-WAIT and the handle is released)
      expect(a.close(c)).toBe(0);
      net.run(50);
      expect(b.close(s)).toBe(0);
      net.run(50);
      expect(reserve(a, c)[0]).toBe(-Err.EBADF);
      expect(a.x.tcpCommit(c, 0)).toBe(-Err.EBADF);
      expect(write1(a, c)).toBe(-Err.EBADF);
      // a failed connection: its error (the peer's RST to our SYN), like tcpWrite
      const c2 = a.open();
      expect(a.connect(c2, "198.51.100.2", 81)).toBe(0); // nobody listens there
      net.run(100);
      expect(a.state(c2)).toBe(S.CLOSED);
      expect(reserve(a, c2)[0]).toBe(-Err.ECONNREFUSED);
      expect(a.x.tcpCommit(c2, 0)).toBe(-Err.ECONNREFUSED);
      expect(write1(a, c2)).toBe(-Err.ECONNREFUSED);
    });

    it("SYN-SENT: bytes committed before the handshake completes are sent once established (as tcpWrite's)", async () => {
      const { net, a, b } = await conn();
      const l = b.open(); b.bind(l, 90); expect(b.listen(l, 4)).toBe(0);
      const c = a.open();
      expect(a.connect(c, "198.51.100.2", 90)).toBe(0);
      expect(a.state(c)).toBe(S.SYN_SENT);
      const data = pattern(700, 6);
      expect(put(a, c, data)).toBe(700);
      let s = -1;
      const got: number[] = [];
      expect(net.runUntil(() => { if (s <= 0) s = b.accept(l); if (s > 0) drain(b, s, got); return got.length >= 700; }, 5000)).toBe(true);
      expect(Uint8Array.from(got)).toEqual(data);
    });

    it("property: for any chunking, Nagle setting and pacing, reserve/commit puts on the wire exactly the frames tcpWrite does (fast-check)", async () => {
      const script = fc.record({
        nodelay: fc.boolean(),
        delAck: fc.constantFrom(0, 40, 200),
        steps: fc.array(fc.record({ len: fc.integer({ min: 1, max: 6000 }), waitMs: fc.integer({ min: 0, max: 30 }), read: fc.boolean() }),
          { minLength: 1, maxLength: 25 }),
      });
      await fc.assert(fc.asyncProperty(script, async (sc) => {
        const runs: { wire: string[]; got: number[]; sent: number }[] = [];
        for (const zeroCopy of [false, true]) {
          const { net, a, b, c, s } = await conn({ DelAckMs: sc.delAck });
          if (sc.nodelay) a.setOption(c, 1, 1);
          net.log = [];
          const got: number[] = [];
          let sent = 0;
          let seed = 0;
          for (const st of sc.steps) {
            const data = pattern(st.len, ++seed);
            let off = 0;
            // One call per contiguous run: a commit cannot span the ring's wrap, so both paths
            // split a chunk there (tcpWrite's path learns the run from a reserve it leaves
            // uncommitted: reserve has no effect but the "wants Writable" flag at a full ring,
            // which both paths then share). What differs is only commit vs tcpWrite.
            while (off < data.length) {
              const [run] = reserve(a, c);
              if (run <= 0) break;
              const n = Math.min(run, data.length - off);
              const k = zeroCopy ? put(a, c, data.subarray(off, off + n)) : write(a, c, data.subarray(off, off + n));
              expect(k).toBe(n);
              off += n;
            }
            sent += off;
            net.run(st.waitMs);
            if (st.read) drain(b, s, got);
          }
          expect(net.runUntil(() => { drain(b, s, got); return got.length >= sent; }, 60_000)).toBe(true);
          runs.push({ wire: wire(net), got, sent });
        }
        expect(runs[1].sent).toBe(runs[0].sent);
        expect(runs[1].got).toEqual(runs[0].got);
        expect(runs[1].wire).toEqual(runs[0].wire);
      }), { numRuns: 25, seed: 12 });
    }, 120_000);
  });
}
