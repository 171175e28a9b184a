// Suppressions: added once, removed explicitly, logged, and enforced at claim time and with a hard bounce.
import { expect, it } from 'vitest';
import { at, contact, mark, outcome, type Opened } from './harness.js';
import { campaignWith } from './claims.js';

export function suppressionsContract(open: () => Opened): void {
  it('added once, listed, looked up, removed with who asked; every add and removal logged', async () => {
    const { store } = open();
    const idn = contact(2); // at bücher.example: the key carries the punycode domain
    const s = { key: idn.key, email: idn.email, reason: 'unsubscribe' as const, source: 'lien « désabonner »', detail: 'формуляр' };
    expect(await store.addSuppression(s, at(2))).toBe(true);
    expect(await store.addSuppression({ ...s, reason: 'manual' }, at(3))).toBe(false);
    const other = { key: 'نور@x.example', email: 'نور@x.example', reason: 'complaint' as const, source: 'ses', detail: undefined };
    expect(await store.addSuppression(other, at(1))).toBe(true);
    expect(await store.isSuppressed(idn.key)).toEqual({ ...s, createdAt: at(2) });
    expect(await store.isSuppressed(idn.email)).toBeUndefined(); // looked up by key only
    expect(await store.suppressedKeys()).toEqual(new Set([idn.key, other.key]));
    expect(await store.listSuppressions()).toEqual([{ ...other, createdAt: at(1) }, { ...s, createdAt: at(2) }]);
    expect(await store.removeSuppression(idn.key, 'Opérateur', at(4))).toBe(true);
    expect(await store.removeSuppression(idn.key, 'Opérateur', at(5))).toBe(false);
    expect(await store.isSuppressed(idn.key)).toBeUndefined();
    expect(await store.suppressionLog(idn.key)).toEqual([
      { key: idn.key, email: idn.email, action: 'add', reason: 'unsubscribe', source: 'lien « désabonner »', detail: 'формуляр', at: at(2) },
      { key: idn.key, email: idn.email, action: 'remove', reason: 'unsubscribe', source: 'Opérateur', detail: 'was: unsubscribe from lien « désabonner »', at: at(4) },
    ]);
    expect((await store.suppressionLog()).map((l) => [l.key, l.action])).toEqual([[idn.key, 'add'], [other.key, 'add'], [idn.key, 'remove']]);
    // Removal without who or when: an operator, now.
    const before = Date.now();
    expect(await store.removeSuppression(other.key)).toBe(true);
    const last = (await store.suppressionLog(other.key)).at(-1)!;
    expect(last).toMatchObject({ action: 'remove', source: 'operator' });
    expect(last.at.getTime()).toBeGreaterThanOrEqual(before - 1000);
  });

  it('a suppression added after planning wins at claim time', async () => {
    const { store } = open();
    const id = await campaignWith(store, 3);
    expect(await store.addDeliveries(id, [contact(0), contact(1)], 'pending', at(0))).toBe(0);
    expect(await store.addSuppression({ key: contact(1).key, email: contact(1).email, reason: 'unsubscribe', source: 'test', detail: undefined }, at(1))).toBe(true);
    const claimed = await store.claimBatch(id, 'a', 10, at(2), 1000);
    expect(claimed.map((d) => d.email)).toEqual([contact(0).email, contact(2).email]);
    const rows = await store.deliveries(id);
    expect(rows[1]?.status).toBe('suppressed');
    expect((await store.events(id, rows[1]!.id)).at(-1)).toMatchObject({ type: 'suppressed', detail: 'suppressed since planning: unsubscribe (test)' });
  });

  it('a hard bounce outcome suppresses the address in its own write, never over an existing suppression', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    const [d0, d1] = await store.claimBatch(id, 'a', 2, at(0), 60_000);
    await store.writeBatch([mark(d0!.id, '<0@x>'), mark(d1!.id, '<1@x>')], [], at(1));
    await store.addSuppression({ key: contact(1).key, email: contact(1).email, reason: 'manual', source: 'Ωμέγα', detail: undefined }, at(1));
    const hard = (d: typeof d0, i: number) =>
      outcome(d!.id, 'bounced', 2, `<${i}@x>`, { code: 550, enhanced: '5.1.1', response: '550 Unbekannt', suppression: { key: contact(i).key, email: contact(i).email, reason: 'hard-bounce', source: 'smtp', detail: '550 5.1.1' } });
    await store.writeBatch([], [hard(d0, 0), hard(d1, 1)], at(2));
    expect(await store.isSuppressed(contact(0).key)).toMatchObject({ reason: 'hard-bounce', source: 'smtp', detail: '550 5.1.1', createdAt: at(2) });
    expect(await store.isSuppressed(contact(1).key)).toMatchObject({ reason: 'manual', source: 'Ωμέγα' });
    expect((await store.suppressionLog()).map((l) => [l.key, l.reason])).toEqual([[contact(1).key, 'manual'], [contact(0).key, 'hard-bounce']]);
    expect((await store.counts(id)).bounced).toBe(2);
  });
}
