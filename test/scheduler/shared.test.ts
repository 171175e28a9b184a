// Worker mode against interactive sends: a campaign is shared by workers or held by one
// `send`/`resume`, never both; relays come from config with their URL from the environment.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCampaign } from '../../src/campaigns/run.js';
import { relayTransport } from '../../src/send/transport-factories.js';
import { validateConfig } from '../../src/config/load.js';
import { journalists, testApp, type TestApp } from '../helpers/app.js';
import { startTestSmtp } from '../helpers/smtp-server.js';
import { planCampaign } from '../helpers/plan.js';

let app: TestApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

async function planned(a: TestApp): Promise<number> {
  return planCampaign(a, [a.list(journalists(3))]);
}

describe('sharing a campaign', () => {
  it('an interactive resume is refused while workers hold live claims', async () => {
    const a = testApp();
    app = a;
    const id = await planned(a);
    await a.store.claimBatch(id, 'w1@elsewhere:1:abc', 2, a.clock.now(), 60_000);
    await expect(runCampaign(id, a, { waitForRetries: false })).rejects.toThrow(/being sent by worker w1@elsewhere:1:abc; pause it/);
    // The refusal let go of the campaign lease it had taken to check.
    expect(await a.store.campaignOwner(id)).toBeUndefined();
  });

  it('a worker does not join a campaign an interactive send holds', async () => {
    const a = testApp();
    app = a;
    const id = await planned(a);
    expect(await a.store.acquireCampaign(id, 'elsewhere:1:abc', a.clock.now(), 60_000)).toBe(true);
    await expect(runCampaign(id, a, { waitForRetries: false, shared: true })).rejects.toThrow(/being sent by elsewhere:1:abc on its own/);
  });

  it('workers share: one worker leaves others\' claims alone and sends the rest', async () => {
    const a = testApp();
    app = a;
    const id = await planned(a);
    const [held] = await a.store.claimBatch(id, 'w1@elsewhere:1:abc', 1, a.clock.now(), 60_000);
    const summary = await runCampaign(id, a, { waitForRetries: false, shared: true, owner: 'w2@here:2:def' });
    // w1 still holds one: w2 is done with what it could take, the campaign is not finished.
    expect(summary.end).toBe('retries-pending');
    const rows = await a.store.deliveries(id);
    expect(rows.map((r) => [r.id === held!.id ? 'held' : r.status, r.worker])).toEqual(
      rows.map((r) => (r.id === held!.id ? ['held', undefined] : ['sent', 'w2@here:2:def'])),
    );
    expect(rows.find((r) => r.status === 'sent')?.relay).toMatch(/^outbox /);
  });

  it('a worker sends through its own relay from its own source address, and says so per delivery', async () => {
    const smtp = await startTestSmtp();
    try {
      const a = testApp({ config: { relays: { second: { urlEnv: 'SMTP_URL_SECOND', localAddress: '127.0.0.2' } } }, env: { vars: { SMTP_URL_SECOND: smtp.url } } });
      app = a;
      const id = await planned(a);
      const summary = await runCampaign(id, a, { waitForRetries: false, shared: true, relay: 'second', owner: 'w9@here:9:abc' });
      expect(summary.end).toBe('done');
      expect(smtp.messages.map((m) => m.remoteAddress)).toEqual(['127.0.0.2', '127.0.0.2', '127.0.0.2']);
      expect(new Set((await a.store.deliveries(id)).map((r) => `${r.worker} | ${r.relay}`))).toEqual(new Set([`w9@here:9:abc | second ${smtp.url}`]));
    } finally {
      await smtp.close();
    }
  });

  it('a relay comes from config with its URL from the named environment variable', () => {
    const config = validateConfig({ relays: { eu: { urlEnv: 'SMTP_URL_EU', localAddress: '127.0.0.1' } } });
    const env = { smtpUrl: undefined, databaseUrl: undefined, sqliteFile: undefined, secret: undefined, dashboardToken: undefined };
    expect(() => relayTransport(config, { ...env, vars: {} }, 'us')).toThrow(/no relay "us" in config `relays` \(known: eu\)/);
    expect(() => relayTransport(config, { ...env, vars: {} }, 'eu')).toThrow(/takes its URL from SMTP_URL_EU, which is not set/);
    const t = relayTransport(config, { ...env, vars: { SMTP_URL_EU: 'smtp://user:secret@relay-eu.example:587' } }, 'eu');
    expect(t.name).toBe('eu smtp://relay-eu.example:587');
    expect(() => validateConfig({ relays: { eu: { urlEnv: 'smtp://user:pw@x' } } })).toThrow(/relays\.eu\.urlEnv/);
    // The example config documents relays and the worker lease, and is itself valid.
    const example = validateConfig(JSON.parse(readFileSync('config/pressline.example.json', 'utf8')));
    expect(Object.keys(example.relays)).toEqual(['eu', 'us']);
    expect(example.worker.leaseMs).toBe(60_000);
    return t.close();
  });
});
