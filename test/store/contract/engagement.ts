// Engagement: opens and clicks counted per delivery and summed per campaign, human and machine apart,
// with first and last human times; stored events bounded per delivery and kind.
import { expect, it } from 'vitest';
import { MAX_STORED_ENGAGEMENT, type EngagementEvent } from '../../../src/store/types.js';
import { at, mark, outcome, type Opened } from './harness.js';
import { campaignWith } from './claims.js';

export function engagementContract(open: () => Opened): void {
  it('names the delivery a token points at, with the time its message was sent', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    const [d0, d1] = await store.claimBatch(id, 'a', 2, at(0), 60_000);
    await store.writeBatch([mark(d0!.id, '<e0@x>'), mark(d1!.id, '<e1@x>')], [], at(1));
    await store.writeBatch([], [outcome(d0!.id, 'sent', 2_000, '<e0@x>')], at(2_000));
    expect(await store.engagementTarget(d0!.id)).toEqual({ id: d0!.id, campaignId: id, key: d0!.key, sentAt: at(2_000) });
    expect(await store.engagementTarget(d1!.id)).toEqual({ id: d1!.id, campaignId: id, key: d1!.key, sentAt: undefined });
    expect(await store.engagementTarget(999_999)).toBeUndefined();
  });

  it('counts human and machine apart, keeps human first and last times, sums per campaign', async () => {
    const { store } = open();
    const id = await campaignWith(store, 3);
    const rows = await store.deliveries(id);
    const [a, b, c] = rows.map((r) => r.id) as [number, number, number];
    const ev = (deliveryId: number, kind: 'open' | 'click', ms: number, human: boolean, url?: string): EngagementEvent => ({
      campaignId: id, deliveryId, kind, at: at(ms), human, reason: human ? 'human' : 'apple-mpp', userAgent: 'Mozilla/5.0 (Macintosh; « test » — тест)', url,
    });
    expect(await store.deliveryEngagement(a)).toBeUndefined();
    expect(await store.campaignEngagement(id)).toEqual({
      opensHuman: 0, opensMachine: 0, clicksHuman: 0, clicksMachine: 0, opened: 0, clicked: 0, machineOnlyOpened: 0,
      firstOpenAt: undefined, lastOpenAt: undefined, firstClickAt: undefined, lastClickAt: undefined,
    });
    expect(await store.recordEngagement(ev(a, 'open', 1_000, false))).toEqual({ stored: true });
    await store.recordEngagement(ev(a, 'open', 9_000, true));
    await store.recordEngagement(ev(a, 'open', 5_000, true)); // out of order: still the earliest
    await store.recordEngagement(ev(a, 'click', 6_000, true, 'https://exemple.org/été?a=1&b=2'));
    await store.recordEngagement(ev(b, 'open', 2_000, false));
    await store.recordEngagement(ev(c, 'click', 3_000, false, 'https://x.example/'));
    await store.recordEngagement(ev(c, 'click', 8_000, true, 'https://x.example/'));
    expect(await store.deliveryEngagement(a)).toEqual({
      opensHuman: 2, opensMachine: 1, clicksHuman: 1, clicksMachine: 0,
      firstOpenAt: at(5_000), lastOpenAt: at(9_000), firstClickAt: at(6_000), lastClickAt: at(6_000),
    });
    expect(await store.deliveryEngagement(b)).toMatchObject({ opensHuman: 0, opensMachine: 1, firstOpenAt: undefined, lastOpenAt: undefined });
    expect(await store.campaignEngagement(id)).toEqual({
      opensHuman: 2, opensMachine: 2, clicksHuman: 2, clicksMachine: 1, opened: 1, clicked: 2, machineOnlyOpened: 1,
      firstOpenAt: at(5_000), lastOpenAt: at(9_000), firstClickAt: at(6_000), lastClickAt: at(8_000),
    });
    expect(await store.engagementEvents(a)).toEqual([ev(a, 'open', 1_000, false), ev(a, 'open', 5_000, true), ev(a, 'click', 6_000, true, 'https://exemple.org/été?a=1&b=2'), ev(a, 'open', 9_000, true)]);
    // Another campaign's totals are its own.
    const other = await campaignWith(store, 1);
    expect((await store.campaignEngagement(other)).opensHuman).toBe(0);
  });

  it('stores at most MAX_STORED_ENGAGEMENT events per delivery and kind, and goes on counting', async () => {
    const { store } = open();
    const id = await campaignWith(store, 1);
    const [d] = await store.deliveries(id);
    const open1 = (ms: number): EngagementEvent => ({ campaignId: id, deliveryId: d!.id, kind: 'open', at: at(ms), human: true, reason: 'human', userAgent: 'UA', url: undefined });
    for (let i = 0; i < MAX_STORED_ENGAGEMENT; i++) expect(await store.recordEngagement(open1(i))).toEqual({ stored: true });
    expect(await store.recordEngagement(open1(100_000))).toEqual({ stored: false });
    // A click is another kind: still stored.
    expect(await store.recordEngagement({ ...open1(100_001), kind: 'click', url: 'https://x.example/' })).toEqual({ stored: true });
    expect((await store.engagementEvents(d!.id)).length).toBe(MAX_STORED_ENGAGEMENT + 1);
    expect(await store.deliveryEngagement(d!.id)).toMatchObject({ opensHuman: MAX_STORED_ENGAGEMENT + 1, lastOpenAt: at(100_000), clicksHuman: 1 });
  });
}
