// The node:dgram-shaped socket (src/dgram.ts) over the emulated link in virtual time, and
// event routing by handle: UDP and TCP sockets on one stack never receive each other's events.
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";
import { createStack, type NetError } from "../src/net.js";
import type { RemoteInfo } from "../src/dgram.js";
import { formatUdpSockets, statusPage } from "../src/services.js";

const A_IP = "198.51.100.1";
const B_IP = "198.51.100.2";

function env(seed = 5) {
  const sim = new Sim({ seed });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, mac: string, s: number) => createStack({ ip: `${ip}/24`, mac, seed: s, link: { type: "emulated", sim, link } });
  return { sim, a: mk(A_IP, "02:00:00:00:00:01", seed * 3 + 1), b: mk(B_IP, "02:00:00:00:00:02", seed * 3 + 2) };
}

describe("node:dgram shape (RFC 768)", () => {
  it("an echo server: bind, 'listening', send, 'message' with rinfo, reply to rinfo, close", async () => {
    const { a, b } = env();
    const server = b.createSocket("udp4");
    server.on("message", (msg, rinfo: RemoteInfo) => server.send(Buffer.concat([Buffer.from("echo:"), msg]), rinfo.port, rinfo.address));
    let listening = false;
    server.bind(7, () => { listening = true; });
    expect(await b.until(() => listening, 10)).toBe(true);
    expect(server.address()).toEqual({ address: "0.0.0.0", family: "IPv4", port: 7 }); // node's: the wildcard bound

    const got: [string, RemoteInfo][] = [];
    const client = a.createSocket("udp4", (msg, rinfo) => got.push([msg.toString(), rinfo]));
    let sent = -1;
    client.send("hi there", 7, B_IP, (err, n) => { expect(err).toBeNull(); sent = n; });
    expect(await a.until(() => got.length === 1, 100)).toBe(true);
    expect(sent).toBe(8);
    expect(got[0][0]).toBe("echo:hi there");
    expect(got[0][1]).toEqual({ address: B_IP, family: "IPv4", port: 7, size: 13 });
    const cport = client.address().port;
    expect(cport).toBeGreaterThanOrEqual(49152);
    // offset/length form
    client.send(Buffer.from("xxabcxx"), 2, 3, 7, B_IP);
    expect(await a.until(() => got.length === 2, 100)).toBe(true);
    expect(got[1][0]).toBe("echo:abc");
    let closed = false;
    server.close(() => { closed = true; });
    expect(await b.until(() => closed, 10)).toBe(true);
    expect(server.handle).toBe(0);
    client.close();
  });

  it("connect: send without an address goes to the peer; remoteAddress(); disconnect", async () => {
    const { a, b } = env();
    const server = b.createSocket("udp4");
    const seen: RemoteInfo[] = [];
    server.on("message", (_m, r) => seen.push(r));
    server.bind(5000);
    const c = a.createSocket("udp4");
    let connected = false;
    c.connect(5000, B_IP, () => { connected = true; });
    expect(await a.until(() => connected, 10)).toBe(true);
    expect(c.remoteAddress()).toEqual({ address: B_IP, family: "IPv4", port: 5000 });
    c.send("one");
    c.send(Buffer.from("--two--"), 2, 3);
    expect(await b.until(() => seen.length === 2, 100)).toBe(true);
    expect(seen.map((r) => r.size)).toEqual([3, 3]);
    c.disconnect();
    expect(() => c.remoteAddress()).toThrow();
  });

  it("errors carry Node codes: EADDRINUSE on bind, EMSGSIZE on send", async () => {
    const { a } = env();
    const s1 = a.createSocket("udp4");
    s1.bind(53);
    const s2 = a.createSocket("udp4");
    let bindErr: NetError | null = null;
    s2.on("error", (e: NetError) => { bindErr = e; });
    s2.bind(53);
    expect(await a.until(() => bindErr !== null, 10)).toBe(true);
    expect(bindErr!.code).toBe("EADDRINUSE");
    let sendErr: NetError | null = null;
    s1.send(Buffer.alloc(65508), 9, B_IP, (e) => { sendErr = e as NetError; }); // past 65535 - 28: even fragments cannot carry it
    expect(await a.until(() => sendErr !== null, 10)).toBe(true);
    expect(sendErr!.code).toBe("EMSGSIZE");
    expect(() => a.createSocket("udp5" as "udp4")).toThrow(/udp4, udp6/); // (udp6: test/ipv6-transport-net.test.ts)
  });

  it("events route by handle: a UDP socket and a TCP connection on the same stacks each get only their own", async () => {
    const { a, b } = env();
    const server = b.createServer((s) => s.pipe(s));
    server.listen(7);
    const udp = b.createSocket("udp4");
    const msgs: string[] = [];
    udp.on("message", (m) => msgs.push(m.toString()));
    udp.bind(7);
    const tcpData: string[] = [];
    const conn = a.connect({ host: B_IP, port: 7 });
    conn.on("data", (d: Buffer) => tcpData.push(d.toString()));
    conn.write("tcp bytes");
    const u = a.createSocket("udp4");
    u.send("udp bytes", 7, B_IP);
    expect(await a.until(() => tcpData.join("") === "tcp bytes" && msgs.length === 1, 500)).toBe(true);
    expect(msgs).toEqual(["udp bytes"]);
    conn.destroy();
    u.close();
    udp.close();
    server.close();
  });
});

