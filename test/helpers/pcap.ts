// Classic pcap (libpcap) files for tests: read and write, LINKTYPE_ETHERNET.
//
// Reads both byte orders (magic a1b2c3d4 written by the capturing host in its own order) with
// microsecond timestamps; nanosecond files (magic a1b23c4d) are read too, their fractional part
// converted to microseconds. Writes little-endian, microsecond, LINKTYPE_ETHERNET files that
// tshark/Wireshark open. Pure TypeScript over Uint8Array/DataView: no dependencies.

export const LINKTYPE_ETHERNET = 1;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

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

/** A packet to write: the timestamp defaults to 0; origLen defaults to data.length. */
export interface PcapWritePacket {
  tsSec?: number;
  tsUsec?: number;
  origLen?: number;
  data: Uint8Array;
}

/** Serialize packets into a little-endian, microsecond, classic pcap file. */
export function writePcap(packets: PcapWritePacket[], linkType = LINKTYPE_ETHERNET, snapLen = 65535): Uint8Array {
  let total = GLOBAL_HEADER;
  for (const p of packets) total += RECORD_HEADER + p.data.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, MAGIC_US, true);
  view.setUint16(4, 2, true);
  view.setUint16(6, 4, true);
  view.setInt32(8, 0, true); // thiszone
  view.setUint32(12, 0, true); // sigfigs
  view.setUint32(16, snapLen, true);
  view.setUint32(20, linkType, true);
  let off = GLOBAL_HEADER;
  for (const p of packets) {
    const usec = p.tsUsec ?? 0;
    const sec = (p.tsSec ?? 0) + Math.floor(usec / 1_000_000);
    view.setUint32(off, sec >>> 0, true);
    view.setUint32(off + 4, usec % 1_000_000, true);
    view.setUint32(off + 8, p.data.length, true);
    view.setUint32(off + 12, p.origLen ?? p.data.length, true);
    out.set(p.data, off + RECORD_HEADER);
    off += RECORD_HEADER + p.data.length;
  }
  return out;
}
