import { basename, extname, join } from 'node:path';
import type { Command } from 'commander';
import { loadConfig, readEnv } from '../config/load.js';
import { PresslineError } from '../errors.js';
import type { Contact } from '../lists/contact.js';
import { loadLists } from '../lists/load.js';
import { formatEmbargoNotice } from '../releases/embargo.js';
import { loadRelease } from '../releases/load.js';
import { readOnlineUrls } from '../newsroom/publish.js';
import { compileRelease, summariseVariants } from '../render/compile.js';
import { embargoWording } from '../render/labels.js';
import { clipWarnings, describeHtmlSizes, htmlSizes } from '../campaigns/message-size.js';
import { placeholderContact, writePreviews } from '../render/preview.js';
import { readAttachmentContents } from '../releases/attachments.js';
import { readDkimKey } from '../send/dkim.js';
import { createMessageBytes } from '../send/message-bytes.js';
import { dkimOptions } from '../send/nodemailer-adapter.js';
import { previewContext, previewMessages } from '../send/preview.js';
import { collect, say, table } from './output.js';
import { protectedFiles, writeOutFiles, type ProtectedFile } from './out-file.js';
import { oneLine } from '../terminal/sanitise.js';

interface RenderOptions {
  list?: string[];
  contact?: string;
  where: string[];
  out?: string;
  force?: boolean;
  now?: string;
  template?: string;
  encoding?: string;
}

const HELP = `
Writes, for each language variant of the release, <out>/<lang>.html, <lang>.txt and <lang>.eml
(a complete message a mail client opens), addressed to journalist@example.com with every merge
field empty (so fallbacks show). With --list and --contact, writes the variant that contact gets,
personalised. With --list, prints how many contacts get each language variant.

The .eml is built as \`send\` builds it (same headers, DKIM-signed when configured): for a contact,
the bytes send would send them, except what only a planned campaign has: the Date (--now), the
Message-ID and what derives from it (multipart boundary, DKIM signature), and the campaign number
(0) in X-Pressline-Campaign, Feedback-ID and the unsubscribe tokens, which no store accepts.

Previews in the default folder are replaced on each run; in a folder given with --out, existing
files are replaced only with --force. Nothing is ever written over the release, a list, the
template, the config, .env or the store.

--now decides the embargo wording: before the embargo instant the copy carries the embargo notice
and subject prefix, at or after it the lifted wording.

Examples:
  $ pressline render releases/eu-russia-summit.md
  $ pressline render releases/eu-russia-summit.md --list lists/journalists.csv --where beat=russia
  $ pressline render releases/eu-russia-summit.md --list lists/journalists.csv --contact h.whitfield@dailyledger.example
  $ pressline render releases/eu-russia-summit.md --list export.csv --encoding windows-1252
  $ pressline render releases/examples/embargoed.md --now 2027-03-16T08:00:00Z --out out/preview
`;

