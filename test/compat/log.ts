// A normalized event log for the compatibility suite: event names in order with the arguments
// that node:net promises (hadError, error codes and messages, byte counts), never ports or
// addresses, which differ between the two worlds (cases log comparisons instead).
import type { AnySocket } from "./factory.js";

export class EventLog {
  readonly lines: string[] = [];
  push(line: string): void { this.lines.push(line); }
  /**
   * Lines grouped by their tag (first word), in order. Events of one socket have an order node:net
   * promises; how two sockets' events interleave depends on timing, so it is not compared.
   */
  byTag(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const l of this.lines) {
      const i = l.indexOf(" ");
      const tag = i < 0 ? l : l.slice(0, i);
      (out[tag] ??= []).push(i < 0 ? "" : l.slice(i + 1));
    }
    return out;
  }
}

interface Watched { bytes: number; chunks: Buffer[] }

/** Error text with the world's addresses and ports replaced by placeholders. */
export function normError(e: unknown, hosts: string[]): string {
  const err = e as { code?: string; syscall?: string; message?: string };
  let msg = err.message ?? String(e);
  for (const h of hosts) msg = msg.split(h).join("<host>");
  msg = msg.replace(/<host>:\d+/g, "<host>:<port>");
  return `${err.code ?? "-"} ${err.syscall ?? "-"} "${msg}"`;
}

/**
 * Log a socket's events under `tag`. Consecutive 'data' events fold into one line (chunking is
 * not part of node:net's contract); their byte total is logged at 'end' and 'close'.
 */
export function watch(log: EventLog, tag: string, s: AnySocket, hosts: string[], opts: { data?: boolean } = {}): Watched {
  const w: Watched = { bytes: 0, chunks: [] };
  let lastWasData = false;
  const line = (l: string) => { log.push(`${tag} ${l}`); lastWasData = false; };
  s.on("connect", () => line("connect"));
  s.on("ready", () => line("ready"));
  if (opts.data !== false) {
    s.on("data", (d: Buffer) => {
      w.bytes += d.length;
      w.chunks.push(d);
      if (!lastWasData) { log.push(`${tag} data`); lastWasData = true; }
    });
  }
  s.on("end", () => line(`end read=${w.bytes}`));
  s.on("finish", () => line("finish"));
  s.on("timeout", () => line("timeout"));
  s.on("drain", () => line("drain"));
  s.on("error", (e: Error) => line(`error ${normError(e, hosts)}`));
  s.on("close", (...args: unknown[]) => line(`close(${args.map(String).join(",")}) read=${w.bytes}`));
  return w;
}

/** Resolve once `pred` holds (checked every ms), or reject after `ms` real ms with the log so far. */
export async function until(pred: () => boolean, ms: number, log?: EventLog): Promise<void> {
  const t0 = Date.now();
  while (!pred()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out; log so far:\n${log?.lines.join("\n") ?? ""}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
