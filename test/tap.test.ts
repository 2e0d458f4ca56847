// The Linux TAP driver (native/tap.c + src/links/tap.ts) against the real kernel.
// Each test opens a TAP in our (root) namespace, moves the netdev into a namespace it
// creates (test/helpers/netns.ts) where the kernel side is 198.51.100.1/24, and our
// stack answers as 198.51.100.2/24 behind the TAP fd. Every namespace is deleted.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { loadTapAddon, TapLink, TapLinkOptions, WB_GSO, WB_THIN_ACKS } from "../src/links/tap.js";
import { createStack } from "../src/net.js";
import { PcapWriter } from "../src/pcap.js";
import { Stack } from "../src/stack.js";
import { Netns, tapUnavailableReason } from "./helpers/netns.js";
import { csum16 } from "./helpers/tcp-harness.js";
import { decodeFrame } from "../src/trace.js";
import { tsharkProblems, tsharkRows } from "./helpers/tshark.js";

const reason = tapUnavailableReason();
if (reason) console.warn(`test/tap.test.ts: SKIPPED: ${reason}`);

const KERNEL_IP = "198.51.100.1";
const OUR_IP = "198.51.100.2";
const OUR_MAC = "02:00:00:00:00:02";
const dir = mkdtempSync(join(tmpdir(), "wtcpip-tap-"));
const cleanups: (() => void)[] = [];
let tapSeq = 0;

afterEach(() => { while (cleanups.length) { try { cleanups.pop()!(); } catch { /* keep cleaning */ } } });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A unique TAP name for this process (<= 15 bytes). */
function tapName(): string { return `wt${process.pid % 100000}x${tapSeq++}`; }

/** Namespace + TAP moved into it + kernel side configured; both torn down after the test. */
function withNetns<T extends { name: string; close(): void }>(tap: T): { ns: Netns; tap: T } {
  const ns = Netns.create();
  cleanups.push(() => ns.delete());
  cleanups.push(() => tap.close()); // runs first: the TAP disappears with its last fd
  ns.adoptLink(tap.name, `${KERNEL_IP}/24`);
  return { ns, tap };
}

function stackOn(link: TapLink): Stack {
  const stack = new Stack({ name: "us", ip: OUR_IP, prefix: 24, mac: OUR_MAC, seed: 42, init: false });
  link.attach(stack);
  stack.init();
  return stack;
}

/** An ARP request from us (198.51.100.2) asking for `target`. */
function arpRequest(target: string): Uint8Array {
  const f = new Uint8Array(60);
  f.fill(0xff, 0, 6);
  f.set([2, 0, 0, 0, 0, 2], 6);
  f.set([0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1], 12);
  f.set([2, 0, 0, 0, 0, 2, 198, 51, 100, 2], 22);
  f.set(target.split(".").map(Number), 38);
  return f;
}

function waitFor(pred: () => boolean, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const tick = () => {
      if (pred()) resolve(true);
      else if (Date.now() - t0 > ms) resolve(false);
      else setTimeout(tick, 5);
    };
    tick();
  });
}

function parsePing(out: string): { sent: number; received: number; dups: number; rttMin: number } {
  const m = /(\d+) packets transmitted, (\d+) received(?:, \+(\d+) duplicates)?/.exec(out);
  const r = /= ([\d.]+)\/([\d.]+)\/([\d.]+)/.exec(out);
  return { sent: Number(m?.[1] ?? -1), received: Number(m?.[2] ?? -1), dups: Number(m?.[3] ?? 0), rttMin: Number(r?.[1] ?? NaN) };
}

