import { PresslineError } from '../../errors.js';
import { e } from '../../html/entities.js';
import { contactHistoryHtml, contactKey, isEmptyHistory } from '../../reports/contact-history.js';
import type { Handler, Reply } from '../context.js';
import { layout } from './layout.js';
import { query } from './request.js';

// One journalist's history on the dashboard: /contacts/<address, percent-encoded>, and
// /contacts?email=<address> (the lookup form) which redirects there.

/** Longer than any address (254) with room for its encoding; anything longer is not one. */
const MAX_ADDRESS_CHARS = 1024;

/** The page of an address: `/contacts/anna%40paper.example`. */
export function contactHref(email: string): string {
  return `/contacts/${encodeURIComponent(email)}`;
}

const LINKS = { campaign: (id: number) => `/campaigns/${id}`, delivery: (id: number) => `/deliveries/${id}` };

function lookupForm(value = ''): string {
  return `<form class="filters" method="get" action="/contacts" role="search" aria-label="Find a journalist"><div><label for="c-email">Journalist's email address</label><input id="c-email" name="email" type="search" value="${e(value)}" autocomplete="off" required></div><div><button type="submit">Show history</button></div></form>`;
}

function notAddress(raw: string, why: string): Reply {
  return layout('Not an email address', `<h1>Not an email address</h1>\n<p role="alert">${e(why)}</p>\n${lookupForm(raw)}`, { status: 400 });
}

/** GET /contacts/<address>: the history, or 404 "no history" for an address the store never saw. */
export const contactPage: Handler = async (ctx) => {
  const encoded = ctx.params[0] ?? '';
  // The server checked that every escape decodes (request-target.ts).
  const raw = encoded.length > MAX_ADDRESS_CHARS ? '' : decodeURIComponent(encoded);
  let key: string;
  try {
    key = contactKey(raw);
  } catch (err) {
    if (err instanceof PresslineError) return notAddress(raw.slice(0, 300), err.message);
    throw err;
  }
  const history = await ctx.app.store.contactHistory(key);
  if (isEmptyHistory(history)) {
    return layout('No history', `<h1>No history for ${e(raw.trim())}</h1>\n<p id="no-history">pressline never mailed this address, and it is not on the suppression list.</p>\n${lookupForm(raw.trim())}`, { status: 404 });
  }
  return layout(history.deliveries[0]?.email ?? history.key, `${contactHistoryHtml(history, LINKS)}\n<h2>Another journalist</h2>\n${lookupForm()}`);
};

/** GET /contacts?email=…: the lookup form's target; redirects to the address's own page (a path of ours, never a given URL). */
export const contactLookup: Handler = async (ctx) => {
  const email = (query(ctx).get('email') ?? '').trim();
  if (!email) return layout('Find a journalist', `<h1>Find a journalist</h1>\n<p>Everything pressline sent one journalist, and what came back.</p>\n${lookupForm()}`, { current: '/contacts' });
  if (email.length > MAX_ADDRESS_CHARS) return notAddress(email.slice(0, 300), 'That is far too long for an email address.');
  return { status: 303, type: 'text', body: 'see the contact page\n', headers: { Location: contactHref(email) } };
};
