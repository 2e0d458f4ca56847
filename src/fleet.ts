// Stacks on an emulated network, made in one call: a pair of node:net-style stacks on a
// real-time Sim (run a real library over an emulated network), and fleets of K devices on a
// learning switch (bring-up, memory and throughput at scale).
//
//   const { a, b } = emulatedPair({ loss: 0.02, reorder: 0.02 });  // real time, seeded impairments
//   b.createServer((s) => s.pipe(s)).listen(7);
//   const c = a.connect(7, "198.51.100.2");
//
//   const fleet = createFleet({ count: 1000, build: "mcu" });        // virtual time (see createFleet)

import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Link, LinkOptions, Sim } from "./links/emulated.js";
import { realtime, RealtimeOptions, RealtimeSim } from "./links/realtime.js";
import { CreateStackOptions, createStack, NetStack, runSim } from "./net.js";
import { BuildName, buildPath, Stack } from "./stack.js";
import { DhcpServer } from "./dhcp-server.js";
import { EventKind } from "./abi.js";

export interface PairOptions extends LinkOptions {
  /** The Sim's seed (impairments and both stacks' seeds derive from it). Default 1. */
  simSeed?: number;
  /** Run on the real clock (default true), with these options; false: virtual time (drive it with net.until). */
  realtime?: boolean | RealtimeOptions;
  /** Extra createStack options for each side (addresses default to 198.51.100.1/24 and .2/24). */
  a?: Partial<CreateStackOptions>;
  b?: Partial<CreateStackOptions>;
}

export interface Pair {
  sim: Sim;
  link: Link;
  /** The real-time driver (null when `realtime: false`). */
  rt: RealtimeSim | null;
  a: NetStack;
  b: NetStack;
  /** Close both stacks and stop the driver. */
  close(): void;
}

/** Two stacks (198.51.100.1 and .2) on one emulated link, by default running on the real clock. */
export function emulatedPair(opts: PairOptions = {}): Pair {
  const { simSeed, realtime: rtOpt, a: aOpt, b: bOpt, ...linkOpts } = opts;
  const sim = new Sim({ seed: simSeed ?? 1 });
  const link = sim.link({ delayMs: 1, ...linkOpts });
  const mk = (n: number, o: Partial<CreateStackOptions> = {}) => createStack({
    ip: `198.51.100.${n}/24`, mac: `02:00:00:00:00:0${n}`, name: n === 1 ? "a" : "b", ...o, link: { type: "emulated", sim, link },
  } as CreateStackOptions);
  const a = mk(1, aOpt), b = mk(2, bOpt);
  const rt = rtOpt === false ? null : realtime(sim, rtOpt === true || rtOpt === undefined ? {} : rtOpt);
  return { sim, link, rt, a, b, close: () => { a.close(); b.close(); rt?.stop(); } };
}

// ---------------------------------------------------------------------------
// Fleets

/** The MCU configuration (firmware/core/wt_mcu_config.h): the core's pools fit its first 64 KiB page. */
export const MCU_CONFIG: Readonly<Record<string, number>> = {
  MaxSockets: 8, RingPairs: 4, SndBuf: 4096, RcvBuf: 4096, IoBuf: 1484, ArpEntries: 4, ArpQueue: 3,
  TimeWaitEntries: 8, UdpSockets: 4, UdpQueueBytes: 1480, McastGroups: 4, ReasmSlots: 1, ReasmMaxBytes: 2048,
  DnsCacheEntries: 2,
};