describe.skipIf(reason !== null)("TAP addon", () => {
  it("open fails clearly on a name that is too long or not a TAP device (EINVAL)", () => {
    const tap = loadTapAddon();
    expect(() => tap.open("x".repeat(16))).toThrow(expect.objectContaining({ code: "EINVAL", message: expect.stringMatching(/1\.\.15 bytes/) }));
    expect(() => tap.open("")).toThrow(expect.objectContaining({ code: "EINVAL" }));
    expect(() => tap.open("lo")).toThrow(expect.objectContaining({ code: "EINVAL", message: expect.stringMatching(/TUNSETIFF lo/) }));
    expect(() => TapLink.open("lo")).toThrow(expect.objectContaining({ code: "EINVAL" }));
  });

  it("open fails clearly without TUN/TAP support (ENOENT)", () => {
    expect(() => TapLink.open("wtnodev", { device: join(dir, "no-such-tun") }))
      .toThrow(expect.objectContaining({ code: "ENOENT", message: expect.stringMatching(/no TUN\/TAP support/) }));
  });

  it("open fails clearly without permission (EACCES/EPERM as an unprivileged user)", () => {
    const addonPath = createRequire(import.meta.url).resolve("../native/build/Release/tap.node");
    const script = `try { require(${JSON.stringify(addonPath)}).open("wtperm0"); console.log("OPENED"); }` +
      ` catch (e) { console.log(e.code + " " + e.message); }`;
    const r = spawnSync(process.execPath, ["-e", script], { uid: 65534, gid: 65534, encoding: "utf8", timeout: 10_000 });
    expect(r.stdout).toMatch(/^(EACCES|EPERM) tap: .*needs root or CAP_NET_ADMIN/);
  });

  it("a closed handle is refused with EBADF, and close is idempotent", () => {
    const link = TapLink.open(tapName());
    link.close();
    link.close();
    expect(() => link.write(new Uint8Array(60))).toThrow(expect.objectContaining({ code: "EBADF" }));
    const tap = loadTapAddon();
    const h = tap.open(tapName());
    tap.close(h);
    expect(() => tap.write(h, new Uint8Array(60))).toThrow(expect.objectContaining({ code: "EBADF" }));
  });

  it("drains a burst of frames in one wakeup and one JS call; the batch size bounds each call", async () => {
    const tap = loadTapAddon();
    for (const batch of [64, 16]) {
      const h = tap.open(tapName());
      const name = tap.name(h);
      const { ns } = withNetns({ name, close: () => tap.close(h) });
      // A static neighbour so the kernel sends at once, without ARP.
      ns.execSync(["ip", "neigh", "replace", "198.51.100.3", "lladdr", "02:00:00:00:00:03", "dev", name, "nud", "permanent"]);
      const rx = new Uint8Array(batch * 2048 + 65549);
      const meta = new Uint32Array(batch);
      const calls: number[][] = [];
      const errs: number[] = [];
      const payloads: string[] = [];
      tap.start(h, rx, meta, 65549, (n, err) => {
        if (err) errs.push(err);
        calls.push(Array.from(meta.subarray(0, n)));
        // Frames are packed back to back in rx (valid until the next call): read the payloads now.
        let off = 0;
        for (let i = 0; i < n; i++) { payloads.push(Buffer.from(rx.subarray(off + 42, off + meta[i])).toString()); off += meta[i]; }
      });
      // 50 UDP datagrams while our event loop is blocked: they wait in the TAP queue.
      ns.execSync(["bash", "-c", "for i in $(seq 50); do echo -n datagram-$i > /dev/udp/198.51.100.3/9; done"]);
      expect(await waitFor(() => calls.flat().length >= 50, 5000)).toBe(true);
      expect(errs).toEqual([]);
      const lens = calls.flat();
      // Frames from a TAP are not padded to 60 bytes: Ethernet + IPv4 + UDP headers + payload.
      expect(lens).toEqual(Array.from({ length: 50 }, (_, i) => 14 + 20 + 8 + `datagram-${i + 1}`.length));
      const [wakeups, framesIn] = tap.stats(h);
      expect(framesIn).toBe(lens.length);
      if (batch === 64) {
        expect(calls[0].length).toBe(50); // all 50 in the first call
        expect(wakeups).toBe(calls.length);
      } else {
        expect(calls.slice(0, 3).map((c) => c.length)).toEqual([16, 16, 16]);
        expect(Math.max(...calls.map((c) => c.length))).toBe(16);
      }
      expect(payloads).toEqual(Array.from({ length: 50 }, (_, i) => `datagram-${i + 1}`));
      cleanups.splice(0).reverse().forEach((c) => c());
    }
  });

  it("closing one device and opening the next (same fd number) keeps the new one readable after the old handle is collected", async () => {
    const tap = loadTapAddon();
    const rx = new Uint8Array(16 * 2048 + 65549);
    const meta = new Uint32Array(16);
    let collected = false;
    const registry = new FinalizationRegistry(() => { collected = true; });
    (() => {
      const old = tap.open(tapName());
      registry.register(old, "old");
      tap.start(old, rx, meta, 65549, () => {});
      tap.close(old);
    })();
    const h = tap.open(tapName());
    withNetns({ name: tap.name(h), close: () => tap.close(h) });
    let frames = 0;
    tap.start(h, rx, meta, 65549, (n) => { frames += n; });
    await new Promise((r) => setTimeout(r, 20)); // the new fd is registered with epoll
    v8.setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    for (let i = 0; i < 50 && !collected; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
    expect(collected).toBe(true); // the old handle's finalizer has run
    expect(tap.write(h, arpRequest(KERNEL_IP))).toBe(60);
    expect(await waitFor(() => frames >= 1, 3000)).toBe(true);
  });

  it("write and writeBatch reach the kernel: three ARP requests get three ARP replies", async () => {
    const tap = loadTapAddon();
    const h = tap.open(tapName());
    withNetns({ name: tap.name(h), close: () => tap.close(h) });
    const rx = new Uint8Array(64 * 2048 + 65549);
    const meta = new Uint32Array(64);
    const replies: Uint8Array[] = [];
    tap.start(h, rx, meta, 65549, (n) => {
      let off = 0;
      for (let i = 0; i < n; i++) {
        const f = rx.slice(off, off + meta[i]);
        off += meta[i];
        if (decodeFrame(f).arpOp === "reply") replies.push(f);
      }
    });
    const req = arpRequest(KERNEL_IP);
    expect(tap.write(h, req)).toBe(60);
    // Two more from one packed buffer (offset/length into an ArrayBuffer, as from wasm memory).
    const packed = new Uint8Array(120);
    packed.set(req, 0);
    packed.set(req, 60);
    expect(tap.writeBatch(h, packed.buffer, new Uint32Array([60, 60]), 2)).toBe(2);
    expect(() => tap.write(h, packed.buffer, 100, 60)).toThrow(/outside src/);
    expect(await waitFor(() => replies.length >= 3, 5000)).toBe(true);
    for (const r of replies) {
      expect(Array.from(r.subarray(0, 6))).toEqual([2, 0, 0, 0, 0, 2]); // to us
      expect(Array.from(r.subarray(28, 32))).toEqual([198, 51, 100, 1]); // sender = kernel side
    }
    expect(tap.stats(h)[2]).toBe(3); // frames written
  });
});

describe.skipIf(reason !== null)("TapLink + Stack against the kernel", () => {
  async function pingThrough(opts: TapLinkOptions, pingArgs: string[], pcapFile?: string) {
    const link = TapLink.open(tapName(), opts);
    const { ns } = withNetns(link);
    let pcap: PcapWriter | null = null;
    if (pcapFile) {
      pcap = new PcapWriter(pcapFile);
      pcap.attach(link, { includeDropped: false });
    }
    const records: { from: number; dropped: boolean; icmpType: number }[] = [];
    link.tap((r) => records.push({ from: r.from, dropped: r.dropped,
      icmpType: decodeFrame(r.frame).icmpType ?? -1 }));
    const stack = stackOn(link);
    const res = await ns.run(["ping", "-n", ...pingArgs, OUR_IP], 20_000);
    pcap?.close();
    return { link, stack, ns, res, ping: parsePing(res.stdout), records };
  }

  it("RFC 792 echo / RFC 826 ARP: the kernel pings our stack through the TAP and every echo is answered; tshark finds the capture clean", async () => {
    const file = join(dir, "ping.pcap");
    const { link, stack, res, ping } = await pingThrough({}, ["-c", "5", "-i", "0.05", "-W", "2"], file);
    expect(res.code).toBe(0);
    expect(ping).toMatchObject({ sent: 5, received: 5, dups: 0 });
    expect(stack.stat("icmp_echo_requests_rx")).toBe(5);
    expect(stack.stat("icmp_echo_replies_tx")).toBe(5);
    expect(stack.stat("arp_requests_rx")).toBeGreaterThanOrEqual(1);
    const st = link.stats();
    expect(st.framesIn).toBeGreaterThanOrEqual(6); // ARP request + 5 echo requests
    expect(st.framesOut).toBeGreaterThanOrEqual(6); // gratuitous ARP/ARP reply + 5 echo replies
    expect(st.writeErrors).toBe(0);
    expect(tsharkProblems(file)).toEqual([]);
    const rows = tsharkRows(file, ["eth.src", "arp.opcode", "icmp.type", "icmp.seq", "ip.src"]);
    expect(rows.filter((r) => r[2] === "8").map((r) => r[3])).toEqual(["1", "2", "3", "4", "5"]);
    const replies = rows.filter((r) => r[2] === "0");
    expect(replies.map((r) => r[3])).toEqual(["1", "2", "3", "4", "5"]);
    expect(replies.every((r) => r[0] === OUR_MAC && r[4] === OUR_IP)).toBe(true);
    expect(rows.some((r) => r[1] === "2" && r[0] === OUR_MAC)).toBe(true); // our ARP reply
  });

  it("impairment delayMs applies on the real clock in each direction (rtt >= 2 x delay)", async () => {
    const { res, ping } = await pingThrough({ delayMs: 40 }, ["-c", "3", "-i", "0.05", "-W", "3"]);
    expect(res.code).toBe(0);
    expect(ping.received).toBe(3);
    expect(ping.rttMin).toBeGreaterThanOrEqual(80);
  });

  it("impairment duplicate=1: each request reaches the stack twice and ping sees duplicates", async () => {
    const { stack, ping } = await pingThrough({ duplicate: 1 }, ["-c", "3", "-i", "0.1", "-W", "2"]);
    expect(ping.received).toBe(3);
    expect(ping.dups).toBeGreaterThan(0);
    expect(stack.stat("icmp_echo_requests_rx")).toBe(6);
  });

  it("impairment loss (seeded): exactly the echoes whose request and reply both survived are received", async () => {
    const { link, ping, records } = await pingThrough({ loss: 0.3, seed: 7 }, ["-c", "20", "-i", "0.02", "-W", "1"]);
    const dropped = records.filter((r) => r.dropped).length;
    expect(dropped).toBeGreaterThan(0);
    expect(link.stats().dropped).toBe(dropped);
    expect(ping.sent).toBe(20);
    const repliesDelivered = records.filter((r) => r.from === 1 && !r.dropped && r.icmpType === 0).length;
    expect(ping.received).toBe(repliesDelivered);
    expect(ping.received).toBeLessThan(20);
    expect(link.stats().framesIn).toBeGreaterThanOrEqual(20);
  });

  it("impairments switch on and off after attach with set() (loss 1 = every echo lost, loss 0 = none)", async () => {
    const link = TapLink.open(tapName());
    const { ns } = withNetns(link);
    const stack = stackOn(link);
    const warm = parsePing((await ns.run(["ping", "-n", "-c", "2", "-i", "0.05", "-W", "2", OUR_IP])).stdout);
    expect(warm.received).toBe(2);
    link.set({ loss: 1 });
    const lost = parsePing((await ns.run(["ping", "-n", "-c", "3", "-i", "0.05", "-W", "1", OUR_IP])).stdout);
    expect(lost).toMatchObject({ sent: 3, received: 0 });
    expect(link.stats().dropped).toBeGreaterThanOrEqual(3);
    const before = stack.stat("icmp_echo_requests_rx");
    link.set({ loss: 0 });
    const back = parsePing((await ns.run(["ping", "-n", "-c", "3", "-i", "0.05", "-W", "2", OUR_IP])).stdout);
    expect(back.received).toBe(3);
    expect(stack.stat("icmp_echo_requests_rx")).toBe(before + 3);
  });

  it("after close the device is gone from its namespace", async () => {
    const link = TapLink.open(tapName());
    const { ns } = withNetns(link);
    expect(ns.execSync(["ip", "-o", "link", "show"])).toContain(link.name);
    link.close();
    expect(ns.execSync(["ip", "-o", "link", "show"])).not.toContain(link.name);
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).toContain(ns.name);
  });
});

