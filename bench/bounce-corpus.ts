/**
 * How well the bounce recognisers read real mail: every message of Sisimai's public corpus
 * (github.com/sisimai/set-of-emails, maildir/bsd, mac and dos) through parseMailboxMessage,
 * scored against what the reference Sisimai reads in the same file. The corpus and the truth
 * file are third-party and stay outside the repository:
 *
 *   git clone https://github.com/sisimai/set-of-emails /tmp/set-of-emails
 *   git clone https://github.com/sisimai/p5-sisimai /tmp/p5-sisimai
 *   perl bench/sisimai-truth.pl /tmp/p5-sisimai /tmp/set-of-emails > /tmp/set-of-emails/sisimai-truth.json
 *   PRESSLINE_BOUNCE_CORPUS=/tmp/set-of-emails npm run bench -- bounce-corpus
 *
 * PRESSLINE_BOUNCE_TRUTH overrides the truth file (default <corpus>/sisimai-truth.json);
 * PRESSLINE_BOUNCE_CORPUS_MISSES=1 lists every miss.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseMailboxMessage } from '../src/bounces/parse.js';
import { genericBounce, parseTextBounce } from '../src/bounces/text-bounces.js';

interface Fact {
  recipient: string;
  feedbacktype?: string;
  reason: string;
  status: string;
  action: string;
}

/** What we read: a bounce kind per recipient, or what the whole message was taken for. */
type Reading = string;

/*
 * Sisimai's reasons → the classes of ours that are right for them. Where two are listed, both
 * are defensible (a blocklisted IP is about us: 'sender' or 'policy'); 'hard' is listed only
 * where the address itself is dead, because 'hard' suppresses a journalist for good.
 */
const ACCEPT: Record<string, Reading[]> = {
  userunknown: ['hard'],
  hostunknown: ['hard'],
  hasmoved: ['hard'],
  // A null MX (5.1.10, 556) is hard; Sisimai also files "System not accepting network messages"
  // (5.3.2) and a missing MX (5.4.4) here, which are the server's state: soft is right for those.
  notaccept: ['hard', 'soft'],
  suspend: ['hard', 'soft'],
  mailboxfull: ['soft'],
  exceedlimit: ['soft'],
  systemfull: ['soft'],
  toomanyconn: ['soft', 'policy'],
  speeding: ['soft', 'policy'],
  expired: ['soft', 'delay'],
  systemerror: ['soft'],
  networkerror: ['soft'],
  mailererror: ['soft'],
  mesgtoobig: ['soft', 'policy'],
  contenterror: ['policy', 'soft'],
  notcompliantrfc: ['policy', 'soft'],
  blocked: ['policy', 'sender'],
  badreputation: ['policy', 'sender'],
  requireptr: ['policy', 'sender'],
  authfailure: ['policy', 'sender'],
  securityerror: ['policy', 'sender'],
  policyviolation: ['policy'],
  spamdetected: ['policy'],
  virusdetected: ['policy'],
  filtered: ['policy', 'hard'],
  norelaying: ['soft', 'policy', 'sender'],
  rejected: ['sender'],
  syntaxerror: ['soft', 'sender'],
  // Apple Mail's unsubscribe request is filed as feedback by Sisimai: an unsubscribe for us.
  feedback: ['complaint', 'unsubscribe'],
  delivered: ['delivered'],
  vacation: ['auto-reply'],
  onhold: ['soft', 'policy', 'delay'],
  undefined: ['soft', 'policy', 'delay'],
};
const SENDER_SIDE = new Set(['rejected', 'authfailure', 'requireptr', 'syntaxerror']);
const QUOTA = new Set(['mailboxfull', 'exceedlimit', 'systemfull']);
const BLOCKLIST = new Set(['blocked', 'badreputation', 'spamdetected', 'policyviolation']);

function accepted(fact: Fact): Reading[] {
  // A DMARC/SPF failure report is about our mail, not a recipient's complaint: no event is right.
  if (fact.reason === 'feedback' && fact.feedbacktype === 'auth-failure') return ['arf'];
  // X.7.27: the SENDER's domain has a null MX (RFC 7505), so it is ours to fix.
  if (fact.status === '5.7.27') return ['sender'];
  const base = ACCEPT[fact.reason] ?? ['soft', 'policy'];
  // A 4xx or a "delayed" report is transient whatever its words: soft is right, never hard.
  if (fact.status.startsWith('4') || fact.action === 'delayed') return [...base.filter((r) => r !== 'hard'), 'soft', 'delay'];
  return base;
}

const pct = (n: number, d: number): string => (d === 0 ? 'n/a' : `${((100 * n) / d).toFixed(1)}%`);

/**
 * The recognisers on hostile text (an Exchange heading and then one long run without spaces, the
 * shape that took 48 s for 256 KB): time at 256 KB and at 4 MB in the same run. Linear reading
 * with the scan caps means the larger costs about the same, never 256 times more.
 */
