// Issue 13: one owner of campaign status. Every transition writes its event in the same
// transaction and reaches the delivery log; planning is invisible to senders; `done` is refused
// while anything is left to send; a second send of one release to the same journalists is refused.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TRANSITIONS, transition, type CampaignOperation } from '../../src/campaigns/lifecycle.js';
import { runCampaign } from '../../src/campaigns/run.js';
import { deliveryLogFile } from '../../src/log/delivery-log.js';
import type { CampaignStatus, PauseKind } from '../../src/store/types.js';
import { journalists, testApp, type TestApp } from '../helpers/app.js';
import { planCampaign } from '../helpers/plan.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Puts a campaign in `status` the way the store would find it (a test fixture, not a transition). */
async function force(a: TestApp, id: number, status: CampaignStatus, pausedKind: PauseKind | null = null): Promise<void> {
  if (a.store.kind === 'postgres') await (a.store as any).pool.query('UPDATE campaigns SET status = $1, paused_kind = $2 WHERE id = $3', [status, pausedKind, id]);
  else (a.store as any).db.prepare('UPDATE campaigns SET status = ?, paused_kind = ? WHERE id = ?').run(status, pausedKind, id);
}

async function logLines(a: TestApp, id: number): Promise<{ event: string; detail?: string }[]> {
  return readFileSync(await deliveryLogFile(a.store, a.config.paths.logs, id), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}

describe('campaign lifecycle', () => {
  for (const [operation, { from, to, fromPause }] of Object.entries(TRANSITIONS) as [CampaignOperation, { from: readonly CampaignStatus[]; to: CampaignStatus; fromPause?: readonly PauseKind[] }][]) {
    it(`${operation}: ${from.join('|')} → ${to}, with its event in the store and in the delivery log`, async () => {
      const a = testApp();
      app = a;
      // Every recipient settled, so `done` is allowed by the open-deliveries rule.
      const id = await planCampaign(a, [a.list(journalists(2))]);
      if (to === 'done') {
        // Ending a campaign needs every delivery settled (see the next test for the refusal).
        if (a.store.kind === 'postgres') await (a.store as any).pool.query(`UPDATE deliveries SET status = 'sent' WHERE campaign_id = $1`, [id]);
        else (a.store as any).db.prepare(`UPDATE deliveries SET status = 'sent' WHERE campaign_id = ?`).run(id);
      }
      for (const status of from) {
        if (fromPause) {
          // Only a pause of the right kind moves: an operator's pause is nobody else's to end.
          await force(a, id, status, 'operator');
          expect(await transition(a, id, operation, new Date())).toBe(false);
        }
        await force(a, id, status, fromPause?.[0] ?? null);
        expect(await transition(a, id, operation, new Date(), { reason: `test ${operation} from ${status}` })).toBe(true);
        expect((await a.store.getCampaign(id))?.status).toBe(to);
        const last = (await logLines(a, id)).at(-1)!;
        expect(last).toMatchObject({ event: 'campaign', detail: `${to}: test ${operation} from ${status}` });
      }
      // From any other state it is refused, and nothing is written.
      const all: CampaignStatus[] = ['planning', 'draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled', 'missed'];
      for (const status of all.filter((s) => !from.includes(s))) {
        await force(a, id, status);
        const before = (await a.store.events(id)).length;
        expect(await transition(a, id, operation, new Date())).toBe(false);
        expect((await a.store.getCampaign(id))?.status).toBe(status);
        expect((await a.store.events(id)).length).toBe(before);
      }
    });
  }

  it('refuses done while any delivery is pending, deferred or sending', async () => {
    const a = testApp();
    app = a;
    const id = await planCampaign(a, [a.list(journalists(3))]);
    await force(a, id, 'sending');
    expect(await transition(a, id, 'finish', new Date())).toBe(false);
    expect((await a.store.getCampaign(id))?.status).toBe('sending');
    // stopAtLift settles the open deliveries (skipped) in the same transaction, then may end it.
    expect(await transition(a, id, 'stopAtLift', new Date(), { reason: 'lift', skipOpen: 'embargo lifted' })).toBe(true);
    expect(await a.store.counts(id)).toMatchObject({ pending: 0, skipped: 3 });
  });

  it('no code outside the lifecycle module changes a campaign status', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (path.endsWith('.ts') && !path.startsWith(join('src', 'store')) && path !== join('src', 'campaigns', 'lifecycle.ts')) {
          const text = readFileSync(path, 'utf8');
          if (/\.transitionCampaign\(|\.finishPlanning\(|UPDATE\s+campaigns\s+SET\s+status/i.test(text.replace(/import[^;]+;/g, ''))) offenders.push(path);
        }
      }
    };
    walk('src');
    expect(offenders).toEqual([]);
  });
});

describe('planning', () => {
  it('a campaign being planned is invisible to senders: nothing to claim, a run refused', async () => {
    const a = testApp();
    app = a;
    const id = await planCampaign(a, [a.list(journalists(3))]);
    await force(a, id, 'planning');
    expect(await a.store.claimBatch(id, 'w@x:1:a', 10, new Date(), 60_000)).toEqual([]);
    await expect(runCampaign(id, a, { waitForRetries: false })).rejects.toThrow(/still being planned.*pressline resume/);
    expect(await a.store.counts(id)).toMatchObject({ pending: 3, sent: 0 });
  });

  it('a second campaign of the same release to the same journalists is refused and says which; --new-only plans only the new ones', async () => {
    const a = testApp();
    app = a;
    const first = await planCampaign(a, [a.list(journalists(5))]);
    await expect(planCampaign(a, [a.list(journalists(5))])).rejects.toThrow(new RegExp(`5 from campaign ${first} \\(draft\\).*--new-only.*--again`));
    const refused = (await a.store.listCampaigns()).at(-1)!;
    expect(refused).toMatchObject({ status: 'cancelled' });
    expect(refused.statusReason).toMatch(`campaign ${first}`);
    expect((await a.store.deliveries(refused.id)).filter((d) => d.status === 'pending')).toHaveLength(5); // kept for the record, never claimable
    expect(await a.store.claimBatch(refused.id, 'w@x:1:a', 10, new Date(), 60_000)).toEqual([]);

    await runCampaign(first, a, { waitForRetries: false });
    expect(await a.store.counts(first)).toMatchObject({ sent: 5 });
    // Three journalists added to the list: only they get it.
    const more = await planCampaign(a, [a.list(journalists(8))], {}, { newOnly: true });
    const counts = await a.store.counts(more);
    expect(counts).toMatchObject({ pending: 3, skipped: 5 });
    expect((await a.store.deliveries(more, { status: ['pending'] })).map((d) => d.email)).toEqual(['j6@news.example', 'j7@news.example', 'j8@news.example']);
    // --again sends to everyone, knowingly.
    const again = await planCampaign(a, [a.list(journalists(2))], {}, { again: true });
    expect((await a.store.getCampaign(again))?.status).toBe('draft');
  });

  it('a cancelled campaign that sent some still counts: its sent journalists are not mailed twice', async () => {
    const a = testApp();
    app = a;
    const first = await planCampaign(a, [a.list(journalists(4))]);
    await runCampaign(first, a, { waitForRetries: false });
    await force(a, first, 'cancelled');
    await expect(planCampaign(a, [a.list(journalists(4))])).rejects.toThrow(new RegExp(`4 from campaign ${first} \\(cancelled\\)`));
  });
});