// ---------------------------------------------------------------------------
// Offload (virtio-net header, checksum + TSO): what the kernel sees and what the stack sees.


/** The UDP/TCP checksum of an IPv4 frame verifies (sum over pseudo-header + segment = 0xffff). */
const l4ChecksumOk = (f: Uint8Array): boolean => decodeFrame(f).l4SumOk === true;

const ACK = 0x10, PSH = 0x08;

/** A TCP segment 198.51.100.2:sport -> 198.51.100.1:9 to a MAC nobody has (the kernel only captures it). */
function tcpFrame(o: { sport?: number; seq: number; ack: number; wnd?: number; flags?: number; payload?: Uint8Array; sack?: [number, number] }): Uint8Array {
  const opts = [1, 1, 8, 10, 0, 0, 0, 7, 0, 0, 0, 9]; // NOP NOP TS(7, 9)
  if (o.sack) opts.push(1, 1, 5, 10, ...u32(o.sack[0]), ...u32(o.sack[1]));
  const thl = 20 + opts.length, pl = o.payload ?? new Uint8Array(0);
  const f = new Uint8Array(14 + 20 + thl + pl.length);
  f.set([2, 0, 0, 0, 0, 0x99, 2, 0, 0, 0, 0, 2, 8, 0], 0);
  const ipLen = 20 + thl + pl.length;
  f.set([0x45, 0, ipLen >> 8, ipLen & 255, 0, 1, 0x40, 0, 64, 6, 0, 0, 198, 51, 100, 2, 198, 51, 100, 1], 14);
  const ipc = 0xffff - csum16(f.subarray(14, 34));
  f[24] = ipc >> 8; f[25] = ipc & 255;
  const sport = o.sport ?? 40000, wnd = o.wnd ?? 0xffff;
  f.set([sport >> 8, sport & 255, 0, 9, ...u32(o.seq), ...u32(o.ack), (thl / 4) << 4, o.flags ?? ACK, wnd >> 8, wnd & 255, 0, 0, 0, 0, ...opts], 34);
  f.set(pl, 34 + thl);
  const tc = 0xffff - csum16(f.subarray(34), csum16(new Uint8Array([198, 51, 100, 2, 198, 51, 100, 1, 0, 6, (thl + pl.length) >> 8, (thl + pl.length) & 255])));
  f[50] = tc >> 8; f[51] = tc & 255;
  return f;
}
function u32(v: number): number[] { return [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]; }

