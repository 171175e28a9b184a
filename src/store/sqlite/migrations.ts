/** Numbered, append-only schema steps; a step once shipped is never edited. */
import { SQLITE_NEWSROOM_STEPS } from './migrations-newsroom.js';

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
  {
    // Stored unions enforced by the database (issue 18): a CHECK per column mirroring its union in
    // src/store/types.ts, so a misspelt value ('unsubscribed' for 'unsubscribe') fails where it is
    // written instead of being stored. The lists are copied here, not generated: a shipped step never
    // changes; a new value needs a new step.
    //
    // Rows already holding another value were written by hand or by a bug: there is no telling what
    // they meant, so the step refuses (changing nothing) and names them, rather than guess.
    //
    // SQLite adds a CHECK only by rebuilding the table (https://sqlite.org/lang_altertable.html):
    // new table, copy, drop, rename, then the old indexes again. deliveries is rebuilt before
    // campaigns is dropped, referencing campaigns_new (renaming that to campaigns renames the
    // reference), so no foreign key ever points at a dropped table. AUTOINCREMENT counters are
    // carried over, so no id is ever handed out twice. No triggers or views exist to keep.
    version: 10,
    sql: `
CREATE TEMP TABLE migration_10_unknown (problem TEXT NOT NULL);
CREATE TEMP TRIGGER migration_10_refuse BEFORE INSERT ON migration_10_unknown BEGIN
  SELECT RAISE(ABORT, 'the store holds values pressline never writes, so it cannot add the checks of schema step 10: '
    || NEW.problem || '. Correct or delete those rows (e.g. UPDATE suppressions SET reason = ''unsubscribe'' WHERE reason = ''unsubscribed''), then start again; nothing was changed.');
END;
INSERT INTO migration_10_unknown (problem)
SELECT group_concat(format('%s = %Q (%d row%s)', col, value, n, CASE WHEN n = 1 THEN '' ELSE 's' END), ', ') FROM (
  SELECT 'campaigns.status' AS col, status AS value, count(*) AS n FROM campaigns
    WHERE status NOT IN ('planning', 'draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled', 'missed') GROUP BY status
  UNION ALL SELECT 'campaigns.phase', phase, count(*) FROM campaigns WHERE phase NOT IN ('single', 'embargoed', 'public') GROUP BY phase
  UNION ALL SELECT 'campaigns.paused_kind', paused_kind, count(*) FROM campaigns
    WHERE paused_kind NOT IN ('relay', 'relay-held', 'credentials', 'operator', 'interrupted', 'store', 'sender') GROUP BY paused_kind
  UNION ALL SELECT 'deliveries.status', status, count(*) FROM deliveries
    WHERE status NOT IN ('pending', 'sending', 'sent', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'skipped', 'unknown') GROUP BY status
  UNION ALL SELECT 'events.type', type, count(*) FROM events
    WHERE type NOT IN ('planned', 'sending', 'sent', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'skipped', 'unknown',
                       'complained', 'delayed', 'unsubscribed', 'campaign') GROUP BY type
  UNION ALL SELECT 'suppressions.reason', reason, count(*) FROM suppressions
    WHERE reason NOT IN ('hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'manual') GROUP BY reason
  UNION ALL SELECT 'suppression_log.action', action, count(*) FROM suppression_log WHERE action NOT IN ('add', 'remove') GROUP BY action
) HAVING count(*) > 0;
DROP TRIGGER temp.migration_10_refuse;
DROP TABLE temp.migration_10_unknown;

CREATE TEMP TABLE migration_10_sequences AS SELECT name, seq FROM sqlite_sequence;

CREATE TABLE campaigns_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  release_file TEXT NOT NULL,
  release_title TEXT NOT NULL,
  lists TEXT NOT NULL,
  where_filters TEXT NOT NULL,
  test INTEGER NOT NULL DEFAULT 0,
  status TEXT NOT NULL CONSTRAINT campaigns_status_known
    CHECK (status IN ('planning', 'draft', 'scheduled', 'sending', 'paused', 'done', 'cancelled', 'missed')),
  status_reason TEXT,
  options TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  scheduled_at INTEGER,
  started_at INTEGER,
  finished_at INTEGER,
  owner TEXT,
  owner_expires INTEGER,
  phase TEXT NOT NULL DEFAULT 'single' CONSTRAINT campaigns_phase_known CHECK (phase IN ('single', 'embargoed', 'public')),
  group_id INTEGER,
  embargo_at INTEGER,
  embargo_zone TEXT,
  schedule_zone TEXT,
  paused_kind TEXT CONSTRAINT campaigns_paused_kind_known
    CHECK (paused_kind IS NULL OR paused_kind IN ('relay', 'relay-held', 'credentials', 'operator', 'interrupted', 'store', 'sender')),
  paused_since INTEGER
);
INSERT INTO campaigns_new SELECT id, release_file, release_title, lists, where_filters, test, status, status_reason, options, created_at,
  scheduled_at, started_at, finished_at, owner, owner_expires, phase, group_id, embargo_at, embargo_zone, schedule_zone, paused_kind, paused_since
FROM campaigns;

CREATE TABLE deliveries_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id INTEGER NOT NULL REFERENCES campaigns_new(id),
  email TEXT NOT NULL,
  key TEXT NOT NULL,
  domain TEXT NOT NULL,
  language TEXT NOT NULL,
  outlet TEXT NOT NULL,
  contact TEXT NOT NULL,
  status TEXT NOT NULL CONSTRAINT deliveries_status_known
    CHECK (status IN ('pending', 'sending', 'sent', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'skipped', 'unknown')),
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
  worker TEXT,
  relay TEXT,
  UNIQUE (campaign_id, key)
);
INSERT INTO deliveries_new SELECT id, campaign_id, email, key, domain, language, outlet, contact, status, attempts, next_attempt_at,
  first_attempt_at, code, enhanced, response, message_id, claimed_by, claim_expires, updated_at, worker, relay
FROM deliveries;

CREATE TABLE events_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  campaign_id INTEGER NOT NULL,
  delivery_id INTEGER,
  at INTEGER NOT NULL,
  type TEXT NOT NULL CONSTRAINT events_type_known
    CHECK (type IN ('planned', 'sending', 'sent', 'deferred', 'bounced', 'blocked', 'failed', 'suppressed', 'skipped', 'unknown',
                    'complained', 'delayed', 'unsubscribed', 'campaign')),
  attempt INTEGER,
  code INTEGER,
  enhanced TEXT,
  response TEXT,
  message_id TEXT,
  duration_ms INTEGER,
  detail TEXT
);
INSERT INTO events_new SELECT id, campaign_id, delivery_id, at, type, attempt, code, enhanced, response, message_id, duration_ms, detail FROM events;

CREATE TABLE suppressions_new (
  key TEXT PRIMARY KEY,
  email TEXT NOT NULL,
  reason TEXT NOT NULL CONSTRAINT suppressions_reason_known
    CHECK (reason IN ('hard-bounce', 'soft-bounce', 'complaint', 'unsubscribe', 'manual')),
  source TEXT NOT NULL,
  detail TEXT,
  created_at INTEGER NOT NULL
);
INSERT INTO suppressions_new SELECT key, email, reason, source, detail, created_at FROM suppressions;

CREATE TABLE suppression_log_new (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL,
  email TEXT NOT NULL,
  action TEXT NOT NULL CONSTRAINT suppression_log_action_known CHECK (action IN ('add', 'remove')),
  reason TEXT,
  source TEXT NOT NULL,
  detail TEXT,
  at INTEGER NOT NULL
);
INSERT INTO suppression_log_new SELECT id, key, email, action, reason, source, detail, at FROM suppression_log;

-- Children first: nothing references deliveries, and once it is gone nothing references campaigns.
DROP TABLE deliveries;
DROP TABLE campaigns;
DROP TABLE events;
DROP TABLE suppressions;
DROP TABLE suppression_log;
ALTER TABLE campaigns_new RENAME TO campaigns;
ALTER TABLE deliveries_new RENAME TO deliveries;
ALTER TABLE events_new RENAME TO events;
ALTER TABLE suppressions_new RENAME TO suppressions;
ALTER TABLE suppression_log_new RENAME TO suppression_log;

UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT o.seq FROM temp.migration_10_sequences o WHERE o.name = sqlite_sequence.name), 0));
INSERT INTO sqlite_sequence (name, seq) SELECT o.name, o.seq FROM temp.migration_10_sequences o
  WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence s WHERE s.name = o.name);
DROP TABLE temp.migration_10_sequences;

-- Every index of the rebuilt tables (steps 1 to 4), as they were.
CREATE INDEX campaigns_due ON campaigns (status, scheduled_at);
CREATE INDEX deliveries_due ON deliveries (campaign_id, status, next_attempt_at);
CREATE INDEX deliveries_message_id ON deliveries (message_id);
CREATE INDEX deliveries_campaign_domain ON deliveries (campaign_id, domain);
CREATE INDEX deliveries_campaign_updated ON deliveries (campaign_id, updated_at);
CREATE INDEX events_delivery ON events (campaign_id, delivery_id);
CREATE INDEX events_campaign_type_at ON events (campaign_id, type, at);
`,
  },
  ...SQLITE_NEWSROOM_STEPS,
];
