// A minimal node:dgram-shaped UDP socket over the core's UDP calls (docs/abi.md "UDP"):
// `net.createSocket("udp4")` gives a Socket with bind, send, connect/disconnect, address,
// remoteAddress, close and the 'listening', 'message' (msg, rinfo), 'connect', 'close' and
// 'error' events, setBroadcast, addMembership/dropMembership (IGMPv2 in the core) and the
// reuseAddr option. An ICMP error on a connected socket is an 'error' (ECONNREFUSED) like node's.
// A bound socket keeps the process alive (on a real-time Sim or a TAP) unless unref()'d, as node's.
// `createSocket("udp6")` is dual-stack (IPv4 peers named ::ffff:a.b.c.d). bind(port, address) checks the
// address (ours, of the socket's family) and address() reports it. Not yet: delivery filtered by that
// address (the core's socket takes every address of its family), setMulticastTTL/Loopback (TTL 1, no
// loopback), the buffer-size options.
//
// The core raises Readable on the socket's handle; NetStack routes events by handle and
// calls onReadable() after the core has returned, which drains every queued datagram.
import { EventEmitter } from "node:events";
import { bytesToIp6, ERR_NAMES, ip6ToBytes, ipToU32, u32ToIp, UdpOpt } from "./stack.js";
import { bindAddress, ip6Literal, isMapped, ownAddress } from "./addr-text.js";
import type { NetStack, NetError } from "./net.js";
import { Err, UDP_FROM6_NAMES, type Exports } from "./abi.js";

/** udpRecvFrom6's `out` (abi/abi.mjs udpFrom6): its size and the byte offsets of the address and the port. */
const FROM6_BYTES = UDP_FROM6_NAMES.length * 4;
const FROM6_ADDR = UDP_FROM6_NAMES.indexOf("addr0") * 4;
const FROM6_PORT = UDP_FROM6_NAMES.indexOf("port") * 4;

export interface RemoteInfo { address: string; family: "IPv4" | "IPv6"; port: number; size: number }
export interface AddressInfo { address: string; family: "IPv4" | "IPv6"; port: number }
/** One row of NetStack.udpSockets() (like `ss -uan`). */
export interface UdpSocketInfo {
  handle: number;
  localAddress: string;
  localPort: number;
  /** The connected peer (connect()), or null. */
  remoteAddress: string | null;
  remotePort: number;
  /** Receive queue bytes in use: 8 + the payload length per datagram (UdpQueueBytes at most). */
  recvQ: number;
  /** Datagrams queued, not yet delivered as 'message'. */
  datagrams: number;
  /** Datagrams dropped because the queue was full (this socket's share of udp_queue_full). */
  drops: number;
}

/**
 * `udp6` sockets are dual-stack unless `ipv6Only`: as node's, an IPv4 sender is named IPv4-mapped
 * ("::ffff:198.51.100.1", family IPv6, RFC 4291 §2.5.5.2) and a reply to that name goes out over IPv4;
 * a dotted IPv4 destination is EINVAL (send, connect), as node's: IPv4 peers are named ::ffff:a.b.c.d.
 */
export interface SocketOptions { type: "udp4" | "udp6"; reuseAddr?: boolean; ipv6Only?: boolean }

type SendCb = (err: Error | null, bytes: number) => void;

/** @internal The pieces of NetStack a datagram socket uses. */
export interface DgramHost {
  readonly address: string;
  readonly ipv6: boolean;
  readonly io: number;
  readonly ioLen: number;
  readonly ex: Exports;
  readonly stack: NetStack["stack"];
  copyOut(ptr: number, n: number): Buffer;
  trackDgram(h: number, s: Socket | null): void;
  holdRaw(who: object, on: boolean): void;
  makeError(code: string, syscall: string, address?: string, port?: number): NetError;
}

const E_EAGAIN = 11;

export class Socket extends EventEmitter {
  /** The core's handle (0 before bind and after close). */
  handle = 0;
  private port = 0;
  private peer: AddressInfo | null = null;
  /** The address given to bind() (node's text for it), null for the wildcard. */
  private bound: string | null = null;
  /** node's text for "every address" of the socket's family. */
  private get wildcard(): string { return this.family === 6 ? "::" : "0.0.0.0"; }
  private closed = false;
  /** @internal set by createSocket from `reuseAddr`. */
  reuseAddr = false;
  /** @internal set by createSocket: "udp6" (with `ipv6Only`: 6 = IPv6 datagrams only) or "udp4". */
  family: 4 | 6 = 4;
  /** @internal */
  ipv6Only = false;

