import type { Command } from 'commander';
import { createApp } from '../app.js';
import { newOwnerId } from '../process/owner.js';
import { refuseUnlessClear, settingsProblems } from '../campaigns/preflight.js';
import { PresslineError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { runWorker } from '../scheduler/worker.js';
import { untilStoreAnswers, withStoreRetry } from '../store/retry.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run in the foreground: start scheduled sends when due, resume interrupted ones, retry deferred deliveries')
    .option('--interval <seconds>', 'how often to look at the store', '5')
    .option('--once', 'look once, run what is due to the end, and exit')
    .option('--name <name>', 'this worker\'s name in claims, logs and reports (default: host:pid)')
    .option('--relay <name>', 'send through this relay from config `relays` instead of SMTP_URL')
    .option('--pretty', 'log lines for people: local time, level, message, key=value fields (default on a terminal)')
    .option('--no-pretty', 'JSON log lines even on a terminal (the default off one, for log collectors)')
    .addHelpText(
      'after',
      '\nLogs go to stderr: JSON lines (pino) off a terminal, readable lines on one; --pretty / --no-pretty choose. SIGTERM or Ctrl-C stops cleanly: messages in flight finish.\n' +
        'Several workers (on one machine or many, with DATABASE_URL) share each campaign; the rate ceilings hold for all of them together.\n\n' +
        'Examples:\n  pressline worker --interval 10\n  pressline worker --pretty 2>&1 | tee worker.log\n  SMTP_URL_EU=smtp://user:pass@relay-eu:587 pressline worker --name eu-1 --relay eu\n',
    )
    .action(async (flags) => {
      const seconds = Number(flags.interval);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new PresslineError('USAGE', `--interval takes a number of seconds, not "${flags.interval}"`);
      const log = createLogger({ pretty: flags.pretty ?? Boolean(process.stderr.isTTY) });
      const controller = new AbortController();
      const stop = (signal: string) => {
        log.info({ signal }, 'stopping: letting messages in flight finish');
        controller.abort('shutdown');
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      if (flags.name !== undefined && !/^[A-Za-z0-9._-]{1,40}$/.test(flags.name)) {
        throw new PresslineError('USAGE', `--name takes letters, digits, . _ - (up to 40), not "${flags.name}"`);
      }
      // A store still coming up (the worker started with the database) is waited for; a wrong
      // DATABASE_URL or config fails at once.
      const app = await untilStoreAnswers(() => createApp({ configFile: program.opts().config }), log, { signal: controller.signal });
      try {
        if (flags.name !== undefined && !/^[A-Za-z0-9._-]{1,40}$/.test(flags.name)) {
          throw new PresslineError('USAGE', `--name takes letters, digits, . _ - (up to 40), not "${flags.name}"`);
        }
        // Settings no campaign could be sent with fail now, not at the first campaign (or by pausing each one as it comes due).
        refuseUnlessClear(await settingsProblems(app, { relay: flags.relay }), 'this worker');
        // Every store call of the loop and of its sends outlives a database restart or blink.
        const store = withStoreRetry(app.store, log, { signal: controller.signal, clock: app.clock });
        await runWorker({ ...app, store }, { intervalMs: seconds * 1000, signal: controller.signal, log, owner: newOwnerId(flags.name), relay: flags.relay, once: Boolean(flags.once) });
      } finally {
        await app.close();
      }
    });
}
