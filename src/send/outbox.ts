import nodemailer from 'nodemailer';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createDkimSigner, type DkimKey } from './dkim-sign.js';
import { resultFromError, toMailOptions } from './nodemailer-adapter.js';
import type { SendResult } from './outcome.js';
import { outboxRelayName } from './outbox-relay.js';
import type { OutgoingMail, Transport } from './transport.js';

/**
 * Writes each message as `<dir>/<tag>.eml` instead of sending it: the same mail options
 * (toMailOptions: our MIME bytes, or nodemailer's with attachments) and the same DKIM signing
 * as SMTP, so a run without a relay differs only in where the bytes go.
 */
export function createOutboxTransport(dir: string, dkim?: DkimKey): Transport {
  const composer = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
  const signer = dkim ? createDkimSigner(dkim) : undefined;
  let made = false;
  return {
    name: outboxRelayName(dir),
    async send(mail: OutgoingMail): Promise<SendResult> {
      const started = performance.now();
      try {
        if (!made) {
          await mkdir(dir, { recursive: true });
          made = true;
        }
        const info = await composer.sendMail(toMailOptions(mail));
        const envelope = `X-Pressline-Envelope-From: ${mail.envelope.from}\r\nX-Pressline-Envelope-To: ${mail.envelope.to}\r\n`;
        const file = join(dir, `${mail.tag}.eml`);
        // Write then rename: a crash never leaves a half-written message that looks sent.
        const message = signer ? signer.sign(info.message as Buffer) : (info.message as Buffer);
        await writeFile(`${file}.tmp`, Buffer.concat([Buffer.from(envelope), message]));
        await rename(`${file}.tmp`, file);
        return { accepted: true, code: 250, enhanced: '2.0.0', response: `250 2.0.0 written to ${file}`, durationMs: performance.now() - started };
      } catch (err) {
        return resultFromError(err, performance.now() - started);
      }
    },
    async close() {
      composer.close();
    },
  };
}