  /** @internal */
  constructor(private readonly net: DgramHost) { super(); }

  private need(syscall: string): void {
    if (this.handle === 0) throw Object.assign(new Error(`${syscall} EBADF`), { code: "EBADF", syscall });
  }

  private check(r: number, syscall: string, address?: string): void {
    if (r < 0) throw this.err(r, syscall, address);
  }

  /** Allow sending to and receiving broadcast datagrams (SO_BROADCAST); after bind, like node. */
  setBroadcast(flag: boolean): void {
    this.need("setBroadcast");
    this.check(this.net.ex.udpSetOption(this.handle, UdpOpt.Broadcast, flag ? 1 : 0), "setBroadcast");
  }

  /**
   * Join `group`, like node's addMembership(multicastAddress[, multicastInterface]): an IPv4
   * group (IGMPv2 reports it) or, on a udp6 socket, an IPv6 one (MLDv2 reports it; "[...]" and a
   * "%zone" are accepted). `multicastInterface` is optional and, with one interface, only
   * checked to be an address of the socket's kind. EINVAL for an IPv6 group on a udp4 socket or a
   * group that is no multicast address. After bind.
   */
  addMembership(group: string, multicastInterface?: string): void {
    this.need("addMembership");
    this.check(this.membership(group, multicastInterface, true), "addMembership", group);
  }

  /** Leave `group` (as addMembership; the last leave sends an IGMP Leave / MLDv2 TO_INCLUDE {}). */
  dropMembership(group: string, multicastInterface?: string): void {
    this.need("dropMembership");
    this.check(this.membership(group, multicastInterface, false), "dropMembership", group);
  }

  private membership(group: string, multicastInterface: string | undefined, join: boolean): number {
    if (typeof group !== "string") return -Err.EINVAL;
    const v6 = ip6Literal(group);
    if (v6 !== null && this.family !== 6) return -Err.EINVAL; // node: an IPv6 group on a udp4 socket
    if (v6 === null && !/^\d{1,3}(\.\d{1,3}){3}$/.test(group)) return -Err.EINVAL;
    if (multicastInterface !== undefined && ip6Literal(multicastInterface) === null && !/^\d{1,3}(\.\d{1,3}){3}$/.test(multicastInterface)) return -Err.EINVAL;
    const g = v6 ?? group;
    return join ? this.net.stack.udpJoinGroup(this.handle, g) : this.net.stack.udpLeaveGroup(this.handle, g);
  }

  /** bind([port][, address][, callback]) or bind({ port, address }, callback); 'listening' follows. */
  bind(a?: number | { port?: number; address?: string } | (() => void), b?: string | (() => void), c?: () => void): this {
    let port = 0;
    let cb: (() => void) | undefined;
    if (typeof a === "function") cb = a;
    else if (typeof a === "object" && a !== null) { port = a.port ?? 0; cb = typeof b === "function" ? b : c; }
    else { port = a ?? 0; cb = typeof b === "function" ? b : c; }
    const address = typeof a === "object" && a !== null ? a.address : typeof b === "string" ? b : undefined;
    if (cb) this.once("listening", cb);
    const r = this.doBind(port, address);
    if (r < 0) process.nextTick(() => this.emit("error", this.err(r, "bind", address ?? this.wildcard, port || undefined)));
    return this;
  }

  /**
   * The address bind() was given, as node's address() reports it (null: the wildcard). It must be
   * of the socket's family (udp6 takes ::ffff:a.b.c.d, not a.b.c.d; EINVAL otherwise, as node's)
   * and ours (EADDRNOTAVAIL). Names are not resolved (EADDRNOTAVAIL). The core's UDP sockets
   * take every address of their family: datagrams to our other addresses still reach this one.
   */
  private bindAddress(address: string | undefined): string | null | number {
    if (address === undefined) return null;
    const b = bindAddress(address);
    if (b === null) return -Err.EADDRNOTAVAIL;
    if ((b.family === "IPv4") !== (this.family === 4)) return -Err.EINVAL;
    return ownAddress(b.bytes, this.net) ? b.address : -Err.EADDRNOTAVAIL;
  }

