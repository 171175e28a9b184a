import { opt, type Row } from '../rows.js';
import type { Publication, PublicationInput } from '../types.js';
import { all, get, run, type Op } from './adapter.js';

// The newsroom's published pages (the PublicationStore interface).

function toPublication(r: Row): Publication {
  return {
    releaseKey: r.release_key,
    language: r.language,
    slug: r.slug,
    title: r.title,
    summary: opt(r.summary),
    articleHtml: r.article_html,
    publishedAt: new Date(r.published_at),
    updatedAt: new Date(r.updated_at),
    campaignId: Number(r.campaign_id),
    fingerprint: r.fingerprint,
  };
}

/** A republish keeps the first publication time and slug (the URL people shared), and takes the new text. */
export function* publishRelease(rows: PublicationInput[], now: Date): Op<void> {
  for (const p of rows) {
    yield* run(
      `INSERT INTO publications (release_key, language, slug, title, summary, article_html, published_at, updated_at, campaign_id, fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (release_key, language) DO UPDATE SET title = excluded.title, summary = excluded.summary, article_html = excluded.article_html,
         updated_at = excluded.updated_at, campaign_id = excluded.campaign_id, fingerprint = excluded.fingerprint`,
      [p.releaseKey, p.language, p.slug, p.title, p.summary ?? null, p.articleHtml, now, now, p.campaignId, p.fingerprint],
    );
  }
}

export function* unpublishRelease(releaseKey: string): Op<number> {
  return yield* run('DELETE FROM publications WHERE release_key = ?', [releaseKey]);
}

export function* publication(language: string, slug: string, now: Date): Op<Publication | undefined> {
  const row = yield* get('SELECT * FROM publications WHERE language = ? AND slug = ? AND published_at <= ?', [language, slug, now]);
  return row ? toPublication(row) : undefined;
}

export function* publications(filter: { language?: string; releaseKey?: string; limit?: number }, now: Date): Op<Publication[]> {
  const where = ['published_at <= ?'];
  const args: unknown[] = [now];
  if (filter.language !== undefined) {
    where.push('language = ?');
    args.push(filter.language);
  }
  if (filter.releaseKey !== undefined) {
    where.push('release_key = ?');
    args.push(filter.releaseKey);
  }
  const limit = filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
  const rows = yield* all(`SELECT * FROM publications WHERE ${where.join(' AND ')} ORDER BY published_at DESC, release_key, language${limit}`, args);
  return rows.map(toPublication);
}