interface Captured { len: number; ipLen: number; ipOk: boolean; sport: number; seq: number; ack: number; wnd: number; flags: number; payload: number; sha: string; sack: boolean }

/** Python on the kernel side: capture TCP frames from 198.51.100.2 arriving on `dev` (AF_PACKET, before GRO/segmentation). */
const PY_CAPTURE = `
import socket, sys, json, struct, select, time, hashlib
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind((sys.argv[1], 0))
want = int(sys.argv[2]); out = []; end = time.time() + 5
print("ready", flush=True)
while len(out) < want and time.time() < end:
    if not select.select([s], [], [], 0.1)[0]: continue
    f, addr = s.recvfrom(70000)
    if len(f) < 54 or f[12:14] != b"\\x08\\x00" or f[23] != 6 or f[26:30] != bytes([198, 51, 100, 2]): continue
    ihl = (f[14] & 15) * 4; th = 14 + ihl; thl = (f[th + 12] >> 4) * 4
    ip_len = struct.unpack("!H", f[16:18])[0]
    w = sum(struct.unpack("!10H", f[14:34])); w = (w & 0xffff) + (w >> 16); w = (w & 0xffff) + (w >> 16)
    out.append({"len": len(f), "ipLen": ip_len, "ipOk": w == 0xffff, "sport": struct.unpack("!H", f[th:th + 2])[0],
                "seq": struct.unpack("!I", f[th + 4:th + 8])[0], "ack": struct.unpack("!I", f[th + 8:th + 12])[0],
                "wnd": struct.unpack("!H", f[th + 14:th + 16])[0], "flags": f[th + 13], "payload": ip_len - ihl - thl, "sha": hashlib.sha256(f[th + thl:14 + ip_len]).hexdigest(),
                "sack": b"\\x05\\x0a" in f[th + 20:th + thl]})
print(json.dumps(out), flush=True)
`;

