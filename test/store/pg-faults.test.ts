// Issue 13 (3): a PostgreSQL store whose connections drop while its transactions are open.
// pg emits 'error' on a checked-out client whose connection drops; unheard, it ends the process
// ("Unhandled 'error' event"). Here the connections go through a TCP proxy the test cuts, so only
// this test's connections are affected. Runs in the PRESSLINE_TEST_STORE=postgres pass.
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { connectPostgresStore, type PgStore } from '../../src/store/postgres/store.js';
import { isTransientStoreError } from '../../src/store/retry.js';
import { journalists, TEST_DATABASE_URL, TEST_STORE, testApp, type TestApp } from '../helpers/app.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';

let app: TestApp | undefined;
let proxy: TcpProxy | undefined;
let viaProxy: PgStore | undefined;
afterEach(async () => {
  await viaProxy?.close().catch(() => {});
  await proxy?.close();
  await app?.close();
  app = proxy = viaProxy = undefined;
});

/** The app's DATABASE_URL (its own schema), pointed at the proxy. */
function throughProxy(databaseUrl: string, port: number): string {
  const url = new URL(databaseUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return url.toString();
}

describe.skipIf(TEST_STORE !== 'postgres')('PostgreSQL connections terminated or cut mid-transaction', () => {
  it('fail the calls in flight (as transient errors), never the process, and the store works again afterwards', async () => {
    app = testApp();
    await app.store.listCampaigns(); // its schema exists once its migrations ran
    const target = new URL(app.storeEnv.DATABASE_URL!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    viaProxy = connectPostgresStore(throughProxy(app.storeEnv.DATABASE_URL!, proxy.port), { max: 6 });
    await viaProxy.ready();
    const id = await app.store.createCampaign({ releaseFile: 'r.md', releaseTitle: 'R', lists: [], where: [], test: false, status: 'sending', options: {} }, new Date());
    const contacts = journalists(50).map((row, i) => {
      const email = row.split(',')[0]!;
      return { email, key: email, domain: 'news.example', firstName: 'Jo', lastName: 'Doe', outlet: 'Daily', tags: [], language: 'en', country: '', timeZone: '', extra: {}, source: { file: 'l.csv', line: i + 2 } };
    });
    await app.store.addDeliveries(id, contacts, 'pending', new Date());

    // Transactions (several statements on one checked-out client) and single statements, all the time.
    const errors: unknown[] = [];
    let ok = 0;
    let running = true;
    const store = viaProxy;
    const loop = async (op: () => Promise<unknown>) => {
      while (running) {
        try {
          await op();
          ok++;
        } catch (err) {
          errors.push(err);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const loops = [
      loop(() => store.acquireCampaign(id, 'w1', new Date(), 60_000)),
      loop(() => store.recoverInFlight(id, new Date())),
      loop(() => store.takeRateSlots([{ key: 'global:50/1000', count: 50, windowMs: 1000 }], 'w1', new Date(), new Date(Date.now() - 60_000)).then((r) => ('slots' in r ? store.endRateSlots(r.slots, 'w1', new Date()) : undefined))),
      loop(() => store.transitionCampaign(id, { from: ['sending'], to: 'sending' }, new Date())),
      loop(() => store.claimBatch(id, 'w1', 5, new Date(), 60_000).then(() => store.releaseClaims(id, 'w1'))),
    ];
    // What a server restart does to each connection (57P01), to this test's connections only.
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    let terminated = 0;
    try {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 300));
        const { rowCount } = await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE client_port = ANY($1::int[])', [proxy.upstreamPorts()]);
        terminated += rowCount ?? 0;
      }
    } finally {
      await admin.end();
    }
    expect(terminated).toBeGreaterThan(0);
    // A network that resets every connection.
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 300));
      proxy.cut();
    }
    await proxy.outage(1000, 'refuse');
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await Promise.all(loops);

    expect(errors.length).toBeGreaterThan(0);
    expect(errors.some((e) => (e as { code?: string }).code === '57P01')).toBe(true);
    const permanent = errors.filter((e) => !isTransientStoreError(e));
    expect(permanent.map((e) => (e as Error).message)).toEqual([]);
    expect(ok).toBeGreaterThan(0);
    // The pool replaced its broken connections: the store answers as before.
    expect((await viaProxy.getCampaign(id))?.status).toBe('sending');
    expect((await viaProxy.counts(id)).pending).toBe(50);
  }, 60_000);
});
