import type { App } from '../app.js';
import { describeHtmlSizes, htmlSizes } from '../campaigns/message-size.js';
import { defaultTransport } from '../send/transport-factories.js';
import { prepareTestSend, sendTestCopies, testSendLogFile } from '../campaigns/test-send.js';
import { describeSmtpUrl } from '../send/smtp.js';
import { printJson } from './output.js';
import { forTerminal, oneLine } from '../terminal/sanitise.js';
import { confirm } from './terminal.js';

interface TestSendFlags {
  testTo: string[];
  list?: string[];
  contact?: string;
  encoding?: string;
  yes?: boolean;
  json?: boolean;
}

/** `send <release> --test-to <addr...>`: shows what goes where, asks, sends, and says what each server answered. */
export async function testSend(app: App, releaseFile: string, flags: TestSendFlags): Promise<void> {
  const plan = await prepareTestSend({ releaseFile, to: flags.testTo, lists: flags.list, contact: flags.contact, encoding: flags.encoding }, app);
  const out = flags.json ? process.stderr : process.stdout;
  const languages = plan.compiled.variants.map((v) => v.language);
  const copies = languages.length * plan.to.length;
  const where = app.env.smtpUrl ? describeSmtpUrl(app.env.smtpUrl) : `the outbox folder ${app.config.paths.outbox}/tests/ (no SMTP_URL set: nothing is sent)`;
  const lines = [
    `Test send   ${releaseFile}: "${oneLine(plan.release.variants[0]!.title)}"${plan.compiled.embargoed ? ' (embargoed copy)' : ''}`,
    `Copies      ${copies}: ${languages.join(', ')} to ${plan.to.join(', ')}, subject marked [TEST]`,
    `Values      ${plan.valuesFrom}`,
    `HTML        ${describeHtmlSizes(htmlSizes(plan.compiled))}`,
    `Transport   ${where}`,
    `Kept apart  no campaign is stored and no one is suppressed; each copy is logged in ${testSendLogFile(app.config)}`,
  ];
  out.write(forTerminal(lines.join('\n')) + '\n');
  if (!(await confirm(`${app.env.smtpUrl ? 'Send' : 'Write'} ${copies} test cop${copies === 1 ? 'y' : 'ies'}?`, Boolean(flags.yes)))) {
    out.write('Nothing sent.\n');
    process.exitCode = 1;
    return;
  }
  const results = await sendTestCopies(plan, app, defaultTransport(app.config, app.env, 'tests'));
  for (const r of results) {
    const label = !r.accepted ? 'REFUSED' : app.env.smtpUrl ? 'sent   ' : 'written';
    out.write(forTerminal(`${label} ${r.language} to ${r.to}: ${oneLine(r.response)}`) + '\n');
  }
  if (flags.json) printJson({ test: true, copies: results });
  if (results.some((r) => !r.accepted)) process.exitCode = 1;
}
