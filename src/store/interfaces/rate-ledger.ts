/**
 * One ring of a shared rate ceiling, as one caller uses it: the caller takes only slots numbered
 * below `count`, so it starts at most `count` events per `windowMs` itself, and callers with
 * different counts under one key together start at most the largest of their counts.
 */
export interface RateKey {
  /** The ceiling's scope and window (`global/1000ms`), never its count: see SharedRateGate. */
  key: string;
  count: number;
  windowMs: number;
}

/** Slots taken in the shared rate ledger, one per key, to be ended when the relay answered. */
export interface RateSlot {
  key: string;
  slot: number;
}

/** The shared rate ledger: several workers, one ceiling. */
export interface RateLedger {
  /**
   * Takes one free slot of every ring at once, or none, among each ring's slots numbered below
   * its `count` (the ring grows to the largest count ever asked, and never shrinks). A slot is
   * free when its last event ended a full window ago; a slot still running since before
   * `staleBefore` belongs to a worker that died and counts as ended then.
   * Returns the slots, or how long to wait before asking again.
   */
  takeRateSlots(keys: RateKey[], owner: string, now: Date, staleBefore: Date): Promise<{ slots: RateSlot[] } | { waitMs: number }>;
  /** Ends taken slots at `now` (the relay answered). */
  endRateSlots(slots: RateSlot[], owner: string, now: Date): Promise<void>;
}
