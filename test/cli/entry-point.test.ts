// The CLI module runs the program only when node was started with it (directly, or through the
// `pressline` bin's symlinks); importing it, as tests do for buildProgram and main, runs nothing.
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CLI } from '../helpers/cli-process.js';

const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
const dir = mkdtempSync(join(tmpdir(), 'pressline-entry-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `file` with `args` (node itself, or a bin found through its shebang) and collects what it wrote. */
function run(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  // The bin's `#!/usr/bin/env node` finds the node running these tests.
  const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH ?? ''}` };
  return new Promise((done) =>
    execFile(file, args, { env, timeout: 30_000 }, (err, stdout, stderr) => done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr })),
  );
}

describe('importing src/cli/main.ts', () => {
  it('prints nothing, sets no exit code and runs no command', async () => {
    const writes: string[] = [];
    const capture = (chunk: string | Uint8Array): boolean => (writes.push(String(chunk)), true);
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    // main() registers its EPIPE handler on stdout as soon as it is called.
    const stdoutListeners = process.stdout.listenerCount('error');
    try {
      const cli = await import('../../src/cli/main.js');
      await new Promise((r) => setTimeout(r, 200)); // a running command would have written by now
      expect(typeof cli.buildProgram).toBe('function');
      expect(typeof cli.main).toBe('function');
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(writes.join('')).toBe('');
    expect(process.stdout.listenerCount('error')).toBe(stdoutListeners);
    expect(process.exitCode).toBeUndefined();
  });

  it('isEntryPoint: only the file node started, through symlinks', async () => {
    const { isEntryPoint } = await import('../../src/cli/main.js');
    const link = join(dir, 'main-link.js');
    symlinkSync(CLI, link);
    const url = pathToFileURL(CLI).href;
    expect(isEntryPoint(url, CLI)).toBe(true);
    expect(isEntryPoint(url, link)).toBe(true);
    expect(isEntryPoint(url, CLI.replace(/\.js$/, ''))).toBe(true);
    expect(isEntryPoint(url, resolve('node_modules/vitest/vitest.mjs'))).toBe(false);
    expect(isEntryPoint(url, join(dir, 'missing.js'))).toBe(false);
    expect(isEntryPoint(url, undefined)).toBe(false);
  });
});

describe('the built CLI (dist/src/cli/main.js)', () => {
  it('runs when node is started with it', async () => {
    const r = await run(process.execPath, [CLI, '--version']);
    expect(r).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('runs through the bin symlink npm makes, and through npm link (a symlinked package folder)', async () => {
    // npm install: node_modules/.bin/pressline -> ../pressline/dist/src/cli/main.js, made executable by npm (tsc does not)
    chmodSync(CLI, 0o755);
    const bin = join(dir, 'node_modules', '.bin');
    mkdirSync(bin, { recursive: true });
    symlinkSync(resolve('.'), join(dir, 'node_modules', 'pressline'));
    symlinkSync('../pressline/dist/src/cli/main.js', join(bin, 'pressline'));
    const installed = await run(join(bin, 'pressline'), ['--version']);
    expect(installed).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
    // A bin on PATH pointing at that link: two symlinks deep.
    symlinkSync(join(bin, 'pressline'), join(dir, 'pressline'));
    const global = await run(join(dir, 'pressline'), ['--version']);
    expect(global).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('imported by another program, prints nothing and exits 0', async () => {
    const r = await run(process.execPath, ['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(CLI).href)});`]);
    expect(r).toEqual({ code: 0, stdout: '', stderr: '' });
  });
});
