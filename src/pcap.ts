// libpcap capture files (the classic format, not pcapng): magic 0xa1b2c3d4 in host
// byte order, version 2.4, LINKTYPE_ETHERNET, microsecond timestamps. Wireshark,
// tshark and tcpdump read them.
//
// Records are gathered in a preallocated buffer and written with one synchronous
// write when it fills, on flush() and on close(), so recording costs a copy per
// frame and a syscall per ~256 KiB. Attach a writer to any link that reports the
// frames it carries (see Link/FrameTap below) or call record() yourself.

import { closeSync, openSync, writeSync } from "node:fs";
import { performance } from "node:perf_hooks";

export const LINKTYPE_ETHERNET = 1;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

export interface PcapOptions {
  /** Bytes kept of each frame (default 65535). */
  snaplen?: number;
  /** Size of the write buffer in bytes (default 256 KiB). */
  bufferSize?: number;
  /** Timestamp source in microseconds (default: the wall clock). */
  clockUs?: () => number;
}

/** Wall clock in microseconds with sub-millisecond resolution. */
export function wallClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}

/** A frame as links report it (the emulated link's TapRecord and TapLink's records fit). */
export interface FrameRecord {
  /** ms on the source's clock. */
  time: number;
  frame: Uint8Array;
  dropped: boolean;
  duplicate?: boolean;
}

/** Anything that reports the frames it carries: emulated Link or Sim, TapLink. */
export interface FrameSource {
  tap(fn: (rec: FrameRecord) => void): () => void;
  /** Wall-clock ms at the source's time 0 (TapLink has it; a virtual clock has none). */
  readonly epochMs?: number;
}

export interface AttachOptions {
  /** Added to the records' times (ms); default: source.epochMs, else 0 (virtual time starts at 1970). */
  epochMs?: number;
  /** Also record frames the link dropped (default false: only frames that were on the wire). */
  includeDropped?: boolean;
}

export class PcapWriter {
  readonly path: string;
  readonly snaplen: number;
  /** Frames recorded so far. */
  frames = 0;
  private fd: number;
  private buf: Buffer;
  private used = 0;
  private clockUs: () => number;

  constructor(path: string, opts: PcapOptions = {}) {
    this.path = path;
    this.snaplen = opts.snaplen ?? 65535;
    this.clockUs = opts.clockUs ?? wallClockUs;
    this.buf = Buffer.alloc(Math.max(opts.bufferSize ?? 256 * 1024, GLOBAL_HEADER + RECORD_HEADER + this.snaplen));
    this.fd = openSync(path, "w");
    const b = this.buf;
    b.writeUInt32LE(0xa1b2c3d4, 0); // microsecond-resolution magic
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeInt32LE(0, 8);            // thiszone
    b.writeUInt32LE(0, 12);          // sigfigs
    b.writeUInt32LE(this.snaplen, 16);
    b.writeUInt32LE(LINKTYPE_ETHERNET, 20);
    this.used = GLOBAL_HEADER;
  }

  get closed(): boolean { return this.fd < 0; }

  /**
   * Record one frame. `frame` may be a view into wasm memory: it is copied now.
   * `timeUs` defaults to the writer's clock.
   */
  record(frame: Uint8Array, timeUs: number = this.clockUs()): void {
    if (this.fd < 0) return;
    const caplen = Math.min(frame.length, this.snaplen);
    if (this.used + RECORD_HEADER + caplen > this.buf.length) this.flush();
    const b = this.buf, o = this.used;
    const t = Math.max(0, Math.floor(timeUs));
    b.writeUInt32LE(Math.floor(t / 1e6) >>> 0, o);
    b.writeUInt32LE(t % 1e6, o + 4);
    b.writeUInt32LE(caplen, o + 8);
    b.writeUInt32LE(frame.length, o + 12);
    b.set(caplen === frame.length ? frame : frame.subarray(0, caplen), o + RECORD_HEADER);
    this.used = o + RECORD_HEADER + caplen;
    this.frames++;
  }

  /**
   * Record every frame `source` carries, stamped with the source's clock. Returns a
   * function that detaches the writer (close() does not detach; call both when done).
   */
  attach(source: FrameSource, opts: AttachOptions = {}): () => void {
    const epochUs = (opts.epochMs ?? source.epochMs ?? 0) * 1000;
    return source.tap((rec) => {
      if (!rec.dropped || opts.includeDropped) this.record(rec.frame, epochUs + rec.time * 1000);
    });
  }

  /** Write buffered records to the file. */
  flush(): void {
    if (this.fd < 0) return;
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

// ---------------------------------------------------------------------------
// Reading classic pcap files: both byte orders, microsecond or nanosecond timestamps
// (converted to microseconds). Used by `wasm-tcpip ladder` and by the tests.

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

export interface PcapPacket {
  /** Seconds since the epoch. */
  tsSec: number;
  /** Microseconds within the second (0..999999). */
  tsUsec: number;
  /** Length of the frame on the wire (may exceed data.length when the capture was cut). */
  origLen: number;
  /** The captured bytes (a copy, not a view into the file). */
  data: Uint8Array;
}

export interface PcapFile {
  linkType: number;
  snapLen: number;
  /** True when the file was written big-endian. */
  bigEndian: boolean;
  /** True when the file had nanosecond timestamps (converted to tsUsec on read). */
  nanos: boolean;
  packets: PcapPacket[];
}

/** Parse a classic pcap file. Throws on a bad magic or a record running past the end of the file. */
export function readPcap(bytes: Uint8Array): PcapFile {
  if (bytes.length < GLOBAL_HEADER) throw new Error(`pcap: ${bytes.length} bytes is shorter than the global header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let le: boolean;
  let nanos: boolean;
  const magicLE = view.getUint32(0, true);
  const magicBE = view.getUint32(0, false);
  if (magicLE === MAGIC_US || magicLE === MAGIC_NS) {
    le = true;
    nanos = magicLE === MAGIC_NS;
  } else if (magicBE === MAGIC_US || magicBE === MAGIC_NS) {
    le = false;
    nanos = magicBE === MAGIC_NS;
  } else {
    throw new Error(`pcap: bad magic 0x${magicLE.toString(16)} (pcapng is not supported; write with dumpcap -P)`);
  }
  const major = view.getUint16(4, le);
  if (major !== 2) throw new Error(`pcap: unsupported version ${major}`);
  const snapLen = view.getUint32(16, le);
  const linkType = view.getUint32(20, le) & 0x0fffffff; // upper bits: FCS length flags
  const packets: PcapPacket[] = [];
  let off = GLOBAL_HEADER;
  while (off < bytes.length) {
    if (off + RECORD_HEADER > bytes.length) throw new Error(`pcap: truncated record header at offset ${off}`);
    const tsSec = view.getUint32(off, le);
    const frac = view.getUint32(off + 4, le);
    const inclLen = view.getUint32(off + 8, le);
    const origLen = view.getUint32(off + 12, le);
    off += RECORD_HEADER;
    if (off + inclLen > bytes.length) throw new Error(`pcap: record of ${inclLen} bytes runs past the end at offset ${off}`);
    packets.push({
      tsSec,
      tsUsec: nanos ? Math.floor(frac / 1000) : frac,
      origLen,
      data: new Uint8Array(bytes.subarray(off, off + inclLen)), // a plain copy, even from a Buffer
    });
    off += inclLen;
  }
  return { linkType, snapLen, bigEndian: !le, nanos, packets };
}
