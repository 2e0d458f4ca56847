// Test-only entry: the whole ABI plus internals that tests exercise directly.
// Built as build/testing.wasm (SIMD) and build/testing.mcu.wasm (no SIMD); never shipped.
export * from "./abi";
export { sum16, sum16Scalar, checksum, pseudoSum, incrementalUpdate } from "./checksum";
export { dissect, dissectFieldCount, dissectFieldNames } from "./dissect";
export { ifaceRxCapacity, ifaceTxBuffer, ifaceRegionEnd, arpLookup, arpQueued, testUdpSend } from "./iface";
export { statsBase } from "./stats";
export { udpEmit } from "./wire/udp";
export { tcpParseAt, tcpChecksumOk } from "./wire/tcp"; export { twCount } from "./tcp/timewait";
export { isnSetBias } from "./tcp/isn";
export { ringFreeCount } from "./tcp/tcb";