describe("node:dgram shape: broadcast, multicast, ICMP errors (issue 9)", () => {
  it("setBroadcast: without it a send to 255.255.255.255 fails with EACCES; with it the peer's broadcast-enabled socket gets it", async () => {
    const { a, b } = env();
    const rx = b.createSocket({ type: "udp4", reuseAddr: true });
    const got: string[] = [];
    rx.on("message", (m) => got.push(m.toString()));
    rx.bind(6700);
    await b.until(() => rx.handle !== 0, 10);
    rx.setBroadcast(true);
    const tx = a.createSocket("udp4");
    tx.bind(0);
    await a.until(() => tx.handle !== 0, 10);
    let err: Error | null = null;
    tx.send("nope", 6700, "255.255.255.255", (e) => { err = e; });
    await a.until(() => err !== null, 10);
    expect((err as unknown as NetError).code).toBe("EACCES");
    tx.setBroadcast(true);
    tx.send("all", 6700, "255.255.255.255");
    tx.send("subnet", 6700, "198.51.100.255");
    expect(await b.until(() => got.length === 2, 100)).toBe(true);
    expect(got).toEqual(["all", "subnet"]);
    tx.close();
    rx.close();
  });

  it("addMembership: two sockets on one port (reuseAddr) both get a datagram sent to the group; dropMembership stops it", async () => {
    const { a, b } = env();
    const got: string[] = [];
    const socks = [0, 1].map((i) => {
      const s = b.createSocket({ type: "udp4", reuseAddr: true }, (m) => got.push(`${i}:${m}`));
      s.bind(6800);
      return s;
    });
    await b.until(() => socks.every((s) => s.handle !== 0), 10);
    for (const s of socks) s.addMembership("239.5.5.5");
    expect(() => socks[0].addMembership("198.51.100.9")).toThrow(/EINVAL/);
    const tx = a.createSocket("udp4");
    tx.send("m1", 6800, "239.5.5.5");
    expect(await b.until(() => got.length === 2, 100)).toBe(true);
    expect(got.sort()).toEqual(["0:m1", "1:m1"]);
    socks[1].dropMembership("239.5.5.5");
    tx.send("m2", 6800, "239.5.5.5");
    expect(await b.until(() => got.length === 3, 100)).toBe(true);
    expect(got[2]).toBe("0:m2");
    expect(b.stack.stat("igmp_reports_tx")).toBeGreaterThanOrEqual(1);
    for (const s of [...socks, tx]) s.close();
  });

  it("RFC 1122 §4.1.3.3: a connected socket whose peer port is closed gets an 'error' ECONNREFUSED (the peer's port unreachable)", async () => {
    const { a } = env();
    const s = a.createSocket("udp4");
    const errs: string[] = [];
    s.on("error", (e: NetError) => errs.push(e.code));
    s.connect(4999, B_IP);
    await a.until(() => s.handle !== 0, 10);
    s.send("anyone?");
    expect(await a.until(() => errs.length === 1, 200)).toBe(true);
    expect(errs).toEqual(["ECONNREFUSED"]);
    s.close();
  });

  it("the ss -uan-style listing: UNCONN and ESTAB rows with queued bytes and datagrams, and drops on a full queue (udpInfo drops)", async () => {
    const sim = new Sim({ seed: 7 });
    const link = sim.link({ delayMs: 1 });
    const a = createStack({ ip: `${A_IP}/24`, mac: "02:00:00:00:00:01", seed: 1, link: { type: "emulated", sim, link } });
    const b = createStack({ ip: `${B_IP}/24`, mac: "02:00:00:00:00:02", seed: 2, link: { type: "emulated", sim, link }, config: { UdpQueueBytes: 64 } });
    const got: string[] = [];
    const srv = b.createSocket("udp4", (m) => got.push(m.toString()));
    srv.bind(5000);
    const conn = b.createSocket("udp4");
    conn.connect(9999, A_IP);
    await b.until(() => srv.handle !== 0 && conn.handle !== 0, 10);
    const tx = a.createSocket("udp4");
    tx.bind(4000);
    await a.until(() => tx.handle !== 0, 10);
    // five 20-byte datagrams (28-byte queue records) arrive before the host drains the queue
    // (events are delivered after the core returns): two fit in 64 bytes, three are dropped
    for (let i = 0; i < 5; i++) tx.send(`datagram number ${i}...`, 5000, B_IP);
    sim.runUntil(() => b.stack.stat("udp_rx") >= 5, sim.now() + 100);
    const rows = b.udpSockets();
    expect(rows).toEqual([
      { handle: srv.handle, localAddress: B_IP, localPort: 5000, remoteAddress: null, remotePort: 0, recvQ: 56, datagrams: 2, drops: 3 },
      { handle: conn.handle, localAddress: B_IP, localPort: conn.address().port, remoteAddress: A_IP, remotePort: 9999, recvQ: 0, datagrams: 0, drops: 0 },
    ]);
    const text = formatUdpSockets(rows).split("\n");
    expect(text[0]).toMatch(/^State\s+Recv-Q\s+Datagrams\s+Drops\s+Local Address:Port\s+Peer Address:Port$/);
    expect(text[1]).toMatch(new RegExp(`^UNCONN\\s+56\\s+2\\s+3\\s+${B_IP}:5000\\s+0\\.0\\.0\\.0:\\*$`));
    expect(text[2]).toMatch(new RegExp(`^ESTAB\\s+0\\s+0\\s+0\\s+${B_IP}:${conn.address().port}\\s+${A_IP}:9999$`));
    expect(await b.until(() => got.length === 2, 10)).toBe(true); // the host drains: the queue empties, the drops stay
    expect(b.udpSockets()[0]).toMatchObject({ recvQ: 0, datagrams: 0, drops: 3 });
    expect(b.stack.stat("udp_queue_full")).toBe(3);
    const page = statusPage(b);
    expect(page).toMatch(new RegExp(`udp sockets:\\nState.*\\nUNCONN\\s+0\\s+0\\s+3\\s+${B_IP}:5000`));
    expect(page).toContain("dhcp: STOPPED (static address)");
    conn.close();
    await b.until(() => false, 5);
    expect(b.udpSockets().map((r) => r.localPort)).toEqual([5000]);
    for (const s of [srv, tx]) s.close();
  });
});