function linearity(): string {
  const time = (bytes: number): number => {
    const text = 'Delivery has failed to these recipients or groups:\n\n' + 'a'.repeat(bytes);
    const t0 = performance.now();
    parseTextBounce(text);
    genericBounce(text, new Set(), []);
    return performance.now() - t0;
  };
  time(16 * 1024); // warm-up
  const small = time(256 * 1024);
  const large = time(4 * 1024 * 1024);
  return `recognisers on an Exchange-shaped run: 256 KB ${small.toFixed(0)} ms, 4 MB ${large.toFixed(0)} ms (ratio ${(large / Math.max(small, 0.001)).toFixed(1)}; quadratic would be ~256)`;
}

export async function benchBounceCorpus(): Promise<string[]> {
  const corpus = process.env.PRESSLINE_BOUNCE_CORPUS;
  const bounded = linearity();
  if (!corpus || !existsSync(join(corpus, 'maildir'))) {
    return [
      bounded,
      'skipped: set PRESSLINE_BOUNCE_CORPUS to a clone of https://github.com/sisimai/set-of-emails',
      '  and make its truth file with: perl bench/sisimai-truth.pl <p5-sisimai clone> <set-of-emails clone> > <set-of-emails clone>/sisimai-truth.json',
    ];
  }
  const truthFile = process.env.PRESSLINE_BOUNCE_TRUTH ?? join(corpus, 'sisimai-truth.json');
  if (!existsSync(truthFile)) return [bounded, `skipped: no truth file ${truthFile}; make it with bench/sisimai-truth.pl (see its header)`];
  const truth = JSON.parse(readFileSync(truthFile, 'utf8')) as Record<string, Fact[]>;
  const listMisses = process.env.PRESSLINE_BOUNCE_CORPUS_MISSES === '1';

  let messages = 0;
  let skipped = 0;
  let facts = 0;
  let classRight = 0;
  let recipientRight = 0;
  let senderAsHard = 0;
  let quotaAsHard = 0;
  let blocklistAsHard = 0;
  let droppedAsAutoReply = 0;
  const misses: string[] = [];
  for (const [name, expected] of Object.entries(truth).sort(([a], [b]) => a.localeCompare(b))) {
    const file = join(corpus, 'maildir', name);
    if (!existsSync(file)) continue;
    const isRfc3834 = /rfc3834-/.test(name);
    // Files the reference reads nothing in (and that are not auto-replies) say nothing to score.
    const wanted: Fact[] = expected.length > 0 ? expected : isRfc3834 ? [{ recipient: '', reason: 'vacation', status: '', action: '' }] : [];
    if (wanted.length === 0) {
      skipped++;
      continue;
    }
    messages++;
    let parsed;
    try {
      parsed = await parseMailboxMessage(readFileSync(file), { source: `corpus:${name}` });
    } catch (err) {
      parsed = { kind: 'unrecognised' as const, events: [], reason: `threw: ${(err as Error).message}` };
    }
    for (const fact of wanted) {
      facts++;
      const want = fact.recipient.toLowerCase();
      const match = parsed.events.find((e) => e.recipient?.toLowerCase() === want || e.finalRecipient?.toLowerCase() === want);
      const event = match ?? (parsed.events.length === 1 ? parsed.events[0] : undefined);
      const got: Reading = fact.reason === 'vacation' && parsed.kind !== 'auto-reply' ? parsed.events[0]?.kind ?? parsed.kind : event?.kind ?? parsed.kind;
      const classOk = accepted(fact).includes(got);
      const recipientOk = fact.reason === 'vacation' ? parsed.kind === 'auto-reply' : !!match;
      if (classOk) classRight++;
      if (recipientOk) recipientRight++;
      if (got === 'hard' && !accepted(fact).includes('hard')) {
        if (SENDER_SIDE.has(fact.reason)) senderAsHard++;
        if (QUOTA.has(fact.reason)) quotaAsHard++;
        if (BLOCKLIST.has(fact.reason)) blocklistAsHard++;
      }
      if (fact.reason !== 'vacation' && parsed.kind === 'auto-reply') droppedAsAutoReply++;
      if (listMisses && (!classOk || !recipientOk)) {
        const ours = parsed.events.map((e) => `${e.kind} ${e.recipient ?? '-'} ${e.status ?? '-'}`).join(' | ') || parsed.kind;
        misses.push(`  ${name}: want ${fact.reason} ${fact.recipient} ${fact.status}; got ${ours} (${parsed.reason.slice(0, 80)})`);
      }
    }
  }
  return [
    bounded,
    `corpus: ${messages} messages (${skipped} the reference reads nothing in, not scored), ${facts} recipients`,
    `class right:     ${classRight}/${facts} = ${pct(classRight, facts)} (target >= 90%)`,
    `recipient right: ${recipientRight}/${facts} = ${pct(recipientRight, facts)} (target >= 95%)`,
    `sender-side read as hard: ${senderAsHard}; quota read as hard: ${quotaAsHard}; blocklist read as hard: ${blocklistAsHard} (target 0 each)`,
    `bounces dropped as auto-reply: ${droppedAsAutoReply} (target 0)`,
    ...misses,
  ];
}