/** Start the capture, run `send` once it is listening, resolve with what it saw. */
async function captureWhile(ns: Netns, dev: string, want: number, send: () => void): Promise<Captured[]> {
  const p = spawn("ip", ["netns", "exec", ns.name, "python3", "-u", "-c", PY_CAPTURE, dev, String(want)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  const kill = setTimeout(() => p.kill(), 10_000);
  await new Promise<void>((resolve, reject) => {
    p.stdout.on("data", (d: Buffer) => {
      const was = out;
      out += d.toString();
      if (!was.includes("ready\n") && out.includes("ready\n")) { send(); resolve(); }
    });
    p.on("exit", () => reject(new Error(`capture exited early: ${out}`)));
  });
  await new Promise((r) => p.on("exit", r));
  clearTimeout(kill);
  return JSON.parse(out.slice(out.indexOf("ready\n") + 6)) as Captured[];
}

function pack(frames: Uint8Array[]): { buf: Uint8Array; meta: Uint32Array } {
  const buf = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  const meta = new Uint32Array(frames.length);
  let off = 0;
  frames.forEach((f, i) => { buf.set(f, off); off += f.length; meta[i] = f.length; });
  return { buf, meta };
}

const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
/** Deterministic bulk data: byte i = (i * 7 + (i >> 11)) & 255 (no period the MSS could hide). */
function bulk(n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 7 + (i >> 11)) & 255;
  return b;
}

describe.skipIf(reason !== null)("TAP offload (virtio-net header: checksum + TSO)", () => {
  it("writeBatch merges contiguous full-sized segments of one connection into one TSO super-frame; a gap or a new ack starts another", async () => {
    const tap = loadTapAddon();
    const h = tap.open(tapName(), undefined, true);
    expect(tap.offload(h)).toBe(true);
    const name = tap.name(h);
    const { ns } = withNetns({ name, close: () => tap.close(h) });
    const data = bulk(8000);
    const S = 1_000_000, A = 5000;
    const frames = [
      tcpFrame({ seq: S, ack: A, payload: data.subarray(0, 1448) }),
      tcpFrame({ seq: S + 1448, ack: A, payload: data.subarray(1448, 2896) }),
      tcpFrame({ seq: S + 2896, ack: A, flags: ACK | PSH, payload: data.subarray(2896, 3896) }), // short, PSH: ends the run
      tcpFrame({ seq: S + 3996, ack: A, payload: data.subarray(3896, 5344) }), // 100-byte gap: not contiguous
      tcpFrame({ seq: S + 5444, ack: A + 1, payload: data.subarray(5344, 6792) }), // another ack
    ];
    const { buf, meta } = pack(frames);
    let wrote = -1;
    const got = await captureWhile(ns, name, 3, () => { wrote = tap.writeBatch(h, buf, meta, frames.length, WB_GSO); });
    expect(wrote).toBe(5);
    expect(got.map((c) => [c.seq - S, c.payload, c.flags, c.ack - A])).toEqual([
      [0, 3896, ACK | PSH, 0], [3996, 1448, ACK, 0], [5444, 1448, ACK, 1]]);
    expect(got[0].ipLen).toBe(20 + 32 + 3896); // one frame larger than the MTU: a super-frame
    expect(got[0].sha).toBe(sha(data.subarray(0, 3896)));
    expect(got.every((c) => c.ipOk)).toBe(true);
    const st = tap.stats(h);
    expect(st[2]).toBe(5); // frames written (segments)
    expect(st[5]).toBe(1); // super-frames written
  });

  it("RFC 5681 §3.2 kept: WB_THIN_ACKS drops only a pure ACK that the connection's next ACK in the batch supersedes (larger ack, or a window update); duplicate and SACK ACKs all leave", async () => {
    const tap = loadTapAddon();
    const h = tap.open(tapName());
    const name = tap.name(h);
    const { ns } = withNetns({ name, close: () => tap.close(h) });
    const S = 777;
    const frames = [
      tcpFrame({ seq: S, ack: 1000 }), // superseded by 2000: thinned
      tcpFrame({ sport: 40001, seq: S, ack: 500 }), // another connection
      tcpFrame({ seq: S, ack: 2000 }), // followed by an equal ack: kept
      tcpFrame({ seq: S, ack: 2000 }), // duplicate ACK: kept
      tcpFrame({ seq: S, ack: 3000 }), // followed by a SACK-bearing ACK: kept
      tcpFrame({ seq: S, ack: 3000, sack: [4000, 5000] }), // SACK: kept
      tcpFrame({ seq: S, ack: 6000 }), // superseded by 7000: thinned
      tcpFrame({ seq: S, ack: 7000, wnd: 1000 }), // a window update follows: thinned
      tcpFrame({ seq: S, ack: 7000, wnd: 2000 }), // followed by an equal ACK: kept
      tcpFrame({ seq: S, ack: 7000, wnd: 2000 }), // duplicate: kept
    ];
    const { buf, meta } = pack(frames);
    for (const [flags, expected] of [
      [0, ["1000", "500", "2000", "2000", "3000", "3000", "6000", "7000/1000", "7000/2000", "7000/2000"]],
      [WB_THIN_ACKS, ["500", "2000", "2000", "3000", "3000", "7000/2000", "7000/2000"]],
    ] as const) {
      let wrote = -1;
      const got = await captureWhile(ns, name, expected.length, () => { wrote = tap.writeBatch(h, buf, meta, frames.length, flags); });
      expect(wrote).toBe(frames.length); // written or thinned
      expect(got.map((c) => c.ack >= 7000 ? `${c.ack}/${c.wnd}` : String(c.ack))).toEqual(expected);
      expect(got.filter((c) => c.sack).map((c) => c.ack)).toEqual([3000]);
    }
    expect(tap.stats(h)[7]).toBe(3); // ACKs thinned
  });

  it("RFC 1071 / RFC 768: datagrams the kernel leaves with a partial checksum (NEEDS_CSUM) reach JS with the checksum completed", async () => {
    const tap = loadTapAddon();
    const h = tap.open(tapName(), null, true);
    const name = tap.name(h);
    const { ns } = withNetns({ name, close: () => tap.close(h) });
    ns.execSync(["ip", "neigh", "replace", "198.51.100.3", "lladdr", "02:00:00:00:00:03", "dev", name, "nud", "permanent"]);
    const { segMax, hdrMax } = tap.limits;
    expect(() => tap.start(h, new Uint8Array(70000), new Uint32Array(64), 65549, () => {})).toThrow(/offload/);
    const rx = new Uint8Array(64 * 2048 + 65549 + segMax * hdrMax);
    const meta = new Uint32Array(64 + segMax);
    const frames: Uint8Array[] = [];
    tap.start(h, rx, meta, 65549, (n) => {
      let off = 0;
      for (let i = 0; i < n; i++) { frames.push(rx.slice(off, off + meta[i])); off += meta[i]; }
    });
    ns.execSync(["bash", "-c", "for i in $(seq 20); do echo -n datagram-$i > /dev/udp/198.51.100.3/9; done"]);
    expect(await waitFor(() => frames.length >= 20, 5000)).toBe(true);
    const udp = frames.filter((f) => decodeFrame(f).proto === "UDP");
    expect(udp.length).toBe(20);
    expect(udp.map((f) => Buffer.from(decodeFrame(f).payload!).toString())).toEqual(Array.from({ length: 20 }, (_, i) => `datagram-${i + 1}`));
    expect(udp.every((f) => (f[40] | f[41]) !== 0 && l4ChecksumOk(f))).toBe(true);
    expect(tap.stats(h)[6]).toBe(0); // nothing dropped as malformed
  });

  it("io_uring reads are sized by frameMax: a longer frame is dropped and counted (rxBad); those around it arrive whole", async () => {
    const tap = loadTapAddon();
    const h = tap.open(tapName(), null, false);
    const name = tap.name(h);
    expect(tap.ring!(h)).toBe(true);
    const { ns } = withNetns({ name, close: () => tap.close(h) });
    ns.execSync(["ip", "link", "set", "dev", name, "mtu", "3000"]);
    ns.execSync(["ip", "neigh", "replace", "198.51.100.3", "lladdr", "02:00:00:00:00:03", "dev", name, "nud", "permanent"]);
    const rx = new Uint8Array(64 * 2048 + 65549);
    const meta = new Uint32Array(64);
    const frames: Uint8Array[] = [];
    tap.start(h, rx, meta, 1518, (n) => { // a 1500-byte MTU stack's frameMax (TapLink: MTU + 18)
      let off = 0;
      for (let i = 0; i < n; i++) { frames.push(rx.slice(off, off + meta[i])); off += meta[i]; }
    });
    const send = (bytes: number, tag: string) =>
      ns.execSync(["python3", "-c", `import socket\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.sendto(b"${tag}"*${bytes / 4},("198.51.100.3",9))`]);
    const udp = () => frames.filter((f) => decodeFrame(f).proto === "UDP");
    send(1000, "aaaa");
    send(2800, "bbbb"); // a 2,842-byte frame: cut short at the slot, dropped, counted
    send(1472, "cccc"); // a 1,514-byte frame: fits
    expect(await waitFor(() => udp().length >= 2, 5000)).toBe(true);
    expect(udp().map((f) => Buffer.from(decodeFrame(f).payload!).toString())).toEqual(["aaaa".repeat(250), "cccc".repeat(368)]);
    expect(tap.stats(h)[6]).toBe(1);
  });

  // Plain frames (no offload) go through io_uring by default (native/uring.h: the frames of one
  // wakeup or one writeBatch in one system call); WASM_TCPIP_TAP_URING=0 at open keeps the
  // read()/write() loops. Both must move the same bytes.
  /** createStack with WASM_TCPIP_TAP_URING=0 in the environment while the TAP opens when `uring` is false. */
  function tapStack(uring: boolean, opts: Parameters<typeof createStack>[0]) {
    if (uring) return createStack(opts);
    process.env.WASM_TCPIP_TAP_URING = "0";
    try { return createStack(opts); } finally { delete process.env.WASM_TCPIP_TAP_URING; }
  }
  /** io_uring in use exactly when asked for (plain frames only), with many frames per system call. */
  function expectRing(st: ReturnType<NonNullable<ReturnType<typeof createStack>["tap"]>["stats"]>, want: boolean, frames: number) {
    expect(st.ring).toBe(want);
    if (!want) { expect(st.ringCalls).toBe(0); return; }
    expect(st.ringCalls).toBeGreaterThan(0);
    expect(frames / st.ringCalls).toBeGreaterThan(4);
  }

  for (const [offload, uring] of [[true, false], [false, true], [false, false]] as const) {
    const mode = offload ? "offload" : uring ? "no offload (io_uring)" : "no offload (read/write, WASM_TCPIP_TAP_URING=0)";
    it(`${mode}: 8 MiB kernel -> our stack arrives intact; every frame the stack sees is MTU-sized with valid checksums (tshark)`, async () => {
      const data = bulk(8 << 20);
      const file = join(dir, `bulk-in-${offload}-${uring}.pcap`);
      const dev = tapName();
      const net = tapStack(uring, { ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 42, sndBuf: 256 << 10, rcvBuf: 256 << 10, pcap: file,
        link: { type: "tap", name: dev, offload } });
      cleanups.push(() => net.close());
      const { ns } = withNetns({ name: dev, close: () => net.close() });
      const hash = createHash("sha256");
      let received = 0;
      const done = new Promise<void>((resolve) => net.createServer((s) => {
        s.on("data", (d: Buffer) => { hash.update(d); received += d.length; });
        s.on("end", () => { s.end(); resolve(); });
      }).listen(9));
      const py = "import socket,sys\nd=sys.stdin.buffer.read()\ns=socket.create_connection(('198.51.100.2',9))\ns.sendall(d)\ns.shutdown(1)\nwhile s.recv(65536): pass\n";
      const child = spawn("ip", ["netns", "exec", ns.name, "python3", "-c", py], { stdio: ["pipe", "inherit", "inherit"] });
      child.stdin.end(data);
      await done;
      await new Promise((r) => child.on("exit", r));
      expect(received).toBe(data.length);
      expect(hash.digest("hex")).toBe(sha(data));
      const st = net.tap!.stats();
      expect(st.offload).toBe(offload);
      if (offload) expect(st.gsoIn).toBeGreaterThan(0); // the kernel did hand us super-frames
      else expect(st.gsoIn).toBe(0);
      expect(st.rxBad).toBe(0);
      expect(st.batchAcks).toBeGreaterThan(0); // read batches are ACK batches
      expectRing(st, uring, st.framesIn);
      net.close();
      const big = tsharkRows(file, ["frame.len"]).filter((r) => Number(r[0]) > 1514);
      expect(big).toEqual([]);
      expect(tsharkProblems(file)).toEqual([]);
      // RFC 9293 §3.8.6.2.2: the right edge our ACKs offer (ACK number + scaled window), held to the
      // end of a read batch or not, never moves back
      const edges = tsharkRows(file, ["ip.src", "tcp.ack", "tcp.window_size", "tcp.len", "tcp.flags.syn"])
        .filter((r) => r[0] === OUR_IP && r[3] === "0" && r[4] !== "1" && r[4] !== "True")
        .map((r) => (Number(r[1]) + Number(r[2])) >>> 0);
      expect(edges.length).toBeGreaterThan(1000);
      // (RFC 7323 §2.4: with window scale 3, an ACK number off the 8-byte grain rounds the edge down by less than 8)
      const back = edges.filter((e, i) => i > 0 && ((e - edges[i - 1]) | 0) <= -8);
      expect(back).toEqual([]);
    }, 60_000);

    it(`${mode}: 8 MiB our stack -> kernel arrives intact${offload ? ", in TSO super-frames (far fewer writes than segments)" : ""}`, async () => {
      const data = bulk(8 << 20);
      const dev = tapName();
      const net = tapStack(uring, { ip: `${OUR_IP}/24`, mac: OUR_MAC, seed: 42, sndBuf: 256 << 10, rcvBuf: 256 << 10,
        link: { type: "tap", name: dev, offload } });
      cleanups.push(() => net.close());
      const { ns } = withNetns({ name: dev, close: () => net.close() });
      net.createServer((s) => { s.on("error", () => {}); s.end(data); }).listen(80);
      const py = "import socket,hashlib\ns=socket.create_connection(('198.51.100.2',80))\nh=hashlib.sha256();n=0\nwhile True:\n  d=s.recv(1<<20)\n  if not d: break\n  h.update(d);n+=len(d)\nprint(n,h.hexdigest())\n";
      const r = await ns.run(["python3", "-c", py], 30_000);
      expect(r.code).toBe(0);
      expect(r.stdout.trim()).toBe(`${data.length} ${sha(data)}`);
      const st = net.tap!.stats();
      if (offload) {
        expect(st.gsoOut).toBeGreaterThan(0);
        expect(st.gsoOut * 4).toBeLessThan(st.framesOut); // most segments left merged
      } else expect(st.gsoOut).toBe(0);
      expect(st.writeErrors).toBe(0);
      expectRing(st, uring, st.framesOut + st.framesIn);
    }, 60_000);
  }
});

/** Whether the addon loads (the split tests need no device, no root). */
const addonMissing = (() => { try { loadTapAddon(); return false; } catch { return true; } })();
const GSO_TCPV4 = 1, NEEDS_CSUM = 1;

describe.skipIf(addonMissing)("TAP offload rx: super-frame split and checksum completion (addon, no device)", () => {
  const H = 14 + 20 + 32;
  /** The frames splitFrame produced, copied out. */
  function split(frame: Uint8Array, gsoSize: number, room = 16384): { n: number; segs: Uint8Array[] } {
    const buf = new Uint8Array(Math.max(room, frame.length));
    buf.set(frame);
    const meta = new Uint32Array(64);
    const n = loadTapAddon().splitFrame(buf, frame.length, GSO_TCPV4, gsoSize, NEEDS_CSUM, 34, 16, meta);
    const segs: Uint8Array[] = [];
    let off = 0;
    for (let i = 0; i < n; i++) { segs.push(buf.slice(off, off + meta[i])); off += meta[i]; }
    return { n, segs };
  }
  const ipOk = (f: Uint8Array) => decodeFrame(f).ip?.sumOk === true;

  it("RFC 9293 §3.1 / RFC 3168 §6.1.2: a TSO super-frame becomes gso_size segments: seq advances, IP length and id per segment, PSH and FIN only on the last, CWR only on the first, every checksum valid, bytes in order", () => {
    const data = bulk(3 * 1448 + 500);
    const S = 0xfffff000; // the sequence space wraps inside the super-frame
    const CWR = 0x80, FIN = 0x01;
    const { n, segs } = split(tcpFrame({ seq: S, ack: 42, flags: CWR | ACK | PSH | FIN, payload: data }), 1448);
    expect(n).toBe(4);
    expect(segs.map((f) => f.length)).toEqual([H + 1448, H + 1448, H + 1448, H + 500]);
    const d = segs.map((f) => decodeFrame(f));
    expect(d.map((x) => x.ip!.total)).toEqual([20 + 32 + 1448, 20 + 32 + 1448, 20 + 32 + 1448, 20 + 32 + 500]);
    expect(d.map((x) => x.ip!.id)).toEqual([1, 2, 3, 4]); // IP id: the super-frame's, then +1 each
    expect(d.map((x) => x.seq)).toEqual([0, 1, 2, 3].map((i) => (S + i * 1448) >>> 0));
    expect(d.map((x) => x.ack)).toEqual([42, 42, 42, 42]);
    expect(d.map((x) => x.tcpFlags)).toEqual([CWR | ACK, ACK, ACK, ACK | PSH | FIN]);
    expect(segs.every((f) => ipOk(f) && l4ChecksumOk(f))).toBe(true);
    expect(Buffer.concat(segs.map((f) => f.subarray(H)))).toEqual(data);
  });

  it("RFC 9293 §3.1: a TCP checksum that computes to zero is sent as 0x0000 (0xffff is rejected by tshark); RFC 768: a UDP one as 0xffff", () => {
    // Make segment 1's sum come out at 0xffff by choosing one 16-bit word of its payload.
    const data = bulk(2 * 1448);
    const frame = (d: Uint8Array) => tcpFrame({ seq: 1000, ack: 1, payload: d });
    data[1448] = 0; data[1449] = 0;
    const s0 = split(frame(data), 1448).segs[1];
    s0[50] = s0[51] = 0; // that segment's checksum field, zeroed: its sum without the field
    const len = s0.length - 34;
    const partial = csum16(s0.subarray(34), csum16(new Uint8Array([...s0.subarray(26, 34), 0, 6, len >> 8, len & 255])));
    const w = 0xffff - partial; // adding w makes the sum 0xffff, so ~sum = 0
    data[1448] = w >> 8; data[1449] = w & 255;
    const seg = split(frame(data), 1448).segs[1];
    expect([seg[50], seg[51]]).toEqual([0, 0]);
    expect(l4ChecksumOk(seg)).toBe(true);

    // UDP 198.51.100.1:9 -> .2:9 with a partial checksum (the pseudo-header sum), completed by the addon.
    const udp = (payload: Uint8Array) => {
      const f = new Uint8Array(42 + payload.length);
      f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 8, 0, 0x45, 0, 0, 28 + payload.length, 0, 1, 0x40, 0, 64, 17, 0, 0, 198, 51, 100, 1, 198, 51, 100, 2], 0);
      const ipc = 0xffff - csum16(f.subarray(14, 34));
      f[24] = ipc >> 8; f[25] = ipc & 255;
      f.set([0, 9, 0, 9, 0, 8 + payload.length, 0, 0], 34);
      f.set(payload, 42);
      const ps = csum16(new Uint8Array([198, 51, 100, 1, 198, 51, 100, 2, 0, 17, 0, 8 + payload.length]));
      f[40] = ps >> 8; f[41] = ps & 255;
      return f;
    };
    const finish = (f: Uint8Array) => loadTapAddon().splitFrame(f, f.length, 0, 0, NEEDS_CSUM, 34, 6, new Uint32Array(1));
    const probe = udp(new Uint8Array([0, 0]));
    expect(finish(probe)).toBe(1);
    expect(l4ChecksumOk(probe)).toBe(true);
    const have = (probe[40] << 8) | probe[41]; // the checksum field = ~sum with payload word 0; choose the word so that ~sum = 0
    const zero = udp(new Uint8Array([have >> 8, have & 255]));
    expect(finish(zero)).toBe(1);
    expect([zero[40], zero[41]]).toEqual([0xff, 0xff]);
    expect(l4ChecksumOk(zero)).toBe(true);
  });

  it("malformed super-frames are dropped (0 frames), never read or written outside the buffer", () => {
    const good = tcpFrame({ seq: 1, ack: 1, payload: bulk(3000) });
    expect(split(good, 1448).n).toBe(3);
    expect(split(good, 0).n).toBe(0); // gso_size 0
    expect(split(good.subarray(0, 50), 1448).n).toBe(0); // truncated headers
    const lying = good.slice();
    lying[16] = 0xff; // IP total length beyond the frame
    expect(split(lying, 1448).n).toBe(0);
    const notTcp = good.slice();
    notTcp[23] = 17;
    expect(split(notTcp, 1448).n).toBe(0);
    expect(split(good, 1448, good.length + 10).n).toBe(0); // the split needs 2 x 66 more bytes than that
    expect(split(good, 16).n).toBe(0); // 188 segments: more than the meta has room for
    const tap = loadTapAddon();
    expect(tap.splitFrame(new Uint8Array(60), 60, 0, 0, NEEDS_CSUM, 34, 200, new Uint32Array(1))).toBe(0); // csum outside
    expect(tap.splitFrame(new Uint8Array(60), 60, 3 /* UDP GSO */, 1000, 0, 0, 0, new Uint32Array(1))).toBe(0);
  });
});

