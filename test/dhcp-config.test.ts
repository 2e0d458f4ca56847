// What a host tells the DHCP client before dhcpStart (a host name, a client identifier, an address
// remembered from an earlier boot) and what the lease gives the SNTP client (option 42), in the
// core: the scripted server of test/dhcp-script.ts, a virtual clock, both builds.
import { describe, expect, it } from "vitest";
import { Err } from "../src/abi.js";
import { decodeFrame } from "../src/trace.js";
import { eth, ipBytes, ipv4, MAC_A, macBytes, udp } from "./wire-build.js";
import { ACK, arpFrom, client, DISCOVER, NAK, OFFER, OFFER_IP, RELEASE, reply, REQUEST, selecting, ST } from "./dhcp-script.js";

const NTP1 = "198.51.100.123";
const NTP2 = "198.51.100.124";
const NTP_MAC = "02:00:00:00:00:7b";
const enc = (s: string) => new TextEncoder().encode(s);

type Client = ReturnType<typeof client>;

/** NTP requests (to port 123) the client sent since frame `from`: destination, source port, transmit timestamp. */
function ntpRequests(c: Client, from = 0) {
  return c.h.sent.slice(from).map((raw) => ({ raw, f: decodeFrame(raw) })).filter(({ f }) => f.proto === "UDP" && f.dstPort === 123)
    .map(({ raw, f }) => ({ dst: f.dst, sport: f.srcPort!, t1: new DataView(raw.buffer, raw.byteOffset + 42).getBigUint64(40) }));
}

/** A server-mode NTP reply (stratum 2) to a request from `from`. */
function ntpReply(from: string, req: { sport: number; t1: bigint }): Uint8Array {
  const p = new Uint8Array(48);
  const dv = new DataView(p.buffer);
  p[0] = (4 << 3) | 4; p[1] = 2; p[2] = 6;
  dv.setBigUint64(24, req.t1);
  dv.setBigUint64(32, 3_900_000_000n << 32n);
  dv.setBigUint64(40, (3_900_000_000n << 32n) + 1000n);
  return eth(MAC_A, NTP_MAC, 0x0800, ipv4({ src: from, dst: OFFER_IP, proto: 17 }, udp(from, OFFER_IP, 123, req.sport, [...p])));
}

