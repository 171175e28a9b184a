import { escapeHtml } from '../html/escape.js';
import type { Release, ReleaseVariant } from '../releases/types.js';
import { formatReleaseDate } from '../render/compile.js';
import { labelsFor } from '../render/labels.js';
import { markdownToHtml } from '../render/markdown.js';
import { createFieldCatalog, MergeTokens, renderSegments } from '../render/merge.js';
import type { PublicationInput } from '../store/types.js';
import { pageName } from './urls.js';

/**
 * Text as a reader with no contact data sees it: merge fields take their fallback (or nothing),
 * {{#if}} takes its else branch. Rendered with the email's own Markdown renderer and escaping.
 */
function anonymous(text: string, variant: ReleaseVariant, toHtml: (tokenised: string) => string, escape: (s: string) => string): string {
  const tokens = new MergeTokens(createFieldCatalog(), [text]);
  const tokenised = tokens.tokenise(text, { file: variant.file });
  return renderSegments(tokens.segment(toHtml(tokenised), escape), {}, escape);
}

const plain = (s: string) => s;

/** The article fragment: dateline, body, press contacts and links (everything escaped or Markdown-safe). */
function articleHtml(variant: ReleaseVariant): string {
  const labels = labelsFor(variant.language);
  const text = (s: string) => escapeHtml(anonymous(s, variant, plain, plain));
  const parts: string[] = [];
  const dateline = [variant.dateline ? text(variant.dateline) : undefined, variant.date ? escapeHtml(formatReleaseDate(variant.date, variant.language)) : undefined].filter(Boolean).join(', ');
  if (dateline) parts.push(`<p class="dateline">${dateline}</p>`);
  parts.push(`<div class="body">${anonymous(variant.bodyMarkdown, variant, (t) => markdownToHtml(t), escapeHtml)}</div>`);
  if (variant.contacts.length > 0) {
    const people = variant.contacts.map((c) => {
      const lines = [`<strong>${text(c.name)}</strong>`];
      if (c.role) lines.push(text(c.role));
      for (const p of c.phones) lines.push(`${escapeHtml(labels.phone)} <a href="tel:${escapeHtml(p.replace(/\(.*?\)/g, '').replace(/[^\d+]/g, ''))}">${text(p)}</a>`);
      if (c.email) lines.push(`${escapeHtml(labels.email)}: <a href="mailto:${escapeHtml(c.email)}">${escapeHtml(c.email)}</a>`);
      return `<p>${lines.join('<br>')}</p>`;
    });
    parts.push(`<section class="contacts" aria-labelledby="contacts-h"><h2 id="contacts-h">${escapeHtml(labels.contacts)}</h2>${people.join('')}</section>`);
  }
  if (variant.links.length > 0) {
    const items = variant.links.map((l) => `<li><a href="${escapeHtml(l.url)}"${l.language ? ` hreflang="${escapeHtml(l.language)}"` : ''}>${text(l.label)}</a></li>`);
    parts.push(`<section class="links" aria-labelledby="links-h"><h2 id="links-h">${escapeHtml(labels.links)}</h2><ul>${items.join('')}</ul></section>`);
  }
  return parts.join('\n');
}

/** The page name a first publication of the release gets (from the original's headline). */
export function releasePageName(release: Release, key: string, releaseKey: string): string {
  const original = release.variants[0]!;
  return pageName(key, releaseKey, anonymous(original.title, original, plain, plain));
}

/** Who publishes: the campaign, the release's stable key and its fingerprint. */
export interface PublishSource {
  campaignId: number;
  releaseKey: string;
  fingerprint: string;
  /** The key page names are made with (urls.ts pageKey). */
  key: string;
}

/**
 * One publication row per language of the release. Every language shares the page name made from
 * the original's headline, so the language switcher only swaps the language prefix.
 */
export function releaseSnapshot(release: Release, source: PublishSource): PublicationInput[] {
  const slug = releasePageName(release, source.key, source.releaseKey);
  return release.variants.map((variant) => {
    const summary = variant.summary ?? variant.subtitle;
    return {
      releaseKey: source.releaseKey,
      language: variant.language,
      slug,
      title: anonymous(variant.title, variant, plain, plain),
      summary: summary === undefined ? undefined : anonymous(summary, variant, plain, plain),
      articleHtml: articleHtml(variant),
      campaignId: source.campaignId,
      fingerprint: source.fingerprint,
    };
  });
}