describe.skipIf(reason !== null)("netns helper", () => {
  const list = () => execFileSync("ip", ["netns", "list"], { encoding: "utf8" });

  it("delete() removes the namespace and is idempotent", () => {
    const ns = Netns.create();
    expect(list()).toContain(ns.name);
    expect(ns.execSync(["ip", "-o", "link", "show", "lo"])).toMatch(/UP/);
    ns.delete();
    ns.delete();
    expect(list()).not.toContain(ns.name);
    expect(ns.alive).toBe(false);
  });

  it("a namespace left behind by a test process that died is swept by the next create()", () => {
    const dead = spawnSync("true").pid!; // exited: its pid is no longer alive
    const stale = `wtcpip-${dead}-0`;
    execFileSync("ip", ["netns", "add", stale]);
    try {
      const ns = Netns.create();
      cleanups.push(() => ns.delete());
      expect(list()).not.toContain(stale);
    } finally {
      try { execFileSync("ip", ["netns", "del", stale], { stdio: "ignore" }); } catch { /* swept */ }
    }
  });

  it("run() never blocks the event loop and reports exit codes and timeouts", async () => {
    const ns = Netns.create();
    cleanups.push(() => ns.delete());
    let ticks = 0;
    const iv = setInterval(() => ticks++, 10);
    const ok = await ns.run(["sh", "-c", "sleep 0.2; echo hi"]);
    clearInterval(iv);
    expect(ok).toMatchObject({ code: 0, stdout: "hi\n" });
    expect(ticks).toBeGreaterThan(5);
    expect((await ns.run(["sh", "-c", "exit 3"])).code).toBe(3);
    const slow = await ns.run(["sleep", "5"], 200);
    expect(slow.code).not.toBe(0);
    expect(slow.stderr).toContain("timeout");
  });
});