  private doBind(port: number, address?: string): number {
    if (this.closed) return -Err.EBADF;
    if (this.handle !== 0) return -Err.EINVAL; // bound already (node throws ERR_SOCKET_ALREADY_BOUND)
    const bound = this.bindAddress(address);
    if (typeof bound === "number") return bound;
    this.bound = bound;
    const h = this.net.ex.udpOpen();
    if (h < 0) return h;
    if (this.reuseAddr) this.net.ex.udpSetOption(h, UdpOpt.ReuseAddr, 1);
    // the core's sockets are dual-stack: a udp4 one on an IPv6 stack takes IPv4 only
    if (this.net.ipv6 && (this.family === 4 || this.ipv6Only)) this.net.ex.udpSetOption(h, UdpOpt.Family, this.family === 4 ? 4 : 6);
    const p = this.net.ex.udpBind(h, port);
    if (p < 0) { this.net.ex.udpClose(h); return p; }
    this.handle = h;
    this.port = p;
    this.net.trackDgram(h, this);
    this.net.holdRaw(this, this.refed);
    process.nextTick(() => this.emit("listening"));
    return 0;
  }

  /** send(msg[, offset, length], port[, address][, callback]); address defaults to 127.0.0.1 in node: here it is required unless connected. */
  send(msg: Uint8Array | string, port: number, address?: string | SendCb, callback?: SendCb): void;
  send(msg: Uint8Array | string, offset: number, length: number, port: number, address?: string | SendCb, callback?: SendCb): void;
  send(msg: Uint8Array | string, callback?: SendCb): void;
  send(msg: Uint8Array | string, offset: number, length: number, callback?: SendCb): void;
  send(msg: Uint8Array | string, ...args: unknown[]): void {
    let data = typeof msg === "string" ? Buffer.from(msg) : msg;
    let cb: SendCb | undefined;
    if (typeof args[args.length - 1] === "function") cb = args.pop() as SendCb;
    const nums = args.length >= 2 && typeof args[0] === "number" && typeof args[1] === "number";
    if (nums && (this.peer !== null || args.length >= 3)) { // [offset, length] given
      const off = args[0] as number;
      data = data.subarray(off, off + (args[1] as number));
      args = args.slice(2);
    }
    const port = typeof args[0] === "number" ? args[0] : 0;
    const address = typeof args[1] === "string" ? args[1] : null;
    // node:dgram: the outcome goes to the callback only, (null, bytes) or (err) alone; a failed send
    // without one is not an 'error'
    const done = (r: number) => {
      if (!cb) return;
      if (r >= 0) process.nextTick(cb, null, r);
      else process.nextTick(cb as (e: Error) => void, this.err(r, "send", address ?? this.peer?.address, port || this.peer?.port));
    };
    if (this.closed) { done(-3); return; }
    if (this.handle === 0) { const r = this.doBind(0); if (r < 0) { done(r); return; } }
    if (data.length > this.net.ioLen - 24) { done(-17); return; }
    this.net.stack.bytes(this.net.io, data.length).set(data);
    const v6 = this.peer && port === 0 ? null : ip6Literal(address ?? "");
    let r: number;
    // node: an IPv6 destination on a udp4 socket, or a dotted IPv4 one on a udp6 socket, is EINVAL
    if ((v6 !== null) !== (this.family === 6) && address !== null && !(this.peer && port === 0)) { done(-Err.EINVAL); return; }
    if (v6 !== null) {
      const at = this.net.io + ((data.length + 7) & ~7);
      this.net.stack.bytes(at, 16).set(ip6ToBytes(v6));
      r = this.net.ex.udpSendTo6(this.handle, at, port, this.net.io, data.length);
    } else {
      const ip = this.peer && port === 0 ? 0 : ipToU32(address ?? "127.0.0.1");
      r = this.net.ex.udpSendTo(this.handle, ip, this.peer && port === 0 ? 0 : port, this.net.io, data.length);
    }
    this.net.stack.wake();
    done(r);
  }

  /**
   * Fix the peer; 'connect' follows (only its datagrams are received). A failure goes to `cb`, or
   * without one is an 'error' (node:dgram); a dotted IPv4 peer of a udp6 socket is EINVAL, as node's.
   */
  connect(port: number, address?: string | ((err?: Error) => void), cb?: (err?: Error) => void): void {
    if (typeof address === "function") { cb = address; address = undefined; }
    const host = address ?? "127.0.0.1";
    if (cb) this.once("connect", cb);
    const fail = (r: number) => {
      const e = this.err(r, "connect", host, port);
      process.nextTick(() => {
        if (cb) { this.removeListener("connect", cb); cb(e); } else this.emit("error", e);
      });
    };
    if (this.handle === 0) { const r = this.doBind(0); if (r < 0) { fail(r); return; } }
    const v6 = ip6Literal(host);
    if ((v6 !== null) !== (this.family === 6)) { fail(-Err.EINVAL); return; }
    const r = v6 !== null
      ? this.net.ex.udpConnect6(this.handle, this.net.stack.putIo(ip6ToBytes(v6)), port)
      : this.net.ex.udpConnect(this.handle, ipToU32(host), port);
    if (r < 0) { fail(r); return; }
    this.peer = v6 !== null ? { address: v6, family: "IPv6", port } : { address: host, family: "IPv4", port };
    process.nextTick(() => this.emit("connect"));
  }

