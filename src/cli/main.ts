#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { exitCodeOf, PresslineError } from '../errors.js';
import { loadDotenv } from '../config/load.js';
import { keepHeapCompact } from '../heap.js';
import { isTransientStoreError, StoreOutcomeUnknownError } from '../store/retry.js';
import { registerListsCommands } from './lists.js';
import { registerRenderCommand } from './render.js';
import { registerSendCommands } from './send.js';
import { registerCampaignCommands } from './campaigns.js';
import { registerSinkCommand } from './sink.js';
import { registerScheduleCommands } from './schedule.js';
import { registerWorkerCommand } from './worker.js';
import { registerBounceCommands } from './bounces.js';
import { registerSuppressCommands } from './suppress.js';
import { registerContactCommand } from './contact.js';
import { registerServeCommand } from './serve.js';
import { registerDbCommand } from './db.js';
import { registerLogCommand } from './log.js';
import { registerInitCommand } from './init.js';
import { registerDoctorCommand } from './doctor.js';
import { registerPublishCommand } from './publish.js';
import { forTerminal } from '../terminal/sanitise.js';
import { presslineVersion } from '../version.js';

/** Builds the command tree; separate from `main` so tests can drive it in-process. */
export function buildProgram(): Command {
  const program = new Command('pressline')
    .description("A press office's email distribution desk.")
    .version(presslineVersion(), '-V, --version', 'print the version and exit')
    .option('--config <file>', 'config file (default config/pressline.json, or PRESSLINE_CONFIG)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerListsCommands(program);
  registerRenderCommand(program);
  registerSendCommands(program);
  registerCampaignCommands(program);
  registerLogCommand(program);
  registerScheduleCommands(program);
  registerWorkerCommand(program);
  registerBounceCommands(program);
  registerSuppressCommands(program);
  registerContactCommand(program);
  registerServeCommand(program);
  registerDbCommand(program);
  registerSinkCommand(program);
  registerInitCommand(program);
  registerDoctorCommand(program);
  registerPublishCommand(program);
  return program;
}

/** A command cut short by its store going away gets one line saying what to do, not a stack. */
function storeLost(err: unknown): string | undefined {
  if (!isTransientStoreError(err) && !(err instanceof StoreOutcomeUnknownError)) return undefined;
  return `the store stopped answering (${(err as Error).message}); run the command again once it answers (an interrupted send goes on with \`pressline resume <campaign>\`)`;
}

export async function main(argv: string[]): Promise<number> {
  // `pressline campaigns | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  loadDotenv();
  keepHeapCompact();
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return process.exitCode === undefined ? 0 : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here too, with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    const message = err instanceof PresslineError ? err.message : storeLost(err) ?? (err as Error).stack ?? String(err);
    // Messages may quote a list cell, a file name or a remote reply.
    process.stderr.write(`pressline: ${forTerminal(message)}\n`);
    return exitCodeOf(err);
  }
}

/**
 * True when `moduleUrl` is the program node was started with: `node dist/src/cli/main.js`, or the
 * `pressline` bin, a symlink to it (npm's node_modules/.bin, a global install). Both paths are
 * resolved through their symlinks before comparing. False when a test or another module imports it.
 */
export function isEntryPoint(moduleUrl: string, argv1: string | undefined): boolean {
  if (!argv1) return false;
  const real = (file: string): string | undefined => {
    try {
      return realpathSync(file);
    } catch {
      return undefined;
    }
  };
  // `node dist/src/cli/main` (no extension) starts the same file.
  const started = real(argv1) ?? real(`${argv1}.js`);
  return started !== undefined && started === real(fileURLToPath(moduleUrl));
}

if (isEntryPoint(import.meta.url, process.argv[1])) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
