// A fragmented UDP datagram to a next hop whose address is not resolved yet (RFC 4861 §7.2.2
// queues a few packets per neighbor, replacing the oldest): its fragments either all wait for
// the resolution or the datagram is refused whole with EAGAIN and counted (ipv6_frag_no_queue),
// never sent in part. Both testing builds (WT_FRAG6), the emulated link and a virtual clock.
import { describe, expect, it } from "vitest";
import { Err, bytes, type Host } from "./helpers/tcp-harness.js";
import { B6, udp6Pair, udp6Recv, udp6Send } from "./ipv6-harness.js";

const BUILDS = [["node", "build/testing.wasm"], ["mcu", "build/testing.mcu.wasm"]] as const;

const unresolvedPair = (build: string, queue: number) => udp6Pair(build, { UdpQueueBytes: 16384, Ip6Queue: queue });

const sendTo = (h: Host, s: number, addr: string, port: number, n: number): number => udp6Send(h, s, addr, port, bytes(n, 3));

/** The lengths of the datagrams queued on socket s. */
function received(h: Host, s: number): number[] {
  const out: number[] = [];
  for (let r; typeof (r = udp6Recv(h, s)) !== "number";) out.push(r.data.length);
  return out;
}

describe.each(BUILDS)("IPv6 fragments waiting for address resolution (%s build)", (_name, build) => {
  it("RFC 4861 §7.2.2 / RFC 8200 §4.5: 3 fragments to an unresolved neighbor with 2 queue slots: EAGAIN, nothing but the NS sent, counted; the retry after resolution arrives whole", async () => {
    const { net, a, b, sa, sb } = await unresolvedPair(build, 2);
    net.log = [];
    expect(sendTo(a, sa, B6, 6000, 3000)).toBe(-Err.EAGAIN);
    expect(a.stat("ipv6_frag_no_queue")).toBe(1);
    expect(a.stat("ipv6_frag_tx")).toBe(0);
    expect(a.stat("nd_ns_tx")).toBe(1); // resolution started
    net.run(50);
    expect(received(b, sb)).toEqual([]);
    expect(sendTo(a, sa, B6, 6000, 3000)).toBe(3000);
    net.run(20);
    expect(received(b, sb)).toEqual([3000]);
    expect(a.stat("nd_queue_full")).toBe(0);
  });

  it("RFC 4861 §7.2.2: 2 fragments fit the 2 slots and both wait; 4 fragments exceed the 3 a neighbor may hold even with 8 slots (EAGAIN)", async () => {
    const { net, a, b, sa, sb } = await unresolvedPair(build, 2);
    expect(sendTo(a, sa, B6, 6000, 2000)).toBe(2000);
    net.run(50);
    expect(received(b, sb)).toEqual([2000]);
    expect(a.stat("ipv6_frag_no_queue")).toBe(0);
    const big = await unresolvedPair(build, 8);
    expect(sendTo(big.a, big.sa, B6, 6000, 5000)).toBe(-Err.EAGAIN);
    expect(sendTo(big.a, big.sa, B6, 6000, 4000)).toBe(4000); // 3 fragments
    big.net.run(50);
    expect(received(big.b, big.sb)).toEqual([4000]);
    expect(big.a.stat("nd_queue_full")).toBe(0);
  });
});
