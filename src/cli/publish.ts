import { relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { withApp, type App } from '../app.js';
import { fingerprintFiles } from '../campaigns/fingerprint.js';
import { releaseFiles, templatePath } from '../campaigns/plan.js';
import { PresslineError } from '../errors.js';
import { publishNow, removeFromNewsroom } from '../newsroom/manual.js';
import { writeStaticSite } from '../newsroom/static.js';
import { loadRelease } from '../releases/load.js';
import { printJson, say } from './output.js';

interface PublishFlags {
  static?: string;
  remove?: boolean;
  json?: boolean;
}

const warnOnStderr = (message: string) => say(`warning: ${message}`, true);

export function registerPublishCommand(program: Command): void {
  program
    .command('publish')
    .description('publish a release on the newsroom now, take one down (--remove), or write the newsroom as static files (--static)')
    .argument('[release]', 'the release file to publish (or, with --remove, to take down)')
    .option('--static <dir>', 'write the site into this folder (paths mirror the URLs; index.html in folders)')
    .option('--remove', 'take the release off the newsroom: its pages answer 404 and leave the indexes and feeds')
    .option('--json', 'one JSON document on stdout')
    .addHelpText(
      'after',
      `
Pages are published by the send itself when its public copies start (the public phase at the lift,
or a send without embargo). \`pressline publish <release>\` publishes one now instead, for a release
sent only as embargoed copies: refused before its embargo lifts and for \`newsroom: false\`.
Publishing needs config newsroom.enabled and PRESSLINE_SECRET (page names are keyed with it).

--static writes the published pages, indexes, Atom feeds and stylesheet as files; each is written
to a temporary name and renamed, so a web host serving the folder never sees half a file. Set
config newsroom.staticDir to have every publication and removal rewrite the folder.

Examples:
  pressline publish releases/seals.md
  pressline publish --remove releases/seals.md
  pressline publish --static /var/www/press
`,
    )
    .action(async (release: string | undefined, flags: PublishFlags) => {
      await withApp(program.opts().config, async (app) => {
        if (release === undefined && flags.static === undefined) throw new PresslineError('USAGE', 'name a release to publish (or --remove), or give --static <dir> to write the site');
        if (flags.remove && release === undefined) throw new PresslineError('USAGE', '--remove needs the release file to take down: pressline publish --remove <release>');
        if (release !== undefined) await publishOne(app, release, flags);
        if (flags.static !== undefined) await writeSite(app, flags.static, flags.json);
      });
    });
}

async function publishOne(app: App, releaseFile: string, flags: PublishFlags): Promise<void> {
  const now = app.clock.now();
  if (flags.remove) {
    const removed = await removeFromNewsroom(app, releaseFile, now, warnOnStderr);
    if (flags.json && flags.static === undefined) return printJson({ release: releaseFile, removed });
    say(removed > 0 ? `removed ${releaseFile} from the newsroom (${removed} language${removed === 1 ? '' : 's'})` : `${releaseFile} was not on the newsroom; nothing removed`);
    return;
  }
  const release = await loadRelease(releaseFile, app.config);
  const fingerprint = await fingerprintFiles(releaseFiles(release, templatePath(app.config)));
  const published = await publishNow(app, releaseFile, release, fingerprint, now, warnOnStderr);
  if (flags.json && flags.static === undefined) return printJson({ release: releaseFile, published });
  say(`published ${releaseFile} on the newsroom (${published} language${published === 1 ? '' : 's'})`);
}

async function writeSite(app: App, folder: string, json: boolean | undefined): Promise<void> {
  if (!app.config.newsroom.enabled) throw new PresslineError('REFUSED', 'the newsroom is off (config newsroom.enabled is false); turn it on to publish pages');
  const dir = resolve(folder);
  const files = await writeStaticSite(app.store, app.config, dir, app.clock.now());
  if (json) return printJson({ dir, files: files.map((f) => relative(dir, f)) });
  for (const f of files) say(`wrote ${relative(process.cwd(), f) || f}`);
  say(`${files.length} files in ${dir}`);
}
