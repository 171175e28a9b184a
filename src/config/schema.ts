import { z } from 'zod';

const rate = z.union([z.string(), z.number().nonnegative()]);
const address = z.strictObject({ name: z.string().optional(), address: z.email() });
const ms = z.number().int().nonnegative();

/** config/pressline.json as written: every key optional, unknown keys rejected. */
export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Who the release comes from; a release's front matter may override it. */
  from: address.optional(),
  replyTo: address.optional(),
  /** Sender: header when the From: is an organisation mailbox sent on behalf of by a service. */
  sender: address.optional(),
  organisation: z
    .strictObject({ name: z.string(), address: z.string().optional(), web: z.url().optional() })
    .optional(),
  /** Language used when neither the contact nor the release says otherwise. */
  defaultLanguage: z.string().default('en'),
  defaultTimeZone: z.string().default('UTC'),
  templates: z
    .strictObject({ dir: z.string().default('templates'), layout: z.string().default('press-release.mjml') })
    .prefault({}),
  paths: z
    .strictObject({
      outbox: z.string().default('outbox'),
      logs: z.string().default('logs'),
      database: z.string().default('data/pressline.db'),
    })
    .prefault({}),
  rate: z
    .strictObject({
      /** Global ceiling, e.g. "50/s"; 0 = no limit. */
      global: rate.default('20/s'),
      /** Ceiling per receiving domain unless listed in `domains`. */
      perDomain: rate.default(0),
      domains: z.record(z.string(), rate).default({}),
      /** Messages in flight at once (and pooled SMTP connections). */
      concurrency: z.number().int().min(1).max(100).default(5),
      batchSize: z.number().int().min(1).default(500),
      batchPauseMs: ms.default(0),
    })
    .prefault({}),
  smtp: z
    .strictObject({
      maxConnections: z.number().int().min(1).default(5),
      maxMessagesPerConnection: z.number().int().min(1).default(100),
      connectionTimeoutMs: ms.default(30_000),
      greetingTimeoutMs: ms.default(30_000),
      socketTimeoutMs: ms.default(60_000),
    })
    .prefault({}),
  retry: z
    .strictObject({
      maxAttempts: z.number().int().min(1).default(5),
      baseDelayMs: ms.default(60_000),
      maxDelayMs: ms.default(3_600_000),
      /** A deferred delivery older than this fails as a soft bounce. */
      maxAgeMs: ms.default(3 * 86_400_000),
    })
    .prefault({}),
  breaker: z
    .strictObject({
      /** Failures among the last `window` attempts that pause the campaign (0..1). */
      errorRate: z.number().min(0).max(1).default(0.5),
      window: z.number().int().min(1).default(50),
      consecutiveConnectionFailures: z.number().int().min(1).default(5),
      /**
       * A worker that paused a campaign for relay trouble probes the relay and resumes the
       * campaign when it answers. Interactive `send`/`resume` never do: they pause as before.
       */
      autoResume: z.boolean().default(true),
      /** First wait before probing a relay that tripped the breaker; doubles after each failed probe. */
      probeInitialMs: z.number().int().min(100).default(5_000),
      /** The longest wait between two probes. */
      probeMaxMs: z.number().int().min(100).default(120_000),
    })
    .prefault({}),
  unsubscribe: z
    .strictObject({ baseUrl: z.url().optional(), mailto: z.email().optional() })
    .prefault({}),
  bounces: z
    .strictObject({
      /** VERP envelope sender: {local}+{token}@{domain}. */
      domain: z.string().optional(),
      localPart: z.string().default('bounces'),
      softBounceLimit: z.number().int().min(1).default(3),
      softBounceWindowDays: z.number().int().min(1).default(30),
      /** A mailbox message larger than this is quarantined unread (a parser needs memory several times its size). */
      maxMessageBytes: z.number().int().min(1024).default(10 * 1024 * 1024),
      /** Recipients kept from one report; the rest are counted and noted (20,000 rows of one DSN help nobody). */
      maxRecipientsPerReport: z.number().int().min(1).default(1000),
      /** Where a Maildir's quarantined messages go (a Maildir of its own); default `<maildir>/.Quarantine`. Relative to the config file's folder. */
      quarantineDir: z.string().trim().min(1, 'a folder path cannot be empty').optional(),
      imap: z
        .strictObject({
          /** IMAP folder a message that cannot be read safely moves to; created when missing. */
          quarantineFolder: z.string().trim().min(1, 'a folder name cannot be empty').default('Quarantine'),
        })
        .prefault({}),
    })
    .prefault({}),
  dkim: z
    .strictObject({ domainName: z.string(), keySelector: z.string(), privateKeyFile: z.string() })
    .optional(),
  embargo: z
    .strictObject({
      subjectPrefix: z.string().default('EMBARGOED: '),
      liftedWording: z.string().default('FOR IMMEDIATE RELEASE'),
      minLeadHours: z.number().nonnegative().default(24),
    })
    .prefault({}),
  attachments: z
    .strictObject({
      warnBytes: z.number().int().positive().default(2_000_000),
      /** Folders besides the release's own that attachments may come from; relative to the config file's folder. */
      allowedDirs: z.array(z.string().trim().min(1, 'a folder path cannot be empty')).default([]),
    })
    .prefault({}),
  web: z
    .strictObject({ host: z.string().default('127.0.0.1'), port: z.number().int().min(0).max(65535).default(8025) })
    .prefault({}),
  /**
   * SMTP relays a worker may use instead of SMTP_URL (`pressline worker --relay <name>`). The URL,
   * credentials included, comes from the environment variable named here, never from this file.
   */
  relays: z
    .record(
      z.string().regex(/^[A-Za-z0-9._-]+$/, 'a relay name uses letters, digits, . _ -'),
      z.strictObject({
        urlEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'the name of an environment variable, e.g. SMTP_URL_EU'),
        /** Source IP for this relay's connections (a worker's own sending address). */
        localAddress: z.union([z.ipv4(), z.ipv6()]).optional(),
      }),
    )
    .default({}),
  worker: z
    .strictObject({
      /**
       * How long a worker's claims hold without renewal. A worker that dies holds its deliveries
       * this long; those it had in flight then become `unknown`, the rest go to other workers.
       */
      leaseMs: z.number().int().min(500).default(60_000),
    })
    .prefault({}),
});

/** The validated configuration with every default filled in. */
export type Config = z.infer<typeof configSchema>;
