// Real Linux kernel frames (test/fixtures/kernel.pcap, captured by test/fixtures/capture.sh with
// offloads off) decoded by OUR parsers (assembly/dissect.ts over wire/*.ts) and compared field by
// field with tshark's decode of the same file (test/fixtures/kernel.json, checksums validated).
// Then mutations of those frames: flipped bytes must fail our checksum checks (and count), every
// truncation must be rejected (and count) without reading past the end of the frame, lying
// lengths must be rejected, Ethernet padding must be ignored.
//
// Frames are placed so that they END at the end of linear memory: any read past the frame traps.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { readPcap, writePcap, LINKTYPE_ETHERNET, type PcapFile } from "./helpers/pcap.js";
import { inetChecksum, pseudo } from "./wire-build.js";
import { asString } from "./helpers/tcp-harness.js";
import { ipToU32, parseMac } from "../src/stack.js";
import { type Exports as AbiExports, STAT_NAMES } from "../src/abi.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const pcapBytes = readFileSync(`${root}test/fixtures/kernel.pcap`);
const pcap: PcapFile = readPcap(pcapBytes);
/** tshark's decode, trimmed by test/fixtures/trim.py: layer -> field -> string (or list of strings). */
type Layer = Record<string, string | string[]>;
type Decoded = Record<string, Layer>;
const tshark: Decoded[] = JSON.parse(readFileSync(`${root}test/fixtures/kernel.json`, "utf8"));

// Layer bits returned by dissect (assembly/dissect.ts L_*).
const L_ETH = 1, L_ARP = 2, L_IPV4 = 4, L_ICMP = 8, L_UDP = 16, L_TCP = 32;
const ABSENT = 0xffffffff;

/** The ABI's exports (src/abi.ts) plus the dissector of the testing build. */
type Exports = AbiExports & {
  dissect(ptr: number, len: number, out: number): number;
  dissectFieldCount(): number;
  dissectFieldNames(): number;
};

/** A loaded test module with one spare page at the end of memory for frames and output. */
class Dissector {
  readonly x: Exports;
  readonly fields: Map<string, number>;
  readonly statNames: readonly string[] = STAT_NAMES;
  readonly out: number;

  constructor(file: string) {
    const mod = new WebAssembly.Module(readFileSync(`${root}build/${file}`));
    const imports: Record<string, Record<string, unknown>> = {};
    for (const imp of WebAssembly.Module.imports(mod)) {
      if (imp.kind !== "function") continue;
      imports[imp.module] ??= {};
      imports[imp.module][imp.name] = imp.name === "abort"
        ? () => { throw new Error("wasm abort"); }
        : () => 0;
    }
    this.x = new WebAssembly.Instance(mod, imports as WebAssembly.Imports).exports as unknown as Exports;
    // init() reserves (and zeroes) the pools: anything built at start-up with the runtime
    // allocator instead of living in static data (e.g. a concatenated name string) is wiped here.
    expect(this.x.init()).toBe(0);
    const spare = this.x.memory.grow(1);
    this.out = spare * 65536;
    const names = asString(this.x.memory, this.x.dissectFieldNames()).split(",");
    expect(names.length).toBe(this.x.dissectFieldCount());
    this.fields = new Map(names.map((n, i) => [n, i]));
    expect(this.x.statCount()).toBe(STAT_NAMES.length);
  }

  counters(): Map<string, number> {
    const v = new Uint32Array(this.x.memory.buffer, this.x.statsPtr(), this.x.statCount());
    return new Map(this.statNames.map((n, i) => [n, v[i]]));
  }

  /** Run dissect over `frame` placed flush against the end of memory; returns the result,
   *  the decoded fields by name and the counters that changed (name -> delta). */
  run(frame: Uint8Array): { ret: number; f: (name: string) => number; counted: Record<string, number> } {
    const before = this.counters();
    const end = this.x.memory.buffer.byteLength;
    const ptr = end - frame.length;
    new Uint8Array(this.x.memory.buffer, ptr, frame.length).set(frame);
    const ret = this.x.dissect(ptr, frame.length, this.out);
    const values = new Uint32Array(this.x.memory.buffer, this.out, this.fields.size).slice();
    const counted: Record<string, number> = {};
    for (const [name, v] of this.counters()) {
      const d = v - (before.get(name) ?? 0);
      if (d !== 0) counted[name] = d;
    }
    const f = (name: string): number => {
      const i = this.fields.get(name);
      if (i === undefined) throw new Error(`dissect has no field ${name}`);
      return values[i];
    };
    return { ret, f, counted };
  }
}

