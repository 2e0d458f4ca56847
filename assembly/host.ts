// The module's imports: what every host (Node, C firmware) must provide.
// Documented in docs/abi.md. Kept apart from abi.ts (the exports) so that layers
// below the ABI can call the host without importing the export surface.

/** Send one Ethernet frame of `len` bytes held in linear memory at `ptr`. */
@external("env", "tx")
export declare function hostTx(ptr: usize, len: i32): void;

/** Fill `len` bytes at `ptr` from the host's random number generator. */
@external("env", "entropy")
export declare function hostEntropy(ptr: usize, len: i32): void;

/** Wake the host: something happened on socket `sock` (see EventKind in abi.ts). */
@external("env", "event")
export declare function hostEvent(sock: i32, kind: i32, arg: i32): void;
