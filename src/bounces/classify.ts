import type { BounceKind } from './types.js';
import { parseEnhanced, permanentStatusMeaning } from '../send/outcome.js';
import { parseStatusField } from './dsn-fields.js';

/*
 * How one recipient's report becomes a BounceKind. Only 'hard' leads to suppression downstream,
 * so anything uncertain falls to 'soft': we never suppress an address on a guess.
 *
 *  Action                     | Status (RFC 3463)                 | Kind
 *  ---------------------------+-----------------------------------+---------------------------------
 *  delayed                    | any                               | delay
 *  delivered, relayed,        | any                               | delivered
 *    expanded                 |                                   |
 *  missing                    | 2.x.x                             | delivered
 *  failed                     | 2.x.x (contradictory)             | soft
 *                             | 4.x.x                             | soft   (transient)
 *                             | 5.1.1 5.1.2 5.1.3 5.1.6 5.1.10    | hard   (no such mailbox/domain,
 *                             | 5.2.1                             | hard    bad syntax, moved, disabled)
 *                             | 5.7.x                             | policy (spam, blocklist, auth)
 *                             | 5.2.2 5.3.x 5.4.x                 | soft   (mailbox full, system,
 *                             |                                   |         network: not the address)
 *                             | 5.0.0, other 5.x.x, or missing    | the diagnostic's own enhanced code
 *                             |                                   | when it is more specific, else its
 *                             |                                   | words (below), else soft
 *
 *  Diagnostic words (checked in this order, first match wins):
 *   policy: spam, blocked, block list, blacklist(ed), blocklist(ed), policy, reputation, spamhaus, RBL
 *   soft:   quota, mailbox full, over quota, insufficient storage, mailbox is full
 *   hard:   user unknown, unknown user, no such user/mailbox/recipient, mailbox unavailable,
 *           does not exist, recipient not found, address not found, no mailbox here, invalid recipient
 *  Policy is checked before hard because block texts often also say "mailbox unavailable".
 */

const POLICY_WORDS = /spam|\bblock(?:ed|ing)?\b|block ?list|black ?list|\bpolicy\b|reputation|spamhaus|\b(?:rbl|dnsbl)\b/i;
const SOFT_WORDS = /quota|mailbox (?:is )?full|insufficient (?:system )?storage|storage (?:space )?exceeded|exceeded storage/i;
const HARD_WORDS =
  /user unknown|unknown user|no such (?:user|mailbox|recipient|address|account)|mailbox (?:is )?unavailable|does ?n[o']t exist|recipient ?not ?found|address not found|no mailbox here|invalid (?:recipient|mailbox)|unknown (?:recipient|mailbox)|user not found|account (?:has been )?disabled/i;

/** The kind a failed report's words point to, or undefined when they say nothing we trust. */
export function classifyDiagnosticWords(diagnostic: string | undefined): BounceKind | undefined {
  if (!diagnostic) return undefined;
  if (POLICY_WORDS.test(diagnostic)) return 'policy';
  if (SOFT_WORDS.test(diagnostic)) return 'soft';
  if (HARD_WORDS.test(diagnostic)) return 'hard';
  return undefined;
}

/** The kind an enhanced status names by itself, or undefined when it is too generic to tell. */
export function classifyStatus(status: string): BounceKind | undefined {
  const [klass, subject, detail] = status.split('.');
  if (klass === '2') return 'delivered';
  if (klass === '4') return 'soft';
  if (klass !== '5') return undefined;
  const meaning = permanentStatusMeaning(status);
  if (meaning) return meaning;
  if (subject === '2' && detail === '2') return 'soft';
  if (subject === '3' || subject === '4') return 'soft';
  return undefined;
}

/** From Action + Status (+ diagnostic text when the status is missing or generic). */
export function classifyDsn(action: string | undefined, status: string | undefined, diagnostic: string | undefined): BounceKind {
  const act = action?.trim().toLowerCase().split(/[\s(;]/)[0];
  if (act === 'delayed') return 'delay';
  if (act === 'delivered' || act === 'relayed' || act === 'expanded') return 'delivered';

  const kind = classifyFailure(status, diagnostic);
  // A report that says "failed" never counts as delivered, whatever its status claims.
  return act === 'failed' && kind === 'delivered' ? 'soft' : kind;
}

function classifyFailure(status: string | undefined, diagnostic: string | undefined): BounceKind {
  const given = parseStatusField(status);
  const fromDiagnostic = parseEnhanced(diagnostic);
  if (given) {
    const kind = classifyStatus(given);
    if (kind) return kind;
    // "5.0.0" (or another 5.x.x we have no rule for) with "550 5.1.1 ..." in the diagnostic:
    // the diagnostic is the more specific of the two, if it agrees on the class.
    if (fromDiagnostic && fromDiagnostic[0] === given[0] && fromDiagnostic !== given) {
      const refined = classifyStatus(fromDiagnostic);
      if (refined) return refined;
    }
  } else if (fromDiagnostic) {
    const kind = classifyStatus(fromDiagnostic);
    if (kind) return kind;
  } else {
    // No enhanced code anywhere: a bare "4xx" reply code is still transient.
    const code = /^\s*([245])\d\d\b/.exec(diagnostic ?? '');
    if (code?.[1] === '4') return 'soft';
    if (code?.[1] === '2') return 'delivered';
  }
  return classifyDiagnosticWords(diagnostic) ?? 'soft';
}
