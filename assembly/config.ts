// Configuration: the host sets keys with configure(key, value) before init().
// Every value is an integer (the core has no floats). Defaults suit a small board.

export const enum Cfg {
  MacHi = 0,            // first two bytes of the MAC, big-endian (e.g. 0x0200)
  MacLo = 1,            // last four bytes of the MAC, big-endian
  Ipv4Addr = 2,         // host order (198.51.100.2 = 0xC6336402)
  PrefixLen = 3,        // 0..32
  Gateway = 4,          // host order, 0 = none
  Mtu = 5,              // IP MTU, 576..9000 (default 1500)
  MaxSockets = 6,       // TCP connection blocks (listeners included)
  SndBuf = 7,           // bytes per TCP send ring
  RcvBuf = 8,           // bytes per TCP receive ring
  ArpEntries = 9,       // ARP cache entries
  ArpQueue = 10,        // frames waiting for ARP resolution (whole stack)
  TimeWaitEntries = 11, // small TIME-WAIT entries (not full connection blocks)
  MslMs = 12,           // maximum segment lifetime; TIME-WAIT lasts 2*MSL
  RtoMinMs = 13,
  RtoMaxMs = 14,
  RtoInitialMs = 15,
  DelAckMs = 16,        // delayed ACK maximum delay (0 = ACK every segment at once)
  SynBacklog = 17,      // half-open connections per listener
  KeepIdleMs = 18,
  KeepIntvlMs = 19,
  KeepCount = 20,
  ArpTimeoutMs = 21,    // cache entry lifetime
  SynRetries = 22,      // SYN and SYN+ACK retransmissions before giving up
  DataRetries = 23,     // data retransmissions before ETIMEDOUT
  Features = 24,        // bit 0 timestamps, 1 SACK, 2 window scale, 3 SYN cookies (default all)
  IoBuf = 25,           // size of the host I/O scratch region used by read/write
  Mss = 26,             // 0 = derive from MTU (MTU - 40)
  RingPairs = 27,       // send+receive ring pairs for connections (listeners hold none); 0 = MaxSockets
  UdpSockets = 28,      // UDP socket pool (0..1024)
  UdpQueueBytes = 29,   // bytes of each UDP socket's receive queue (8-byte header per datagram)
  McastGroups = 30,     // multicast filter entries (group MACs joined at once), 0..256
  COUNT = 31,
}

export const FEAT_TIMESTAMPS: u32 = 1;
export const FEAT_SACK: u32 = 2;
export const FEAT_WSCALE: u32 = 4;
export const FEAT_SYNCOOKIES: u32 = 8;

const values: usize = memory.data(<i32>Cfg.COUNT * 4, 16);
let defaultsSet = false;

function setDefaults(): void {
  store<u32>(values + (<usize>Cfg.MacHi << 2), 0x0200);
  store<u32>(values + (<usize>Cfg.MacLo << 2), 0x00000001);
  store<u32>(values + (<usize>Cfg.Ipv4Addr << 2), 0);
  store<u32>(values + (<usize>Cfg.PrefixLen << 2), 24);
  store<u32>(values + (<usize>Cfg.Gateway << 2), 0);
  store<u32>(values + (<usize>Cfg.Mtu << 2), 1500);
  store<u32>(values + (<usize>Cfg.MaxSockets << 2), 8);
  store<u32>(values + (<usize>Cfg.SndBuf << 2), 16384);
  store<u32>(values + (<usize>Cfg.RcvBuf << 2), 16384);
  store<u32>(values + (<usize>Cfg.ArpEntries << 2), 16);
  store<u32>(values + (<usize>Cfg.ArpQueue << 2), 8);
  store<u32>(values + (<usize>Cfg.TimeWaitEntries << 2), 64);
  store<u32>(values + (<usize>Cfg.MslMs << 2), 30000);
  store<u32>(values + (<usize>Cfg.RtoMinMs << 2), 200);
  store<u32>(values + (<usize>Cfg.RtoMaxMs << 2), 60000);
  store<u32>(values + (<usize>Cfg.RtoInitialMs << 2), 1000);
  store<u32>(values + (<usize>Cfg.DelAckMs << 2), 200);
  store<u32>(values + (<usize>Cfg.SynBacklog << 2), 8);
  store<u32>(values + (<usize>Cfg.KeepIdleMs << 2), 7200000);
  store<u32>(values + (<usize>Cfg.KeepIntvlMs << 2), 75000);
  store<u32>(values + (<usize>Cfg.KeepCount << 2), 9);
  store<u32>(values + (<usize>Cfg.ArpTimeoutMs << 2), 60000);
  store<u32>(values + (<usize>Cfg.SynRetries << 2), 5);
  store<u32>(values + (<usize>Cfg.DataRetries << 2), 12);
  store<u32>(values + (<usize>Cfg.Features << 2), 15);
  store<u32>(values + (<usize>Cfg.IoBuf << 2), 65536);
  store<u32>(values + (<usize>Cfg.Mss << 2), 0);
  store<u32>(values + (<usize>Cfg.RingPairs << 2), 0);
  store<u32>(values + (<usize>Cfg.UdpSockets << 2), 4);
  store<u32>(values + (<usize>Cfg.UdpQueueBytes << 2), 2048);
  store<u32>(values + (<usize>Cfg.McastGroups << 2), 8);
  defaultsSet = true;
}

export function cfgSet(key: i32, value: u32): bool {
  if (!defaultsSet) setDefaults();
  if (key < 0 || key >= <i32>Cfg.COUNT) return false;
  store<u32>(values + (<usize>key << 2), value);
  return true;
}

export function cfg(key: Cfg): u32 {
  if (!defaultsSet) setDefaults();
  return load<u32>(values + (<usize>key << 2));
}