/** Adds `render`: compile a release and write HTML, text and .eml previews. */
export function registerRenderCommand(program: Command): void {
  program
    .command('render')
    .description('compile a release and write HTML, plain-text and .eml previews per language variant')
    .argument('<release>', 'release Markdown file, e.g. releases/eu-russia-summit.md')
    .option('--list <file...>', 'journalist list(s): merge columns, per-variant counts, --contact lookup')
    .option('--contact <email>', 'render the message this contact (from --list) would get')
    .option('--where <key=value>', 'filter the list contacts (repeatable; all must hold)', collect, [])
    .option('--encoding <enc>', 'character encoding of the lists when not UTF-8 (e.g. windows-1252)')
    .option('--out <dir>', 'output folder (default out/render/<release name>/)')
    .option('--force', 'replace existing previews in the --out folder')
    .option('--now <iso>', 'render as of this instant (ISO 8601, e.g. 2026-12-01T08:00:00Z); default now')
    .option('--template <file>', 'MJML layout (default from config: templates/press-release.mjml)')
    .addHelpText('after', HELP)
    .action(async (file: string, opts: RenderOptions) => {
      const config = loadConfig(program.opts().config as string | undefined);
      if ((opts.contact || opts.where.length > 0 || opts.encoding) && !opts.list) {
        throw new PresslineError('USAGE', '--contact, --where and --encoding need --list <file...>');
      }
      const now = opts.now !== undefined ? parseNow(opts.now) : new Date();
      const release = await loadRelease(file, config);
      for (const w of release.warnings) say(`warning: ${oneLine(w)}`, true);

      let contacts: Contact[] | undefined;
      let columns: string[] = [];
      let contact: Contact | undefined;
      if (opts.list) {
        // Every contact is kept for the per-variant counts, but without its extra columns (a
        // 5,000-column list would take gigabytes); only the one rendered for keeps them all.
        const wanted = opts.contact?.trim().toLowerCase();
        const kept: Contact[] = [];
        const report = await loadLists(opts.list, {
          where: opts.where,
          ...(opts.encoding ? { encoding: opts.encoding } : {}),
          onContact: (c) => {
            if (wanted !== undefined && contact === undefined && (c.key === wanted || c.email.toLowerCase() === wanted)) contact = c;
            kept.push({ ...c, extra: {} });
          },
        });
        contacts = kept;
        columns = report.columns;
        if (report.invalid.length > 0) {
          say(`warning: ${report.invalid.length} invalid row(s) in the list skipped (run "pressline lists check" for details)`, true);
        }
        if (opts.contact) {
          if (!contact) {
            throw new PresslineError('NOT_FOUND', `no contact ${opts.contact} in ${opts.list.join(', ')}${opts.where.length ? ' matching --where' : ''}`);
          }
        }
      }

      // The "read online" link a send would carry (none without PRESSLINE_SECRET: nothing is published then).
      const readOnline = await readOnlineUrls(config, readEnv().secret, { test: false, releaseFile: file }, release, now, async () => []);
      const compiled = await compileRelease(release, { config, now, columns, ...(opts.template ? { templateFile: opts.template } : {}), ...(readOnline ? { readOnline } : {}) });
      const perVariant = (wording: (language: string) => string) => compiled.variants.map((v) => `"${oneLine(wording(v.language))}" (${v.language})`).join(', ');
      const out = opts.out ?? join('out', 'render', basename(file, extname(file)));
      const inputs: ProtectedFile[] = [
        { path: file, what: 'the release' },
        ...(opts.list ?? []).map((path) => ({ path, what: 'a list' })),
        { path: opts.template ?? join(config.templates.dir, config.templates.layout), what: 'the template' },
      ];
      const env = readEnv();
      // The default folder holds only pressline's own previews, so a new render replaces them.
      const guard = { force: opts.out === undefined || Boolean(opts.force), protected: protectedFiles({ config, env, configFlag: program.opts().config, inputs }) };
      // The send's own message path (send/preview.ts says what differs from the copy sent and why).
      const { compose, warnings } = previewContext(config, compiled, { secret: env.secret, attachments: await readAttachmentContents(release.attachments) });
      for (const w of warnings) say(`warning: ${oneLine(w)}`, true);
      const bytes = createMessageBytes(dkimOptions(config, readDkimKey));
      let previews;
      try {
        previews = await previewMessages(compose, contact ? [compiled.pickVariant(contact)] : compiled.variants, contact ?? placeholderContact(), now, bytes);
      } finally {
        bytes.close();
      }
      const written = await writePreviews(previews, { out, write: (files) => writeOutFiles(files, guard) });

      if (release.embargo) {
        say(
          compiled.embargoed
            ? `Embargoed copy (${formatEmbargoNotice(release.embargo)}); subject prefixed ${perVariant((l) => embargoWording(config, l).prefix.trim())}.`
            : `Embargo lifted at ${release.embargo.instant.toISOString()}: copy says ${perVariant((l) => embargoWording(config, l).lifted)}.`,
        );
      }
      if (contact) say(`Rendered for ${oneLine(contact.email)} (${written[0]!.language} variant):`);
      say(`Wrote to ${out}:`);
      for (const w of written) say(`  ${w.language}: ${basename(w.html)}, ${basename(w.text)}, ${basename(w.eml)}`);
      const sizes = htmlSizes(compiled);
      say(`HTML size: ${describeHtmlSizes(sizes)}`);
      for (const w of clipWarnings(sizes)) say(`warning: ${w}`, true);
      if (contacts) {
        say(`\nLanguage variants for ${contacts.length} contact(s)${opts.where.length ? ` matching ${opts.where.join(' ')}` : ''}:`);
        const rows = summariseVariants(compiled, contacts).map((s) => [s.language, s.file, s.contacts]);
        say(table(['variant', 'file', 'contacts'], rows).split('\n').map((l) => '  ' + l).join('\n'));
      }
    });
}

function parseNow(value: string): Date {
  const d = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(d.getTime())) {
    throw new PresslineError('USAGE', `--now ${JSON.stringify(value)} is not an ISO 8601 instant (e.g. 2026-12-01T08:00:00Z)`);
  }
  return d;
}
