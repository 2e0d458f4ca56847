// dgram addMembership / dropMembership with IPv6 groups on udp6 sockets (node's semantics: the
// interface argument optional; an IPv6 group on a udp4 socket is EINVAL). Two stacks on the
// emulated link with the virtual clock.
import { describe, expect, it } from "vitest";
import { Sim } from "../src/links/emulated.js";
import { createStack } from "../src/net.js";
import type { RemoteInfo } from "../src/dgram.js";

const A6 = "2001:db8::1", B6 = "2001:db8::2";
const G6 = "ff12::1234", G4 = "239.1.2.3";

function env() {
  const sim = new Sim({ seed: 5 });
  const link = sim.link({ delayMs: 1 });
  const mk = (ip: string, ip6: string, mac: string, seed: number) => createStack({
    ip: `${ip}/24`, mac, seed, link: { type: "emulated", sim, link },
    ipv6: { eui64: true, dad: false, addresses: [`${ip6}/64`] },
  });
  return { a: mk("198.51.100.1", A6, "02:00:00:00:00:01", 1), b: mk("198.51.100.2", B6, "02:00:00:00:00:02", 2) };
}

describe("dgram addMembership / dropMembership with IPv6 groups", () => {
  it("RFC 3810 §6.1 via node's API: a udp6 socket joins an IPv6 group (and an IPv4 one), receives the group's datagrams, stops after dropMembership", async () => {
    const { a, b } = env();
    const r = a.createSocket("udp6");
    const got: [string, RemoteInfo][] = [];
    r.on("message", (m, info) => got.push([m.toString(), info]));
    r.bind(5000);
    r.addMembership(G6);
    r.addMembership(G4, "0.0.0.0");
    const s = b.createSocket("udp6");
    s.bind(4000);
    await a.until(() => false, 50);
    s.send("six", 5000, G6);
    s.send("four", 5000, `::ffff:${G4}`); // (a udp6 socket names IPv4 peers mapped: a dotted one is EINVAL, as node's)
    expect(await a.until(() => got.length === 2, 5000)).toBe(true);
    expect(got.map(([m, i]) => [m, i.family, i.port])).toEqual(expect.arrayContaining([["six", "IPv6", 4000], ["four", "IPv6", 4000]]));
    expect(got.find(([m]) => m === "six")![1].address).toMatch(/^fe80::/); // a link-local scope group: the link-local source
    expect(got.find(([m]) => m === "four")![1].address).toMatch(/^::ffff:198\.51\.100\.\d+$/); // an IPv4 sender on a udp6 socket, named as node does
    r.dropMembership(G6, "::");
    await a.until(() => false, 50);
    const notJoined = a.stat("eth_multicast_not_joined");
    s.send("six again", 5000, G6);
    await a.until(() => false, 100);
    expect(got.length).toBe(2);
    expect(a.stat("eth_multicast_not_joined")).toBe(notJoined + 1); // the group left the MAC filter too
    for (const x of [r, s]) x.close();
  });

  it("node's errors: an IPv6 group on a udp4 socket, a unicast group, leaving a group not joined, a bad interface are EINVAL; '[group]' and '%zone' forms are accepted", async () => {
    const { a } = env();
    const u4 = a.createSocket("udp4");
    u4.bind(5001);
    const u6 = a.createSocket("udp6");
    u6.bind(5002);
    await a.until(() => false, 10);
    expect(() => u4.addMembership(G6)).toThrow(expect.objectContaining({ code: "EINVAL", syscall: "addMembership" }));
    expect(() => u6.addMembership("2001:db8::9")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => u6.dropMembership(G6)).toThrow(expect.objectContaining({ code: "EINVAL", syscall: "dropMembership" }));
    expect(() => u6.addMembership(G6, "not an address")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => u6.addMembership(`[${G6}]`)).not.toThrow();
    expect(() => u6.dropMembership(`${G6}%eth0`)).not.toThrow();
    expect(() => u6.addMembership(G6, "::%eth0")).not.toThrow();
    for (const x of [u4, u6]) x.close();
  });
});
