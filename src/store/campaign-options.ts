import { z } from 'zod';

/**
 * What a campaign keeps as JSON to rebuild its run later (`campaigns.options`): written by
 * planning (fingerprints, columns, flags) and by `send`/`schedule` (pace overrides), read when it
 * is resumed, sent, previewed or checked. Every field is optional: campaigns of older versions
 * lack some. Parsed where rows become campaigns (rows.ts), so no reader casts; a field of the
 * wrong type reads as absent, and keys this version does not know are kept as they are.
 */
const optional = <T extends z.ZodType>(schema: T) => schema.optional().catch(undefined);
const text = optional(z.string());
const texts = optional(z.array(z.string()));
const flag = optional(z.boolean());
const count = optional(z.number());

export const campaignOptionsSchema = z.looseObject({
  /** The release and template as they were when sending started (the double-send guard's identity too). */
  fingerprint: text,
  releasePath: text,
  listFingerprint: text,
  /** Every list column (for the release's merge fields); see kept-columns.ts for keptColumns. */
  columns: texts,
  keptColumns: texts,
  encoding: text,
  templateFile: text,
  /** Set by versions whose test sends were campaigns: such a plan is never resumed. */
  testTo: text,
  skipInvalid: flag,
  /** The status planning ends in. */
  target: optional(z.enum(['draft', 'scheduled'])),
  localTime: text,
  again: flag,
  newOnly: flag,
  /** What the campaign tracks (`--track`, else config tracking), fixed when planned; absent: nothing. */
  track: optional(z.object({ opens: z.boolean(), clicks: z.boolean() })),
  /** Rates and sizes given on the command line, kept for every later run. */
  pace: optional(
    z.object({ rate: text, perDomain: text, concurrency: count, batchSize: count, batchPauseMs: count }),
  ),
});

export type CampaignOptions = z.infer<typeof campaignOptionsSchema>;

/** The options column as stored (already decoded from JSON), typed. */
export function parseCampaignOptions(value: unknown): CampaignOptions {
  const parsed = campaignOptionsSchema.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
}
