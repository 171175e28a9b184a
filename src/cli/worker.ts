import type { Command } from 'commander';
import { createApp } from '../app.js';
import { newOwnerId } from '../campaigns/owner.js';
import { PresslineError } from '../errors.js';
import { createLogger } from '../logger.js';
import { runWorker } from '../scheduler/worker.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run in the foreground: start scheduled sends when due, resume interrupted ones, retry deferred deliveries')
    .option('--interval <seconds>', 'how often to look at the store', '5')
    .option('--once', 'look once, run what is due to the end, and exit')
    .addHelpText('after', '\nLogs are JSON lines on stderr (pino). SIGTERM or Ctrl-C stops cleanly: messages in flight finish.\n\nExample:\n  pressline worker --interval 10\n')
    .action(async (flags) => {
      const seconds = Number(flags.interval);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new PresslineError('USAGE', `--interval takes a number of seconds, not "${flags.interval}"`);
      const app = await createApp({ configFile: program.opts().config });
      const log = createLogger();
      const controller = new AbortController();
      const stop = (signal: string) => {
        log.info({ signal }, 'stopping: letting messages in flight finish');
        controller.abort('shutdown');
      };
      process.once('SIGTERM', () => stop('SIGTERM'));
      process.once('SIGINT', () => stop('SIGINT'));
      try {
        await runWorker(app, { intervalMs: seconds * 1000, signal: controller.signal, log, owner: newOwnerId(), once: Boolean(flags.once) });
      } finally {
        await app.close();
      }
    });
}
