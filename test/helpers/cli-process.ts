import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

/** The built CLI (`npm test` builds it first). */
export const CLI = resolve('dist/src/cli/main.js');

/** A `pressline` process: its exit, and everything it wrote to stdout and stderr. */
export interface CliProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: string | null }>;
  output(): string;
  /** What it wrote to stdout alone (a --json document). */
  stdout(): string;
}

const started: ChildProcess[] = [];

/** Starts `pressline --config <config> <args...>`; killCliProcesses (in afterEach) ends any left running. */
export function startCli(config: string, args: string[], env: NodeJS.ProcessEnv): CliProcess {
  const child = spawn(process.execPath, [CLI, '--config', config, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  let stdout = '';
  child.stdout!.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<{ code: number | null; signal: string | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return { child, exited, output: () => out, stdout: () => stdout };
}

/** SIGKILLs every process startCli started that is still running. */
export function killCliProcesses(): void {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
