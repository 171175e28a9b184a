import { describe, expect, it } from 'vitest';
import { GroupCommitter } from '../../src/send/committer.js';

/** A write that takes `ms` and records each batch it was given. */
function recorder(ms: number) {
  const batches: string[][] = [];
  const write = async (items: string[]) => {
    batches.push(items);
    await new Promise((r) => setTimeout(r, ms));
  };
  return { batches, write };
}

describe('group commit', () => {
  it('one write at a time; what arrives meanwhile goes next, together', async () => {
    const { batches, write } = recorder(20);
    const c = new GroupCommitter<string>(write);
    const first = c.add('a');
    await new Promise((r) => setImmediate(r)); // 'a' is being written now
    const later = [c.add('b'), c.add('c'), c.add('d')];
    await first;
    await Promise.all(later);
    expect(batches).toEqual([['a'], ['b', 'c', 'd']]);
  });

  it('a lazy item waits for the next eager one, or for its delay when none comes', async () => {
    const { batches, write } = recorder(1);
    const c = new GroupCommitter<string>(write, 30);
    const lazy = c.add('outcome-1', { lazy: true });
    await new Promise((r) => setTimeout(r, 5));
    expect(batches).toEqual([]); // not written on its own yet
    await c.add('mark-1');
    await lazy;
    expect(batches).toEqual([['outcome-1', 'mark-1']]);

    const started = Date.now();
    await c.add('outcome-2', { lazy: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(batches.at(-1)).toEqual(['outcome-2']);
  });

  it('drain writes everything, lazy items included, and a failed write rejects only its own items', async () => {
    let fail = true;
    const seen: string[][] = [];
    const c = new GroupCommitter<string>(async (items) => {
      seen.push(items);
      if (fail) throw new Error('disk full');
    }, 10_000);
    const bad = c.add('x');
    await expect(bad).rejects.toThrow('disk full');
    fail = false;
    const lazy = c.add('y', { lazy: true });
    await c.drain();
    await expect(lazy).resolves.toBeUndefined();
    expect(seen).toEqual([['x'], ['y']]);
  });
});
