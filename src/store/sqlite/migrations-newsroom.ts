// Schema steps of issue 17 (the newsroom, engagement tracking, one journalist's history), kept apart
// from migrations.ts so each file reads in one sitting; migrations.ts appends them. A shipped step never changes.
export const SQLITE_NEWSROOM_STEPS: { version: number; sql: string }[] = [
  {
    // The newsroom (issue 17): one row per release and language, written only when the release is
    // published (at the lift, or when a send without embargo starts), so nothing exists to leak
    // before then. `slug` is the page name (title words and an HMAC of the release key).
    version: 11,
    sql: `
CREATE TABLE publications (
  release_key TEXT NOT NULL,
  language TEXT NOT NULL,
  slug TEXT NOT NULL,
  title TEXT NOT NULL,
  summary TEXT,
  article_html TEXT NOT NULL,
  published_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  campaign_id INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  PRIMARY KEY (release_key, language)
);
CREATE UNIQUE INDEX publications_page ON publications (language, slug);
CREATE INDEX publications_language_published ON publications (language, published_at);
`,
  },
  {
    // Engagement tracking (issue 17): opens and clicks. Totals one row per delivery (the campaign
    // summary is one aggregate over campaign_id); events bounded per delivery by the code. No IP
    // addresses: only the classification, its reason and a truncated user agent.
    version: 12,
    sql: `
CREATE TABLE engagement_totals (
  delivery_id INTEGER PRIMARY KEY REFERENCES deliveries(id),
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
  opens_human INTEGER NOT NULL DEFAULT 0,
  opens_machine INTEGER NOT NULL DEFAULT 0,
  clicks_human INTEGER NOT NULL DEFAULT 0,
  clicks_machine INTEGER NOT NULL DEFAULT 0,
  first_open_at INTEGER,
  last_open_at INTEGER,
  first_click_at INTEGER,
  last_click_at INTEGER
);
CREATE INDEX engagement_totals_campaign ON engagement_totals (campaign_id);
CREATE TABLE engagement_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
  delivery_id INTEGER NOT NULL REFERENCES deliveries(id),
  kind TEXT NOT NULL CONSTRAINT engagement_events_kind_known CHECK (kind IN ('open', 'click')),
  at INTEGER NOT NULL,
  human INTEGER NOT NULL,
  reason TEXT NOT NULL,
  user_agent TEXT NOT NULL,
  url TEXT
);
CREATE INDEX engagement_events_delivery ON engagement_events (delivery_id, kind);
`,
  },
  {
    // One journalist's history (issue 17) looks deliveries and the suppression log up by address
    // key across campaigns; the PostgreSQL store has had both indexes since its first step.
    version: 13,
    sql: `
CREATE INDEX deliveries_key ON deliveries (key, id);
CREATE INDEX suppression_log_key ON suppression_log (key);
`,
  },
];
