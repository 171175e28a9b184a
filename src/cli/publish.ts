import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { withApp } from '../app.js';
import { PresslineError } from '../errors.js';
import { writeStaticSite } from '../newsroom/static.js';
import { printJson, say } from './output.js';

export function registerPublishCommand(program: Command): void {
  program
    .command('publish')
    .description('write the public newsroom (every published release page, the indexes, Atom feeds and stylesheet) as static files')
    .requiredOption('--static <dir>', 'folder to write the site into (paths mirror the URLs; index.html in folders)')
    .option('--json', 'one JSON document on stdout: the files written')
    .addHelpText(
      'after',
      `
Only releases already published (their embargo lifted and their public send started) are written;
an embargoed release has no page until then. Each file is written to a temporary name and renamed,
so a web host serving the folder never sees half a file. Set config newsroom.staticDir to have the
worker rewrite the folder after every publication.

Example:
  pressline publish --static /var/www/press
`,
    )
    .action(async (flags: { static: string; json?: boolean }) => {
      await withApp(program.opts().config, async (app) => {
        if (!app.config.newsroom.enabled) throw new PresslineError('REFUSED', 'the newsroom is off (config newsroom.enabled is false); turn it on to publish pages');
        const dir = resolve(flags.static);
        const files = await writeStaticSite(app.store, app.config, dir, app.clock.now());
        if (flags.json) return printJson({ dir, files: files.map((f) => relative(dir, f)) });
        for (const f of files) say(`wrote ${relative(process.cwd(), f) || f}`);
        say(`${files.length} files in ${dir}`);
      });
    });
}
