// Zero-copy receive (issue 12): tcpPeek views the unread bytes in the receive ring in place,
// tcpConsume marks them read. A view never spans the ring's wrap without saying so ("more").
import { describe, expect, it } from "vitest";
import { Err, Host, Net, pair } from "./helpers/tcp-harness.js";

const SMALL = { MaxSockets: 4, SndBuf: 4096, RcvBuf: 4096, IoBuf: 4096 };

function pattern(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed + (i >> 8)) & 255;
  return b;
}

/** An established connection a -> b (client c on a, accepted s on b). */
async function connected() {
  const { net, a, b } = await pair(SMALL);
  const l = b.open(); b.bind(l, 80); expect(b.listen(l, 4)).toBe(0);
  const c = a.open();
  expect(a.connect(c, "198.51.100.2", 80)).toBe(0);
  let s = -1;
  expect(net.runUntil(() => { if (s <= 0) s = b.accept(l); return s > 0; }, 5000)).toBe(true);
  return { net, a, b, c, s, l };
}

/** tcpPeek through the I/O region: [result, ptr, len, more]. */
function peek(h: Host, sock: number): [number, number, number, number] {
  const out = h.x.ioBuffer();
  const r = h.x.tcpPeek(sock, out);
  const v = new Uint32Array(h.x.memory.buffer, out, 3);
  return [r, v[0], v[1], v[2]];
}

function send(net: Net, a: Host, c: number, b: Host, s: number, data: Uint8Array): void {
  expect(a.write(c, data)).toBe(data.length);
  expect(net.runUntil(() => b.info(s).recvQueued >= data.length, 5000)).toBe(true);
}

describe("zero-copy receive: tcpPeek / tcpConsume", () => {
  it("a view shows the bytes tcpRead would copy; consuming them advances, and an empty ring says -EAGAIN", async () => {
    const { net, a, b, c, s } = await connected();
    const data = pattern(1000, 1);
    send(net, a, c, b, s, data);
    const [r, ptr, len, more] = peek(b, s);
    expect([r, len, more]).toEqual([1000, 1000, 0]);
    expect(b.mem().slice(ptr, ptr + len)).toEqual(data);
    expect(b.x.tcpConsume(s, 400)).toBe(0);
    const [r2, ptr2] = peek(b, s);
    expect(r2).toBe(600);
    expect(b.mem().slice(ptr2, ptr2 + 600)).toEqual(data.subarray(400));
    expect(b.x.tcpConsume(s, 600)).toBe(0);
    expect(peek(b, s)[0]).toBe(-Err.EAGAIN);
  });

  it("at the ring's wrap the view stops at the end of the ring and `more` counts the bytes after it", async () => {
    const { net, a, b, c, s } = await connected();
    send(net, a, c, b, s, pattern(3000, 2));
    expect(b.x.tcpConsume(s, 3000)).toBe(0); // the next bytes start 3000 bytes into the 4096-byte ring
    const data = pattern(3000, 3);
    send(net, a, c, b, s, data);
    const [r, ptr, len, more] = peek(b, s);
    expect([r, len, more]).toEqual([1096, 1096, 1904]);
    expect(b.mem().slice(ptr, ptr + len)).toEqual(data.subarray(0, 1096));
    expect(b.x.tcpConsume(s, 1096)).toBe(0);
    const [r2, ptr2, len2, more2] = peek(b, s);
    expect([r2, len2, more2]).toEqual([1904, 1904, 0]);
    expect(ptr2).toBe(ptr + len - 4096); // back at the ring's start
    expect(b.mem().slice(ptr2, ptr2 + len2)).toEqual(data.subarray(1096));
  });

  it("consuming opens the window: 64 KiB cross a 4 KiB ring read only by peek/consume, intact", async () => {
    const { net, a, b, c, s } = await connected();
    const data = pattern(65536, 4);
    let sent = 0;
    const got: Uint8Array[] = [];
    let have = 0;
    expect(net.runUntil(() => {
      if (sent < data.length) { const n = a.write(c, data.subarray(sent, Math.min(data.length, sent + 4096))); if (n > 0) sent += n; }
      const [r, ptr, len] = peek(b, s);
      if (r > 0) { got.push(b.mem().slice(ptr, ptr + len)); have += len; expect(b.x.tcpConsume(s, len)).toBe(0); }
      return have === data.length;
    }, 60_000)).toBe(true);
    expect(Buffer.concat(got)).toEqual(Buffer.from(data));
  });

  it("misuse returns -Err: a bad handle, `out` outside memory, consuming more than unread or a negative count, a listener", async () => {
    const { net, a, b, c, s, l } = await connected();
    send(net, a, c, b, s, pattern(100, 5));
    expect(b.x.tcpPeek(0x7fffffff, b.x.ioBuffer())).toBe(-Err.EBADF);
    expect(b.x.tcpConsume(0x7fffffff, 1)).toBe(-Err.EBADF);
    expect(b.x.tcpPeek(s, b.x.memory.buffer.byteLength - 8)).toBe(-Err.EINVAL);
    expect(b.x.tcpConsume(s, 101)).toBe(-Err.EINVAL);
    expect(b.x.tcpConsume(s, -1)).toBe(-Err.EINVAL);
    expect(b.x.tcpPeek(l, b.x.ioBuffer())).toBe(-Err.EOPNOTSUPP);
    expect(b.x.tcpConsume(l, 0)).toBe(-Err.EOPNOTSUPP);
    expect(peek(b, s)[0]).toBe(100); // nothing was consumed by the refused calls
  });

  it("after the peer's FIN and every byte consumed, tcpPeek says EOF (0) as tcpRead does", async () => {
    const { net, a, b, c, s } = await connected();
    send(net, a, c, b, s, pattern(10, 6));
    expect(a.shutdown(c)).toBe(0);
    net.run(50);
    expect(peek(b, s)[0]).toBe(10);
    expect(b.x.tcpConsume(s, 10)).toBe(0);
    expect(peek(b, s)[0]).toBe(0);
    expect(b.read(s)).toBe(0);
  });
});
