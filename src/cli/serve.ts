import type { Command } from 'commander';
import { createApp } from '../app.js';
import { PresslineError } from '../errors.js';
import { createLogger } from '../logger.js';
import { createWebServer } from '../web/server.js';

/** `pressline serve`: one-click unsubscribe and provider webhooks over HTTP, until SIGINT/SIGTERM. */
export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('run the HTTP server for one-click unsubscribe (/u/<token>) and bounce webhooks (/webhooks/ses, /webhooks/sendgrid)')
    .option('--port <port>', 'port to listen on (config web.port, default 8025)')
    .option('--host <host>', 'address to bind (config web.host, default 127.0.0.1); any other than loopback needs PRESSLINE_DASHBOARD_TOKEN')
    .addHelpText(
      'after',
      `
Put it behind an HTTPS reverse proxy and set "unsubscribe": {"baseUrl": "https://press.example.org"} in
the config so messages carry one-click List-Unsubscribe links. Logs are JSON lines on stderr.

Environment:
  PRESSLINE_SECRET               checks unsubscribe links (the same secret that signed them)
  PRESSLINE_SES_TOPIC_ARNS       SNS topic ARN(s) allowed to post SES notifications (comma-separated)
  PRESSLINE_SES_AUTO_CONFIRM=1   confirm the SNS subscription automatically
  PRESSLINE_SENDGRID_PUBLIC_KEY  SendGrid Signed Event Webhook verification key
  PRESSLINE_DASHBOARD_TOKEN      required when binding an address other than loopback

Example:
  pressline serve --port 8025
`,
    )
    .action(async (flags: { port?: string; host?: string }) => {
      let port: number | undefined;
      if (flags.port !== undefined) {
        port = Number(flags.port);
        if (!/^\d+$/.test(flags.port) || port > 65535) throw new PresslineError('USAGE', `--port takes a number from 0 to 65535, not "${flags.port}"`);
      }
      const app = await createApp({ configFile: program.opts().config });
      const log = createLogger();
      let web;
      try {
        web = await createWebServer(app, { host: flags.host, port, log });
      } catch (err) {
        await app.close();
        throw err;
      }
      process.stdout.write(`pressline serve: listening on ${web.url}\n`);
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
