import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';

/**
 * Lowers the priority of the calling thread alone to `nice` (0 is the default, 19 the lowest), so
 * that the event loop building and transmitting messages keeps the CPU when both want it (Linux: a
 * thread id is a valid setpriority target). Elsewhere, or when refused, the thread simply keeps
 * the default priority.
 */
export function lowerThisThreadPriority(nice: number): void {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (tid > 0) setPriority(tid, nice);
  } catch {
    // not Linux, or not allowed: the default priority
  }
}
