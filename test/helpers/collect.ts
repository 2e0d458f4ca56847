// What a socket of ours reads, for assertions: its chunks, whether it ended or closed, its error.
import type { NetError, Socket } from "../../src/net.js";

/** Collect everything a socket reads (`data`: the bytes so far). */
export function collect(s: Socket) {
  const st = { chunks: [] as Buffer[], ended: false, closed: false, error: null as NetError | null,
    get data() { return Buffer.concat(this.chunks); } };
  s.on("data", (d: Buffer) => st.chunks.push(d));
  s.on("end", () => { st.ended = true; });
  s.on("close", () => { st.closed = true; });
  s.on("error", (e: NetError) => { st.error = e; });
  return st;
}