// --- tshark value helpers ---
const one = (layer: Layer, key: string): string => {
  const v = layer[key];
  if (v === undefined) throw new Error(`tshark field ${key} missing`);
  if (Array.isArray(v)) throw new Error(`tshark field ${key} repeated`);
  return v;
};
const num = (layer: Layer, key: string): number => Number(one(layer, key)); // "64", "0x0800"
const list = (layer: Layer, key: string): string[] => {
  const v = layer[key];
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
};

const GOOD = "1"; // tshark's checksum status: 0 bad, 1 good, 2 unverified

/** Every comparison for one frame: [field, ours, tshark's]. */
function expectedPairs(t: Decoded, f: (n: string) => number): Array<[string, number, number]> {
  const pairs: Array<[string, number, number]> = [];
  const eq = (field: string, theirs: number) => pairs.push([field, f(field), theirs]);
  const e = t.eth;
  const [dHi, dLo] = parseMac(one(e, "eth.dst"));
  const [sHi, sLo] = parseMac(one(e, "eth.src"));
  eq("eth_dst_hi", dHi); eq("eth_dst_lo", dLo); eq("eth_src_hi", sHi); eq("eth_src_lo", sLo);
  eq("eth_type", num(e, "eth.type"));
  if (t.arp) {
    const a = t.arp;
    eq("arp_htype", num(a, "arp.hw.type")); eq("arp_ptype", num(a, "arp.proto.type"));
    eq("arp_hlen", num(a, "arp.hw.size")); eq("arp_plen", num(a, "arp.proto.size"));
    eq("arp_oper", num(a, "arp.opcode"));
    const [shaHi, shaLo] = parseMac(one(a, "arp.src.hw_mac"));
    const [thaHi, thaLo] = parseMac(one(a, "arp.dst.hw_mac"));
    eq("arp_sha_hi", shaHi); eq("arp_sha_lo", shaLo); eq("arp_spa", ipToU32(one(a, "arp.src.proto_ipv4")));
    eq("arp_tha_hi", thaHi); eq("arp_tha_lo", thaLo); eq("arp_tpa", ipToU32(one(a, "arp.dst.proto_ipv4")));
  }
  if (t.ip) {
    const i = t.ip;
    eq("ip_version", num(i, "ip.version")); eq("ip_ihl", num(i, "ip.hdr_len"));
    eq("ip_dscp", num(i, "ip.dsfield.dscp")); eq("ip_ecn", num(i, "ip.dsfield.ecn"));
    eq("ip_total_len", num(i, "ip.len")); eq("ip_id", num(i, "ip.id"));
    eq("ip_flags", num(i, "ip.flags"));
    pairs.push(["ip_flags.rb", (f("ip_flags") >> 2) & 1, num(i, "ip.flags.rb")]);
    pairs.push(["ip_flags.df", (f("ip_flags") >> 1) & 1, num(i, "ip.flags.df")]);
    pairs.push(["ip_flags.mf", f("ip_flags") & 1, num(i, "ip.flags.mf")]);
    eq("ip_frag_offset", num(i, "ip.frag_offset")); eq("ip_ttl", num(i, "ip.ttl"));
    eq("ip_proto", num(i, "ip.proto"));
    eq("ip_csum", num(i, "ip.checksum")); eq("ip_csum_calc", num(i, "ip.checksum_calculated"));
    eq("ip_csum_valid", one(i, "ip.checksum.status") === GOOD ? 1 : 0);
    eq("ip_src", ipToU32(one(i, "ip.src"))); eq("ip_dst", ipToU32(one(i, "ip.dst")));
  }
  if (t.icmp) {
    const c = t.icmp;
    eq("icmp_type", num(c, "icmp.type")); eq("icmp_code", num(c, "icmp.code"));
    eq("icmp_csum", num(c, "icmp.checksum"));
    eq("icmp_csum_valid", one(c, "icmp.checksum.status") === GOOD ? 1 : 0);
    // tshark gives no calculated ICMP checksum; when it says good, calculated == stored.
    if (one(c, "icmp.checksum.status") === GOOD) eq("icmp_csum_calc", num(c, "icmp.checksum"));
    if (c["icmp.ident"] !== undefined) { eq("icmp_id", num(c, "icmp.ident")); eq("icmp_seq", num(c, "icmp.seq")); }
  }
  if (t.udp) {
    const u = t.udp;
    eq("udp_sport", num(u, "udp.srcport")); eq("udp_dport", num(u, "udp.dstport"));
    eq("udp_len", num(u, "udp.length"));
    eq("udp_csum", num(u, "udp.checksum")); eq("udp_csum_calc", num(u, "udp.checksum_calculated"));
    eq("udp_csum_valid", one(u, "udp.checksum.status") === GOOD ? 1 : 0);
  }
  if (t.tcp) {
    const c = t.tcp;
    eq("tcp_sport", num(c, "tcp.srcport")); eq("tcp_dport", num(c, "tcp.dstport"));
    eq("tcp_seq", num(c, "tcp.seq_raw")); eq("tcp_ack", num(c, "tcp.ack_raw"));
    eq("tcp_data_off", num(c, "tcp.hdr_len"));
    eq("tcp_flags", num(c, "tcp.flags")); // tshark's 12 bits; the AE/reserved bits are 0 in these frames
    eq("tcp_wnd", num(c, "tcp.window_size_value"));
    eq("tcp_csum", num(c, "tcp.checksum")); eq("tcp_csum_calc", num(c, "tcp.checksum_calculated"));
    eq("tcp_csum_valid", one(c, "tcp.checksum.status") === GOOD ? 1 : 0);
    eq("tcp_urp", num(c, "tcp.urgent_pointer"));
    eq("tcp_payload_len", num(c, "tcp.len"));
    eq("tcp_mss", c["tcp.options.mss_val"] !== undefined ? num(c, "tcp.options.mss_val") : 0);
    eq("tcp_wscale", c["tcp.options.wscale.shift"] !== undefined ? num(c, "tcp.options.wscale.shift") : ABSENT);
    eq("tcp_sack_perm", c["tcp.options.sack_perm"] !== undefined ? 1 : 0);
    const ts = c["tcp.options.timestamp.tsval"] !== undefined;
    eq("tcp_ts_present", ts ? 1 : 0);
    eq("tcp_ts_val", ts ? num(c, "tcp.options.timestamp.tsval") : 0);
    eq("tcp_ts_ecr", ts ? num(c, "tcp.options.timestamp.tsecr") : 0);
    const le = list(c, "tcp.options.sack_le").map(Number);
    const re = list(c, "tcp.options.sack_re").map(Number);
    eq("tcp_sack_count", le.length);
    for (let b = 0; b < 4; b++) {
      eq(`tcp_sack${b}_l`, b < le.length ? le[b] : 0);
      eq(`tcp_sack${b}_r`, b < re.length ? re[b] : 0);
    }
  }
  return pairs;
}

