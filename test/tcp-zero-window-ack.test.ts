// RFC 9293 §3.10.7.4: "If the RCV.WND is zero, no segments will be acceptable, but special
// allowance should be made to accept valid ACKs". With our receive window closed, a segment
// at any sequence number (a probe at RCV.NXT - 1, text beyond the window, an ACK from a peer
// whose SND.NXT is past the text we could not take) still has its ACK and window processed;
// its text is not taken. Without that, both windows closed is a deadlock. On both builds.
import { describe, expect, it } from "vitest";
import { ACK, PSH, bytes } from "./helpers/tcp-harness.js";
import { activeToPeer, peerSend } from "./helpers/tcp-peer.js";

const BUILDS = ["build/testing.wasm", "build/testing.mcu.wasm"];

describe.each(BUILDS)("zero receive window, valid ACKs (%s)", (build) => {
  /** Connected to the raw peer; our receive ring (1024 B) full of the peer's data, our `n` bytes sent and unacknowledged. */
  async function closed(n: number) {
    const c = await activeToPeer({ DelAckMs: 0, RcvBuf: 1024 }, { mss: 1460 }, 5000, build);
    const una = c.pack;
    expect(c.h.write(c.sock, bytes(n))).toBe(n);
    c.net.run(3);
    peerSend(c, ACK, bytes(1024, 3), { wnd: 0 }); // fills our ring (the app does not read); acks nothing; the peer's window closed
    c.net.run(3);
    expect(c.h.info(c.sock).rcvWnd).toBe(0);
    expect(c.h.info(c.sock).recvQueued).toBe(1024);
    c.p.take();
    return { c, una };
  }

  it("RFC 9293 §3.10.7.4: a zero-window probe at RCV.NXT - 1 acknowledging our data advances SND.UNA and frees the send ring", async () => {
    const { c, una } = await closed(100);
    expect(c.h.info(c.sock).sendQueued).toBe(100);
    peerSend(c, ACK, undefined, { seq: (c.pseq - 1) >>> 0, ack: (una + 100) >>> 0, wnd: 0 });
    c.net.run(3);
    expect(c.h.info(c.sock).sndUna).toBe((una + 100) >>> 0);
    expect(c.h.info(c.sock).sendQueued).toBe(0);
    expect(c.h.info(c.sock).recvQueued).toBe(1024);
    expect(c.p.last().ack).toBe(c.pseq); // answered with our RCV.NXT
  });

  it("RFC 9293 §3.10.7.4: text beyond a zero window is not taken (tcp_zero_window_drop) but its ACK is", async () => {
    const { c, una } = await closed(300);
    const drops = c.h.stat("tcp_zero_window_drop");
    peerSend(c, ACK | PSH, bytes(50, 5), { seq: (c.pseq + 200) >>> 0, ack: (una + 200) >>> 0, wnd: 0 });
    c.net.run(3);
    const i = c.h.info(c.sock);
    expect(i.sndUna).toBe((una + 200) >>> 0);
    expect(i.sendQueued).toBe(100);
    expect(i.recvQueued).toBe(1024);
    expect(i.rcvNxt).toBe(c.pseq);
    expect(c.h.stat("tcp_zero_window_drop")).toBe(drops + 1);
    expect(c.p.last().ack).toBe(c.pseq);
  });

  it("RFC 9293 §3.10.7.4: both windows closed, the peer's text ahead of our RCV.NXT: once its application reads, its ACKs (carrying that SEG.SEQ) acknowledge our data", async () => {
    const { c, una } = await closed(3000);
    const total = (una + 3000) >>> 0;
    // the peer sent 200 more bytes into our closed window: not taken, its SND.NXT is now past our RCV.NXT
    peerSend(c, ACK | PSH, bytes(200, 6), { wnd: 0 });
    c.net.run(3);
    expect(c.h.info(c.sock).recvQueued).toBe(1024);
    const rcvNxt = c.h.info(c.sock).rcvNxt;
    expect(c.pseq).toBe((rcvNxt + 200) >>> 0);
    // the peer's application reads what it had: its ACK of our first 1000 bytes opens its window;
    // every segment it sends now carries SEG.SEQ = its SND.NXT, beyond our (zero) window
    c.p.take();
    peerSend(c, ACK, undefined, { ack: (una + 1000) >>> 0, wnd: 65535 });
    c.net.run(3);
    expect(c.h.info(c.sock).sndUna).toBe((una + 1000) >>> 0);
    expect(c.h.info(c.sock).sndWnd).toBe(65535);
    expect(c.h.info(c.sock).sendQueued).toBe(2000);
    for (let i = 0; i < 4 && c.h.info(c.sock).sendQueued > 0; i++) { // the peer acknowledges all it has, as it comes
      peerSend(c, ACK, undefined, { ack: c.h.info(c.sock).sndNxt, wnd: 65535 });
      c.net.run(3);
    }
    expect(c.h.info(c.sock).sndUna).toBe(total);
    expect(c.h.info(c.sock).sendQueued).toBe(0);
    // and our application reads: the peer's retransmission from our RCV.NXT is taken
    expect(c.h.drain(c.sock).length).toBe(1024);
    c.net.run(3);
    peerSend(c, ACK | PSH, bytes(200, 6), { seq: rcvNxt, ack: total });
    c.net.run(3);
    expect(c.h.info(c.sock).recvQueued).toBe(200);
    expect(c.p.last().ack).toBe((rcvNxt + 200) >>> 0);
  });
});
