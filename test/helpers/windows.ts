/** The most events in any half-open window [t, t + w) over the given times. */
export function maxInWindow(times: number[], w: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let lo = 0;
  for (let hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= w) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
