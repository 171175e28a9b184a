// The schema under the contract: migrations applied once, and the stored unions enforced by the
// database (CHECK constraints, SQLite step 10 and PostgreSQL step 11), on new stores and old ones.
import pg from 'pg';
import { expect, it } from 'vitest';
import { openPostgresStore } from '../../../src/store/postgres/store.js';
import type { CampaignPhase, CampaignStatus, DeliveryStatus, EventType, PauseKind, SuppressionReason } from '../../../src/store/types.js';
import { TEST_DATABASE_URL } from '../../helpers/app.js';
import { at, CAMPAIGN, contact, T0, type Kind, type Opened } from './harness.js';
import { BEFORE_CHECKS, oldStore } from './old-store.js';

// Every value of each union, as records so that a value added to a union without its constraint
// (a new migration step) is a type error here, and then a failure below.
const every = <T extends string>(values: Record<T, true>) => Object.keys(values) as T[];
const CAMPAIGN_STATUSES = every<CampaignStatus>({ planning: true, draft: true, scheduled: true, sending: true, paused: true, done: true, cancelled: true, missed: true });
const PHASES = every<CampaignPhase>({ single: true, embargoed: true, public: true });
const PAUSE_KINDS = every<PauseKind>({ relay: true, 'relay-held': true, credentials: true, operator: true, interrupted: true, store: true, sender: true });
const DELIVERY_STATUSES = every<DeliveryStatus>({ pending: true, sending: true, sent: true, deferred: true, bounced: true, blocked: true, failed: true, suppressed: true, skipped: true, unknown: true });
const EVENT_TYPES = every<EventType>({
  planned: true, sending: true, sent: true, deferred: true, bounced: true, blocked: true, failed: true, suppressed: true, skipped: true, unknown: true,
  complained: true, delayed: true, unsubscribed: true, campaign: true,
});
const REASONS = every<SuppressionReason>({ 'hard-bounce': true, 'soft-bounce': true, complaint: true, unsubscribe: true, manual: true });

