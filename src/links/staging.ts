// The host's side of the core's staging region (Cfg.RxStaging, the `rxStaging`/`inputAt`
// exports): a ring of received frames kept in the module's linear memory, so a link copies each
// frame once (from the sender's memory or the TAP straight into the receiver's memory) and the
// core reads it in place. Frames are allocated in arrival order and may be released in any
// order (a reordering link); the space of the oldest frames is reused once they are released.
// No allocation per frame: the records are typed arrays made once.

export class StagingRing {
  /** Offset (in the region) and length of each record, by slot; a circular queue of slots. */
  private readonly start: Int32Array;
  private readonly len: Int32Array;
  private readonly released: Uint8Array;
  private first = 0; // oldest live slot
  private count = 0;
  private head = 0;  // where the next frame goes (region offset)
  private tail = 0;  // start of the oldest live frame

  /** `base` = the region's address in linear memory, `size` its bytes (0 = no region). */
  constructor(readonly base: number, readonly size: number) {
    const slots = Math.max(1, Math.min(65536, Math.ceil(size / 60)));
    this.start = new Int32Array(slots);
    this.len = new Int32Array(slots);
    this.released = new Uint8Array(slots);
  }

  /** Frames held. */
  get held(): number { return this.count; }

  /**
   * Reserve `n` bytes: a slot number (>= 0) whose frame lies at `addr(slot)`, or -1 when the
   * region has no room (the caller takes its other path).
   */
  alloc(n: number): number {
    const size = this.size;
    const need = (n + 3) & ~3 || 4;
    if (need > size || this.count === this.start.length) return -1;
    let at: number;
    if (this.count === 0) {
      at = 0;
    } else if (this.head > this.tail) {
      // live bytes are [tail, head): room at the end, else at the start below tail
      if (size - this.head >= need) at = this.head;
      else if (this.tail >= need) at = 0;
      else return -1;
    } else {
      // wrapped: live bytes are [tail, end) and [0, head)
      if (this.tail - this.head >= need) at = this.head;
      else return -1;
    }
    this.head = at + need;
    if (this.count === 0) this.tail = at;
    const s = (this.first + this.count) % this.start.length;
    this.start[s] = at;
    this.len[s] = n;
    this.released[s] = 0;
    this.count++;
    return s;
  }

  /** Address of a slot's frame in linear memory. */
  addr(slot: number): number { return this.base + this.start[slot]; }
  /** Length of a slot's frame. */
  length(slot: number): number { return this.len[slot]; }

  /** Give a slot's space back (any order). */
  release(slot: number): void {
    this.released[slot] = 1;
    const cap = this.start.length;
    while (this.count > 0 && this.released[this.first] === 1) {
      this.first = (this.first + 1) % cap;
      this.count--;
    }
    if (this.count === 0) { this.head = 0; this.tail = 0; this.first = 0; }
    else this.tail = this.start[this.first];
  }
}
