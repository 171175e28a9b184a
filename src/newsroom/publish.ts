import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Release } from '../releases/types.js';
import type { CampaignPhase, Store } from '../store/types.js';
import { newsroomOrigin, siteOf } from './site.js';
import { releasePageName, releaseSnapshot } from './snapshot.js';
import { writeStaticSite } from './static.js';
import { pageKey, pagePath } from './urls.js';

/** What publishing needs: the config, the secret page names are keyed with, and the store. */
export interface PublishDeps {
  config: Config;
  env: { secret: string | undefined };
  store: Store;
}

/** The campaign facts that decide whether its copies are lifted. */
export interface CopiesOf {
  test: boolean;
  phase?: CampaignPhase | undefined;
  /** The release file as the campaign names it: the release's stable key. */
  releaseFile: string;
}

/**
 * Whether copies made at `now` are public ones, so the release is (or is about to be) on the
 * newsroom: not a test send, not the embargoed phase, and no embargo or one already lifted; the
 * newsroom on and the release not opted out (`newsroom: false`).
 */
export function publishesAt(config: Config, campaign: CopiesOf, release: Release, now: Date): boolean {
  if (!config.newsroom.enabled || release.newsroom === false || campaign.test || campaign.phase === 'embargoed') return false;
  return release.embargo === undefined || now.getTime() >= release.embargo.instant.getTime();
}

/**
 * The "read online" URL of each language, for copies made at `now`; undefined when the copies do
 * not publish or no public origin is known (config web.publicOrigin or unsubscribe.baseUrl). A
 * page already published keeps its name; a first publication gets the one `publishAtStart` gives it.
 * `instanceId` is read only without a secret.
 */
export async function readOnlineUrls(
  config: Config,
  secret: string | undefined,
  instanceId: () => Promise<string>,
  campaign: CopiesOf,
  release: Release,
  now: Date,
  published: (releaseKey: string) => Promise<{ language: string; slug: string }[]>,
): Promise<Record<string, string> | undefined> {
  const origin = newsroomOrigin(config);
  if (!origin || !publishesAt(config, campaign, release, now)) return undefined;
  const { place } = siteOf(config);
  const fresh = releasePageName(release, pageKey(secret, secret === undefined ? await instanceId() : ''), campaign.releaseFile);
  const kept = new Map((await published(campaign.releaseFile)).map((p) => [p.language, p.slug]));
  return Object.fromEntries(release.variants.map((v) => [v.language, `${origin}${pagePath(place, v.language, kept.get(v.language) ?? fresh)}`]));
}

/**
 * Publishes the release as the campaign starts sending lifted copies (the public phase at the
 * lift, or a send without embargo); nothing otherwise. A republish keeps the first publication
 * time. With config newsroom.staticDir the static files are written again; a failure there is
 * reported through `warn` and the send goes on. Returns how many languages were published.
 */
export async function publishAtStart(
  deps: PublishDeps,
  campaign: CopiesOf & { id: number },
  release: Release,
  fingerprint: string,
  now: Date,
  warn: (message: string) => void,
): Promise<number> {
  const { config, env, store } = deps;
  if (!publishesAt(config, campaign, release, now)) return 0;
  const key = pageKey(env.secret, await store.instanceId());
  const rows = releaseSnapshot(release, { campaignId: campaign.id, releaseKey: campaign.releaseFile, fingerprint, key });
  await store.publishRelease(rows, now);
  const dir = config.newsroom.staticDir;
  if (dir) {
    try {
      await writeStaticSite(store, config, resolve(dir), now);
    } catch (err) {
      warn(`newsroom: cannot write the static pages to ${dir}: ${(err as Error).message}; the send goes on (write them with \`pressline publish --static ${dir}\`)`);
    }
  }
  return rows.length;
}
