// node:dns-shaped name lookup over the core's stub resolver (dnsQuery / dnsResult / DnsDone,
// docs/abi.md "DNS stub resolver"): family 4 (A), 6 (AAAA, RFC 3596) or 0 (both: two queries,
// IPv4 addresses first unless `order: "ipv6first"`).
//
//   net.lookup("device.test", (err, address, family) => ...)
//   net.lookup("device.test", { all: true }, (err, addresses) => ...)
//   const { address } = await net.promises.lookup("device.test");
//
// Errors carry node's dns codes: ENOTFOUND (NXDOMAIN), ENODATA (no A record), ESERVFAIL,
// EREFUSED, ETIMEOUT, EBADRESP (a truncated reply: no TCP fallback), EBADNAME (not a valid name).
// The core's DnsDone event arrives inside a wasm call; the result is read in a microtask.
import { Err } from "./abi.js";
import { ip6ToBytes, ipToU32, Stack } from "./stack.js";

export interface LookupOptions { family?: number | "IPv4" | "IPv6"; all?: boolean; hints?: number; verbatim?: boolean; order?: string }
export interface LookupAddress { address: string; family: number }
export type LookupOneCallback = (err: NodeJS.ErrnoException | null, address: string, family: number) => void;
export type LookupAllCallback = (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void;

const CODES: Record<number, string> = {
  [Err.ENOTFOUND]: "ENOTFOUND", [Err.ENODATA]: "ENODATA", [Err.ESERVFAIL]: "ESERVFAIL", [Err.EREFUSED]: "EREFUSED",
  [Err.ETIMEDOUT]: "ETIMEOUT", [Err.ETRUNCATED]: "EBADRESP", [Err.EINVAL]: "EBADNAME", [Err.ENOMEM]: "ENOMEM",
  [Err.EHOSTUNREACH]: "ECONNREFUSED", [Err.ESTATE]: "ENOTINITIALIZED",
};

export function lookupError(code: string, hostname: string): NodeJS.ErrnoException & { hostname: string } {
  const e = new Error(`getaddrinfo ${code} ${hostname}`) as NodeJS.ErrnoException & { hostname: string };
  e.code = code;
  e.syscall = "getaddrinfo";
  e.hostname = hostname;
  return e;
}

function isIpv4(s: string): boolean {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return false;
  try { ipToU32(s); return true; } catch { return false; }
}

function isIpv6(s: string): boolean {
  if (!s.includes(":")) return false;
  try { ip6ToBytes(s); return true; } catch { return false; }
}

interface Pending { hostname: string; family: 4 | 6; done: (err: NodeJS.ErrnoException | null, addrs: string[]) => void }

/** Lookups over one Stack; NetStack owns one and routes DnsDone events to done(). */
export class Lookup {
  private inflight = new Map<number, Pending>();
  private waiting: Pending[] = [];

  /** `hold`: liveness (like node's getaddrinfo/c-ares requests, an outstanding query keeps the process alive). */
  constructor(private stack: Stack, private wake: () => void, private hold: (who: object, on: boolean) => void = () => {}) {}

  /** Resolve to IPv4 addresses (all the core returned). */
  resolve4(hostname: string, done: (err: NodeJS.ErrnoException | null, addrs: string[]) => void): void {
    if (isIpv4(hostname)) { process.nextTick(() => done(null, [hostname])); return; }
    this.start({ hostname, family: 4, done });
  }

  /** Resolve to IPv6 addresses (AAAA records, all the core returned). */
  resolve6(hostname: string, done: (err: NodeJS.ErrnoException | null, addrs: string[]) => void): void {
    if (isIpv6(hostname)) { process.nextTick(() => done(null, [hostname])); return; }
    this.start({ hostname, family: 6, done });
  }

  /** node:dns/promises resolve6: errors carry node's codes and syscall "queryAaaa". */
  resolve6Async(hostname: string): Promise<string[]> { return this.promised("queryAaaa", hostname, (cb) => this.resolve6(hostname, cb)); }

  /** node:dns/promises resolve4: errors carry node's codes and syscall "queryA". */
  resolve4Async(hostname: string): Promise<string[]> { return this.promised("queryA", hostname, (cb) => this.resolve4(hostname, cb)); }

  /** A callback resolver as a Promise whose error names `syscall` as node:dns/promises does. */
  private promised(syscall: string, hostname: string,
    run: (cb: (err: NodeJS.ErrnoException | null, addrs: string[]) => void) => void): Promise<string[]> {
    return new Promise((resolve, reject) => {
      run((err, addrs) => {
        if (!err) { resolve(addrs); return; }
        err.syscall = syscall;
        err.message = `${syscall} ${err.code} ${hostname}`;
        reject(err);
      });
    });
  }

  private start(p: Pending): void {
    const q = this.stack.dnsQuery(p.hostname, p.family);
    this.hold(p, true);
    if (q === -Err.ENOMEM && this.inflight.size > 0) { this.waiting.push(p); return; } // a slot frees later
    if (q < 0) {
      process.nextTick(() => { this.hold(p, false); p.done(lookupError(CODES[-q] ?? `E${-q}`, p.hostname), []); });
      return;
    }
    this.inflight.set(q, p);
    this.wake();
  }

  /** @internal A DnsDone event for query q (called from inside the core: defer the work). */
  done(q: number): void {
    queueMicrotask(() => {
      const p = this.inflight.get(q);
      if (!p) return;
      this.inflight.delete(q);
      this.hold(p, false);
      const r = this.stack.dnsResult(q, 32, p.family);
      if (typeof r === "number") p.done(lookupError(CODES[-r] ?? `E${-r}`, p.hostname), []);
      else p.done(null, r.addresses);
      const w = this.waiting.splice(0);
      for (const x of w) this.start(x);
    });
  }

  /** node:dns lookup(hostname, [options], callback). */
  lookup(hostname: string, a?: LookupOptions | number | LookupOneCallback | LookupAllCallback, b?: LookupOneCallback | LookupAllCallback): void {
    const cb = (typeof a === "function" ? a : b) as (...args: unknown[]) => void;
    const opts: LookupOptions = typeof a === "number" ? { family: a } : typeof a === "object" && a ? a : {};
    if (typeof cb !== "function") throw new TypeError("lookup: callback must be a function");
    const fam = opts.family === "IPv4" ? 4 : opts.family === "IPv6" ? 6 : (opts.family ?? 0);
    if (fam !== 0 && fam !== 4 && fam !== 6) {
      process.nextTick(() => (opts.all ? cb(lookupError("EAI_FAMILY", hostname), []) : cb(lookupError("EAI_FAMILY", hostname), undefined, 0)));
      return;
    }
    const finish = (err: NodeJS.ErrnoException | null, list: LookupAddress[]) => {
      if (opts.all) cb(err, err ? [] : list);
      else cb(err, err ? undefined : list[0].address, err ? 0 : list[0].family);
    };
    const tag = (family: number) => (addrs: string[]) => addrs.map((address) => ({ address, family }));
    if (isIpv4(hostname) || isIpv6(hostname)) { // a literal: itself, when its family is acceptable
      const f = isIpv4(hostname) ? 4 : 6;
      process.nextTick(() => (fam === 0 || fam === f ? finish(null, [{ address: hostname, family: f }]) : finish(lookupError("ENOTFOUND", hostname), [])));
      return;
    }
    if (fam === 4) { this.resolve4(hostname, (err, a) => finish(err, tag(4)(a))); return; }
    if (fam === 6) { this.resolve6(hostname, (err, a) => finish(err, tag(6)(a))); return; }
    // both families: two queries; an error only when neither found an address (the A query's error first)
    let left = 2;
    const got: { 4: LookupAddress[]; 6: LookupAddress[] } = { 4: [], 6: [] };
    const errs: { 4: NodeJS.ErrnoException | null; 6: NodeJS.ErrnoException | null } = { 4: null, 6: null };
    const one = (family: 4 | 6) => (err: NodeJS.ErrnoException | null, addrs: string[]) => {
      errs[family] = err;
      if (!err) got[family] = tag(family)(addrs);
      if (--left > 0) return;
      const list = opts.order === "ipv6first" ? [...got[6], ...got[4]] : [...got[4], ...got[6]];
      finish(list.length > 0 ? null : (errs[4] ?? errs[6]), list);
    };
    this.resolve4(hostname, one(4));
    this.resolve6(hostname, one(6));
  }

  /** node:dns/promises lookup. */
  lookupAsync(hostname: string, opts: LookupOptions & { all: true }): Promise<LookupAddress[]>;
  lookupAsync(hostname: string, opts?: LookupOptions | number): Promise<LookupAddress>;
  lookupAsync(hostname: string, opts: LookupOptions | number = {}): Promise<LookupAddress | LookupAddress[]> {
    return new Promise((resolve, reject) => {
      this.lookup(hostname, opts, ((err: NodeJS.ErrnoException | null, x: unknown, family?: number) => {
        if (err) reject(err);
        else resolve(typeof x === "string" ? { address: x, family: family ?? 4 } : (x as LookupAddress[]));
      }) as LookupOneCallback);
    });
  }
}
