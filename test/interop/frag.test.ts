// IPv4 fragments against the Linux kernel (RFC 791 §3.2): our stack behind a TAP, the kernel
// in a namespace this test creates (test/interop/env.ts). The kernel fragments what it sends
// to us (a 4000-byte ping, a 3000-byte UDP datagram); we reassemble, answer in fragments, and
// the kernel reassembles our answers. Bounded: a few datagrams, timeouts of seconds.
import { describe, expect, it } from "vitest";
import { gate, installCleanup, OUR_IP, pcapProblems, python, world } from "./env.js";

const skip = gate("test/interop/frag.test.ts");
installCleanup();

/** Send N seeded random bytes as one UDP datagram (retrying at most 5 times), print what came back. */
const PY_UDP_ROUNDTRIP = String.raw`
import socket, sys, json, random
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = random.Random(9).randbytes(n)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
got = None
for attempt in range(5):
    s.sendto(data, (host, port))
    try:
        got, addr = s.recvfrom(65536)
        break
    except socket.timeout:
        pass
print(json.dumps({"sent": n, "received": -1 if got is None else len(got), "match": got == data, "attempts": attempt + 1}))
`;

describe.skipIf(skip)("kernel interop: IPv4 fragments (RFC 791 §3.2)", () => {
  it("RFC 791 §3.2 + RFC 792: ping -s 4000 from the kernel: fragmented both ways, every reply received", async () => {
    const w = world();
    const r = await w.ns.run(["ping", "-c", "3", "-i", "0.2", "-W", "2", "-s", "4000", OUR_IP], 20_000);
    expect(r.stdout).toMatch(/3 packets transmitted, 3 received, 0% packet loss/);
    const st = w.net.stack;
    expect(st.stat("ipv4_reasm_ok")).toBe(3);
    expect(st.stat("icmp_echo_replies_tx")).toBe(3);
    expect(st.stat("ipv4_frag_tx")).toBe(9); // 4008 bytes of ICMP: 1480 + 1480 + 1048, three times
    w.net.close();
    expect(pcapProblems(w.pcap)).toEqual([]);
  });

  it("RFC 768 over fragments: a kernel UDP socket sends 3000 bytes to our echo socket and gets them back byte-identical", async () => {
    const w = world({ config: { UdpQueueBytes: 16384 } });
    const sock = w.net.createSocket("udp4");
    sock.on("message", (msg, rinfo) => sock.send(msg, rinfo.port, rinfo.address));
    sock.bind(7777);
    const p = python(w.ns, PY_UDP_ROUNDTRIP, [OUR_IP, 7777, 3000], 30_000);
    const res = JSON.parse(await p.waitLine(/^\{/, 30_000));
    console.log(`3000-byte UDP round trip: ${res.attempts} attempt(s)`);
    expect(res).toMatchObject({ sent: 3000, received: 3000, match: true });
    const st = w.net.stack;
    expect(st.stat("ipv4_reasm_ok")).toBeGreaterThanOrEqual(1);
    expect(st.stat("ipv4_frag_tx")).toBeGreaterThanOrEqual(3);
    sock.close();
    w.net.close();
    expect(pcapProblems(w.pcap)).toEqual([]);
  });
});
