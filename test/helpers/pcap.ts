// Classic pcap (libpcap) files for tests: the reader is src/pcap.ts's readPcap (one decoder);
// this file adds a writer of little-endian, microsecond, LINKTYPE_ETHERNET files that
// tshark/Wireshark open. Pure TypeScript over Uint8Array/DataView: no dependencies.

export { LINKTYPE_ETHERNET, readPcap, type PcapFile, type PcapPacket } from "../../src/pcap.js";
import { LINKTYPE_ETHERNET } from "../../src/pcap.js";

const MAGIC_US = 0xa1b2c3d4;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;

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
