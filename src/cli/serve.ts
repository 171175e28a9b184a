import type { Command } from 'commander';
import { createApp } from '../app.js';
import { PresslineError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { createWebServer } from '../web/server.js';

function portFlag(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new PresslineError('USAGE', `${name} takes a number from 0 to 65535, not "${value}"`);
  return port;
}

/** `pressline serve`: one-click unsubscribe, provider webhooks and the dashboard over HTTP, until SIGINT/SIGTERM. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP server: one-click unsubscribe (<unsubscribe.baseUrl path>/u/<token>), bounce webhooks (/webhooks/ses, /webhooks/sendgrid) and the dashboard')
    .option('--port <port>', 'port of the public face (config web.port, default 8025)')
    .option('--host <host>', 'address to bind (config web.host, default 127.0.0.1); off loopback the dashboard needs PRESSLINE_DASHBOARD_TOKEN unless it has its own port')
    .option('--dashboard-port <port>', 'serve the dashboard apart, on 127.0.0.1:<port> (config web.dashboardPort); the public face then carries no dashboard')
    .addHelpText(
      'after',
      `
Put it behind an HTTPS reverse proxy that forwards only the public paths, and set
"unsubscribe": {"baseUrl": ...} to the address that proxy serves: a site root
("https://press.example.org", links /u/<token>) or a path prefix ("https://press.example.org/unsubscribe",
links /unsubscribe/u/<token>); serve answers under that path. The dashboard answers only this
machine's own requests (Host localhost, 127.0.0.1, [::1] or the bound address, no proxy headers);
anything else must sign in with the token. Logs are JSON lines on stderr.

Environment:
  PRESSLINE_SECRET               checks unsubscribe links (the same secret that signed them)
  PRESSLINE_SES_TOPIC_ARNS       SNS topic ARN(s) allowed to post SES notifications (comma-separated)
  PRESSLINE_SES_AUTO_CONFIRM=1   confirm the SNS subscription automatically
  PRESSLINE_SENDGRID_PUBLIC_KEY  SendGrid Signed Event Webhook verification key
  PRESSLINE_DASHBOARD_TOKEN      required when binding an address other than loopback

Example:
  pressline serve --port 8025
  pressline serve --host 0.0.0.0 --port 8025 --dashboard-port 8026
`,
    )
    .action(async (flags: { port?: string; host?: string; dashboardPort?: string }) => {
      const port = portFlag('--port', flags.port);
      const dashboardPort = portFlag('--dashboard-port', flags.dashboardPort);
      const app = await createApp({ configFile: program.opts().config });
      const log = createLogger();
      let web;
      try {
        web = await createWebServer(app, { host: flags.host, port, dashboardPort, log });
      } catch (err) {
        await app.close();
        throw err;
      }
      process.stdout.write(`pressline serve: listening on ${web.url}\n`);
      if (web.dashboardUrl !== web.url) process.stdout.write(`pressline serve: dashboard on ${web.dashboardUrl}\n`);
      if (!app.config.unsubscribe.baseUrl) {
        process.stderr.write('note: config unsubscribe.baseUrl is not set, so messages carry no one-click unsubscribe link pointing here\n');
      }
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info({ signal }, 'stopping the web server');
          resolve();
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      try {
        await web.close();
      } finally {
        await app.close();
      }
    });
}
