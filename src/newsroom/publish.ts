import { resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Release } from '../releases/types.js';
import type { CampaignPhase, Store } from '../store/types.js';
import { newsroomOrigin, siteOf } from './site.js';
import { releasePageName, releaseSnapshot } from './snapshot.js';
import { writeStaticSite } from './static.js';
import { newsroomReleaseKey, pagePath } from './urls.js';

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
  /** The release file as the campaign names it (its newsroom key is urls.ts newsroomReleaseKey of it). */
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
 * The warning a plan carries when a single send of an embargoed release goes out before its lift
 * (so every copy is embargoed) with the newsroom on: nothing would ever publish its page, so the
 * plan says so and how to publish it. Undefined when the send publishes or the newsroom is off.
 */
export function noPublicPhaseWarning(config: Config, release: Release, releaseFile: string, sendsAt: Date): string | undefined {
  const embargo = release.embargo;
  if (!config.newsroom.enabled || release.newsroom === false || !embargo || sendsAt.getTime() >= embargo.instant.getTime()) return undefined;
  return `newsroom: no page will be published for this release (every copy goes out under embargo); schedule a public phase (\`--public <lists>\`) or run \`pressline publish ${releaseFile}\` after the lift`;
}

/**
 * Said (once per run, through its `warn`) when copies go public but no page can be published:
 * page names are an HMAC keyed with PRESSLINE_SECRET, and any other key (the store's instance id
 * travels in every Message-ID) would let an embargoed recipient compute the URL before the lift.
 */
export function noSecretWarning(releaseFile: string): string {
  return `newsroom: no page published for ${releaseFile}: set PRESSLINE_SECRET (page names are keyed with it), then \`pressline publish ${releaseFile}\``;
}

/**
 * The "read online" URL of each language, for copies made at `now`; undefined when the copies do
 * not publish, PRESSLINE_SECRET is not set (no page is published then), or no public origin is
 * known (config web.publicOrigin or unsubscribe.baseUrl). A page already published keeps its
 * name; a first publication gets the one `publishAtStart` gives it.
 */
export async function readOnlineUrls(
  config: Config,
  secret: string | undefined,
  campaign: CopiesOf,
  release: Release,
  now: Date,
  published: (releaseKey: string) => Promise<{ language: string; slug: string }[]>,
): Promise<Record<string, string> | undefined> {
  const origin = newsroomOrigin(config);
  if (secret === undefined || !origin || !publishesAt(config, campaign, release, now)) return undefined;
  const { place } = siteOf(config);
  const releaseKey = newsroomReleaseKey(campaign.releaseFile);
  const fresh = releasePageName(release, secret, releaseKey);
  const kept = new Map((await published(releaseKey)).map((p) => [p.language, p.slug]));
  return Object.fromEntries(release.variants.map((v) => [v.language, `${origin}${pagePath(place, v.language, kept.get(v.language) ?? fresh)}`]));
}

/**
 * Publishes the release as the campaign starts sending lifted copies (the public phase at the
 * lift, or a send without embargo); nothing otherwise, and nothing without PRESSLINE_SECRET (one
 * warning instead). A republish keeps the first publication time. With config newsroom.staticDir
 * the static files are written again; a failure there is reported through `warn` and the send
 * goes on. Returns how many languages were published.
 */
export async function publishAtStart(
  deps: PublishDeps,
  campaign: CopiesOf & { id: number },
  release: Release,
  fingerprint: string,
  now: Date,
  warn: (message: string) => void,
): Promise<number> {
  if (!publishesAt(deps.config, campaign, release, now)) return 0;
  if (deps.env.secret === undefined) {
    warn(noSecretWarning(campaign.releaseFile));
    return 0;
  }
  return publishRows(deps, deps.env.secret, { campaignId: campaign.id, releaseFile: campaign.releaseFile }, release, fingerprint, now, warn);
}

/** Writes the rows of every language and then the static folder (if configured). */
export async function publishRows(
  deps: PublishDeps,
  secret: string,
  source: { campaignId: number; releaseFile: string },
  release: Release,
  fingerprint: string,
  now: Date,
  warn: (message: string) => void,
): Promise<number> {
  const rows = releaseSnapshot(release, { campaignId: source.campaignId, releaseKey: newsroomReleaseKey(source.releaseFile), fingerprint, key: secret });
  await deps.store.publishRelease(rows, now);
  await rewriteStaticDir(deps, now, warn);
  return rows.length;
}

/** With config newsroom.staticDir, writes the static site again; a failure is a warning, not an error. */
export async function rewriteStaticDir(deps: PublishDeps, now: Date, warn: (message: string) => void, stale: string[] = []): Promise<void> {
  const dir = deps.config.newsroom.staticDir;
  if (!dir) return;
  try {
    await writeStaticSite(deps.store, deps.config, resolve(dir), now, stale);
  } catch (err) {
    warn(`newsroom: cannot write the static pages to ${dir}: ${(err as Error).message}; the send goes on (write them with \`pressline publish --static ${dir}\`)`);
  }
}
