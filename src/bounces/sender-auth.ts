/**
 * Whether our own receiving host vouches for a message's sender: its `Authentication-Results`
 * (RFC 8601) says dkim=pass or spf=pass for the From address's domain. A bare unsubscribe request
 * (no token) is applied only with that verdict, since its From: alone can be forged.
 *
 * Only headers carrying our host's authserv-id (config `bounces.authservId`) count, and only the
 * run of them at the top: a receiving host prepends its own, and RFC 8601 §5 has it remove any
 * that arrived claiming its id, so one lower down is the sender's own invention.
 */

/** Longest header value read: real ones are a few hundred characters. */
const MAX_VALUE = 4_096;
/** A domain as DNS spells it (the verdict is shown in notes and on terminals). */
const DOMAIN = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

export interface SenderVerdict {
  method: 'dkim' | 'spf';
  domain: string;
}

/** `authResults`: the message's Authentication-Results values, top first. */
export function verifiedSender(authResults: string[], fromAddress: string | undefined, authservId: string | undefined): SenderVerdict | undefined {
  if (!authservId || !fromAddress) return undefined;
  const fromDomain = fromAddress.slice(fromAddress.lastIndexOf('@') + 1).toLowerCase();
  if (!fromDomain || !fromAddress.includes('@')) return undefined;
  for (const value of authResults) {
    const results = parseAuthResults(value);
    if (results.authservId !== authservId.toLowerCase()) break; // below ours: anyone could have written it
    for (const r of results.methods) {
      if (r.result !== 'pass') continue;
      const domain = r.method === 'dkim' ? (r.props['header.d'] ?? afterAt(r.props['header.i'])) : afterAt(r.props['smtp.mailfrom']);
      if (domain && DOMAIN.test(domain) && aligned(fromDomain, domain)) return { method: r.method, domain };
    }
  }
  return undefined;
}

interface AuthResults {
  authservId: string;
  methods: { method: 'dkim' | 'spf'; result: string; props: Record<string, string> }[];
}

/** `mx.ngo.example; dkim=pass (ok) header.d=paper.example; spf=pass smtp.mailfrom=jo@paper.example` */
export function parseAuthResults(value: string): AuthResults {
  const [head = '', ...rest] = splitResults(value.slice(0, MAX_VALUE));
  const authservId = head.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  const methods: AuthResults['methods'] = [];
  for (const part of rest) {
    const m = /^\s*(dkim|spf)\s*=\s*([a-z]+)/i.exec(part);
    if (!m) continue;
    const props: Record<string, string> = {};
    // A value is a token, a quoted string, or an address whose local part is quoted ("a;b"@x.example).
    for (const p of part.slice(m[0].length).matchAll(/([a-z]+\.[a-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"[^\s";]*|[^\s";]+)/gi)) {
      const raw = p[2]!;
      const whole = /^"((?:[^"\\]|\\.)*)"$/.exec(raw);
      props[p[1]!.toLowerCase()] ??= (whole ? whole[1]!.replace(/\\(.)/g, '$1') : raw).toLowerCase();
    }
    methods.push({ method: m[1]!.toLowerCase() as 'dkim' | 'spf', result: m[2]!.toLowerCase(), props });
  }
  return { authservId, methods };
}

/**
 * The value cut at each ';' that separates results (RFC 8601), in one linear pass: a ';' or '('
 * inside a quoted string (`smtp.mailfrom="x;dkim=pass header.d=victim.example"@evil.example`) is
 * data, and RFC 5322 comments (nested, with quoted-pair escapes) become spaces.
 */
function splitResults(value: string): string[] {
  const parts: string[] = [];
  let current = '';
  let depth = 0;
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (quoted) {
      current += c;
      if (c === '\\' && i + 1 < value.length) current += value[++i];
      else if (c === '"') quoted = false;
    } else if (depth > 0) {
      if (c === '\\') i++;
      else if (c === '(') depth++;
      else if (c === ')' && --depth === 0) current += ' ';
    } else if (c === '(') depth = 1;
    else if (c === '"') {
      quoted = true;
      current += c;
    } else if (c === ';') {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function afterAt(value: string | undefined): string | undefined {
  if (!value) return undefined;
  return value.slice(value.lastIndexOf('@') + 1) || undefined;
}

/** Relaxed alignment: the same domain, or one inside the other (mail.paper.example and paper.example). */
function aligned(fromDomain: string, authDomain: string): boolean {
  const d = authDomain.replace(/\.$/, '');
  if (!d.includes('.')) return false; // a bare top-level name never vouches for a domain under it
  return fromDomain === d || fromDomain.endsWith(`.${d}`) || d.endsWith(`.${fromDomain}`);
}
