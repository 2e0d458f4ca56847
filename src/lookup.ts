// node:dns-shaped name lookup over the core's stub resolver (dnsQuery / dnsResult / DnsDone,
// docs/abi.md "DNS stub resolver"). IPv4 only for now (family 4 / 0; family 6 is EAI_FAMILY).
//
//   net.lookup("device.test", (err, address, family) => ...)
//   net.lookup("device.test", { all: true }, (err, addresses) => ...)
//   const { address } = await net.promises.lookup("device.test");
//
// Errors carry node's dns codes: ENOTFOUND (NXDOMAIN), ENODATA (no A record), ESERVFAIL,
// EREFUSED, ETIMEOUT, EBADRESP (a truncated reply: no TCP fallback), EBADNAME (not a valid name).
// The core's DnsDone event arrives inside a wasm call; the result is read in a microtask.
import { Err } from "./abi.js";
import { ipToU32, Stack } from "./stack.js";

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

interface Pending { hostname: string; done: (err: NodeJS.ErrnoException | null, addrs: string[]) => void }

/** Lookups over one Stack; NetStack owns one and routes DnsDone events to done(). */
export class Lookup {
  private inflight = new Map<number, Pending>();
  private waiting: Pending[] = [];

  /** `hold`: liveness (like node's getaddrinfo/c-ares requests, an outstanding query keeps the process alive). */
  constructor(private stack: Stack, private wake: () => void, private hold: (who: object, on: boolean) => void = () => {}) {}

  /** Resolve to IPv4 addresses (all the core returned). */
  resolve4(hostname: string, done: (err: NodeJS.ErrnoException | null, addrs: string[]) => void): void {
    if (isIpv4(hostname)) { process.nextTick(() => done(null, [hostname])); return; }
    this.start({ hostname, done });
  }

  /** node:dns/promises resolve4: errors carry node's codes and syscall "queryA". */
  resolve4Async(hostname: string): Promise<string[]> {
    return new Promise((resolve, reject) => {
      this.resolve4(hostname, (err, addrs) => {
        if (!err) { resolve(addrs); return; }
        err.syscall = "queryA";
        err.message = `queryA ${err.code} ${hostname}`;
        reject(err);
      });
    });
  }

  private start(p: Pending): void {
    const q = this.stack.dnsQuery(p.hostname);
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
      const r = this.stack.dnsResult(q);
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
    if (fam === 6) {
      process.nextTick(() => (opts.all ? cb(lookupError("EAI_FAMILY", hostname), []) : cb(lookupError("EAI_FAMILY", hostname), undefined, 0)));
      return;
    }
    this.resolve4(hostname, (err, addrs) => {
      if (opts.all) cb(err, err ? [] : addrs.map((address) => ({ address, family: 4 })));
      else cb(err, err ? undefined : addrs[0], err ? 0 : 4);
    });
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
