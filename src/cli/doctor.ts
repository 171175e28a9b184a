import type { Command } from 'commander';
import { runDoctor } from '../doctor/run.js';
import type { CheckResult } from '../doctor/types.js';
import { PresslineError } from '../errors.js';
import { printJson } from './output.js';
import { forTerminal } from '../terminal/sanitise.js';

const LABEL: Record<CheckResult['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL', skip: 'skip' };

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('checks this install before a real send: config, secret, templates, DKIM key, store, relay, bounce mailbox, unsubscribe URL, and the sending domain\'s SPF, DKIM and DMARC records; changes nothing')
    .option('--relay <name>', 'check a relay from config `relays` instead of SMTP_URL')
    .option('--imap <url>', 'also check the bounce mailbox: imaps://user@host/INBOX (password from PRESSLINE_IMAP_PASSWORD)')
    .option('--timeout <seconds>', 'give up on the relay, store or mailbox after this long', '10')
    .option('--json', 'one JSON document on stdout: {ok, checks: [{id, status, message, fix?}]}')
    .addHelpText(
      'after',
      '\nOne line per check; exit 1 when any check fails (warnings do not), 0 otherwise.\n' +
        'DNS answers come from PRESSLINE_DNS_SERVER (e.g. 192.0.2.53:53), config doctor.dnsServer, or the system resolver.\n' +
        '\nExamples:\n  pressline doctor\n  pressline doctor --imap imaps://bounces@mail.example.org/INBOX --json\n',
    )
    .action(async (flags: { relay?: string; imap?: string; timeout: string; json?: boolean }) => {
      const seconds = Number(flags.timeout);
      if (!Number.isFinite(seconds) || seconds <= 0) throw new PresslineError('USAGE', `--timeout takes a number of seconds greater than 0, not "${flags.timeout}"`);
      const checks = await runDoctor({ configFlag: program.opts().config as string | undefined, relay: flags.relay, imap: flags.imap, timeoutMs: seconds * 1000 });
      const failed = checks.filter((c) => c.status === 'fail').length;
      if (flags.json) printJson({ ok: failed === 0, checks });
      else {
        const width = Math.max(...checks.map((c) => c.id.length));
        for (const c of checks) {
          // Messages quote DNS records and relay replies: untrusted text.
          const line = `${LABEL[c.status]}  ${c.id.padEnd(width)}  ${c.message}${c.fix ? ` — fix: ${c.fix}` : ''}`;
          process.stdout.write(`${forTerminal(line)}\n`);
        }
        const warned = checks.filter((c) => c.status === 'warn').length;
        process.stdout.write(failed === 0 ? `\nAll checks passed${warned ? ` (${warned} warning${warned > 1 ? 's' : ''})` : ''}.\n` : `\n${failed} check${failed > 1 ? 's' : ''} failed.\n`);
      }
      if (failed > 0) process.exitCode = 1;
    });
}