/** The layers tshark decoded at top level (trim.py leaves out ICMP's quoted packet). */
function expectedLayers(t: Decoded): number {
  return L_ETH | (t.arp ? L_ARP : 0) | (t.ip ? L_IPV4 : 0) | (t.icmp ? L_ICMP : 0) | (t.udp ? L_UDP : 0) | (t.tcp ? L_TCP : 0);
}

/** Offset of the IPv4 header and of its payload, and the payload length, for an IPv4 frame. */
function ipGeometry(frame: Uint8Array): { ip: number; l4: number; l4len: number } {
  const ihl = (frame[14] & 0xf) * 4;
  const total = (frame[16] << 8) | frame[17];
  return { ip: 14, l4: 14 + ihl, l4len: total - ihl };
}

/** Recompute the TCP checksum of an IPv4 frame in place (after a deliberate header mutation). */
function fixTcpChecksum(frame: Uint8Array): void {
  const { l4, l4len } = ipGeometry(frame);
  frame[l4 + 16] = 0; frame[l4 + 17] = 0;
  const ip = (o: number) => [...frame.subarray(o, o + 4)].join(".");
  const c = inetChecksum(frame.subarray(l4, l4 + l4len), pseudo(ip(26), ip(30), 6, l4len));
  frame[l4 + 16] = c >> 8; frame[l4 + 17] = c & 0xff;
}

