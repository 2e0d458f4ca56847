// IPv6 fragments on the emulated link with a virtual clock, both testing builds: reassembly
// (RFC 8200 §4.5), overlaps (RFC 5722), the first fragment's header chain (RFC 7112), atomic
// fragments (RFC 6946), and fragmentation on send checked by an independent reassembler here.
import { describe, expect, it } from "vitest";
import { harness } from "./iface-harness.js";
import { frame6, icmp6, icmp6Checksum, nsBody, optLla, parse6, solicitedNode, u16be, u32be, type Out6 } from "./ipv6-wire.js";
import { EUI64, LL, NO_RS, OUR_MAC, PEER, PEER_MAC } from "./ipv6-harness.js";

const BUILDS = ["testing", "testing-mcu"] as const;

function setup(build: (typeof BUILDS)[number], config: Record<string, number> = {}) {
  const h = harness({ build, config: { Ip6Enable: 1, Ip6Flags: EUI64 | NO_RS, ...config } });
  let taken = 0;
  const out = (): Out6[] => {
    const r = h.sent.slice(taken).map(parse6).filter((x): x is Out6 => x !== null);
    taken = h.sent.length;
    return r;
  };
  h.at(1000); // DAD of the link-local address done
  // the peer announces itself (NS with its link-layer address): replies need no resolution
  h.rx(frame6(PEER_MAC, OUR_MAC, { src: PEER, dst: solicitedNode(LL), nh: 58, hops: 255 }, icmp6(PEER, solicitedNode(LL), 135, 0, nsBody(LL, optLla(1, PEER_MAC)))));
  out();
  /** A packet from PEER to us whose payload (after the base header) is `payload` with next header `nh`. */
  const send = (nh: number, payload: number[]) => h.rx(frame6(PEER_MAC, OUR_MAC, { src: PEER, dst: LL, nh, hops: 64 }, payload));
  /** One fragment: fragment header (next header `next`, byte offset `off`, M flag `more`, id) + data. */
  const frag = (next: number, off: number, more: boolean, data: number[], id = 0x01020304, before: number[] = []) =>
    send(before.length ? before[0] : 44, [...before.slice(1), ...fragHdr(next, off, more, id), ...data]);
  return { h, out, send, frag };
}

const fragHdr = (next: number, off: number, more: boolean, id: number) => [next, 0, ...u16be(off | (more ? 1 : 0)), ...u32be(id)];
const pattern = (n: number, seed = 0) => Array.from({ length: n }, (_, i) => (i * 7 + seed) & 255);
const echoReq = (seq: number, data: number[]) => icmp6(PEER, LL, 128, 0, [0, 7, ...u16be(seq), ...data]);
const ptr = (f: Out6) => new DataView(f.payload.buffer, f.payload.byteOffset).getUint32(4);

/** The test's own reassembler (RFC 8200 §4.5) over frames we sent: checks and returns the upper-layer message. */
function reassemble(frames: Out6[]): { nh: number; msg: Uint8Array; id: number; sizes: number[]; mFlags: boolean[] } {
  const parts: { off: number; more: boolean; data: Uint8Array; id: number; next: number }[] = [];
  for (const f of frames) {
    expect(f.nh).toBe(44);
    const ip = f.raw.subarray(14);
    const plen = (ip[4] << 8) | ip[5];
    const fh = ip.subarray(40, 48);
    const fo = (fh[2] << 8) | fh[3];
    parts.push({ off: fo & 0xfff8, more: (fo & 1) === 1, data: ip.subarray(48, 40 + plen), id: new DataView(fh.buffer, fh.byteOffset).getUint32(4), next: fh[0] });
  }
  const total = Math.max(...parts.map((p) => p.off + p.data.length));
  const msg = new Uint8Array(total);
  const covered = new Uint8Array(total);
  for (const p of parts) {
    expect(covered.subarray(p.off, p.off + p.data.length).every((c) => c === 0)).toBe(true); // no overlaps
    msg.set(p.data, p.off);
    covered.fill(1, p.off, p.off + p.data.length);
  }
  expect(covered.every((c) => c === 1)).toBe(true);
  return { nh: parts[0].next, msg, id: parts[0].id, sizes: parts.map((p) => p.data.length), mFlags: parts.map((p) => p.more) };
}

