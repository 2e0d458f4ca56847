// net.sntp(server?): one SNTP exchange through the core's client (docs/abi.md "SNTP client") as a
// Promise. Without a server the core uses the DHCP lease's NTP servers (option 42). The client is
// stopped after the answer (the learned time stays in the core); queries run one at a time.
//
//   const { time, offsetMs, delayMs, server, stratum } = await net.sntp();
import { Err, ERR_NAMES } from "./abi.js";
import { Stack, u32ToIp } from "./stack.js";

export interface SntpResult {
  /** The server's time at our clock's reading when the answer was taken (UTC). */
  time: Date;
  /** Offset of our clock from the server's (RFC 5905 θ), ms; positive: the server is ahead. */
  offsetMs: number;
  /** Round-trip delay (RFC 5905 δ), ms. */
  delayMs: number;
  server: string;
  stratum: number;
}

export interface SntpQueryOptions {
  /** Give up after this many ms (the core retries after 1, 2, 4 and 8 s; default 15000). */
  timeoutMs?: number;
}

type MakeError = (code: string, syscall: string, address?: string) => Error;
type TimerAt = (t: number, fn: () => void) => () => void;

export class SntpQueries {
  private chain: Promise<unknown> = Promise.resolve();
  private waiter: (() => void) | null = null;

  /** `hold`: liveness (an outstanding query keeps the process alive, like a ref'd node:dgram socket). */
  constructor(private stack: Stack, private timerAt: TimerAt, private makeError: MakeError,
    private hold: (who: object, on: boolean) => void = () => {}) {}

  /** @internal An SntpSync event (called after the core's call returned). */
  synced(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.();
  }

  query(server?: string, opts: SntpQueryOptions = {}): Promise<SntpResult> {
    const run = this.chain.then(() => this.once(server, opts.timeoutMs ?? 15_000));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private once(server: string | undefined, timeoutMs: number): Promise<SntpResult> {
    const token = {};
    this.hold(token, true);
    const p = new Promise<SntpResult>((resolve, reject) => {
      let r: number;
      try { r = this.stack.sntpStart(server ?? null, 0); } catch { r = -Err.EINVAL; }
      if (r < 0) {
        const code = r === -Err.EADDRNOTAVAIL ? "EADDRNOTAVAIL" : ERR_NAMES[-r] ?? `E${-r}`;
        reject(this.makeError(code, server === undefined ? "sntp (no NTP server from DHCP)" : "sntp", server));
        return;
      }
      const cancel = this.timerAt(this.stack.clock.now() + timeoutMs, () => {
        this.waiter = null;
        const info = this.stack.sntpInfo();
        this.stack.sntpStop();
        const denied = info.stateName === "denied";
        reject(this.makeError(denied ? "EACCES" : "ETIMEDOUT", denied ? `sntp (kiss-o'-death ${info.kissCode})` : "sntp",
          info.server ? u32ToIp(info.server) : server));
      });
      this.waiter = () => {
        cancel();
        const info = this.stack.sntpInfo();
        this.stack.sntpStop();
        resolve({
          time: info.time ?? new Date(NaN), offsetMs: info.offsetMs, delayMs: info.delayUs / 1000,
          server: u32ToIp(info.server), stratum: info.stratum,
        });
      };
    });
    const free = () => this.hold(token, false);
    p.then(free, free);
    return p;
  }
}
