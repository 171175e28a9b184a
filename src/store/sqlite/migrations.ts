/** Numbered, append-only schema steps; a step once shipped is never edited. */
export const SQLITE_MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE campaigns (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  release_file TEXT NOT NULL,
  release_title TEXT NOT NULL,
  lists TEXT NOT NULL,
  where_filters TEXT NOT NULL,
  test INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL,
  status_reason TEXT,
  options TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  scheduled_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  owner TEXT,
  owner_expires INTEGER
);
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
  email TEXT NOT NULL,
  key TEXT NOT NULL,
  domain TEXT NOT NULL,
  language TEXT NOT NULL,
  outlet TEXT NOT NULL,
  contact TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  first_attempt_at INTEGER,
  code INTEGER,
  enhanced TEXT,
  response TEXT,
  message_id TEXT,
  claimed_by TEXT,
  claim_expires INTEGER,
  updated_at INTEGER NOT NULL,
  UNIQUE (campaign_id, key)
);
CREATE INDEX deliveries_due ON deliveries (campaign_id, status, next_attempt_at);
CREATE TABLE events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id INTEGER NOT NULL,
  delivery_id INTEGER,
  at INTEGER NOT NULL,
  type TEXT NOT NULL,
  attempt INTEGER,
  code INTEGER,
  enhanced TEXT,
  response TEXT,
  message_id TEXT,
  duration_ms INTEGER,
  detail TEXT
);
CREATE INDEX events_delivery ON events (campaign_id, delivery_id);
CREATE TABLE skipped_rows (
  campaign_id INTEGER NOT NULL,
  file TEXT NOT NULL,
  line INTEGER NOT NULL,
  email TEXT NOT NULL,
  reason TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE suppressions (
  key TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  reason TEXT NOT NULL,
  source TEXT NOT NULL,
  detail TEXT,
  created_at INTEGER NOT NULL
);
`,
  },
  {
    // Scheduling and embargo phases (issue 4).
    version: 2,
    sql: `
ALTER TABLE campaigns ADD COLUMN phase TEXT NOT NULL DEFAULT 'single';
ALTER TABLE campaigns ADD COLUMN group_id INTEGER;
ALTER TABLE campaigns ADD COLUMN embargo_at INTEGER;
ALTER TABLE campaigns ADD COLUMN embargo_zone TEXT;
ALTER TABLE campaigns ADD COLUMN schedule_zone TEXT;
CREATE INDEX campaigns_due ON campaigns (status, scheduled_at);
`,
  },
  {
    // Bounces, complaints and unsubscribes arriving after the send (issue 5).
    version: 3,
    sql: `
CREATE TABLE bounce_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  report_id TEXT NOT NULL,
  source TEXT NOT NULL,
  kind TEXT NOT NULL,
  recipient TEXT NOT NULL DEFAULT '',
  campaign_id INTEGER,
  delivery_id INTEGER,
  status TEXT,
  diagnostic TEXT,
  remote_mta TEXT,
  original_message_id TEXT,
  outcome TEXT NOT NULL,
  note TEXT,
  raw TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  UNIQUE (report_id, recipient, kind)
);
CREATE INDEX bounce_events_delivery ON bounce_events (campaign_id, delivery_id);
CREATE INDEX bounce_events_recipient ON bounce_events (recipient, kind, received_at);
CREATE TABLE suppression_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  email TEXT NOT NULL,
  action TEXT NOT NULL,
  reason TEXT,
  source TEXT NOT NULL,
  detail TEXT,
  at INTEGER NOT NULL
);
CREATE INDEX deliveries_message_id ON deliveries (message_id);
CREATE TABLE webhook_replays (
  provider TEXT NOT NULL,
  message_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  PRIMARY KEY (provider, message_id)
);
`,
  },
  {
    // Read models for reports and the dashboard (issue 6): outcome series, reason breakdowns,
    // per-recipient table filters, and a delivery's bounce reports.
    version: 4,
    sql: `
CREATE INDEX events_campaign_type_at ON events (campaign_id, type, at);
CREATE INDEX deliveries_campaign_domain ON deliveries (campaign_id, domain);
CREATE INDEX deliveries_campaign_updated ON deliveries (campaign_id, updated_at);
CREATE INDEX bounce_events_delivery_only ON bounce_events (delivery_id);
`,
  },
  {
    // Several workers (issue 7): who sent each message through which relay, and the shared
    // rate ledger, one ring of slots per ceiling (see Store.takeRateSlots).
    version: 5,
    sql: `
ALTER TABLE deliveries ADD COLUMN worker TEXT;
ALTER TABLE deliveries ADD COLUMN relay TEXT;
CREATE TABLE rate_slots (
  key TEXT NOT NULL,
  slot INTEGER NOT NULL,
  running_since INTEGER,
  ended_at INTEGER NOT NULL DEFAULT 0,
  holder TEXT,
  PRIMARY KEY (key, slot)
) WITHOUT ROWID;
`,
  },
  {
    // Relay recovery (issue 13): what paused a campaign and since when, so any worker can tell a
    // relay outage it may probe and resume from an operator's pause it must leave alone.
    version: 6,
    sql: `
ALTER TABLE campaigns ADD COLUMN paused_kind TEXT;
ALTER TABLE campaigns ADD COLUMN paused_since INTEGER;
`,
  },
  {
    // The strictest rate in force (issue 13): each slot remembers the count its taker keeps to.
    version: 7,
    sql: `
ALTER TABLE rate_slots ADD COLUMN taker_count INTEGER;
`,
  },
  {
    // Store identity (issue 14): a random id made once per store, so Message-IDs and tokens of two
    // stores (a reset file, a move to PostgreSQL, a second install with the same secret) never meet.
    version: 8,
    sql: `
CREATE TABLE store_meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  instance_id TEXT NOT NULL CHECK (length(instance_id) = 12),
  created_at INTEGER NOT NULL
);
INSERT INTO store_meta (id, instance_id, created_at) VALUES (1, lower(hex(randomblob(6))), CAST(unixepoch('subsec') * 1000 AS INTEGER));
`,
  },
  {
    // Bounded bounce ingestion (issue 14): a report's raw text once (not once per recipient row),
    // with how many recipients it named and how many were kept; and the mailbox messages set aside
    // unparsed, so a later run skips them.
    version: 9,
    sql: `
CREATE TABLE bounce_reports (
  report_id TEXT PRIMARY KEY,
  source TEXT NOT NULL,
  raw TEXT NOT NULL,
  recipients INTEGER NOT NULL,
  recipients_kept INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL
);
CREATE TABLE bounce_quarantine (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  source TEXT NOT NULL,
  location TEXT NOT NULL,
  bytes INTEGER NOT NULL,
  reason TEXT NOT NULL,
  quarantined_at INTEGER NOT NULL
);
`,
  },
];
