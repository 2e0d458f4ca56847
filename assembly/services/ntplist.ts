// The NTP servers the DHCP client learned (option 42, RFC 2132 §8.3): a small list the DHCP
// client writes and the SNTP client reads (sntpStart with server 0), so neither service imports
// the other. At most NTP_MAX entries; 0 = an empty slot (the list is packed from slot 0).
export const NTP_MAX: i32 = 3;

const list: usize = memory.data(NTP_MAX * 4, 4);

/** Replace the list with `n` servers (host order) a, b, c (n clamped to 0..NTP_MAX). */
export function ntpListSet(n: i32, a: u32, b: u32, c: u32): void {
  store<u32>(list, n > 0 ? a : 0);
  store<u32>(list, n > 1 ? b : 0, 4);
  store<u32>(list, n > 2 ? c : 0, 8);
}

/** Server `i` (0..NTP_MAX-1), 0 when none. */
export function ntpListGet(i: i32): u32 {
  return i < 0 || i >= NTP_MAX ? 0 : load<u32>(list + (<usize>i << 2));
}

/** How many servers the list holds. */
export function ntpListCount(): i32 {
  let n = 0;
  while (n < NTP_MAX && ntpListGet(n) != 0) n++;
  return n;
}