export interface FleetOptions {
  /** Devices to create. */
  count: number;
  /** The Sim to add them to (default: a new one with `seed`). */
  sim?: Sim;
  /** Seed of a new Sim (default 1); each device's seed derives from it. */
  seed?: number;
  /** Attach to this link (default: a new learning switch with `linkOptions`). */
  link?: Link;
  /** Options of the new switch (default { delayMs: 0.1 }; `learning` is forced on). */
  linkOptions?: LinkOptions;
  /** Core build (default "mcu"). */
  build?: BuildName;
  /** Or a module file (overrides build). */
  wasmPath?: string;
  /** Config keys (default MCU_CONFIG). */
  config?: Record<string, number>;
  /**
   * Devices per VLAN (default 250): device i sits in VLAN floor(i / perVlan) + 1 at
   * 198.51.100.(i % perVlan + 1)/24, so every VLAN is its own /24 and a broadcast reaches
   * perVlan ports, not count. Give `address` to place devices yourself.
   */
  perVlan?: number;
  /** Where device i goes (overrides perVlan). */
  address?: (i: number) => { ip: string; prefix?: number; vlan?: number; gateway?: string };
  /**
   * Declare this maximum (64 KiB pages) in the module's memory (default 16: 1 MiB). With
   * `node --disable-wasm-trap-handler` V8 then reserves only that much address space per
   * device instead of ~10 GiB (see the README: fleets beyond ~12,700 devices per process).
   * 0: load the module unchanged.
   */
  maxPages?: number;
  /** Call init() on each device (default true: each sends its gratuitous ARP). */
  init?: boolean;
  /** Device i gets MAC fleetMac(macBase + i) (default 0; give each shard its own range). */
  macBase?: number;
  /**
   * Addresses by DHCP (src/dhcp-server.ts) instead of static ones: per VLAN one server stack at
   * 198.51.100.1/24 (also the router and DNS option) with the pool .2-.254, and every device runs
   * the core's DHCP client (RFC 5227 probes first unless `acd: false`). Wait with
   * await fleet.runUntilBound(ms); fleet.ip(i) is then device i's leased address. Needs perVlan <= 253.
   */
  dhcp?: boolean | FleetDhcpOptions;
}

export interface FleetDhcpOptions {
  /** Lease time in seconds (default 3600). */
  leaseSeconds?: number;
  /** RFC 5227 address conflict detection before using a lease (default true; false sets DhcpFlags bit 1, ~7 s faster). */
  acd?: boolean;
  /** Seed of each server's address order (default: the fleet's seed + the VLAN). */
  seed?: number;
}

export interface Fleet {
  sim: Sim;
  link: Link;
  devices: Stack[];
  /** Device i's address, MAC and VLAN. */
  ip(i: number): string;
  mac(i: number): string;
  vlan(i: number): number;
  /** With `dhcp`: the server stacks and their DHCP servers, one per VLAN (index VLAN - 1); else empty. */
  serverStacks: NetStack[];
  servers: DhcpServer[];
  /** With `dhcp`: how many devices hold a lease (are BOUND, RENEWING or REBINDING) now. */
  boundCount(): number;
  /**
   * With `dhcp`: run the Sim (runSim: the servers' sockets read between instants, so a bare
   * sim.runFor does not serve them; realtime(sim) does) until every device holds a lease or
   * `maxMs` of virtual time passed; whether all did.
   */
  runUntilBound(maxMs: number): Promise<boolean>;
}

/** MAC of fleet device i: 02:00 + (i + 1) as 32 bits (locally administered, unicast). */
export function fleetMac(i: number): string {
  const n = (i + 1) >>> 0;
  return ["02", "00", ...[24, 16, 8, 0].map((s) => ((n >>> s) & 0xff).toString(16).padStart(2, "0"))].join(":");
}

/**
 * K devices (bare Stacks: the raw ABI, pings, counters; wrap one with createStack's API by
 * making it yourself if you need sockets) on one learning switch of a Sim, with seeds from the
 * Sim's seed and addresses by VLAN (FleetOptions.perVlan). Virtual time: run it with
 * sim.runFor(ms), or on the real clock with realtime(sim).
 */
