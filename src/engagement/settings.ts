import type { Config } from '../config/schema.js';
import { publicLinkOrigin } from '../config/public-origin.js';
import { PresslineError } from '../errors.js';
import { readDoNotTrack, trackingColumn } from './do-not-track.js';

/** What a campaign tracks, as kept in its options (`track`). */
export interface TrackChoice {
  opens: boolean;
  clicks: boolean;
}

/** Everything the renderer needs to track a campaign's recipients (see src/engagement/links.ts). */
export interface CampaignTracking extends TrackChoice {
  /** Where the click and open links point: `<origin>/c/…`, `<origin>/o/…`. */
  origin: string;
  /** Address keys (as lists key them: lower case, IDN domain in punycode) never tracked. */
  doNotTrack: ReadonlySet<string>;
  /** The list column that may say "no" for a recipient, if the list has one. */
  column: string | undefined;
}

/** Parses `--track opens,clicks` (either or both; `none` for neither). Throws USAGE naming the flag. */
export function parseTrackFlag(value: string): TrackChoice {
  const parts = value.split(',').map((p) => p.trim().toLowerCase()).filter(Boolean);
  const choice = { opens: false, clicks: false };
  for (const part of parts) {
    if (part === 'opens' || part === 'open') choice.opens = true;
    else if (part === 'clicks' || part === 'click') choice.clicks = true;
    else if (part !== 'none') throw new PresslineError('USAGE', `--track: "${part.slice(0, 40)}" is not opens, clicks or none; write e.g. --track opens,clicks`);
  }
  return choice;
}

/** The campaign's choice: the flag when given, else the config's defaults. */
export function trackChoice(config: Config, flag: string | undefined): TrackChoice {
  return flag === undefined ? { opens: config.tracking.opens, clicks: config.tracking.clicks } : parseTrackFlag(flag);
}


/**
 * The campaign's tracking, or undefined when it tracks nothing. Throws CONFIG_INVALID when it
 * would track but the links could not work: no public origin, or no secret to sign them; and when
 * the do-not-track file cannot be read (see readDoNotTrack).
 */
export function campaignTracking(config: Config, choice: TrackChoice | undefined, secret: string | undefined, columns: readonly string[]): CampaignTracking | undefined {
  if (!choice || (!choice.opens && !choice.clicks)) return undefined;
  const origin = publicLinkOrigin(config);
  if (!origin) {
    throw new PresslineError('CONFIG_INVALID', 'tracking needs a public address for its links: set web.publicOrigin (e.g. "https://press.example.org") in the config (unsubscribe.baseUrl serves only when it is at the site root), or send without --track', { file: 'config', field: 'web.publicOrigin' });
  }
  if (!secret) throw new PresslineError('CONFIG_INVALID', 'tracking links are signed: set PRESSLINE_SECRET in the environment or .env (e.g. `openssl rand -hex 32`), or send without --track');
  const doNotTrack = config.tracking.doNotTrack ? readDoNotTrack(config.tracking.doNotTrack) : new Set<string>();
  return { opens: choice.opens, clicks: choice.clicks, origin, doNotTrack, column: trackingColumn(columns) };
}
