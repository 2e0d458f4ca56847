// Keyed hashing for RFC 6528 initial sequence numbers, RFC 6056 ephemeral ports,
// SYN cookies and per-connection timestamp offsets: SipHash-2-4 (Aumasson & Bernstein)
// over two 64-bit words, keyed by 128 bits from the host's entropy source at init.
import { hostEntropy } from "../host";
import { FEAT_IPV6 } from "../features";

const key: usize = memory.data(16, 16);
let counter: u64 = 0;

export function isnInit(): void {
  hostEntropy(key, 16);
}

@inline function rotl64(x: u64, b: u64): u64 { return rotl<u64>(x, b); }

// One SipRound on the four state words held in locals of the caller via a tiny struct of globals.
let v0: u64 = 0; let v1: u64 = 0; let v2: u64 = 0; let v3: u64 = 0;

function sipRound(): void {
  v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);
  v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;
  v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;
  v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);
}

function sipCompress(m: u64): void {
  v3 ^= m; sipRound(); sipRound(); v0 ^= m;
}

/**
 * Another 16-byte key for the next hashes while non-zero (IPv6 builds: RFC 7217's secret_key);
 * a global rather than a parameter so that the IPv4-only MCU build pays nothing for it.
 */
export let sipKeyAt: usize = 0;

/** SipHash-2-4 of the 16-byte message (m0, m1) with the module's secret key (or the one at sipKeyAt). */
export function sipHash(m0: u64, m1: u64): u64 {
  sipInit();
  sipCompress(m0);
  sipCompress(m1);
  return sipFinish(16);
}

/** The state before the first word: the secret key mixed with SipHash's constants. */
function sipInit(): void {
  let k = key;
  if (FEAT_IPV6 && sipKeyAt != 0) k = sipKeyAt;
  let k0 = load<u64>(k);
  let k1 = load<u64>(k, 8);
  v0 = k0 ^ 0x736f6d6570736575;
  v1 = k1 ^ 0x646f72616e646f6d;
  v2 = k0 ^ 0x6c7967656e657261;
  v3 = k1 ^ 0x7465646279746573;
}

/** The last block (the length byte; messages here have no tail) and finalization. */
function sipFinish(len: u64): u64 {
  sipCompress(len << 56);
  v2 ^= 0xff;
  sipRound(); sipRound(); sipRound(); sipRound();
  return v0 ^ v1 ^ v2 ^ v3;
}

/** SipHash-2-4 of a 40-byte message at `m` (five little-endian words) with the secret key. */
function sipHash40(m: usize): u64 {
  sipInit();
  for (let i: usize = 0; i < 40; i += 8) sipCompress(load<u64>(m + i));
  return sipFinish(40);
}

const tupleMsg: usize = memory.data(40, 16);

/**
 * Hash of a connection 4-tuple plus a 32-bit tweak (distinct uses pass distinct tweaks).
 * Addresses are 16 bytes (ip/addr.ts): an IPv4 peer and an IPv6 one never share an input.
 */
export function tupleHash(laddr: usize, lport: u32, raddr: usize, rport: u32, tweak: u32): u32 {
  memory.copy(tupleMsg, laddr, 16);
  memory.copy(tupleMsg + 16, raddr, 16);
  store<u32>(tupleMsg, (lport << 16) | (rport & 0xffff), 32);
  store<u32>(tupleMsg, tweak, 36);
  let h = sipHash40(tupleMsg);
  return <u32>(h ^ (h >> 32));
}

/** RFC 6528: ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 us clock. */
export function makeIsn(laddr: usize, lport: u32, raddr: usize, rport: u32, nowMs: u32): u32 {
  return tupleHash(laddr, lport, raddr, rport, 0x49534e00) + nowMs * 250;
}

/** A keyed pseudo-random 32-bit value (never repeats the hash input). */
export function randomU32(): u32 {
  counter++;
  let h = sipHash(counter, 0x52414e44);
  return <u32>(h ^ (h >> 32));
}

