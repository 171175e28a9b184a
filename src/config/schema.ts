import { z } from 'zod';

const rate = z.union([z.string(), z.number().nonnegative()]);
const address = z.strictObject({ name: z.string().optional(), address: z.email() });
const ms = z.number().int().nonnegative();
const port = z.number().int().min(0).max(65535);

function webUrl(value: string, ctx: z.RefinementCtx): URL | undefined {
  // Zod runs every check: the url check has already reported a value that does not parse.
  if (!URL.canParse(value)) return undefined;
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    ctx.addIssue({ code: 'custom', message: `must be an https:// (or http://) URL, not ${url.protocol}` });
    return undefined;
  }
  if (url.username || url.password || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must carry no user, password, query (?…) or fragment (#…): give the site root or the path prefix serve answers under' });
    return undefined;
  }
  return url;
}

/** A base `serve` can answer under: http(s), nothing but scheme, host and an optional path prefix. */
function servableBase(value: string, ctx: z.RefinementCtx): void {
  const url = webUrl(value, ctx);
  // pressline appends /u/<token> itself; a base that already ends in /u doubles it.
  if (url && /\/u\/*$/.test(url.pathname)) {
    ctx.addIssue({ code: 'custom', message: 'ends in /u, but pressline adds /u/<token> itself: give the site root (https://press.example.org) or the prefix your proxy forwards (https://press.example.org/unsubscribe)' });
  }
}

/** An origin only (scheme, host, port): what a browser sends in Origin. */
function bareOrigin(value: string, ctx: z.RefinementCtx): void {
  const url = webUrl(value, ctx);
  if (url && url.pathname !== '/') ctx.addIssue({ code: 'custom', message: `must be an origin without a path, e.g. ${url.origin}` });
}

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
    .strictObject({
      /**
       * Where `serve` is reached from outside: a site root (https://press.example.org) or a path
       * prefix the reverse proxy forwards (https://press.example.org/unsubscribe); links are
       * `<baseUrl>/u/<token>` and `serve` answers under that path.
       */
      baseUrl: z.url().superRefine(servableBase).optional(),
      mailto: z.email().optional(),
    })
    .prefault({}),
  bounces: z
    .strictObject({
      /** VERP envelope sender: {local}+{token}@{domain}. */
      domain: z.string().optional(),
      localPart: z.string().default('bounces'),
      /**
       * The authserv-id our receiving host writes in Authentication-Results: only its verdicts
       * count when a bare unsubscribe request (no token) is checked. Unset: such requests are kept for review.
       */
      authservId: z.string().min(1).optional(),
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
  /** RFC 2919 List-Id on every message, e.g. "Amnesty press releases <press.amnesty.example>": lets readers filter and receivers group the mail. */
  listId: z
    .string()
    .regex(/^[^<>\r\n"]*<[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+>$/, 'write a phrase and a dotted id in angle brackets, e.g. "Press releases <press.example.org>"')
    .optional(),
  /** Sender id for Gmail's Feedback-ID header (campaign:language:press:<this>), e.g. "amnesty-press". */
  feedbackId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,40}$/, 'letters, digits, . _ - (at most 40), e.g. "amnesty-press"')
    .optional(),
  dkim: z
    .strictObject({ domainName: z.string(), keySelector: z.string(), privateKeyFile: z.string() })
    .optional(),
  embargo: z
    .strictObject({
      /**
       * Before an embargoed copy's subject, and the notice on a lifted copy: one string (the
       * default language's wording) or a map by language ({"en": "EMBARGOED: ", "fr": "…"}).
       * Unset: each language's shipped wording (en, fr, de, es, it, pt, nl, pl, ru, ar).
       */
      subjectPrefix: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
      liftedWording: z.union([z.string(), z.record(z.string(), z.string())]).optional(),
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
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: port.default(8025),
      /** The dashboard on a loopback port of its own; unset, it shares `port` with the public face. */
      dashboardPort: port.optional(),
      /** Host header values (name, or name:port) the dashboard answers without the token, besides localhost names and the bound address. */
      allowedHosts: z.array(z.string().trim().toLowerCase().min(1, 'a host name cannot be empty')).default([]),
      /** The origin browsers reach `serve` at from outside; default: the origin of unsubscribe.baseUrl. */
      publicOrigin: z.url().superRefine(bareOrigin).optional(),
      /** Open connections per listener; more are refused at once. */
      maxConnections: z.number().int().min(1).default(200),
      /** Request bodies read at the same time (each up to 1 MB); more get 503. */
      maxConcurrentBodies: z.number().int().min(1).default(16),
      headersTimeoutMs: z.number().int().min(1000).default(15_000),
      /** The whole request, body included. */
      requestTimeoutMs: z.number().int().min(1000).default(30_000),
      /** Sign-in attempts per client address per minute; more get 429. */
      loginAttemptsPerMinute: z.number().int().min(1).default(5),
    })
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
  /** The public newsroom: each release as a web page once its embargo lifts (issue 17). */
  newsroom: z
    .strictObject({
      /** Off unless turned on: publishing pages is a choice (it also needs PRESSLINE_SECRET). */
      enabled: z.boolean().default(false),
      /** URL prefix of the pages; translations are under /<language><path>. */
      path: z
        .string()
        .regex(/^(\/[a-z0-9][a-z0-9._-]*)+$/, 'a path such as /news: lower-case letters, digits, . _ -, starting with /')
        .default('/news'),
      /** When set, the worker rewrites the static pages here after each publish (`pressline publish --static`). */
      staticDir: z.string().trim().min(1, 'a folder path cannot be empty').optional(),
    })
    .prefault({}),
  doctor: z
    .strictObject({
      /**
       * DNS server `pressline doctor` asks about SPF, DKIM and DMARC (`192.0.2.53` or
       * `192.0.2.53:5353`); the system resolver when unset. PRESSLINE_DNS_SERVER overrides it.
       */
      dnsServer: z.string().optional(),
    })
    .prefault({}),
  /** Engagement tracking (opens, clicks): off unless a campaign or this asks for it (see src/engagement/). */
  tracking: z
    .strictObject({
      /** Defaults for `--track`: a send without the flag tracks what these say. */
      opens: z.boolean().default(false),
      clicks: z.boolean().default(false),
      /** A file of addresses never tracked (one a line, `#` comments); relative to the config file's folder. */
      doNotTrack: z.string().trim().min(1, 'a file path cannot be empty').optional(),
      /** A fetch this soon after the message was sent is a machine's (a scanner, a proxy), not a reader's. */
      machineWindowSeconds: z.number().int().min(0).max(3600).default(10),
      /** serve sits behind a reverse proxy that appends the client to X-Forwarded-For: read it from there. */
      behindProxy: z.boolean().default(false),
    })
    .prefault({}),
});

/** The validated configuration with every default filled in. */
export type Config = z.infer<typeof configSchema>;
