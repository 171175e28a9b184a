// Campaigns: creation, planning (with the release guard), the compare-and-set lifecycle, embargo phases.
import { expect, it } from 'vitest';
import type { CampaignInput, PlanConflict } from '../../../src/store/types.js';
import { at, CAMPAIGN, contact, mark, outcome, T0, type Opened } from './harness.js';

const RELEASE = { file: CAMPAIGN.releaseFile, path: '/srv/presse/communiqués/sommet-ue–russie.md', fingerprint: 'sha256:éé' };

export function campaignsContract(open: () => Opened): void {
  it('a campaign reads back as created, options replaced, and listed in id order', async () => {
    const { store } = open();
    const input: CampaignInput = {
      ...CAMPAIGN, status: 'scheduled', scheduledAt: at(60_000), phase: 'embargoed', groupId: 7, embargoAt: at(120_000),
      embargoZone: 'Europe/Kyiv', scheduleZone: 'Asia/Riyadh', test: true,
    };
    const id = await store.createCampaign(input, T0);
    const second = await store.createCampaign(CAMPAIGN, at(1));
    expect(await store.getCampaign(id)).toEqual({
      ...input, id, createdAt: T0, startedAt: undefined, finishedAt: undefined, statusReason: undefined, pausedKind: undefined, pausedSince: undefined,
    });
    expect(await store.getCampaign(second)).toMatchObject({ phase: 'single', groupId: undefined, embargoAt: undefined, test: false });
    expect(await store.getCampaign(second + 1000)).toBeUndefined();
    await store.updateCampaignOptions(id, { fingerprint: 'sha256:ü', rates: { 'новости.example': 2 } });
    expect((await store.getCampaign(id))?.options).toEqual({ fingerprint: 'sha256:ü', rates: { 'новости.example': 2 } });
    expect((await store.listCampaigns()).map((c) => [c.id, c.releaseTitle])).toEqual([[id, CAMPAIGN.releaseTitle], [second, CAMPAIGN.releaseTitle]]);
  });

  it('addDeliveries: duplicates by key ignored, notBefore and Message-ID per contact, a non-pending status is its own event', async () => {
    const { store } = open();
    const id = await store.createCampaign(CAMPAIGN, T0);
    const late = contact(1);
    const added = await store.addDeliveries(id, [contact(0), late, contact(0)], 'pending', T0, {
      detail: 'liste « été »',
      notBefore: (c) => (c.key === late.key ? at(3_600_000) : undefined),
      messageId: (c) => `<${c.key}.1@pressline.example>`,
    });
    expect(added).toBe(2);
    expect(await store.addDeliveries(id, [contact(2)], 'suppressed', T0, { detail: 'désabonné' })).toBe(1);
    const [d0, d1, d2] = await store.deliveries(id);
    expect(await store.deliveryById(d1!.id)).toMatchObject({ nextAttemptAt: at(3_600_000), messageId: `<${late.key}.1@pressline.example>`, email: late.email, domain: late.domain });
    expect((await store.deliveryById(d0!.id))?.nextAttemptAt).toBeUndefined();
    expect(d2).toMatchObject({ status: 'suppressed', outlet: 'الجزيرة', language: 'ar' });
    expect((await store.events(id)).map((e) => [e.deliveryId, e.type, e.detail])).toEqual([
      [d0!.id, 'planned', 'liste « été »'], [d1!.id, 'planned', 'liste « été »'], [d2!.id, 'suppressed', 'désabonné'],
    ]);
    expect(await store.deliveryKeys(id)).toEqual(new Set([contact(0).key, late.key, contact(2).key]));
    // Only the first contact is due: the other waits for its local time.
    expect((await store.claimBatch(id, 'a', 10, at(1), 1000)).map((d) => d.key)).toEqual([contact(0).key]);
  });

  it('skipped list rows are kept in order, each with a campaign-level `skipped` event', async () => {
    const { store } = open();
    const id = await store.createCampaign(CAMPAIGN, T0);
    const rows = [
      { file: 'liste-été.csv', line: 4, email: 'élodie@', reason: 'nothing after "@"' },
      { file: 'список.csv', line: 9, email: '', reason: 'missing email' },
    ];
    await store.addSkipped(id, rows, at(5));
    expect(await store.skipped(id)).toEqual(rows);
    expect(await store.skipped(id + 1)).toEqual([]);
    expect((await store.events(id)).map((e) => [e.type, e.deliveryId, e.detail, e.at])).toEqual([
      ['skipped', undefined, 'liste-été.csv:4 élodie@: nothing after "@"', at(5)],
      ['skipped', undefined, 'список.csv:9: missing email', at(5)],
    ]);
  });

  it('campaign status is compare-and-set: of two racing changes exactly one wins', async () => {
    const { store, other } = open();
    const id = await store.createCampaign({ ...CAMPAIGN, status: 'draft' }, T0);
    expect(await store.transitionCampaign(id, { from: ['draft'], to: 'sending' }, at(1))).toBe(true);
    expect(await store.transitionCampaign(id, { from: ['draft'], to: 'sending' }, at(2))).toBe(false);
    const second = other();
    const results = await Promise.all([
      store.transitionCampaign(id, { from: ['sending'], to: 'paused', reason: 'opérateur' }, at(3)),
      second.transitionCampaign(id, { from: ['sending'], to: 'done' }, at(3)),
    ]);
    expect(results.filter(Boolean)).toHaveLength(1);
    const c = await store.getCampaign(id);
    expect(c?.startedAt).toEqual(at(1));
    expect(c?.status).toBe(results[0] ? 'paused' : 'done');
    expect((await store.events(id)).filter((e) => e.type === 'campaign')).toHaveLength(2);
    expect(await store.transitionCampaign(id + 1000, { from: ['draft'], to: 'sending' }, at(4))).toBe(false);
  });

  it('transitions: a pause keeps its kind and instant, fromPause guards a resume, done waits for open deliveries, skipOpen skips them', async () => {
    const { store } = open();
    const id = await store.createCampaign(CAMPAIGN, T0);
    await store.addDeliveries(id, [contact(0), contact(1), contact(2)], 'pending', T0);
    expect(await store.transitionCampaign(id, { from: ['sending'], to: 'paused', pause: 'relay', reason: 'relais muet' }, at(1))).toBe(true);
    expect(await store.getCampaign(id)).toMatchObject({ status: 'paused', pausedKind: 'relay', pausedSince: at(1), statusReason: 'relais muet' });
    expect(await store.transitionCampaign(id, { from: ['paused'], to: 'sending', fromPause: ['operator'] }, at(2))).toBe(false);
    expect(await store.transitionCampaign(id, { from: ['paused'], to: 'sending', fromPause: ['relay'] }, at(2))).toBe(true);
    expect(await store.getCampaign(id)).toMatchObject({ status: 'sending', pausedKind: undefined, pausedSince: undefined, startedAt: at(2) });
    // One in flight: `done` is refused even with skipOpen, but the open ones are skipped anyway.
    const [d0] = await store.claimBatch(id, 'a', 1, at(3), 60_000);
    await store.writeBatch([mark(d0!.id, '<0@x>')], [], at(3));
    expect(await store.transitionCampaign(id, { from: ['sending'], to: 'done', skipOpen: 'annulé par Ιωάννα' }, at(4))).toBe(false);
    expect((await store.deliveries(id)).map((r) => [r.status, r.response])).toEqual([['sending', undefined], ['skipped', 'annulé par Ιωάννα'], ['skipped', 'annulé par Ιωάννα']]);
    await store.writeBatch([], [outcome(d0!.id, 'sent', 5, '<0@x>')], at(5));
    expect(await store.transitionCampaign(id, { from: ['sending'], to: 'done' }, at(6))).toBe(true);
    expect(await store.getCampaign(id)).toMatchObject({ status: 'done', finishedAt: at(6) });
    expect((await store.events(id)).filter((e) => e.type === 'campaign').map((e) => e.detail)).toEqual(['paused: relais muet', 'sending', 'done']);
  });

  it('finishPlanning: ends planning once; the release guard cancels a plan that would reach someone twice', async () => {
    const { store } = open();
    const first = await store.createCampaign({ ...CAMPAIGN, status: 'planning', options: { releasePath: RELEASE.path } }, T0);
    await store.addDeliveries(first, [contact(0), contact(1)], 'pending', T0);
    expect(await store.finishPlanning(first, 'scheduled', at(1), { release: RELEASE, refusal: () => 'unused' })).toEqual({ ok: true });
    expect(await store.getCampaign(first)).toMatchObject({ status: 'scheduled', statusReason: undefined });
    await expect(store.finishPlanning(first, 'draft', at(2), undefined)).rejects.toThrow(/no longer being planned/);

    // Same release by fingerprint only (another file name): contact(1) is already about to be reached.
    const second = await store.createCampaign({ ...CAMPAIGN, releaseFile: 'autre.md', status: 'planning', options: { fingerprint: RELEASE.fingerprint } }, T0);
    await store.addDeliveries(second, [contact(1), contact(2)], 'pending', T0);
    const refusal = (conflicts: PlanConflict[]) => `déjà prévu : ${conflicts.map((c) => `#${c.campaignId}`).join(', ')}`;
    const refused = await store.finishPlanning(second, 'draft', at(3), { release: RELEASE, refusal });
    expect(refused).toEqual({ ok: false, conflicts: [{ campaignId: first, status: 'scheduled', recipients: 1 }] });
    expect(await store.getCampaign(second)).toMatchObject({ status: 'cancelled', statusReason: `déjà prévu : #${first}`, finishedAt: at(3) });

    // Without a guard, nothing is looked up.
    const third = await store.createCampaign({ ...CAMPAIGN, status: 'planning' }, T0);
    await store.addDeliveries(third, [contact(1)], 'pending', T0);
    expect(await store.finishPlanning(third, 'draft', at(4), undefined)).toEqual({ ok: true });
  });

  it('releaseAudience: who other campaigns of the release reached or may still reach; tests and `except` left out', async () => {
    const { store } = open();
    const done = await store.createCampaign({ ...CAMPAIGN, options: { releasePath: RELEASE.path } }, T0);
    await store.addDeliveries(done, [contact(0), contact(1), contact(2)], 'pending', T0);
    const [d0] = await store.claimBatch(done, 'a', 1, at(1), 60_000);
    await store.writeBatch([mark(d0!.id, '<0@x>')], [], at(1));
    await store.writeBatch([], [outcome(d0!.id, 'sent', 2, '<0@x>')], at(2));
    // Cancelled: its pending recipients will never be reached; the one sent was.
    expect(await store.transitionCampaign(done, { from: ['sending'], to: 'cancelled' }, at(3))).toBe(true);
    const scheduled = await store.createCampaign({ ...CAMPAIGN, status: 'scheduled', releaseFile: 'x.md', options: { fingerprint: RELEASE.fingerprint } }, T0);
    await store.addDeliveries(scheduled, [contact(3)], 'pending', T0);
    const test = await store.createCampaign({ ...CAMPAIGN, test: true }, T0);
    await store.addDeliveries(test, [contact(4)], 'pending', T0);
    const unrelated = await store.createCampaign({ ...CAMPAIGN, releaseFile: 'autre.md' }, T0);
    await store.addDeliveries(unrelated, [contact(5)], 'pending', T0);

    const audience = await store.releaseAudience(RELEASE, -1);
    expect([...audience.entries()].sort()).toEqual([
      [contact(0).key, { campaignId: done, status: 'cancelled', reached: true }],
      [contact(3).key, { campaignId: scheduled, status: 'scheduled', reached: false }],
    ].sort());
    expect([...(await store.releaseAudience(RELEASE, scheduled)).keys()]).toEqual([contact(0).key]);
  });

  it('reschedule moves only a scheduled campaign, and records the embargo checked when given', async () => {
    const { store } = open();
    const id = await store.createCampaign({ ...CAMPAIGN, status: 'scheduled', scheduledAt: at(1000), embargoAt: at(500) }, T0);
    await store.reschedule(id, at(2000));
    expect(await store.getCampaign(id)).toMatchObject({ scheduledAt: at(2000), embargoAt: at(500) });
    await store.reschedule(id, at(3000), at(2500));
    expect(await store.getCampaign(id)).toMatchObject({ scheduledAt: at(3000), embargoAt: at(2500) });
    await store.reschedule(id, at(4000), null);
    expect(await store.getCampaign(id)).toMatchObject({ scheduledAt: at(4000), embargoAt: undefined });
    const draft = await store.createCampaign({ ...CAMPAIGN, status: 'draft', scheduledAt: at(1000) }, T0);
    await store.reschedule(draft, at(9000), at(9000));
    expect(await store.getCampaign(draft)).toMatchObject({ scheduledAt: at(1000), embargoAt: undefined });
  });

  it('releaseUnreachedFromEmbargo: public-phase skips go back to pending unless the embargoed phase reached them', async () => {
    const { store } = open();
    const embargoed = await store.createCampaign({ ...CAMPAIGN, phase: 'embargoed' }, T0);
    await store.addDeliveries(embargoed, [contact(0), contact(1), contact(2)], 'pending', T0);
    const [e0, e1] = await store.claimBatch(embargoed, 'a', 2, at(1), 60_000);
    await store.writeBatch([mark(e0!.id, '<e0@x>'), mark(e1!.id, '<e1@x>')], [], at(1));
    await store.writeBatch([], [outcome(e0!.id, 'sent', 2, '<e0@x>'), outcome(e1!.id, 'failed', 2, '<e1@x>', { code: 550 })], at(2));
    const pub = await store.createCampaign({ ...CAMPAIGN, phase: 'public', groupId: embargoed, status: 'scheduled' }, T0);
    await store.addDeliveries(pub, [contact(0), contact(1), contact(2)], 'skipped', T0, { detail: 'dans la phase sous embargo' });
    await store.addDeliveries(pub, [contact(3)], 'pending', T0);
    expect(await store.releaseUnreachedFromEmbargo(pub, embargoed, at(3))).toBe(1);
    expect((await store.deliveries(pub)).map((r) => [r.email, r.status])).toEqual([
      [contact(0).email, 'skipped'], [contact(1).email, 'skipped'], [contact(2).email, 'pending'], [contact(3).email, 'pending'],
    ]);
    const released = (await store.deliveries(pub))[2]!;
    expect((await store.events(pub, released.id)).map((e) => e.type)).toEqual(['skipped', 'planned']);
    expect(await store.releaseUnreachedFromEmbargo(pub, embargoed, at(4))).toBe(0);
  });
}
