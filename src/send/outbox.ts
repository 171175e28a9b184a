import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DkimKey } from './dkim-sign.js';
import { createMessageBytes } from './message-bytes.js';
import { resultFromError } from './nodemailer-adapter.js';
import type { SendResult } from './outcome.js';
import { outboxRelayName } from './outbox-relay.js';
import type { OutgoingMail, Transport } from './transport.js';

/**
 * Writes each message as `<dir>/<tag>.eml` instead of sending it: the same bytes as SMTP
 * (createMessageBytes: the same mail options and the same DKIM signing), so a run without a relay
 * differs only in where the bytes go. Two lines naming the envelope come first in each file.
 */
export function createOutboxTransport(dir: string, dkim?: DkimKey): Transport {
  const bytes = createMessageBytes(dkim);
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
        const message = await bytes.build(mail);
        const envelope = `X-Pressline-Envelope-From: ${mail.envelope.from}\r\nX-Pressline-Envelope-To: ${mail.envelope.to}\r\n`;
        const file = join(dir, `${mail.tag}.eml`);
        // Write then rename: a crash never leaves a half-written message that looks sent.
        await writeFile(`${file}.tmp`, Buffer.concat([Buffer.from(envelope), message]));
        await rename(`${file}.tmp`, file);
        return { accepted: true, code: 250, enhanced: '2.0.0', response: `250 2.0.0 written to ${file}`, durationMs: performance.now() - started };
      } catch (err) {
        return resultFromError(err, performance.now() - started);
      }
    },
    async close() {
      bytes.close();
    },
  };
}
