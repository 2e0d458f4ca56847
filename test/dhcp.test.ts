// The DHCP client (RFC 2131) with RFC 5227 address conflict detection, in the core
// (assembly/services/dhcp.ts, assembly/wire/dhcp.ts), driven by a scripted DHCP server on the
// emulated link: one stack fed crafted frames (test/iface-harness.ts), a virtual clock, seeded
// entropy. Both builds (testing: SIMD, testing-mcu).
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Err } from "../src/abi.js";
import { createStack } from "../src/net.js";
import { statusPage } from "../src/services.js";
import { Sim } from "../src/links/emulated.js";
import { arp, eth, MAC_A, MAC_BCAST, macBytes, ipBytes } from "./wire-build.js";
import {
  ACK, arpFrom, client, decode, DECLINE, DISCOVER, DNS, hex, NAK, OFFER, OFFER_IP, OTHER_MAC, RELEASE, reply, replyBody, REQUEST,
  scriptedServer, selecting, SERVER, SERVER_MAC, ST,
} from "./dhcp-script.js";

for (const build of ["testing", "testing-mcu"] as const) {
  describe(`DHCP client (${build})`, () => {
    it("RFC 2131 §3.1: DISCOVER, OFFER, REQUEST, ACK; options per Table 5; the lease's address, prefix, router and DNS applied", () => {
      const c = client(build);
      expect(c.h.s.dhcpStart()).toBe(0);
      c.collect();
      const d = c.last(DISCOVER);
      expect(d).toBeDefined();
      expect(d).toMatchObject({ srcIp: "0.0.0.0", dstIp: "255.255.255.255", dstMac: MAC_BCAST, sport: 68, dport: 67, ciaddr: "0.0.0.0", chaddr: MAC_A, flags: 0 });
      expect(d.len).toBeGreaterThanOrEqual(300); // BOOTP minimum
      expect(d.opts.get(61)).toEqual([1, ...macBytes(MAC_A)]);
      expect(d.opts.get(55)).toEqual([1, 3, 6, 15, 42, 51, 58, 59]); // 42: NTP servers (RFC 2132 §8.3)
      expect(d.opts.get(57)!.length).toBe(2);
      expect((d.opts.get(57)![0] << 8) | d.opts.get(57)![1]).toBeGreaterThanOrEqual(576);
      expect(d.opts.has(50)).toBe(false);
      expect(d.opts.has(54)).toBe(false);
      expect(c.info()).toMatchObject({ state: ST.SELECTING, xid: d.xid });

      c.rx(reply(OFFER, d.xid, { dstIp: OFFER_IP, dstMac: MAC_A })); // unicast to the offered address, to our MAC
      const req = c.last(REQUEST);
      expect(req).toMatchObject({ xid: d.xid, srcIp: "0.0.0.0", dstIp: "255.255.255.255", ciaddr: "0.0.0.0" });
      expect(req.opts.get(50)).toEqual(ipBytes(OFFER_IP));
      expect(req.opts.get(54)).toEqual(ipBytes(SERVER));
      expect(req.opts.get(61)).toEqual([1, ...macBytes(MAC_A)]);
      expect(c.info().state).toBe(ST.REQUESTING);

      c.rx(reply(ACK, req.xid, { dns: [...DNS, "198.51.100.55", "198.51.100.56"] }));
      expect(c.info().state).toBe(ST.CHECKING);
      expect(c.h.s.ifaceInfo().address).toBeNull(); // not before ACD
      c.run(10_000);
      expect(c.info()).toMatchObject({ state: ST.BOUND, address: hex(0xc6336432), prefixLen: 24, router: hex(0xc6336401), serverId: hex(0xc6336401), leaseSecs: 120 });
      const ifc = c.h.s.ifaceInfo();
      expect(ifc).toMatchObject({ address: OFFER_IP, prefix: 24, gateway: SERVER });
      expect(ifc.dns).toEqual([...DNS, "198.51.100.55"]); // up to 3
      expect(c.states()).toEqual([ST.INIT, ST.SELECTING, ST.REQUESTING, ST.CHECKING, ST.BOUND]);
      expect(c.h.stat("dhcp_offers_rx")).toBe(1);
      expect(c.h.stat("dhcp_acks_rx")).toBe(1);
      expect(c.h.stat("dhcp_tx")).toBe(2);
    });

    it("RFC 5227 §2.1.1: three ARP probes with sender IP 0 (0-1 s, then 1-2 s apart), 2 s of silence, then two §2.3 announcements 2 s apart", () => {
      const c = client(build);
      c.dora();
      const probes = c.arps.filter((a) => a.spa === "0.0.0.0");
      expect(probes).toHaveLength(3);
      for (const p of probes) expect(p).toMatchObject({ op: "request", tpa: OFFER_IP, sha: MAC_A });
      expect(probes[0].t).toBeLessThanOrEqual(1000);
      for (let i = 1; i < 3; i++) {
        const gap = probes[i].t - probes[i - 1].t;
        expect(gap).toBeGreaterThanOrEqual(1000);
        expect(gap).toBeLessThanOrEqual(2000);
      }
      c.run(c.h.clock.now() + 5_000);
      const ann = c.arps.filter((a) => a.spa === OFFER_IP && a.tpa === OFFER_IP);
      expect(ann).toHaveLength(2); // ANNOUNCE_NUM 2, ANNOUNCE_INTERVAL 2 s
      for (const a of ann) expect(a).toMatchObject({ op: "request", sha: MAC_A });
      expect(ann[0].t - probes[2].t).toBeGreaterThanOrEqual(2000);
      expect(ann[1].t - ann[0].t).toBe(2000);
      expect(c.h.stat("dhcp_acd_probes_tx")).toBe(3);
    });

    it("RFC 5227 §2.1.1: an ARP reply for the offered address from another MAC is a conflict: DHCPDECLINE, then DISCOVER after 10 s (RFC 2131 §3.1.5)", () => {
      const c = client(build);
      c.h.s.dhcpStart();
      c.collect();
      c.rx(reply(OFFER, c.last(DISCOVER).xid));
      const req = c.last(REQUEST);
      c.rx(reply(ACK, req.xid));
      c.run(c.h.clock.now() + 1500); // at least one probe out
      c.rx(arpFrom(2, OTHER_MAC, OFFER_IP, "0.0.0.0"));
      const dec = c.last(DECLINE);
      expect(dec).toBeDefined();
      expect(dec).toMatchObject({ dstIp: "255.255.255.255", ciaddr: "0.0.0.0", secs: 0 });
      expect(dec.opts.get(50)).toEqual(ipBytes(OFFER_IP));
      expect(dec.opts.get(54)).toEqual(ipBytes(SERVER));
      expect(c.h.stat("dhcp_acd_conflicts")).toBe(1);
      expect(c.h.stat("dhcp_declines_tx")).toBe(1);
      expect(c.h.s.ifaceInfo().address).toBeNull();
      expect(c.info()).toMatchObject({ state: ST.INIT, declines: 1 });
      const tDec = c.h.clock.now();
      const nDisc = c.msgs.filter((m) => m.type === DISCOVER).length;
      c.run(tDec + 9_000);
      expect(c.msgs.filter((m) => m.type === DISCOVER).length).toBe(nDisc);
      c.run(tDec + 10_500);
      const d2 = c.last(DISCOVER);
      expect(c.msgs.filter((m) => m.type === DISCOVER).length).toBe(nDisc + 1);
      expect(d2.t - tDec).toBeGreaterThanOrEqual(10_000);
      expect(d2.xid).not.toBe(req.xid);
      expect(c.states().slice(-3)).toEqual([ST.CHECKING, ST.INIT, ST.SELECTING]);
    });

    it("RFC 5227 §2.1.1: a probe for the same address from another host (sender IP 0) is a conflict too; our own ARP for another address is not", () => {
      const c = client(build);
      c.h.s.dhcpStart();
      c.collect();
      c.rx(reply(OFFER, c.last(DISCOVER).xid));
      c.rx(reply(ACK, c.last(REQUEST).xid));
      c.rx(arpFrom(1, OTHER_MAC, "198.51.100.9", "198.51.100.10")); // unrelated
      expect(c.info().state).toBe(ST.CHECKING);
      c.rx(arpFrom(1, OTHER_MAC, "0.0.0.0", OFFER_IP));
      expect(c.last(DECLINE)).toBeDefined();
      expect(c.h.stat("dhcp_acd_conflicts")).toBe(1);
    });

    it("DhcpFlags bit 1 skips ACD (BOUND at the ACK); bit 0 sets the BROADCAST flag (RFC 2131 §4.1)", () => {
      const { c, d } = selecting(build, { DhcpFlags: 3 });
      expect(d.flags).toBe(0x8000);
      c.rx(reply(OFFER, d.xid));
      expect(c.last(REQUEST).flags).toBe(0x8000);
      c.rx(reply(ACK, d.xid));
      expect(c.info().state).toBe(ST.BOUND);
      expect(c.arps.filter((a) => a.spa === "0.0.0.0")).toHaveLength(0);
    });

    it("RFC 2131 §4.4.5: at T1 a REQUEST unicast to the server (ciaddr, no options 50/54); the ACK extends the lease", () => {
      const c = client(build);
      const req = c.dora({ lease: 100, t1: 50, t2: 80 });
      const start = req.t;
      expect(c.info()).toMatchObject({ state: ST.BOUND, leaseSecs: 100 });
      const i0 = c.info();
      expect(i0.t1Left).toBeLessThanOrEqual(50);
      expect(i0.t1Left).toBeGreaterThanOrEqual(40);
      c.run(start + 49_000);
      expect(c.msgs.filter((m) => m.type === REQUEST)).toHaveLength(1);
      c.run(start + 50_000);
      expect(c.info().state).toBe(ST.RENEWING);
      // unicast to the server: ARP for it first
      const who = c.arps.filter((a) => a.op === "request" && a.tpa === SERVER);
      expect(who).toHaveLength(1);
      c.rx(eth(MAC_A, SERVER_MAC, 0x0806, arp(2, SERVER_MAC, SERVER, MAC_A, OFFER_IP)));
      const ren = c.last(REQUEST);
      expect(ren).toMatchObject({ srcIp: OFFER_IP, dstIp: SERVER, dstMac: SERVER_MAC, ciaddr: OFFER_IP });
      expect(ren.xid).not.toBe(req.xid);
      expect(ren.opts.has(50)).toBe(false);
      expect(ren.opts.has(54)).toBe(false);
      c.rx(reply(ACK, ren.xid, { dstIp: OFFER_IP, lease: 100, t1: 50, t2: 80 }));
      expect(c.info()).toMatchObject({ state: ST.BOUND, t1Left: 50, leaseLeft: 100 });
      expect(c.h.s.ifaceInfo().address).toBe(OFFER_IP);
      expect(c.states().slice(-2)).toEqual([ST.RENEWING, ST.BOUND]);
    });

    it("RFC 2131 §4.4.5: defaults T1 = 0.5 and T2 = 0.875 of the lease; at T2 a REQUEST broadcast (REBINDING); expiry removes the address and aborts TCP with EADDRNOTAVAIL", () => {
      const c = client(build);
      const req = c.dora({ lease: 40 });
      const start = req.t;
      expect(c.info()).toMatchObject({ state: ST.BOUND, leaseSecs: 40 });
      // a TCP connection on the leased address (SYN-SENT to the server)
      const x = c.h.s.exports;
      const t = x.tcpOpen();
      expect(x.tcpConnect(t, 0xc6336401, 80)).toBe(0);
      c.run(start + 19_999);
      expect(c.info().state).toBe(ST.BOUND);
      c.run(start + 20_000);
      expect(c.info().state).toBe(ST.RENEWING);
      c.run(start + 34_999);
      expect(c.info().state).toBe(ST.RENEWING);
      c.run(start + 35_000);
      expect(c.info().state).toBe(ST.REBINDING);
      const reb = c.last(REQUEST);
      expect(reb).toMatchObject({ dstIp: "255.255.255.255", dstMac: MAC_BCAST, srcIp: OFFER_IP, ciaddr: OFFER_IP });
      expect(reb.opts.has(54)).toBe(false);
      expect(x.tcpState(t)).not.toBe(0);
      c.run(start + 40_000);
      expect(c.h.stat("dhcp_lease_expired")).toBe(1);
      expect(c.h.s.ifaceInfo().address).toBeNull();
      expect(c.h.s.ifaceInfo().dns).toEqual([]);
      const io = x.ioBuffer();
      expect(x.tcpInfo(t, io)).toBe(0);
      const ti = new Uint32Array(c.h.s.exports.memory.buffer, io, 19);
      expect(ti[0]).toBe(0); // CLOSED
      expect(ti[18]).toBe(Err.EADDRNOTAVAIL);
      expect(c.states().slice(-4)).toEqual([ST.RENEWING, ST.REBINDING, ST.INIT, ST.SELECTING]);
      expect(c.last(DISCOVER).t).toBe(start + 40_000);
    });

    it("RFC 2131 §3.1 step 5: a NAK to the REQUEST returns to INIT and DISCOVERs again with a new xid", () => {
      const { c, d } = selecting(build);
      c.rx(reply(OFFER, d.xid));
      c.rx(reply(NAK, d.xid));
      expect(c.h.stat("dhcp_naks_rx")).toBe(1);
      const d2 = c.last(DISCOVER);
      expect(d2.xid).not.toBe(d.xid);
      expect(c.states()).toEqual([ST.INIT, ST.SELECTING, ST.REQUESTING, ST.INIT, ST.SELECTING]);
    });

    it("RFC 2131 §4.4.5: a NAK while RENEWING removes the address at once", () => {
      const c = client(build);
      const req = c.dora({ lease: 100 });
      c.run(req.t + 50_000);
      c.rx(eth(MAC_A, SERVER_MAC, 0x0806, arp(2, SERVER_MAC, SERVER, MAC_A, OFFER_IP)));
      const ren = c.last(REQUEST);
      c.rx(reply(NAK, ren.xid, { dstIp: OFFER_IP }));
      expect(c.h.s.ifaceInfo().address).toBeNull();
      expect(c.info().state).toBe(ST.SELECTING);
    });

    it("RFC 2131 §4.1: DISCOVER retransmitted after 4, 8, 16, 32, 64, 64 s (each ±1 s) with the same xid", () => {
      const c = client(build);
      c.h.s.dhcpStart();
      c.run(200_000);
      const ds = c.msgs.filter((m) => m.type === DISCOVER);
      expect(ds.length).toBe(7);
      const gaps = ds.slice(1).map((m, i) => m.t - ds[i].t);
      [4000, 8000, 16000, 32000, 64000, 64000].forEach((g, i) => {
        expect(gaps[i]).toBeGreaterThanOrEqual(g - 1000);
        expect(gaps[i]).toBeLessThanOrEqual(g + 1000);
      });
      expect(new Set(ds.map((m) => m.xid)).size).toBe(1);
      expect(ds[3].secs).toBeGreaterThanOrEqual(27); // secs since acquisition began
      expect(c.h.stat("dhcp_retransmits")).toBe(6);
      expect(c.info().retries).toBe(6);
    });

    it("RFC 2131 §4.1/§3.1: an unanswered REQUEST is retransmitted with backoff, then the client starts over with DISCOVER", () => {
      const { c, d } = selecting(build);
      c.rx(reply(OFFER, d.xid));
      c.run(c.h.clock.now() + 200_000);
      const reqs = c.msgs.filter((m) => m.type === REQUEST);
      expect(reqs).toHaveLength(5);
      const gaps = reqs.slice(1).map((m, i) => m.t - reqs[i].t);
      [4000, 8000, 16000, 32000].forEach((g, i) => { expect(Math.abs(gaps[i] - g)).toBeLessThanOrEqual(1000); });
      const ds = c.msgs.filter((m) => m.type === DISCOVER);
      expect(ds.length).toBeGreaterThanOrEqual(2);
      expect(ds[1].xid).not.toBe(d.xid);
      expect(ds[1].t - reqs[4].t).toBeGreaterThanOrEqual(63_000);
    });

    it("RFC 2131 §4.1 and §2: replies with another xid, another chaddr, op BOOTREQUEST, a source port other than 67 are dropped and counted", () => {
      const { c, d } = selecting(build);
      c.rx(reply(OFFER, d.xid ^ 1));
      c.rx(reply(OFFER, d.xid, { chaddr: OTHER_MAC }));
      c.rx(reply(OFFER, d.xid, { op: 1 }));
      c.rx(reply(OFFER, d.xid, { sport: 68 }));
      expect(c.h.stat("dhcp_bad_xid")).toBe(1);
      expect(c.h.stat("dhcp_bad_chaddr")).toBe(1);
      expect(c.h.stat("dhcp_bad_op")).toBe(1);
      expect(c.h.stat("dhcp_bad_port")).toBe(1);
      expect(c.info().state).toBe(ST.SELECTING);
      expect(c.msgs.filter((m) => m.type === REQUEST)).toHaveLength(0);
      c.rx(reply(OFFER, d.xid));
      expect(c.info().state).toBe(ST.REQUESTING);
    });

    it("RFC 2131 §3 / RFC 2132 §2-3: malformed replies are dropped and counted: truncated header, bad cookie, option length past the end, no END, missing message type, option overload (52) refused, bad option lengths", () => {
      const { c, d } = selecting(build);
      const good = replyBody(OFFER, d.xid);
      c.rx(reply(OFFER, d.xid, { raw: good.slice(0, 200) }));
      expect(c.h.stat("dhcp_truncated")).toBe(1);
      c.rx(reply(OFFER, d.xid, { cookie: 0x63825364 }));
      expect(c.h.stat("dhcp_bad_cookie")).toBe(1);
      c.rx(reply(OFFER, d.xid, { raw: [...good.slice(0, -1), 6, 40, 1, 2, 3, 4] })); // 40 bytes announced, 4 there
      expect(c.h.stat("dhcp_truncated")).toBe(2);
      c.rx(reply(OFFER, d.xid, { raw: [...good.slice(0, -1), 12] })); // a code without its length octet
      expect(c.h.stat("dhcp_truncated")).toBe(3);
      c.rx(reply(OFFER, d.xid, { noEnd: true }));
      expect(c.h.stat("dhcp_truncated")).toBe(4);
      c.rx(reply(OFFER, d.xid, { noType: true }));
      expect(c.h.stat("dhcp_no_msg_type")).toBe(1);
      c.rx(reply(OFFER, d.xid, { extra: [52, 1, 3] }));
      expect(c.h.stat("dhcp_overload")).toBe(1);
      c.rx(reply(OFFER, d.xid, { extra: [51, 2, 0, 1] }));
      c.rx(reply(OFFER, d.xid, { extra: [6, 5, 1, 2, 3, 4, 5] }));
      c.rx(reply(OFFER, d.xid, { raw: [...good.slice(0, 240), 53, 2, 2, 2, 255] }));
      expect(c.h.stat("dhcp_bad_option")).toBe(3);
      c.rx(reply(OFFER, d.xid, { serverId: null }));           // an OFFER must name its server
      c.rx(reply(OFFER, d.xid, { yiaddr: "0.0.0.0" }));
      c.rx(reply(OFFER, d.xid, { yiaddr: "224.0.0.1" }));
      expect(c.h.stat("dhcp_bad_offer")).toBe(3);
      c.rx(reply(ACK, d.xid));                                  // an ACK in SELECTING
      expect(c.h.stat("dhcp_unexpected")).toBe(1);
      expect(c.info().state).toBe(ST.SELECTING);
      expect(c.msgs.filter((m) => m.type === REQUEST)).toHaveLength(0);
      // pads are skipped; a good offer still works
      c.rx(reply(OFFER, d.xid, { raw: [...good.slice(0, 240), 0, 0, ...good.slice(240)] }));
      expect(c.info().state).toBe(ST.REQUESTING);
    });

    it("RFC 2131 §4.3.1 Table 3: an ACK without a lease time (option 51) is not used", () => {
      const { c, d } = selecting(build);
      c.rx(reply(OFFER, d.xid));
      c.rx(reply(ACK, d.xid, { noLease: true }));
      expect(c.h.stat("dhcp_bad_offer")).toBe(1);
      expect(c.info().state).toBe(ST.REQUESTING);
    });

    it("RFC 2131 §4.4.6: dhcpStop(1) sends a DHCPRELEASE (ciaddr, server id) and removes the address; dhcpStop(0) keeps it for INIT-REBOOT (§3.2: REQUEST with option 50, no 54)", () => {
      const c = client(build);
      c.dora();
      expect(c.h.s.dhcpStop(false)).toBe(0);
      expect(c.h.s.ifaceInfo().address).toBeNull();
      expect(c.info()).toMatchObject({ state: ST.STOPPED, address: hex(0xc6336432) });
      expect(c.last(RELEASE)).toBeUndefined();
      expect(c.h.s.dhcpStart()).toBe(0);
      c.collect();
      const rb = c.last(REQUEST);
      expect(c.info().state).toBe(ST.REBOOTING);
      expect(rb).toMatchObject({ dstIp: "255.255.255.255", ciaddr: "0.0.0.0" });
      expect(rb.opts.get(50)).toEqual(ipBytes(OFFER_IP));
      expect(rb.opts.has(54)).toBe(false);
      c.rx(reply(ACK, rb.xid));
      c.run(c.h.clock.now() + 10_000);
      expect(c.info().state).toBe(ST.BOUND);
      expect(c.h.s.ifaceInfo().address).toBe(OFFER_IP);
      expect(c.h.s.dhcpStop(true)).toBe(0);
      const rel = c.last(RELEASE);
      expect(rel).toMatchObject({ ciaddr: OFFER_IP, srcIp: OFFER_IP, secs: 0 });
      expect(rel.opts.get(54)).toEqual(ipBytes(SERVER));
      expect(c.h.stat("dhcp_releases_tx")).toBe(1);
      expect(c.h.s.ifaceInfo().address).toBeNull();
      expect(c.info()).toMatchObject({ state: ST.STOPPED, address: 0 });
      // forgotten: the next start DISCOVERs
      c.h.s.dhcpStart();
      c.collect();
      expect(c.info().state).toBe(ST.SELECTING);
    });

    it("RFC 2131 §4.4.6: the RELEASE goes unicast to the server when its MAC is known", () => {
      const c = client(build);
      c.dora();
      c.rx(eth(MAC_A, SERVER_MAC, 0x0806, arp(1, SERVER_MAC, SERVER, "00:00:00:00:00:00", OFFER_IP))); // the server ARPs us
      c.h.s.dhcpStop(true);
      expect(c.last(RELEASE)).toMatchObject({ dstIp: SERVER, dstMac: SERVER_MAC });
    });

    it("RFC 2131 §3.3: leases of 2^32-1 s (infinite) and 2^32-2 s: no overflow, no renewal, deadlines capped", () => {
      const c = client(build);
      c.dora({ lease: 0xffffffff });
      expect(c.info()).toMatchObject({ state: ST.BOUND, leaseSecs: 0xffffffff, leaseLeft: 0xffffffff, t1Left: 0 });
      c.run(c.h.clock.now() + 5_000_000_000);
      expect(c.info().state).toBe(ST.BOUND);
      const d = client(build);
      d.dora({ lease: 0xfffffffe });
      const i = d.info();
      expect(i.state).toBe(ST.BOUND);
      expect(i.t1Left).toBeGreaterThan(0x7fff0000);
      expect(i.leaseLeft).toBeGreaterThan(0xfff00000);
      const r = d.h.s.poll();
      expect(r).toBeGreaterThan(0);
      expect(r).toBeLessThanOrEqual(0x40000000);
      d.run(d.h.clock.now() + 4_000_000_000); // past a u32 ms wrap
      expect(d.info().state).toBe(ST.BOUND);
      expect(d.info().t1Left).toBeLessThan(i.t1Left);
    });

    it("API misuse gets a clear negative Err: start twice, stop when stopped, out-of-memory info pointer, no UDP socket free", () => {
      const c = client(build);
      expect(c.h.s.exports.dhcpStop(0)).toBe(-Err.ENOTCONN);
      expect(c.h.s.dhcpStart()).toBe(0);
      expect(c.h.s.dhcpStart()).toBe(-Err.EALREADY);
      expect(c.h.s.exports.dhcpInfo(0xfffffff0)).toBe(-Err.EINVAL);
      const u = client(build, { UdpSockets: 0 });
      expect(u.h.s.dhcpStart()).toBe(-Err.ENOMEM);
      const b = client(build);
      const s = b.h.s.udpOpen();
      b.h.s.udpBind(s, 68);
      expect(b.h.s.dhcpStart()).toBe(-Err.EADDRINUSE);
    });

    it("never traps: random and mutated replies in every state (fast-check)", () => {
      const { c, d } = selecting(build);
      const base = replyBody(OFFER, d.xid);
      fc.assert(fc.property(
        fc.array(fc.tuple(fc.nat(base.length + 40), fc.integer({ min: 0, max: 255 })), { maxLength: 12 }),
        fc.nat(base.length + 60),
        fc.integer({ min: 1, max: 6 }),
        (muts, cut, type) => {
          const b = replyBody(type, c.info().xid);
          for (const [i, v] of muts) if (i < b.length) b[i] = v; else b.push(v);
          c.rx(reply(type, 0, { raw: b.slice(0, Math.max(cut, 1)) }));
          c.run(c.h.clock.now() + 3000);
          return true;
        },
      ), { numRuns: 300, seed: 42 });
      expect(c.h.stat("dhcp_rx")).toBeGreaterThan(0);
    });
  });
}

