// When reading frees receive buffer space, a pure window update (an ACK sent only to move the
// window's right edge) goes out when the edge moves by at least the window the peer knows (the
// window doubles, as Linux does) or by 5840 bytes (lwIP's rule: an application catching up frees
// the sender at once). RFC 9293 §3.8.6.2.2 receiver SWS avoidance bounds how small a move may be
// advertised; RFC 5681 §4.2 asks an ACK for every second full-sized segment, not for every read.
// While data flows, the ACKs it draws carry the new edge.
import { describe, expect, it } from "vitest";
import { ACK, bytes, connected } from "./helpers/tcp-harness.js";
import { peerSend, peerToListener } from "./helpers/tcp-peer.js";

const BUILDS = [["node", "build/testing.wasm"], ["mcu", "build/testing.mcu.wasm"]] as const;

describe.each(BUILDS)("window updates on read (%s build)", (_name, build) => {
  it("RFC 5681 §4.2 / RFC 9293 §3.8.6.2.2: an application reading each full-sized segment as it lands draws one ACK per two segments, not one per read", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    const { net, h, p } = c;
    let acks = 0;
    for (let i = 0; i < 100; i++) {
      const seg = bytes(1460, i);
      peerSend(c, ACK, seg);
      net.run(1);
      expect(h.read(c.sock)).toEqual(seg); // read at once: 1460 bytes free the window's edge by one MSS
      net.run(1);
      acks += p.take().filter((x) => x.payload.length === 0).length;
    }
    expect(acks).toBe(50); // every second full-sized segment; a read alone adds none (was 100)
  });

  it("RFC 9293 §3.8.6.2.2: a window used up by an application that did not read reopens with a window update at the read, before any persist probe", async () => {
    const c = await connected({}, 80, { RcvBuf: 8192 }, build);
    const { net, a, b } = c;
    expect(a.write(c.c, bytes(16_384, 9))).toBe(16_384); // twice what B can buffer
    net.run(30); // B's buffer fills: what the sender may still use is under one segment, so it waits
    expect(b.info(c.s).rcvWnd).toBeLessThan(1448);
    expect(b.info(c.s).recvQueued).toBeGreaterThan(8192 - 1448);
    net.log = [];
    const first = b.read(c.s) as Uint8Array;
    expect(first.length).toBeGreaterThan(0);
    net.run(0);
    const update = net.segs(b).filter((s) => s.payload.length === 0);
    expect(update.length).toBe(1); // at the read itself: no delayed-ACK wait, no persist probe needed
    expect(update[0].wnd).toBeGreaterThan(0);
    expect(net.segs(a).length).toBe(0);
  });

  it("RFC 9293 §3.8.6.2.2 (lwIP's TCP_WND_UPDATE_THRESHOLD): an application that fell 8 segments behind and catches up sends a window update at the read, though the window did not double", async () => {
    const c = await connected({}, 80, { RcvBuf: 32768 }, build);
    const { net, a, b } = c;
    net.log = [];
    expect(a.write(c.c, bytes(11_584, 4))).toBe(11_584); // 8 segments of 1448 (MSS less timestamps)
    net.run(30); // B acknowledges every second segment; nothing is read, so its edge stays where it was
    expect(b.info(c.s).recvQueued).toBe(11_584);
    const left = b.info(c.s).rcvWnd;
    expect(left).toBeGreaterThan(11_584); // more than half the ring still offered: no doubling at the read
    expect(net.segs(b).filter((s) => s.payload.length === 0).length).toBe(4); // no delayed ACK pending
    net.log = [];
    let got = 0;
    for (let r = b.read(c.s); r instanceof Uint8Array; r = b.read(c.s)) got += r.length;
    expect(got).toBe(11_584);
    net.run(0);
    const update = net.segs(b).filter((s) => s.payload.length === 0);
    expect(update.length).toBe(1); // at the read: the edge moved by 11,584 >= min(offered window, 5840)
    expect(b.info(c.s).rcvWnd).toBeGreaterThan(left);
  });

  it("RFC 5681 §4.2: a lone segment's delayed ACK leaves after DelAckMs (40 ms by default), well before a sender's 200 ms minimum RTO", async () => {
    const c = await peerToListener({}, { mss: 1460 }, 9000, 80, build);
    const { net, p } = c;
    peerSend(c, ACK, bytes(100, 1));
    net.run(40); // 1 ms on the link, then held
    expect(p.take().length).toBe(0);
    net.run(2); // sent 40 ms after it arrived, 1 ms back
    const ack = p.take();
    expect(ack.length).toBe(1);
    expect(ack[0].ack >>> 0).toBe(c.pseq >>> 0);
  });
});