const frames = pcap.packets.map((p, i) => ({ data: p.data, t: tshark[i], n: i + 1 }));
const withLayer = (name: string) => frames.filter((fr) => fr.t[name] !== undefined);

describe.each(["testing.wasm", "testing.mcu.wasm"])("kernel frames, %s", (file) => {
  let d: Dissector;
  beforeAll(() => { d = new Dissector(file); });

  it("fixtures: kernel.pcap is classic Ethernet pcap and tshark's JSON describes the same frames", () => {
    expect(pcap.linkType).toBe(LINKTYPE_ETHERNET);
    expect(frames.length).toBe(tshark.length);
    for (const fr of frames) {
      expect(Number(one(fr.t.frame, "frame.number"))).toBe(fr.n);
      expect(fr.data.length).toBe(Number(one(fr.t.frame, "frame.cap_len")));
    }
  });

  it("fixtures cover ARP request+reply, echo request+reply, SYN options, SACK blocks, FIN, data, UDP, ICMP unreachable", () => {
    const ops = withLayer("arp").map((fr) => one(fr.t.arp, "arp.opcode"));
    expect(ops).toContain("1");
    expect(ops).toContain("2");
    const icmpTypes = withLayer("icmp").map((fr) => one(fr.t.icmp, "icmp.type"));
    expect(icmpTypes).toEqual(expect.arrayContaining(["8", "0", "3"]));
    const tcp = withLayer("tcp").map((fr) => fr.t.tcp);
    const syns = tcp.filter((c) => (num(c, "tcp.flags") & 0x02) !== 0);
    expect(syns.length).toBe(2);
    for (const c of syns) {
      for (const k of ["tcp.options.mss_val", "tcp.options.wscale.shift", "tcp.options.sack_perm", "tcp.options.timestamp.tsval"]) {
        expect(c[k], k).toBeDefined();
      }
    }
    expect(tcp.some((c) => list(c, "tcp.options.sack_le").length > 0)).toBe(true);
    expect(tcp.filter((c) => (num(c, "tcp.flags") & 0x01) !== 0).length).toBe(2);
    expect(tcp.filter((c) => num(c, "tcp.len") > 0).length).toBeGreaterThan(4);
    expect(withLayer("udp").length).toBeGreaterThan(0);
  });

  it("every frame: our decode equals tshark's, every checksum good by both (offloads were off)", () => {
    let compared = 0;
    for (const fr of frames) {
      const { ret, f, counted } = d.run(fr.data);
      const where = `frame ${fr.n} (${one(fr.t.frame, "frame.protocols")})`;
      expect(ret, where).toBe(expectedLayers(fr.t));
      expect(f("layers"), where).toBe(ret);
      expect(f("reject"), where).toBe(0);
      expect(f("frame_len"), where).toBe(fr.data.length);
      expect(counted, `${where}: a good frame drops nothing`).toEqual({});
      for (const layer of ["ip", "icmp", "udp", "tcp"]) {
        if (fr.t[layer]) expect(one(fr.t[layer], `${layer}.checksum.status`), `${where} tshark ${layer}`).toBe(GOOD);
      }
      for (const [field, ours, theirs] of expectedPairs(fr.t, f)) {
        expect(ours, `${where}: ${field}`).toBe(theirs);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(frames.length * 5);
  });

  it("RFC 9293 §3.2 (MSS), RFC 7323 §2.2 (window scale) and §3.2 (timestamps), RFC 2018 §2 (SACK-permitted): kernel SYN options decode as tshark's", () => {
    for (const fr of withLayer("tcp").filter((x) => (num(x.t.tcp, "tcp.flags") & 0x02) !== 0)) {
      const { ret, f } = d.run(fr.data);
      expect(ret & L_TCP).toBe(L_TCP);
      const c = fr.t.tcp;
      expect(f("tcp_mss")).toBe(num(c, "tcp.options.mss_val"));
      expect(f("tcp_wscale")).toBe(num(c, "tcp.options.wscale.shift"));
      expect(f("tcp_sack_perm")).toBe(1);
      expect(f("tcp_ts_val")).toBe(num(c, "tcp.options.timestamp.tsval"));
      expect(f("tcp_ts_ecr")).toBe(num(c, "tcp.options.timestamp.tsecr"));
    }
  });

  it("RFC 2018 §3: SACK blocks in the kernel's duplicate ACK decode as tshark's (left and right edges)", () => {
    const sacks = withLayer("tcp").filter((x) => list(x.t.tcp, "tcp.options.sack_le").length > 0);
    expect(sacks.length).toBeGreaterThan(0);
    for (const fr of sacks) {
      const { f } = d.run(fr.data);
      const le = list(fr.t.tcp, "tcp.options.sack_le").map(Number);
      const re = list(fr.t.tcp, "tcp.options.sack_re").map(Number);
      expect(f("tcp_sack_count")).toBe(le.length);
      le.forEach((v, b) => { expect(f(`tcp_sack${b}_l`)).toBe(v); expect(f(`tcp_sack${b}_r`)).toBe(re[b]); });
    }
  });

  it("RFC 791 §3.1: a flipped IPv4 header byte fails the header checksum (ipv4_bad_checksum, once per frame)", () => {
    const ipFrames = withLayer("ip");
    let tried = 0;
    for (const fr of ipFrames) {
      // Every header byte except version/IHL (0) and total length (2, 3), which fail their own
      // checks first (tested below); the checksum is verified before the fragment test.
      for (const off of [1, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]) {
        const m = fr.data.slice();
        m[14 + off] ^= 0xff;
        const { ret, f, counted } = d.run(m);
        expect(ret, `frame ${fr.n} byte ${off}`).toBe(-1);
        expect(f("reject")).toBe(L_IPV4);
        expect(counted, `frame ${fr.n} byte ${off}`).toEqual({ ipv4_bad_checksum: 1 });
        tried++;
      }
    }
    expect(tried).toBe(ipFrames.length * 17);
  });

  /** Flip (xor) each listed byte of the layer-4 message of every frame carrying `layer`; each
   *  mutation must be rejected at that layer with exactly `counter` incremented once. */
  function flipEach(layer: string, bit: number, counter: string, xor: number, offsets: (l4len: number) => number[]): number {
    let tried = 0;
    for (const fr of withLayer(layer)) {
      const { l4, l4len } = ipGeometry(fr.data);
      for (const off of offsets(l4len)) {
        const m = fr.data.slice();
        m[l4 + off] ^= xor;
        const { ret, f, counted } = d.run(m);
        const where = `frame ${fr.n} ${layer} byte ${off}`;
        expect(ret, where).toBe(-1);
        expect(f("reject"), where).toBe(bit);
        expect(counted, where).toEqual({ [counter]: 1 });
        expect(f("ip_csum_valid"), `${where}: the IP layer below stays decoded`).toBe(1);
        tried++;
      }
    }
    return tried;
  }
  const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

  it("RFC 9293 §3.1: every flipped TCP payload or header byte fails the TCP checksum (tcp_bad_checksum)", () => {
    // Byte 12 (data offset) is left out: it may fail the offset check first (tested below).
    const tried = flipEach("tcp", L_TCP, "tcp_bad_checksum", 0x5a, (n) => range(0, n).filter((o) => o !== 12));
    expect(tried).toBeGreaterThan(1000);
  });

  it("RFC 768: a flipped UDP payload byte fails the UDP checksum (udp_bad_checksum)", () => {
    expect(flipEach("udp", L_UDP, "udp_bad_checksum", 0x01, (n) => range(8, n))).toBeGreaterThan(0);
  });

  it("RFC 792: a flipped ICMP byte (echo data, quoted datagram) fails the ICMP checksum (icmp_bad_checksum)", () => {
    expect(flipEach("icmp", L_ICMP, "icmp_bad_checksum", 0x80, (n) => range(0, n))).toBeGreaterThan(0);
  });

  it("every truncation of every frame is rejected and counted once, never reading past the end", () => {
    let tried = 0;
    for (const fr of frames) {
      for (let len = 0; len < fr.data.length; len++) {
        const { ret, counted } = d.run(fr.data.subarray(0, len));
        expect(ret, `frame ${fr.n} cut at ${len}`).toBe(-1);
        const total = Object.values(counted).reduce((a, b) => a + b, 0);
        expect(total, `frame ${fr.n} cut at ${len}: ${JSON.stringify(counted)}`).toBe(1);
        const name = Object.keys(counted)[0];
        if (len < 14) expect(name).toBe("eth_truncated");
        else if (fr.t.arp) expect(name).toBe("arp_truncated");
        else if (len < 14 + 20) expect(name).toBe("ipv4_truncated");
        else expect(name).toBe("ipv4_bad_total_length");
        tried++;
      }
      // The whole frame, flush against the end of memory, decodes (no read one byte too far).
      expect(d.run(fr.data).ret).toBe(expectedLayers(fr.t));
    }
    expect(tried).toBe(frames.reduce((a, fr) => a + fr.data.length, 0));
  });

  it("RFC 894: Ethernet padding after the IPv4 datagram is not payload (same decode, checksums still good)", () => {
    for (const fr of withLayer("ip")) {
      const padded = new Uint8Array(Math.max(60, fr.data.length + 4)).fill(0xa5);
      padded.set(fr.data);
      const plain = d.run(fr.data);
      const pad = d.run(padded);
      expect(pad.ret).toBe(plain.ret);
      expect(pad.counted).toEqual({});
      for (const name of d.fields.keys()) {
        if (name !== "frame_len") expect(pad.f(name), `frame ${fr.n} ${name}`).toBe(plain.f(name));
      }
    }
  });

  it("RFC 826: an ARP packet with another hardware type or an unknown opcode is rejected (arp_bad_format)", () => {
    for (const fr of withLayer("arp")) {
      for (const off of [1, 3, 4, 5, 7]) { // htype, ptype, hlen, plen, oper
        const m = fr.data.slice();
        m[14 + off] ^= 0x10;
        const { ret, f, counted } = d.run(m);
        expect(ret).toBe(-1);
        expect(f("reject")).toBe(L_ARP);
        expect(counted).toEqual({ arp_bad_format: 1 });
      }
    }
  });

  it("RFC 791 §3.1: lying IPv4 lengths and versions are rejected (bad_version, bad_ihl, bad_total_length)", () => {
    // The shortest TCP frame: its IPv4 total length is below 60, the largest header IHL can claim.
    const fr = withLayer("tcp").reduce((a, b) => (b.data.length < a.data.length ? b : a));
    expect(fr.data.length - 14).toBeLessThan(60);
    const cases: Array<[string, (m: Uint8Array) => void, string]> = [
      ["version 6", (m) => { m[14] = 0x65; }, "ipv4_bad_version"],
      ["IHL 4 words", (m) => { m[14] = 0x44; }, "ipv4_bad_ihl"],
      ["IHL beyond the datagram", (m) => { m[14] = 0x4f; }, "ipv4_truncated"],
      ["total length past the frame", (m) => { const t = ((m[16] << 8) | m[17]) + 1; m[16] = t >> 8; m[17] = t & 0xff; }, "ipv4_bad_total_length"],
      ["total length below the header", (m) => { m[16] = 0; m[17] = 19; }, "ipv4_bad_total_length"],
    ];
    for (const [what, mutate, counter] of cases) {
      const m = fr.data.slice();
      mutate(m);
      const { ret, f, counted } = d.run(m);
      expect(ret, what).toBe(-1);
      expect(f("reject"), what).toBe(L_IPV4);
      expect(counted, what).toEqual({ [counter]: 1 });
    }
  });

  it("RFC 768: a UDP length beyond the IP payload or below 8 is rejected (udp_bad_length)", () => {
    const fr = withLayer("udp")[0];
    const { l4, l4len } = ipGeometry(fr.data);
    for (const ulen of [l4len + 1, 7, 0]) {
      const m = fr.data.slice();
      m[l4 + 4] = ulen >> 8; m[l4 + 5] = ulen & 0xff;
      const { ret, f, counted } = d.run(m);
      expect(ret).toBe(-1);
      expect(f("reject")).toBe(L_UDP);
      expect(counted).toEqual({ udp_bad_length: 1 });
    }
  });

  it("RFC 9293 §3.1: a TCP data offset below 5 words or beyond the segment is rejected (tcp_bad_offset)", () => {
    for (const fr of withLayer("tcp")) {
      const { l4, l4len } = ipGeometry(fr.data);
      for (const words of [0, 4, Math.floor(l4len / 4) + 1].filter((w) => w < 16)) {
        const m = fr.data.slice();
        m[l4 + 12] = (words << 4) | (m[l4 + 12] & 0x0f);
        const { ret, f, counted } = d.run(m);
        expect(ret, `frame ${fr.n} offset ${words}`).toBe(-1);
        expect(f("reject")).toBe(L_TCP);
        expect(counted).toEqual({ tcp_bad_offset: 1 });
      }
    }
  });

  it("RFC 9293 §3.2: an option whose length runs past the header is rejected (tcp_bad_option), even with a valid checksum", () => {
    let tried = 0;
    for (const fr of withLayer("tcp")) {
      const { l4 } = ipGeometry(fr.data);
      const hdr = (fr.data[l4 + 12] >> 4) * 4;
      // Find the last option with a length byte; make it claim more bytes than remain.
      let p = 20, last = -1;
      while (p < hdr) {
        const kind = fr.data[l4 + p];
        if (kind === 0) break;
        if (kind === 1) { p++; continue; }
        last = p;
        p += fr.data[l4 + p + 1];
      }
      if (last < 0) continue;
      for (const bad of [hdr - last + 1, 0, 1]) {
        const m = fr.data.slice();
        m[l4 + last + 1] = bad;
        fixTcpChecksum(m);
        const { ret, f, counted } = d.run(m);
        expect(ret, `frame ${fr.n} option at ${last} len ${bad}`).toBe(-1);
        expect(f("reject")).toBe(L_TCP);
        expect(counted).toEqual({ tcp_bad_option: 1 });
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(0);
  });

  it("the JS checksum used to re-sign mutated frames agrees with the kernel's on every TCP frame", () => {
    for (const fr of withLayer("tcp")) {
      const m = fr.data.slice();
      fixTcpChecksum(m);
      expect(Buffer.from(m).equals(Buffer.from(fr.data)), `frame ${fr.n}`).toBe(true);
    }
  });
});

describe("test/helpers/pcap.ts", () => {
  /** Rewrite a little-endian classic pcap in big-endian byte order (header and record fields). */
  function toBigEndian(le: Uint8Array): Uint8Array {
    const out = le.slice();
    const src = new DataView(le.buffer, le.byteOffset, le.byteLength);
    const dst = new DataView(out.buffer);
    const swap32 = (o: number) => dst.setUint32(o, src.getUint32(o, true), false);
    const swap16 = (o: number) => dst.setUint16(o, src.getUint16(o, true), false);
    swap32(0); swap16(4); swap16(6); swap32(8); swap32(12); swap32(16); swap32(20);
    let off = 24;
    while (off < le.length) {
      const incl = src.getUint32(off + 8, true);
      swap32(off); swap32(off + 4); swap32(off + 8); swap32(off + 12);
      off += 16 + incl;
    }
    return out;
  }

  it("writes back kernel.pcap byte for byte (same snaplen, link type, timestamps, lengths)", () => {
    const again = writePcap(pcap.packets, pcap.linkType, pcap.snapLen);
    expect(Buffer.from(again).equals(pcapBytes)).toBe(true);
    expect(pcap.bigEndian).toBe(false);
    expect(pcap.nanos).toBe(false);
  });

  it("reads the big-endian form of the same file to the same packets", () => {
    const be = readPcap(toBigEndian(new Uint8Array(pcapBytes)));
    expect(be.bigEndian).toBe(true);
    expect(be.linkType).toBe(pcap.linkType);
    expect(be.snapLen).toBe(pcap.snapLen);
    expect(be.packets).toEqual(pcap.packets);
  });

  it("reads nanosecond files as microseconds, carries usec overflow into seconds, and rejects bad input", () => {
    const file = writePcap([{ tsSec: 10, tsUsec: 2_500_000, data: new Uint8Array([1, 2, 3]) }]);
    const r = readPcap(file);
    expect(r.packets[0]).toEqual({ tsSec: 12, tsUsec: 500_000, origLen: 3, data: new Uint8Array([1, 2, 3]) });
    const ns = file.slice();
    new DataView(ns.buffer).setUint32(0, 0xa1b23c4d, true);
    new DataView(ns.buffer).setUint32(24 + 4, 123_456_789, true);
    const rn = readPcap(ns);
    expect(rn.nanos).toBe(true);
    expect(rn.packets[0].tsUsec).toBe(123_456);
    expect(() => readPcap(file.subarray(0, file.length - 1))).toThrow(/past the end/);
    expect(() => readPcap(new Uint8Array(24))).toThrow(/bad magic/);
    expect(() => readPcap(new Uint8Array(10))).toThrow(/shorter/);
  });
});