describe("createStack({ ip: \"dhcp\" }) on the emulated link", () => {
  it("starts without an address, runs DORA against a scripted server and emits 'dhcp' states, 'bound' and 'address' with the lease", async () => {
    const sim = new Sim({ seed: 5 });
    const link = sim.link({ delayMs: 1 });
    const msgs = scriptedServer(link, () => sim.now(), (m) =>
      m.type === DISCOVER ? reply(OFFER, m.xid) : m.type === REQUEST ? reply(ACK, m.xid, { lease: 3600 }) : null);
    const seen = () => msgs.map((m) => m.type);
    const net = createStack({ ip: "dhcp", mac: MAC_A, link: { type: "emulated", sim, link }, seed: 9 });
    const states: string[] = [];
    const addrs: (string | null)[] = [];
    net.on("dhcp", (st: string) => states.push(st));
    net.on("address", (info: { address: string | null }) => addrs.push(info.address));
    expect(net.address).toBe("0.0.0.0");
    expect(await net.until(() => net.address === OFFER_IP, 30_000)).toBe(true);
    await net.until(() => false, 10); // let queued events out
    expect(net.ifaceInfo()).toMatchObject({ address: OFFER_IP, prefix: 24, gateway: SERVER, dns: DNS });
    expect(net.dhcpInfo()).toMatchObject({ state: "BOUND", address: OFFER_IP, serverId: SERVER, leaseSecs: 3600 });
    expect(seen()).toEqual([DISCOVER, REQUEST]);
    expect(states).toEqual(["INIT", "SELECTING", "REQUESTING", "CHECKING", "BOUND", "bound"]); // state names, then the lease event
    expect(addrs).toContain(OFFER_IP);
    net.dhcpStop(true);
    await net.until(() => false, 10);
    expect(seen().at(-1)).toBe(RELEASE);
    expect(net.address).toBe("0.0.0.0");
    net.close();
  });

  it("the status page shows the DHCP state and lease (address, server, router, seconds left, T1/T2) and the leased address", async () => {
    const sim = new Sim({ seed: 6 });
    const link = sim.link({ delayMs: 1 });
    let send: ((f: Uint8Array) => void) | null = null;
    link.attach({
      name: "dhcp-server",
      attach(fn) { send = fn; },
      input(frame) {
        const m = decode(frame, 0);
        if (m && send && m.type === DISCOVER) send(reply(OFFER, m.xid));
        if (m && send && m.type === REQUEST) send(reply(ACK, m.xid, { lease: 3600 }));
      },
    });
    const net = createStack({ ip: "dhcp", mac: MAC_A, link: { type: "emulated", sim, link }, seed: 9, config: { DhcpFlags: 2 } });
    expect(statusPage(net)).toMatch(/^wasm-tcpip \(no address\)\nuptime [\d.]+ s\ndhcp: (INIT|SELECTING)\n/);
    expect(await net.until(() => net.dhcpInfo().state === "BOUND", 30_000)).toBe(true);
    const t0 = net.now();
    await net.until(() => false, 100_000); // 100 s into the lease
    const page = statusPage(net); // polls the core first: its lease clock is as of the latest poll
    const d = net.dhcpInfo();
    const left = 3600 - Math.round((net.now() - t0) / 1000);
    expect(left).toBeLessThanOrEqual(3500);
    expect(Math.abs(d.leaseLeft - left)).toBeLessThanOrEqual(1);
    expect(page.split("\n")[0]).toBe(`wasm-tcpip ${OFFER_IP}/24`);
    expect(page.split("\n")[2]).toBe(`dhcp: BOUND ${OFFER_IP}/24 server ${SERVER} router ${SERVER} ` +
      `lease 3600 s, ${d.leaseLeft} s left (T1 in ${d.t1Left} s, T2 in ${d.t2Left} s)`);
    expect(d.t1Left).toBe(d.leaseLeft - 1800); // T1 = 0.5 and T2 = 0.875 of the lease
    expect(d.t2Left).toBe(d.leaseLeft - 450);
    net.close();
  });
});