  disconnect(): void {
    if (this.handle !== 0) this.net.ex.udpConnect(this.handle, 0, 0);
    this.peer = null;
  }

  remoteAddress(): AddressInfo {
    if (!this.peer) throw Object.assign(new Error("Not connected"), { code: "ERR_SOCKET_DGRAM_NOT_CONNECTED" });
    return { ...this.peer };
  }

  address(): AddressInfo {
    if (this.handle === 0) throw Object.assign(new Error("getsockname EBADF"), { code: "EBADF" });
    if (this.family === 6) return { address: this.bound ?? this.wildcard, family: "IPv6", port: this.port };
    // node: 0.0.0.0 until connect() picks the source address (ours), else the address bound to
    return { address: this.peer !== null ? this.net.address : this.bound ?? this.wildcard, family: "IPv4", port: this.port };
  }

  close(cb?: () => void): this {
    if (cb) this.once("close", cb);
    if (this.closed) return this;
    this.closed = true;
    if (this.handle !== 0) {
      this.net.ex.udpClose(this.handle);
      this.net.trackDgram(this.handle, null);
      this.net.holdRaw(this, false);
      this.handle = 0;
    }
    process.nextTick(() => this.emit("close"));
    return this;
  }

  /** Keep the process alive while this socket is bound (the default, as node:dgram; on a real-time Sim or a TAP). */
  ref(): this { this.refed = true; this.net.holdRaw(this, this.handle !== 0); return this; }
  /** Let the process exit even though this socket is bound. */
  unref(): this { this.refed = false; this.net.holdRaw(this, false); return this; }
  private refed = true;

  /** @internal The core raised Readable: deliver every queued datagram as 'message'. */
  onReadable(): void {
    const io = this.net.io;
    const max = this.net.ioLen - 32;
    const wide = this.net.ipv6 && this.family === 6; // udpRecvFrom6: the 16-byte source
    while (this.handle !== 0) {
      const n = wide ? this.net.ex.udpRecvFrom6(this.handle, io + 32, max, io) : this.net.ex.udpRecvFrom(this.handle, io + 32, max, io);
      if (n === -E_EAGAIN) return;
      if (n < 0) { this.emit("error", this.err(n, "recvmsg")); return; }
      let rinfo: RemoteInfo;
      if (wide) {
        const f = this.net.stack.bytes(io, FROM6_BYTES);
        const b = f.subarray(FROM6_ADDR, FROM6_ADDR + 16);
        const sport = new DataView(f.buffer, f.byteOffset, FROM6_BYTES).getUint32(FROM6_PORT, true);
        rinfo = isMapped(b)
          ? { address: `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`, family: "IPv6", port: sport, size: n }
          : { address: bytesToIp6(b, 0), family: "IPv6", port: sport, size: n };
      } else {
        const v = new DataView(this.net.stack.memory.buffer, io, 12);
        rinfo = { address: u32ToIp(v.getUint32(0, true)), family: "IPv4", port: v.getUint32(4, true), size: n };
      }
      this.emit("message", this.net.copyOut(io + 32, n), rinfo);
    }
  }

  private err(r: number, syscall: string, address?: string, port?: number): NetError {
    return this.net.makeError(ERR_NAMES[-r] ?? `E${-r}`, syscall, address, port);
  }
}

/** createSocket("udp4" | "udp6" | { type }[, onMessage]) on a NetStack ("udp6" needs createStack's `ipv6`). */
export function createSocket(net: DgramHost, type: "udp4" | "udp6" | SocketOptions, onMessage?: (msg: Buffer, rinfo: RemoteInfo) => void): Socket {
  const t = typeof type === "string" ? type : type?.type;
  if (t !== "udp4" && t !== "udp6") throw Object.assign(new TypeError(`Bad socket type specified. Valid types are: udp4, udp6 (got ${String(t)})`), { code: "ERR_SOCKET_BAD_TYPE" });
  const s = new Socket(net);
  if (t === "udp6") s.family = 6;
  if (typeof type === "object" && type.ipv6Only) s.ipv6Only = true;
  if (typeof type === "object" && type.reuseAddr) s.reuseAddr = true;
  if (onMessage) s.on("message", onMessage);
  return s;
}
