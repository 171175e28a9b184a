/**
 * A compact string → int32 map for deduplicating a million addresses: open addressing over one
 * Int32Array of (hash, slot) pairs, so inserting a new key costs one cache line, and keys are
 * compared as strings only when their 32-bit hashes are equal. About 30 bytes per key besides the
 * key string, against roughly twice that (and several cache misses per look-up) for a Map.
 */
export class KeyIndex {
  /** Pairs [hash, index + 1]; 0 in the second cell marks an empty bucket. */
  private table: Int32Array;
  private mask: number;
  private readonly keys: string[] = [];
  private values: Int32Array = new Int32Array(1024);
  private readonly seed = (Math.random() * 0x7fffffff) | 0; // no crafted list can force collisions
  size = 0;

  constructor(initialBuckets = 1 << 12) {
    let buckets = 16;
    while (buckets < initialBuckets) buckets *= 2;
    this.table = new Int32Array(buckets * 2);
    this.mask = buckets - 1;
  }

  private hash(key: string): number {
    let h = this.seed ^ 0x811c9dc5;
    for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
    return h ^ (h >>> 15);
  }

  /** The value stored for `key`, or -1 after storing `value` for it (values must be >= 0). */
  getOrSet(key: string, value: number): number {
    const h = this.hash(key);
    const table = this.table;
    const mask = this.mask;
    let b = h & mask;
    for (;;) {
      const slot = table[b * 2 + 1]!;
      if (slot === 0) break;
      if (table[b * 2] === h && this.keys[slot - 1] === key) return this.values[slot - 1]!;
      b = (b + 1) & mask;
    }
    const index = this.size++;
    this.keys.push(key);
    if (index === this.values.length) {
      const grown = new Int32Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[index] = value;
    table[b * 2] = h;
    table[b * 2 + 1] = index + 1;
    if (this.size * 2 > mask + 1) this.grow();
    return -1;
  }

  /** The value stored for `key`, or -1. */
  get(key: string): number {
    const h = this.hash(key);
    const table = this.table;
    const mask = this.mask;
    for (let b = h & mask; ; b = (b + 1) & mask) {
      const slot = table[b * 2 + 1]!;
      if (slot === 0) return -1;
      if (table[b * 2] === h && this.keys[slot - 1] === key) return this.values[slot - 1]!;
    }
  }

  /** Doubles the buckets, re-placing entries by their stored hashes (no key is hashed again). */
  private grow(): void {
    const old = this.table;
    const buckets = (this.mask + 1) * 2;
    const table = new Int32Array(buckets * 2);
    const mask = buckets - 1;
    for (let i = 0; i < old.length; i += 2) {
      const slot = old[i + 1]!;
      if (slot === 0) continue;
      const h = old[i]!;
      let b = h & mask;
      while (table[b * 2 + 1] !== 0) b = (b + 1) & mask;
      table[b * 2] = h;
      table[b * 2 + 1] = slot;
    }
    this.table = table;
    this.mask = mask;
  }
}