export function migrationsContract(kind: Kind, open: () => Opened): void {
  it("every value of the stored unions is accepted; others are refused by the database, like suppression reason 'unsubscribed'", async () => {
    const { store } = open();
    const suppression = (reason: string, key = 'نور@x.example') => ({ key, email: key, reason: reason as SuppressionReason, source: 'test', detail: undefined });
    await expect(store.addSuppression(suppression('unsubscribed'), at(1))).rejects.toThrow(/suppressions_reason_known/);
    expect(await store.suppressedKeys()).toEqual(new Set());
    expect(await store.suppressionLog()).toEqual([]);
    for (const [i, reason] of REASONS.entries()) expect(await store.addSuppression(suppression(reason, `k${i}@новости.example`), at(1))).toBe(true);

    for (const status of CAMPAIGN_STATUSES) await store.createCampaign({ ...CAMPAIGN, status }, T0);
    for (const phase of PHASES) await store.createCampaign({ ...CAMPAIGN, phase }, T0);
    await expect(store.createCampaign({ ...CAMPAIGN, status: 'archived' as CampaignStatus }, T0)).rejects.toThrow(/campaigns_status_known/);
    await expect(store.createCampaign({ ...CAMPAIGN, phase: 'teaser' as CampaignPhase }, T0)).rejects.toThrow(/campaigns_phase_known/);
    expect(await store.listCampaigns()).toHaveLength(CAMPAIGN_STATUSES.length + PHASES.length);

    const id = await store.createCampaign(CAMPAIGN, T0);
    for (const pause of PAUSE_KINDS) {
      expect(await store.transitionCampaign(id, { from: ['sending'], to: 'paused', pause }, at(2))).toBe(true);
      expect((await store.getCampaign(id))?.pausedKind).toBe(pause);
      expect(await store.transitionCampaign(id, { from: ['paused'], to: 'sending' }, at(3))).toBe(true);
    }
    await expect(store.transitionCampaign(id, { from: ['sending'], to: 'paused', pause: 'coffee' as PauseKind }, at(4))).rejects.toThrow(/campaigns_paused_kind_known/);
    expect((await store.getCampaign(id))?.status).toBe('sending');

    for (const [i, status] of DELIVERY_STATUSES.entries()) expect(await store.addDeliveries(id, [contact(i)], status, T0)).toBe(1);
    // The whole call is refused: the valid contact before the bad status is not kept either.
    await expect(store.addDeliveries(id, [contact(20), contact(21)], 'lost' as DeliveryStatus, T0)).rejects.toThrow(/deliveries_status_known/);
    expect((await store.deliveries(id)).map((d) => d.status)).toEqual(DELIVERY_STATUSES);

    for (const type of EVENT_TYPES) await store.addEvent({ campaignId: id, deliveryId: undefined, at: at(5), type });
    await expect(store.addEvent({ campaignId: id, deliveryId: undefined, at: at(5), type: 'opened' as EventType })).rejects.toThrow(/events_type_known/);
    expect((await store.events(id)).filter((e) => e.at.getTime() === at(5).getTime()).map((e) => e.type)).toEqual(EVENT_TYPES);
  });

  it(`a store from before the checks: refused with the rows named, then migrated with its data, ids and indexes kept`, async () => {
    const old = await oldStore(kind);
    try {
      const indexes = async () =>
        (kind === 'sqlite'
          ? await old.sql(`SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name`)
          : await old.sql(`SELECT indexname AS name FROM pg_indexes WHERE schemaname = current_schema() ORDER BY indexname`)) as { name: string }[];
      const before = await indexes();
      await expect(old.open()).rejects.toThrow(
        /events\.type = 'opened' \(2 rows\), suppressions\.reason = 'unsubscribed' \(1 row\)\. Correct or delete those rows .*nothing was changed/,
      );
      // Refused as a whole: still the old schema, the rows as they were.
      expect(await old.sql('SELECT max(version) AS v FROM schema_migrations')).toEqual([{ v: BEFORE_CHECKS[kind] }]);
      expect(await old.sql(`SELECT count(*) AS n FROM events WHERE type = 'opened'`)).toEqual([{ n: kind === 'sqlite' ? 2 : '2' }]);

      await old.sql(`UPDATE suppressions SET reason = 'unsubscribe' WHERE reason = 'unsubscribed'`);
      await old.sql(`DELETE FROM events WHERE type = 'opened'`);
      const store = await old.open();
      try {
        // Every index kept (later steps may add their own tables and indexes).
        expect(await indexes()).toEqual(expect.arrayContaining(before));
        expect(await store.getCampaign(1)).toMatchObject({ releaseTitle: 'Саммит — «droits»', status: 'paused', phase: 'embargoed', pausedKind: 'operator', options: { note: 'über' }, createdAt: T0 });
        expect(await store.deliveryById(1)).toMatchObject({ email: 'j@bücher.example', key: 'j@xn--bcher-kva.example', status: 'sent', messageId: '<1@x>', contact: { firstName: 'Élodie' } });
        expect((await store.events(1)).map((e) => [e.type, e.detail])).toEqual([['sent', 'принято']]);
        expect(await store.isSuppressed('نور@x.example')).toMatchObject({ reason: 'unsubscribe', createdAt: at(8) });
        expect(await store.suppressionLog('نور@x.example')).toHaveLength(1);
        // Campaign 2 was deleted before the migration: its id is never handed out again.
        expect(await store.createCampaign(CAMPAIGN, T0)).toBe(3);
        // The rebuilt deliveries table still belongs to campaigns (SQLite: the foreign key followed the rename).
        await expect(store.addDeliveries(999, [contact(0)], 'pending', T0)).rejects.toThrow(/FOREIGN KEY|foreign key/);
        expect(await store.addDeliveries(3, [contact(0)], 'pending', T0)).toBe(1);
        await expect(store.addSuppression({ key: 'a@x.example', email: 'a@x.example', reason: 'unsubscribed' as SuppressionReason, source: 't', detail: undefined }, at(9))).rejects.toThrow(/suppressions_reason_known/);
      } finally {
        await store.close();
      }
    } finally {
      await old.dispose();
    }
  });

  it.runIf(kind === 'postgres')('several processes opening a fresh schema at once apply each migration once', async () => {
    const schema = `t_mig_${Date.now().toString(36)}_${Math.floor(Math.random() * 1e6)}`;
    const stores = await Promise.all(Array.from({ length: 4 }, () => openPostgresStore(TEST_DATABASE_URL, { schema })));
    const versions = await Promise.all(stores.map((s) => s.ready()));
    expect(new Set(versions.map((v) => v.version)).size).toBe(1);
    expect(versions.flatMap((v) => v.applied).sort()).toEqual([...new Set(versions.flatMap((v) => v.applied))].sort());
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query(`SELECT version, count(*)::int AS n FROM "${schema}".schema_migrations GROUP BY version`);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      await Promise.all(stores.map((s) => s.close()));
      await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    } finally {
      await client.end();
    }
  });
}
