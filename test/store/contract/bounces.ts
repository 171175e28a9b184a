// Reports after the send: bounces, complaints, unsubscribes, their attribution, storage once, write groups.
import { expect, it } from 'vitest';
import type { StoredBounceEvent } from '../../../src/store/types.js';
import { at, CAMPAIGN, contact, mark, outcome, T0, type Opened } from './harness.js';
import { campaignWith } from './claims.js';

type Report = Omit<StoredBounceEvent, 'id'>;
function report(over: Partial<Report>): Report {
  return {
    reportId: 'r1', source: 'imap', kind: 'hard', recipient: contact(1).key, campaignId: undefined, deliveryId: undefined, status: '5.1.1',
    diagnostic: 'smtp; 550 5.1.1 Адресат неизвестен', remoteMta: 'mx.новости.example', originalMessageId: '<1@x>', outcome: 'applied',
    note: undefined, raw: 'Nachricht über …', receivedAt: at(4), ...over,
  };
}

export function bouncesContract(open: () => Opened): void {
  it('findDeliveryByMessageId and latestDeliveryTo attribute a report to its delivery', async () => {
    const { store } = open();
    const first = await campaignWith(store, 2);
    const second = await campaignWith(store, 2);
    const sendAll = async (id: number, tag: string) => {
      const ds = await store.claimBatch(id, 'a', 2, at(1), 60_000);
      await store.writeBatch(ds.map((d, i) => mark(d.id, `<${tag}${i}@pressline.example>`)), [], at(1));
      return ds;
    };
    const [a0, a1] = await sendAll(first, 'a');
    const [b0] = await store.claimBatch(second, 'a', 1, at(2), 60_000);
    const ref = { id: a1!.id, campaignId: first, email: contact(1).email, key: contact(1).key, status: 'sending', messageId: '<a1@pressline.example>' };
    expect(await store.findDeliveryByMessageId('<a1@pressline.example>')).toEqual(ref);
    // Without angle brackets, with spaces around (as some reports quote it).
    expect(await store.findDeliveryByMessageId('  a1@pressline.example ')).toEqual(ref);
    expect(await store.findDeliveryByMessageId('<a1@pressline.example>', contact(1).key)).toEqual(ref);
    expect(await store.findDeliveryByMessageId('<a1@pressline.example>', contact(0).key)).toBeUndefined();
    expect(await store.findDeliveryByMessageId('<nope@x>')).toBeUndefined();
    // The latest delivery actually attempted: second's contact(0) is only claimed, still pending.
    expect(await store.latestDeliveryTo(contact(0).key)).toMatchObject({ id: a0!.id, campaignId: first });
    await store.writeBatch([mark(b0!.id, '<b0@x>')], [], at(3));
    expect(await store.latestDeliveryTo(contact(0).key)).toMatchObject({ id: b0!.id, campaignId: second, status: 'sending' });
    expect(await store.latestDeliveryTo('personne@nulle-part.example')).toBeUndefined();
  });

  it('recordBounce: stored once, moves the delivery and adds its event; bounceEvents filters by outcome and delivery', async () => {
    const { store } = open();
    const id = await campaignWith(store, 2);
    const [d0] = await store.claimBatch(id, 'a', 1, at(0), 60_000);
    await store.writeBatch([mark(d0!.id, '<1@x>')], [], at(1));
    await store.writeBatch([], [outcome(d0!.id, 'sent', 2, '<1@x>')], at(2));
    const r = report({ recipient: contact(0).key, campaignId: id, deliveryId: d0!.id });
    expect(await store.recordBounce(r, { newStatus: 'bounced', eventType: 'bounced' }, at(5))).toEqual({ result: 'new', suppressed: false });
    expect(await store.recordBounce(r, { newStatus: 'bounced', eventType: 'bounced' }, at(6))).toEqual({ result: 'duplicate', suppressed: false });
    expect(await store.getDelivery(d0!.id)).toMatchObject({ status: 'bounced' });
    expect((await store.deliveries(id))[0]).toMatchObject({ enhanced: '5.1.1', response: 'smtp; 550 5.1.1 Адресат неизвестен', updatedAt: at(5) });
    expect((await store.events(id, d0!.id)).at(-1)).toEqual(expect.objectContaining({ type: 'bounced', at: at(4), code: 550, enhanced: '5.1.1', messageId: '<1@x>', detail: 'imap: hard report r1' }));
    expect(await store.countBounces(contact(0).key, 'hard', at(0))).toBe(1);
    expect(await store.countBounces(contact(0).key, 'hard', at(5))).toBe(0);
    expect(await store.countBounces(contact(0).key, 'soft', at(0))).toBe(0);
    await store.recordBounce(report({ reportId: 'r2', outcome: 'unattributed' }), undefined, at(7));
    const [stored] = await store.bounceEvents({ deliveryId: d0!.id });
    expect(stored).toEqual({ ...r, id: expect.any(Number) });
    expect((await store.bounceEvents({ outcome: 'unattributed' })).map((e) => e.reportId)).toEqual(['r2']);
    expect((await store.bounceEvents()).map((e) => e.reportId)).toEqual(['r1', 'r2']);
    expect(await store.rememberWebhook('ses', 'm1', at(1))).toBe(true);
    expect(await store.rememberWebhook('ses', 'm1', at(2))).toBe(false);
    expect(await store.rememberWebhook('sendgrid', 'm1', at(2))).toBe(true);
  });

  it('recordBounce suppresses: soft bounces only after N in a window; a missing suppression is completed unless an operator removed it', async () => {
    const { store } = open();
    const key = contact(1).key;
    const soft = (n: number) => report({ reportId: `s${n}`, kind: 'soft', recipient: key, receivedAt: at(n * 1000) });
    const suppress = { key, email: contact(1).email, reason: 'soft-bounce' as const, source: 'imap', detail: 'trois rebonds', onlyAfter: { kind: 'soft', since: at(0), atLeast: 3 } };
    expect(await store.recordBounce(soft(1), { eventType: 'bounced', suppress }, at(10))).toEqual({ result: 'new', suppressed: false });
    expect(await store.recordBounce(soft(2), { eventType: 'bounced', suppress }, at(11))).toEqual({ result: 'new', suppressed: false });
    expect(await store.isSuppressed(key)).toBeUndefined();
    expect(await store.recordBounce(soft(3), { eventType: 'bounced', suppress }, at(12))).toEqual({ result: 'new', suppressed: true });
    expect(await store.isSuppressed(key)).toMatchObject({ reason: 'soft-bounce', detail: 'trois rebonds', createdAt: at(12) });

    // A hard report stored earlier whose suppression went missing (an older version's second transaction).
    const hardKey = contact(2).key;
    const hard = report({ reportId: 'h1', recipient: hardKey });
    await store.recordBounce(hard, undefined, at(20));
    const hardSuppress = { key: hardKey, email: contact(2).email, reason: 'hard-bounce' as const, source: 'imap', detail: undefined };
    expect(await store.recordBounce(hard, { eventType: 'bounced', suppress: hardSuppress }, at(21))).toEqual({ result: 'completed', suppressed: true });
    expect(await store.removeSuppression(hardKey, 'Opérateur', at(22))).toBe(true);
    expect(await store.recordBounce(hard, { eventType: 'bounced', suppress: hardSuppress }, at(23))).toEqual({ result: 'duplicate', suppressed: false });
    expect(await store.isSuppressed(hardKey)).toBeUndefined();
  });

  it("a mailbox report's text is kept once and shown on each of its rows; a quarantined message is recorded once by its key", async () => {
    const { store } = open();
    const kept = { reportId: '<wide@mx>', source: 'maildir:/m/new/1', raw: 'Le rapport — отчёт', recipients: 3000, recipientsKept: 2 };
    expect(await store.keepBounceReport(kept, at(1))).toBe(true);
    expect(await store.keepBounceReport({ ...kept, raw: 'un autre texte' }, at(2))).toBe(false);
    for (const recipient of ['a@x.example', 'b@xn--bcher-kva.example']) {
      const row = report({ reportId: '<wide@mx>', source: 'maildir:/m/new/1', recipient, outcome: 'unattributed', raw: '', originalMessageId: undefined });
      expect((await store.recordBounce(row, undefined, at(3))).result).toBe('new');
    }
    // A webhook's event keeps its own raw text.
    await store.recordBounce(report({ reportId: 'sg-1', source: 'sendgrid', recipient: 'c@x.example', outcome: 'unattributed', raw: '{"event":"bounce","reason":"Ungültig"}' }), undefined, at(4));
    expect((await store.bounceEvents({ outcome: 'unattributed' })).map((e) => [e.recipient, e.raw])).toEqual([
      ['a@x.example', 'Le rapport — отчёт'],
      ['b@xn--bcher-kva.example', 'Le rapport — отчёт'],
      ['c@x.example', '{"event":"bounce","reason":"Ungültig"}'],
    ]);

    const q = { key: 'sha256:ab', source: 'mbox:/boîte.mbox#2', location: '/boîte.mbox at byte offset 120', bytes: 5_000_000_000, reason: 'trop grand', quarantinedAt: at(5) };
    expect(await store.quarantineMessage(q)).toBe(true);
    expect(await store.quarantineMessage({ ...q, reason: 'again', quarantinedAt: at(6) })).toBe(false);
    const q2 = { ...q, key: 'imap:Входящие:42', location: 'Входящие/Карантин', bytes: 10 };
    expect(await store.quarantineMessage(q2)).toBe(true);
    expect(await store.quarantinedKeys()).toEqual(new Set(['sha256:ab', 'imap:Входящие:42']));
    expect(await store.listQuarantined()).toEqual([q, q2]);
  });

  it('write groups: writes between begin and commit land together; a rollback undoes them all', async () => {
    const { store, other } = open();
    const id = await store.createCampaign(CAMPAIGN, T0);
    await store.addDeliveries(id, [contact(0)], 'pending', T0);
    expect(store.beginWriteGroup && store.commitWriteGroup && store.rollbackWriteGroup).toBeTypeOf('function');
    await store.beginWriteGroup!();
    await store.recordBounce(report({ reportId: 'g1' }), undefined, at(1));
    await store.addSuppression({ key: 'groupe@presse.example', email: 'groupe@presse.example', reason: 'manual', source: 'test', detail: undefined }, at(1));
    await store.rollbackWriteGroup!();
    expect(await store.bounceEvents()).toEqual([]);
    expect(await store.isSuppressed('groupe@presse.example')).toBeUndefined();
    await store.rollbackWriteGroup!(); // none open: nothing happens

    await store.beginWriteGroup!();
    await store.recordBounce(report({ reportId: 'g2' }), undefined, at(2));
    await store.recordBounce(report({ reportId: 'g3' }), undefined, at(2));
    await store.commitWriteGroup!();
    expect((await other().bounceEvents()).map((e) => e.reportId)).toEqual(['g2', 'g3']);
  });
}