export function createFleet(opts: FleetOptions): Fleet {
  const sim = opts.sim ?? new Sim({ seed: opts.seed ?? 1 });
  const link = opts.link ?? sim.switch({ delayMs: 0.1, ...(opts.linkOptions ?? {}) });
  const build = opts.build ?? "mcu";
  const dhcp = opts.dhcp ? (opts.dhcp === true ? {} : opts.dhcp) : null;
  const config0 = opts.config ?? MCU_CONFIG;
  const config = dhcp && dhcp.acd === false ? { ...config0, DhcpFlags: (config0.DhcpFlags ?? 0) | 2 } : config0;
  const perVlan = opts.perVlan ?? 250;
  if (dhcp && opts.address) throw new Error("createFleet: give either address or dhcp");
  if (dhcp && perVlan > 253) throw new Error("createFleet: with dhcp, perVlan must be 1..253 (.1 is the server)");
  if (!opts.address && (perVlan < 1 || perVlan > 254)) throw new Error("createFleet: perVlan must be 1..254 (one /24 per VLAN)");
  type Place = { ip: string; prefix?: number; vlan?: number; gateway?: string };
  const place: (i: number) => Place = opts.address ?? ((i: number) => ({ ip: `198.51.100.${(i % perVlan) + 1}`, prefix: 24, vlan: Math.floor(i / perVlan) + 1 }));
  const maxPages = opts.maxPages ?? 16;
  const wasmPath = maxPages > 0 ? cappedModule(opts.wasmPath ?? buildPath(build), maxPages) : opts.wasmPath;
  const macBase = opts.macBase ?? 0;
  const devices: Stack[] = [];
  const vlans: number[] = [];
  const serverStacks: NetStack[] = [];
  const servers: DhcpServer[] = [];
  if (dhcp) {
    const nVlans = Math.ceil(opts.count / perVlan);
    for (let v = 1; v <= nVlans; v++) {
      // a NetStack on this VLAN's ports: createStack attaches to the link it is given, so give it a view that attaches with the VLAN
      const onVlan = Object.create(link, { attach: { value: (ep: Parameters<Link["attach"]>[0]) => link.attach(ep, { vlan: v }) } }) as Link;
      const net = createStack({
        ip: "198.51.100.1/24", mac: `02:fe:00:00:${((v >> 8) & 0xff).toString(16).padStart(2, "0")}:${(v & 0xff).toString(16).padStart(2, "0")}`,
        name: `dhcp${v}`, seed: ((opts.seed ?? 1) * 7919 + v) >>> 0, sndBuf: 4096, rcvBuf: 4096, maxSockets: 4,
        config: { UdpQueueBytes: Math.max(65536, perVlan * 1024) }, // every device's DISCOVER may arrive in one instant
        link: { type: "emulated", sim, link: onVlan },
      });
      serverStacks.push(net);
      servers.push(new DhcpServer(net, { pool: ["198.51.100.2", "198.51.100.254"], leaseSeconds: dhcp.leaseSeconds ?? 3600, seed: (dhcp.seed ?? opts.seed ?? 1) + v }));
    }
  }
  const held = new Set<number>(); // devices whose client holds a lease (from DhcpState events)
  for (let i = 0; i < opts.count; i++) {
    const a = dhcp ? { ip: undefined, prefix: 0, vlan: Math.floor(i / perVlan) + 1, gateway: undefined } : place(i);
    vlans.push(a.vlan ?? 1);
    const d = sim.addHost({
      name: `d${i}`, ip: a.ip, prefix: a.prefix ?? 24, gateway: a.gateway, mac: fleetMac(macBase + i), build, wasmPath, config,
      link, vlan: a.vlan ?? 1, init: opts.init,
    });
    if (dhcp) {
      d.onEvents((_h, kind, arg) => { if (kind === EventKind.DhcpState) { if (arg >= 5 && arg <= 7) held.add(i); else held.delete(i); } });
      if (opts.init !== false) {
        const r = d.dhcpStart();
        if (r !== 0) throw new Error(`createFleet: device ${i}: dhcpStart ${r}`);
      }
    }
    devices.push(d);
  }
  return {
    sim, link, devices, serverStacks, servers,
    ip: (i) => (dhcp ? devices[i].ifaceInfo().address ?? "0.0.0.0" : place(i).ip),
    mac: (i) => fleetMac(macBase + i),
    vlan: (i) => vlans[i],
    boundCount: () => held.size,
    runUntilBound: (maxMs) => runSim(sim, () => held.size === opts.count, maxMs),
  };
}

