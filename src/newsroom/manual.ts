import { PresslineError } from '../errors.js';
import type { Release } from '../releases/types.js';
import { publishRows, rewriteStaticDir, type PublishDeps } from './publish.js';
import { siteOf } from './site.js';
import { feedPath, indexPath, newsroomReleaseKey, pagePath } from './urls.js';

// `pressline publish <release>` and `pressline publish --remove <release>`: the newsroom by hand,
// for a release whose public copies never went out through pressline (an embargoed-only send) or
// a page that has to come down.

function refuseWithoutNewsroom(deps: PublishDeps): string {
  if (!deps.config.newsroom.enabled) throw new PresslineError('REFUSED', 'the newsroom is off (config newsroom.enabled is false); turn it on to publish pages');
  const secret = deps.env.secret;
  if (secret === undefined) throw new PresslineError('REFUSED', 'PRESSLINE_SECRET is not set; set it (newsroom page names are keyed with it) and run this again');
  return secret;
}

/**
 * Publishes the release now, as its public send would have: refused while its embargo holds (the
 * message names the lift), for front matter `newsroom: false`, with the newsroom off or without
 * PRESSLINE_SECRET. The page keeps the name a public send gives it. `campaignId` is the latest
 * campaign of the release, or 0 when none was ever sent. Returns how many languages were published.
 */
export async function publishNow(
  deps: PublishDeps,
  releaseFile: string,
  release: Release,
  fingerprint: string,
  now: Date,
  warn: (message: string) => void,
): Promise<number> {
  const secret = refuseWithoutNewsroom(deps);
  if (release.newsroom === false) throw new PresslineError('REFUSED', `${releaseFile} says \`newsroom: false\` in its front matter; remove that line to publish it`);
  const embargo = release.embargo;
  if (embargo && now.getTime() < embargo.instant.getTime()) {
    throw new PresslineError('REFUSED', `${releaseFile} is under embargo until ${embargo.text} (${embargo.instant.toISOString()}); publish it at or after the lift`);
  }
  const releaseKey = newsroomReleaseKey(releaseFile);
  const campaigns = (await deps.store.listCampaigns()).filter((c) => !c.test && newsroomReleaseKey(c.releaseFile) === releaseKey);
  const campaignId = Math.max(0, ...campaigns.map((c) => c.id));
  return publishRows(deps, secret, { campaignId, releaseFile }, release, fingerprint, now, warn);
}

/**
 * Takes the release off the newsroom: its rows go, so its URLs answer 404 and it leaves every
 * index and feed; with config newsroom.staticDir the folder is rewritten and the page files
 * deleted. Returns how many languages were removed (0 when it was not published).
 */
export async function removeFromNewsroom(deps: PublishDeps, releaseFile: string, now: Date, warn: (message: string) => void): Promise<number> {
  const releaseKey = newsroomReleaseKey(releaseFile);
  const { place } = siteOf(deps.config);
  // Every row, whatever its time: a row dated after a clock running behind goes too.
  const pages = await deps.store.publications({ releaseKey }, new Date(8.64e15));
  const removed = await deps.store.unpublishRelease(releaseKey);
  // Its pages, and the index and feed of a language left with no page (rewritten otherwise).
  const stale = pages.flatMap((p) => [pagePath(place, p.language, p.slug), indexPath(place, p.language), feedPath(place, p.language)]);
  await rewriteStaticDir(deps, now, warn, stale);
  return removed;
}