/** The echo request of 3000 data bytes (3008-byte ICMPv6 message) cut as a sender with MTU 1500 would: 1448 + 1448 + 112. */
function bigEcho(seq: number) {
  const m = echoReq(seq, pattern(3000));
  return { m, pieces: [[0, m.slice(0, 1448)], [1448, m.slice(1448, 2896)], [2896, m.slice(2896)]] as [number, number[]][] };
}

for (const build of BUILDS) {
  describe(`IPv6 reassembly (RFC 8200 §4.5), ${build}`, () => {
    it("RFC 8200 §4.5: a 3000-byte echo request in three fragments is reassembled and answered in fragments that fit the MTU, each a multiple of 8 but the last, M on all but the last, one identification", () => {
      const { h, out, frag } = setup(build);
      const { pieces } = bigEcho(1);
      for (const [off, d] of pieces) frag(58, off, off !== 2896, d);
      expect(h.stat("ipv6_reasm_ok")).toBe(1);
      const sent = out();
      expect(sent.length).toBe(3);
      for (const f of sent) {
        expect(f.raw.length).toBeLessThanOrEqual(1514);
        expect(f).toMatchObject({ src: LL, dst: PEER, dstMac: PEER_MAC });
      }
      const r = reassemble(sent);
      expect(r.nh).toBe(58);
      expect(r.sizes.slice(0, -1).every((n) => n % 8 === 0)).toBe(true);
      expect(r.mFlags).toEqual([true, true, false]);
      expect(new Set(sent.map((f) => new DataView(f.raw.buffer, f.raw.byteOffset + 58).getUint32(0))).size).toBe(1);
      expect(r.msg[0]).toBe(129);
      expect(Array.from(r.msg.subarray(4))).toEqual([0, 7, 0, 1, ...pattern(3000)]);
      const c = (r.msg[2] << 8) | r.msg[3];
      const z = Array.from(r.msg); z[2] = 0; z[3] = 0;
      expect(icmp6Checksum(LL, PEER, z)).toBe(c);
      expect([h.stat("ipv6_frag_tx"), h.stat("icmp6_echo_replies_tx")]).toEqual([3, 1]);
    });

    it("RFC 8200 §4.5: fragments out of order, with an exact duplicate (ignored), are reassembled once", () => {
      const { h, out, frag } = setup(build);
      const { pieces } = bigEcho(2);
      frag(58, pieces[2][0], false, pieces[2][1]);
      frag(58, pieces[1][0], true, pieces[1][1]);
      frag(58, pieces[1][0], true, pieces[1][1]);
      expect(out()).toHaveLength(0);
      frag(58, pieces[0][0], true, pieces[0][1]);
      expect([h.stat("ipv6_frag_duplicate"), h.stat("ipv6_reasm_ok"), h.stat("icmp6_echo_replies_tx")]).toEqual([1, 1, 1]);
      expect(reassemble(out()).msg[0]).toBe(129);
    });

    it("RFC 8200 §4.5: fragments of two packets (different identifications) are kept apart", () => {
      const { h, out, frag } = setup(build);
      const a = bigEcho(3), b = bigEcho(4);
      for (let i = 0; i < 3; i++) {
        frag(58, a.pieces[i][0], i < 2, a.pieces[i][1], 11);
        frag(58, b.pieces[i][0], i < 2, b.pieces[i][1], 12);
      }
      expect(h.stat("ipv6_reasm_ok")).toBe(2);
      const sent = out();
      const seqs = [reassemble(sent.slice(0, 3)), reassemble(sent.slice(3))].map((r) => r.msg[7]);
      expect(seqs).toEqual([3, 4]);
    });

    it("RFC 5722 §4: an overlapping fragment abandons the packet silently, and its later fragments are dropped until the timeout (no Time Exceeded)", () => {
      const { h, out, frag } = setup(build);
      const { pieces } = bigEcho(5);
      frag(58, 0, true, pieces[0][1]);
      frag(58, 1440, true, pieces[1][1].slice(0, 16)); // covers 1440..1456: overlaps the first
      expect(h.stat("ipv6_frag_overlap")).toBe(1);
      frag(58, pieces[1][0], true, pieces[1][1]);
      frag(58, pieces[2][0], false, pieces[2][1]);
      expect([h.stat("ipv6_frag_abandoned"), h.stat("ipv6_reasm_ok")]).toEqual([2, 0]);
      h.at(1000 + 60000);
      expect(out().filter((f) => f.upper === 58 && f.type < 128)).toHaveLength(0);
      expect(h.stat("ipv6_reasm_timeout")).toBe(0);
      // after its timeout the identification may start a new packet
      for (const [off, d] of pieces) frag(58, off, off !== 2896, d);
      expect(h.stat("ipv6_reasm_ok")).toBe(1);
    });

    it("RFC 8200 §4.5: 60 s after the first fragment arrived an incomplete packet expires with Time Exceeded code 1 quoting the first fragment; without the offset-0 fragment, no ICMP", () => {
      const { h, out, frag } = setup(build);
      const { pieces } = bigEcho(6);
      frag(58, 0, true, pieces[0][1], 21);
      frag(58, pieces[2][0], false, pieces[2][1], 22); // only a later fragment of another packet
      expect(h.at(1000 + 59999)).toBeLessThanOrEqual(1);
      expect(out().filter((f) => f.upper === 58 && f.type < 128)).toHaveLength(0);
      h.at(1000 + 60000);
      const te = out().filter((f) => f.upper === 58 && f.type === 3);
      expect(te).toHaveLength(1);
      expect(te[0]).toMatchObject({ code: 1, dst: PEER, src: LL });
      const q = te[0].payload.subarray(8);
      expect(q[6]).toBe(44); // the quoted packet is the first fragment
      expect(new DataView(q.buffer, q.byteOffset).getUint32(44)).toBe(21);
      expect(te[0].raw.length).toBeLessThanOrEqual(14 + 1280);
      expect(h.stat("ipv6_reasm_timeout")).toBe(2);
    });

    it("RFC 7112 §5 / RFC 8200 §4.5: a first fragment without the whole header chain is dropped with parameter problem code 3, pointer 0", () => {
      const { h, out, frag } = setup(build);
      // a Destination Options header saying 24 bytes, only 8 in the fragment
      frag(60, 0, true, [58, 2, 1, 4, 0, 0, 0, 0]);
      // a TCP header cut after 8 bytes
      frag(6, 0, true, pattern(8));
      const pp = out().filter((f) => f.upper === 58 && f.type === 4);
      expect(pp.map((f) => [f.code, ptr(f)])).toEqual([[3, 0], [3, 0]]);
      expect(h.stat("ipv6_frag_incomplete_chain")).toBe(2);
    });

    it("RFC 8200 §4.5: a non-last fragment not a multiple of 8 bytes gets parameter problem code 0 pointing to the Payload Length", () => {
      const { h, out, frag } = setup(build);
      frag(58, 0, true, echoReq(1, pattern(13)));
      const pp = out().filter((f) => f.upper === 58 && f.type === 4);
      expect(pp.map((f) => [f.code, ptr(f)])).toEqual([[0, 4]]);
      expect(h.stat("ipv6_frag_misaligned")).toBe(1);
    });

    it("RFC 8200 §4.5: a fragment that would make the payload pass 65,535 bytes gets parameter problem code 0 pointing to the Fragment Offset", () => {
      const { h, out, frag } = setup(build);
      frag(58, 65528, false, pattern(16));
      const pp = out().filter((f) => f.upper === 58 && f.type === 4);
      expect(pp.map((f) => [f.code, ptr(f)])).toEqual([[0, 42]]);
      expect(h.stat("ipv6_frag_past_64k")).toBe(1);
    });

    it("RFC 8200 §4.5: a fragment past ReasmMaxBytes drops its packet (counted)", () => {
      const { h, out, frag } = setup(build, { ReasmMaxBytes: 2048 });
      const { pieces } = bigEcho(7);
      for (const [off, d] of pieces) frag(58, off, off !== 2896, d);
      expect(h.stat("ipv6_frag_too_big")).toBe(2);
      expect(h.stat("ipv6_reasm_ok")).toBe(0);
      expect(out()).toHaveLength(0);
    });

    it("RFC 6946 §4: an atomic fragment is processed at once, without reassembly", () => {
      const { h, out, frag } = setup(build);
      frag(58, 0, false, echoReq(9, [1, 2, 3]));
      expect(out().filter((f) => f.type === 129)).toHaveLength(1);
      expect([h.stat("ipv6_atomic_fragments"), h.stat("ipv6_frag_rx")]).toEqual([1, 0]);
    });

    it("Reasm6Slots 0: every fragment but an atomic one is dropped (ipv6_frag_no_reasm)", () => {
      const { h, out, frag } = setup(build, { Reasm6Slots: 0 });
      const { pieces } = bigEcho(8);
      for (const [off, d] of pieces) frag(58, off, off !== 2896, d);
      expect(h.stat("ipv6_frag_no_reasm")).toBe(3);
      expect(out()).toHaveLength(0);
    });

    it("all slots busy: a new packet evicts the oldest incomplete one", () => {
      const { h, frag } = setup(build, { Reasm6Slots: 1 });
      const a = bigEcho(10), b = bigEcho(11);
      frag(58, 0, true, a.pieces[0][1], 1);
      frag(58, 0, true, b.pieces[0][1], 2);
      expect(h.stat("ipv6_reasm_evicted")).toBe(1);
      frag(58, b.pieces[1][0], true, b.pieces[1][1], 2);
      frag(58, b.pieces[2][0], false, b.pieces[2][1], 2);
      expect(h.stat("ipv6_reasm_ok")).toBe(1);
    });

    it("RFC 8200 §4.5: the unfragmentable part's Hop-by-Hop header is processed and the reassembled packet dispatched by the fragment header's next header", () => {
      const { h, out, frag } = setup(build);
      const m = echoReq(12, pattern(1992));
      const hbh = [0, 44, 0, 1, 4, 0, 0, 0, 0]; // base next header 0, then Hop-by-Hop (next 44) with PadN
      frag(58, 0, true, m.slice(0, 1000), 5, hbh);
      frag(58, 1000, false, m.slice(1000), 5, hbh);
      expect(h.stat("ipv6_reasm_ok")).toBe(1);
      expect(reassemble(out()).msg[0]).toBe(129);
    });
  });

  describe(`IPv6 fragmentation on send (RFC 8200 §4.5), ${build}`, () => {
    it("RFC 8201 §4 + RFC 8200 §4.5: after Packet Too Big 1280, a 1400-byte echo reply goes in fragments of at most 1280 bytes", () => {
      const { h, out, send } = setup(build);
      const quote = frame6(PEER_MAC, OUR_MAC, { src: LL, dst: PEER, nh: 59, hops: 64 }, new Array(16).fill(0)).subarray(14);
      send(58, icmp6(PEER, LL, 2, 0, [...u32be(1280), ...quote]));
      expect(h.s.ip6PathMtu(PEER)).toBe(1280);
      send(58, echoReq(13, pattern(1400)));
      const sent = out();
      expect(sent.length).toBe(2);
      for (const f of sent) expect(f.raw.length - 14).toBeLessThanOrEqual(1280);
      const r = reassemble(sent);
      expect(r.sizes[0]).toBe(1232);
      expect(r.mFlags).toEqual([true, false]);
      expect(Array.from(r.msg.subarray(4))).toEqual([0, 7, 0, 13, ...pattern(1400)]);
    });

    it("RFC 7739 §5: two fragmented packets carry different identifications", () => {
      const { out, frag } = setup(build);
      for (const seq of [14, 15]) for (const [off, d] of bigEcho(seq).pieces) frag(58, off, off !== 2896, d, seq);
      const sent = out();
      expect(sent).toHaveLength(6);
      expect(reassemble(sent.slice(0, 3)).id).not.toBe(reassemble(sent.slice(3)).id);
    });
  });
}