for (const build of ["testing", "testing-mcu"] as const) {
  describe(`DHCP client configured by the host (${build})`, () => {
    it("RFC 2132 §3.14 / RFC 2131 Table 5: the host name goes in DISCOVER and REQUEST as option 12 (not in RELEASE); none is sent by default", () => {
      const plain = selecting(build);
      expect(plain.d.opts.has(12)).toBe(false);
      const c = client(build);
      expect(c.h.s.dhcpSetHostname("sensor-7")).toBe(0);
      expect(c.h.s.dhcpStart()).toBe(0);
      c.collect();
      const d = c.last(DISCOVER);
      expect(d.opts.get(12)).toEqual([...enc("sensor-7")]);
      c.rx(reply(OFFER, d.xid));
      const req = c.last(REQUEST);
      expect(req.opts.get(12)).toEqual([...enc("sensor-7")]);
      c.rx(reply(ACK, req.xid));
      c.run(c.h.clock.now() + 10_000);
      expect(c.info().state).toBe(ST.BOUND);
      c.h.s.dhcpStop(true);
      expect(c.last(RELEASE).opts.has(12)).toBe(false); // RFC 2131 Table 5: MUST NOT in DHCPRELEASE
      const long = "a".repeat(63); // the longest label still fits the message
      const c2 = client(build);
      expect(c2.h.s.dhcpSetHostname(long)).toBe(0);
      c2.h.s.dhcpStart();
      c2.collect();
      expect(c2.last(DISCOVER).opts.get(12)).toEqual([...enc(long)]);
    });

    it("RFC 1123 §2.1: a host name that is not one 1-63 byte label of letters, digits and inner hyphens is -EINVAL; changing it while running is -EALREADY", () => {
      const c = client(build);
      for (const bad of ["a".repeat(64), "a_b", "-ab", "ab-", "dev.example", "a b", "héllo", "x".repeat(300)]) {
        expect(c.h.s.dhcpSetHostname(bad), bad).toBe(-Err.EINVAL);
      }
      expect(c.h.s.exports.dhcpSetHostname(0xfffffff0, 20)).toBe(-Err.EINVAL); // outside memory
      expect(c.h.s.dhcpSetHostname("Node-01")).toBe(0);
      expect(c.h.s.dhcpSetHostname("")).toBe(0); // removed again
      expect(c.h.s.dhcpStart()).toBe(0);
      c.collect();
      expect(c.last(DISCOVER).opts.has(12)).toBe(false);
      expect(c.h.s.dhcpSetHostname("late")).toBe(-Err.EALREADY);
      expect(c.h.s.dhcpSetClientId(new Uint8Array([0, 1, 2]))).toBe(-Err.EALREADY);
      expect(c.h.s.dhcpSetRequestAddress(OFFER_IP)).toBe(-Err.EALREADY);
    });

    it("RFC 2132 §9.14: a host-supplied client identifier is sent as given (option 61) in every message; 0 bytes restore type 1 + MAC; fewer than 2 or more than 64 bytes is -EINVAL", () => {
      const c = client(build);
      const id = new Uint8Array([0xff, 0, 0, 0, 1, 0, 2, 0, 0, 0xab, 0xcd]); // RFC 4361 style: type 255, IAID, DUID
      expect(c.h.s.dhcpSetClientId(new Uint8Array([7]))).toBe(-Err.EINVAL);
      expect(c.h.s.dhcpSetClientId(new Uint8Array(65))).toBe(-Err.EINVAL);
      expect(c.h.s.dhcpSetClientId(id)).toBe(0);
      c.dora();
      expect(c.info().state).toBe(ST.BOUND);
      for (const m of c.msgs) expect(m.opts.get(61)).toEqual([...id]);
      c.h.s.dhcpStop(true);
      expect(c.h.s.dhcpSetClientId(new Uint8Array(0))).toBe(0);
      c.h.s.dhcpStart();
      c.collect();
      expect(c.last(DISCOVER).opts.get(61)).toEqual([1, ...macBytes(MAC_A)]);
    });

    it("RFC 2131 §3.2: an address the host remembered starts INIT-REBOOT (REQUEST broadcast, option 50, no 54, ciaddr 0); the ACK binds it after ACD", () => {
      const c = client(build);
      expect(c.h.s.dhcpSetRequestAddress("127.0.0.1")).toBe(-Err.EINVAL);
      expect(c.h.s.dhcpSetRequestAddress("224.0.0.9")).toBe(-Err.EINVAL);
      expect(c.h.s.dhcpSetRequestAddress("0.1.2.3")).toBe(-Err.EINVAL);
      expect(c.h.s.dhcpSetRequestAddress(OFFER_IP)).toBe(0);
      expect(c.info()).toMatchObject({ state: ST.STOPPED, address: 0xc6336432 });
      expect(c.h.s.dhcpStart()).toBe(0);
      c.collect();
      expect(c.states()).toEqual([ST.INIT_REBOOT, ST.REBOOTING]);
      expect(c.last(DISCOVER)).toBeUndefined();
      const rb = c.last(REQUEST);
      expect(rb).toMatchObject({ srcIp: "0.0.0.0", dstIp: "255.255.255.255", ciaddr: "0.0.0.0" });
      expect(rb.opts.get(50)).toEqual(ipBytes(OFFER_IP));
      expect(rb.opts.has(54)).toBe(false);
      c.rx(reply(ACK, rb.xid));
      expect(c.info().state).toBe(ST.CHECKING);
      c.run(c.h.clock.now() + 10_000);
      expect(c.info().state).toBe(ST.BOUND);
      expect(c.h.s.ifaceInfo().address).toBe(OFFER_IP);
    });

    it("RFC 2131 §3.2 step 3: a NAK to the INIT-REBOOT REQUEST sends the client to INIT (DISCOVER, new xid, no option 50); the address is forgotten", () => {
      const c = client(build);
      c.h.s.dhcpSetRequestAddress("198.51.100.77");
      c.h.s.dhcpStart();
      c.collect();
      const rb = c.last(REQUEST);
      c.rx(reply(NAK, rb.xid));
      expect(c.states().slice(-2)).toEqual([ST.INIT, ST.SELECTING]);
      const d = c.last(DISCOVER);
      expect(d.xid).not.toBe(rb.xid);
      expect(d.opts.has(50)).toBe(false);
      expect(c.h.s.ifaceInfo().address).toBeNull();
      c.h.s.dhcpStop(false);
      expect(c.info().address).toBe(0); // not asked for again at the next start
    });

    it("RFC 2131 §3.2 / §4.1: no answer to INIT-REBOOT: the REQUEST is retransmitted with backoff (same xid), then the client falls back to INIT and DISCOVERs", () => {
      const c = client(build);
      c.h.s.dhcpSetRequestAddress(OFFER_IP);
      c.h.s.dhcpStart();
      c.run(200_000);
      const reqs = c.msgs.filter((m) => m.type === REQUEST);
      expect(reqs).toHaveLength(5); // the REQUEST and 4 retransmissions
      expect(new Set(reqs.map((r) => r.xid)).size).toBe(1);
      const gaps = reqs.slice(1).map((r, i) => r.t - reqs[i].t);
      [4000, 8000, 16000, 32000].forEach((g, i) => { expect(gaps[i]).toBeGreaterThanOrEqual(g - 1000); expect(gaps[i]).toBeLessThanOrEqual(g + 1000); });
      const d = c.msgs.find((m) => m.type === DISCOVER)!;
      expect(d).toBeDefined();
      expect(d.t).toBeGreaterThan(reqs[4].t);
      expect(c.states()).toContain(ST.INIT);
      expect(c.info().state).toBe(ST.SELECTING);
      expect(c.h.stat("dhcp_retransmits")).toBeGreaterThanOrEqual(4);
    });

    it("RFC 2132 §8.3: option 42 in the ACK gives the NTP servers (the first 3 kept), in dhcpInfo; they go with the lease", () => {
      const c = client(build);
      c.dora({ ntp: [NTP1, NTP2, "198.51.100.125", "198.51.100.126"] });
      expect(c.info()).toMatchObject({ state: ST.BOUND, ntpCount: 3, ntp0: 0xc633647b, ntp1: 0xc633647c, ntp2: 0xc633647d });
      expect(c.h.s.dhcpInfo().ntp).toEqual([NTP1, NTP2, "198.51.100.125"]);
      c.h.s.dhcpStop(true);
      expect(c.info()).toMatchObject({ ntpCount: 0, ntp0: 0 });
      expect(c.h.s.sntpStart(null, 64)).toBe(-Err.EADDRNOTAVAIL); // the list went with the lease
    });

    it("RFC 2132 §8.3: an option 42 whose length is not a non-zero multiple of 4 drops the message (dhcp_bad_option)", () => {
      const { c, d } = selecting(build);
      c.rx(reply(OFFER, d.xid));
      const req = c.last(REQUEST);
      c.rx(reply(ACK, req.xid, { extra: [42, 5, ...ipBytes(NTP1), 9] }));
      c.rx(reply(ACK, req.xid, { extra: [42, 0] }));
      expect(c.h.stat("dhcp_bad_option")).toBe(2);
      expect(c.info().state).toBe(ST.REQUESTING);
      c.rx(reply(ACK, req.xid, { ntp: [NTP1] }));
      expect(c.info()).toMatchObject({ state: ST.CHECKING });
      c.run(c.h.clock.now() + 10_000);
      expect(c.h.s.dhcpInfo().ntp).toEqual([NTP1]);
    });

    it("sntpStart(0) queries the lease's first NTP server, the next one after an unanswered request, and syncs from its reply; with no option 42 it is -EADDRNOTAVAIL", () => {
      const none = client(build);
      none.dora();
      expect(none.h.s.sntpStart(null, 64)).toBe(-Err.EADDRNOTAVAIL);
      expect(none.h.s.sntpInfo().state).toBe(0);

      const c = client(build, { ArpTimeoutMs: 100_000_000 });
      c.dora({ ntp: [NTP1, NTP2] });
      for (const ip of [NTP1, NTP2]) c.rx(arpFrom(2, NTP_MAC, ip, OFFER_IP)); // both resolved
      const mark = c.h.sent.length;
      expect(c.h.s.sntpStart(null, 64)).toBe(0);
      c.h.at(c.h.clock.now());
      const [first] = ntpRequests(c, mark);
      expect(first.dst).toBe(NTP1);
      expect(c.h.s.sntpInfo().server).toBe(0xc633647b);
      c.run(c.h.clock.now() + 1000); // RETRY_FIRST: 1 s without an answer
      const reqs = ntpRequests(c, mark);
      expect(reqs.map((r) => r.dst)).toEqual([NTP1, NTP2]);
      c.rx(ntpReply(NTP2, reqs[1]));
      const info = c.h.s.sntpInfo();
      expect(info).toMatchObject({ synced: 1, stratum: 2, server: 0xc633647c });
      expect(c.h.stat("sntp_timeouts")).toBe(1);
    });
  });
}
