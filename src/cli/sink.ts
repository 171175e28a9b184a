import type { Command } from 'commander';
import { PresslineError } from '../errors.js';
import type { SinkMessage } from '../devsink/sink.js';
import { say } from './output.js';

interface SinkFlags {
  port: string;
  host: string;
  dir: string;
  keep: boolean;
}

const EXAMPLES = `
Examples:
  $ pressline sink
      listen on smtp://127.0.0.1:2525 and keep every message in outbox/sink/
  $ SMTP_URL=smtp://127.0.0.1:2525 pressline send releases/eu-russia-summit.md --list lists/journalists.csv --yes
      (in another terminal) send a release into the sink
  $ pressline sink --port 2600 --no-keep
      count messages without writing them, as a benchmark target

Each message becomes <dir>/<UTC timestamp>-<seq>-<first recipient>.eml, starting with
X-Pressline-Envelope-From / X-Pressline-Envelope-To header lines (the SMTP envelope, Bcc included).
One line per message goes to stderr. Ctrl-C (SIGINT) or SIGTERM stops the sink cleanly.`;

/** Adds `pressline sink`: a local catch-all SMTP server that runs until SIGINT/SIGTERM. */
export function registerSinkCommand(program: Command): void {
  program
    .command('sink')
    .description('Run a local SMTP server that accepts all mail and keeps each message as an .eml file.')
    .option('--port <port>', 'port to listen on (0 picks a free one)', '2525')
    .option('--host <address>', 'address to listen on; the sink has no authentication, keep it on loopback', '127.0.0.1')
    .option('--dir <folder>', 'folder for the .eml files (created if missing)', 'outbox/sink')
    .option('--no-keep', 'count messages without writing them (benchmarks)')
    .addHelpText('after', EXAMPLES)
    .action(async (flags: SinkFlags) => {
      await runSink(flags);
    });
}

async function runSink(flags: SinkFlags): Promise<void> {
  const port = Number(flags.port);
  if (!/^\d+$/.test(flags.port) || port > 65_535) {
    throw new PresslineError('USAGE', `--port: "${flags.port}" is not a port number (0-65535)`);
  }
  const dir = flags.keep ? flags.dir : null;
  const { startSink } = await import('../devsink/sink.js'); // smtp-server only when the sink runs
  const sink = await startSink({
    port,
    host: flags.host,
    dir,
    onMessage: (m) => say(describe(m), true),
    onError: (err) => say(`sink: could not store a message (client told 451): ${err.message}`, true),
  });

  if (!isLoopback(flags.host)) {
    say(`sink: warning: listening on ${flags.host} accepts mail from other machines, with no authentication`, true);
  }
  say(
    `sink: listening on ${sink.url}, ${dir === null ? 'counting messages without keeping them' : `keeping messages in ${dir}/`} (Ctrl-C to stop)`,
    true,
  );

  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      say(`sink: ${signal}, closing`, true);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  // A second Ctrl-C while closing falls through to Node's default handler and ends the process.
  await sink.close();
  say(`sink: stopped after ${sink.count} message${sink.count === 1 ? '' : 's'} (${sink.bytes} bytes)`, true);
}

/** `sink: #3 from=<press@office.example> to=anna@news.example +1 bytes=3412 file=outbox/sink/….eml` */
function describe(m: SinkMessage): string {
  const to = m.rcpts[0] ?? '';
  const more = m.rcpts.length > 1 ? ` +${m.rcpts.length - 1}` : '';
  const file = m.file === null ? '' : ` file=${m.file}`;
  return `sink: #${m.seq} from=<${m.from}> to=${to}${more} bytes=${m.bytes}${file}`;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
