// Public entry of the Node library.
export * from "./stack.js";
export { ABI_VERSION, Cfg, CFG_DEFAULTS, Err, TcpState, TIME_WAIT_ROW_NAMES } from "./abi.js";
export type { CfgName, ErrName, Exports, Imports } from "./abi.js";
export { Prng } from "./prng.js";
export { Sim, Link, EventQueue } from "./links/emulated.js";
export type { LinkOptions, TapRecord, Tap, DropReason, HostOptions, SimOptions } from "./links/emulated.js";
export { decodeFrame, tcpFlagString } from "./trace.js";
export type { FrameSummary } from "./trace.js";
export { createStack, NetStack, Server, Socket, runSim, formatSockets, netError, uvNetError } from "./net.js";
export type { CreateStackOptions, ConnectOptions, ServerOptions, ListenOptions, SocketOptions, SocketInfo, StateChange, NetError, EmulatedDriver, TapDriver } from "./net.js";
export { Socket as DgramSocket, createSocket } from "./dgram.js";
export type { RemoteInfo, AddressInfo as DgramAddressInfo, SocketOptions as DgramSocketOptions } from "./dgram.js";
export { Lookup, lookupError } from "./lookup.js";
export type { DhcpLease, DhcpLeaseEvent, DhcpOptions } from "./dhcp.js";
export type { SntpResult, SntpQueryOptions } from "./sntp.js";
export type { LookupOptions, LookupAddress, LookupOneCallback, LookupAllCallback } from "./lookup.js";