/**
 * The module at `path` with a declared memory maximum of `maxPages` (written once to the temp
 * directory; the Stack loads it by path). Only the memory section's limits change.
 */
export function cappedModule(path: string, maxPages: number): string {
  const bytes = readFileSync(path);
  const out = join(tmpdir(), `wasm-tcpip-${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}-max${maxPages}.wasm`);
  if (existsSync(out)) return out;
  const leb = (v: number): number[] => { const o: number[] = []; do { let b = v & 0x7f; v >>>= 7; if (v) b |= 0x80; o.push(b); } while (v); return o; };
  const readLeb = (p: number): [number, number] => { let v = 0, s = 0, b; do { b = bytes[p++]; v |= (b & 0x7f) << s; s += 7; } while (b & 0x80); return [v >>> 0, p]; };
  const parts: Buffer[] = [bytes.subarray(0, 8)];
  let p = 8, found = false;
  while (p < bytes.length) {
    const id = bytes[p];
    const [size, body] = readLeb(p + 1);
    const end = body + size;
    if (id === 5) {
      let [count, q] = readLeb(body);
      if (count !== 1) throw new Error(`${path}: ${count} memories`);
      const flags = bytes[q++];
      let min: number;
      [min, q] = readLeb(q);
      if (flags & 1) [, q] = readLeb(q);
      if (min > maxPages) throw new Error(`${path}: the memory starts at ${min} pages, more than maxPages ${maxPages}`);
      const payload = [1, flags | 1, ...leb(min), ...leb(maxPages), ...bytes.subarray(q, end)];
      parts.push(Buffer.from([5, ...leb(payload.length), ...payload]));
      found = true;
    } else parts.push(bytes.subarray(p, end));
    p = end;
  }
  if (!found) throw new Error(`${path}: no memory section`);
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, out);
  return out;
}

// ---------------------------------------------------------------------------
// Shards: one fleet across worker threads or processes

/** What a bridge sends frames through: a worker_threads MessagePort or Worker, or a child process (IPC). */
export interface FramePort {
  postMessage?(msg: unknown, transfer?: ArrayBuffer[]): void;
  send?(msg: unknown): boolean;
  on(ev: "message", fn: (msg: unknown) => void): unknown;
  off?(ev: "message", fn: (msg: unknown) => void): unknown;
}

/**
 * Join `link` (in this thread's Sim) to the link of another thread or process: the bridge is one
 * port of the link (a hub or switch) whose frames go out through `port` and whose incoming
 * frames enter the link as if sent from that port. Each side runs its own Sim; both must run on
 * the real clock (realtime()), since their virtual clocks are not otherwise related. A fleet
 * beyond one process's limit (see the README) is K shards of devices, each shard in a worker,
 * bridged to one switch. Returns a function that detaches the listener.
 */
export function bridge(link: Link, port: FramePort, name = "bridge"): () => void {
  let tx: ((frame: Uint8Array) => void) | null = null;
  const ep = {
    name,
    input(frame: Uint8Array): void {
      if (port.postMessage) {
        const copy = frame.slice(); // the link may recycle its buffer: send our own, transferred
        port.postMessage(copy, [copy.buffer]);
      } else port.send!(Buffer.from(frame).toString("base64"));
    },
    attach(fn: ((frame: Uint8Array) => void) | null): void { tx = fn; },
  };
  link.attach(ep);
  const onMsg = (msg: unknown): void => {
    const frame = typeof msg === "string" ? new Uint8Array(Buffer.from(msg, "base64")) : msg instanceof Uint8Array ? msg : null;
    if (frame !== null && frame.length >= 14 && tx) tx(frame);
  };
  port.on("message", onMsg);
  return () => { port.off?.("message", onMsg); };
}
