// Events and the delivery log's copy of them; the store's identity, kind and closing.
import { expect, it } from 'vitest';
import { at, CAMPAIGN, contact, mark, outcome, T0, type Kind, type Opened } from './harness.js';
import { campaignWith } from './claims.js';

export function eventsContract(kind: Kind, open: () => Opened): void {
  it('addEvent and events: every field kept, per campaign and per delivery, in id order', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    const [d0, d1] = await store.deliveries(id);
    const full = {
      campaignId: id, deliveryId: d1!.id, at: at(7), type: 'delayed' as const, attempt: 2, code: 451, enhanced: '4.4.7',
      response: '451 Délai dépassé — تأخير', messageId: '<m@x>', durationMs: 1234, detail: 'DSN « delayed »',
    };
    await store.addEvent(full);
    await store.addEvent({ campaignId: id, deliveryId: undefined, at: at(8), type: 'campaign', detail: 'paused: Ctrl-C' });
    const all = await store.events(id);
    expect(all.map((e) => [e.type, e.deliveryId])).toEqual([['planned', d0!.id], ['planned', d1!.id], ['delayed', d1!.id], ['campaign', undefined]]);
    expect(all[2]).toEqual(full);
    expect(all[3]).toEqual({ campaignId: id, deliveryId: undefined, at: at(8), type: 'campaign', attempt: undefined, code: undefined, enhanced: undefined, response: undefined, messageId: undefined, durationMs: undefined, detail: 'paused: Ctrl-C' });
    expect((await store.events(id, d1!.id)).map((e) => e.type)).toEqual(['planned', 'delayed']);
    expect(await store.events(id + 1)).toEqual([]);
  });

  it('eventsAfter: the campaign\'s events after an id, at most `limit`, with the address and the latest worker and relay', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    const otherCampaign = await campaignWith(store, 1);
    const [d0] = await store.claimBatch(id, 'Работник', 1, at(1), 60_000);
    await store.writeBatch([mark(d0!.id, '<0@x>', 'Работник')], [], at(2));
    await store.writeBatch([], [outcome(d0!.id, 'sent', 3, '<0@x>')], at(3));
    await store.addEvent({ campaignId: id, deliveryId: undefined, at: at(4), type: 'campaign', detail: 'done' });
    const page1 = await store.eventsAfter(id, 0, 3);
    expect(page1.map((e) => [e.type, e.email])).toEqual([['planned', contact(0).email], ['planned', contact(1).email], ['sending', contact(0).email]]);
    expect(page1[2]).toMatchObject({ campaignId: id, deliveryId: d0!.id, worker: 'Работник', relay: 'smtp://relay.example:587', messageId: '<0@x>', attempt: 1 });
    const page2 = await store.eventsAfter(id, page1.at(-1)!.id, 10);
    expect(page2.map((e) => [e.type, e.email, e.worker])).toEqual([['sent', contact(0).email, 'Работник'], ['campaign', undefined, undefined]]);
    expect(page1.concat(page2).every((e, i, a) => i === 0 || e.id > a[i - 1]!.id)).toBe(true);
    expect(await store.eventsAfter(id, page2.at(-1)!.id, 10)).toEqual([]);
    expect((await store.eventsAfter(otherCampaign, 0, 10)).map((e) => e.email)).toEqual([contact(0).email]);
  });

  it('the store says what it is; event ids follow commit order only on SQLite', async () => {
    const { store } = open();
    expect(store.kind).toBe(kind);
    expect(store.eventIdsInCommitOrder).toBe(kind === 'sqlite');
  });

  it('instanceId: twelve hex digits, the same through every handle, different per store', async () => {
    const { store, other } = open();
    const id = await store.instanceId();
    expect(id).toMatch(/^[0-9a-f]{12}$/);
    expect(await other().instanceId()).toBe(id);
    expect(await open().store.instanceId()).not.toBe(id);
  });

  it('close: what was written is there for the next handle; the closed one refuses', async () => {
    const { store, other } = open();
    const first = other();
    const id = await first.createCampaign(CAMPAIGN, T0);
    await first.close();
    await expect(first.getCampaign(id)).rejects.toThrow();
    expect((await store.getCampaign(id))?.releaseTitle).toBe(CAMPAIGN.releaseTitle);
  });
}
